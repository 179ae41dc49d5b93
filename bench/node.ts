import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as Y from 'yjs';
import { readAllEntries } from '../shared/doc';
import type { BenchKind } from './generate';
import { Projector } from '../shared/projection';
import { appBenchNetwork } from './generate';
import { median } from './stats';
import { updatePieces } from '../renderer/storage/pieces';
import type { NodeSeed } from './page/api';

setFlagsFromString('--expose-gc');
/** A full garbage collection, so heap figures are what is retained, not what is waiting to be collected. */
export const gc = runInNewContext('gc') as () => void;

export interface NodeResult {
  n: number;
  generateMs: number;
  mix: Record<BenchKind, number>;
  transfers: { entries: number; inTransit: number };
  withExtras: number;
  stateBytes: number;
  stateBytesV2: number;
  /** Each run of `Y.applyUpdate(freshDoc, state)`. */
  applyMs: number[];
  readMs: number;
  foldMs: number;
  entriesRead: number;
  problems: number;
  /** Heap with the loaded doc alone, after a full GC. */
  heapDocMB: number;
  /** Heap with the loaded doc, every decoded entry and the folded projection, after a full GC. */
  heapAllMB: number;
}

const heapMB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** At most this much of the pieces in one file the browser fetches. */
const PACK_BYTES = 32 * 1024 * 1024;

/**
 * Bytes per entry, and how long a device takes to load the doc and fold the ledger, in Node. With
 * `exportTo`, also writes the doc there for the browser to seed from (`NodeSeed`): cut into the pieces
 * the app stores (`updatePieces`), in packs of up to PACK_BYTES, with `seed.json` naming them.
 */
export function measureNode(n: number, log: (line: string) => void, exportTo?: string): NodeResult {
  let t = performance.now();
  const net = appBenchNetwork(n);
  const generateMs = performance.now() - t;
  const state = Y.encodeStateAsUpdate(net.doc);
  const stateBytesV2 = Y.encodeStateAsUpdateV2(net.doc).byteLength;
  net.doc.destroy();
  log(`  generated ${n.toLocaleString('en')} entries in ${(generateMs / 1000).toFixed(1)} s`);
  if (exportTo) {
    t = performance.now();
    const packs = writePacks(updatePieces(state), exportTo);
    const seed: NodeSeed = {
      entries: n,
      networkId: net.networkId,
      networkKey: Buffer.from(net.networkKey).toString('base64url'),
      self: net.self,
      pickupItem: net.pickupItem,
      mix: net.mix,
      stateBytes: state.byteLength,
      generateMs,
      packs,
    };
    writeFileSync(join(exportTo, 'seed.json'), JSON.stringify(seed));
    log(
      `  cut into pieces for the browser in ${((performance.now() - t) / 1000).toFixed(1)} s (${packs.length} packs)`,
    );
  }

  const baseHeap = heapMB();
  const applyMs: number[] = [];
  const runs = n <= 100_000 ? 5 : 3;
  let doc = new Y.Doc();
  for (let i = 0; i < runs; i++) {
    doc.destroy();
    doc = new Y.Doc();
    t = performance.now();
    Y.applyUpdate(doc, state);
    applyMs.push(performance.now() - t);
  }
  const heapDocMB = heapMB() - baseHeap;
  log(`  Y.applyUpdate: ${applyMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);

  t = performance.now();
  const { entries, problems } = readAllEntries(doc);
  const readMs = performance.now() - t;
  t = performance.now();
  const projector = new Projector();
  for (const e of entries) projector.apply(e);
  const foldMs = performance.now() - t;
  const heapAllMB = heapMB() - baseHeap;
  log(
    `  readAllEntries ${readMs.toFixed(0)} ms, fold ${foldMs.toFixed(0)} ms (median apply ${median(applyMs).toFixed(0)} ms)`,
  );
  if (entries.length !== n || problems.length + projector.problems.length > 0)
    log(
      `  WARNING: read ${entries.length} of ${n} entries, ${problems.length + projector.problems.length} problems`,
    );
  const result: NodeResult = {
    n,
    generateMs,
    mix: net.mix,
    transfers: net.transfers,
    withExtras: net.withExtras,
    stateBytes: state.byteLength,
    stateBytesV2,
    applyMs,
    readMs,
    foldMs,
    entriesRead: entries.length,
    problems: problems.length + projector.problems.length,
    heapDocMB,
    heapAllMB,
  };
  doc.destroy();
  return result;
}

/** Writes `pieces` into `dir` as `pack-<i>.bin` files of at most PACK_BYTES; returns each pack's piece sizes. */
function writePacks(pieces: readonly Uint8Array[], dir: string): number[][] {
  mkdirSync(dir, { recursive: true });
  const packs: number[][] = [];
  let pack: Uint8Array[] = [];
  let bytes = 0;
  const flush = () => {
    if (pack.length === 0) return;
    writeFileSync(join(dir, `pack-${packs.length}.bin`), Buffer.concat(pack));
    packs.push(pack.map((p) => p.byteLength));
    pack = [];
    bytes = 0;
  };
  for (const piece of pieces) {
    if (bytes + piece.byteLength > PACK_BYTES) flush();
    pack.push(piece);
    bytes += piece.byteLength;
  }
  flush();
  return packs;
}
