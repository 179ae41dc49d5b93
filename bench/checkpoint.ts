import { cpus, loadavg } from 'node:os';
import { readAllEntries } from '../shared/doc';
import { Projector } from '../shared/projection';
import { deflate } from '../shared/sync/compress';
import { loadFastSha256 } from '../shared/trust/crypto';
import { digestOf } from '../shared/checkpoint/format';
import { checkpointRows, verifyCheckpoint } from '../shared/checkpoint/verify';
import { seedProjector } from '../shared/checkpoint/seed';
import { generateNetwork } from './generate';
import { signedCheckpointOf } from './signedCheckpoint';
import { commandLine } from './report';

/**
 * `npm run bench:checkpoint`: how long a coordinator takes to make and sign a checkpoint of the bench
 * network (bench/generate.ts), how long a new device takes to verify it and seed its projection from it,
 * and its size (the body as signed, and deflated as it would travel). For comparison, the time to project
 * the whole history from its entries (what a device does today, before IndexedDB and Yjs costs).
 *
 *   npm run bench:checkpoint                      100k and 1M entries
 *   npm run bench:checkpoint -- --sizes=100000    one size
 *   npm run bench:checkpoint -- --sha=js          hash in JavaScript (the app loads WebAssembly first)
 *
 * SHA-256 runs in WebAssembly (hash-wasm), as in the app (renderer/storage/trust.ts loads it before the
 * gate verifies anything); `--sha=js` keeps @noble/hashes, as before 2026-12-02. "of which digest" is the
 * rows' SHA-256 alone, part of "check rows".
 *
 * Each device of the network gets a key pair and signs its head; one coordinator makes the checkpoint.
 * It measures and prints; it never fails on a figure.
 */
const { option } = commandLine();
const sizes = (option('sizes') ?? '100000,1000000').split(',').map(Number);
const sha = option('sha') === 'js' ? 'js' : 'wasm';
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const out = f();
  return [out, performance.now() - t];
}
async function timeAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await f();
  return [out, performance.now() - t];
}

async function measure(n: number) {
  const net = generateNetwork(n);
  const { entries } = readAllEntries(net.doc);
  net.doc.destroy();
  const network = net.networkId;

  const [whole, projectMs] = time(() => {
    const p = new Projector();
    for (const e of entries) p.apply(e);
    return p;
  });

  const { signed, state, devices, makeMs } = await signedCheckpointOf(network, entries, whole, random);
  const [packedHead, deflateMs] = time(() => deflate(signed.head));
  const packedRows = deflate(signed.rows);
  const [verdict, verifyMs] = await timeAsync(() => verifyCheckpoint(signed, network, state));
  if (!verdict.ok) throw new Error(`the bench's checkpoint was refused: ${verdict.refusal.code}`);
  const [, digestMs] = time(() => digestOf(signed.rows));
  const [rows, rowsMs] = time(() => checkpointRows(verdict.checkpoint, signed.rows));
  if (!rows.ok) throw new Error(`the bench's checkpoint rows were refused: ${rows.refusal.code}`);
  const [seeded, seedMs] = time(() => seedProjector(verdict.checkpoint.head, rows.rows));
  if (seeded.projector.allStock().length !== whole.allStock().length) throw new Error('seeded stock differs');

  return {
    n,
    entries: entries.length,
    devices,
    stockRows: whole.allStock().length,
    usageRows: whole.allUsage().length,
    projectMs,
    makeMs,
    deflateMs,
    verifyMs,
    rowsMs,
    digestMs,
    seedMs,
    head: signed.head.byteLength,
    rows: signed.rows.byteLength,
    packedHead: packedHead.byteLength,
    packedRows: packedRows.byteLength,
  };
}

async function main() {
  if (sha === 'wasm' && !(await loadFastSha256())) throw new Error('WebAssembly SHA-256 did not load');
  console.log(
    `checkpoint bench: ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)} at start, SHA-256 in ${sha === 'js' ? 'JavaScript' : 'WebAssembly'}`,
  );
  const rows: Awaited<ReturnType<typeof measure>>[] = [];
  for (const n of sizes) {
    const r = await measure(n);
    rows.push(r);
    console.log(JSON.stringify(r));
  }
  const f = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  console.log(
    '\n| entries | project whole history | make + sign | verify head | check rows (of which digest) | seed projection | head (deflated) | rows (deflated) | rows per entry (deflated) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.entries.toLocaleString('en-US')} | ${f(r.projectMs)} ms | ${f(r.makeMs)} ms | ${f(r.verifyMs)} ms | ${f(r.rowsMs)} ms (${f(r.digestMs)} ms) | ${f(r.seedMs)} ms | ${f(r.head / 1e6)} MB (${f(r.packedHead / 1e6)} MB) | ${f(r.rows / 1e6)} MB (${f(r.packedRows / 1e6)} MB) | ${f(r.rows / r.entries)} B (${f(r.packedRows / r.entries)} B) |`,
    );
  console.log(`load ${loadavg()[0]!.toFixed(1)} at the end`);
}

void main();
