import { z } from 'zod';
import { lazySchema, once } from '../lazy';
import { ID_PATTERN } from '../ids';
import type { CryptoKey } from '../sync/keys';
import { NETWORK_KEY_BYTES } from '../sync/keys';
import { evaluateMembers, MAX_ROTATE_CHARS } from './members';
import { openSealed } from './seal';

/**
 * Catching up with key rotations a device missed (it was away when an admin revoked a device).
 *
 * Every rotation seals its new network key to each remaining device's own X25519 key (members.ts,
 * seal.ts), never under an older network key: an older key is what the revoked device holds. So a device
 * that missed one rotation or several walks to the current key in one step, with its own sealed copy in
 * the newest rotation, once it has that rotation and can tell an admin signed it. What it needs is the
 * **catch-up material**: the signed `rotate` operations of the member log (and its `revoke` operations,
 * so it learns at once whom to stop trusting; and the `grant`s of a rotation's key to members it left out,
 * with their approvals), exactly as the log holds them. It travels where a device
 * still holding an old key can read it:
 *
 * - in the rooms of earlier keys, where the remaining devices wait for a bounded time after a rotation
 *   holding no doc at all, only this material (renderer/sync/catchUpRooms.ts);
 * - in sync files, sealed under each earlier file key the exporter held (syncfile.ts).
 *
 * The revoked device can read the material too, and finds nothing sealed to it. The sender may be an
 * adversary holding an old key: the material is bounded in count and size, checked with zod, and each
 * operation counts only if its signature verifies and its signer is an admin in the member log as this
 * device knows it (the operations are replayed after that log, as evaluateMembers does for the doc).
 */

/** Rotations kept in the material (the newest): a device further behind needs a sync file or an invite. */
export const MAX_CATCH_UP_ROTATIONS = 8;
/** Revocations kept in the material (the newest). */
export const MAX_CATCH_UP_REVOCATIONS = 32;
/** Grants of a kept rotation's key kept in the material (the newest), and approvals of their devices. */
export const MAX_CATCH_UP_GRANTS = 32;
export const MAX_CATCH_UP_APPROVALS = 32;
/** The material as JSON, at most: it travels in a WebRTC presence message (SCTP's limit is 256 KiB). */
export const MAX_CATCH_UP_CHARS = 128 * 1024;
/** How long after a rotation the remaining devices still wait in the earlier key's room, at most (days). */
export const MAX_CATCH_UP_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;
export const CATCH_UP_WINDOW_MS = MAX_CATCH_UP_DAYS * DAY_MS;
/** The network setting (`network` map, admins only) with which an admin shortens that wait. */
export const CATCH_UP_DAYS_SETTING = 'catchUpDays';

/**
 * The days the network's setting says to wait in earlier keys' rooms: a whole number from 0 (never wait:
 * a device that was away catches up from a sync file) to 90; anything else, or none, is the default 90.
 */
export function catchUpDaysOf(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_CATCH_UP_DAYS
    ? value
    : MAX_CATCH_UP_DAYS;
}

/** The schemas, made the first time one is used (shared/lazy.ts): the app's first view reads none of them. */
const schemas = once(() => {
  const id = z.string().regex(ID_PATTERN);
  const signedOp = z.tuple([
    z.string().min(1).max(MAX_ROTATE_CHARS),
    id,
    z.string().regex(/^[A-Za-z0-9_-]{86}$/),
  ]);
  const catchUpSchema = z.object({
    v: z.literal(1),
    net: id,
    ops: z
      .array(signedOp)
      .min(1)
      .max(MAX_CATCH_UP_ROTATIONS + MAX_CATCH_UP_REVOCATIONS + MAX_CATCH_UP_GRANTS + MAX_CATCH_UP_APPROVALS),
  });
  return { signedOp, catchUpSchema };
});
const signedOp = lazySchema(() => schemas().signedOp);
export const catchUpSchema = lazySchema(() => schemas().catchUpSchema);
export type CatchUpMaterial = z.infer<typeof catchUpSchema>;

export type CatchUpRefusal =
  /** Not shaped like catch-up material (or an operation in it is not one material may carry). */
  | 'catchUp.malformed'
  /** More operations, or longer ones, than material may hold. */
  | 'catchUp.tooLarge'
  /** Material of another network. */
  | 'catchUp.otherNetwork'
  /** An operation whose signature does not verify (altered, or signed by an unknown key). */
  | 'catchUp.badSignature'
  /** An operation signed by a device that is not an admin in the member log as this device knows it. */
  | 'catchUp.notAdmin'
  /** Nothing newer than the key this device holds. */
  | 'catchUp.noNewerKey'
  /** The newest rotation has no copy sealed to this device (it was revoked, or no admin granted it one). */
  | 'catchUp.notForThisDevice'
  /** The copy sealed to this device does not open with its key. */
  | 'catchUp.unreadable';

export type CatchUpResult =
  { ok: true; epoch: number; key: Uint8Array } | { ok: false; code: CatchUpRefusal };

type Kind = 'rotate' | 'revoke' | 'grant' | 'approve';
const KINDS: readonly string[] = ['rotate', 'revoke', 'grant', 'approve'];

interface Peek {
  t: Kind;
  net: unknown;
  epoch: unknown;
  /** The device an approval names. */
  dev: unknown;
  /** The devices a grant seals the key to. */
  to: string[];
}

function kindOf(payload: string): Peek | null {
  try {
    const json: unknown = JSON.parse(payload);
    if (typeof json !== 'object' || json === null) return null;
    const { t, net, epoch, dev, sealed } = json as Record<string, unknown>;
    if (typeof t !== 'string' || !KINDS.includes(t)) return null;
    const to = t === 'grant' && typeof sealed === 'object' && sealed !== null ? Object.keys(sealed) : [];
    return { t: t as Kind, net, epoch, dev, to };
  } catch {
    return null;
  }
}

/**
 * The material for devices that missed rotations, from the member log as this device has it: its newest
 * rotations and revocations, in the log's order, as they are stored; and the grants of those rotations'
 * keys to members they left out, with those members' approvals (a device that was waiting for approval
 * when the key changed knows neither). Null when the log holds no rotation. Operations that would not fit
 * the bounds are left out, oldest first (the newest rotation always stays).
 */
export function catchUpMaterial(
  network: string,
  log: readonly unknown[],
  /**
   * The log's operations that do not count (`setAsideOps`): left out, so that operations any key holder
   * can append (a rotation to epoch 10^9 signed by a hub device, by a revoked admin after its revocation)
   * never push the real rotations out of the newest ones kept.
   */
  setAside: ReadonlySet<number> = new Set(),
): CatchUpMaterial | null {
  const rotations: { op: [string, string, string]; epoch: number; index: number }[] = [];
  const revocations: { op: [string, string, string]; index: number }[] = [];
  const grants: { op: [string, string, string]; epoch: number; to: string[]; index: number }[] = [];
  const approvals: { op: [string, string, string]; dev: string; index: number }[] = [];
  log.forEach((value, index) => {
    if (setAside.has(index)) return;
    const parsed = signedOp.safeParse(value);
    if (!parsed.success) return;
    const kind = kindOf(parsed.data[0]);
    if (!kind || kind.net !== network) return;
    if (kind.t === 'rotate' && typeof kind.epoch === 'number')
      rotations.push({ op: parsed.data, epoch: kind.epoch, index });
    else if (kind.t === 'revoke') revocations.push({ op: parsed.data, index });
    else if (kind.t === 'grant' && typeof kind.epoch === 'number')
      grants.push({ op: parsed.data, epoch: kind.epoch, to: kind.to, index });
    else if (kind.t === 'approve' && typeof kind.dev === 'string')
      approvals.push({ op: parsed.data, dev: kind.dev, index });
  });
  if (rotations.length === 0) return null;
  // The newest rotations by epoch (the log may hold two of one epoch: both go, the replay picks one).
  const epochs = [...new Set(rotations.map((r) => r.epoch))].sort((a, b) => b - a);
  const keptEpochs = new Set(epochs.slice(0, MAX_CATCH_UP_ROTATIONS));
  const keptGrants = grants.filter((g) => keptEpochs.has(g.epoch)).slice(-MAX_CATCH_UP_GRANTS);
  const granted = new Set(keptGrants.flatMap((g) => g.to));
  let kept = [
    ...rotations.filter((r) => keptEpochs.has(r.epoch)).slice(-MAX_CATCH_UP_ROTATIONS),
    ...revocations.slice(-MAX_CATCH_UP_REVOCATIONS),
    ...keptGrants,
    ...approvals.filter((a) => granted.has(a.dev)).slice(-MAX_CATCH_UP_APPROVALS),
  ].sort((a, b) => a.index - b.index);
  const size = (ops: typeof kept) => JSON.stringify({ v: 1, net: network, ops: ops.map((k) => k.op) }).length;
  const newest = rotations.reduce((a, b) => (b.epoch > a.epoch ? b : a));
  while (kept.length > 1 && size(kept) > MAX_CATCH_UP_CHARS) {
    const drop = kept.findIndex((k) => k !== newest);
    kept = kept.filter((_, i) => i !== drop);
  }
  if (size(kept) > MAX_CATCH_UP_CHARS) return null;
  return { v: 1, net: network, ops: kept.map((k) => k.op) };
}

/** The positions in the member log of the operations a replay set aside (its problems name them). */
export function setAsideOps(problems: readonly { where: string }[]): Set<number> {
  const out = new Set<number>();
  for (const { where } of problems) {
    const match = /^members\/(\d+)$/.exec(where);
    if (match) out.add(Number(match[1]));
  }
  return out;
}

/**
 * The newest epoch material says it reaches, unchecked: only to try the most promising of several offers
 * first (a device waiting in an intermediate room may offer less than one that waits in the same room).
 */
export function claimedEpoch(material: unknown): number {
  const parsed = catchUpSchema.safeParse(material);
  if (!parsed.success) return 0;
  let epoch = 0;
  for (const [payload] of parsed.data.ops) {
    const kind = kindOf(payload);
    if (kind?.t === 'rotate' && typeof kind.epoch === 'number' && kind.epoch > epoch) epoch = kind.epoch;
  }
  return epoch;
}

/** What a replay of the material refuses as signed by a device that is not an admin. */
const ADMIN_ONLY = new Set([
  'member.rotateNotAdmin',
  'member.revokeNotAdmin',
  'member.grantNotAdmin',
  'member.approveNotAdmin',
]);

export interface CatchUpInput {
  network: string;
  /** Whose genesis founds the member list (the network id, or the admin who upgraded an older network). */
  anchor?: string;
  /** The member log as this device has it (the doc's `members` array). */
  log: readonly unknown[];
  /** The material as it arrived: untrusted. */
  material: unknown;
  device: string;
  /** The epoch of the key this device holds. */
  epoch: number;
  boxKeys: { privateKey: CryptoKey; publicKey: CryptoKey };
}

/**
 * The current network key from catch-up material, for a device that holds an older one; or why not.
 * Nothing here is kept: the caller takes up the key, and the operations reach its doc with the next sync.
 */
export async function walkToCurrentKey(input: CatchUpInput): Promise<CatchUpResult> {
  const parsed = catchUpSchema.safeParse(input.material);
  if (!parsed.success)
    return {
      ok: false,
      code: parsed.error.issues.some((i) => i.code === 'too_big') ? 'catchUp.tooLarge' : 'catchUp.malformed',
    };
  const material = parsed.data;
  if (JSON.stringify(material).length > MAX_CATCH_UP_CHARS) return { ok: false, code: 'catchUp.tooLarge' };
  if (material.net !== input.network) return { ok: false, code: 'catchUp.otherNetwork' };
  for (const [payload] of material.ops) {
    const kind = kindOf(payload);
    if (!kind) return { ok: false, code: 'catchUp.malformed' };
    if (kind.net !== input.network) return { ok: false, code: 'catchUp.otherNetwork' };
  }
  // Replayed after the log as this device has it; operations it already holds are not repeated.
  const known = new Set<string>();
  for (const value of input.log)
    if (Array.isArray(value) && typeof value[2] === 'string') known.add(value[2]);
  const added = material.ops.filter((op) => !known.has(op[2]));
  const log = [...input.log, ...added];
  const state = await evaluateMembers(input.network, log, input.anchor ?? input.network);
  const first = input.log.length;
  for (const problem of state.problems) {
    const index = Number(/^members\/(\d+)$/.exec(problem.where)?.[1] ?? -1);
    if (index < first) continue;
    if (problem.reason.code === 'member.badSignature') return { ok: false, code: 'catchUp.badSignature' };
    if (problem.reason.code === 'member.malformed') return { ok: false, code: 'catchUp.malformed' };
    if (ADMIN_ONLY.has(problem.reason.code)) return { ok: false, code: 'catchUp.notAdmin' };
  }
  const rotation = state.rotation;
  if (!rotation || rotation.epoch <= input.epoch) return { ok: false, code: 'catchUp.noNewerKey' };
  const sealed = rotation.sealed[input.device];
  const self = state.members.get(input.device);
  if (!sealed || !self || self.revoked) return { ok: false, code: 'catchUp.notForThisDevice' };
  const key = await openSealed(sealed, input.boxKeys, input.network, rotation.epoch, input.device);
  if (!key || key.length !== NETWORK_KEY_BYTES) return { ok: false, code: 'catchUp.unreadable' };
  return { ok: true, epoch: rotation.epoch, key };
}

/** A network key this device held before a rotation, kept to wait in its room and to seal sync files. */
export interface PastKey {
  epoch: number;
  /** base64url (sealed at rest in the desktop app, like the current key). */
  key: string;
  /** When it was replaced: it is served for CATCH_UP_WINDOW_MS after. */
  until: number;
}

export interface KeyedRow {
  networkKey: string;
  epoch?: number;
  previousKey?: string;
  pastKeys?: PastKey[];
}

/** The row after taking up a new key: the one it held joins its past keys (the newest few, still fresh). */
export function withNewKey<R extends KeyedRow>(row: R, key: string, epoch: number, now: number): R {
  const past = [
    ...(row.pastKeys ?? []).filter((p) => p.epoch !== (row.epoch ?? 0)),
    { epoch: row.epoch ?? 0, key: row.networkKey, until: now },
  ]
    .filter((p) => now - p.until < CATCH_UP_WINDOW_MS)
    .sort((a, b) => a.epoch - b.epoch)
    .slice(-MAX_CATCH_UP_ROTATIONS);
  return { ...row, networkKey: key, epoch, previousKey: row.networkKey, pastKeys: past };
}

/**
 * The past keys this device still serves, newest first: in their rooms (within the network's window,
 * `days`) and in the sync files it makes (within 90 days: a file reveals no one's presence).
 */
export function keysToServe(row: KeyedRow, now: number, days: number = MAX_CATCH_UP_DAYS): PastKey[] {
  const windowMs = Math.min(days, MAX_CATCH_UP_DAYS) * DAY_MS;
  return (row.pastKeys ?? [])
    .filter((p) => p.epoch < (row.epoch ?? 0) && now - p.until < windowMs && p.key !== row.networkKey)
    .sort((a, b) => b.epoch - a.epoch)
    .slice(0, MAX_CATCH_UP_ROTATIONS);
}
