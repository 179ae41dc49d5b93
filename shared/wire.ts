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
 *
 * The packed form since (`packedEntry`, below): the stored tuple's values in one string. In a Yjs array
 * each value of a tuple costs a type byte, and a tuple is an array of 9-10 values on the heap; one string is
 * 2 bytes of framing in the doc and one small object in memory. `decodeEntry` reads all three forms; the
 * chain still hashes the canonical one, so signatures do not change.
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

/**
 * The packed form: one string per entry, read left to right.
 *
 * - The first character is PACKED_KIND_BASE + the kind's code, plus PACKED_EXTRAS when extras follow.
 * - Then the stored tuple's values, each a number or a text, by position: hub (text), seq, item (text),
 *   recordedSec, atBeforeRecordedSec, a, b (a text for the kinds whose b names an entry or a hub, a number
 *   for the others).
 * - With PACKED_EXTRAS: a number whose bits say which extras follow (PACKED_EXTRA_KEYS, in that order; `w`
 *   has no value, its bit is the value 1), then their values.
 *
 * A number is written 6 bits per character, least significant first, the character's bit 64 saying that
 * more follow; the first character's lowest bit is the sign. Every such character is below 128, one byte in
 * UTF-8; a time of 2026 takes 5 of them, and every safe integer fits in 9. -0 stays -0, as Yjs keeps it (an
 * undo of a count that changed nothing has the effect -0). A text is its length (a number) and then its UTF-16
 * units as they are. Refused, with where it stops making sense: a number that runs past the end, has more
 * than 9 characters or ends in a needless zero; a character above 127 where a number is; a text longer than
 * what is left; anything left over after the last value.
 */
export const PACKED_KIND_BASE = 0x40;
const PACKED_EXTRAS = 0x20;
/** The extras' keys, in the order of their bits and of their values. */
const PACKED_EXTRA_KEYS = ['e', 'n', 'g', 'p', 'w', 't', 'r', 'f', 'a'] as const;
/** The extras held as text; the others are numbers (and `w`, no value). */
const PACKED_TEXT_EXTRAS: ReadonlySet<string> = new Set(['n', 'r', 'f']);
/** Kinds whose b is a text: the entry an undo targets, the hub a request or send is for, a transfer. */
const TEXT_B: ReadonlySet<number> = new Set(
  (['reversal', 'transfer_request', 'transfer_out', 'transfer_in', 'transfer_resolve'] as const).map((k) =>
    KIND_CODES.indexOf(k),
  ),
);
/** A number's most characters: a sign and 53 bits. */
const MAX_NUMBER_CHARS = 9;

/** The packed string of an entry, as appended to its device's ledger array. */
export function packedEntry(entry: Entry): string {
  const packed = packTuple(encodeEntry(entry));
  if (packed === null)
    throw new Error(`entry ${entry.device}.${entry.seq} has a value the packed form cannot hold`);
  return packed;
}

/**
 * The packed string of a canonical tuple (its device left out: the ledger array's key gives it); null when
 * a value is not of a type the form holds (a fraction, a text where a number goes, an unknown extra...).
 * Values of the right type are packed whatever they are: `decodeEntry` judges them.
 */
export function packTuple(wire: WireEntry): string | null {
  if (wire.length < 10 || wire.length > 11 || wire[0] !== VERSION) return null;
  const [, kind, hub, , seq, item, recordedSec, atBefore, a, b, extras] = wire;
  if (!Number.isInteger(kind) || (kind as number) < 0 || (kind as number) >= PACKED_EXTRAS) return null;
  const out: string[] = [];
  const text = (v: unknown) => typeof v === 'string' && (putNumber(out, v.length), out.push(v), true);
  const number = (v: unknown) => isPackable(v) && (putNumber(out, v), true);
  if (!text(hub) || !number(seq) || !text(item) || !number(recordedSec) || !number(atBefore) || !number(a))
    return null;
  if (!(TEXT_B.has(kind as number) ? text(b) : number(b))) return null;
  let flags = 0;
  if (extras !== undefined) {
    if (typeof extras !== 'object' || extras === null || Array.isArray(extras)) return null;
    const x = extras as Record<string, unknown>;
    for (const key of Object.keys(x))
      if (!(PACKED_EXTRA_KEYS as readonly string[]).includes(key)) return null;
    const values: string[] = [];
    for (let bit = 0; bit < PACKED_EXTRA_KEYS.length; bit++) {
      const key = PACKED_EXTRA_KEYS[bit]!;
      if (!(key in x)) continue;
      const v = x[key];
      flags |= 1 << bit;
      if (key === 'w') {
        if (v !== 1) return null;
      } else if (PACKED_TEXT_EXTRAS.has(key)) {
        if (typeof v !== 'string') return null;
        putNumber(values, v.length);
        values.push(v);
      } else if (isPackable(v)) putNumber(values, v);
      else return null;
    }
    if (flags !== 0) {
      putNumber(out, flags);
      out.push(...values);
    }
  }
  const first = String.fromCharCode(PACKED_KIND_BASE + (flags !== 0 ? PACKED_EXTRAS : 0) + (kind as number));
  return first + out.join('');
}

const isPackable = (v: unknown): v is number => Number.isSafeInteger(v);

function putNumber(out: string[], v: number): void {
  const negative = v < 0 || Object.is(v, -0);
  let m = Math.abs(v);
  let d = (m % 32) * 2 + (negative ? 1 : 0);
  m = Math.floor(m / 32);
  let s = '';
  while (m > 0) {
    s += String.fromCharCode(64 | d);
    d = m % 64;
    m = Math.floor(m / 64);
  }
  out.push(s + String.fromCharCode(d));
}

/** Hub and item ids read so far, by a hash of their characters (`PackedReader.id`). */
const ids = new Map<number, string>();

/** Reads a packed string left to right; `at` is where it stopped making sense (-1: it has not). */
class PackedReader {
  pos = 1;
  at = -1;
  constructor(readonly s: string) {}
  /** A number, or NaN (and `at` set). */
  number(): number {
    const s = this.s;
    let c = s.charCodeAt(this.pos);
    // Past the end (NaN), or not a number's character.
    if (!(c < 128)) return this.stop();
    this.pos++;
    const negative = (c & 1) === 1;
    let m = (c & 63) >> 1;
    let scale = 32;
    for (let chars = 1; c >= 64; chars++) {
      if (chars === MAX_NUMBER_CHARS) return this.stop();
      c = s.charCodeAt(this.pos);
      if (!(c < 128)) return this.stop();
      // A last character of 0 adds nothing: the same number has a shorter form, the only one accepted.
      if (c === 0) return this.stop();
      this.pos++;
      m += (c & 63) * scale;
      scale *= 64;
    }
    return negative ? -m : m;
  }
  /** A text, or undefined (and `at` set). */
  text(): string | undefined {
    const start = this.pos;
    const length = this.number();
    if (!(length >= 0) || this.pos + length > this.s.length) return void this.stop(start);
    this.pos += length;
    return this.s.slice(this.pos - length, this.pos);
  }
  /**
   * A text that names a hub or an item: the same string object each time it is read (a few hundred of them
   * in a network, each in up to a million entries), not a new copy per entry.
   */
  id(): string | undefined {
    const start = this.pos;
    const length = this.number();
    const s = this.s;
    const from = this.pos;
    if (!(length >= 0) || from + length > s.length) return void this.stop(start);
    this.pos += length;
    let h = length;
    for (let i = from; i < from + length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
    const known = ids.get(h);
    if (known !== undefined && known.length === length && s.startsWith(known, from)) return known;
    const id = s.slice(from, from + length);
    // Bounded: a forged history could hold any number of ids.
    if (ids.size >= 4096) ids.clear();
    ids.set(h, id);
    return id;
  }
  private stop(at = this.pos): number {
    if (this.at < 0) this.at = at;
    return NaN;
  }
}

function decodePacked(wire: string, ledger: unknown): DecodeResult {
  if (wire.length === 0) return fail(msg('entry.packedUnreadable', { at: 0 }));
  const first = wire.charCodeAt(0);
  if (!(first >= PACKED_KIND_BASE && first < 128))
    return fail(msg('entry.unknownVersion', { value: describe(first) }));
  const kind = first & (PACKED_EXTRAS - 1);
  // A kind of a later Larder is named as such, whatever its values are (their types depend on the kind).
  if (KIND_CODES[kind] === undefined) return fail(msg('entry.unknownKind', { value: describe(kind) }));
  const r = new PackedReader(wire);
  const hub = r.id();
  const seq = r.number();
  const item = r.id();
  const recordedSec = r.number();
  const atBefore = r.number();
  const a = r.number();
  const b = TEXT_B.has(kind) ? r.text() : r.number();
  let x: Record<string, unknown> | undefined;
  let extrasMalformed = false;
  if (first & PACKED_EXTRAS && r.at < 0) {
    x = {};
    const flags = r.number();
    // No extra, or one this form does not know: what follows cannot be read as extras.
    if (!(flags > 0 && flags < 1 << PACKED_EXTRA_KEYS.length)) extrasMalformed = r.at < 0;
    else
      for (let bit = 0; bit < PACKED_EXTRA_KEYS.length; bit++) {
        if (!(flags & (1 << bit))) continue;
        const key = PACKED_EXTRA_KEYS[bit]!;
        x[key] = key === 'w' ? 1 : PACKED_TEXT_EXTRAS.has(key) ? r.text() : r.number();
      }
  }
  if (r.at < 0 && !extrasMalformed && r.pos !== wire.length) r.at = r.pos;
  if (r.at >= 0) return fail(msg('entry.packedUnreadable', { at: r.at }));
  const f = fields(kind, hub, ledger, seq, item, recordedSec, atBefore, a, b, x);
  const entry = entryFromFields(f);
  if (entry === 'time') return fail(msg('entry.timeNotWhole'));
  if (extrasMalformed) return fail(msg('entry.extrasMalformed'));
  return judged(entry, kind);
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
  if (typeof wire === 'string') return decodePacked(wire, ledger);
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
  return judged(entry, kind);
}

/** What `entryFromFields` said past the kind and the times: the entry, or the field it refused. */
function judged(entry: Entry | string, kind: unknown): DecodeResult {
  if (typeof entry !== 'string') return { ok: true, entry };
  if (entry === 'moves stock') return fail(msg('entry.resolveMovesStock'));
  // The field is named as the schema names it.
  return fail(msg('entry.fieldInvalid', { kind: word(`kind.${KIND_CODES[kind as number]!}`), field: entry }));
}
