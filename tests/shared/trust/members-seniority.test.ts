import { describe, expect, it } from 'vitest';
import {
  evaluateMembers,
  linkAfter,
  opHash,
  type Keep,
  type Link,
  type MemberOp,
  type MemberState,
  type SignedOp,
} from '../../../shared/trust/members';
import { msg } from '../../../shared/messages';
import { network, signed, T0, testDevice, type TestDevice } from './fixtures';

/**
 * Who stands when admins revoke each other, and which of a revoked device's operations are left out: the
 * cases members-revoked.test.ts does not reach. Seniority is where a device became an admin (not where it
 * first appears in the log), a demoted admin is not a revoked one, and a refused revocation only overrules
 * the revocation of its own signer by the device it revokes.
 */

const reasons = (state: MemberState) => state.problems.map((p) => `${p.where}: ${p.reason.code}`);
const revokedBy = (state: MemberState) =>
  [...state.members.values()].filter((m) => m.revoked).map((m) => [m.device, m.revoked!.by]);

/** Signs operations as one device, each linked to the one before it (its own chain). */
function signer(device: TestDevice) {
  let link: Link = { n: 1 };
  const ops: SignedOp[] = [];
  return {
    async sign(op: MemberOp, at: Link = link): Promise<SignedOp> {
      const out = await signed({ ...op, ...at }, device);
      link = linkAfter(out);
      ops.push(out);
      return out;
    },
    /** What a revocation made now keeps of this device's operations (what its revoker has seen). */
    keep(): Keep {
      const last = ops.at(-1);
      return last
        ? { n: JSON.parse(last[0]).n as number, h: opHash(last[0], last[1]), old: [] }
        : { n: 0, h: null, old: [] };
    },
  };
}
type Signer = ReturnType<typeof signer>;

async function world() {
  const { net, founder, a, b, c } = await network();
  const f = signer(founder);
  const xa = signer(a);
  const xb = signer(b);
  const xc = signer(c);
  const genesis = await f.sign({
    t: 'genesis',
    net,
    dev: founder.id,
    key: founder.key,
    name: 'Founder',
    hub: 'hub1',
    at: T0,
  });
  const approve = (by: Signer, d: TestDevice, role: 'admin' | 'hub' = 'hub', at = T0 + 10) =>
    by.sign({ t: 'approve', net, dev: d.id, key: d.key, name: 'D', hub: 'hub2', role, at });
  const revoke = (by: Signer, dev: string, keep: Keep | undefined, at = T0 + 100) =>
    by.sign({ t: 'revoke', net, dev, cut: 0, hash: null, at, ...(keep ? { keep } : {}) });
  return { net, founder, a, b, c, f, xa, xb, xc, genesis, approve, revoke };
}

describe('two admins revoking each other, neither having seen the other’s revocation', () => {
  it('the one made an admin first stands, though the other was approved with another role before it', async () => {
    const w = await world();
    const bAsHub = await w.approve(w.f, w.b, 'hub'); // B is in the list before A...
    const adminA = await w.approve(w.f, w.a, 'admin');
    const adminB = await w.approve(w.f, w.b, 'admin'); // ...but an admin after A.
    const [keepA, keepB] = [w.xa.keep(), w.xb.keep()]; // what each had seen of the other
    const aRevokesB = await w.revoke(w.xa, w.b.id, keepB);
    const bRevokesA = await w.revoke(w.xb, w.a.id, keepA);
    for (const log of [
      [w.genesis, bAsHub, adminA, adminB, aRevokesB, bRevokesA],
      [w.genesis, bAsHub, adminA, adminB, bRevokesA, aRevokesB],
    ]) {
      const state = await evaluateMembers(w.net, log);
      expect(revokedBy(state)).toEqual([[w.b.id, w.a.id]]);
      expect(state.members.get(w.a.id)).toMatchObject({ role: 'admin' });
      expect(reasons(state)).toEqual([`members/${log.indexOf(bRevokesA)}: member.afterRevocation`]);
    }
  });

  it('nor does a request the junior one signed before the senior was an admin make it senior', async () => {
    const w = await world();
    const requestB = await w.xb.sign({
      t: 'request',
      net: w.net,
      dev: w.b.id,
      key: w.b.key,
      name: 'B',
      hub: 'hub2',
      role: 'hub',
      at: T0 + 1,
    });
    const adminA = await w.approve(w.f, w.a, 'admin');
    const adminB = await w.approve(w.f, w.b, 'admin');
    const [keepA, keepB] = [w.xa.keep(), w.xb.keep()];
    const aRevokesB = await w.revoke(w.xa, w.b.id, keepB);
    const bRevokesA = await w.revoke(w.xb, w.a.id, keepA);
    const state = await evaluateMembers(w.net, [w.genesis, requestB, adminA, adminB, aRevokesB, bRevokesA]);
    expect(revokedBy(state)).toEqual([[w.b.id, w.a.id]]);
  });

  it('an admin approved again later (another hub, say) keeps the seniority of its first approval', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const adminB = await w.approve(w.f, w.b, 'admin');
    const againA = await w.approve(w.f, w.a, 'admin', T0 + 50);
    const [keepA, keepB] = [w.xa.keep(), w.xb.keep()];
    const aRevokesB = await w.revoke(w.xa, w.b.id, keepB);
    const bRevokesA = await w.revoke(w.xb, w.a.id, keepA);
    for (const log of [
      [w.genesis, adminA, adminB, againA, aRevokesB, bRevokesA],
      [w.genesis, adminA, adminB, againA, bRevokesA, aRevokesB],
    ])
      expect(revokedBy(await evaluateMembers(w.net, log))).toEqual([[w.b.id, w.a.id]]);
  });

  it('a senior’s revocation from before chains (keeping nothing named) still outranks the junior’s', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const fRevokesA = await w.revoke(w.f, w.a.id, undefined);
    const aRevokesF = await w.revoke(w.xa, w.founder.id, w.f.keep());
    // Nothing of A's is left out (the founder's revocation names nothing): A's is refused, not overruling.
    const state = await evaluateMembers(w.net, [w.genesis, adminA, fRevokesA, aRevokesF]);
    expect(revokedBy(state)).toEqual([[w.a.id, w.founder.id]]);
    expect(reasons(state)).toEqual(['members/3: member.revokeNotAdmin']);
  });

  it('a senior that had seen a junior’s revocation from before chains stays revoked by it', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const aRevokesF = await w.revoke(w.xa, w.founder.id, undefined);
    // The founder signs after seeing A's revocation of itself: it was no longer an admin.
    const fRevokesA = await w.revoke(w.f, w.a.id, w.xa.keep());
    const state = await evaluateMembers(w.net, [w.genesis, adminA, aRevokesF, fRevokesA]);
    expect(revokedBy(state)).toEqual([[w.founder.id, w.a.id]]);
    expect(reasons(state)).toEqual(['members/3: member.revokeNotAdmin']);
  });
});

describe('a revocation refused because its signer is not an admin', () => {
  it('by an admin demoted before it signed, does not overrule its own later revocation', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const adminB = await w.approve(w.f, w.b, 'admin');
    const demoteA = await w.approve(w.f, w.a, 'hub');
    const aRevokesB = await w.revoke(w.xa, w.b.id, w.xb.keep()); // A is a hub device here: refused
    const bRevokesA = await w.revoke(w.xb, w.a.id, w.xa.keep());
    const state = await evaluateMembers(w.net, [w.genesis, adminA, adminB, demoteA, aRevokesB, bRevokesA]);
    expect(revokedBy(state)).toEqual([[w.a.id, w.b.id]]);
    expect(state.members.get(w.b.id)).toMatchObject({ role: 'admin' });
  });

  it('by a revoked admin, overrules only a revocation of itself by the device it revokes', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const adminB = await w.approve(w.f, w.b, 'admin');
    const hubC = await w.approve(w.f, w.c, 'hub');
    const bRevokesA = await w.revoke(w.xb, w.a.id, w.xa.keep());
    // A, senior to B, revokes C, not B: B's revocation of A stands, and A's of C never counts.
    const aRevokesC = await w.revoke(w.xa, w.c.id, w.xc.keep());
    const state = await evaluateMembers(w.net, [w.genesis, adminA, adminB, hubC, bRevokesA, aRevokesC]);
    expect(revokedBy(state)).toEqual([[w.a.id, w.b.id]]);
    expect(state.members.get(w.c.id)?.revoked).toBeUndefined();
    expect(reasons(state)).toEqual(['members/5: member.afterRevocation']);
  });

  it('by a device that only asked to join and was revoked, is refused like any other', async () => {
    const w = await world();
    const requestC = await w.xc.sign({
      t: 'request',
      net: w.net,
      dev: w.c.id,
      key: w.c.key,
      name: 'C',
      hub: 'hub2',
      role: 'hub',
      at: T0 + 1,
    });
    const fRevokesC = await w.revoke(w.f, w.c.id, undefined);
    const cRevokesF = await w.revoke(w.xc, w.founder.id, w.f.keep());
    const state = await evaluateMembers(w.net, [w.genesis, requestC, fRevokesC, cRevokesF]);
    expect(revokedBy(state)).toEqual([[w.c.id, w.founder.id]]);
    expect(state.requests.has(w.c.id)).toBe(false);
    expect(reasons(state)).toEqual(['members/3: member.revokeNotAdmin']);
  });
});

describe('what strong removal leaves out', () => {
  it('is reported in log order, whichever revoked device it belongs to', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const adminB = await w.approve(w.f, w.b, 'admin');
    const fRevokesA = await w.revoke(w.f, w.a.id, w.xa.keep());
    const fRevokesB = await w.revoke(w.f, w.b.id, w.xb.keep());
    // Each, after its revocation, approves C; B places its approval early, A late.
    const bApprovesC = await w.approve(w.xb, w.c, 'admin', T0 + 20);
    const aApprovesC = await w.approve(w.xa, w.c, 'admin', T0 + 200);
    const state = await evaluateMembers(w.net, [
      w.genesis,
      adminA,
      adminB,
      bApprovesC,
      fRevokesA,
      fRevokesB,
      aApprovesC,
    ]);
    expect(state.members.has(w.c.id)).toBe(false);
    expect(reasons(state)).toEqual([
      'members/3: member.afterRevocation',
      'members/6: member.afterRevocation',
    ]);
  });
});

describe('what a revocation made now would keep of a device (`signed`)', () => {
  it('is the highest number of its chain, wherever the log placed it', async () => {
    const w = await world();
    const r1 = await w.f.sign({ t: 'rotate', net: w.net, epoch: 1, sealed: {}, at: T0 + 1 });
    const r2 = await w.f.sign({ t: 'rotate', net: w.net, epoch: 2, sealed: {}, at: T0 + 2 });
    const state = await evaluateMembers(w.net, [w.genesis, r2, r1]);
    expect(state.signed.get(w.founder.id)).toEqual({ n: 3, h: opHash(r2[0], r2[1]), old: [] });
  });

  it('of two operations at one number (a fork), the first in the log', async () => {
    const w = await world();
    const next = linkAfter(w.genesis);
    const one = await w.f.sign({ t: 'rotate', net: w.net, epoch: 1, sealed: {}, at: T0 + 1 }, next);
    const other = await w.f.sign({ t: 'rotate', net: w.net, epoch: 5, sealed: {}, at: T0 + 1 }, next);
    for (const [first, second] of [
      [one, other],
      [other, one],
    ] as const) {
      const state = await evaluateMembers(w.net, [w.genesis, first, second]);
      expect(state.signed.get(w.founder.id)).toEqual({ n: 2, h: opHash(first[0], first[1]), old: [] });
    }
  });
});

describe('a request or genesis names its own key', () => {
  it('signed by another device’s key it names for itself, it is a bad signature, not a request', async () => {
    const w = await world();
    const stranger = await testDevice(9);
    // Claims to be B, carries the stranger's key and is signed by it.
    const claim = await signed(
      {
        t: 'request',
        net: w.net,
        dev: w.b.id,
        key: stranger.key,
        name: 'B',
        hub: 'hub2',
        role: 'hub',
        at: T0,
      },
      stranger,
      w.b.id,
    );
    const state = await evaluateMembers(w.net, [w.genesis, claim]);
    expect(state.requests.size).toBe(0);
    expect(state.keys.has(w.b.id)).toBe(false);
    expect(state.problems).toEqual([{ where: 'members/1', reason: msg('member.badSignature') }]);
  });
});

/**
 * The removal rounds settle only when what they leave out stops changing. A weakened seniority rule (a
 * refusal that is not a revoked admin's, a revocation of the refused signer by a third device, a signer
 * that had seen its own revocation) makes the rounds swing between two states; these logs are ones where
 * the state they would end on is not the right one, so the volunteer would see another member list.
 */
describe('a refused revocation that must not overrule anything', () => {
  it('placed before its signer’s approval: what the later revocation of its signer keeps still counts', async () => {
    const w = await world();
    // A signs a revocation of B, and Yjs places it before A's approval (anyone can place early).
    const aRevokesB = await w.revoke(w.xa, w.b.id, w.xb.keep(), T0 + 5);
    const aApprovesC = await w.approve(w.xa, w.c, 'hub', T0 + 20);
    const adminA = await w.approve(w.f, w.a, 'admin');
    const adminB = await w.approve(w.f, w.b, 'admin');
    // B had seen both of A's operations and keeps them; the log places A's approval of C after it.
    const bRevokesA = await w.revoke(w.xb, w.a.id, w.xa.keep());
    const log = [w.genesis, aRevokesB, adminA, adminB, bRevokesA, aApprovesC];
    const state = await evaluateMembers(w.net, log);
    expect(revokedBy(state)).toEqual([[w.a.id, w.b.id]]);
    expect(state.members.get(w.c.id)).toMatchObject({ role: 'hub', approvedBy: w.a.id });
    expect(reasons(state)).toEqual(['members/1: member.revokeNotAdmin']);
  });

  it('by a senior admin revoked by a third one: what the device it names approves afterwards counts', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const adminB = await w.approve(w.f, w.b, 'admin');
    const fRevokesA = await w.revoke(w.f, w.a.id, w.xa.keep());
    // A, senior to B and not having seen the founder's revocation, revokes B; B goes on approving C.
    const aRevokesB = await w.revoke(w.xa, w.b.id, w.xb.keep());
    const bApprovesC = await w.approve(w.xb, w.c, 'hub', T0 + 200);
    const log = [w.genesis, adminA, adminB, fRevokesA, aRevokesB, bApprovesC];
    const state = await evaluateMembers(w.net, log);
    expect(revokedBy(state)).toEqual([[w.a.id, w.founder.id]]);
    expect(state.members.get(w.b.id)).toMatchObject({ role: 'admin' });
    expect(state.members.get(w.c.id)).toMatchObject({ role: 'hub', approvedBy: w.b.id });
    expect(reasons(state)).toEqual(['members/4: member.afterRevocation']);
  });

  it('by a senior that had seen its own revocation: what the junior approves afterwards counts', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const aRevokesF = await w.revoke(w.xa, w.founder.id, w.f.keep());
    // The founder revokes A after seeing A's revocation of itself (it keeps it); A then approves C.
    const fRevokesA = await w.revoke(w.f, w.a.id, w.xa.keep());
    const aApprovesC = await w.approve(w.xa, w.c, 'hub', T0 + 200);
    const log = [w.genesis, adminA, aRevokesF, fRevokesA, aApprovesC];
    const state = await evaluateMembers(w.net, log);
    expect(revokedBy(state)).toEqual([[w.founder.id, w.a.id]]);
    expect(state.members.get(w.c.id)).toMatchObject({ role: 'hub', approvedBy: w.a.id });
    expect(reasons(state)).toEqual(['members/3: member.afterRevocation']);
  });
});
