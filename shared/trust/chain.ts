import { toBase64Url } from '../sync/encoding';
import type { Entry } from '../entries';
import { encodeEntry } from '../wire';
import { sha256Bytes } from './crypto';

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

/** The head hash of a chain state: what a device signs. */
export function headHash(state: ChainState): string {
  if (state.partial.length === 0 && state.seq > 0) return state.block;
  return hashOf(state.block, state.partial);
}

/** The exact text a device signs for its head: bound to the network and the device. */
export function headMessage(network: string, device: string, seq: number, hash: string): string {
  return `larder head v1|${network}|${device}|${seq}|${hash}`;
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
): { chain: ChainState; hash: string; message: string } {
  const next = extendChain(chain, entries.map(entryLine));
  const hash = headHash(next);
  return { chain: next, hash, message: headMessage(network, device, next.seq, hash) };
}
