import { describe, expect, it } from 'vitest';
import {
  evaluateMembers,
  linkAfter,
  MAX_KEEP_OLD,
  nextLink,
  opHash,
  type Keep,
  type Link,
  type MemberOp,
  type MemberState,
  type SignedOp,
} from '../../../shared/trust/members';
import { msg } from '../../../shared/messages';
import { network, signed, T0, type TestDevice } from './fixtures';

/**
 * Strong removal: a revoked admin's member operations count only as far as its revocation names them.
 * Yjs lets any key holder place an operation anywhere in the log (an item inserted after an early one,
 * exactly what an honest device's append after a long absence looks like), so where an operation sits
 * must never decide whether a revoked admin's later signature counts.
 */

const reasons = (state: MemberState) => state.problems.map((p) => `${p.where}: ${p.reason.code}`);

/** Signs operations as one device, each linked to the one before it (its own chain). */
function signer(device: TestDevice) {
  let link: Link = { n: 1 };
  const ops: SignedOp[] = [];
  return {
    device,
    ops,
    async sign(op: MemberOp, at: Link = link): Promise<SignedOp> {
      const out = await signed({ ...op, ...at }, device);
      link = linkAfter(out);
      ops.push(out);
      return out;
    },
    /** What a revocation made now keeps of this device's operations. */
    keep(): Keep {
      const last = ops.at(-1);
      return last ? { n: JSON.parse(last[0]).n as number, h: opHash(last[0], last[1]), old: [] } : none;
    },
  };
}
const none: Keep = { n: 0, h: null, old: [] };

async function world() {
  const { net, founder, a, b, c } = await network();
  const f = signer(founder);
  const x = signer(a); // an admin whose laptop is taken
  const genesis = await f.sign({
    t: 'genesis',
    net,
    dev: founder.id,
    key: founder.key,
    name: 'Founder',
    hub: 'hub1',
    at: T0,
  });
  const approve = (
    by: ReturnType<typeof signer>,
    d: TestDevice,
    role: 'admin' | 'hub' = 'hub',
    at = T0 + 10,
  ) => by.sign({ t: 'approve', net, dev: d.id, key: d.key, name: 'D', hub: 'hub2', role, at });
  const revoke = (by: ReturnType<typeof signer>, dev: string, keep: Keep | undefined, at = T0 + 100) =>
    by.sign({ t: 'revoke', net, dev, cut: 0, hash: null, at, ...(keep ? { keep } : {}) });
  return { net, founder, a, b, c, f, x, genesis, approve, revoke };
}

describe('a revoked admin’s operations count only as far as its revocation names them', () => {
  it('an approval it signs after its revocation, placed before the revocation in the log, admits nobody', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const approvedB = await w.approve(w.x, w.b); // A's first, seen by the founder
    const revokeA = await w.revoke(w.f, w.a.id, w.x.keep());
    // After its revocation, A's laptop signs an approval of C and places it early in the log.
    const backdated = await w.approve(w.x, w.c, 'admin', T0 + 20);
    const state = await evaluateMembers(w.net, [w.genesis, adminA, approvedB, backdated, revokeA]);
    expect(state.members.has(w.c.id)).toBe(false);
    expect(state.members.get(w.b.id)).toMatchObject({ role: 'hub', approvedBy: w.a.id });
    expect(state.members.get(w.a.id)?.revoked).toMatchObject({ by: w.founder.id });
    expect(reasons(state)).toEqual(['members/3: member.afterRevocation']);
  });

  it('the same log without the revocation’s list of what it keeps still admits C (how it was before)', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const revokeA = await w.revoke(w.f, w.a.id, undefined);
    const backdated = await w.approve(w.x, w.c, 'admin', T0 + 20);
    const state = await evaluateMembers(w.net, [w.genesis, adminA, backdated, revokeA]);
    expect(state.members.get(w.c.id)).toMatchObject({ role: 'admin' });
  });

  it('nor does a revocation of the honest admin it places before its own: the honest revocation stands', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const revokeA = await w.revoke(w.f, w.a.id, w.x.keep());
    // A saw its own revocation, and names it among the founder's operations it keeps.
    const counter = await w.revoke(w.x, w.founder.id, w.f.keep(), T0 + 50);
    const state = await evaluateMembers(w.net, [w.genesis, adminA, counter, revokeA]);
    expect(state.members.get(w.founder.id)?.revoked).toBeUndefined();
    expect(state.members.get(w.a.id)?.revoked).toMatchObject({ by: w.founder.id });
    expect(reasons(state)).toEqual(['members/2: member.afterRevocation']);
  });

  it('a fork of its chain (another operation at a number the revocation kept) does not count', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const first = await w.approve(w.x, w.b);
    const second = await w.approve(w.x, w.b, 'hub', T0 + 11);
    const revokeA = await w.revoke(w.f, w.a.id, w.x.keep());
    // Signed later at number 2, after A's first operation, as if it were its second.
    const fork = await w.x.sign(
      {
        t: 'approve',
        net: w.net,
        dev: w.c.id,
        key: w.c.key,
        name: 'C',
        hub: 'hub2',
        role: 'admin',
        at: T0 + 12,
      },
      linkAfter(first),
    );
    const state = await evaluateMembers(w.net, [w.genesis, adminA, first, fork, second, revokeA]);
    expect(state.members.has(w.c.id)).toBe(false);
    expect(state.members.get(w.b.id)?.approvedAt).toBe(T0 + 11);
    expect(reasons(state)).toEqual(['members/3: member.afterRevocation']);
  });

  it('an operation whose number does not follow the one it names is not on the chain', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const first = await w.approve(w.x, w.b);
    // Claims to be number 3 while naming number 1: the revocation naming it keeps only what it reaches.
    const skip = await w.x.sign(
      {
        t: 'approve',
        net: w.net,
        dev: w.c.id,
        key: w.c.key,
        name: 'C',
        hub: 'hub2',
        role: 'hub',
        at: T0 + 12,
      },
      { n: 3, p: opHash(first[0], first[1]) },
    );
    const revokeA = await w.revoke(w.f, w.a.id, { n: 3, h: opHash(skip[0], skip[1]), old: [] });
    const state = await evaluateMembers(w.net, [w.genesis, adminA, first, skip, revokeA]);
    expect(state.members.has(w.b.id)).toBe(false);
    expect(state.members.has(w.c.id)).toBe(true);
    expect(reasons(state)).toEqual(['members/2: member.afterRevocation']);
  });

  it('a revocation that keeps nothing of it leaves out even what it signed before', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const approvedB = await w.approve(w.x, w.b);
    const revokeA = await w.revoke(w.f, w.a.id, none);
    const state = await evaluateMembers(w.net, [w.genesis, adminA, approvedB, revokeA]);
    expect(state.members.has(w.b.id)).toBe(false);
  });

  it('operations from before chains count only when the revocation lists them by hash', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const unlinked = (d: TestDevice, at: number) =>
      signed(
        { t: 'approve', net: w.net, dev: d.id, key: d.key, name: 'D', hub: 'hub2', role: 'hub', at },
        w.a,
      );
    const old = await unlinked(w.b, T0 + 10);
    const revokeA = await w.revoke(w.f, w.a.id, { n: 0, h: null, old: [opHash(old[0], old[1])] });
    const forged = await unlinked(w.c, T0 + 20);
    const state = await evaluateMembers(w.net, [w.genesis, adminA, old, forged, revokeA]);
    expect(state.members.has(w.b.id)).toBe(true);
    expect(state.members.has(w.c.id)).toBe(false);
  });

  it('each device’s signed operations are listed as a revocation would keep them', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const approvedB = await w.approve(w.x, w.b);
    const unlinked = await signed(
      { t: 'approve', net: w.net, dev: w.c.id, key: w.c.key, name: 'C', hub: 'hub2', role: 'hub', at: T0 },
      w.a,
    );
    const state = await evaluateMembers(w.net, [w.genesis, adminA, approvedB, unlinked]);
    expect(state.signed.get(w.founder.id)).toEqual({ n: 2, h: opHash(adminA[0], adminA[1]), old: [] });
    expect(state.signed.get(w.a.id)).toEqual({
      n: 1,
      h: opHash(approvedB[0], approvedB[1]),
      old: [opHash(unlinked[0], unlinked[1])],
    });
    expect(nextLink(state.signed.get(w.a.id))).toEqual({ n: 2, p: opHash(approvedB[0], approvedB[1]) });
    expect(nextLink(undefined)).toEqual({ n: 1 });
    expect(state.signed.has(w.b.id)).toBe(false);
  });

  it('lists at most 256 operations from before chains', async () => {
    const w = await world();
    const ops: SignedOp[] = [w.genesis];
    for (let i = 0; i < MAX_KEEP_OLD + 2; i++)
      ops.push(await signed({ t: 'rotate', net: w.net, epoch: i + 1, sealed: {}, at: T0 + i }, w.founder));
    const state = await evaluateMembers(w.net, ops);
    expect(state.signed.get(w.founder.id)?.old).toHaveLength(MAX_KEEP_OLD);
    expect(state.signed.get(w.founder.id)?.old[0]).toBe(opHash(ops[1]![0], ops[1]![1]));
  });

  it('two admins revoking each other, neither having seen the other’s: the senior one stands, wherever each sits', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const keepF = w.f.keep();
    const keepA = w.x.keep();
    const fRevokesA = await w.revoke(w.f, w.a.id, keepA);
    const aRevokesF = await w.revoke(w.x, w.founder.id, keepF);
    for (const log of [
      [w.genesis, adminA, fRevokesA, aRevokesF],
      [w.genesis, adminA, aRevokesF, fRevokesA],
    ]) {
      const state = await evaluateMembers(w.net, log);
      const revoked = [...state.members.values()].filter((m) => m.revoked);
      expect(revoked.map((m) => [m.device, m.revoked!.by])).toEqual([[w.a.id, w.founder.id]]);
      expect(reasons(state)).toEqual([`members/${log.indexOf(aRevokesF)}: member.afterRevocation`]);
    }
  });

  it('a junior admin that had seen its own revocation does not overrule it by revoking the senior', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const fRevokesA = await w.revoke(w.f, w.a.id, w.x.keep());
    const aRevokesF = await w.revoke(w.x, w.founder.id, w.f.keep()); // keeps fRevokesA: it had seen it
    const state = await evaluateMembers(w.net, [w.genesis, adminA, aRevokesF, fRevokesA]);
    expect(state.members.get(w.founder.id)?.revoked).toBeUndefined();
    expect(state.members.get(w.a.id)?.revoked?.by).toBe(w.founder.id);
  });

  it('a senior admin revoked by a junior one, after it had seen that revocation, stays revoked', async () => {
    const w = await world();
    const adminA = await w.approve(w.f, w.a, 'admin');
    const aRevokesF = await w.revoke(w.x, w.founder.id, w.f.keep());
    // The founder signs after seeing it (it keeps A's revocation of itself): it was no longer an admin.
    const fRevokesA = await w.revoke(w.f, w.a.id, w.x.keep());
    const state = await evaluateMembers(w.net, [w.genesis, adminA, aRevokesF, fRevokesA]);
    expect(state.members.get(w.founder.id)?.revoked?.by).toBe(w.a.id);
    expect(state.members.get(w.a.id)?.revoked).toBeUndefined();
  });

  it('a revocation listing more than 256 old operations is malformed', async () => {
    const w = await world();
    const h = opHash(w.genesis[0], w.genesis[1]);
    const op = await signed(
      {
        t: 'revoke',
        net: w.net,
        dev: w.a.id,
        cut: 0,
        hash: null,
        at: T0,
        keep: { n: 0, h: null, old: Array.from({ length: MAX_KEEP_OLD + 1 }, () => h) },
      },
      w.founder,
    );
    const state = await evaluateMembers(w.net, [w.genesis, op]);
    expect(state.problems).toEqual([{ where: 'members/1', reason: msg('member.malformed') }]);
  });
});
