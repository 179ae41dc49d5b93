import type { Entry } from '../entries';
import { BLOCK, BlockHashes, blockBytes, chainStart, entryLine, extendChain, type ChainState } from './chain';
import type { Gate, VerifiedHead } from './gate';
import { LineWriter } from './line';
import { loadFastSha256, sha256Bytes } from './crypto';
import { toBase64Url } from '../sync/encoding';
import { pacer, type PaceOptions } from '../pace';

/**
 * Verifying a device's history hashes its entries in blocks of 64 (chain.ts). The gate runs synchronously
 * inside a batch, in one task: at a million entries, writing and hashing 69 MB of canonical lines there
 * would hold the page for most of a second. This pass runs before the gate and hashes the same blocks in
 * slices of a few milliseconds, letting the page breathe between them. The gate then finds each block's
 * hash ready (`BlockHashes`), for exactly those entry objects after exactly that chain hash, and computes
 * anything else itself.
 *
 * It picks the blocks the gate will hash: each device's candidates after its verified chain, one per
 * position, without gaps, up to its signed head. Conflicting copies, gaps and entries past the head are
 * left to the gate. Nothing here decides what counts: a wrong guess only means the gate hashes that block.
 */
export type Hash = (bytes: Uint8Array) => Uint8Array;

export interface PrehashOptions extends PaceOptions {
  /** The SHA-256 to hash with (default: `sha256Bytes`, in WebAssembly once loaded); null: hash nothing ahead. */
  hash?: Hash | null;
}

/** Fewer blocks than this in all: not worth a pass of its own. */
const MIN_BLOCKS = 8;

export async function prehashBlocks(
  gate: Gate,
  entries: readonly Entry[],
  heads: ReadonlyMap<string, VerifiedHead>,
  options: PrehashOptions = {},
): Promise<BlockHashes> {
  const known = new BlockHashes();
  if (options.hash === null) return known;
  /** Lets other tasks run once this slice has lasted long enough. */
  const breathe = pacer(options);
  const byDevice = new Map<string, Entry[]>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const list = byDevice.get(e.device);
    if (list) list.push(e);
    else byDevice.set(e.device, [e]);
    if ((i & 0x3fff) === 0x3fff) await breathe();
  }
  const work: { start: ChainState; run: readonly Entry[]; from: number }[] = [];
  let blocks = 0;
  for (const [device, head] of heads) {
    // A chain that restarted is verified from its restarts' bases: left to the gate (rare).
    if (head.restarts?.length) continue;
    const state = gate.devices.get(device);
    const chain = state?.chain ?? chainStart(gate.network, device);
    if (head.seq - chain.seq < BLOCK) continue;
    const pending = state?.pending ?? [];
    const arriving = byDevice.get(device) ?? [];
    // Fewer candidates than positions up to the head: the gate waits for the rest and hashes nothing (a
    // history arriving in pieces waits whole for its last: hashing its run at each piece grew as its square).
    if (pending.length + arriving.length < head.seq - chain.seq) continue;
    const run = contiguousRun(chain.seq, head.seq, pending, arriving);
    // Complete a partly filled block the way the gate will, so the rest starts on a block boundary.
    const fill = chain.partial.length === 0 ? 0 : Math.min(BLOCK - chain.partial.length, run.length);
    const start = fill === 0 ? chain : extendChain(chain, run.slice(0, fill).map(entryLine));
    if (run.length - fill >= BLOCK) {
      work.push({ start, run, from: fill });
      blocks += Math.floor((run.length - fill) / BLOCK);
    }
    await breathe();
  }
  if (blocks < MIN_BLOCKS) return known;
  if (!options.hash) await loadFastSha256();
  const hash = options.hash ?? sha256Bytes;
  const writer = new LineWriter();
  for (const { start, run, from: first } of work) {
    let previous = start.block;
    for (let from = first; run.length - from >= BLOCK; from += BLOCK) {
      const digest = toBase64Url(hash(blockBytes(previous, run, from, writer)));
      known.set(previous, run.slice(from, from + BLOCK), digest);
      previous = digest;
      await breathe();
    }
  }
  return known;
}

/**
 * The candidates at chain+1, chain+2, ... up to `until`, while each position has exactly one. May be one
 * of the lists given (not to be changed).
 */
export function contiguousRun(
  chain: number,
  until: number,
  pending: readonly Entry[],
  arriving: readonly Entry[],
): readonly Entry[] {
  return inOrderRun(chain, until, pending, arriving) ?? slottedRun(chain, until, pending, arriving);
}

/**
 * The usual case, a device's ledger arriving as it was written: every candidate the next position, so none
 * twice, and the run is all of them up to `until`, found in one pass (null otherwise). Placing a million
 * candidates in slots held a new device's page 95 ms; pushing them one by one into a new array, 125 ms
 * and a collection of 384 ms: the run is the lists themselves, copied at most once, whole.
 */
function inOrderRun(
  chain: number,
  until: number,
  pending: readonly Entry[],
  arriving: readonly Entry[],
): readonly Entry[] | null {
  let next = chain + 1;
  for (const list of [pending, arriving])
    for (let i = 0; i < list.length; i++) if (list[i]!.seq !== next++) return null;
  const all = pending.length === 0 ? arriving : arriving.length === 0 ? pending : pending.concat(arriving);
  const most = Math.max(0, until - chain);
  return all.length > most ? all.slice(0, most) : all;
}

/** Any other case: each candidate placed in its position's slot, a position with two ending the run. */
function slottedRun(
  chain: number,
  until: number,
  pending: readonly Entry[],
  arriving: readonly Entry[],
): Entry[] {
  // A run is no longer than the candidates there are, whatever position a head claims.
  const slots: (Entry | null | undefined)[] = new Array(
    Math.min(until - chain, pending.length + arriving.length),
  );
  const add = (e: Entry) => {
    const k = e.seq - chain - 1;
    if (k < 0 || k >= slots.length) return;
    slots[k] = slots[k] === undefined ? e : null;
  };
  for (const e of pending) add(e);
  for (const e of arriving) add(e);
  const run: Entry[] = [];
  for (const e of slots) {
    if (!e) break;
    run.push(e);
  }
  return run;
}
