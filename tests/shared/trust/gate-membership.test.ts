import { describe, expect, it } from 'vitest';
import { idOf, type Entry } from '../../../shared/entries';
import { Gate, type GateInput } from '../../../shared/trust/gate';
import {
  evaluateMembers,
  linkAfter,
  type Link,
  type MemberOp,
  type SignedOp,
} from '../../../shared/trust/members';
import { headOf, network, signed, T0, type TestDevice } from './fixtures';

/**
 * A device can stop being a member without being revoked itself: strong removal leaves out what a revoked
 * admin signed beyond what its revocation keeps, its approvals included. What such a device recorded and
 * the gate already counted must stop counting here too, as on a device that sees the whole log at once.
 */

/** Signs member operations as one device, each linked to the one before (its own chain). */
function signer(device: TestDevice) {
  let link: Link = { n: 1 };
  return async (op: MemberOp): Promise<SignedOp> => {
    const out = await signed({ ...op, ...link }, device);
    link = linkAfter(out);
    return out;
  };
}

const donation = (device: string, seq: number): Entry => ({
  kind: 'donation',
  hub: 'hub2',
  device,
  seq,
  item: 'itma',
  at: T0 + seq,
  recordedAt: T0 + seq,
  qty: 5,
  source: 'individual',
});

describe('a device whose approval no longer counts', () => {
  it('has what the gate already counted of it derived again, and a fresh gate counts none of it', async () => {
    const { net, founder, a, b } = await network();
    const f = signer(founder);
    const x = signer(a);
    const genesis = await f({
      t: 'genesis',
      net,
      dev: founder.id,
      key: founder.key,
      name: 'F',
      hub: 'hub1',
      at: T0,
    });
    const adminA = await f({
      t: 'approve',
      net,
      dev: a.id,
      key: a.key,
      name: 'A',
      hub: 'hub1',
      role: 'admin',
      at: T0 + 1,
    });
    // A's laptop, taken, admits B; the founder revokes A keeping nothing of what it signed.
    const approveB = await x({
      t: 'approve',
      net,
      dev: b.id,
      key: b.key,
      name: 'B',
      hub: 'hub2',
      role: 'hub',
      at: T0 + 2,
    });
    const revokeA = await f({
      t: 'revoke',
      net,
      dev: a.id,
      cut: 0,
      hash: null,
      at: T0 + 3,
      keep: { n: 0, h: null, old: [] },
    });
    const before = await evaluateMembers(net, [genesis, adminA, approveB]);
    const after = await evaluateMembers(net, [genesis, adminA, approveB, revokeA]);
    expect(before.members.get(b.id)).toMatchObject({ role: 'hub', hub: 'hub2' });
    expect(after.members.has(b.id)).toBe(false);

    const entries = [donation(b.id, 1), donation(b.id, 2)];
    const heads = new Map([[b.id, headOf(net, b.id, entries)]]);
    const step = (gate: Gate, input: Partial<GateInput>) => {
      const result = gate.step({ entries: [], heads, members: before, membersChanged: false, ...input });
      gate.adopt(result);
      return result;
    };

    const gate = new Gate(net);
    expect(step(gate, { entries }).release.map(idOf)).toEqual(entries.map(idOf));
    // The revocation arrives: B's two donations counted, and no longer should.
    expect(step(gate, { members: after, membersChanged: true }).rebuild).toBe(true);
    // What the rebuild gives, and what a device that sees the whole log at once gives: nothing of B counts.
    const fresh = new Gate(net);
    const rebuilt = step(fresh, { entries, members: after, membersChanged: true });
    expect(rebuilt.release).toEqual([]);
    expect(rebuilt.rebuild).toBe(false);
    expect(fresh.devices.get(b.id)?.held.map(idOf)).toEqual(entries.map(idOf));
  });

  it('is no removal on a device started from a checkpoint whose member list lacks the approval yet', async () => {
    const { net, founder, b } = await network();
    const f = signer(founder);
    const genesis = await f({
      t: 'genesis',
      net,
      dev: founder.id,
      key: founder.key,
      name: 'F',
      hub: 'hub1',
      at: T0,
    });
    const approveB = await f({
      t: 'approve',
      net,
      dev: b.id,
      key: b.key,
      name: 'B',
      hub: 'hub2',
      role: 'hub',
      at: T0 + 1,
    });
    const alone = await evaluateMembers(net, [genesis]);
    const approved = await evaluateMembers(net, [genesis, approveB]);
    const entries = [donation(b.id, 1), donation(b.id, 2), donation(b.id, 3)];
    const heads = new Map([[b.id, headOf(net, b.id, entries)]]);
    // The checkpoint's maker counted B's first two entries as a hub device of hub2.
    const maker = new Gate(net);
    maker.adopt(
      maker.step({
        entries: entries.slice(0, 2),
        heads: new Map([[b.id, headOf(net, b.id, entries.slice(0, 2))]]),
        members: approved,
        membersChanged: true,
      }),
    );
    const covered = maker.devices.get(b.id)!;
    expect(covered).toMatchObject({ decided: 2, judgedAs: 'hub|hub2' });

    const gate = new Gate(net);
    gate.load([{ ...covered, vouched: true }]);
    const step = (input: Partial<GateInput>) => {
      const result = gate.step({ entries: [], heads, members: alone, membersChanged: false, ...input });
      gate.adopt(result);
      return result;
    };
    // Here the member list has only the founder so far: B's third entry waits, nothing is taken back.
    const waiting = step({ entries: entries.slice(2), membersChanged: true });
    expect(waiting.rebuild).toBe(false);
    expect(waiting.release).toEqual([]);
    expect(gate.devices.get(b.id)?.held.map(idOf)).toEqual([idOf(entries[2]!)]);
    // The approval arrives: the entry counts, judged here now.
    const counted = step({ members: approved, membersChanged: true });
    expect(counted.rebuild).toBe(false);
    expect(counted.release.map(idOf)).toEqual([idOf(entries[2]!)]);
    expect(gate.devices.get(b.id)).not.toHaveProperty('vouched');
    // From then on, B gone from the list (its approval left out) is a removal like any other.
    expect(step({ members: alone, membersChanged: true }).rebuild).toBe(true);
  });
});
