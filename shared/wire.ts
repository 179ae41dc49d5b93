import { DISCARD_REASONS, DONATION_SOURCES, ENTRY_KINDS, type Entry, type EntryKind } from './entries';
import { dayNumber, entryFromFields, EPOCH_MS, type EntryFields } from './entryFields';
import { msg, word, type DomainMessage } from './messages';

export { dayNumber, EPOCH_MS };

/**
 * The compact form an entry takes inside the Y.Doc. A network's ledger reaches a million entries, so
 * every byte is paid a million times: entries are positional tuples, times are seconds since 2020 (small
 * integers, varint-encoded by Yjs) and `at` is stored as its distance from `recordedAt` (usually 0).
 *
 * The canonical form, which a device's hash chain and signatures cover (trust/chain.ts), and the form
 * entries were stored in until 2026-12-02 (version 1):
 *
 *   [1, kind, hub, device, seq, item, recordedSec, atBeforeRecordedSec, a, b, extras?]
 *
 * The stored form since (`storedEntry`): the device is the key of the ledger array that holds the entry
 * (a device only ever appends to its own; an entry of another device found there was always set aside),
 * and the version and the kind share one number, STORED_KIND_BASE + the kind's code:
 *
 *   [32 + kind, hub, seq, item, recordedSec, atBeforeRecordedSec, a, b, extras?]
 *
 * A signed device's id is 16 characters: 18 bytes of every entry in the doc, and 2 more for the version.
 * `decodeEntry` reads both forms; the chain still hashes the canonical one, so signatures do not change.
 *
 * a/b per kind: donation qty/source, pickup qty/households, count counted/seen, discard qty/reason,
 * reversal effect/target. `extras` holds the rare fields under one-letter keys.
 */
export type WireEntry = readonly unknown[];

const VERSION = 1;
/**
 * A stored entry's first value is this plus its kind's code (below 64, it is one byte in Yjs's encoding:
 * room for 32 kinds). A Larder from before this form reads it as a version it does not know and sets the
 * entry aside, visibly, under Problems; updated, it rebuilds (PROJECTION_VERSION) and counts it.
 */
export const STORED_KIND_BASE = 32;
const STORED_KIND_END = 64;
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

/** The canonical tuple of an entry (version 1): what its device's chain hashes, and what `storedEntry` shortens. */
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

/**
 * The tuple an entry is stored as in its device's ledger array: the canonical one without the device (the
 * array's key) and with the version and the kind in one number.
 */
export function storedEntry(entry: Entry): WireEntry {
  const [, kind, hub, , ...rest] = encodeEntry(entry);
  return [STORED_KIND_BASE + (kind as number), hub, ...rest];
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
 * The fields of a canonical tuple (ten or eleven values), the extras named, as `entryFromFields` checks
 * them. Extras that are not an object are read as none (`decodeEntry` refuses them).
 */
export function fieldsOf(wire: readonly unknown[]): EntryFields {
  const [, kind, hub, device, seq, item, recordedSec, atBefore, a, b, extras] = wire;
  return fields(kind, hub, device, seq, item, recordedSec, atBefore, a, b, extras);
}

/** The fields of a stored tuple (eight or nine values) found in `device`'s ledger array. */
export function fieldsOfStored(wire: readonly unknown[], device: unknown): EntryFields {
  const [first, hub, seq, item, recordedSec, atBefore, a, b, extras] = wire;
  return fields(
    (first as number) - STORED_KIND_BASE,
    hub,
    device,
    seq,
    item,
    recordedSec,
    atBefore,
    a,
    b,
    extras,
  );
}

function fields(
  kind: unknown,
  hub: unknown,
  device: unknown,
  seq: unknown,
  item: unknown,
  recordedSec: unknown,
  atBefore: unknown,
  a: unknown,
  b: unknown,
  extras: unknown,
): EntryFields {
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

/** Whether a tuple is in the stored form (its first value is STORED_KIND_BASE + a kind's code, or past it). */
const isStored = (first: unknown): first is number =>
  Number.isInteger(first) && (first as number) >= STORED_KIND_BASE && (first as number) < STORED_KIND_END;

/**
 * Turns a tuple from the doc (possibly from an untrusted peer) back into a validated entry: a canonical
 * tuple (version 1), or a stored one found in the ledger array of `ledger` (its device). Never throws:
 * anything malformed comes back with a reason a person can read under "Problems".
 *
 * Its fields are checked by `entryFromFields` (entryFields.ts), which accepts and refuses exactly what the
 * zod `entrySchema` does, naming the field the schema names first, without a schema object per entry.
 * Both forms are checked alike, in the same order (tests/shared/wire.property.test.ts).
 */
export function decodeEntry(wire: unknown, ledger?: string): DecodeResult {
  if (!Array.isArray(wire)) return fail(msg('entry.notList'));
  const stored = isStored(wire[0]);
  if (!stored && wire[0] !== VERSION) return fail(msg('entry.unknownVersion', { value: describe(wire[0]) }));
  // The stored form has two values fewer: no version of its own, no device.
  const less = stored ? 2 : 0;
  if (wire.length < 10 - less || wire.length > 11 - less) return fail(msg('entry.wrongFieldCount'));
  const f = stored ? fieldsOfStored(wire, ledger) : fieldsOf(wire);
  const kind = f.kind;
  const entry = entryFromFields(f);
  if (entry === 'kind') return fail(msg('entry.unknownKind', { value: describe(kind) }));
  if (entry === 'time') return fail(msg('entry.timeNotWhole'));
  // Extras are checked after the kind and the times, as they always were.
  if (!isExtras(wire[10 - less])) return fail(msg('entry.extrasMalformed'));
  if (typeof entry !== 'string') return { ok: true, entry };
  if (entry === 'moves stock') return fail(msg('entry.resolveMovesStock'));
  // The field is named as the schema names it.
  return fail(msg('entry.fieldInvalid', { kind: word(`kind.${KIND_CODES[kind as number]!}`), field: entry }));
}
