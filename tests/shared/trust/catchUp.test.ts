import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CATCH_UP_WINDOW_MS,
  catchUpMaterial,
  claimedEpoch,
  keysToServe,
  MAX_CATCH_UP_CHARS,
  MAX_CATCH_UP_ROTATIONS,
  walkToCurrentKey,
  withNewKey,
  type CatchUpMaterial,
} from '../../../shared/trust/catchUp';
import { evaluateMembers, type SignedOp } from '../../../shared/trust/members';
import { sealTo } from '../../../shared/trust/seal';
import { fcOptions } from '../arbitraries';
import { approve, genesis, network, revoke, signed, testDevices, T0, type TestDevice } from './fixtures';

/**
 * A device that was away while admins revoked devices and rotated the key catches up from the material
 * any remaining device (or sync file) carries: the signed rotations, each sealing the new key to every
 * remaining device. It reaches the current key however many rotations it missed; a revoked device never
 * does; altered, foreign, unsigned or oversized material is refused with its own code.
 */

let net: string;
let founder: TestDevice;
let devices: readonly TestDevice[];
const boxOf = (d: TestDevice) => ({ privateKey: d.keys.boxPrivateKey, publicKey: d.keys.boxPublicKey });
const keyOf = (epoch: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + epoch * 101) & 0xff);

beforeAll(async () => {
  ({ net, founder } = await network());
  devices = await testDevices(41, 42, 43, 44, 45);
});

/** The log up to everyone's approval: what a device that went away then holds. */
async function baseLog(): Promise<SignedOp[]> {
  return [
    await genesis(net, founder),
    ...(await Promise.all(devices.map((d, i) => approve(net, founder, d, { box: d.box, at: T0 + 100 + i })))),
  ];
}

/** Revokes each device of `revoked` in turn, rotating the key each time to the devices still in. */
async function rotations(revoked: readonly TestDevice[], from = 0): Promise<SignedOp[]> {
  const out: SignedOp[] = [];
  const gone = new Set<string>();
  for (const [i, r] of revoked.entries()) {
    const epoch = from + i + 1;
    gone.add(r.id);
    out.push(await revoke(net, founder, r.id, 0, null, T0 + 5000 + epoch));
    const sealed: Record<string, string> = {};
    for (const d of [founder, ...devices])
      if (!gone.has(d.id)) sealed[d.id] = await sealTo(d.box, keyOf(epoch), net, epoch, d.id);
    out.push(await signed({ t: 'rotate', net, epoch, sealed, at: T0 + 6000 + epoch }, founder));
  }
  return out;
}

const walk = (d: TestDevice, log: readonly unknown[], material: unknown, epoch = 0) =>
  walkToCurrentKey({ network: net, log, material, device: d.id, epoch, boxKeys: boxOf(d) });

describe('catching up with missed key rotations', () => {
  it('a device that missed 1, 2 or 3 rotations reaches the current key; revoked devices never do', async () => {
    const base = await baseLog();
    await fc.assert(
      fc.asyncProperty(
        // Which devices are revoked, in which order (1 to 3 rotations), and who was away.
        fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 1, maxLength: 3 }),
        fc.nat({ max: 4 }),
        async (order, away) => {
          const revoked = order.map((i) => devices[i]!);
          const full = [...base, ...(await rotations(revoked))];
          const material = catchUpMaterial(net, full);
          expect(material).not.toBeNull();
          const current = revoked.length;
          const d = devices[away]!;
          const result = await walk(d, base, material);
          if (revoked.includes(d)) {
            expect(result).toEqual({ ok: false, code: 'catchUp.notForThisDevice' });
          } else {
            expect(result).toEqual({ ok: true, epoch: current, key: keyOf(current) });
          }
          // Every revoked device, whatever it holds, finds nothing for it.
          for (const r of revoked)
            expect(await walk(r, base, material)).toEqual({ ok: false, code: 'catchUp.notForThisDevice' });
        },
      ),
      fcOptions(0.2),
    );
  });

  it('of several offers, the one that claims the newest key is tried first', async () => {
    const base = await baseLog();
    const first = await rotations([devices[0]!]);
    const later = await rotations([devices[1]!], 1);
    expect(claimedEpoch(catchUpMaterial(net, [...base, ...first]))).toBe(1);
    expect(claimedEpoch(catchUpMaterial(net, [...base, ...first, ...later]))).toBe(2);
    for (const junk of [null, {}, { v: 1, net, ops: [['{"t":"rotate"', 'x', 'y']] }])
      expect(claimedEpoch(junk)).toBe(0);
  });

  it('a device that already took up part of the way goes on from there', async () => {
    const base = await baseLog();
    const first = await rotations([devices[0]!]);
    const later = await rotations([devices[1]!, devices[2]!], 1);
    const material = catchUpMaterial(net, [...base, ...first, ...later]);
    const d = devices[3]!;
    expect(await walk(d, [...base, ...first], material, 1)).toEqual({ ok: true, epoch: 3, key: keyOf(3) });
    expect(await walk(d, [...base, ...first, ...later], material, 3)).toEqual({
      ok: false,
      code: 'catchUp.noNewerKey',
    });
  });

  it('the material holds only revocations and rotations, the newest, within its bounds', async () => {
    const base = await baseLog();
    expect(catchUpMaterial(net, base)).toBeNull();
    const full = [...base, ...(await rotations([devices[0]!, devices[1]!]))];
    const material = catchUpMaterial(net, full)!;
    expect(material.ops.map((op) => (JSON.parse(op[0]) as { t: string }).t)).toEqual([
      'revoke',
      'rotate',
      'revoke',
      'rotate',
    ]);
    // Many rotations: the newest MAX_CATCH_UP_ROTATIONS stay, and the newest one always.
    const many: SignedOp[] = [];
    for (let epoch = 1; epoch <= MAX_CATCH_UP_ROTATIONS + 3; epoch++)
      many.push(
        await signed(
          {
            t: 'rotate',
            net,
            epoch,
            sealed: {
              [devices[4]!.id]: await sealTo(devices[4]!.box, keyOf(epoch), net, epoch, devices[4]!.id),
            },
            at: T0 + 6000 + epoch,
          },
          founder,
        ),
      );
    const bounded = catchUpMaterial(net, [...base, ...many])!;
    expect(bounded.ops).toHaveLength(MAX_CATCH_UP_ROTATIONS);
    expect(JSON.stringify(bounded).length).toBeLessThanOrEqual(MAX_CATCH_UP_CHARS);
    expect(await walk(devices[4]!, base, bounded)).toMatchObject({
      ok: true,
      epoch: MAX_CATCH_UP_ROTATIONS + 3,
    });
  });

  it('a rotation to hundreds of devices is a valid operation (it was refused past about 30)', async () => {
    const sealed: Record<string, string> = {};
    const one = await sealTo(devices[0]!.box, keyOf(1), net, 1, devices[0]!.id);
    for (let i = 0; i < 200; i++) sealed[`dev${String(i).padStart(5, '0')}`] = one;
    sealed[devices[0]!.id] = one;
    const op = await signed({ t: 'rotate', net, epoch: 1, sealed, at: T0 + 6001 }, founder);
    expect(op[0].length).toBeGreaterThan(4000);
    const state = await evaluateMembers(net, [...(await baseLog()), op]);
    expect(state.problems).toEqual([]);
    expect(state.rotation?.epoch).toBe(1);
  });

  describe('refuses material it cannot trust, with a code', () => {
    let base: SignedOp[];
    let material: CatchUpMaterial;
    beforeAll(async () => {
      base = await baseLog();
      material = catchUpMaterial(net, [...base, ...(await rotations([devices[0]!, devices[1]!]))])!;
    });
    const d = () => devices[3]!;

    it('any altered character of an operation', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: material.ops.length - 1 }),
          fc.nat(),
          fc.constantFrom('A', 'b', '7', '_'),
          async (which, at, char) => {
            const op = material.ops[which]!;
            const i = at % op[0].length;
            if (op[0][i] === char) return;
            const altered = `${op[0].slice(0, i)}${char}${op[0].slice(i + 1)}`;
            const ops = material.ops.map((o, j) => (j === which ? ([altered, o[1], o[2]] as const) : o));
            const result = await walk(d(), base, { ...material, ops });
            expect(result.ok).toBe(false);
            expect(['catchUp.badSignature', 'catchUp.malformed', 'catchUp.otherNetwork']).toContain(
              !result.ok && result.code,
            );
          },
        ),
        fcOptions(0.3),
      );
    });

    it('a signature that does not verify', async () => {
      const ops = material.ops.map((o) => [
        o[0],
        o[1],
        `${o[2].slice(0, 85)}${o[2][85] === 'A' ? 'B' : 'A'}`,
      ]);
      expect(await walk(d(), base, { ...material, ops })).toEqual({
        ok: false,
        code: 'catchUp.badSignature',
      });
    });

    it('a rotation signed by a device that is not an admin (the revoked one, say)', async () => {
      const r = devices[0]!;
      const forged = await signed(
        {
          t: 'rotate',
          net,
          epoch: 9,
          sealed: { [d().id]: await sealTo(d().box, keyOf(99), net, 9, d().id) },
          at: T0 + 9000,
        },
        r,
      );
      expect(await walk(d(), base, { v: 1, net, ops: [forged] })).toEqual({
        ok: false,
        code: 'catchUp.notAdmin',
      });
    });

    it('another network, another kind of operation, or no material at all', async () => {
      expect(await walk(d(), base, { ...material, net: 'othernet0001' })).toEqual({
        ok: false,
        code: 'catchUp.otherNetwork',
      });
      const approval = base[1]!;
      expect(await walk(d(), base, { ...material, ops: [approval] })).toEqual({
        ok: false,
        code: 'catchUp.malformed',
      });
      for (const junk of [null, 'x', 7, {}, { v: 2, net, ops: material.ops }, { v: 1, net, ops: [] }])
        expect(await walk(d(), base, junk)).toEqual({ ok: false, code: 'catchUp.malformed' });
    });

    it('more operations, or longer ones, than material may hold', async () => {
      const many = Array.from({ length: 200 }, () => material.ops[0]!);
      expect(await walk(d(), base, { ...material, ops: many })).toEqual({
        ok: false,
        code: 'catchUp.tooLarge',
      });
      const long = [['x'.repeat(70_000), material.ops[0]![1], material.ops[0]![2]]];
      expect(await walk(d(), base, { ...material, ops: long })).toEqual({
        ok: false,
        code: 'catchUp.tooLarge',
      });
    });
  });
});

describe('the keys a device keeps after a rotation', () => {
  const row: Parameters<typeof withNewKey>[0] = { networkKey: 'k0', epoch: 0 };
  it('keeps the keys it replaced, for a bounded time and count, and serves their rooms', () => {
    const t = T0;
    let r = withNewKey(row, 'k1', 1, t);
    r = withNewKey(r, 'k2', 2, t + 1000);
    expect(r).toMatchObject({ networkKey: 'k2', epoch: 2, previousKey: 'k1' });
    expect(keysToServe(r, t + 2000).map((p) => p.key)).toEqual(['k1', 'k0']);
    expect(keysToServe(r, t + CATCH_UP_WINDOW_MS + 500).map((p) => p.key)).toEqual(['k1']);
    expect(keysToServe(r, t + CATCH_UP_WINDOW_MS + 2000)).toEqual([]);
    for (let e = 3; e < 30; e++) r = withNewKey(r, `k${e}`, e, t + e);
    expect(r.pastKeys).toHaveLength(MAX_CATCH_UP_ROTATIONS);
    expect(keysToServe(r, t + 100).map((p) => p.epoch)[0]).toBe(28);
  });
});
