import type { Entry } from '../entries';
import { BLOCK, BlockHashes, blockBytes, chainStart, entryLine, extendChain, type ChainState } from './chain';
import type { Gate, VerifiedHead } from './gate';
import { LineWriter } from './line';
import { toBase64Url } from '../sync/encoding';

/**
 * Verifying a device's history hashes its entries in blocks of 64 (chain.ts). The gate runs synchronously
 * inside a batch, so on its own it hashes with SHA-256 in JavaScript: at a million entries that is most of
 * the time a new device or a rebuild spends verifying. This pass runs before the gate, asynchronously,
 * and hashes the same blocks with the runtime's native SHA-256 (WebCrypto: Chromium, Electron and Node all
 * have it), every device's chain at once. The gate then finds each block's hash ready (`BlockHashes`), for
 * exactly those entry objects after exactly that chain hash, and computes anything else itself.
 *
 * It picks the blocks the gate will hash: each device's candidates after its verified chain, one per
 * position, without gaps, up to its signed head. Conflicting copies, gaps and entries past the head are
 * left to the gate. Nothing here decides what counts: a wrong guess only means the gate hashes that block.
 */
export type Digest = (bytes: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>;

/** WebCrypto's SHA-256, where the runtime has it. */
export const nativeDigest: Digest | null =
  typeof globalThis.crypto?.subtle?.digest === 'function'
    ? async (bytes) => new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes))
    : null;

/** Fewer blocks than this in all: not worth the round trips. */
const MIN_BLOCKS = 8;

export async function prehashBlocks(
  gate: Gate,
  entries: readonly Entry[],
  heads: ReadonlyMap<string, VerifiedHead>,
  digest: Digest | null = nativeDigest,
): Promise<BlockHashes> {
  const known = new BlockHashes();
  if (!digest) return known;
  const byDevice = new Map<string, Entry[]>();
  for (const e of entries) {
    const list = byDevice.get(e.device);
    if (list) list.push(e);
    else byDevice.set(e.device, [e]);
  }
  const work: { start: ChainState; run: Entry[] }[] = [];
  let blocks = 0;
  for (const [device, head] of heads) {
    // A chain that restarted is verified from its restarts' bases: left to the gate (rare).
    if (head.restarts?.length) continue;
    const state = gate.devices.get(device);
    const chain = state?.chain ?? chainStart(gate.network, device);
    if (head.seq - chain.seq < BLOCK) continue;
    const run = contiguousRun(chain.seq, head.seq, state?.pending ?? [], byDevice.get(device) ?? []);
    // Complete a partly filled block the way the gate will, so the rest starts on a block boundary.
    const fill = chain.partial.length === 0 ? 0 : Math.min(BLOCK - chain.partial.length, run.length);
    const start = fill === 0 ? chain : extendChain(chain, run.slice(0, fill).map(entryLine));
    const rest = run.slice(fill);
    if (rest.length >= BLOCK) {
      work.push({ start, run: rest });
      blocks += Math.floor(rest.length / BLOCK);
    }
  }
  if (blocks < MIN_BLOCKS) return known;
  await Promise.all(
    work.map(async ({ start, run }) => {
      const writer = new LineWriter();
      let previous = start.block;
      for (let from = 0; run.length - from >= BLOCK; from += BLOCK) {
        const bytes = blockBytes(previous, run, from, writer).slice();
        const hash = toBase64Url(await digest(bytes));
        known.set(previous, run.slice(from, from + BLOCK), hash);
        previous = hash;
      }
    }),
  );
  return known;
}

/** The candidates at chain+1, chain+2, ... up to `until`, while each position has exactly one. */
function contiguousRun(
  chain: number,
  until: number,
  pending: readonly Entry[],
  arriving: readonly Entry[],
): Entry[] {
  const bySeq = new Map<number, Entry | null>();
  const add = (e: Entry) => {
    if (e.seq <= chain || e.seq > until) return;
    bySeq.set(e.seq, bySeq.has(e.seq) ? null : e);
  };
  for (const e of pending) add(e);
  for (const e of arriving) add(e);
  const run: Entry[] = [];
  for (let s = chain + 1; s <= until; s++) {
    const e = bySeq.get(s);
    if (!e) break;
    run.push(e);
  }
  return run;
}
