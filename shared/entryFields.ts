import { DISCARD_REASONS, DONATION_SOURCES, ENTRY_KINDS, type Entry } from './entries';
import { ID_PATTERN } from './ids';
import { MAX_QUANTITY } from './quantity';

/**
 * An entry's fields checked by hand, as the zod `entrySchema` (entries.ts) checks them, without a schema
 * object per entry: at a million entries zod cost 2-3 s of every read of the whole ledger. The doc's
 * `decodeEntry` (wire.ts) and the checkpoint's rows (checkpoint/rows.ts) both read entries with
 * `entryFromFields`. The schema stays the one of record: tests/shared/entryFields.property.test.ts compares
 * the two on random and malformed tuples, and tests/shared/checkpoint/rows.property.test.ts on rows.
 */

/** Times in the doc are seconds since this instant, expiry days are days since it. */
export const EPOCH_MS = Date.UTC(2020, 0, 1);
const MAX_TIME = Date.UTC(2100, 0, 1);
const DAY_MS = 86_400_000;
export const MAX_SEQ = 2 ** 31 - 1;
/** A note's most code points. */
export const MAX_NOTE = 500;
const MAX_HOUSEHOLDS = 100_000;
const KINDS = ENTRY_KINDS;
const ENTRY_ID = /^[0-9a-z]{4,16}\.\d{1,10}$/;
const TARGET_KINDS: ReadonlySet<unknown> = new Set(
  KINDS.filter((k) => k !== 'reversal' && k !== 'transfer_resolve'),
);
const SOURCES: readonly unknown[] = DONATION_SOURCES;
const REASONS: readonly unknown[] = DISCARD_REASONS;

export const isId = (v: unknown): v is string => typeof v === 'string' && ID_PATTERN.test(v);
export const isEntryId = (v: unknown): v is string => typeof v === 'string' && ENTRY_ID.test(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);
/** A whole number within [min, max], as zod's `.int().min(min).max(max)` (its `int` is a safe integer). */
const within = (v: unknown, min: number, max: number): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isTime = (v: number) => within(v, EPOCH_MS, MAX_TIME);
const isQty = (v: unknown): v is number => within(v, 1, MAX_QUANTITY);
const isCount = (v: unknown): v is number => within(v, 0, MAX_QUANTITY);
const isSeen = (v: unknown): v is number => within(v, -10 * MAX_QUANTITY, 10 * MAX_QUANTITY);
/** An index into `names`, or one of the names (the schema's enum takes the name). */
const named = (v: unknown, names: readonly unknown[]): unknown =>
  isInt(v) ? names[v] : names.includes(v) ? v : undefined;

/**
 * A note's length as the entry schema measures it (zod 4): in code points, a surrogate pair counting once
 * and a lone surrogate once. Only a note longer than the bound in UTF-16 units needs counting.
 */
function codePoints(s: string): number {
  let count = s.length;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut; counting gives the same length
  if (count <= MAX_NOTE) return count;
  // Stryker disable next-line EqualityOperator,ArithmeticOperator: one unit further reads NaN, never a surrogate
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}
const isNote = (v: unknown): v is string =>
  typeof v === 'string' && v.length >= 1 && codePoints(v) <= MAX_NOTE;

/** An ISO day as days since 2020-01-01, as entries store expiry. */
export function dayNumber(iso: string): number {
  return Math.round((Date.parse(`${iso}T00:00:00Z`) - EPOCH_MS) / DAY_MS);
}
/** Expiry days within 1970..2200: anything else is not a date a person could have typed. */
const isExpiry = (v: unknown): v is number => isInt(v) && v > -20_000 && v < 66_000;
/** Expiry days decoded so far (a few hundred in a year of history): made once each. */
const isoOfDay = new Map<number, string>();
function isoFromDay(day: number): string {
  let iso = isoOfDay.get(day);
  // Stryker disable next-line ConditionalExpression: making the day again gives the same day, slower
  if (iso === undefined) {
    iso = new Date(EPOCH_MS + day * DAY_MS).toISOString().slice(0, 10);
    // Bounded: a forged history could hold any number of days.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: only decides when what is remembered is forgotten
    if (isoOfDay.size >= 4096) isoOfDay.clear();
    isoOfDay.set(day, iso);
  }
  return iso;
}

/**
 * An entry's fields as the doc's wire tuple holds them (wire.ts), the extras named. A peer's tuple may
 * hold anything in any of them; the checkpoint's rows give numbers and strings of the right type.
 */
export interface EntryFields {
  /** The kind's code: its index in ENTRY_KINDS. */
  kind: unknown;
  hub: unknown;
  device: unknown;
  seq: unknown;
  item: unknown;
  /** Seconds since 2020-01-01. */
  recordedSec: unknown;
  /** Seconds `at` is before `recordedSec`. */
  atBefore: unknown;
  /** Quantity, counted, effect (0 for a settlement). */
  a: unknown;
  /**
   * Donation source and discard reason (an index, or the name), pickup households (0: none; absent: the
   * field is there, undefined, as the schema leaves it), count seen.
   */
  b: unknown;
  /** Undo target, request and send `to`, receipt and settlement transfer. */
  ref: unknown;
  note?: unknown;
  group?: unknown;
  /** Days since 2020-01-01. */
  expiry?: unknown;
  packs?: unknown;
  /** Absent, or 1 (the wire's form) or true: the pickup went below zero after a warning. */
  belowZero?: unknown;
  /** The undone kind's code, or its name. */
  targetKind?: unknown;
  /** Seconds since 2020-01-01. */
  targetAt?: unknown;
  /** The request a send fulfils. */
  transfer?: unknown;
  from?: unknown;
}

/**
 * The entry these fields make, validated exactly as `decodeEntry` (wire.ts) validated them with the zod
 * `entrySchema`; or what is wrong: the kind, a time that is not whole seconds or a settlement that moves
 * stock (refused before any field, in that order, as `decodeEntry` does), else the field the schema names
 * first (its shape's order: the common fields, then the kind's own). Fields a kind does not have are
 * ignored, as the schema strips them. Never throws.
 *
 * `stringsChecked`: the rows part checks each string of its dictionaries once, with these same tests (an
 * id, an entry id), and gives each field a string from the dictionary its kind needs; so the per-row
 * string checks are skipped there. Everything else is checked for every entry.
 */
export function entryFromFields(f: EntryFields, stringsChecked = false): Entry | string {
  const kind = isInt(f.kind) ? KINDS[f.kind] : undefined;
  if (kind === undefined) return 'kind';
  const { recordedSec, atBefore, a, b, ref, note, group } = f;
  if (!isInt(recordedSec) || !isInt(atBefore)) return 'time';
  if (kind === 'transfer_resolve' && a !== 0) return 'moves stock';
  const checkIds = !stringsChecked;
  const recordedAt = EPOCH_MS + recordedSec * 1000;
  const at = EPOCH_MS + (recordedSec - atBefore) * 1000;
  if (checkIds && !isId(f.hub)) return 'hub';
  if (checkIds && !isId(f.device)) return 'device';
  if (!within(f.seq, 1, MAX_SEQ)) return 'seq';
  if (checkIds && !isId(f.item)) return 'item';
  if (!isTime(at)) return 'at';
  if (!isTime(recordedAt)) return 'recordedAt';
  if (group !== undefined && !within(group, 1, Number.MAX_SAFE_INTEGER)) return 'group';
  // A settlement must say how it was settled.
  if (note === undefined ? kind === 'transfer_resolve' : !isNote(note)) return 'note';
  const e: Record<string, unknown> = {
    kind,
    hub: f.hub,
    device: f.device,
    seq: f.seq,
    item: f.item,
    at,
    recordedAt,
  };
  if (group !== undefined) e.group = group;
  if (note !== undefined) e.note = note;
  switch (kind) {
    case 'donation':
    case 'discard': {
      const donation = kind === 'donation';
      const field = donation ? 'source' : 'reason';
      const value = named(b, donation ? SOURCES : REASONS);
      if (!isQty(a)) return 'qty';
      if (value === undefined) return field;
      e.qty = a;
      e[field] = value;
      break;
    }
    case 'pickup':
      if (!isQty(a)) return 'qty';
      e.qty = a;
      if (b !== 0) {
        if (b !== undefined && !within(b, 1, MAX_HOUSEHOLDS)) return 'households';
        e.households = b;
      }
      if (f.belowZero !== undefined) {
        if (f.belowZero !== 1 && f.belowZero !== true) return 'belowZero';
        e.belowZero = true;
      }
      break;
    case 'count':
      if (!isCount(a)) return 'counted';
      if (!isSeen(b)) return 'seen';
      e.counted = a;
      e.seen = b;
      break;
    case 'reversal': {
      const targetKind = isInt(f.targetKind) ? KINDS[f.targetKind] : f.targetKind;
      if (checkIds && !isEntryId(ref)) return 'target';
      if (!TARGET_KINDS.has(targetKind)) return 'targetKind';
      if (!isSeen(a)) return 'effect';
      e.target = ref;
      e.targetKind = targetKind;
      e.effect = a;
      break;
    }
    case 'transfer_request':
    case 'transfer_out':
      if (!isQty(a)) return 'qty';
      if (checkIds && !isId(ref)) return 'to';
      e.qty = a;
      e.to = ref;
      if (kind === 'transfer_out' && f.transfer !== undefined) {
        if (checkIds && !isEntryId(f.transfer)) return 'transfer';
        e.transfer = f.transfer;
      }
      break;
    case 'transfer_in':
      if (!isCount(a)) return 'qty';
      if (f.from === undefined || (checkIds && !isId(f.from))) return 'from';
      if (checkIds && !isEntryId(ref)) return 'transfer';
      e.qty = a;
      e.from = f.from;
      e.transfer = ref;
      break;
    case 'transfer_resolve':
      if (checkIds && !isEntryId(ref)) return 'transfer';
      e.transfer = ref;
      break;
  }
  // The optional fields that come last in their kinds' schemas, in the schemas' order.
  if (f.expiry !== undefined && (kind === 'donation' || kind === 'reversal')) {
    if (!isExpiry(f.expiry)) return 'expiry';
    e.expiry = isoFromDay(f.expiry);
  }
  if (f.packs !== undefined && (kind === 'donation' || kind === 'pickup')) {
    if (!isQty(f.packs)) return 'packs';
    e.packs = f.packs;
  }
  if (f.targetAt !== undefined && kind === 'reversal') {
    const targetAt = isInt(f.targetAt) ? EPOCH_MS + f.targetAt * 1000 : NaN;
    if (!isTime(targetAt)) return 'targetAt';
    e.targetAt = targetAt;
  }
  return e as Entry;
}
