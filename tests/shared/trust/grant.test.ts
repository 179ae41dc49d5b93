import { beforeAll, describe, expect, it } from 'vitest';
import { catchUpMaterial, walkToCurrentKey } from '../../../shared/trust/catchUp';
import { evaluateMembers, type MemberOp, type SignedOp } from '../../../shared/trust/members';
import { openSealed, sealTo } from '../../../shared/trust/seal';
import {
  approve,
  genesis,
  network,
  request,
  revoke,
  signed,
  testDevices,
  T0,
  type TestDevice,
} from './fixtures';

/**
 * A rotation seals the new key only to members: a device that was waiting for approval when the key
 * changed (or whose approval raced the rotation) is left without it. An admin then **grants** it the key
 * of that rotation, sealed to the device's own key. Every replica merges the grants of the newest
 * rotation's epoch into its sealed copies, wherever they sit in the log, for members it still holds.
 */

let net: string;
let founder: TestDevice;
let lost: TestDevice;
let pending: TestDevice;
let stranger: TestDevice;
let second: TestDevice;
const boxOf = (d: TestDevice) => ({ privateKey: d.keys.boxPrivateKey, publicKey: d.keys.boxPublicKey });
const keyOf = (epoch: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + epoch * 31) & 0xff);

beforeAll(async () => {
  ({ net, founder } = await network());
  [lost, pending, stranger, second] = await testDevices(61, 62, 63, 64);
});

const seal = (d: TestDevice, epoch: number) => sealTo(d.box, keyOf(epoch), net, epoch, d.id);

const grant = async (by: TestDevice, epoch: number, to: readonly TestDevice[], at = T0 + 8000) => {
  const sealed: Record<string, string> = {};
  for (const d of to) sealed[d.id] = await seal(d, epoch);
  return signed({ t: 'grant', net, epoch, sealed, at } satisfies MemberOp, by);
};

/** The founder and a device later lost; `pending` asked to join; the lost one is revoked: epoch 1. */
async function rotatedWhilePending(): Promise<{ before: SignedOp[]; rotation: SignedOp[] }> {
  const before = [
    await genesis(net, founder),
    await approve(net, founder, lost, { box: lost.box, at: T0 + 100 }),
    await request(net, pending, { at: T0 + 200 }),
  ];
  const rotation = [
    await revoke(net, founder, lost.id, 0, null, T0 + 5000),
    await signed(
      { t: 'rotate', net, epoch: 1, sealed: { [founder.id]: await seal(founder, 1) }, at: T0 + 6000 },
      founder,
    ),
  ];
  return { before, rotation };
}

const opens = async (state: Awaited<ReturnType<typeof evaluateMembers>>, d: TestDevice) => {
  const copy = state.rotation?.sealed[d.id];
  return copy ? openSealed(copy, boxOf(d), net, state.rotation!.epoch, d.id) : null;
};

describe('granting a rotated key to members the rotation left out', () => {
  it('a device approved after the rotation gets the key from a grant; before, it had none', async () => {
    const { before, rotation } = await rotatedWhilePending();
    const approved = [...before, ...rotation, await approve(net, founder, pending, { at: T0 + 7000 })];
    const without = await evaluateMembers(net, approved);
    expect(without.rotation?.sealed[pending.id]).toBeUndefined();

    const state = await evaluateMembers(net, [...approved, await grant(founder, 1, [pending])]);
    expect(state.problems).toEqual([]);
    expect(await opens(state, pending)).toEqual(keyOf(1));
    // The rotation's own copies stay.
    expect(await opens(state, founder)).toEqual(keyOf(1));
  });

  it('counts a grant placed before its rotation or its approval, but only for members not revoked', async () => {
    const { before, rotation } = await rotatedWhilePending();
    const g = await grant(founder, 1, [pending, lost, stranger]);
    const state = await evaluateMembers(net, [
      ...before,
      g,
      ...rotation,
      await approve(net, founder, pending, { at: T0 + 7000 }),
    ]);
    expect(Object.keys(state.rotation!.sealed).sort()).toEqual([founder.id, pending.id].sort());
    // A request alone is not membership: a device only asking (the lost laptop can ask too) gets nothing.
    const asking = await evaluateMembers(net, [...before, ...rotation, g]);
    expect(asking.rotation!.sealed[pending.id]).toBeUndefined();
  });

  it("keeps the rotation's own copy and the first grant's, and ignores grants of another epoch", async () => {
    const { before, rotation } = await rotatedWhilePending();
    const approved = await approve(net, founder, pending, { at: T0 + 7000 });
    const rotationCopy = JSON.parse(rotation[1]![0]).sealed[founder.id] as string;
    const first = await grant(founder, 1, [pending, founder], T0 + 8000);
    const later = await grant(founder, 1, [pending], T0 + 9000);
    const state = await evaluateMembers(net, [
      ...before,
      ...rotation,
      approved,
      first,
      later,
      await grant(founder, 2, [lost]),
    ]);
    expect(state.rotation!.sealed[founder.id]).toBe(rotationCopy);
    expect(state.rotation!.sealed[pending.id]).toBe(JSON.parse(first[0]).sealed[pending.id]);
    expect(state.rotation!.epoch).toBe(1);
  });

  it('refuses a grant from a device that is not an admin, naming it', async () => {
    const { before, rotation } = await rotatedWhilePending();
    const log = [
      ...before,
      await approve(net, founder, second, { box: second.box, at: T0 + 300 }),
      ...rotation,
      await approve(net, founder, pending, { at: T0 + 7000 }),
      await grant(second, 1, [pending]),
    ];
    const state = await evaluateMembers(net, log);
    expect(state.rotation!.sealed[pending.id]).toBeUndefined();
    expect(state.problems).toEqual([
      { where: `members/${log.length - 1}`, reason: { code: 'member.grantNotAdmin' } },
    ]);
  });

  it('a grant larger than a rotation may be is malformed', async () => {
    const sealed: Record<string, string> = {};
    for (let i = 0; i < 481; i++) sealed[`dev${String(i).padStart(5, '0')}`] = 'x';
    const op = await signed({ t: 'grant', net, epoch: 1, sealed, at: T0 } as MemberOp, founder);
    const state = await evaluateMembers(net, [await genesis(net, founder), op]);
    expect(state.problems).toEqual([{ where: 'members/1', reason: { code: 'member.malformed' } }]);
  });
});

describe('catch-up material with grants', () => {
  it('lets a device that was only asking to join when the key changed walk to it once approved', async () => {
    const { before, rotation } = await rotatedWhilePending();
    const full = [
      ...before,
      ...rotation,
      await approve(net, founder, pending, { at: T0 + 7000 }),
      await grant(founder, 1, [pending]),
    ];
    const material = catchUpMaterial(net, full);
    // The revocation, the rotation, the approval and the grant.
    expect(material?.ops).toHaveLength(4);
    const walk = (d: TestDevice, log: readonly unknown[], m: unknown) =>
      walkToCurrentKey({ network: net, log, material: m, device: d.id, epoch: 0, boxKeys: boxOf(d) });
    // It knows the log only up to its own request.
    expect(await walk(pending, before, material)).toEqual({ ok: true, epoch: 1, key: keyOf(1) });
    // Without the grant it has nothing; the lost laptop never has anything.
    expect(await walk(pending, before, catchUpMaterial(net, full.slice(0, -1)))).toEqual({
      ok: false,
      code: 'catchUp.notForThisDevice',
    });
    expect(await walk(lost, before, material)).toEqual({ ok: false, code: 'catchUp.notForThisDevice' });
  });

  it('refuses material whose grant or approval a non-admin signed', async () => {
    const { before, rotation } = await rotatedWhilePending();
    const known = [...before, await approve(net, founder, second, { box: second.box, at: T0 + 300 })];
    const walk = (m: unknown) =>
      walkToCurrentKey({
        network: net,
        log: known,
        material: m,
        device: pending.id,
        epoch: 0,
        boxKeys: boxOf(pending),
      });
    const forgedGrant = [
      ...known,
      ...rotation,
      await approve(net, founder, pending, { at: T0 + 7000 }),
      await grant(second, 1, [pending]),
    ];
    expect(await walk(catchUpMaterial(net, forgedGrant))).toEqual({ ok: false, code: 'catchUp.notAdmin' });
    const forgedApproval = [
      ...known,
      ...rotation,
      await approve(net, second, pending, { at: T0 + 7000 }),
      await grant(founder, 1, [pending]),
    ];
    expect(await walk(catchUpMaterial(net, forgedApproval))).toEqual({ ok: false, code: 'catchUp.notAdmin' });
  });

  it('carries grants only of the rotations it keeps, and approvals only of granted devices', async () => {
    const { before, rotation } = await rotatedWhilePending();
    const full = [
      ...before,
      await approve(net, founder, second, { box: second.box, at: T0 + 300 }),
      await grant(founder, 7, [second]),
      ...rotation,
    ];
    // No grant of epoch 1: neither the stale grant nor the approval of `second` travels.
    expect(catchUpMaterial(net, full)?.ops).toHaveLength(2);
  });
});

describe('the bounds of catch-up material with grants', () => {
  it('keeps the newest 32 grants and the newest 32 approvals of granted devices', async () => {
    const { before, rotation } = await rotatedWhilePending();
    const many = await testDevices(...Array.from({ length: 40 }, (_, i) => 200 + i));
    const approvals = await Promise.all(many.map((d, i) => approve(net, founder, d, { at: T0 + 7000 + i })));
    // One grant per device, each its own operation: 40 grants, 40 approved devices.
    const grants = await Promise.all(many.map((d, i) => grant(founder, 1, [d], T0 + 9000 + i)));
    const material = catchUpMaterial(net, [...before, ...rotation, ...approvals, ...grants]);
    const kinds = (material?.ops ?? []).map((op) => (JSON.parse(op[0]) as { t: string }).t);
    expect(kinds.filter((t) => t === 'grant')).toHaveLength(32);
    expect(kinds.filter((t) => t === 'approve')).toHaveLength(32);
    // The newest of each, in the log's order.
    expect(material!.ops.slice(-32)).toEqual(grants.slice(-32));
    expect(material!.ops.filter((op) => op[0].includes('"t":"approve"'))).toEqual(approvals.slice(-32));
    expect(kinds.slice(0, 2)).toEqual(['revoke', 'rotate']);
  });
});
