import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateMembers } from '../../../shared/trust/members';

/**
 * A member log from the Byzantine convergence test (seed 167), kept as it was, real signatures and all:
 * the founder revoked a taken admin laptop, keeping only its request; the laptop then placed, before that
 * revocation, two revocations of the founder (one without a chain link, one linked) and approvals and
 * rotations of its own. Judged afresh each round of strong removal, the two revocations took turns being
 * overruled by seniority, and after the last round the founder stood revoked on every replica.
 */
const fixture = JSON.parse(
  readFileSync(new URL('./logs/revoked-admin-two-revocations.json', import.meta.url), 'utf8'),
) as { net: string; anchor: string | null; founder: string; taken: string; log: unknown[] };

describe('a revoked admin that revokes the founder twice, before its own revocation', () => {
  it('loses to the founder: the founder stays, the laptop is revoked and all it signed after is left out', async () => {
    const state = await evaluateMembers(fixture.net, fixture.log, fixture.anchor ?? fixture.net);
    expect(state.members.get(fixture.founder)?.revoked).toBeUndefined();
    expect(state.members.get(fixture.founder)?.role).toBe('admin');
    expect(state.members.get(fixture.taken)?.revoked?.by).toBe(fixture.founder);
    // Its approvals, rotations and both revocations of the founder (7 to 12, and 14) count nowhere.
    const leftOut = state.problems
      .filter((p) => p.reason.code === 'member.afterRevocation')
      .map((p) => p.where);
    expect(leftOut.sort()).toEqual(
      ['members/7', 'members/8', 'members/9', 'members/10', 'members/11', 'members/12', 'members/14'].sort(),
    );
    expect(state.problems.filter((p) => p.reason.code !== 'member.afterRevocation')).toEqual([]);
  });
});
