import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idOf, type Entry } from '../../../shared/entries';
import { BLOCK } from '../../../shared/trust/chain';
import { Gate, type GateResult, type VerifiedHead } from '../../../shared/trust/gate';
import { contiguousRun, prehashBlocks, type PrehashOptions } from '../../../shared/trust/prehash';
import { sha256JS } from '../../../shared/trust/crypto';
import { fcOptions } from '../arbitraries';
import { headOf, member, stateOf, T0 } from './fixtures';

/**
 * Blocks hashed ahead, in slices (shared/trust/prehash.ts), change how long the gate holds the page,
 * never what it decides: every verdict, problem and chain is the one the gate reaches on its own.
 */
const NET = 'net0prehash';
const DEVICES = ['deva0000', 'devb0000', 'devc0000'] as const;

const pickup = (device: string, seq: number, qty = 1 + (seq % 7)): Entry => ({
  kind: 'pickup',
  hub: 'hub1',
  device,
  seq,
  item: `item${seq % 5}`,
  at: T0 + seq * 1000,
  recordedAt: T0 + seq * 1000,
  qty,
});

const members = () =>
  stateOf(
    NET,
    DEVICES.map((d) => member(d, 'coordinator', null)),
  );
const summary = (r: GateResult) => ({
  release: r.release.map(idOf),
  problems: r.problems,
  rebuild: r.rebuild,
  devices: [...r.devices.values()].map((d) => ({
    ...d,
    held: d.held.map(idOf),
    pending: d.pending.map(idOf),
  })),
});

/** A history step by step: each step brings some entries (with copies, tampering, gaps) and heads. */
const scenarioArb = fc.record({
  lengths: fc.tuple(
    fc.integer({ min: 0, max: 1200 }),
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 0, max: 130 }),
  ),
  /** Where each step cuts each device's history (fractions of its length). */
  cuts: fc.array(
    fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
    {
      minLength: 1,
      maxLength: 3,
    },
  ),
  tamper: fc.array(fc.nat(), { maxLength: 3 }),
  copies: fc.array(fc.nat(), { maxLength: 3 }),
  drop: fc.array(fc.nat(), { maxLength: 2 }),
});

async function runBoth(
  steps: { entries: Entry[]; heads: Map<string, VerifiedHead> }[],
  options: PrehashOptions,
) {
  const plain = new Gate(NET);
  const ahead = new Gate(NET);
  let hashedAhead = 0;
  for (const step of steps) {
    const input = { entries: step.entries, heads: step.heads, members: members(), membersChanged: true };
    const a = plain.step(input);
    const blocks = await prehashBlocks(ahead, step.entries, step.heads, options);
    hashedAhead += blocks.size;
    const b = ahead.step({ ...input, blocks });
    expect(summary(b)).toEqual(summary(a));
    plain.adopt(a);
    ahead.adopt(b);
  }
  return hashedAhead;
}

describe('blocks hashed ahead', () => {
  it('leave every verdict as the gate alone reaches it (copies, tampering, gaps, partial blocks, several steps)', async () => {
    let used = 0;
    let pauses = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ lengths, cuts, tamper, copies, drop }) => {
        const ledgers = DEVICES.map((d, i) =>
          Array.from({ length: lengths[i]! }, (_, k) => pickup(d, k + 1)),
        );
        const all = ledgers.flat();
        const steps: { entries: Entry[]; heads: Map<string, VerifiedHead> }[] = [];
        const from = DEVICES.map(() => 0);
        for (const [entryCut, headCut] of [...cuts, [1, 1] as const]) {
          const entries: Entry[] = [];
          const heads = new Map<string, VerifiedHead>();
          ledgers.forEach((ledger, i) => {
            const to = Math.max(from[i]!, Math.floor(ledger.length * entryCut));
            entries.push(...ledger.slice(from[i], to));
            from[i] = to;
            const signedUpTo = Math.floor(ledger.length * headCut);
            if (signedUpTo > 0) heads.set(DEVICES[i]!, headOf(NET, DEVICES[i]!, ledger.slice(0, signedUpTo)));
          });
          steps.push({ entries, heads });
        }
        // Forgeries and mishaps: a tampered copy in place of an entry, a second copy beside one, a lost entry.
        const first = steps[0]!.entries;
        for (const t of tamper)
          if (first.length > 0) {
            const k = t % first.length;
            first[k] = { ...first[k]!, qty: (first[k] as { qty: number }).qty + 1 } as Entry;
          }
        for (const c of copies)
          if (all.length > 0) first.push({ ...all[c % all.length]!, note: 'copy' } as Entry);
        for (const d of drop) if (first.length > 0) first.splice(d % first.length, 1);
        used += await runBoth(steps, { sliceMs: 0, pause: async () => void pauses++ });
      }),
      fcOptions(0.3),
    );
    // The property is about something: blocks were in fact hashed ahead, in slices, and used.
    expect(used).toBeGreaterThan(0);
    expect(pauses).toBeGreaterThan(0);
  });

  it('give the same verdicts hashed in JavaScript as in WebAssembly', async () => {
    const ledger = Array.from({ length: 9 * BLOCK + 3 }, (_, k) => pickup(DEVICES[1], k + 1));
    const heads = new Map([[DEVICES[1], headOf(NET, DEVICES[1], ledger)]]);
    const steps = [{ entries: ledger, heads }];
    expect(await runBoth(steps, { hash: (bytes) => sha256JS(bytes) })).toBe(9);
    expect(await runBoth(steps, {})).toBe(9);
  });

  it('let other tasks run between slices, and hash the same blocks however it is sliced', async () => {
    const ledger = Array.from({ length: 20 * BLOCK }, (_, k) => pickup(DEVICES[2], k + 1));
    const heads = new Map([[DEVICES[2], headOf(NET, DEVICES[2], ledger)]]);
    let pauses = 0;
    const sliced = await prehashBlocks(new Gate(NET), ledger, heads, {
      sliceMs: 0,
      pause: async () => void pauses++,
    });
    let wholePauses = 0;
    const whole = await prehashBlocks(new Gate(NET), ledger, heads, {
      sliceMs: Infinity,
      pause: async () => void wholePauses++,
    });
    expect(wholePauses).toBe(0);
    // A pause after the device's run is found and after every block hashed (each slice is over at once).
    expect(pauses).toBe(21);
    expect(sliced.size).toBe(20);
    const a = new Gate(NET).step({
      entries: ledger,
      heads,
      members: members(),
      membersChanged: true,
      blocks: sliced,
    });
    const b = new Gate(NET).step({
      entries: ledger,
      heads,
      members: members(),
      membersChanged: true,
      blocks: whole,
    });
    expect(summary(a)).toEqual(summary(b));
    expect(a.release).toHaveLength(20 * BLOCK);
  });

  it('are used only for the very entries they were made of: a copy made afterwards is hashed again', async () => {
    const ledger = Array.from({ length: 10 * BLOCK }, (_, k) => pickup(DEVICES[0], k + 1));
    const heads = new Map([[DEVICES[0], headOf(NET, DEVICES[0], ledger)]]);
    const gate = new Gate(NET);
    const blocks = await prehashBlocks(gate, ledger, heads);
    expect(blocks.size).toBe(10);
    // The same positions, but one entry changed after the blocks were hashed: the head no longer matches.
    const changed = ledger.map((e) => ({ ...e }));
    (changed[3 * BLOCK + 5] as { qty: number }).qty += 1;
    const result = gate.step({ entries: changed, heads, members: members(), membersChanged: true, blocks });
    expect(result.release).toEqual([]);
    expect(result.problems.map((p) => p.where)).toEqual([`device/${DEVICES[0]}`]);
    // And the original entries count, with the hashes made ahead.
    const ok = new Gate(NET).step({
      entries: ledger,
      heads,
      members: members(),
      membersChanged: true,
      blocks,
    });
    expect(ok.release).toHaveLength(10 * BLOCK);
  });

  it('are not made when asked not to, for short histories, or past a gap', async () => {
    const ledger = Array.from({ length: 12 * BLOCK }, (_, k) => pickup(DEVICES[0], k + 1));
    const heads = new Map([[DEVICES[0], headOf(NET, DEVICES[0], ledger)]]);
    expect((await prehashBlocks(new Gate(NET), ledger, heads, { hash: null })).size).toBe(0);
    const short = ledger.slice(0, 7 * BLOCK);
    expect((await prehashBlocks(new Gate(NET), short, heads)).size).toBe(0);
    // A gap, and as many candidates as positions (one past the head): up to the gap.
    const gap = [...ledger.filter((e) => e.seq !== 9 * BLOCK + 1), pickup(DEVICES[0], 12 * BLOCK + 1)];
    expect((await prehashBlocks(new Gate(NET), gap, heads)).size).toBe(9);
  });

  it('pick the run of candidates each position has exactly one of, in order or not (the in-order pass included)', () => {
    /** What the run is: each position from chain+1 on, while exactly one candidate is at it, up to `until`. */
    const reference = (chain: number, until: number, candidates: Entry[]) => {
      const run: Entry[] = [];
      for (let seq = chain + 1; seq <= until; seq++) {
        const at = candidates.filter((e) => e.seq === seq);
        if (at.length !== 1) break;
        run.push(at[0]!);
      }
      return run;
    };
    const device = DEVICES[0];
    fc.assert(
      fc.property(
        fc.nat({ max: 20 }),
        fc.nat({ max: 40 }),
        fc.array(fc.integer({ min: -2, max: 45 }), { maxLength: 40 }),
        fc.nat({ max: 40 }),
        fc.boolean(),
        (chain, span, offsets, split, inOrder) => {
          // In order from the chain on (the usual case), or any positions, copies and gaps among them.
          const seqs = inOrder
            ? offsets.map((_, k) => chain + 1 + k)
            : offsets.map((o) => Math.max(1, chain + o));
          const candidates = seqs.map((seq) => pickup(device, seq));
          const cut = Math.min(split, candidates.length);
          const until = chain + span;
          expect(contiguousRun(chain, until, candidates.slice(0, cut), candidates.slice(cut))).toEqual(
            reference(chain, until, candidates),
          );
        },
      ),
      fcOptions(),
    );
  });
});
