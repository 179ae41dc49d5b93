import fc from 'fast-check';
import type { Entry } from '../../../shared/entries';
import { chainStart, entryLine, extendChain } from '../../../shared/trust/chain';
import type { CoverPosition } from '../../../shared/checkpoint/make';
import { DEVICES, ledgerArb } from '../arbitraries';

/**
 * Histories for checkpoint tests: the shared ledger generator (every kind of entry, transfers with
 * concurrent receipts and settlements, several undos of one entry, undos of entries that never arrive),
 * renumbered so that each device's entries take sequence numbers 1, 2, 3... in order, as a device's
 * signed chain does. Undo targets and transfer references follow their entries to the new numbers.
 */
export function renumberPerDevice(entries: readonly Entry[]): Entry[] {
  const next = new Map<string, number>();
  const ids = new Map<string, string>();
  const numbered = entries.map((e) => {
    const seq = (next.get(e.device) ?? 0) + 1;
    next.set(e.device, seq);
    ids.set(`${e.device}.${e.seq}`, `${e.device}.${seq}`);
    return { ...e, seq };
  });
  const follow = (id: string) => ids.get(id) ?? id;
  return numbered.map((e) => {
    switch (e.kind) {
      case 'reversal':
        return { ...e, target: follow(e.target) };
      case 'transfer_out':
        return e.transfer === undefined ? e : { ...e, transfer: follow(e.transfer) };
      case 'transfer_in':
      case 'transfer_resolve':
        return { ...e, transfer: follow(e.transfer) };
      default:
        return e;
    }
  });
}

export const historyArb: fc.Arbitrary<Entry[]> = ledgerArb.map(renumberPerDevice);

/** A cut per device, as fractions of its entries (0: nothing of it covered, 1: all of it). */
export const cutArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
  minLength: DEVICES.length,
  maxLength: DEVICES.length,
});

export type Cuts = Map<string, number>;

export function cutsOf(entries: readonly Entry[], fractions: readonly number[]): Cuts {
  const count = new Map<string, number>();
  for (const e of entries) count.set(e.device, Math.max(count.get(e.device) ?? 0, e.seq));
  const cuts: Cuts = new Map();
  DEVICES.forEach((d, i) => {
    const n = count.get(d) ?? 0;
    const cut = Math.round((fractions[i] ?? 0) * n);
    if (cut > 0) cuts.set(d, cut);
  });
  return cuts;
}

export const isCovered = (cuts: Cuts) => (e: Entry) => e.seq <= (cuts.get(e.device) ?? 0);

/** Real chain states at the cuts (the proofs are not checked by these tests: format and projection only). */
export function coversAt(network: string, entries: readonly Entry[], cuts: Cuts): CoverPosition[] {
  return [...cuts].map(([device, seq]) => {
    const lines = entries
      .filter((e) => e.device === device && e.seq <= seq)
      .sort((a, b) => a.seq - b.seq)
      .map(entryLine);
    const chain = extendChain(chainStart(network, device), lines);
    return {
      device,
      seq,
      block: chain.block,
      partial: chain.partial,
      proof: { kind: 'head', sig: 'A'.repeat(86) },
      judgedAs: 'hub|hub1',
    };
  });
}

/** Maximum of two cut vectors, device by device. */
export function joinCuts(a: Cuts, b: Cuts): Cuts {
  const out = new Map(a);
  for (const [d, s] of b) out.set(d, Math.max(out.get(d) ?? 0, s));
  return out;
}

/** A seeded shuffle (fast-check gives the permutation, so a failure replays). */
export function shuffled<T>(xs: readonly T[], keys: readonly number[]): T[] {
  return xs
    .map((x, i) => ({ x, k: keys[i % Math.max(1, keys.length)] ?? 0, i }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((p) => p.x);
}
