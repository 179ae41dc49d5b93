import { describe, expect, it } from 'vitest';
import {
  catchUpMaterial,
  MAX_CATCH_UP_APPROVALS,
  MAX_CATCH_UP_CHARS,
  MAX_CATCH_UP_ROTATIONS,
  setAsideOps,
  walkToCurrentKey,
  type CatchUpMaterial,
} from '../../../shared/trust/catchUp';
import { evaluateMembers, type MemberOp, type SignedOp } from '../../../shared/trust/members';
import { sealTo } from '../../../shared/trust/seal';
import { approve, genesis, network, signed, T0, testDevices, type TestDevice } from './fixtures';

/**
 * Catch-up material at its edges (catchUp.ts): material of exactly 128 KiB goes out whole and is read,
 * one character more and the oldest operation stays behind; and a revoked admin's operation that the
 * member log leaves out (signed after its revocation) does not make the rest of the material refused.
 */

const keyOf = (epoch: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + epoch * 31) & 0xff);
const boxOf = (d: TestDevice) => ({ privateKey: d.keys.boxPrivateKey, publicKey: d.keys.boxPublicKey });
const epochsOf = (material: CatchUpMaterial | null) =>
  material!.ops.map((op) => (JSON.parse(op[0]) as { epoch: number }).epoch);

async function world() {
  const { net, founder, a } = await network();
  const [d] = await testDevices(81);
  const base: SignedOp[] = [
    await genesis(net, founder),
    await approve(net, founder, a, { role: 'admin', at: T0 + 10 }),
    await approve(net, founder, d, { box: d.box, at: T0 + 20 }),
  ];
  const walk = (material: unknown) =>
    walkToCurrentKey({ network: net, log: base, material, device: d.id, epoch: 0, boxKeys: boxOf(d) });
  const copies = new Map<number, string>();
  for (const epoch of [1, 2, 3]) copies.set(epoch, await sealTo(d.box, keyOf(epoch), net, epoch, d.id));
  /** A founder's rotation to `epoch` sealed to `d`, with copies for `fillers` more devices and `pad` more characters. */
  const rotation = (epoch: number, fillers: number, pad = 0): MemberOp => {
    const copy = copies.get(epoch)!;
    const sealed: Record<string, string> = { [d.id]: copy };
    for (let i = 0; i < fillers; i++) sealed[`away${String(i).padStart(5, '0')}`] = copy;
    // Another device's copy, of the length that brings the material to the size wanted (at most 200).
    if (pad > 0) sealed.padding = 'x'.repeat(pad);
    return { t: 'rotate', net, epoch, sealed, at: T0 + 6000 + epoch };
  };
  return { net, founder, a, d, base, walk, rotation };
}

describe('catch-up material at 128 KiB', () => {
  it('of exactly 128 KiB goes out whole and is read; one character more leaves the oldest rotation out', async () => {
    const w = await world();
    const r1 = await signed(w.rotation(1, 380), w.founder);
    const r2 = await signed(w.rotation(2, 380), w.founder);
    // The newest rotation grows copy by copy until one more would pass the bound; a padding copy fills the rest.
    const sizeWith = (op: MemberOp) =>
      JSON.stringify({ v: 1, net: w.net, ops: [r1, r2, [JSON.stringify(op), w.founder.id, r1[2]]] }).length;
    let fillers = 0;
    while (sizeWith(w.rotation(3, fillers + 1, 1)) <= MAX_CATCH_UP_CHARS) fillers++;
    const pad = 1 + MAX_CATCH_UP_CHARS - sizeWith(w.rotation(3, fillers, 1));
    expect(pad).toBeGreaterThan(0);
    expect(pad).toBeLessThan(200);

    const atBound = await signed(w.rotation(3, fillers, pad), w.founder);
    const whole = catchUpMaterial(w.net, [...w.base, r1, r2, atBound]);
    expect(JSON.stringify(whole).length).toBe(MAX_CATCH_UP_CHARS);
    expect(whole!.ops).toEqual([r1, r2, atBound]);
    expect(await w.walk(whole)).toEqual({ ok: true, epoch: 3, key: keyOf(3) });

    const over = await signed(w.rotation(3, fillers, pad + 1), w.founder);
    const trimmed = catchUpMaterial(w.net, [...w.base, r1, r2, over]);
    expect(epochsOf(trimmed)).toEqual([2, 3]);
    expect(await w.walk(trimmed)).toEqual({ ok: true, epoch: 3, key: keyOf(3) });
    // Handed over untrimmed, the same operations are refused as too large.
    expect(await w.walk({ v: 1, net: w.net, ops: [r1, r2, over] })).toEqual({
      ok: false,
      code: 'catchUp.tooLarge',
    });
  });
});

describe('catch-up material with one grant to many devices', () => {
  it('carries the newest 32 approvals of the devices it names, however many it names', async () => {
    const w = await world();
    const rotation = await signed(w.rotation(1, 0), w.founder);
    const many = await testDevices(...Array.from({ length: MAX_CATCH_UP_APPROVALS + 8 }, (_, i) => 300 + i));
    const approvals = await Promise.all(
      many.map((d) => approve(w.net, w.founder, d, { box: d.box, at: T0 + 7000 })),
    );
    // An admin grants the key to all forty at once, in one operation.
    const grant = await signed(
      {
        t: 'grant',
        net: w.net,
        epoch: 1,
        sealed: Object.fromEntries(many.map((d) => [d.id, 'x'])),
        at: T0 + 8000,
      },
      w.founder,
    );
    const material = catchUpMaterial(w.net, [...w.base, rotation, ...approvals, grant]);
    expect(material!.ops).toEqual([rotation, ...approvals.slice(-MAX_CATCH_UP_APPROVALS), grant]);
  });
});

describe('a revoked admin’s operation the member log leaves out', () => {
  it('does not make the material refused: the device takes up the key of the rotation that counts', async () => {
    const w = await world();
    // The founder revokes A, keeping nothing A signed (A had signed nothing), then rotates to epoch 1.
    const revokeA = await signed(
      {
        t: 'revoke',
        net: w.net,
        dev: w.a.id,
        cut: 0,
        hash: null,
        keep: { n: 0, h: null, old: [] },
        at: T0 + 5000,
      },
      w.founder,
    );
    const good = await signed(w.rotation(1, 0), w.founder);
    // A's laptop, revoked, goes on rotating to an epoch of its own, sealed to the device that was away.
    const stolen = await signed(
      {
        t: 'rotate',
        net: w.net,
        epoch: 2,
        sealed: { [w.d.id]: await sealTo(w.d.box, keyOf(99), w.net, 2, w.d.id) },
        at: T0 + 7000,
        n: 1,
      },
      w.a,
    );
    const material = catchUpMaterial(w.net, [...w.base, revokeA, good, stolen]);
    // Every rotation goes (the replay decides which counts), and the revocation with them.
    expect(material!.ops).toEqual([revokeA, good, stolen]);
    expect(await w.walk(material)).toEqual({ ok: true, epoch: 1, key: keyOf(1) });
  });
});

describe('operations the member log sets aside', () => {
  it('never push the real rotations out: a hub device signing rotations to higher epochs', async () => {
    const w = await world();
    const real = await signed(w.rotation(1, 0), w.founder);
    // D is a member, not an admin, and holds the doc: it appends nine rotations of its own, to epochs far
    // above the real one, each sealing a key of its choosing to itself.
    const forged = await Promise.all(
      Array.from({ length: MAX_CATCH_UP_ROTATIONS + 1 }, (_, i) =>
        signed({ t: 'rotate', net: w.net, epoch: 1_000 + i, sealed: {}, at: T0 + 9000 + i }, w.d),
      ),
    );
    const log = [...w.base, real, ...forged];
    // Read blindly, the newest eight epochs are all D's: the real rotation is left out.
    expect(epochsOf(catchUpMaterial(w.net, log))).not.toContain(1);
    // As the member log judges them, D's are set aside (rotateNotAdmin) and the material holds the real one.
    const state = await evaluateMembers(w.net, log);
    const setAside = setAsideOps(state.problems);
    expect([...setAside].sort((a, b) => a - b)).toEqual(forged.map((_, i) => w.base.length + 1 + i));
    const material = catchUpMaterial(w.net, log, setAside);
    expect(material!.ops).toEqual([real]);
    expect(await w.walk(material)).toEqual({ ok: true, epoch: 1, key: keyOf(1) });
  });

  it('reads the positions of set-aside operations from the problems, and nothing else', () => {
    expect(
      [
        ...setAsideOps([
          { where: 'members/3' },
          { where: 'members/12' },
          { where: 'members' },
          { where: 'members/x' },
          { where: 'items/4' },
          { where: 'members/7/extra' },
        ]),
      ].sort((a, b) => a - b),
    ).toEqual([3, 12]);
  });
});
