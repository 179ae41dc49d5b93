import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CATCH_UP_WINDOW_MS,
  catchUpMaterial,
  claimedEpoch,
  keysToServe,
  MAX_CATCH_UP_CHARS,
  MAX_CATCH_UP_REVOCATIONS,
  MAX_CATCH_UP_ROTATIONS,
  walkToCurrentKey,
  withNewKey,
  type CatchUpMaterial,
} from '../../../shared/trust/catchUp';
import { evaluateMembers, networkIdOf, type MemberOp, type SignedOp } from '../../../shared/trust/members';
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
    // Built inside each test, never in a hook: mutation testing switches a mutant on per test, so material
    // made in a beforeAll would never be made by the mutated catchUpMaterial.
    const fixture = async () => {
      const base = await baseLog();
      const material = catchUpMaterial(net, [...base, ...(await rotations([devices[0]!, devices[1]!]))])!;
      return { base, material };
    };
    const d = () => devices[3]!;

    it('any altered character of an operation', async () => {
      const { base, material } = await fixture();
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
      const { base, material } = await fixture();
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

    it('a rotation or revocation signed by a device that is not an admin (the revoked one, say)', async () => {
      const { base, material } = await fixture();
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
      // The same when the device's own log is longer (the forged operation lands at index 10 or later).
      const longer = [...base, ...(await rotations([devices[0]!, devices[1]!]))];
      expect(longer.length).toBeGreaterThanOrEqual(10);
      expect(await walk(d(), longer, { v: 1, net, ops: [forged] }, 2)).toEqual({
        ok: false,
        code: 'catchUp.notAdmin',
      });
      const revocation = await revoke(net, devices[2]!, d().id, 0, null, T0 + 9001);
      expect(await walk(d(), base, { ...material, ops: [...material.ops, revocation] })).toEqual({
        ok: false,
        code: 'catchUp.notAdmin',
      });
    });

    it('a signed rotation that is not a valid operation (epoch 0)', async () => {
      const { base } = await fixture();
      const bad = await signed(
        {
          t: 'rotate',
          net,
          epoch: 0,
          sealed: { [d().id]: await sealTo(d().box, keyOf(1), net, 0, d().id) },
          at: T0 + 9000,
        },
        founder,
      );
      expect(await walk(d(), base, { v: 1, net, ops: [bad] })).toEqual({
        ok: false,
        code: 'catchUp.malformed',
      });
    });

    it('another network, another kind of operation, or no material at all', async () => {
      const { base, material } = await fixture();
      expect(await walk(d(), base, { ...material, net: 'othernet0001' })).toEqual({
        ok: false,
        code: 'catchUp.otherNetwork',
      });
      // Approvals travel (with grants); a genesis, a request or a setting never does.
      const genesisOp = base[0]!;
      expect(await walk(d(), base, { ...material, ops: [genesisOp] })).toEqual({
        ok: false,
        code: 'catchUp.malformed',
      });
      for (const junk of [null, 'x', 7, {}, { v: 2, net, ops: material.ops }, { v: 1, net, ops: [] }])
        expect(await walk(d(), base, junk)).toEqual({ ok: false, code: 'catchUp.malformed' });
    });

    it('more operations, or longer ones, than material may hold', async () => {
      const { base, material } = await fixture();
      const many = Array.from({ length: 200 }, () => material.ops[0]!);
      expect(await walk(d(), base, { ...material, ops: many })).toEqual({
        ok: false,
        code: 'catchUp.tooLarge',
      });
      // Too many and malformed besides: still too large (the peer is told what matters most).
      expect(await walk(d(), base, { ...material, net: 'NOT AN ID', ops: many })).toEqual({
        ok: false,
        code: 'catchUp.tooLarge',
      });
      const long = [['x'.repeat(70_000), material.ops[0]![1], material.ops[0]![2]]];
      expect(await walk(d(), base, { ...material, ops: long })).toEqual({
        ok: false,
        code: 'catchUp.tooLarge',
      });
    });

    it('material over 128 KiB in all, each operation within its own bound', async () => {
      const { base, material } = await fixture();
      const [, by, sig] = material.ops[0]!;
      // Three operations of the same length whose JSON comes to exactly `chars`.
      const sized = (chars: number) => {
        const empty = JSON.stringify({
          v: 1,
          net,
          ops: [
            ['', by, sig],
            ['', by, sig],
            ['', by, sig],
          ],
        }).length;
        const each = (chars - empty) / 3;
        const rest = (chars - empty) % 3;
        return {
          v: 1,
          net,
          ops: [0, 1, 2].map((i) => ['x'.repeat(Math.floor(each) + (i < rest ? 1 : 0)), by, sig]),
        };
      };
      const atBound = sized(MAX_CATCH_UP_CHARS);
      expect(JSON.stringify(atBound).length).toBe(MAX_CATCH_UP_CHARS);
      // At the bound it is read (and these operations are not member operations at all).
      expect(await walk(d(), base, atBound)).toEqual({ ok: false, code: 'catchUp.malformed' });
      const over = sized(MAX_CATCH_UP_CHARS + 1);
      expect(JSON.stringify(over).length).toBe(MAX_CATCH_UP_CHARS + 1);
      expect(await walk(d(), base, over)).toEqual({ ok: false, code: 'catchUp.tooLarge' });
    });
  });

  describe('which device the newest rotation is for', () => {
    it('a device approved after the newest rotation finds nothing sealed to it', async () => {
      const [late] = await testDevices(46);
      const log = [...(await baseLog()), ...(await rotations([devices[0]!]))];
      const joined = [...log, await approve(net, founder, late, { box: late.box, at: T0 + 8000 })];
      const material = catchUpMaterial(net, joined);
      expect(await walk(late, joined.slice(0, 6).concat(joined.slice(-1)), material)).toEqual({
        ok: false,
        code: 'catchUp.notForThisDevice',
      });
    });

    it('a device revoked after the newest rotation (before the next one) takes nothing', async () => {
      const base = await baseLog();
      const full = [
        ...base,
        ...(await rotations([devices[0]!])),
        await revoke(net, founder, devices[2]!.id, 0),
      ];
      const material = catchUpMaterial(net, full)!;
      expect(material.ops).toHaveLength(3);
      expect(await walk(devices[2]!, base, material)).toEqual({
        ok: false,
        code: 'catchUp.notForThisDevice',
      });
      expect(await walk(devices[3]!, base, material)).toEqual({ ok: true, epoch: 1, key: keyOf(1) });
    });

    it('a copy sealed to the wrong key, or that is not a network key, is unreadable', async () => {
      const base = await baseLog();
      const d = devices[3]!;
      const other = devices[4]!;
      for (const [sealed, epoch] of [
        [await sealTo(other.box, keyOf(1), net, 1, d.id), 1],
        [await sealTo(d.box, keyOf(1).slice(0, 16), net, 2, d.id), 2],
      ] as const) {
        const op = await signed(
          { t: 'rotate', net, epoch, sealed: { [d.id]: sealed }, at: T0 + 6000 },
          founder,
        );
        expect(await walk(d, base, catchUpMaterial(net, [...base, op]))).toEqual({
          ok: false,
          code: 'catchUp.unreadable',
        });
      }
    });
  });

  describe("what the device's own log holds", () => {
    it('junk and refused operations already in its log do not make good material refused', async () => {
      const base = await baseLog();
      const material = catchUpMaterial(net, [...base, ...(await rotations([devices[0]!]))]);
      const forged = await signed({ t: 'rotate', net, epoch: 7, sealed: {}, at: T0 + 7000 }, devices[1]!);
      const local = [...base, null, 'x', [1, 2, 3], forged];
      const state = await evaluateMembers(net, local);
      expect(state.problems.map((p) => p.reason.code)).toEqual([
        'member.malformed',
        'member.malformed',
        'member.malformed',
        'member.rotateNotAdmin',
      ]);
      expect(await walk(devices[3]!, local, material)).toEqual({ ok: true, epoch: 1, key: keyOf(1) });
    });

    it('operations it already holds are taken as they are', async () => {
      const base = await baseLog();
      const first = await rotations([devices[0]!]);
      const later = await rotations([devices[1]!], 1);
      const material = catchUpMaterial(net, [...base, ...first, ...later]);
      expect(await walk(devices[3]!, [...base, ...first, later[0]!], material, 1)).toEqual({
        ok: true,
        epoch: 2,
        key: keyOf(2),
      });
    });

    it('a network upgraded from before member logs, anchored on its admin, catches up too', async () => {
      const old = 'oldnet0001';
      const log: SignedOp[] = [
        await genesis(old, founder),
        await approve(old, founder, devices[3]!, { box: devices[3]!.box, at: T0 + 100 }),
      ];
      const sealed = { [devices[3]!.id]: await sealTo(devices[3]!.box, keyOf(1), old, 1, devices[3]!.id) };
      const op = await signed({ t: 'rotate', net: old, epoch: 1, sealed, at: T0 + 6000 }, founder);
      const material = catchUpMaterial(old, [...log, op]);
      const input = {
        network: old,
        log,
        material,
        device: devices[3]!.id,
        epoch: 0,
        boxKeys: boxOf(devices[3]!),
      };
      expect(await walkToCurrentKey({ ...input, anchor: networkIdOf(founder.key) })).toEqual({
        ok: true,
        epoch: 1,
        key: keyOf(1),
      });
      // Without its anchor the founder is not an admin of that network, and neither is its rotation.
      expect(await walkToCurrentKey(input)).toEqual({ ok: false, code: 'catchUp.notAdmin' });
    });
  });
});

/** A rotation sealing epoch's key to `d`, signed by the founder. */
async function rotationTo(d: TestDevice, epoch: number, at = T0 + 6000 + epoch): Promise<SignedOp> {
  const sealed = { [d.id]: await sealTo(d.box, keyOf(epoch), net, epoch, d.id) };
  return signed({ t: 'rotate', net, epoch, sealed, at }, founder);
}

/** A rotation of about 48,000 characters: sealed to `d` and to 400 more devices (the same copy, as a filler). */
async function bigRotationTo(d: TestDevice, epoch: number): Promise<SignedOp> {
  const one = await sealTo(d.box, keyOf(epoch), net, epoch, d.id);
  const sealed: Record<string, string> = { [d.id]: one };
  for (let i = 0; i < 400; i++) sealed[`dev${String(i).padStart(5, '0')}`] = one;
  return signed({ t: 'rotate', net, epoch, sealed, at: T0 + 6000 + epoch }, founder);
}

const epochsOf = (material: CatchUpMaterial | null) =>
  material!.ops.map((op) => JSON.parse(op[0]) as { t: string; epoch?: number }).map((op) => op.epoch ?? op.t);

describe('the material a device hands out', () => {
  it('leaves out what is not a rotation or revocation of this network, however it got into the log', async () => {
    const base = await baseLog();
    const d = devices[3]!;
    const foreign = await signed(
      {
        t: 'rotate',
        net: 'othernet0001',
        epoch: 5,
        sealed: { [d.id]: await sealTo(d.box, keyOf(5), 'othernet0001', 5, d.id) },
        at: T0 + 7000,
      },
      founder,
    );
    const noEpoch = await signed(
      { t: 'rotate', net, epoch: '6', sealed: {}, at: T0 + 7001 } as unknown as MemberOp,
      founder,
    );
    const good = await rotationTo(d, 1);
    const log = [...base, null, 'x', [1, 2, 3], ['not json', founder.id, good[2]], foreign, noEpoch, good];
    const material = catchUpMaterial(net, log);
    expect(material).toEqual({ v: 1, net, ops: [good] });
    expect(await walk(d, base, material)).toEqual({ ok: true, epoch: 1, key: keyOf(1) });
  });

  it('the newest rotations by epoch, wherever the log holds them', async () => {
    const base = await baseLog();
    const d = devices[3]!;
    const n = MAX_CATCH_UP_ROTATIONS + 1;
    // The newest rotation first in the log (two admins' operations can land in any order).
    const log = [...base, await rotationTo(d, n)];
    for (let epoch = 1; epoch < n; epoch++) log.push(await rotationTo(d, epoch));
    const material = catchUpMaterial(net, log);
    expect(epochsOf(material)).toEqual([n, ...Array.from({ length: n - 2 }, (_, i) => i + 2)]);
    expect(await walk(d, base, material)).toEqual({ ok: true, epoch: n, key: keyOf(n) });
  });

  it('never more rotations than its bound, even with two rotations to one epoch', async () => {
    const base = await baseLog();
    const d = devices[3]!;
    const log = [...base];
    for (let epoch = 1; epoch <= MAX_CATCH_UP_ROTATIONS; epoch++) log.push(await rotationTo(d, epoch));
    log.push(await rotationTo(d, MAX_CATCH_UP_ROTATIONS, T0 + 9999));
    const material = catchUpMaterial(net, log);
    expect(material!.ops).toHaveLength(MAX_CATCH_UP_ROTATIONS);
    expect(epochsOf(material)[0]).toBe(2);
    expect(await walk(d, base, material)).toMatchObject({ ok: true, epoch: MAX_CATCH_UP_ROTATIONS });
  });

  it('the newest revocations, within their bound, in the log order', async () => {
    const base = await baseLog();
    const d = devices[3]!;
    const gone = Array.from(
      { length: MAX_CATCH_UP_REVOCATIONS + 3 },
      (_, i) => `gone${String(i).padStart(4, '0')}`,
    );
    const revocations = await Promise.all(
      gone.map((id, i) => revoke(net, founder, id, 0, null, T0 + 5000 + i)),
    );
    const rotation = await rotationTo(d, 1);
    const log = [...base, ...revocations.slice(0, 10), rotation, ...revocations.slice(10)];
    const material = catchUpMaterial(net, log)!;
    expect(material.ops).toHaveLength(MAX_CATCH_UP_REVOCATIONS + 1);
    expect(material.ops[0]).toEqual(revocations[3]);
    expect(material.ops[7]).toEqual(rotation);
    expect(material.ops.at(-1)).toEqual(revocations.at(-1));
    expect(await walk(d, base, material)).toEqual({ ok: true, epoch: 1, key: keyOf(1) });
  });

  it('over 128 KiB: the oldest operations are left out, the newest rotation always stays', async () => {
    const base = await baseLog();
    const d = devices[3]!;
    const [r1, r2, r3] = [await bigRotationTo(d, 1), await bigRotationTo(d, 2), await bigRotationTo(d, 3)];
    expect(JSON.stringify([r1, r2, r3]).length).toBeGreaterThan(MAX_CATCH_UP_CHARS);
    for (const [log, epochs] of [
      [
        [r1, r2, r3],
        [2, 3],
      ],
      [
        [r3, r1, r2],
        [3, 2],
      ],
      [
        [r2, r3, r1],
        [3, 1],
      ],
    ] as const) {
      const material = catchUpMaterial(net, [...base, ...log]);
      expect(epochsOf(material)).toEqual(epochs);
      expect(JSON.stringify(material).length).toBeLessThanOrEqual(MAX_CATCH_UP_CHARS);
      expect(await walk(d, base, material)).toEqual({ ok: true, epoch: 3, key: keyOf(3) });
    }
  });

  it('over 128 KiB with two rotations to the newest epoch: keeps the one every replica takes (the first)', async () => {
    const base = await baseLog();
    const d = devices[3]!;
    const first = await bigRotationTo(d, 2);
    // A second admin's rotation to the same epoch, at once, with another key.
    const one = await sealTo(d.box, keyOf(22), net, 2, d.id);
    const sealed: Record<string, string> = { [d.id]: one };
    for (let i = 0; i < 400; i++) sealed[`dev${String(i).padStart(5, '0')}`] = one;
    const second = await signed({ t: 'rotate', net, epoch: 2, sealed, at: T0 + 7000 }, founder);
    const material = catchUpMaterial(net, [...base, first, await bigRotationTo(d, 1), second]);
    expect(material!.ops).toEqual([first, second]);
    expect(await walk(d, base, material)).toEqual({ ok: true, epoch: 2, key: keyOf(2) });
  });

  it('claims the newest epoch among its rotations only', async () => {
    const d = devices[3]!;
    const [r2, r1] = [await rotationTo(d, 2), await rotationTo(d, 1)];
    const revocation = await signed(
      { t: 'revoke', net, dev: 'gone0001', cut: 0, hash: null, at: T0, epoch: 9 } as unknown as MemberOp,
      founder,
    );
    const noEpoch = await signed(
      { t: 'rotate', net, epoch: '9', sealed: {}, at: T0 + 7001 } as unknown as MemberOp,
      founder,
    );
    expect(claimedEpoch({ v: 1, net, ops: [r2, r1] })).toBe(2);
    expect(claimedEpoch({ v: 1, net, ops: [['not json', founder.id, r1[2]], revocation, noEpoch, r1] })).toBe(
      1,
    );
    expect(claimedEpoch({ v: 1, net, ops: [revocation, noEpoch] })).toBe(0);
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

  it('a key is kept for exactly the window after it was replaced', () => {
    const r = withNewKey(row, 'k1', 1, T0);
    expect(keysToServe(r, T0 + CATCH_UP_WINDOW_MS - 1).map((p) => p.key)).toEqual(['k0']);
    expect(keysToServe(r, T0 + CATCH_UP_WINDOW_MS)).toEqual([]);
    // Taking up the next key after the window no longer keeps the first.
    expect(withNewKey(r, 'k2', 2, T0 + CATCH_UP_WINDOW_MS).pastKeys).toEqual([
      { epoch: 1, key: 'k1', until: T0 + CATCH_UP_WINDOW_MS },
    ]);
    expect(withNewKey(r, 'k2', 2, T0 + CATCH_UP_WINDOW_MS - 1).pastKeys!.map((p) => p.key)).toEqual([
      'k0',
      'k1',
    ]);
  });

  it('one past key per epoch: of two keys taken up at one epoch, the one held last', () => {
    let r = withNewKey(row, 'k1', 1, T0);
    r = withNewKey(r, 'k1b', 1, T0 + 1);
    r = withNewKey(r, 'k2', 2, T0 + 2);
    expect(r.pastKeys!.map((p) => [p.epoch, p.key])).toEqual([
      [0, 'k0'],
      [1, 'k1b'],
    ]);
    expect(keysToServe(r, T0 + 3).map((p) => p.key)).toEqual(['k1b', 'k0']);
  });

  it('the newest epochs are kept and served, whatever order the row stored them in', () => {
    const stored = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10].map((epoch) => ({ epoch, key: `k${epoch}`, until: T0 }));
    const row11 = { networkKey: 'k11', epoch: 11, pastKeys: stored };
    expect(keysToServe(row11, T0 + 1).map((p) => p.epoch)).toEqual([10, 9, 8, 7, 6, 5, 4, 3]);
    const r = withNewKey(row11, 'k12', 12, T0 + 1);
    expect(r.pastKeys!.map((p) => p.epoch)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('never serves the current key, nor a key of the current epoch or later', () => {
    const r = {
      networkKey: 'k3',
      epoch: 3,
      pastKeys: [
        { epoch: 1, key: 'k1', until: T0 },
        { epoch: 2, key: 'k3', until: T0 },
        { epoch: 3, key: 'k3other', until: T0 },
        { epoch: 4, key: 'k4', until: T0 },
      ],
    };
    expect(keysToServe(r, T0 + 1).map((p) => p.key)).toEqual(['k1']);
    expect(keysToServe({ networkKey: 'k0' }, T0)).toEqual([]);
  });
});
