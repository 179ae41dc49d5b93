import type { Entry } from '../../../shared/entries';
import { chainStart, extendChain, entryLine, headHash, type ChainState } from '../../../shared/trust/chain';
import { deviceIdOf, generateDeviceKeys, type DeviceKeys } from '../../../shared/trust/crypto';
import {
  networkIdOf,
  signOp,
  signPreApproval,
  type Member,
  type MemberOp,
  type MemberState,
  type PreApproval,
  type Role,
  type SignedOp,
  type SignedToken,
} from '../../../shared/trust/members';

/**
 * Devices and member-log operations for the domain tests of shared/trust: keys come from a seeded
 * generator (generateDeviceKeys takes the random bytes), so a device of seed n has the same id in every run.
 */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  let state = seed >>> 0;
  return (n) =>
    Uint8Array.from({ length: n }, () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 24;
    });
}

export interface TestDevice {
  keys: DeviceKeys;
  id: string;
  /** The Ed25519 public key, base64url. */
  key: string;
  /** The X25519 public key, base64url. */
  box: string;
}

export async function testDevice(seed: number): Promise<TestDevice> {
  const keys = await generateDeviceKeys(seededBytes(seed));
  return { keys, id: deviceIdOf(keys.publicKey), key: keys.publicKey, box: keys.boxKey };
}

/** Several devices at once, one per seed, typed as a tuple. */
export function testDevices<const S extends readonly number[]>(
  ...seeds: S
): Promise<{ [K in keyof S]: TestDevice }> {
  return Promise.all(seeds.map(testDevice)) as Promise<{ [K in keyof S]: TestDevice }>;
}

/** A founder (seed 1), the network its key anchors, and a few more devices. */
export async function network(): Promise<{
  net: string;
  founder: TestDevice;
  a: TestDevice;
  b: TestDevice;
  c: TestDevice;
}> {
  const [founder, a, b, c] = await Promise.all([1, 2, 3, 4].map(testDevice));
  return { net: networkIdOf(founder!.key), founder: founder!, a: a!, b: b!, c: c! };
}

export const T0 = Date.UTC(2025, 0, 1);

export const signed = (op: MemberOp, by: TestDevice, as = by.id): Promise<SignedOp> =>
  signOp(op, as, by.keys.privateKey);

export const genesis = (net: string, d: TestDevice, hub = 'hub1', at = T0) =>
  signed({ t: 'genesis', net, dev: d.id, key: d.key, box: d.box, name: 'Founder', hub, at }, d);

export const request = (
  net: string,
  d: TestDevice,
  options: {
    hub?: string | null;
    role?: 'coordinator' | 'hub';
    at?: number;
    pre?: SignedToken;
    hubName?: string;
    box?: boolean;
  } = {},
) =>
  signed(
    {
      t: 'request',
      net,
      dev: d.id,
      key: d.key,
      ...(options.box === false ? {} : { box: d.box }),
      name: `Device ${d.id.slice(0, 4)}`,
      hub: options.hub === undefined ? 'hub2' : options.hub,
      ...(options.hubName ? { hubName: options.hubName } : {}),
      role: options.role ?? 'hub',
      at: options.at ?? T0,
      ...(options.pre ? { pre: options.pre } : {}),
    },
    d,
  );

export const approve = (
  net: string,
  admin: TestDevice,
  d: TestDevice,
  options: { role?: Role; hub?: string | null; name?: string; at?: number; box?: string } = {},
) =>
  signed(
    {
      t: 'approve',
      net,
      dev: d.id,
      key: d.key,
      ...(options.box ? { box: options.box } : {}),
      name: options.name ?? 'Approved',
      hub: options.hub === undefined ? 'hub2' : options.hub,
      role: options.role ?? 'hub',
      at: options.at ?? T0 + 1000,
    },
    admin,
  );

export const revoke = (
  net: string,
  admin: TestDevice,
  dev: string,
  cut: number,
  hash: string | null = null,
  at = T0 + 5000,
) => signed({ t: 'revoke', net, dev, cut, hash, at }, admin);

export const rotate = (net: string, admin: TestDevice, epoch: number, sealed: Record<string, string> = {}) =>
  signed({ t: 'rotate', net, epoch, sealed, at: T0 + 6000 }, admin);

export const preApproval = (
  net: string,
  admin: TestDevice,
  options: { id?: string; role?: 'coordinator' | 'hub'; exp?: number } = {},
) => {
  const token: PreApproval = {
    t: 'pre',
    net,
    id: options.id ?? 'token0001',
    role: options.role ?? 'hub',
    exp: options.exp ?? T0 + 3_600_000,
  };
  return signPreApproval(token, admin.id, admin.keys.privateKey);
};

/** A member record, for the gate and settings tests that need no signed log. */
export const member = (
  device: string,
  role: Role,
  hub: string | null,
  revoked?: Member['revoked'],
): Member => ({
  device,
  key: 'k'.repeat(43),
  name: device,
  hub,
  role,
  approvedBy: 'founder0',
  approvedAt: T0,
  ...(revoked ? { revoked } : {}),
});

export const stateOf = (network: string, members: readonly Member[]): MemberState => ({
  network,
  members: new Map(members.map((m) => [m.device, m])),
  requests: new Map(),
  keys: new Map(),
  rotation: null,
  signed: new Map(),
  problems: [],
});

/** The chain of a device's first entries, and the head it would sign there. */
export function chainOf(net: string, device: string, entries: readonly Entry[]): ChainState {
  return extendChain(chainStart(net, device), entries.map(entryLine));
}

export const headOf = (net: string, device: string, entries: readonly Entry[]) => ({
  seq: entries.length,
  hash: headHash(chainOf(net, device, entries)),
});
