import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { runSteps } from '../pace';
import {
  DISCARD_REASONS,
  DONATION_SOURCES,
  ENTRY_KINDS,
  exclusiveSlot,
  isTransfer,
  transferOf,
} from '../entries';
import {
  dayNumber,
  entryFromFields,
  EPOCH_MS,
  isEntryId,
  isId,
  MAX_NOTE,
  MAX_SEQ,
  type EntryFields,
} from '../entryFields';
import type { LedgerRow, StockRow } from '../projection';
import { CheckpointFormatError, fault } from './errors';

/**
 * The rows part of a checkpoint: every counted entry it covers, what it counts for now and the undo that
 * cancelled it, in a binary, columnar form (lib0 varints). At a million entries the JSON form it replaces
 * cost more to check than a replay of the history: JSON.parse, a zod object per entry, spreads and a set of
 * ids. Here an entry's fields are read from columns and checked by hand with `entryFromFields`
 * (entryFields.ts), the checks the doc's own `decodeEntry` makes: tests/shared/checkpoint/rows.property.test.ts.
 *
 *   varuint  format (ROWS_FORMAT)
 *   varuint  rows
 *   varuint  ids, then each (varuint length, ASCII): devices, hubs, items, `to` and `from` hubs,
 *            strictly ascending, each an id
 *   varuint  entry ids, then each as above: undo targets, transfers, undos, strictly ascending
 *   varuint  devices, then each: its id's index (strictly ascending), varuint runs, and each run
 *            `gap, length`: sequence numbers `end + gap + 1` to `end + gap + length` (end: the previous
 *            run's last, 0 at first). Rows are in device, then sequence order, so each entry is there once.
 *   12 x varuint  the byte length of each column, then the columns, one after the other:
 *     kind      uint8 per row, the kind's code (wire.ts)
 *     hub, item varuint index into ids
 *     recorded  varint, seconds since 2020 less the previous row's
 *     at        varint, seconds before `recorded` (as in the doc)
 *     a         varint: qty, counted, effect (0 for a settlement)
 *     b         donation source, pickup households (0: none), count seen, discard reason: varint;
 *               undo target, receipt and settlement transfer: varuint index into entry ids;
 *               request and send `to`: varuint index into ids
 *     applied   varint, what the entry counts for now
 *     undo      varuint, 0 or 1 + the index of the undo that cancelled it in entry ids
 *     flags     uint8: note, group, expiry, packs, below zero, target time, requested transfer, each only
 *               for a kind that has it
 *     extras    in this order, where the kind has it: undo target kind, receipt `from` (index into ids),
 *               then where flagged: group, expiry (varint days since 2020), packs, target time (varint
 *               seconds since 2020), requested transfer (index into entry ids)
 *     notes     per flagged note: varuint length in UTF-16 code units (at most 1,000), then each unit
 *               (varuint), so any note the doc holds comes back as it was
 *
 * Deterministic: the same rows give the same bytes (sorted dictionaries, sorted rows, one way to write each
 * value). Every count and length read is bounded before it is used (by the head's row count, itself within
 * CHECKPOINT_LIMITS, and by the bytes left), and any malformed part is refused with a CheckpointFormatError.
 */
export const ROWS_FORMAT = 2;

const KINDS = ENTRY_KINDS;
const MAX_ID_BYTES = 16;
const MAX_ENTRY_ID_BYTES = 27;

const NOTE = 1;
const GROUP = 2;
const EXPIRY = 4;
const PACKS = 8;
const BELOW_ZERO = 16;
const TARGET_AT = 32;
const REQUEST = 64;
/** The flags each kind may carry, by kind code. */
const ALLOWED_FLAGS = KINDS.map(
  (k) =>
    NOTE |
    GROUP |
    (k === 'donation' ? EXPIRY | PACKS : 0) |
    (k === 'pickup' ? PACKS | BELOW_ZERO : 0) |
    (k === 'reversal' ? EXPIRY | TARGET_AT : 0) |
    (k === 'transfer_out' ? REQUEST : 0),
);
const REVERSAL = KINDS.indexOf('reversal');
const TRANSFER_IN = KINDS.indexOf('transfer_in');
/** What each kind's `b` is, by kind code: a number, an index into entry ids, or an index into ids. */
const NUMBER = 0;
const AN_ENTRY_ID = 1;
const AN_ID = 2;
const B_OF = KINDS.map((k) =>
  k === 'reversal' || k === 'transfer_in' || k === 'transfer_resolve'
    ? AN_ENTRY_ID
    : k === 'transfer_request' || k === 'transfer_out'
      ? AN_ID
      : NUMBER,
);

/** The columns, in the order their lengths and bytes are written. */
const COLUMNS = [
  'kind',
  'hub',
  'item',
  'recorded',
  'at',
  'a',
  'b',
  'applied',
  'undo',
  'flags',
  'extras',
  'notes',
] as const;
const KIND = 0;
const HUB = 1;
const ITEM = 2;
const RECORDED = 3;
const AT = 4;
const A = 5;
const B = 6;
const APPLIED = 7;
const UNDO = 8;
const FLAGS = 9;
const EXTRAS = 10;
const NOTES = 11;

/** Above this a running sum of what rows count for is no longer sure to be exact. */
const MAX_SUM = 2 ** 52;
/** Whole numbers a row may count for (as in the head's stock). */
const isApplied = (v: number) => Number.isInteger(v) && Math.abs(v) <= 2 ** 40;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const seconds = (ms: number) => Math.floor((ms - EPOCH_MS) / 1000);

/** The rows part's bytes. Deterministic: the same rows, in any order, give the same bytes. */
export function encodeRows(rows: readonly LedgerRow[]): Uint8Array {
  return runSteps(encodeRowsSteps(rows));
}

/**
 * Rows per step of `encodeRowsSteps` (a million rows took 0.4-0.8 s in one task). 16,384 until stop 53, when a
 * profile of an answering admin's page at 300,000 entries found steps of the column pass taking 110-130 ms.
 */
export const ENCODE_STEP = 4_096;

/**
 * `encodeRows` as steps, yielding every `every` rows of each pass over them: the same bytes, other tasks let
 * run between steps by a caller that can wait (`runStepsPaced`).
 */
export function* encodeRowsSteps(
  rows: readonly LedgerRow[],
  every = ENCODE_STEP,
): Generator<void, Uint8Array> {
  let counted = 0;
  const tick = () => ++counted % every === 0;
  const order = (x: LedgerRow, y: LedgerRow) => byString(x.device, y.device) || x.seq - y.seq;
  // A ledger block's rows come in order already (one device's, by sequence number): no sort for them.
  // Stryker disable next-line all: sorting rows already in order gives the same order, slower
  const inOrder = rows.every((r, i) => i === 0 || order(rows[i - 1]!, r) < 0);
  const sorted = inOrder ? rows : [...rows].sort(order);
  const idSet = new Set<string>();
  const refSet = new Set<string>();
  for (const r of sorted) {
    if (tick()) yield;
    idSet.add(r.device).add(r.hub).add(r.item);
    if (r.kind === 'reversal') refSet.add(r.target);
    else if (r.kind === 'transfer_request') idSet.add(r.to);
    else if (r.kind === 'transfer_out') {
      idSet.add(r.to);
      if (r.transfer !== undefined) refSet.add(r.transfer);
    } else if (r.kind === 'transfer_in') {
      idSet.add(r.from);
      refSet.add(r.transfer);
    } else if (r.kind === 'transfer_resolve') refSet.add(r.transfer);
    if (r.reversedBy !== undefined) refSet.add(r.reversedBy);
  }
  const ids = [...idSet].sort(byString);
  const refs = [...refSet].sort(byString);
  const idIndex = new Map(ids.map((s, i) => [s, i]));
  const refIndex = new Map(refs.map((s, i) => [s, i]));

  const out = encoding.createEncoder();
  encoding.writeVarUint(out, ROWS_FORMAT);
  encoding.writeVarUint(out, sorted.length);
  for (const dictionary of [ids, refs]) {
    encoding.writeVarUint(out, dictionary.length);
    for (const s of dictionary) encoding.writeVarString(out, s);
  }

  // Each device's sequence numbers as runs.
  const devices: { index: number; runs: number[] }[] = [];
  let end = 0;
  for (const r of sorted) {
    if (tick()) yield;
    const index = idIndex.get(r.device)!;
    let device = devices[devices.length - 1];
    if (device?.index !== index) {
      device = { index, runs: [] };
      devices.push(device);
      end = 0;
    }
    if (r.seq <= end) throw new Error(`entry ${r.id} is listed twice`);
    if (r.seq === end + 1 && device.runs.length > 0) device.runs[device.runs.length - 1]! += 1;
    else device.runs.push(r.seq - end - 1, 1);
    end = r.seq;
  }
  encoding.writeVarUint(out, devices.length);
  for (const d of devices) {
    encoding.writeVarUint(out, d.index);
    encoding.writeVarUint(out, d.runs.length / 2);
    for (const n of d.runs) encoding.writeVarUint(out, n);
  }

  const col = COLUMNS.map(() => encoding.createEncoder());
  let previous = 0;
  for (const r of sorted) {
    if (tick()) yield;
    const recorded = seconds(r.recordedAt);
    encoding.writeUint8(col[KIND]!, KINDS.indexOf(r.kind));
    encoding.writeVarUint(col[HUB]!, idIndex.get(r.hub)!);
    encoding.writeVarUint(col[ITEM]!, idIndex.get(r.item)!);
    encoding.writeVarInt(col[RECORDED]!, recorded - previous);
    encoding.writeVarInt(col[AT]!, recorded - seconds(r.at));
    previous = recorded;
    const extras = col[EXTRAS]!;
    let flags = 0;
    let expiry: string | undefined;
    let packs: number | undefined;
    let targetAt: number | undefined;
    let request: string | undefined;
    switch (r.kind) {
      case 'donation':
        encoding.writeVarInt(col[A]!, r.qty);
        encoding.writeVarInt(col[B]!, DONATION_SOURCES.indexOf(r.source));
        expiry = r.expiry;
        packs = r.packs;
        break;
      case 'pickup':
        encoding.writeVarInt(col[A]!, r.qty);
        encoding.writeVarInt(col[B]!, r.households ?? 0);
        packs = r.packs;
        if (r.belowZero) flags |= BELOW_ZERO;
        break;
      case 'count':
        encoding.writeVarInt(col[A]!, r.counted);
        encoding.writeVarInt(col[B]!, r.seen);
        break;
      case 'discard':
        encoding.writeVarInt(col[A]!, r.qty);
        encoding.writeVarInt(col[B]!, DISCARD_REASONS.indexOf(r.reason));
        break;
      case 'reversal':
        encoding.writeVarInt(col[A]!, r.effect);
        encoding.writeVarUint(col[B]!, refIndex.get(r.target)!);
        encoding.writeVarUint(extras, KINDS.indexOf(r.targetKind));
        expiry = r.expiry;
        targetAt = r.targetAt;
        break;
      case 'transfer_request':
        encoding.writeVarInt(col[A]!, r.qty);
        encoding.writeVarUint(col[B]!, idIndex.get(r.to)!);
        break;
      case 'transfer_out':
        encoding.writeVarInt(col[A]!, r.qty);
        encoding.writeVarUint(col[B]!, idIndex.get(r.to)!);
        request = r.transfer;
        break;
      case 'transfer_in':
        encoding.writeVarInt(col[A]!, r.qty);
        encoding.writeVarUint(col[B]!, refIndex.get(r.transfer)!);
        encoding.writeVarUint(extras, idIndex.get(r.from)!);
        break;
      case 'transfer_resolve':
        encoding.writeVarInt(col[A]!, 0);
        encoding.writeVarUint(col[B]!, refIndex.get(r.transfer)!);
        break;
    }
    encoding.writeVarInt(col[APPLIED]!, r.applied);
    encoding.writeVarUint(col[UNDO]!, r.reversedBy === undefined ? 0 : refIndex.get(r.reversedBy)! + 1);
    if (r.note !== undefined) flags |= NOTE;
    if (r.group !== undefined) {
      flags |= GROUP;
      encoding.writeVarUint(extras, r.group);
    }
    // As the doc's wire form: an empty expiry is no expiry.
    if (expiry) {
      flags |= EXPIRY;
      encoding.writeVarInt(extras, dayNumber(expiry));
    }
    if (packs !== undefined) {
      flags |= PACKS;
      encoding.writeVarUint(extras, packs);
    }
    if (targetAt !== undefined) {
      flags |= TARGET_AT;
      encoding.writeVarInt(extras, seconds(targetAt));
    }
    if (request !== undefined) {
      flags |= REQUEST;
      encoding.writeVarUint(extras, refIndex.get(request)!);
    }
    encoding.writeUint8(col[FLAGS]!, flags);
    if (r.note !== undefined) {
      const notes = col[NOTES]!;
      encoding.writeVarUint(notes, r.note.length);
      for (let i = 0; i < r.note.length; i++) encoding.writeVarUint(notes, r.note.charCodeAt(i));
    }
  }
  const parts = col.map((c) => encoding.toUint8Array(c));
  for (const p of parts) encoding.writeVarUint(out, p.byteLength);
  for (const p of parts) encoding.writeUint8Array(out, p);
  return encoding.toUint8Array(out);
}

/** What the rows are checked against: the head's row count, covers and stock. */
export interface RowsHead {
  rowCount: number;
  covers: readonly { device: string; counted: number }[];
  stock: readonly StockRow[];
}

/** Thrown by the column readers when a column ends before a value; reported with the row. */
const ENDED = new Error('column ended');
/** lib0's own errors for a varint past the end of its bytes, or too long to be a number. */
const LIB0_ENDED = 'Unexpected end of array';
const LIB0_RANGE = 'Integer out of Range';

function uint(d: decoding.Decoder): number {
  if (d.pos >= d.arr.length) throw ENDED;
  return decoding.readVarUint(d);
}
function int(d: decoding.Decoder): number {
  if (d.pos >= d.arr.length) throw ENDED;
  return decoding.readVarInt(d);
}

/**
 * Reads a rows part whose digest the caller has checked against the head. Every entry decoded and checked
 * as the doc's own entries are (`entryFromFields`), each within its device's counted range, once (devices
 * and sequence numbers strictly ascending), each device's rows ending exactly where the head says it
 * counts, and the head's on hand and entry count per `hub|item` what the rows count for.
 */
export function decodeRowsPart(head: RowsHead, bytes: Uint8Array): LedgerRow[] {
  return runSteps(decodeRowsPartSteps(head, bytes));
}

/**
 * Rows per step of `decodeRowsPartSteps`: a few milliseconds each (a million rows took 0.9 s in one task). A
 * step is as long as a task can be, whatever the slice: 16,384 rows made tasks of 140 ms on a new device's
 * page at 100k (the decoder not yet optimised, its garbage collected), where a slice is 20 ms.
 */
export const DECODE_STEP = 4_096;

/**
 * `decodeRowsPart` as steps, yielding every `every` rows: the same rows and the same faults, other tasks let
 * run between steps by a caller that can wait (`runStepsPaced`): a new device reading a million rows of the
 * checkpoint it starts from.
 */
export function* decodeRowsPartSteps(
  head: RowsHead,
  bytes: Uint8Array,
  every = DECODE_STEP,
): Generator<void, LedgerRow[]> {
  const progress: Progress = { where: 'rows', row: -1 };
  try {
    return yield* readRows(head, bytes, progress, every);
  } catch (error) {
    return readFault(error, progress);
  }
}

/**
 * Reads rows this device packed itself (its IndexedDB's ledger blocks: renderer/storage/ledgerRows.ts): each
 * entry decoded and checked as in a checkpoint's rows, without a head to check them against.
 */
export function decodeLedgerRows(bytes: Uint8Array): LedgerRow[] {
  return reading((progress) => runSteps(readRows(null, bytes, progress, Infinity)));
}

/** A row's hub, item and time: what listing a device's blocks by item reads of it. */
export interface RowPlace {
  hub: string;
  item: string;
  at: number;
}

/**
 * The hub, item and time of each of this device's own rows in `bytes`, in the order `decodeLedgerRows` gives
 * them, read from those columns alone, no row made: listing the blocks by item reads every row of every
 * block, and making each row was about half of it.
 */
export function ledgerRowPlaces(bytes: Uint8Array): RowPlace[] {
  return reading((progress) => {
    const { rowCount, ids, col } = readHeader(null, bytes, progress);
    const [hubs, items, recordeds, ats] = [col[HUB]!, col[ITEM]!, col[RECORDED]!, col[AT]!];
    const places: RowPlace[] = [];
    let recorded = 0;
    for (let i = 0; i < rowCount; i++) {
      progress.row = i;
      const hub = ids[uint(hubs)];
      const item = ids[uint(items)];
      if (hub === undefined || item === undefined)
        fault(`row ${i}`, 'its hub or item names no string of the part');
      // As `entryFromFields` makes them: seconds since EPOCH_MS, the time as how long before it was recorded.
      recorded += int(recordeds);
      places.push({ hub, item, at: EPOCH_MS + (recorded - int(ats)) * 1000 });
    }
    return places;
  });
}

/** A reader of rows, its faults reported with where they were found. */
function reading<T>(read: (progress: Progress) => T): T {
  const progress: Progress = { where: 'rows', row: -1 };
  try {
    return read(progress);
  } catch (error) {
    return readFault(error, progress);
  }
}

/** A reader's error as the fault it is, with where it was found (lib0's own errors named for what they mean). */
function readFault(error: unknown, progress: Progress): never {
  const where = progress.row >= 0 ? `row ${progress.row}` : progress.where;
  if (error === ENDED || (error instanceof Error && error.message === LIB0_ENDED))
    fault(where, 'its bytes end before its last value');
  if (error instanceof Error && error.message === LIB0_RANGE) fault(where, 'a number is out of range');
  throw error;
}

/** Where reading is, for a fault found by a column reader: a part of the header, or a row. */
interface Progress {
  where: string;
  row: number;
}

/** What precedes the rows' columns: the strings they name, each device's runs of rows, and a reader per column. */
interface RowsHeader {
  rowCount: number;
  ids: string[];
  refs: string[];
  runDevice: number[];
  runStart: number[];
  runEnd: number[];
  /** The last sequence number of each device's rows. */
  lastOf: Map<string, number>;
  col: decoding.Decoder[];
}

/** Reads and checks what precedes the columns; with `head` null, what a checkpoint's head says is not checked. */
function readHeader(head: RowsHead | null, bytes: Uint8Array, progress: Progress): RowsHeader {
  const d = decoding.createDecoder(bytes);
  const left = () => bytes.length - d.pos;
  if (uint(d) !== ROWS_FORMAT) fault('rows', `not rows of format ${ROWS_FORMAT}`);
  const rowCount = uint(d);
  if (head && rowCount !== head.rowCount) fault('rows', `not a list of ${head.rowCount} rows`);
  // Without a head the count is not bounded here: what it sizes is (the dictionaries by the bytes left, the
  // devices' runs must add up to it, each a few bytes read).

  progress.where = 'rows/ids';
  const ids = dictionary(d, 4 * rowCount, MAX_ID_BYTES, isId, 'ids', 'an id');
  progress.where = 'rows/entry ids';
  const refs = dictionary(d, 2 * rowCount, MAX_ENTRY_ID_BYTES, isEntryId, 'entry ids', 'an entry id');

  progress.where = 'rows/devices';
  const deviceCount = uint(d);
  if (deviceCount > Math.min(left(), rowCount))
    fault('rows/devices', `${deviceCount} is more than it can hold`);
  const runDevice: number[] = [];
  const runStart: number[] = [];
  const runEnd: number[] = [];
  const lastOf = new Map<string, number>();
  let total = 0;
  let previous = -1;
  for (let i = 0; i < deviceCount; i++) {
    const index = uint(d);
    if (index <= previous || index >= ids.length)
      fault('rows/devices', 'a device is listed twice, out of order or not among the ids');
    previous = index;
    const runs = uint(d);
    if (runs < 1 || runs > rowCount - total)
      fault(`rows/devices/${ids[index]}`, 'its runs are not as many as its rows');
    let end = 0;
    for (let r = 0; r < runs; r++) {
      const start = end + uint(d) + 1;
      const length = uint(d);
      end = start + length - 1;
      total += length;
      if (length < 1 || total > rowCount)
        fault(`rows/devices/${ids[index]}`, `its runs hold more than the ${rowCount} rows`);
      if (end > MAX_SEQ) fault(`rows/devices/${ids[index]}`, 'a sequence number is out of range');
      runDevice.push(index);
      runStart.push(start);
      runEnd.push(end);
    }
    lastOf.set(ids[index]!, end);
  }
  if (total !== rowCount) fault('rows/devices', `their runs hold ${total} rows, not ${rowCount}`);

  progress.where = 'rows/columns';
  const lengths = COLUMNS.map(() => uint(d));
  if (lengths.reduce((sum, n) => sum + n, 0) !== left())
    fault('rows/columns', 'their lengths are not what follows them');
  if (lengths[KIND] !== rowCount || lengths[FLAGS] !== rowCount)
    fault('rows/columns', 'the kinds or the flags are not one byte a row');
  const col = lengths.map((n) => decoding.createDecoder(decoding.readUint8Array(d, n)));
  return { rowCount, ids, refs, runDevice, runStart, runEnd, lastOf, col };
}

/** With `head` null (rows of this device's own), what a checkpoint's head says is not checked. */
function* readRows(
  head: RowsHead | null,
  bytes: Uint8Array,
  progress: Progress,
  every: number,
): Generator<void, LedgerRow[]> {
  const { ids, refs, runDevice, runStart, runEnd, lastOf, col } = readHeader(head, bytes, progress);
  const kinds = col[KIND]!;
  const hubs = col[HUB]!;
  const items = col[ITEM]!;
  const recordeds = col[RECORDED]!;
  const ats = col[AT]!;
  const as = col[A]!;
  const bs = col[B]!;
  const applieds = col[APPLIED]!;
  const undos = col[UNDO]!;
  const flagss = col[FLAGS]!;
  const extras = col[EXTRAS]!;
  const notes = col[NOTES]!;

  const counted = head ? new Map(head.covers.map((c) => [c.device, c.counted])) : null;
  const idCount = ids.length;
  const stockOf = (hub: number, item: number) => hub * idCount + item;
  const sums = new Map<number, number>();
  const counts = new Map<number, number>();
  const rows: LedgerRow[] = [];
  const f: EntryFields = {
    kind: 0,
    hub: '',
    device: '',
    seq: 0,
    item: '',
    recordedSec: 0,
    atBefore: 0,
    a: 0,
    b: 0,
    ref: '',
  };
  const indexIn = (dictionary: readonly string[], index: number, what: string): string => {
    const s = dictionary[index];
    if (s === undefined) fault(`row ${rows.length}`, `its ${what} names no string of the part`);
    return s;
  };
  let recorded = 0;
  for (let run = 0; run < runDevice.length; run++) {
    const device = ids[runDevice[run]!]!;
    const deviceCounted = counted ? (counted.get(device) ?? 0) : Infinity;
    for (let seq = runStart[run]!, end = runEnd[run]!; seq <= end; seq++) {
      const i = rows.length;
      if (i > 0 && i % every === 0) yield;
      progress.row = i;
      const kind = decoding.readUint8(kinds);
      if (kind >= KINDS.length) fault(`row ${i}`, `not a valid entry (no kind ${kind})`);
      const hub = uint(hubs);
      const item = uint(items);
      f.kind = kind;
      f.device = device;
      f.seq = seq;
      f.hub = indexIn(ids, hub, 'hub');
      f.item = indexIn(ids, item, 'item');
      recorded += int(recordeds);
      f.recordedSec = recorded;
      f.atBefore = int(ats);
      f.a = int(as);
      const bIs = B_OF[kind];
      if (bIs === AN_ENTRY_ID) {
        f.ref = indexIn(refs, uint(bs), 'transfer or target');
        f.b = 0;
      } else if (bIs === AN_ID) {
        f.ref = indexIn(ids, uint(bs), 'hub');
        f.b = 0;
      } else {
        f.ref = '';
        f.b = int(bs);
      }
      const applied = int(applieds);
      if (!isApplied(applied)) fault(`row ${i}`, 'what it counts for is not a whole number');
      const undo = uint(undos);
      const reversedBy = undo === 0 ? undefined : indexIn(refs, undo - 1, 'undo');
      const flags = decoding.readUint8(flagss);
      if ((flags & ~ALLOWED_FLAGS[kind]!) !== 0) fault(`row ${i}`, 'it holds fields its kind does not have');
      f.targetKind = kind === REVERSAL ? uint(extras) : undefined;
      f.from = kind === TRANSFER_IN ? indexIn(ids, uint(extras), 'from') : undefined;
      f.group = flags & GROUP ? uint(extras) : undefined;
      f.expiry = flags & EXPIRY ? int(extras) : undefined;
      f.packs = flags & PACKS ? uint(extras) : undefined;
      f.belowZero = flags & BELOW_ZERO ? true : undefined;
      f.targetAt = flags & TARGET_AT ? int(extras) : undefined;
      f.transfer = flags & REQUEST ? indexIn(refs, uint(extras), 'request') : undefined;
      f.note = flags & NOTE ? readNote(notes, i) : undefined;

      const entry = entryFromFields(f, true);
      if (typeof entry === 'string') fault(`row ${i}`, `not a valid entry (its ${entry})`);
      const rowId = `${device}.${seq}`;
      if (seq > deviceCounted)
        fault(`row ${i}`, `entry ${rowId} is past what the checkpoint counts of its device`);
      const row = entry as LedgerRow;
      row.id = rowId;
      row.applied = applied;
      if (reversedBy !== undefined) row.reversedBy = reversedBy;
      const slot = exclusiveSlot(entry);
      if (slot) row.slot = slot;
      if (isTransfer(entry)) row.root = transferOf(entry);
      rows.push(row);
      // Stryker disable next-line ConditionalExpression: summing rows nothing checks the sums of is only slower
      if (!head) continue;
      const key = stockOf(hub, item);
      const sum = (sums.get(key) ?? 0) + applied;
      // Exact while within 2^53 (real rows stay under 2^48); beyond, a sum could round to the head's figure.
      if (Math.abs(sum) > MAX_SUM) fault(`row ${i}`, 'its stock row sums past what can be counted exactly');
      sums.set(key, sum);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  progress.row = -1;
  col.forEach((c, i) => {
    if (c.pos !== c.arr.length) fault(`rows/columns/${COLUMNS[i]}`, 'bytes are left after the last row');
  });

  if (!head) return rows;
  for (const c of head.covers) {
    const last = lastOf.get(c.device) ?? 0;
    if (last !== c.counted) fault(`covers/${c.device}`, `says ${c.counted} counts, the rows end at ${last}`);
  }
  checkFigures(head.stock, ids, sums, counts);
  return rows;
}

/** A sorted dictionary of ASCII strings, each checked; at most `most` of them. */
function dictionary(
  d: decoding.Decoder,
  most: number,
  maxBytes: number,
  valid: (s: string) => boolean,
  name: string,
  what: string,
): string[] {
  const count = uint(d);
  if (count > Math.min(most, d.arr.length - d.pos))
    fault(`rows/${name}`, `${count} is more than the rows can use`);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = uint(d);
    if (length > maxBytes) fault(`rows/${name}`, `string ${i} is longer than ${what}`);
    const s = String.fromCharCode(...decoding.readUint8Array(d, length));
    if (!valid(s)) fault(`rows/${name}`, `string ${i} is not ${what}`);
    if (i > 0 && !(s > out[i - 1]!)) fault(`rows/${name}`, `string ${i} is not after the one before it`);
    out.push(s);
  }
  return out;
}

function readNote(notes: decoding.Decoder, i: number): string {
  const length = uint(notes);
  // At most MAX_NOTE code points, each one or two UTF-16 units.
  if (length > 2 * MAX_NOTE) fault(`row ${i}`, 'not a valid entry (its note)');
  let s = '';
  for (let k = 0; k < length; k++) {
    const unit = uint(notes);
    if (unit > 0xffff) fault(`row ${i}`, 'its note holds a character out of range');
    s += String.fromCharCode(unit);
  }
  return s;
}

/**
 * A projection's stock is the sum of what its entries count for: a part whose figures disagree with its
 * own rows was not made by the projector (a bug or a forgery), and later undos would take it further off.
 */
function checkFigures(
  stock: readonly StockRow[],
  ids: readonly string[],
  sums: ReadonlyMap<number, number>,
  counts: ReadonlyMap<number, number>,
): void {
  const index = new Map(ids.map((s, i) => [s, i]));
  const keys = new Set<number>();
  for (const s of stock) {
    const hub = index.get(s.hub);
    const item = index.get(s.item);
    const key = hub === undefined || item === undefined ? -1 : hub * ids.length + item;
    keys.add(key);
    if ((sums.get(key) ?? 0) !== s.onHand)
      throw new CheckpointFormatError(
        `Stock of ${s.key} is ${s.onHand}, but the entries it covers count for ${sums.get(key) ?? 0}`,
      );
    if ((counts.get(key) ?? 0) !== s.entryCount)
      throw new CheckpointFormatError(
        `Stock of ${s.key} counts ${s.entryCount} entries, but the checkpoint has ${counts.get(key) ?? 0}`,
      );
  }
  for (const key of sums.keys())
    if (!keys.has(key)) {
      const hub = ids[Math.floor(key / ids.length)]!;
      const item = ids[key % ids.length]!;
      throw new CheckpointFormatError(`Entries of ${hub}|${item} have no stock row`);
    }
}
