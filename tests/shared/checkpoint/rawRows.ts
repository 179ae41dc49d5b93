import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { CheckpointBody, CheckpointHead } from '../../../shared/checkpoint/format';
import { decodeHead, decodeRows, digestOf, encodeBody } from '../../../shared/checkpoint/format';

/**
 * A rows part (shared/checkpoint/rows.ts) taken apart into its layout, so a test can change one value of
 * it the way a peer could and put it back together: the header's values, and each column's bytes. Only
 * the layout: what the values mean is the decoder's part.
 */
export interface RawRows {
  format: number;
  rowCount: number;
  ids: string[];
  refs: string[];
  devices: { index: number; runs: [gap: number, length: number][] }[];
  /** kind, hub, item, recorded, at, a, b, applied, undo, flags, extras, notes */
  columns: Uint8Array[];
}

export const COLUMN = {
  kind: 0,
  hub: 1,
  item: 2,
  recorded: 3,
  at: 4,
  a: 5,
  b: 6,
  applied: 7,
  undo: 8,
  flags: 9,
  extras: 10,
  notes: 11,
} as const;

export function parseRaw(bytes: Uint8Array): RawRows {
  const d = decoding.createDecoder(bytes);
  const format = decoding.readVarUint(d);
  const rowCount = decoding.readVarUint(d);
  const strings = () => Array.from({ length: decoding.readVarUint(d) }, () => decoding.readVarString(d));
  const ids = strings();
  const refs = strings();
  const devices = Array.from({ length: decoding.readVarUint(d) }, () => ({
    index: decoding.readVarUint(d),
    runs: Array.from(
      { length: decoding.readVarUint(d) },
      () => [decoding.readVarUint(d), decoding.readVarUint(d)] as [number, number],
    ),
  }));
  const lengths = Array.from({ length: 12 }, () => decoding.readVarUint(d));
  const columns = lengths.map((n) => decoding.readUint8Array(d, n).slice());
  return { format, rowCount, ids, refs, devices, columns };
}

export function writeRaw(raw: RawRows): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, raw.format);
  encoding.writeVarUint(e, raw.rowCount);
  for (const list of [raw.ids, raw.refs]) {
    encoding.writeVarUint(e, list.length);
    for (const s of list) encoding.writeVarString(e, s);
  }
  encoding.writeVarUint(e, raw.devices.length);
  for (const device of raw.devices) {
    encoding.writeVarUint(e, device.index);
    encoding.writeVarUint(e, device.runs.length);
    for (const [gap, length] of device.runs) {
      encoding.writeVarUint(e, gap);
      encoding.writeVarUint(e, length);
    }
  }
  for (const c of raw.columns) encoding.writeVarUint(e, c.byteLength);
  for (const c of raw.columns) encoding.writeUint8Array(e, c);
  return encoding.toUint8Array(e);
}

/** A column of varuints (hub, item, undo) or varints (recorded, at, a, applied) as numbers, and back. */
export function uints(column: Uint8Array): number[] {
  const d = decoding.createDecoder(column);
  const out: number[] = [];
  while (decoding.hasContent(d)) out.push(decoding.readVarUint(d));
  return out;
}
export function ints(column: Uint8Array): number[] {
  const d = decoding.createDecoder(column);
  const out: number[] = [];
  while (decoding.hasContent(d)) out.push(decoding.readVarInt(d));
  return out;
}
export function fromUints(values: readonly number[]): Uint8Array {
  const e = encoding.createEncoder();
  for (const v of values) encoding.writeVarUint(e, v);
  return encoding.toUint8Array(e);
}
export function fromInts(values: readonly number[]): Uint8Array {
  const e = encoding.createEncoder();
  for (const v of values) encoding.writeVarInt(e, v);
  return encoding.toUint8Array(e);
}

/** The body's rows as a peer changed them, read against its head naming exactly those bytes. */
export function readChanged(body: CheckpointBody, change: (raw: RawRows) => void, count?: number): unknown {
  const encoded = encodeBody(body);
  const raw = parseRaw(encoded.rows);
  change(raw);
  return readBytes(body, writeRaw(raw), count ?? raw.rowCount);
}

/** Any bytes as the body's rows, read against its head naming exactly them (so only their content is judged). */
export function readBytes(body: CheckpointBody, bytes: Uint8Array, count = body.rows.length): unknown {
  const head: CheckpointHead = {
    ...decodeHead(encodeBody(body).head),
    rowsDigest: digestOf(bytes),
    rowCount: count,
  };
  return decodeRows(head, bytes);
}
