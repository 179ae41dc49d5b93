import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENTRY_KINDS,
  exclusiveSlot,
  idOf,
  isTransfer,
  transferOf,
  type Entry,
} from '../../../shared/entries';
import type { LedgerRow, StockRow } from '../../../shared/projection';
import { MAX_QUANTITY } from '../../../shared/quantity';
import { runSteps } from '../../../shared/pace';
import { CheckpointFormatError } from '../../../shared/checkpoint/format';
import {
  decodeLedgerRows,
  decodeRowsPart,
  decodeRowsPartSteps,
  encodeRows,
  encodeRowsSteps,
  ledgerRowPlaces,
  type RowsHead,
} from '../../../shared/checkpoint/rows';
import { entryFromFields, type EntryFields } from '../../../shared/entryFields';
import { decodeEntry, encodeEntry, EPOCH_MS, fieldsOf, type DecodeResult } from '../../../shared/wire';
import {
  countArb,
  discardArb,
  donationArb,
  entryArb,
  fcOptions,
  idArb,
  pickupArb,
  reversalArb,
  transferInArb,
  transferOutArb,
  transferRequestArb,
  transferResolveArb,
} from '../arbitraries';
import { decodeEntryBySchema } from '../decodeEntryBySchema';
import { EDGE_NUMBERS, EDGE_STRINGS, MAX_SEC } from '../entryEdges';

/**
 * The rows part checks each entry without a zod object per entry (`entryFromFields`, shared/entryFields.ts,
 * which the doc's `decodeEntry` uses too). It must accept exactly what the zod `entrySchema` accepts (the
 * schema path the doc's decodeEntry took until 2026-12-02: `decodeEntryBySchema`), give the same entry and
 * name the same field: compared here on the same fields written as the doc's wire tuple, for random valid
 * entries, valid entries with one field replaced, and fields drawn at random around every bound.
 */
/** Kinds whose wire `b` is a string (an entry id or a hub). */
const STRING_B = new Set(['reversal', 'transfer_request', 'transfer_out', 'transfer_in', 'transfer_resolve']);

/** The doc's wire tuple holding these fields (wire.ts). */
function wireOf(f: EntryFields): unknown[] {
  const extras: Record<string, unknown> = {};
  if (f.note !== undefined) extras.n = f.note;
  if (f.group !== undefined) extras.g = f.group;
  if (f.expiry !== undefined) extras.e = f.expiry;
  if (f.packs !== undefined) extras.p = f.packs;
  if (f.belowZero !== undefined) extras.w = f.belowZero;
  if (f.targetKind !== undefined) extras.t = f.targetKind;
  if (f.targetAt !== undefined) extras.a = f.targetAt;
  if (f.transfer !== undefined) extras.r = f.transfer;
  if (f.from !== undefined) extras.f = f.from;
  const kind = ENTRY_KINDS[f.kind as number];
  const b = kind !== undefined && STRING_B.has(kind) ? f.ref : f.b;
  const tuple: unknown[] = [1, f.kind, f.hub, f.device, f.seq, f.item, f.recordedSec, f.atBefore, f.a, b];
  if (Object.keys(extras).length > 0) tuple.push(extras);
  return tuple;
}

/** Numbers around every bound (some not whole, not finite: what a peer's tuple may hold). */
const edgeNumbers = fc.constantFrom(...EDGE_NUMBERS);
const intArb = fc.oneof(edgeNumbers, fc.integer({ min: -12, max: 12 }), fc.integer(), fc.maxSafeInteger());
const secondsArb = fc.oneof(
  fc.constantFrom(0, -0, -1, MAX_SEC, MAX_SEC + 1, 2 ** 60),
  fc.integer({ min: -5, max: MAX_SEC + 5 }),
  intArb,
);
const entryIdArb = fc.oneof(
  fc.tuple(idArb, fc.nat()).map(([d, n]) => `${d}.${n}`),
  fc.constantFrom('abcd.0', 'abcd.0001', 'abcd.9999999999', 'abcd.12345678901', 'abc.1', 'abcd.', 'ABCD.1'),
);
const stringArb = fc.oneof(
  idArb,
  entryIdArb,
  fc.constantFrom('', 'abc', 'abcd', 'a'.repeat(16), 'a'.repeat(17), 'ABCD', 'abc-', 'abcé'),
  fc.string({ maxLength: 20 }),
);
const noteArb = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 498, maxLength: 502 }),
  fc.constant(''),
);
const expiryArb = fc.oneof(
  fc.constantFrom(-20_001, -20_000, -19_999, 0, 65_999, 66_000, 66_001),
  fc.integer({ min: -20_010, max: 66_010 }),
  intArb,
);

/** The fields every tuple has, then the extras (each optional). */
const REQUIRED_FIELDS = [
  'kind',
  'hub',
  'device',
  'seq',
  'item',
  'recordedSec',
  'atBefore',
  'a',
  'b',
  'ref',
] as const satisfies readonly (keyof EntryFields)[];
const OPTIONAL_FIELDS = [
  'note',
  'group',
  'expiry',
  'packs',
  'belowZero',
  'targetKind',
  'targetAt',
  'transfer',
  'from',
] as const satisfies readonly (keyof EntryFields)[];

/** Any fields, each drawn around its bounds (mostly invalid entries). */
const anyFieldsArb: fc.Arbitrary<EntryFields> = fc.record(
  {
    kind: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: -2, max: 260 })),
    hub: stringArb,
    device: stringArb,
    seq: intArb,
    item: stringArb,
    recordedSec: secondsArb,
    atBefore: fc.oneof(fc.constant(0), intArb),
    a: intArb,
    b: fc.oneof(fc.integer({ min: -1, max: 6 }), intArb),
    ref: stringArb,
    note: noteArb,
    group: intArb,
    expiry: expiryArb,
    packs: intArb,
    belowZero: fc.boolean(),
    targetKind: fc.integer({ min: -1, max: 10 }),
    targetAt: secondsArb,
    transfer: stringArb,
    from: stringArb,
  },
  { requiredKeys: [...REQUIRED_FIELDS] },
);

const validFieldsArb = entryArb().map((e) => fieldsOf(encodeEntry(e)));

const FIELD_NAMES = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS];
const REQUIRED = new Set<keyof EntryFields>(REQUIRED_FIELDS);

/** A valid entry's fields with one of them replaced by a value drawn as above, or an optional one removed. */
const nearFieldsArb: fc.Arbitrary<EntryFields> = fc
  .tuple(validFieldsArb, anyFieldsArb, fc.constantFrom(...FIELD_NAMES), fc.boolean())
  .map(([valid, other, key, remove]) => ({
    ...valid,
    [key]: remove && !REQUIRED.has(key) ? undefined : other[key],
  }));

const NUMBER_FIELDS = new Set<keyof EntryFields>([
  'kind',
  'seq',
  'recordedSec',
  'atBefore',
  'a',
  'b',
  'group',
  'expiry',
  'packs',
  'targetKind',
  'targetAt',
]);
const STRING_FIELDS = new Set<keyof EntryFields>([
  'hub',
  'device',
  'item',
  'ref',
  'note',
  'transfer',
  'from',
]);

/** What entryFromFields says for an entry the schema path refuses with this reason. */
function refusalOf(theirs: DecodeResult & { ok: false }): string {
  const { reason } = theirs;
  if (reason.code === 'entry.fieldInvalid') return reason.params.field;
  if (reason.code === 'entry.unknownKind') return 'kind';
  if (reason.code === 'entry.timeNotWhole') return 'time';
  if (reason.code === 'entry.resolveMovesStock') return 'moves stock';
  return reason.code;
}

function agrees(fields: EntryFields): 'accepted' | 'refused' {
  const theirs = decodeEntryBySchema(wireOf(fields));
  const mine = entryFromFields(fields);
  if (theirs.ok) {
    expect(mine, JSON.stringify(fields)).toStrictEqual(theirs.entry);
    return 'accepted';
  }
  expect(mine, JSON.stringify(fields)).toBe(refusalOf(theirs));
  return 'refused';
}

describe('an entry in the rows part', () => {
  it('is accepted exactly when the schema accepts it, for an entry of each kind with any one field at any bound', () => {
    const kinds: fc.Arbitrary<Entry>[] = [
      donationArb(),
      pickupArb(),
      countArb(),
      discardArb(),
      reversalArb(),
      transferRequestArb(),
      transferOutArb(),
      transferInArb(),
      transferResolveArb(),
    ];
    const samples = kinds.flatMap((arb, i) => fc.sample(arb, { seed: i + 1, numRuns: 4 }));
    const outcomes = { accepted: 0, refused: 0 };
    for (const entry of samples) {
      const valid = fieldsOf(encodeEntry(entry));
      outcomes[agrees(valid)]++;
      for (const key of FIELD_NAMES) {
        const values: unknown[] = NUMBER_FIELDS.has(key)
          ? EDGE_NUMBERS
          : STRING_FIELDS.has(key)
            ? EDGE_STRINGS
            : [true, false];
        for (const value of [...values, ...(REQUIRED.has(key) ? [] : [undefined])])
          outcomes[agrees({ ...valid, [key]: value })]++;
      }
    }
    expect(outcomes.accepted).toBeGreaterThan(1000);
    expect(outcomes.refused).toBeGreaterThan(1000);
  });

  it('is accepted exactly when the schema accepts the same fields, and is the same entry', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(validFieldsArb, nearFieldsArb, anyFieldsArb), (fields) => {
        if (agrees(fields) === 'accepted') accepted++;
        else refused++;
      }),
      fcOptions(20),
    );
    // Both sides of the comparison are exercised, whatever the number of runs (FC_RUNS).
    const { numRuns } = fcOptions(20);
    expect(accepted).toBeGreaterThan(numRuns / 8);
    expect(refused).toBeGreaterThan(numRuns / 8);
  });

  it('comes back from the rows part as the doc’s wire form gives it back, whatever order rows are written in', () => {
    const rowArb = fc.record({
      entry: entryArb(),
      applied: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      reversedBy: fc.option(
        entryIdArb.filter((s) => /^[0-9a-z]{4,16}\.\d{1,10}$/.test(s)),
        { nil: undefined },
      ),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(rowArb, { selector: (r) => idOf(r.entry), maxLength: 30 }),
        fc.infiniteStream(fc.nat()),
        (drawn, order) => {
          const rows: LedgerRow[] = drawn.map(({ entry, applied, reversedBy }) => {
            const doc = decodeEntry(encodeEntry(entry));
            if (!doc.ok) throw new Error('an entry the doc cannot hold');
            return rowOf(doc.entry, applied, reversedBy);
          });
          const bytes = encodeRows(rows);
          const shuffled = [...rows].sort(() => ((order.next().value as number) % 3) - 1);
          expect(encodeRows(shuffled)).toEqual(bytes);
          // In steps (a step every 4 rows of each pass): the same bytes, a step more per 4 rows a pass.
          const steps = encodeRowsSteps(shuffled, 4);
          let yields = 0;
          for (let step = steps.next(); ; step = steps.next(), yields++)
            if (step.done) {
              expect(step.value).toEqual(bytes);
              break;
            }
          expect(yields).toBe(Math.floor((3 * rows.length) / 4));
          const read = decodeRowsPart(headOf(rows), bytes);
          expect(byId(read)).toEqual(byId(rows));
          // Read in steps (a step every 3 rows): the same rows, a step per 3 rows after the first.
          const reading = decodeRowsPartSteps(headOf(rows), bytes, 3);
          let reads = 0;
          for (let step = reading.next(); ; step = reading.next(), reads++)
            if (step.done) {
              expect(step.value).toEqual(read);
              break;
            }
          expect(reads).toBe(Math.max(0, Math.ceil(rows.length / 3) - 1));
          // Without a head (a ledger block's rows: renderer/storage/ledgerRows.ts), the same rows.
          expect(decodeLedgerRows(bytes)).toEqual(read);
          // Their hubs, items and times alone (the blocks listed by item), in the same order.
          expect(ledgerRowPlaces(bytes)).toEqual(read.map(({ hub, item, at }) => ({ hub, item, at })));
        },
      ),
      fcOptions(),
    );
  });

  /** One donation, the first of its device, of `qty`. */
  const donationOf = (qty: number): Entry => ({
    kind: 'donation',
    hub: 'hub1',
    device: 'deva',
    seq: 1,
    item: 'itma',
    at: EPOCH_MS,
    recordedAt: EPOCH_MS,
    qty,
    source: 'other',
  });

  it('is refused with a CheckpointFormatError naming its row and field', () => {
    const entry = donationOf(MAX_QUANTITY + 1);
    const rows = [rowOf(entry, 0, undefined)];
    expect(() => decodeRowsPart(headOf(rows), encodeRows(rows))).toThrow(CheckpointFormatError);
    expect(() => decodeRowsPart(headOf(rows), encodeRows(rows))).toThrow(
      'The checkpoint is malformed at row 0: not a valid entry (its qty)',
    );
    expect(() => decodeLedgerRows(encodeRows(rows))).toThrow(
      'The checkpoint is malformed at row 0: not a valid entry (its qty)',
    );
  });

  it('without a head, is refused when its row count is not its rows’, or its bytes end early', () => {
    const entry = donationOf(3);
    const bytes = encodeRows([rowOf(entry, 3, undefined)]);
    expect(decodeLedgerRows(bytes)).toEqual([rowOf(entry, 3, undefined)]);
    // The row count is the second byte (format, rows): its device's runs hold one row, not 100.
    const more = Uint8Array.from(bytes);
    more[1] = 100;
    expect(() => decodeLedgerRows(more)).toThrow(CheckpointFormatError);
    const two = Uint8Array.from(bytes);
    two[1] = 2;
    expect(() => decodeLedgerRows(two)).toThrow(CheckpointFormatError);
    expect(() => decodeLedgerRows(bytes.subarray(0, bytes.length - 1))).toThrow(CheckpointFormatError);
    // The hubs, items and times alone are refused likewise.
    expect(ledgerRowPlaces(bytes)).toEqual([{ hub: 'hub1', item: 'itma', at: EPOCH_MS }]);
    for (const bad of [more, two, bytes.subarray(0, bytes.length - 1)])
      expect(() => ledgerRowPlaces(bad)).toThrow(CheckpointFormatError);
  });
});

describe('the rows of one hub and item', () => {
  it('may not sum past what can be counted exactly (a rounded sum could match the head’s figure)', () => {
    const donation = (seq: number): Entry => ({
      kind: 'donation',
      hub: 'hub1',
      device: 'deva',
      seq,
      item: 'itma',
      at: EPOCH_MS,
      recordedAt: EPOCH_MS,
      qty: 1,
      source: 'other',
    });
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => rowOf(donation(i + 1), 2 ** 40, undefined));
    const fits = rows(4096);
    expect(decodeRowsPart(headOf(fits), encodeRows(fits))).toHaveLength(4096);
    const past = rows(4097);
    expect(() => decodeRowsPart(headOf(past), encodeRows(past))).toThrow(
      'The checkpoint is malformed at row 4096: its stock row sums past what can be counted exactly',
    );
    // Read in steps, the same fault, found after four steps; and the bytes cut short, named by their row.
    const steps = decodeRowsPartSteps(headOf(past), encodeRows(past), 1000);
    for (let i = 0; i < 4; i++) expect(steps.next().done).toBe(false);
    expect(() => steps.next()).toThrow(
      'The checkpoint is malformed at row 4096: its stock row sums past what can be counted exactly',
    );
    const bytes = encodeRows(fits);
    const short = decodeRowsPartSteps(headOf(fits), bytes.subarray(0, bytes.length - 1), 1000);
    expect(() => runSteps(short)).toThrow(CheckpointFormatError);
  });
});

const byId = (rows: readonly LedgerRow[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));

/** A ledger row as the projector makes one from an entry. */
function rowOf(entry: Entry, applied: number, reversedBy: string | undefined): LedgerRow {
  const slot = exclusiveSlot(entry);
  return {
    ...entry,
    id: idOf(entry),
    applied,
    ...(reversedBy !== undefined ? { reversedBy } : {}),
    ...(slot ? { slot } : {}),
    ...(isTransfer(entry) ? { root: transferOf(entry) } : {}),
  } as LedgerRow;
}

/** A head these rows agree with: each device counted to its last row, stock rows their sums. */
function headOf(rows: readonly LedgerRow[]): RowsHead {
  const counted = new Map<string, number>();
  const stock = new Map<string, StockRow>();
  for (const r of rows) {
    counted.set(r.device, Math.max(counted.get(r.device) ?? 0, r.seq));
    const key = `${r.hub}|${r.item}`;
    const s = stock.get(key) ?? {
      key,
      hub: r.hub,
      item: r.item,
      onHand: 0,
      lots: {},
      lastCountAt: null,
      lastWarnAt: null,
      lastEntryAt: 0,
      entryCount: 0,
    };
    s.onHand += r.applied;
    s.entryCount += 1;
    stock.set(key, s);
  }
  return {
    rowCount: rows.length,
    covers: [...counted].map(([device, c]) => ({ device, counted: c })),
    stock: [...stock.values()],
  };
}
