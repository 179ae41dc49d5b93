import { DISCARD_REASONS, DONATION_SOURCES, ENTRY_KINDS, type Entry, type EntryKind } from './entries';
import { dayNumber, entryFromFields, EPOCH_MS, type EntryFields } from './entryFields';
import { msg, word, type DomainMessage } from './messages';

export { dayNumber, EPOCH_MS };

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
/** A kind's code is its position in ENTRY_KINDS (which only ever grows at the end). */
const KIND_CODES: readonly EntryKind[] = ENTRY_KINDS;

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

const fail = (reason: DomainMessage): DecodeResult => ({ ok: false, reason });
/** Names a value from an untrusted peer in a message without calling anything on it. */
const describe = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : typeof v === 'number' ? String(v) : typeof v;
const isExtras = (v: unknown): v is Extras =>
  v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v));
const NO_EXTRAS: Extras = {};

/**
 * The fields of a tuple of ten or eleven values, the extras named, as `entryFromFields` checks them. Extras
 * that are not an object are read as none (`decodeEntry` refuses them).
 */
export function fieldsOf(wire: readonly unknown[]): EntryFields {
  const [, kind, hub, device, seq, item, recordedSec, atBefore, a, b, extras] = wire;
  const x = isExtras(extras) ? (extras ?? NO_EXTRAS) : NO_EXTRAS;
  return {
    kind,
    hub,
    device,
    seq,
    item,
    recordedSec,
    atBefore,
    a,
    b,
    ref: b,
    note: x.n,
    group: x.g,
    expiry: x.e,
    packs: x.p,
    belowZero: x.w,
    targetKind: x.t,
    targetAt: x.a,
    transfer: x.r,
    from: x.f,
  };
}

/**
 * Turns a tuple from the doc (possibly from an untrusted peer) back into a validated entry.
 * Never throws: anything malformed comes back with a reason a person can read under "Problems".
 *
 * Its fields are checked by `entryFromFields` (entryFields.ts), which accepts and refuses exactly what the
 * zod `entrySchema` does, naming the field the schema names first, without a schema object per entry.
 */
export function decodeEntry(wire: unknown): DecodeResult {
  if (!Array.isArray(wire)) return fail(msg('entry.notList'));
  if (wire[0] !== VERSION) return fail(msg('entry.unknownVersion', { value: describe(wire[0]) }));
  if (wire.length < 10 || wire.length > 11) return fail(msg('entry.wrongFieldCount'));
  const kind: unknown = wire[1];
  const entry = entryFromFields(fieldsOf(wire));
  if (entry === 'kind') return fail(msg('entry.unknownKind', { value: describe(kind) }));
  if (entry === 'time') return fail(msg('entry.timeNotWhole'));
  // Extras are checked after the kind and the times, as they always were.
  if (!isExtras(wire[10])) return fail(msg('entry.extrasMalformed'));
  if (typeof entry !== 'string') return { ok: true, entry };
  if (entry === 'moves stock') return fail(msg('entry.resolveMovesStock'));
  // The field is named as the schema names it.
  return fail(msg('entry.fieldInvalid', { kind: word(`kind.${KIND_CODES[kind as number]!}`), field: entry }));
}
