import { toBase64Url } from '../sync/encoding';
import type { Entry } from '../entries';
import { encodeEntry } from '../wire';
import { sha256Bytes } from './crypto';
import { LineWriter } from './line';

/**
 * Each device keeps a hash chain over its own entries, and signs its head (sequence number and chain
 * hash) once per save, as Hypercore signs its tree head and secsync each client's counter. A receiver
 * accepts a device's entries up to the newest head it can verify; one signature covers every entry before
 * it, so signatures cost a few bytes per entry, not 64.
 *
 * The chain runs over blocks of 64 sequence numbers, so that verifying a million entries hashes 15,625
 * blocks instead of calling SHA-256 a million times:
 *   c(-1) = SHA-256("larder chain v1|network|device")
 *   c(j)  = SHA-256(c(j-1) || lines of seqs 64j+1 .. 64j+64)
 *   head(n) = SHA-256(c(b-1) || lines of seqs 64b+1 .. n), b = floor((n-1)/64)   (so head(64j+64) = c(j))
 * where the lines are each entry's canonical wire tuple as JSON, each followed by "\n".
 */
export const BLOCK = 64;

/** What a chain has covered: the hash of its last full block and the lines after it. */
export interface ChainState {
  /** The last sequence number covered (0: none). */
  seq: number;
  /** c(floor(seq/64)-1), base64url. */
  block: string;
  /** Canonical lines of the entries after the last full block (fewer than 64). */
  partial: string[];
}

const encoder = new TextEncoder();

export function entryLine(entry: Entry): string {
  return `${JSON.stringify(encodeEntry(entry))}\n`;
}

export function chainStart(network: string, device: string): ChainState {
  return {
    seq: 0,
    block: toBase64Url(sha256Bytes(encoder.encode(`larder chain v1|${network}|${device}`))),
    partial: [],
  };
}

function hashOf(block: string, lines: readonly string[]): string {
  return toBase64Url(sha256Bytes(encoder.encode(block), encoder.encode(lines.join(''))));
}

/** The chain with more lines (the next sequence numbers, in order) appended. Pure. */
export function extendChain(state: ChainState, lines: readonly string[]): ChainState {
  let block = state.block;
  let partial = [...state.partial];
  for (const line of lines) {
    partial.push(line);
    if (partial.length === BLOCK) {
      block = hashOf(block, partial);
      partial = [];
    }
  }
  return { seq: state.seq + lines.length, block, partial };
}

const writer = new LineWriter();

/**
 * Block hashes computed ahead of a verification (asynchronously, with the runtime's native SHA-256:
 * shared/trust/prehash.ts), each for the block that follows a given chain hash and holds exactly the given
 * entries. A hash found here is used only for those very entry objects after that very chain hash, so a
 * block is never taken on trust: the result is the one `extendChain` would give.
 */
export class BlockHashes {
  private readonly byPrevious = new Map<string, { entries: readonly Entry[]; hash: string }>();

  get size(): number {
    return this.byPrevious.size;
  }

  set(previous: string, entries: readonly Entry[], hash: string): void {
    this.byPrevious.set(previous, { entries, hash });
  }

  /** The hash of the block after `previous` made of `entries[from .. from+64)`, if computed ahead. */
  get(previous: string, entries: readonly Entry[], from: number): string | undefined {
    const known = this.byPrevious.get(previous);
    if (!known || known.entries.length !== BLOCK) return undefined;
    for (let k = 0; k < BLOCK; k++) if (known.entries[k] !== entries[from + k]) return undefined;
    return known.hash;
  }
}

/** The hash of one full block (64 entries from `from`) after the chain hash `previous`. */
export function blockHash(previous: string, entries: readonly Entry[], from: number, w = writer): string {
  return toBase64Url(sha256Bytes(blockBytes(previous, entries, from, w)));
}

/** The bytes a full block hashes: the previous chain hash, then 64 canonical lines. A view into `w`. */
export function blockBytes(
  previous: string,
  entries: readonly Entry[],
  from: number,
  w: LineWriter,
): Uint8Array {
  w.reset();
  w.ascii(previous);
  for (let k = from; k < from + BLOCK; k++) w.entry(entries[k]!);
  return w.bytes();
}

/**
 * `extendChain(state, entries.map(entryLine))`, fast: each full block of 64 is written as bytes in one
 * pass and hashed whole (shared/trust/line.ts), without a string per entry, or taken from `known` when it
 * was computed ahead for these very entries. For verifying a history.
 */
export function extendChainWithEntries(
  state: ChainState,
  entries: readonly Entry[],
  known?: BlockHashes,
): ChainState {
  let block = state.block;
  let partial = [...state.partial];
  let i = 0;
  while (partial.length > 0 && i < entries.length) {
    partial.push(entryLine(entries[i++]!));
    if (partial.length === BLOCK) {
      block = hashOf(block, partial);
      partial = [];
    }
  }
  for (; entries.length - i >= BLOCK; i += BLOCK)
    block = known?.get(block, entries, i) ?? blockHash(block, entries, i);
  for (; i < entries.length; i++) partial.push(entryLine(entries[i]!));
  return { seq: state.seq + entries.length, block, partial };
}

/** The head hash of a chain state: what a device signs. */
export function headHash(state: ChainState): string {
  if (state.partial.length === 0 && state.seq > 0) return state.block;
  return hashOf(state.block, state.partial);
}

/**
 * A point where a device's chain starts again: `[seq, hash]`, the head it had signed at `seq`. A device
 * that lost entries of its own (damaged storage) cannot extend its chain in a way others can check
 * without them, so it declares a restart at its last position, and its next entries chain from there:
 * the chain after `seq` starts from the state `restartBase(seq, hash)` instead of the full state at
 * `seq`. Entries up to `seq` still verify against `hash`, whenever they turn up (docs/trust.md).
 */
export type Restart = readonly [seq: number, hash: string];
/** Restarts one device may declare: each follows a loss of stored data, which is rare. */
export const MAX_RESTARTS = 64;

/**
 * The key of a device's head in the doc's `heads` map: its id, and `<id>/<n>` once its chain has
 * restarted n times. Heads a device signed before a restart may come back from a peer after it (they
 * were lost with its entries): under their own key they never compete, as concurrent writes to one map
 * key would, with the heads it signs after it.
 */
export function headKey(device: string, restarts: number): string {
  return restarts === 0 ? device : `${device}/${restarts}`;
}

/** The device and number of restarts a key of the `heads` map names; null when malformed. */
export function parseHeadKey(key: string): { device: string; restarts: number } | null {
  const at = key.indexOf('/');
  if (at < 0) return key ? { device: key, restarts: 0 } : null;
  const n = key.slice(at + 1);
  if (at === 0 || !/^[1-9]\d{0,3}$/.test(n) || Number(n) > MAX_RESTARTS) return null;
  return { device: key.slice(0, at), restarts: Number(n) };
}

/** The chain state a restart at `seq` continues from: its head hash is `hash`, and nothing is partial. */
export function restartBase(seq: number, hash: string): ChainState {
  return { seq, block: hash, partial: [] };
}

/** A head's list of restarts, if well formed: increasing positions, at most MAX_RESTARTS. */
export function parseRestarts(value: unknown): Restart[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_RESTARTS) return null;
  const out: Restart[] = [];
  let last = 0;
  for (const r of value as unknown[]) {
    if (!Array.isArray(r) || r.length !== 2) return null;
    const [seq, hash] = r as unknown[];
    if (!Number.isInteger(seq) || (seq as number) <= last || (seq as number) > 2 ** 31) return null;
    if (typeof hash !== 'string' || hash.length === 0 || hash.length > 64) return null;
    out.push([seq as number, hash]);
    last = seq as number;
  }
  return out;
}

/**
 * The exact text a device signs for its head: bound to the network and the device, and to the restarts
 * of its chain when it has any (a head without them is signed as before restarts existed).
 */
export function headMessage(
  network: string,
  device: string,
  seq: number,
  hash: string,
  restarts: readonly Restart[] = [],
): string {
  if (restarts.length === 0) return `larder head v1|${network}|${device}|${seq}|${hash}`;
  const list = restarts.map(([s, h]) => `${s}:${h}`).join(',');
  return `larder head v2|${network}|${device}|${seq}|${hash}|${list}`;
}

/**
 * A save: the device's chain extended with its new entries (the next sequence numbers), the new head's
 * hash, and the exact text the device signs for it.
 */
export function nextHead(
  network: string,
  device: string,
  chain: ChainState,
  entries: readonly Entry[],
  restarts: readonly Restart[] = [],
): { chain: ChainState; hash: string; message: string } {
  const next = extendChain(chain, entries.map(entryLine));
  const hash = headHash(next);
  return { chain: next, hash, message: headMessage(network, device, next.seq, hash, restarts) };
}
