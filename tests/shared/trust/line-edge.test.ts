import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { entryLine } from '../../../shared/trust/chain';
import { LineWriter } from '../../../shared/trust/line';
import { entryArb } from '../arbitraries';

/**
 * A line that crosses the end of the writer's first buffer (64 KiB) must still be exactly the reference line:
 * the writer grows its buffer as it goes, and a byte written past the end of a Uint8Array is dropped without
 * an error. Every offset of the edge within the line is tried, so each separator lands on it once.
 * Kept apart from line.test.ts so mutation testing can run these quick tests on their own.
 */
const encoder = new TextEncoder();
const EDGE = 1 << 16;

/** Index of the first byte where the two differ, or -1 (toEqual on 64 KiB arrays is slow). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * A line written the reference way (its note holds an accent), `bytes` long: it fills the buffer up to where
 * the next line should start, in one native copy (filling it through `ascii()` character by character made
 * this test too slow for mutation testing).
 */
const [fillerBase] = fc.sample(entryArb(), { seed: 31, numRuns: 1 });
const fillerBaseLength = encoder.encode(entryLine({ ...fillerBase!, note: '\u00e9' } as Entry)).length;
function filler(bytes: number): Entry {
  const note = `\u00e9${'n'.repeat(bytes - fillerBaseLength)}`;
  return { ...fillerBase!, note } as Entry;
}

/** For every place the edge can fall in the entry's line: where the written line first differs, or -1. */
function acrossTheEdge(entry: Entry): { offset: number; differsAt: number }[] {
  const line = encoder.encode(entryLine(entry));
  const out: { offset: number; differsAt: number }[] = [];
  for (let offset = 0; offset <= line.length; offset++) {
    const w = new LineWriter();
    const fill = EDGE - offset;
    w.entry(filler(fill));
    expect(w.length).toBe(fill);
    w.entry(entry);
    const bytes = w.bytes();
    expect(bytes.length).toBe(fill + line.length);
    out.push({ offset, differsAt: firstDifference(bytes.subarray(fill), line) });
  }
  return out;
}

const wrong = (rows: { offset: number; differsAt: number }[]) => rows.filter((r) => r.differsAt !== -1);

describe('a line across the edge of the first buffer', () => {
  it('is the reference line wherever the edge falls, for entries of every kind with plain notes', () => {
    const entries = fc.sample(entryArb(), { seed: 23, numRuns: 12 }).map((e) => {
      const { note: _, ...rest } = e;
      return { ...rest, note: 'abc' } as Entry;
    });
    for (const e of entries)
      expect({ kind: e.kind, wrong: wrong(acrossTheEdge(e)) }).toEqual({ kind: e.kind, wrong: [] });
  });

  it('is the reference line with the hub, device and item ending exactly at the edge', () => {
    // The sample the bug was found with: the comma after the hub landed one byte past the buffer.
    const [e] = fc.sample(entryArb(), { seed: 19, numRuns: 1 });
    const entry = { ...e!, note: 'abc' } as Entry;
    expect(wrong(acrossTheEdge(entry))).toEqual([]);
  });

  it('is the reference line with the widest whole number JSON writes (17 characters) at the edge', () => {
    const [e] = fc.sample(entryArb(), { seed: 29, numRuns: 1 });
    const entry = { ...e!, seq: -Number.MAX_SAFE_INTEGER } as Entry;
    expect(entryLine(entry)).toContain(`,${-Number.MAX_SAFE_INTEGER},`);
    expect(wrong(acrossTheEdge(entry))).toEqual([]);
  });
});
