import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { chainStart, entryLine, extendChain, extendChainWithEntries } from '../../../shared/trust/chain';
import { LineWriter } from '../../../shared/trust/line';
import { anyPools, entryArb, fcOptions, idArb, type Pools } from '../arbitraries';
import { concatBytes } from '../../../shared/sync/encoding';

/**
 * The byte writer must give exactly the bytes of the reference line (`JSON.stringify(encodeEntry(e))` and
 * "\n", UTF-8): a device's signed chain is hashed over those bytes on every replica and every version.
 */
const encoder = new TextEncoder();
const reference = (e: Entry) => encoder.encode(entryLine(e));

function written(entries: readonly Entry[]): Uint8Array {
  const w = new LineWriter();
  for (const e of entries) w.entry(e);
  return w.bytes().slice();
}

/** Ids with what the fast path must refuse: quotes, backslashes, control characters, accents, emoji. */
const oddIdArb = fc.oneof(
  idArb,
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.constantFrom('a"b', 'a\\b', 'tab\there', 'é', '\u2028', '😀', '\ud800'),
);
const oddPools: Pools = { ...anyPools, hub: oddIdArb, device: oddIdArb, item: oddIdArb };
/** Notes in plain ASCII: the fast path's own case. */
const asciiNote = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
});

describe('canonical lines written as bytes', () => {
  it('are exactly the reference line for any entry (every kind, any note)', () => {
    fc.assert(
      fc.property(fc.array(entryArb(), { maxLength: 20 }), (entries) => {
        expect(written(entries)).toEqual(concatBytes(entries.map(reference)));
      }),
      fcOptions(),
    );
  });

  it('are exactly the reference line with plain ASCII notes, and with odd ids', () => {
    fc.assert(
      fc.property(entryArb(), asciiNote, fc.boolean(), (entry, note, withNote) => {
        const e = { ...entry, ...(withNote ? { note } : {}) } as Entry;
        expect(written([e])).toEqual(reference(e));
      }),
      fcOptions(),
    );
    fc.assert(
      fc.property(entryArb(oddPools), (e) => {
        expect(written([e])).toEqual(reference(e));
      }),
      fcOptions(),
    );
  });

  it('are exactly the reference line for values no valid entry has (the reference way is taken)', () => {
    const base = fc.sample(entryArb(), { seed: 7, numRuns: 40 });
    const odd: Entry[] = [];
    for (const e of base) {
      const r = e as unknown as Record<string, unknown>;
      odd.push({ ...r, qty: 1.5, counted: 0.25, effect: -0.5 } as unknown as Entry);
      odd.push({ ...r, qty: undefined, target: undefined, to: undefined } as unknown as Entry);
      odd.push({ ...r, at: Number.NaN, recordedAt: Number.POSITIVE_INFINITY } as unknown as Entry);
      odd.push({ ...r, seq: 2 ** 60, group: -0 } as unknown as Entry);
      odd.push({ ...r, expiry: 'not a day', from: undefined, note: 'ok' } as unknown as Entry);
      odd.push({ ...r, kind: 'unknown' } as unknown as Entry);
    }
    for (const e of odd) expect(written([e])).toEqual(reference(e));
  });

  it('writes -0 as JSON does, and grows past its first buffer', () => {
    const [e] = fc.sample(entryArb(), { seed: 3, numRuns: 1 });
    const zero = { ...e!, seq: -0 } as Entry;
    expect(written([zero])).toEqual(reference(zero));
    const many = fc.sample(entryArb(), { seed: 5, numRuns: 2_000 });
    expect(written(many)).toEqual(concatBytes(many.map(reference)));
  });
});

describe('extending a chain from entries', () => {
  it('equals extending it from their reference lines, from any partial block', () => {
    fc.assert(
      fc.property(
        fc.array(entryArb(), { maxLength: 70 }),
        fc.array(entryArb(), { maxLength: 300 }),
        (before, after) => {
          const start = extendChain(
            chainStart('netnetnet0000001', 'devdevdev0000001'),
            before.map(entryLine),
          );
          expect(extendChainWithEntries(start, after)).toEqual(extendChain(start, after.map(entryLine)));
        },
      ),
      fcOptions(0.2),
    );
  });
});
