import {
  DISCARD_REASONS,
  DONATION_SOURCES,
  ENTRY_KINDS,
  entrySchema,
  type Entry,
  type EntryKind,
} from './entries';
import { msg, word, type DomainMessage } from './messages';

/**
 * The compact form an entry takes inside the Y.Doc. A network's ledger reaches a million entries, so
 * every byte is paid a million times: entries are positional tuples, times are seconds since 2020 (small
 * integers, varint-encoded by Yjs) and `at` is stored as its distance from `recordedAt` (usually 0).
 *
 *   [version, kind, hub, device, seq, item, recordedSec, atBeforeRecordedSec, a, b, extras?]
 *
 * a/b per kind: donation qty/source, pickup qty/households, count counted/seen, discard qty/reason,
 * reversal effect/target. `extras` holds the rare fields under one-letter keys.
 */
export type WireEntry = readonly unknown[];

const VERSION = 1;
export const EPOCH_MS = Date.UTC(2020, 0, 1);
/** A kind's code is its position in ENTRY_KINDS (which only ever grows at the end). */
const KIND_CODES: readonly EntryKind[] = ENTRY_KINDS;
const DAY_MS = 86_400_000;

interface Extras {
  e?: number; // expiry, days since 2020-01-01
  n?: string; // note
  g?: number; // group
  p?: number; // packs
  w?: 1; // pickup went below zero after a warning
  t?: number; // reversal target kind
  r?: string; // transfer: the request a send fulfils
  f?: string; // transfer in: the sending hub
  a?: number; // reversal: when its target happened, seconds since 2020
}

/** An ISO day as days since 2020-01-01, as entries store expiry. */
export function dayNumber(iso: string): number {
  return Math.round((Date.parse(`${iso}T00:00:00Z`) - EPOCH_MS) / DAY_MS);
}
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

export function encodeEntry(entry: Entry): WireEntry {
  const recordedSec = Math.floor((entry.recordedAt - EPOCH_MS) / 1000);
  const atSec = Math.floor((entry.at - EPOCH_MS) / 1000);
  const extras: Extras = {};
  if (entry.note !== undefined) extras.n = entry.note;
  if (entry.group !== undefined) extras.g = entry.group;
  let a: unknown;
  let b: unknown;
  switch (entry.kind) {
    case 'donation':
      a = entry.qty;
      b = DONATION_SOURCES.indexOf(entry.source);
      if (entry.expiry) extras.e = dayNumber(entry.expiry);
      if (entry.packs !== undefined) extras.p = entry.packs;
      break;
    case 'pickup':
      a = entry.qty;
      b = entry.households ?? 0;
      if (entry.belowZero) extras.w = 1;
      if (entry.packs !== undefined) extras.p = entry.packs;
      break;
    case 'count':
      a = entry.counted;
      b = entry.seen;
      break;
    case 'discard':
      a = entry.qty;
      b = DISCARD_REASONS.indexOf(entry.reason);
      break;
    case 'reversal':
      a = entry.effect;
      b = entry.target;
      extras.t = KIND_CODES.indexOf(entry.targetKind);
      if (entry.expiry) extras.e = dayNumber(entry.expiry);
      if (entry.targetAt !== undefined) extras.a = Math.floor((entry.targetAt - EPOCH_MS) / 1000);
      break;
    case 'transfer_request':
      a = entry.qty;
      b = entry.to;
      break;
    case 'transfer_out':
      a = entry.qty;
      b = entry.to;
      if (entry.transfer !== undefined) extras.r = entry.transfer;
      break;
    case 'transfer_in':
      a = entry.qty;
      b = entry.transfer;
      extras.f = entry.from;
      break;
    case 'transfer_resolve':
      a = 0;
      b = entry.transfer;
      break;
  }
  const tuple: unknown[] = [
    VERSION,
    KIND_CODES.indexOf(entry.kind),
    entry.hub,
    entry.device,
    entry.seq,
    entry.item,
    recordedSec,
    recordedSec - atSec,
    a,
    b,
  ];
  if (Object.keys(extras).length > 0) tuple.push(extras);
  return tuple;
}

export type DecodeResult = { ok: true; entry: Entry } | { ok: false; reason: DomainMessage };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const fail = (reason: DomainMessage): DecodeResult => ({ ok: false, reason });
/** Names a value from an untrusted peer in a message without calling anything on it. */
const describe = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : typeof v === 'number' ? String(v) : typeof v;
/** Expiry days within 1970..2200: anything else is not a date a person could have typed. */
const isDay = (v: unknown): v is number => isInt(v) && v > -20_000 && v < 66_000;

/**
 * Turns a tuple from the doc (possibly from an untrusted peer) back into a validated entry.
 * Never throws: anything malformed comes back with a reason a person can read under "Problems".
 */
export function decodeEntry(wire: unknown): DecodeResult {
  if (!Array.isArray(wire)) return fail(msg('entry.notList'));
  if (wire[0] !== VERSION) return fail(msg('entry.unknownVersion', { value: describe(wire[0]) }));
  if (wire.length < 10 || wire.length > 11) return fail(msg('entry.wrongFieldCount'));
  const [, kindCode, hub, device, seq, item, recordedSec, atBefore, a, b, rawExtras] = wire as unknown[];
  const kind = isInt(kindCode) ? KIND_CODES[kindCode] : undefined;
  if (!kind) return fail(msg('entry.unknownKind', { value: describe(kindCode) }));
  if (!isInt(recordedSec) || !isInt(atBefore)) return fail(msg('entry.timeNotWhole'));
  if (
    rawExtras !== undefined &&
    (typeof rawExtras !== 'object' || rawExtras === null || Array.isArray(rawExtras))
  ) {
    return fail(msg('entry.extrasMalformed'));
  }
  const extras = (rawExtras ?? {}) as Record<string, unknown>;
  const candidate: Record<string, unknown> = {
    kind,
    hub,
    device,
    seq,
    item,
    recordedAt: EPOCH_MS + recordedSec * 1000,
    at: EPOCH_MS + (recordedSec - atBefore) * 1000,
  };
  if (extras.n !== undefined) candidate.note = extras.n;
  if (extras.g !== undefined) candidate.group = extras.g;
  const expiry = isDay(extras.e) ? isoFromDay(extras.e) : extras.e === undefined ? undefined : 'invalid';
  switch (kind) {
    case 'donation':
      Object.assign(candidate, { qty: a, source: isInt(b) ? DONATION_SOURCES[b] : b });
      if (expiry !== undefined) candidate.expiry = expiry;
      if (extras.p !== undefined) candidate.packs = extras.p;
      break;
    case 'pickup':
      candidate.qty = a;
      if (b !== 0) candidate.households = b;
      if (extras.w !== undefined) candidate.belowZero = extras.w === 1 ? true : extras.w;
      if (extras.p !== undefined) candidate.packs = extras.p;
      break;
    case 'count':
      Object.assign(candidate, { counted: a, seen: b });
      break;
    case 'discard':
      Object.assign(candidate, { qty: a, reason: isInt(b) ? DISCARD_REASONS[b] : b });
      break;
    case 'reversal':
      Object.assign(candidate, {
        effect: a,
        target: b,
        targetKind: isInt(extras.t) ? KIND_CODES[extras.t] : extras.t,
      });
      if (extras.a !== undefined)
        candidate.targetAt = isInt(extras.a) ? EPOCH_MS + extras.a * 1000 : extras.a;
      if (expiry !== undefined) candidate.expiry = expiry;
      break;
    case 'transfer_request':
      Object.assign(candidate, { qty: a, to: b });
      break;
    case 'transfer_out':
      Object.assign(candidate, { qty: a, to: b });
      if (extras.r !== undefined) candidate.transfer = extras.r;
      break;
    case 'transfer_in':
      Object.assign(candidate, { qty: a, transfer: b, from: extras.f });
      break;
    case 'transfer_resolve':
      if (a !== 0) return fail(msg('entry.resolveMovesStock'));
      candidate.transfer = b;
      break;
  }
  const parsed = entrySchema.safeParse(candidate);
  if (!parsed.success) {
    // The field is named; zod's own English sentence about it is not passed on.
    const field = parsed.error.issues[0]?.path.join('.') ?? '';
    return fail(msg('entry.fieldInvalid', { kind: word(`kind.${kind}`), field }));
  }
  return { ok: true, entry: parsed.data };
}
