import { DISCARD_REASONS, DONATION_SOURCES, ENTRY_KINDS, type Entry, type EntryKind } from '../entries';
import { dayNumber, encodeEntry, EPOCH_MS } from '../wire';

/**
 * The canonical line of an entry (`JSON.stringify(encodeEntry(entry))` and "\n", see chain.ts) written
 * straight into bytes, for verifying whole histories: a million entries once per device history.
 *
 * Building each tuple, stringifying it, joining 64 lines and encoding them as UTF-8 costs ~2.5 µs per
 * entry, most of a history's verification time. This writes the same bytes in one pass into a reused
 * buffer. It covers the entries a device writes (ids, whole numbers, plain ASCII notes); any entry with a
 * value it does not cover (a note with an accent, a quote or a control character, a fraction) is written
 * through the reference path instead, so the bytes are always exactly those of `entryLine`
 * (tests/shared/trust/line.test.ts checks both ways with fast-check).
 */

const VERSION = 1;
const KIND_CODE = new Map<EntryKind, number>(ENTRY_KINDS.map((k, i) => [k, i]));
const encoder = new TextEncoder();

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;

/** Thrown inside a line when a value is not covered; the line is then written the reference way. */
const NOT_PLAIN = Symbol('not plain');

export class LineWriter {
  private buf = new Uint8Array(1 << 16);
  private pos = 0;

  get length(): number {
    return this.pos;
  }

  /** The bytes written since the last reset (a view: valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /**
   * Printable ASCII with nothing JSON escapes; anything else is not plain. Reserves one byte more than the
   * quoted string: the separator `fast()` writes after it, without a room check of its own.
   */
  private plain(s: string): void {
    this.room(s.length + 3);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = QUOTE;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) throw NOT_PLAIN;
      buf[pos++] = c;
    }
    buf[pos++] = QUOTE;
    this.pos = pos;
  }

  /**
   * A whole number as JSON writes it (safe integers only; -0 is "0"): up to 17 characters, and one byte
   * more reserved for the separator `fast()` writes after it.
   */
  private int(n: number): void {
    if (!Number.isSafeInteger(n)) throw NOT_PLAIN;
    this.room(18);
    if (n < 0) {
      this.byte(MINUS);
      n = -n;
    }
    if (n < 10) {
      this.byte(ZERO + n);
      return;
    }
    let digits = 0;
    for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
    let at = this.pos + digits;
    this.pos = at;
    for (let m = n; m > 0; m = Math.floor(m / 10)) this.buf[--at] = ZERO + (m % 10);
  }

  private value(v: unknown): void {
    if (typeof v === 'number') this.int(v);
    else if (typeof v === 'string') this.plain(v);
    else throw NOT_PLAIN;
  }

  private key(k: string, first: boolean): void {
    this.room(5);
    if (!first) this.byte(COMMA);
    this.byte(QUOTE);
    this.byte(k.charCodeAt(0));
    this.byte(QUOTE);
    this.byte(COLON);
  }

  /** Appends the entry's canonical line (its wire tuple as JSON, then "\n"). */
  entry(e: Entry): void {
    const start = this.pos;
    try {
      this.fast(e);
    } catch (error) {
      if (error !== NOT_PLAIN) throw error;
      this.pos = start;
      const line = encoder.encode(`${JSON.stringify(encodeEntry(e))}\n`);
      this.room(line.length);
      this.buf.set(line, this.pos);
      this.pos += line.length;
    }
  }

  /** Mirrors `encodeEntry` field by field, extras in the order it inserts them. */
  private fast(e: Entry): void {
    const recordedSec = Math.floor((e.recordedAt - EPOCH_MS) / 1000);
    const atSec = Math.floor((e.at - EPOCH_MS) / 1000);
    const kind = KIND_CODE.get(e.kind);
    if (kind === undefined) throw NOT_PLAIN;
    this.room(4);
    this.byte(0x5b); // [
    this.int(VERSION);
    this.byte(COMMA);
    this.int(kind);
    this.byte(COMMA);
    this.plain(e.hub);
    this.byte(COMMA);
    this.plain(e.device);
    this.byte(COMMA);
    this.int(e.seq);
    this.byte(COMMA);
    this.plain(e.item);
    this.byte(COMMA);
    this.int(recordedSec);
    this.byte(COMMA);
    this.int(recordedSec - atSec);
    this.room(1);
    this.byte(COMMA);

    // a, b, then the extras after `n` (note) and `g` (group), as encodeEntry builds them.
    let a: unknown;
    let b: unknown;
    const extras: [string, unknown][] = [];
    if (e.note !== undefined) extras.push(['n', e.note]);
    if (e.group !== undefined) extras.push(['g', e.group]);
    switch (e.kind) {
      case 'donation':
        a = e.qty;
        b = DONATION_SOURCES.indexOf(e.source);
        if (e.expiry) extras.push(['e', dayNumber(e.expiry)]);
        if (e.packs !== undefined) extras.push(['p', e.packs]);
        break;
      case 'pickup':
        a = e.qty;
        b = e.households ?? 0;
        if (e.belowZero) extras.push(['w', 1]);
        if (e.packs !== undefined) extras.push(['p', e.packs]);
        break;
      case 'count':
        a = e.counted;
        b = e.seen;
        break;
      case 'discard':
        a = e.qty;
        b = DISCARD_REASONS.indexOf(e.reason);
        break;
      case 'reversal':
        a = e.effect;
        b = e.target;
        extras.push(['t', KIND_CODE.get(e.targetKind) ?? -1]);
        if (e.expiry) extras.push(['e', dayNumber(e.expiry)]);
        if (e.targetAt !== undefined) extras.push(['a', Math.floor((e.targetAt - EPOCH_MS) / 1000)]);
        break;
      case 'transfer_request':
        a = e.qty;
        b = e.to;
        break;
      case 'transfer_out':
        a = e.qty;
        b = e.to;
        if (e.transfer !== undefined) extras.push(['r', e.transfer]);
        break;
      case 'transfer_in':
        a = e.qty;
        b = e.transfer;
        extras.push(['f', e.from]);
        break;
      case 'transfer_resolve':
        a = 0;
        b = e.transfer;
        break;
      default:
        throw NOT_PLAIN;
    }
    this.value(a);
    this.room(1);
    this.byte(COMMA);
    this.value(b);
    if (extras.length > 0) {
      this.room(2);
      this.byte(COMMA);
      this.byte(0x7b); // {
      for (let i = 0; i < extras.length; i++) {
        const [k, v] = extras[i]!;
        // JSON leaves a key whose value is undefined out of an object: not covered here.
        if (v === undefined) throw NOT_PLAIN;
        this.key(k, i === 0);
        this.value(v);
      }
      this.room(1);
      this.byte(0x7d); // }
    }
    this.room(2);
    this.byte(0x5d); // ]
    this.byte(0x0a); // \n
  }

  /** Appends ASCII text (a chain's previous block hash, base64url). */
  ascii(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) throw new Error('not ASCII');
      this.buf[this.pos++] = c;
    }
  }
}
