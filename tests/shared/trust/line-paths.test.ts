import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ENTRY_KINDS, type Entry } from '../../../shared/entries';
import { entryLine } from '../../../shared/trust/chain';
import { LineWriter } from '../../../shared/trust/line';
import { entryArb, reversalArb } from '../arbitraries';
import { concatBytes } from '../../../shared/sync/encoding';

/**
 * Which way the byte writer (shared/trust/line.ts) writes a line: the entries a device writes in one pass,
 * anything JSON escapes the reference way, and the writer as a buffer. (line.test.ts checks the bytes.)
 * Kept apart from line.test.ts so mutation testing can run these quick tests on their own.
 */
const encoder = new TextEncoder();
const reference = (e: Entry) => encoder.encode(entryLine(e));

function written(entries: readonly Entry[]): Uint8Array {
  const w = new LineWriter();
  for (const e of entries) w.entry(e);
  return w.bytes().slice();
}

/** Writes each entry with JSON.stringify watched: how many of them went the reference way. */
function referenceWays(entries: readonly Entry[]): number {
  const w = new LineWriter();
  let slow = 0;
  const spy = vi.spyOn(JSON, 'stringify');
  try {
    for (const e of entries) {
      const before = spy.mock.calls.length;
      w.entry(e);
      if (spy.mock.calls.length > before) slow++;
    }
  } finally {
    spy.mockRestore();
  }
  return slow;
}

/** What a device writes: every kind, with and without each extra, and notes of printable ASCII JSON does not escape. */
const plainNote = fc.string({
  unit: fc
    .integer({ min: 0x20, max: 0x7e })
    .filter((c) => c !== 0x22 && c !== 0x5c)
    .map((c) => String.fromCharCode(c)),
});
const deviceEntryArb = fc.tuple(entryArb(), fc.option(plainNote, { nil: undefined })).map(([entry, note]) => {
  const { note: _, ...rest } = entry;
  return (note === undefined ? rest : { ...rest, note }) as Entry;
});

describe('the entries a device writes', () => {
  // The point of the writer: a million entries verified without a JSON string each. A change that sends
  // them the reference way gives the same bytes, ~2.5 times slower (docs/benchmarks-trust.md).
  it('are written in one pass, never the reference way', () => {
    const entries = fc.sample(deviceEntryArb, { seed: 11, numRuns: 600 });
    for (const kind of ENTRY_KINDS) expect(entries.some((e) => e.kind === kind)).toBe(true);
    for (const extra of ['note', 'group', 'packs', 'expiry', 'belowZero', 'transfer', 'targetAt'])
      expect(entries.some((e) => extra in e && (e as Record<string, unknown>)[extra] !== undefined)).toBe(
        true,
      );
    expect(referenceWays(entries)).toBe(0);
    expect(written(entries)).toEqual(concatBytes(entries.map(reference)));
  });

  it('take every printable ASCII character in one pass, and anything JSON escapes the reference way', () => {
    const [e] = fc.sample(entryArb(), { seed: 13, numRuns: 1 });
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== '"' && c !== '\\')
      .join('');
    const plain = { ...e!, note: printable } as Entry;
    expect(referenceWays([plain])).toBe(0);
    expect(written([plain])).toEqual(reference(plain));
    for (const odd of ['"', '\\', '\x1f', '\x7f', 'é', '\n']) {
      const entry = { ...e!, note: `a${odd}b` } as Entry;
      expect(referenceWays([entry])).toBe(1);
      expect(written([entry])).toEqual(reference(entry));
    }
  });

  it('an undo of an unknown kind is written as the reference writes it, in one pass', () => {
    const [e] = fc.sample(reversalArb(), { seed: 17, numRuns: 1 });
    const { note: _, ...plain } = e!;
    const odd = { ...plain, targetKind: 'gone' } as unknown as Entry;
    // In one pass too: the kind it undoes is written as -1, as the reference writes it.
    expect(referenceWays([odd])).toBe(0);
    expect(written([odd])).toEqual(reference(odd));
  });
});

describe('the writer as a buffer', () => {
  it('writes a line far longer than its buffer', () => {
    const [e] = fc.sample(entryArb(), { seed: 19, numRuns: 1 });
    const huge = { ...e!, note: 'n'.repeat(300_000) } as Entry;
    expect(written([huge])).toEqual(reference(huge));
  });

  it('appends ASCII text, refuses anything else, and starts again after a reset', () => {
    const w = new LineWriter();
    w.ascii('abc-_09');
    expect(w.length).toBe(7);
    expect(w.bytes()).toEqual(encoder.encode('abc-_09'));
    expect(() => w.ascii('caf\u00e9')).toThrow('not ASCII');
    w.reset();
    expect(w.length).toBe(0);
    expect(w.bytes()).toEqual(new Uint8Array(0));
    w.ascii('\x7f');
    expect(w.bytes()).toEqual(Uint8Array.of(0x7f));
  });
});
