import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateMembers, withLentOps, type SignedOp } from '../../../shared/trust/members';
import { msg } from '../../../shared/messages';
import { approve, genesis, network, request, type TestDevice } from './fixtures';

/**
 * A member log lent to a device that started from a checkpoint (the one its bundle carried), replayed with
 * its doc's own until the doc holds it: what it adds, in which order, and that it cannot forge.
 */
let net: string;
let founder: TestDevice;
let a: TestDevice;
let b: TestDevice;
let log: { genesis: SignedOp; requestA: SignedOp; approveA: SignedOp; requestB: SignedOp };

beforeAll(async () => {
  ({ net, founder, a, b } = await network());
  log = {
    genesis: await genesis(net, founder),
    requestA: await request(net, a),
    approveA: await approve(net, founder, a),
    requestB: await request(net, b),
  };
});

/** As a Y.Array holds them, and as JSON brings them: fresh arrays, equal by value only. */
const copies = (ops: readonly SignedOp[]) => ops.map((op) => [...op]);

describe('a lent member log', () => {
  it('is the doc’s own log when there is none, or when the doc holds all of it', () => {
    const own = copies([log.genesis, log.requestA, log.approveA]);
    expect(withLentOps(own, null)).toBe(own);
    expect(withLentOps(own, [])).toBe(own);
    // In another order, or not all of the doc's: the doc's own order decides.
    expect(withLentOps(own, copies([log.approveA, log.genesis]))).toBe(own);
  });

  it('comes first, in its own order, the doc’s operations it lacks after, none twice', () => {
    const own = copies([log.requestB, log.genesis]);
    const lent = copies([log.genesis, log.requestA, log.approveA]);
    expect(withLentOps(own, lent)).toEqual(copies([log.genesis, log.requestA, log.approveA, log.requestB]));
  });

  it('is not used when it would push the doc’s own operations past what a replay reads', () => {
    const own = copies([log.genesis, log.requestA]);
    const padded = [
      ...copies([log.approveA]),
      ...Array.from({ length: 9_999 }, (_, i) => ['pad', 'x', String(i)]),
    ];
    expect(withLentOps(own, padded)).toBe(own);
    // Up to the limit, it is.
    expect(withLentOps(own, padded.slice(0, 9_998))).toHaveLength(10_000);
  });

  it('approves what its signers approved, and no more', async () => {
    // The doc holds only this device's request; the lent log the network's founding and its approval.
    const own = copies([log.requestA]);
    const lent = copies([log.genesis, log.approveA]);
    expect((await evaluateMembers(net, own)).members.has(a.id)).toBe(false);
    const state = await evaluateMembers(net, withLentOps(own, lent));
    expect(state.members.get(a.id)?.role).toBe('hub');
    expect(state.problems).toEqual([]);
  });

  it('cannot forge: an approval by a device that is no admin is refused and reported, lent or not', async () => {
    const forged = await approve(net, b, b);
    const state = await evaluateMembers(net, withLentOps(copies([log.requestB]), [log.genesis, forged]));
    expect(state.members.has(b.id)).toBe(false);
    expect(state.requests.has(b.id)).toBe(true);
    expect(state.problems.map((p) => p.reason)).toEqual([msg('member.approveNotAdmin')]);
  });
});
