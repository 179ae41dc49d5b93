import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { idOf, type Entry } from '../../../shared/entries';
import { headCheckFor } from '../../../shared/sync/headCheck';
import {
  chainStart,
  entryLine,
  extendChain,
  headHash,
  headKey,
  headMessage,
  MAX_RESTARTS,
  parseHeadKey,
  parseRestarts,
  restartBase,
  type ChainState,
  type Restart,
} from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { Gate, type GateInput, type VerifiedHead } from '../../../shared/trust/gate';
import { verifyHeads } from '../../../shared/trust/heads';
import { fcOptions } from '../arbitraries';
import { member, network, stateOf, T0, type TestDevice } from './fixtures';
import { msg } from '../../../shared/messages';

/**
 * A device that lost entries of its own restarts its chain (shared/trust/chain.ts, gate.ts): what it
 * signs after the restart counts without the lost entries, the lost ones count when they come back and
 * match what it signed, and every replica reaches the same verdicts whatever order things arrive in.
 */
const NET = 'net0restart';
const DEV = 'dev0restart';

const donation = (seq: number, qty = seq): Entry => ({
  kind: 'donation',
  hub: 'hub1',
  device: DEV,
  seq,
  item: 'item',
  at: T0 + seq * 1000,
  recordedAt: T0 + seq * 1000,
  qty,
  source: 'individual',
});

/**
 * What a device signs over `n` entries, restarting its chain after each position in `restartAt`: its
 * entries, and the heads a replica can hold (the newest, with the newest head of each earlier segment).
 */
function history(n: number, restartAt: readonly number[]) {
  const entries = Array.from({ length: n }, (_, i) => donation(i + 1));
  let chain: ChainState = chainStart(NET, DEV);
  const restarts: Restart[] = [];
  const segmentHeads: VerifiedHead[] = [];
  for (const e of entries) {
    chain = extendChain(chain, [entryLine(e)]);
    if (restartAt.includes(e.seq)) {
      const hash = headHash(chain);
      segmentHeads.push({ seq: e.seq, hash, ...(restarts.length ? { restarts: [...restarts] } : {}) });
      restarts.push([e.seq, hash]);
      chain = restartBase(e.seq, hash);
    }
  }
  const newest: VerifiedHead = { seq: n, hash: headHash(chain), ...(restarts.length ? { restarts } : {}) };
  return { entries, newest, segmentHeads };
}

const members = () => stateOf(NET, [member(DEV, 'hub', 'hub1')]);

function run(gate: Gate, input: Partial<GateInput>) {
  const result = gate.step({
    entries: [],
    heads: new Map(),
    members: members(),
    membersChanged: false,
    ...input,
  });
  gate.adopt(result);
  return result;
}
const seqs = (entries: readonly Entry[]) => entries.map((e) => e.seq).sort((a, b) => a - b);

describe('a restarted chain in the gate', () => {
  it('counts what follows a restart without the lost entries, and the lost ones once they come back', () => {
    const { entries, newest } = history(8, [5]);
    const gate = new Gate(NET);
    // This replica has entries 1, 2 and the head at 2 (signed before the restart), then what followed it.
    const early: VerifiedHead = {
      seq: 2,
      hash: headHash(extendChain(chainStart(NET, DEV), entries.slice(0, 2).map(entryLine))),
    };
    const first = run(gate, {
      entries: [...entries.slice(0, 2), ...entries.slice(5)],
      heads: new Map([[DEV, { ...newest, earlier: [early] }]]),
    });
    expect(seqs(first.release)).toEqual([1, 2, 6, 7, 8]);
    expect(first.problems).toEqual([]);
    expect(gate.devices.get(DEV)?.gaps).toHaveLength(1);
    const back = run(gate, { entries: entries.slice(2, 5) });
    expect(seqs(back.release)).toEqual([3, 4, 5]);
    expect(back.problems).toEqual([]);
    expect(gate.devices.get(DEV)?.gaps).toBeUndefined();
  });

  it('a replica that verified everything before the restart goes on from its base', () => {
    const { entries, newest, segmentHeads } = history(8, [5]);
    const gate = new Gate(NET);
    expect(
      seqs(run(gate, { entries: entries.slice(0, 5), heads: new Map([[DEV, segmentHeads[0]!]]) }).release),
    ).toEqual([1, 2, 3, 4, 5]);
    const after = run(gate, { entries: entries.slice(5), heads: new Map([[DEV, newest]]) });
    expect(seqs(after.release)).toEqual([6, 7, 8]);
    expect(after.problems).toEqual([]);
  });

  it('a forged copy of a lost entry never counts; the one the device signed does', () => {
    const { entries, newest } = history(6, [4]);
    const gate = new Gate(NET);
    const first = run(gate, {
      entries: [entries[0]!, entries[4]!, entries[5]!],
      heads: new Map([[DEV, newest]]),
    });
    expect(seqs(first.release)).toEqual([5, 6]);
    const forged = donation(2, 500);
    const withForgery = run(gate, { entries: [forged, entries[2]!, entries[3]!] });
    // Entry 1 waits in the gap with 2 to 4: the gap counts only as a whole that matches the signed head.
    expect(withForgery.release).toEqual([]);
    const real = run(gate, { entries: [entries[1]!] });
    expect(seqs(real.release)).toEqual([1, 2, 3, 4]);
    expect(real.problems.map((p) => p.where)).toEqual([`entry/${idOf(forged)}`]);
  });

  /** Entries 1, 2 and what follows a restart at 5 counted here, 3 to 5 waiting in a gap (as in the first test). */
  function withGap(n: number) {
    const { entries } = history(n, [5]);
    const { newest } = history(8, [5]); // signed at 8
    const early: VerifiedHead = {
      seq: 2,
      hash: headHash(extendChain(chainStart(NET, DEV), entries.slice(0, 2).map(entryLine))),
    };
    const gate = new Gate(NET);
    run(gate, {
      entries: [...entries.slice(0, 2), ...entries.slice(5, 8)],
      heads: new Map([[DEV, { ...newest, earlier: [early] }]]),
    });
    return { gate, entries };
  }

  it('while a gap waits, a copy at a position verified before or after it is set aside at once', () => {
    const { gate, entries } = withGap(8);
    const copies = [donation(2, 500), donation(7, 700)];
    const r = run(gate, { entries: copies });
    expect(r.problems).toEqual(
      copies.map((e) => ({
        where: `entry/${idOf(e)}`,
        reason: msg('gate.positionTaken', { seq: e.seq, device: DEV }),
      })),
    );
    expect(gate.devices.get(DEV)?.pending).toEqual([]);
    // The gap still takes the entries the device signed.
    const back = run(gate, { entries: entries.slice(2, 5) });
    expect(seqs(back.release)).toEqual([3, 4, 5]);
    expect(back.problems).toEqual([]);
  });

  it('once a gap is filled, what the device signs next counts, and nothing is reported', () => {
    const { entries, newest } = history(10, [5]);
    const { gate } = withGap(10);
    expect(seqs(run(gate, { entries: entries.slice(2, 5) }).release)).toEqual([3, 4, 5]);
    const next = run(gate, { entries: entries.slice(8), heads: new Map([[DEV, newest]]) });
    expect(seqs(next.release)).toEqual([9, 10]);
    expect(next.problems).toEqual([]);
    expect(gate.devices.get(DEV)?.pending).toEqual([]);
  });

  it('a restart at a verified position whose hash is not the one verified there is not followed', () => {
    const { entries, segmentHeads } = history(5, [5]);
    const gate = new Gate(NET);
    expect(seqs(run(gate, { entries, heads: new Map([[DEV, segmentHeads[0]!]]) }).release)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    // The device signs a restart at 5 naming another hash (a second history), and entries after it.
    const restarts: Restart[] = [[5, 'x'.repeat(43)]];
    const after = [donation(6), donation(7)];
    const forked: VerifiedHead = {
      seq: 7,
      hash: headHash(extendChain(restartBase(5, 'x'.repeat(43)), after.map(entryLine))),
      restarts,
    };
    const r = run(gate, { entries: after, heads: new Map([[DEV, forked]]) });
    expect(r.release).toEqual([]);
    expect(r.problems).toEqual([
      { where: `device/${DEV}`, reason: msg('gate.notSigned', { device: DEV, seq: 7 }) },
    ]);
  });

  it('every replica counts every entry exactly once, whatever is lost and in whatever order it comes back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            restartAt: fc.uniqueArray(fc.integer({ min: 1, max: n }), { maxLength: 4 }),
            order: fc.shuffledSubarray(
              Array.from({ length: n }, (_, i) => i),
              { minLength: n, maxLength: n },
            ),
            cuts: fc.array(fc.integer({ min: 0, max: n }), { maxLength: 4 }),
            headFirst: fc.boolean(),
          }),
        ),
        ({ n, restartAt, order, cuts, headFirst }) => {
          const { entries, newest, segmentHeads } = history(
            n,
            [...restartAt].sort((a, b) => a - b),
          );
          const heads = new Map([[DEV, segmentHeads.length ? { ...newest, earlier: segmentHeads } : newest]]);
          const gate = new Gate(NET);
          const counted: Entry[] = [];
          const problems: unknown[] = [];
          const bounds = [0, ...[...cuts].sort((a, b) => a - b), n];
          for (let i = 0; i + 1 < bounds.length; i += 1) {
            const batch = order.slice(bounds[i], bounds[i + 1]).map((k) => entries[k]!);
            const r = run(gate, {
              entries: batch,
              heads: headFirst || i === bounds.length - 2 ? heads : new Map(),
            });
            counted.push(...r.release);
            problems.push(...r.problems);
          }
          expect(problems).toEqual([]);
          expect(seqs(counted)).toEqual(entries.map((e) => e.seq));
        },
      ),
      fcOptions(),
    );
  });
});

describe('restarts in heads', () => {
  let founder: TestDevice;
  let net: string;
  beforeAll(async () => {
    ({ net, founder } = await network());
  });

  it('keys a head by how many restarts it carries, and reads the key back', () => {
    expect(headKey('abc', 0)).toBe('abc');
    expect(headKey('abc', 2)).toBe('abc/2');
    expect(parseHeadKey('abc/2')).toEqual({ device: 'abc', restarts: 2 });
    expect(parseHeadKey('abc')).toEqual({ device: 'abc', restarts: 0 });
    for (const bad of ['', '/1', 'abc/0', 'abc/01', 'abc/x', `abc/${MAX_RESTARTS + 1}`])
      expect(parseHeadKey(bad)).toBeNull();
    expect(
      parseRestarts([
        [3, 'h'],
        [7, 'k'],
      ]),
    ).toEqual([
      [3, 'h'],
      [7, 'k'],
    ]);
    for (const bad of [
      [],
      [
        [3, 'h'],
        [3, 'k'],
      ],
      [[0, 'h']],
      [[1, '']],
      [[1, 'h'.repeat(65)]],
      [[1.5, 'h']],
      'x',
    ])
      expect(parseRestarts(bad)).toBeNull();
  });

  it('a head with restarts is signed with them: another list, or another key, is refused', async () => {
    const restarts: Restart[] = [[5, 'H5']];
    const sig = await sign(founder.keys.privateKey, headMessage(net, founder.id, 8, 'H8', restarts));
    const check = headCheckFor(net);
    const value = [8, 'H8', sig, restarts];
    expect(check.verify(headKey(founder.id, 1), founder.key, value, 0)).toBe(true);
    // Under the key for no restarts, or for two, it is refused; so is a changed list, or a restart not before it.
    expect(check.verify(founder.id, founder.key, value, 0)).toBe(false);
    expect(check.verify(headKey(founder.id, 2), founder.key, value, 0)).toBe(false);
    expect(check.verify(headKey(founder.id, 1), founder.key, [8, 'H8', sig, [[4, 'H5']]], 0)).toBe(false);
    const late = await sign(founder.keys.privateKey, headMessage(net, founder.id, 8, 'H8', [[8, 'H8']]));
    expect(check.verify(headKey(founder.id, 1), founder.key, [8, 'H8', late, [[8, 'H8']]], 0)).toBe(false);
    // Without restarts the message is the one from before restarts existed.
    expect(headMessage(net, founder.id, 8, 'H8')).toBe(`larder head v1|${net}|${founder.id}|8|H8`);

    // The gate is given the head with the most restarts, and the earlier ones with it.
    const early = await sign(founder.keys.privateKey, headMessage(net, founder.id, 3, 'H3'));
    const read = await verifyHeads(
      net,
      [
        [founder.id, [3, 'H3', early]],
        [headKey(founder.id, 1), value],
      ],
      new Map([[founder.id, founder.key]]),
    );
    expect(read.problems).toEqual([]);
    expect(read.heads.get(founder.id)).toEqual({
      seq: 8,
      hash: 'H8',
      restarts,
      earlier: [{ seq: 3, hash: 'H3' }],
    });
  });
});
