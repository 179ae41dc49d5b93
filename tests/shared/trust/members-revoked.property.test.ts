import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateMembers,
  linkAfter,
  nextLink,
  opHash,
  type Keep,
  type Link,
  type MemberOp,
  type MemberState,
  type SignedOp,
} from '../../../shared/trust/members';
import { networkIdOf } from '../../../shared/trust/members';
import { signed, T0, testDevices, type TestDevice } from './fixtures';

/**
 * Whatever a revoked admin's laptop signs after its revocation (approvals, revocations of honest admins,
 * key rotations; chained, forked or in the format from before chains; claiming to have seen the
 * revocation or not), and wherever in the log it is placed, every replica's member list is the one it
 * would be without those operations.
 */

let founder: TestDevice;
let thief: TestDevice;
let devices: TestDevice[];
let net: string;
beforeAll(async () => {
  const all = await testDevices(21, 22, 23, 24, 25, 26);
  [founder, thief] = [all[0], all[1]];
  devices = all.slice(2);
  net = networkIdOf(founder.key);
});

function chainOf(device: TestDevice) {
  let link: Link = { n: 1 };
  const ops: SignedOp[] = [];
  return {
    ops,
    async sign(op: MemberOp, at: Link | null = link): Promise<SignedOp> {
      const out = await signed(at ? { ...op, ...at } : op, device);
      if (at) link = linkAfter(out);
      ops.push(out);
      return out;
    },
    keep(): Keep {
      const linked = ops.filter((o) => JSON.parse(o[0]).n !== undefined);
      const last = linked.at(-1);
      const old = ops.filter((o) => JSON.parse(o[0]).n === undefined).map((o) => opHash(o[0], o[1]));
      return last
        ? { n: JSON.parse(last[0]).n as number, h: opHash(last[0], last[1]), old }
        : { n: 0, h: null, old };
    },
  };
}

const forgery = fc.record({
  kind: fc.constantFrom('approve', 'revoke-founder', 'revoke-device', 'rotate'),
  /** Chained after its last operation, a fork at an earlier number, or without a number. */
  link: fc.constantFrom('next', 'fork', 'none'),
  /** Whether a revocation of the founder claims to have seen the founder's revocation of it. */
  sawRevocation: fc.boolean(),
  device: fc.nat(3),
  /** Where in the log (a fraction of its length, after the genesis). */
  at: fc.double({ min: 0, max: 1, noNaN: true }),
});

const view = (state: MemberState) => ({
  members: [...state.members.values()].sort((a, b) => (a.device < b.device ? -1 : 1)),
  requests: [...state.requests.keys()].sort(),
  rotation: state.rotation,
});

describe('a revoked admin’s later operations never change the member list', () => {
  it('wherever they sit in the log', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(3),
        fc.array(forgery, { minLength: 1, maxLength: 5 }),
        async (honestApprovals, forgeries) => {
          const f = chainOf(founder);
          const x = chainOf(thief);
          const approve = (d: TestDevice, role: 'admin' | 'hub', at: number) =>
            ({ t: 'approve', net, dev: d.id, key: d.key, name: 'D', hub: 'hub1', role, at }) as MemberOp;
          const log: SignedOp[] = [
            await f.sign({
              t: 'genesis',
              net,
              dev: founder.id,
              key: founder.key,
              name: 'F',
              hub: 'hub1',
              at: T0,
            }),
            await f.sign(approve(thief, 'admin', T0 + 1)),
          ];
          for (let i = 0; i < honestApprovals; i++)
            log.push(await x.sign(approve(devices[i]!, 'hub', T0 + 2 + i)));
          const keepOfThief = x.keep();
          log.push(
            await f.sign({
              t: 'revoke',
              net,
              dev: thief.id,
              cut: 0,
              hash: null,
              keep: keepOfThief,
              at: T0 + 10,
            }),
          );
          log.push(await f.sign({ t: 'rotate', net, epoch: 1, sealed: {}, at: T0 + 10 }));
          const baseline = view(await evaluateMembers(net, log));
          expect(baseline.members.find((m) => m.device === thief.id)?.revoked?.by).toBe(founder.id);

          const forged = [...log];
          let step = 0;
          for (const g of forgeries) {
            step++;
            const at = T0 + 20 + step;
            const target = devices[g.device]!;
            const op: MemberOp =
              g.kind === 'approve'
                ? approve(target, 'admin', at)
                : g.kind === 'revoke-founder'
                  ? {
                      t: 'revoke',
                      net,
                      dev: founder.id,
                      cut: 0,
                      hash: null,
                      at,
                      keep: g.sawRevocation ? f.keep() : { n: 1, h: opHash(log[0]![0], log[0]![1]), old: [] },
                    }
                  : g.kind === 'revoke-device'
                    ? { t: 'revoke', net, dev: target.id, cut: 0, hash: null, at }
                    : { t: 'rotate', net, epoch: 2 + step, sealed: {}, at };
            // A fork takes number 1 again (its first operation's, kept when it approved anyone).
            const signedOp = await x.sign(
              op,
              g.link === 'next' ? undefined : g.link === 'none' ? null : { n: 1 },
            );
            const index = 1 + Math.floor(g.at * (forged.length - 1));
            forged.splice(index, 0, signedOp);
          }
          const state = await evaluateMembers(net, forged);
          expect(view(state)).toEqual(baseline);
          expect(
            state.problems.filter((p) => p.reason.code === 'member.afterRevocation').length,
          ).toBeGreaterThan(0);
        },
      ),
      { seed: 7_201, numRuns: 40 },
    );
  }, 120_000);
});

// nextLink is what the store uses for the first operation of a device: it starts each chain at 1.
it('a device’s first operation is number 1, naming nothing before it', () => {
  expect(nextLink(undefined)).toEqual({ n: 1 });
});
