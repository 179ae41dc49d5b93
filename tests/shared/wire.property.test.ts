import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTRY_KINDS, type EntryKind } from '../../shared/entries';
import { msg, word } from '../../shared/messages';
import { MAX_QUANTITY } from '../../shared/quantity';
import {
  decodeEntry,
  encodeEntry,
  packedEntry,
  packTuple,
  STORED_KIND_BASE,
  type DecodeResult,
} from '../../shared/wire';
import { entryArb, fcOptions, idArb } from './arbitraries';
import { decodeEntryBySchema } from './decodeEntryBySchema';
import { EDGE_NUMBERS, EDGE_OTHERS, EDGE_STRINGS, MAX_SEC, SEC } from './entryEdges';

/**
 * `decodeEntry` checks an entry's fields by hand (`entryFromFields`, shared/entryFields.ts), without a zod
 * object per entry. The zod `entrySchema` stays the schema of record: on every tuple here, valid ones of
 * every kind and malformed ones, decodeEntry must give exactly what the schema path gives
 * (`decodeEntryBySchema`, the old decodeEntry): the same entry with the same keys, or the same refusal
 * naming the same field; and never throw.
 */

/** Tuples also compared in the packed form. */
let packedCompared = 0;

function expectSame(wire: unknown): DecodeResult {
  // A string is read as a packed entry, which the schema path never knew: checked apart, below.
  if (typeof wire === 'string') return expectPackedSound(wire, 'devx');
  // A tuple whose first value is a stored kind (junk may start with 32) is in the stored form, which the
  // schema path never knew either: read as in a ledger array, it must give what the schema path gives for
  // its canonical tuple (found with FC_RUNS=2000: `[32,0,0,"",0,0,null,0,""]` compared as canonical).
  const canonical = canonicalOfStored(wire, 'devx');
  if (canonical) {
    const expected = decodeEntryBySchema(canonical);
    expect(decodeEntry(wire, 'devx'), describeWire(wire)).toStrictEqual(expected);
    return expected;
  }
  const expected = decodeEntryBySchema(wire);
  const actual = decodeEntry(wire);
  expect(actual, describeWire(wire)).toStrictEqual(expected);
  if (actual.ok && expected.ok) {
    // toStrictEqual already tells a key holding undefined from a missing one; said again, plainly.
    expect(Object.keys(actual.entry).sort()).toEqual(Object.keys(expected.entry).sort());
  }
  // The same tuple in the stored form (no version, no device: the ledger array's key gives it; version and
  // kind one number), where it has one: read the same, or refused for the same reason.
  const stored = asStored(wire);
  if (stored)
    expect(decodeEntry(stored, (wire as unknown[])[3] as string), describeWire(stored)).toStrictEqual(
      expected,
    );
  // And in the packed form, where its values are of the types that form holds.
  const packed = Array.isArray(wire) ? packTuple(wire) : null;
  if (packed !== null) packedCompared++;
  if (packed !== null)
    expect(decodeEntry(packed, (wire as unknown[])[3] as string), JSON.stringify(packed)).toStrictEqual(
      expected,
    );
  return expected;
}

/**
 * A packed string, whatever it holds, is read without throwing; an entry read from it is one the schema
 * path accepts from the entry's canonical tuple, and packed again reads back the same.
 */
function expectPackedSound(wire: string, ledger: string): DecodeResult {
  const r = decodeEntry(wire, ledger);
  if (r.ok) {
    expect(decodeEntryBySchema(encodeEntry(r.entry)), JSON.stringify(wire)).toStrictEqual(r);
    expect(decodeEntry(packedEntry(r.entry), ledger)).toStrictEqual(r);
  } else expect(PACKED_REFUSALS, JSON.stringify(wire)).toContain(r.reason.code);
  return r;
}
const PACKED_REFUSALS = [
  'entry.unknownVersion',
  'entry.packedUnreadable',
  'entry.unknownKind',
  'entry.timeNotWhole',
  'entry.extrasMalformed',
  'entry.resolveMovesStock',
  'entry.fieldInvalid',
];

/** A tuple in the stored form (a stored kind first) as the canonical tuple of `ledger`; null for any other. */
function canonicalOfStored(wire: unknown, ledger: string): unknown[] | null {
  if (!Array.isArray(wire) || !Number.isInteger(wire[0])) return null;
  const first = wire[0] as number;
  if (first < STORED_KIND_BASE || first >= 2 * STORED_KIND_BASE) return null;
  return [1, first - STORED_KIND_BASE, wire[1], ledger, ...wire.slice(2)];
}

/** A canonical tuple (version 1, a kind code below 32) in the stored form; null when it has none. */
function asStored(wire: unknown): unknown[] | null {
  if (!Array.isArray(wire) || wire[0] !== 1) return null;
  const kind: unknown = wire[1];
  if (!Number.isInteger(kind) || (kind as number) < 0 || (kind as number) >= 32) return null;
  return [STORED_KIND_BASE + (kind as number), wire[2], ...wire.slice(4)];
}

const describeWire = (wire: unknown) => {
  try {
    return JSON.stringify(wire, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v)
        ? String(v)
        : Object.is(v, -0)
          ? '-0'
          : typeof v === 'string' && v.length > 40
            ? `${v.slice(0, 20)}… (${v.length})`
            : v,
    );
  } catch {
    return String(typeof wire);
  }
};

/** A note of any length near its bound, in any UTF-16 units (lone surrogates too). */
const noteArb = fc.oneof(
  fc.string({ unit: 'binary', minLength: 0, maxLength: 8 }),
  fc.string({ unit: 'binary', minLength: 495, maxLength: 505 }),
  fc.string({ unit: 'binary', minLength: 990, maxLength: 1002 }),
  fc.string({ unit: 'grapheme', minLength: 240, maxLength: 260 }),
);
const entryIdArb = fc.oneof(
  fc.tuple(idArb, fc.nat()).map(([d, n]) => `${d}.${n}`),
  fc.tuple(idArb, fc.string({ maxLength: 12 })).map(([d, n]) => `${d}.${n}`),
);
/** What an untrusted peer can put anywhere in a tuple. */
const junkArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...EDGE_NUMBERS), weight: 6 },
  { arbitrary: fc.constantFrom(...EDGE_STRINGS), weight: 4 },
  { arbitrary: fc.integer({ min: -12, max: 12 }), weight: 3 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.maxSafeInteger(), weight: 1 },
  { arbitrary: fc.double(), weight: 2 },
  { arbitrary: idArb, weight: 2 },
  { arbitrary: entryIdArb, weight: 2 },
  { arbitrary: noteArb, weight: 1 },
  { arbitrary: fc.string(), weight: 1 },
  {
    arbitrary: fc.constantFrom<unknown>(...EDGE_OTHERS, { n: 'x' }),
    weight: 2,
  },
  { arbitrary: fc.anything(), weight: 1 },
);

/** The tuple's positions: version, kind, hub, device, seq, item, recorded, at before, a, b, extras. */
const POSITIONS = 11;
const EXTRA_KEYS = ['n', 'g', 'e', 'p', 'w', 't', 'a', 'r', 'f'] as const;

type Change =
  | { at: number; value: unknown }
  | { extra: string; value: unknown }
  | { drop: string }
  | { extras: unknown }
  | { length: number };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  { arbitrary: fc.record({ at: fc.nat(POSITIONS - 1), value: junkArb }), weight: 5 },
  {
    arbitrary: fc.record({
      extra: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.constantFrom('zz', 'x', '__proto__'), fc.string()),
      value: junkArb,
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ drop: fc.constantFrom(...EXTRA_KEYS) }), weight: 2 },
  { arbitrary: fc.record({ extras: junkArb }), weight: 1 },
  { arbitrary: fc.record({ length: fc.integer({ min: 0, max: 13 }) }), weight: 1 },
);

function applyChange(tuple: unknown[], c: Change): void {
  const extrasOf = () => {
    const x = tuple[10];
    const copy = typeof x === 'object' && x !== null && !Array.isArray(x) ? { ...x } : {};
    tuple[10] = copy;
    return copy as Record<string, unknown>;
  };
  if ('at' in c) tuple[c.at] = c.value;
  else if ('extra' in c) extrasOf()[c.extra] = c.value;
  else if ('drop' in c) delete extrasOf()[c.drop];
  else if ('extras' in c) tuple[10] = c.extras;
  else {
    if (c.length < tuple.length) tuple.length = c.length;
    else while (tuple.length < c.length) tuple.push(0);
  }
}

const validWireArb = entryArb().map((e) => [...encodeEntry(e)]);
/** A valid tuple of any kind, changed in one to four places (or, a quarter of the time, not at all). */
const changedWireArb = fc
  .tuple(validWireArb, fc.array(changeArb, { minLength: 0, maxLength: 4 }))
  .map(([tuple, changes]) => {
    for (const c of changes) applyChange(tuple, c);
    return tuple;
  });
/** Two valid tuples, perhaps of different kinds, crossed: each field from one or the other. */
const crossedWireArb = fc
  .tuple(validWireArb, validWireArb, fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }))
  .map(([x, y, pick]) => {
    const tuple = x.map((v, i) => (pick[i] ? (y[i] ?? v) : v));
    const ex = x[10] as Record<string, unknown> | undefined;
    const ey = y[10] as Record<string, unknown> | undefined;
    if (ex || ey) tuple[10] = pick[10] ? { ...ex, ...ey } : { ...ey, ...ex };
    return tuple;
  });
/** Any values at all, mostly with a version and kind that get past the first checks. */
const randomWireArb = fc
  .tuple(
    fc.oneof(fc.constant(1), junkArb),
    fc.oneof(fc.integer({ min: 0, max: 8 }), junkArb),
    fc.array(junkArb, { minLength: 7, maxLength: 10 }),
  )
  .map(([version, kind, rest]) => [version, kind, ...rest]);

describe('decodeEntry gives what the zod entry schema gives', () => {
  it('for valid tuples of every kind, changed tuples, crossed tuples and junk', () => {
    const accepted = new Map<string, number>();
    const refused = new Map<string, number>();
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    fc.assert(
      fc.property(
        fc.oneof(
          { arbitrary: validWireArb, weight: 2 },
          { arbitrary: changedWireArb, weight: 6 },
          { arbitrary: crossedWireArb, weight: 2 },
          { arbitrary: randomWireArb, weight: 1 },
          { arbitrary: fc.anything(), weight: 1 },
        ),
        (wire) => {
          const r = expectSame(wire);
          if (r.ok) count(accepted, r.entry.kind);
          else
            count(
              refused,
              r.reason.code === 'entry.fieldInvalid' ? `field ${r.reason.params.field}` : r.reason.code,
            );
        },
      ),
      fcOptions(20),
    );
    // Both sides are exercised: every kind accepted, every refusal and most fields named (3,000 runs: each
    // kind 130-160 times, each refusal 20-300 times, 24 fields named).
    const { numRuns } = fcOptions(20);
    for (const kind of ENTRY_KINDS) expect(accepted.get(kind), kind).toBeGreaterThan(numRuns / 200);
    for (const code of [
      'entry.notList',
      'entry.unknownVersion',
      'entry.wrongFieldCount',
      'entry.unknownKind',
      'entry.timeNotWhole',
      'entry.extrasMalformed',
      'entry.resolveMovesStock',
    ])
      expect(refused.get(code), code).toBeGreaterThan(numRuns / 1000);
    const fields = [...refused.keys()].filter((k) => k.startsWith('field '));
    expect(fields.length).toBeGreaterThan(numRuns > 1000 ? 20 : 10);
  });

  it('for a tuple of each kind with any one field or extra at any edge value', () => {
    let compared = 0;
    const packedBefore = packedCompared;
    for (const wire of Object.values(VALID)) {
      for (let at = 0; at < POSITIONS; at++)
        for (const value of [...EDGE_NUMBERS, ...EDGE_STRINGS, ...EDGE_OTHERS]) {
          const tuple = [...wire];
          tuple[at] = value;
          expectSame(tuple);
          compared++;
        }
      for (const key of EXTRA_KEYS)
        for (const value of [...EDGE_NUMBERS, ...EDGE_STRINGS, ...EDGE_OTHERS]) {
          expectSame([...wire.slice(0, 10), { ...(wire[10] as object), [key]: value }]);
          compared++;
        }
    }
    expect(compared).toBeGreaterThan(20_000);
    // Those whose values are of the types the packed form holds (whole numbers where numbers go...).
    expect(packedCompared - packedBefore).toBeGreaterThan(5_000);
  });

  it('reads a packed entry changed anywhere (characters replaced, added, taken out, cut) as an entry the schema accepts, or refuses it', () => {
    const refusals = new Map<string, number>();
    let accepted = 0;
    const edit = fc.oneof(
      fc.record({
        op: fc.constant('set' as const),
        at: fc.nat(),
        code: fc.oneof(fc.nat(130), fc.nat(0xffff)),
      }),
      fc.record({ op: fc.constant('add' as const), at: fc.nat(), code: fc.nat(130) }),
      fc.record({ op: fc.constant('drop' as const), at: fc.nat(), code: fc.constant(0) }),
      fc.record({ op: fc.constant('cut' as const), at: fc.nat(), code: fc.constant(0) }),
    );
    fc.assert(
      fc.property(entryArb(), fc.array(edit, { minLength: 1, maxLength: 3 }), (entry, edits) => {
        let s = packedEntry(entry);
        for (const { op, at, code } of edits) {
          const i = at % (s.length + 1);
          const ch = String.fromCharCode(code);
          if (op === 'set') s = s.slice(0, i) + ch + s.slice(i + 1);
          else if (op === 'add') s = s.slice(0, i) + ch + s.slice(i);
          else if (op === 'drop') s = s.slice(0, i) + s.slice(i + 1);
          else s = s.slice(0, i);
        }
        const r = expectPackedSound(s, entry.device);
        if (r.ok) accepted++;
        else refusals.set(r.reason.code, (refusals.get(r.reason.code) ?? 0) + 1);
      }),
      fcOptions(10),
    );
    // Both sides exercised: changed entries that still read (a changed quantity, time...), and refusals.
    expect(accepted).toBeGreaterThan(fcOptions(10).numRuns / 20);
    for (const code of ['entry.packedUnreadable', 'entry.fieldInvalid', 'entry.unknownKind'])
      expect(refusals.get(code), code).toBeGreaterThan(0);
  });

  it('names the field zod names first, for every pair of wrong fields of every kind', () => {
    let pairs = 0;
    for (const [kind, wire] of Object.entries(VALID) as [EntryKind, unknown[]][]) {
      const fields = [...COMMON, ...OWN[kind]];
      for (const x of fields) {
        // Each change alone makes its own field wrong.
        expect(decodeEntry(wrong(wire, [x])), `${kind} ${x.field}`).toEqual({
          ok: false,
          reason: msg('entry.fieldInvalid', { kind: word(`kind.${kind}`), field: x.field }),
        });
        for (const y of fields) {
          if (x === y) continue;
          const both = expectSame(wrong(wire, [x, y]));
          expect(both.ok ? null : both.reason.code, `${kind} ${x.field} ${y.field}`).toBe(
            'entry.fieldInvalid',
          );
          pairs++;
        }
      }
    }
    expect(pairs).toBeGreaterThan(900);
  });
});

/** A valid tuple of each kind, every extra its kind has set. */
const VALID: Record<EntryKind, unknown[]> = {
  donation: [1, 0, 'hub1', 'deva', 7, 'itma', SEC, 60, 12, 1, { n: 'x', g: 3, e: 1600, p: 2 }],
  pickup: [1, 1, 'hub1', 'deva', 7, 'itma', SEC, 0, 3, 2, { n: 'x', g: 3, w: 1, p: 2 }],
  count: [1, 2, 'hub1', 'deva', 7, 'itma', SEC, 0, 5, -2, { n: 'x', g: 3 }],
  discard: [1, 3, 'hub1', 'deva', 7, 'itma', SEC, 0, 4, 1, { n: 'x', g: 3 }],
  reversal: [1, 4, 'hub1', 'deva', 7, 'itma', SEC, 0, -4, 'devb.2', { n: 'x', g: 3, t: 0, e: 1600, a: SEC }],
  transfer_request: [1, 5, 'hub1', 'deva', 7, 'itma', SEC, 0, 4, 'hub2', { n: 'x', g: 3 }],
  transfer_out: [1, 6, 'hub1', 'deva', 7, 'itma', SEC, 0, 4, 'hub2', { n: 'x', g: 3, r: 'devb.2' }],
  transfer_in: [1, 7, 'hub2', 'devb', 7, 'itma', SEC, 0, 4, 'devb.2', { n: 'x', g: 3, f: 'hub1' }],
  transfer_resolve: [1, 8, 'hub2', 'devb', 7, 'itma', SEC, 0, 0, 'devb.2', { n: 'settled', g: 3 }],
};

/** A change that makes one field of the schema wrong, the rest as they were. */
interface Wrong {
  field: string;
  change: (t: unknown[], x: Record<string, unknown>) => void;
}
const at = (field: string, i: number, value: unknown): Wrong => ({
  field,
  change: (t) => {
    t[i] = value;
  },
});
const extra = (field: string, key: string, value: unknown): Wrong => ({
  field,
  change: (_t, x) => {
    x[key] = value;
  },
});
const COMMON: Wrong[] = [
  at('hub', 2, 'ab'),
  at('device', 3, 'DEVA'),
  at('seq', 4, 0),
  at('item', 5, 1234),
  // Before 2020, whatever `recordedSec` is.
  { field: 'at', change: (t) => (t[7] = (t[6] as number) + 1) },
  // After 2100, `at` kept where it was.
  {
    field: 'recordedAt',
    change: (t) => ((t[7] = (t[7] as number) + MAX_SEC + 1 - (t[6] as number)), (t[6] = MAX_SEC + 1)),
  },
  extra('group', 'g', 0),
  extra('note', 'n', ''),
];
const OWN: Record<EntryKind, Wrong[]> = {
  donation: [at('qty', 8, 0), at('source', 9, 5), extra('expiry', 'e', 1.5), extra('packs', 'p', 0)],
  pickup: [at('qty', 8, 0), at('households', 9, -1), extra('belowZero', 'w', 2), extra('packs', 'p', 0)],
  count: [at('counted', 8, -1), at('seen', 9, 10 * MAX_QUANTITY + 1)],
  discard: [at('qty', 8, 0), at('reason', 9, 4)],
  reversal: [
    at('target', 9, 'devb'),
    extra('targetKind', 't', 4),
    at('effect', 8, 10 * MAX_QUANTITY + 1),
    extra('expiry', 'e', 1.5),
    extra('targetAt', 'a', 1.5),
  ],
  transfer_request: [at('qty', 8, 0), at('to', 9, 'AB')],
  transfer_out: [at('qty', 8, 0), at('to', 9, 'AB'), extra('transfer', 'r', 'devb')],
  transfer_in: [at('qty', 8, -1), extra('from', 'f', 'AB'), at('transfer', 9, 'devb')],
  transfer_resolve: [at('transfer', 9, 'devb')],
};

function wrong(wire: readonly unknown[], changes: readonly Wrong[]): unknown[] {
  const extras = { ...(wire[10] as Record<string, unknown>) };
  const tuple = [...wire.slice(0, 10), extras];
  for (const c of changes) c.change(tuple, extras);
  return tuple;
}
