import * as Y from 'yjs';
import { appBenchNetwork } from './generate';
import { gc } from './node';
import { updatePieces } from '../renderer/storage/pieces';
import { SkeletonBuilder } from '../shared/sync/skeleton';
import { checkpointSkeleton } from '../shared/sync/cut';
import { checkLedgerEntry, ledgersOf } from '../shared/doc';

/**
 * `npm run bench:skeleton [-- --sizes=100000,1000000]`: a doc without its ledgers' history
 * (shared/sync/skeleton.ts) against the whole doc, in Node: how long the skeleton takes to make from the
 * stored pieces, its size, how long it takes to load, and the heap each holds once loaded (after a full GC).
 */

const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '100000,1000000')
  .split(',')
  .map(Number);

const heapMB = () => {
  // Twice: what the first collection let go (a destroyed doc's observers) can hold more until the second.
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const ms = (t: number) => (t >= 10_000 ? `${(t / 1000).toFixed(1)} s` : `${t.toFixed(0)} ms`);

const rows: [string, ...string[]][] = [
  ['stored pieces (the whole doc)'],
  ['skeleton made from the pieces, one at a time'],
  ['skeleton size'],
  ['whole doc: Y.applyUpdate of the pieces'],
  ['skeleton: Y.applyUpdate'],
  ['heap the whole doc holds (after GC)'],
  ['heap the skeleton doc holds (after GC)'],
  ['same state vector, same last values'],
  [
    'checkpoint skeleton (all but each device’s last 1/365 counted): cut and skeleton made, from the whole doc',
  ],
  ['… its size; what follows its cut (a peer’s answer to it)'],
  ['… a new device: skeleton + answer applied, ledger values it got as events (the uncounted)'],
];

/** The whole doc loaded from the pieces: how long, the heap it holds, its state vector and last values. */
function loadWhole(pieces: readonly Uint8Array[]) {
  const t = performance.now();
  const whole = new Y.Doc();
  for (const piece of pieces) Y.applyUpdate(whole, piece);
  const wholeMs = performance.now() - t;
  // What the doc holds: the heap with it, less the heap once it is let go.
  const withWhole = heapMB();
  const wholeSv = Y.encodeStateVector(whole);
  // Copied (JSON): a value read from an update can be a slice of a string that holds its whole piece.
  const wholeLast = new Map<string, string>();
  ledgersOf(whole).forEach((array, device) =>
    wholeLast.set(device, JSON.stringify(array.get(array.length - 1))),
  );
  whole.destroy();
  return { wholeMs, wholeSv, wholeLast, withWhole };
}

/** The skeleton loaded: how long, the heap with it, and whether it has the whole doc's state and last values. */
function loadSkeleton(updates: readonly Uint8Array[], wholeSv: Uint8Array, wholeLast: Map<string, string>) {
  const t = performance.now();
  const skeleton = new Y.Doc();
  for (const update of updates) Y.applyUpdate(skeleton, update);
  const skeletonMs = performance.now() - t;
  const withSkeleton = heapMB();
  let same = Buffer.from(Y.encodeStateVector(skeleton)).equals(Buffer.from(wholeSv));
  ledgersOf(skeleton).forEach((array, device) => {
    same &&= array.length === 1 && JSON.stringify(array.get(0)) === wholeLast.get(device);
  });
  same &&= ledgersOf(skeleton).size === wholeLast.size;
  skeleton.destroy();
  return { skeletonMs, withSkeleton, same };
}

/**
 * A checkpoint's skeleton (shared/sync/cut.ts) from the whole doc, for a checkpoint that counts each device's
 * entries but its last 1/365 (a year's history, a day not yet under it): how long the cut and the skeleton take
 * (every ledger value decoded, as the app's would be to tell whether the checkpoint counts it), their size and
 * that of what follows the cut, and a new device started from them: how long, and the values it got as events.
 */
function fromCheckpoint(doc: Y.Doc) {
  const cover = new Map<string, number>();
  ledgersOf(doc).forEach((array, device) => cover.set(device, array.length - Math.ceil(array.length / 365)));
  const t = performance.now();
  const { cut, skeleton } = checkpointSkeleton(doc, (device, value) => {
    const checked = checkLedgerEntry(device, value);
    return checked.ok && checked.entry.seq <= (cover.get(device) ?? 0);
  });
  const makeMs = performance.now() - t;
  const answer = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(cut));
  const t2 = performance.now();
  const device = new Y.Doc();
  for (const update of skeleton.updates) Y.applyUpdate(device, update);
  let events = 0;
  ledgersOf(device).observeDeep((es) => {
    for (const e of es)
      if (e.target instanceof Y.Array)
        for (const op of e.changes.delta) if (op.insert) events += op.insert.length;
  });
  Y.applyUpdate(device, answer);
  const startMs = performance.now() - t2;
  const uncounted = [...cover.entries()].reduce(
    (s, [d, c]) => s + (ledgersOf(doc).get(d)?.length ?? 0) - c,
    0,
  );
  device.destroy();
  return {
    makeMs,
    bytes: skeleton.updates.reduce((s, u) => s + u.byteLength, 0),
    answerBytes: answer.byteLength,
    startMs,
    events,
    uncounted,
  };
}

for (const n of sizes) {
  const net = appBenchNetwork(n);
  const pieces = updatePieces(Y.encodeStateAsUpdate(net.doc));
  const cp = fromCheckpoint(net.doc);
  net.doc.destroy();
  const stored = pieces.reduce((s, p) => s + p.byteLength, 0);

  const t = performance.now();
  const builder = new SkeletonBuilder();
  for (const piece of pieces) builder.add(piece);
  const { updates } = builder.finish();
  const makeMs = performance.now() - t;
  const skeletonBytes = updates.reduce((s, u) => s + u.byteLength, 0);

  const { wholeMs, withWhole, wholeSv, wholeLast } = loadWhole(pieces);
  const wholeMB = withWhole - heapMB();
  pieces.length = 0;

  const { skeletonMs, withSkeleton, same } = loadSkeleton(updates, wholeSv, wholeLast);
  const skeletonMB = withSkeleton - heapMB();

  const cells = [
    mb(stored),
    ms(makeMs),
    `${mb(skeletonBytes)} (${updates.length} update${updates.length === 1 ? '' : 's'})`,
    ms(wholeMs),
    ms(skeletonMs),
    `${wholeMB.toFixed(1)} MB`,
    `${skeletonMB.toFixed(1)} MB`,
    same ? 'yes' : 'NO',
    ms(cp.makeMs),
    `${mb(cp.bytes)}; ${mb(cp.answerBytes)}`,
    `${ms(cp.startMs)}; ${cp.events.toLocaleString('en')} (${cp.uncounted.toLocaleString('en')})`,
  ];
  cells.forEach((cell, i) => rows[i]!.push(cell));
  console.error(`  ${n.toLocaleString('en')} entries done`);
}

const header = ['', ...sizes.map((n) => `N=${n.toLocaleString('en')}`)];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const row of rows) console.log(line(row));
