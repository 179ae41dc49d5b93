import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'fflate';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as ySync from 'y-protocols/sync';
import * as Y from 'yjs';
import * as larderSync from '../renderer/sync/guardedSync';
import { appendEntries, readAllEntries } from '../shared/doc';
import { messageForLog } from '../shared/messages';
import { chromiumVersion, launch } from './browser';
import { DAY_LINES, dayOfEntries, hubPair, itemsIn } from './compare-day';
import type { FirstView, Pickups, SeedResult, System } from './compare-page/api';
import { generateNetwork } from './generate';
import { ANALYSIS_SLOT, commandLine, label, ms, startLog, writeReport } from './report';
import { serve } from './server';
import { median, quantile } from './stats';
import { writeSummary, type CompareSummary } from './summaries';

/**
 * `npm run bench:compare`: the same generated network (bench/generate.ts) stored and read by Larder (its
 * real store), by the standard Yjs stack (y-indexeddb, the whole doc in one Y.Doc, stock computed by reading
 * the doc) and by PouchDB with its IndexedDB adapter (one document per ledger entry, stock from a
 * persisted map/reduce view: the design of the Community Health Toolkit's offline stock apps). Each system
 * gets its own fresh Chromium profile. Prints a table with the ratios Larder/Yjs and Larder/PouchDB and
 * writes docs/benchmarks-compare.md. It measures and reports; it never fails on a figure.
 *
 *   npm run bench:compare                          N = 100k
 *   npm run bench:compare -- --sizes=100000,1000000
 *   npm run bench:compare -- --systems=larder,yjs --no-write
 *   ... --json=FILE    also writes the tables there (`CompareSummary[]`, for npm run bench)
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { option, flag } = commandLine();
const sizes = (option('sizes') ?? '100000').split(',').map(Number);
const SYSTEMS: System[] = ['larder', 'yjs', 'pouchdb'];
const systems = (option('systems') ?? SYSTEMS.join(',')).split(',') as System[];
for (const s of systems) if (!SYSTEMS.includes(s)) throw new Error(`--systems: unknown system ${s}`);
const write = !flag('no-write');
const COLD_VIEWS = Number(option('views') ?? 3);
const WARM = 10;
const PICKUPS = 40;
const NAMES: Record<System, string> = {
  larder: 'Larder',
  yjs: 'Yjs + y-indexeddb',
  pouchdb: 'PouchDB (idb)',
};

const log = startLog();
const loadAtStart = loadavg();

interface SystemResult {
  seed: SeedResult;
  idbDiskBytes: number;
  usageBytes: number;
  views: FirstView[];
  pickups: Pickups;
  syncBytes: number;
  syncDeflatedBytes: number;
  syncNote: string;
}

/** A sync message as y-webrtc frames it: [messageSync = 0][the sync protocol's message]. */
interface Protocol {
  writeSyncStep1(encoder: encoding.Encoder, doc: Y.Doc): void;
  readSyncMessage(decoder: decoding.Decoder, encoder: encoding.Encoder, doc: Y.Doc, origin: unknown): number;
}

/**
 * Two hubs that share the generated history, each with its half of a day's lines, sync the way y-webrtc
 * does between two peers: each sends a sync step 1 (its state vector), each answers the other's with a
 * sync step 2 (what the other lacks). Larder's own sync module deflates step 2 (renderer/sync/guardedSync.ts,
 * the module y-webrtc uses in the app); the stock y-protocols one sends it as it is. Bytes of the four
 * messages, framing included; WebRTC's DTLS/SCTP and the signaling are not counted (the same for both).
 */
function yjsSyncBytes(n: number, protocol: Protocol): { bytes: number; deflated: number; entries: number } {
  const net = generateNetwork(n);
  const { a, b } = hubPair(net);
  const ids = [...itemsIn(net.doc).keys()];
  const base = Y.encodeStateAsUpdate(net.doc);
  net.doc.destroy();
  const docA = new Y.Doc();
  const docB = new Y.Doc();
  Y.applyUpdate(docA, base);
  Y.applyUpdate(docB, base);
  appendEntries(docA, a.device, dayOfEntries(a, ids, DAY_LINES / 2, 'compare/day/a'));
  appendEntries(docB, b.device, dayOfEntries(b, ids, DAY_LINES / 2, 'compare/day/b'));
  let bytes = 0;
  let deflated = 0;
  const send = (from: Y.Doc, to: Y.Doc, message: Uint8Array) => {
    bytes += message.byteLength;
    deflated += deflateSync(message).byteLength;
    const decoder = decoding.createDecoder(message);
    decoding.readVarUint(decoder);
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, 0);
    protocol.readSyncMessage(decoder, reply, to, 'peer');
    if (encoding.length(reply) > 1) send(to, from, encoding.toUint8Array(reply));
  };
  for (const [from, to] of [
    [docA, docB],
    [docB, docA],
  ] as const) {
    const step1 = encoding.createEncoder();
    encoding.writeVarUint(step1, 0);
    protocol.writeSyncStep1(step1, from);
    send(from, to, encoding.toUint8Array(step1));
  }
  const entriesA = readAllEntries(docA).entries.length;
  const entriesB = readAllEntries(docB).entries.length;
  if (entriesA !== n + DAY_LINES || entriesB !== n + DAY_LINES)
    throw new Error(
      `the two docs did not converge: ${entriesA} and ${entriesB} entries, expected ${n + DAY_LINES}`,
    );
  docA.destroy();
  docB.destroy();
  return { bytes, deflated, entries: entriesA };
}

async function openPage(context: Awaited<ReturnType<typeof launch>>, url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => log(`  page error: ${error.message}`));
  page.on('console', (m) => {
    if (m.text().startsWith('Failed to load resource')) return; // the favicon
    if (m.type() === 'error' || m.type() === 'warning') log(`  page ${m.type()}: ${m.text()}`);
  });
  await page.goto(`${url}/`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  return page;
}

async function measureSystem(system: System, n: number, url: string): Promise<SystemResult> {
  const dir = await mkdtemp(join(tmpdir(), `larder-compare-${system}-${n}-`));
  try {
    let context = await launch(dir);
    let page = await openPage(context, url);
    const seed = await page.evaluate(([s, count]) => window.larderCompare!.seed(s, count), [
      system,
      n,
    ] as const);
    log(
      `  ${system}: stored in ${ms(seed.storeMs)}${seed.indexMs ? `, view index built in ${ms(seed.indexMs)}` : ''} (generate ${ms(seed.generateMs)})`,
    );
    await context.close();
    const idbDiskBytes = duBytes(join(dir, 'Default', 'IndexedDB'));

    const views: FirstView[] = [];
    let usageBytes = NaN;
    for (let i = 0; i < COLD_VIEWS; i++) {
      // A just-started browser on the stored data each time: cold.
      context = await launch(dir);
      page = await openPage(context, url);
      const view = await page.evaluate((s) => window.larderCompare!.firstView(s), system);
      // Chromium reports 0 until the origin's databases have been opened in this browser.
      if (i === 0) usageBytes = await page.evaluate(() => window.larderCompare!.usage());
      views.push(view);
      const parts = Object.entries(view.parts)
        .map(([k, v]) => `${k} ${ms(v)}`)
        .join(', ');
      log(
        `  ${system}: first stock view (cold #${i + 1}) ${ms(view.ms)} (${parts}), ${view.stock.length} items`,
      );
      await context.close();
    }

    context = await launch(dir);
    page = await openPage(context, url);
    const pickups = await page.evaluate(
      ([s, item, warm, runs]) => window.larderCompare!.pickups(s, item, warm, runs),
      [system, seed.pickupItem, WARM, PICKUPS] as const,
    );
    log(`  ${system}: pickup median ${ms(median(pickups.ms))}, p95 ${ms(quantile(pickups.ms, 0.95))}`);
    await context.close();

    let syncBytes: number;
    let syncDeflatedBytes: number;
    let syncNote: string;
    if (system === 'pouchdb') {
      context = await launch(dir);
      page = await openPage(context, url);
      const s = await page.evaluate(([count, per]) => window.larderCompare!.pouchSync(count, per), [
        n,
        DAY_LINES / 2,
      ] as const);
      await context.close();
      if (!s.converged) throw new Error(`PouchDB sync did not converge: ${s.docsWritten} documents written`);
      syncBytes = s.requestBytes + s.responseBytes;
      syncDeflatedBytes = s.deflatedBytes;
      syncNote = `first full sync of hub B ${ms(s.firstSyncMs)}; day: ${s.docsWritten} docs written, ${s.requestBytes.toLocaleString('en')} B sent, ${s.responseBytes.toLocaleString('en')} B received; calls ${Object.entries(
        s.requests,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`;
    } else {
      const protocol: Protocol = system === 'larder' ? larderSync : ySync;
      const s = yjsSyncBytes(n, protocol);
      syncBytes = s.bytes;
      syncDeflatedBytes = s.deflated;
      syncNote = `${s.entries.toLocaleString('en')} entries on both after the sync`;
    }
    log(`  ${system}: one day's sync ${syncBytes.toLocaleString('en')} B (${syncNote})`);
    return { seed, idbDiskBytes, usageBytes, views, pickups, syncBytes, syncDeflatedBytes, syncNote };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Bytes under `dir` as `du` counts them (blocks on disk). */
function duBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) * 1024;
  } catch {
    return NaN;
  }
}

interface Metric {
  metric: string;
  values: number[];
  format: (v: number) => string;
}

const bytes = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} B` : 'n/a');
const kB = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)} kB` : 'n/a');

function metrics(n: number, results: Map<System, SystemResult>): Metric[] {
  const of = (f: (r: SystemResult) => number) => systems.map((s) => f(results.get(s)!));
  return [
    {
      metric: 'IndexedDB on disk per entry (du of the profile)',
      values: of((r) => r.idbDiskBytes / n),
      format: bytes,
    },
    { metric: 'storage.estimate() usage per entry', values: of((r) => r.usageBytes / n), format: bytes },
    {
      metric: `Open to first stock view, cold (median of ${COLD_VIEWS})`,
      values: of((r) => median(r.views.map((v) => v.ms))),
      format: ms,
    },
    {
      metric: `Record one pickup, median of ${PICKUPS}`,
      values: of((r) => median(r.pickups.ms)),
      format: ms,
    },
    {
      metric: `Record one pickup, p95 of ${PICKUPS}`,
      values: of((r) => quantile(r.pickups.ms, 0.95)),
      format: ms,
    },
    {
      metric: `Sync one day (${DAY_LINES} lines), bytes both ways`,
      values: of((r) => r.syncBytes),
      format: kB,
    },
    { metric: '… each message deflated (info)', values: of((r) => r.syncDeflatedBytes), format: kB },
    { metric: 'Store the N entries (info)', values: of((r) => r.seed.storeMs + r.seed.indexMs), format: ms },
  ];
}

function tableLines(ms: Metric[]): string[][] {
  const i = (s: System) => systems.indexOf(s);
  const ratio = (m: Metric, other: System) =>
    i('larder') >= 0 && i(other) >= 0 ? `${(m.values[i('larder')]! / m.values[i(other)]!).toFixed(2)}` : '—';
  return [
    ['Metric', ...systems.map((s) => NAMES[s]), 'Larder/Yjs', 'Larder/PouchDB'],
    ...ms.map((m) => [m.metric, ...m.values.map(m.format), ratio(m, 'yjs'), ratio(m, 'pouchdb')]),
  ];
}

const plain = (rows: string[][]) => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((c, k) => c.padEnd(widths[k]!)).join(' | ')).join('\n');
};
const markdown = (rows: string[][]) =>
  [
    `| ${rows[0]!.join(' | ')} |`,
    `| ${rows[0]!.map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

/** Whether every system shows the same on-hand for every item of the self hub (a stock of 0 = no row). */
function stockAgrees(results: Map<System, SystemResult>): string {
  const maps = systems.map((s) => new Map(results.get(s)!.views[0]!.stock.filter(([, v]) => v !== 0)));
  const first = maps[0]!;
  const differ = systems.slice(1).filter((_, k) => {
    const m = maps[k + 1]!;
    return m.size !== first.size || [...first].some(([item, v]) => m.get(item) !== v);
  });
  return differ.length === 0
    ? `yes: ${first.size} items with stock at the hub, the same on-hand in every system`
    : `NO: ${differ.map((s) => NAMES[s]).join(', ')} differ from ${NAMES[systems[0]!]}`;
}

/** One line of details per system for the report. */
function notesOf(system: System, r: SystemResult): string {
  const views = r.views.map((v) => {
    const parts = Object.entries(v.parts).map(([k, p]) => `${k} ${ms(p)}`);
    return `${ms(v.ms)} (${parts.join(', ')})`;
  });
  const put =
    system === 'pouchdb'
      ? `; the put alone: median ${ms(median(r.pickups.putMs))}, p95 ${ms(quantile(r.pickups.putMs, 0.95))}`
      : '';
  return (
    `- ${NAMES[system]}: cold first views ${views.join('; ')}. Pickups (ms, in order) ` +
    `${r.pickups.ms.map((v) => v.toFixed(1)).join(', ')}${put}. Sync: ${r.syncNote}.`
  );
}

function revision(): string {
  const git = (...a: string[]) =>
    spawnSync('git', ['--no-optional-locks', ...a], { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const sha = git('rev-parse', '--short', 'HEAD');
  const changed = git('status', '--porcelain', '--', 'renderer', 'shared').split('\n').filter(Boolean).length;
  return changed === 0
    ? `commit ${sha}`
    : `commit ${sha} plus uncommitted changes in ${changed} files of renderer/ and shared/`;
}

async function main() {
  const code = revision();
  log(
    `bench:compare on ${cpus().length} cores, load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}; ${code}`,
  );
  larderSync.setRefusedHandler((message) => {
    throw new Error(`Larder refused the peer's update: ${JSON.stringify(messageForLog(message))}`);
  });
  const pageDir = await mkdtemp(join(tmpdir(), 'larder-compare-page-'));
  await build({
    configFile: false,
    root: join(root, 'bench', 'compare-page'),
    base: '/',
    logLevel: 'warn',
    build: { outDir: pageDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  });
  const server = await serve([{ prefix: '/', dir: pageDir }]);
  const sections: string[] = [];
  const summaries: CompareSummary[] = [];
  const started = performance.now();
  try {
    for (const n of sizes) {
      const results = new Map<System, SystemResult>();
      for (const system of systems) {
        log(`N=${label(n)}, ${NAMES[system]}`);
        results.set(system, await measureSystem(system, n, server.url));
      }
      const rows = tableLines(metrics(n, results));
      const agrees = stockAgrees(results);
      console.log(`\nN=${label(n)}\n${plain(rows)}\nStock of the hub agrees: ${agrees}\n`);
      const notes = systems.map((s) => notesOf(s, results.get(s)!));
      summaries.push({ n, table: markdown(rows), agrees });
      sections.push(
        `### N=${label(n)}\n\n${markdown(rows)}\n\nStock of the self hub agrees: ${agrees}.\n\n${notes.join('\n')}`,
      );
    }
  } finally {
    await server.close();
    await rm(pageDir, { recursive: true, force: true });
  }
  const load = `load average ${loadAtStart[0]!.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end, ${cpus().length} cores`;
  const runS = (performance.now() - started) / 1000;
  console.log(`bench:compare ran ${runS.toFixed(0)} s (${load})`);
  writeSummary(option('json'), summaries);
  if (!write) return;
  const file = option('out') ?? join(root, 'docs', 'benchmarks-compare.md');
  await writeReport(file, report(sections, code, load, runS));
  console.log(`Wrote ${file}`);
}

function report(sections: string[], code: string, load: string, runS: number): string {
  return `# Larder beside Yjs + y-indexeddb and PouchDB

Generated by \`npm run bench:compare\` on ${new Date().toISOString().slice(0, 10)} (run time ${runS.toFixed(0)} s), code measured: ${code}.
${chromiumVersion()} (headless), Node ${process.version}; ${load}. Timings taken while the load average is above the
core count are indicative only: rerun on a quiet machine before comparing them with other runs. Bytes do not depend on load.

${sections.join('\n\n')}

${ANALYSIS_SLOT}

## What is measured

The same network (\`bench/generate.ts\`: 20 hubs of 2 devices, 500 items, the entry mix of \`npm run bench\`) is
generated in the page from the same seed and stored by each system in its own fresh Chromium profile:

- **Larder**: its real store. The doc as one update row and every projection rebuilt by \`DocPersistence\`
  (\`bench/page/seed.ts\`, as \`npm run bench\` does), then opened with \`LarderStore.open\`.
- **Yjs + y-indexeddb**: the whole network in one Y.Doc persisted by y-indexeddb (the doc's state as one row,
  what y-indexeddb keeps after merging). Stock is computed by reading the doc: every ledger entry decoded and
  checked (\`readAllEntries\`), then summed for the hub. Pickups keep that sum in memory.
- **PouchDB**: pouchdb-browser's \`idb\` adapter, one document per ledger entry (the entry's fields, \`_id\` =
  \`device.seq\`), one per item, loaded with \`bulkDocs\` in batches of 1,000. Stock comes from a persisted map/reduce
  view (\`[hub, item]\` -> the entry's effect, \`_sum\`), built once after loading; the first stock view is
  \`query(group: true)\` over the hub plus \`allDocs(include_docs)\` of the items.

Measures:

1. **Bytes on disk**: \`du\` of the profile's \`Default/IndexedDB\` directory once the browser is closed after storing;
   and \`navigator.storage.estimate().usage\` in the next just-started browser. Per entry = divided by N.
2. **Open to first stock view, cold**: a just-started browser on the stored data (${COLD_VIEWS} times); from the call
   that opens the system until the hub's on-hand per item and the item names are in memory (no rendering).
   The three results are compared item by item ("stock agrees").
3. **Record one pickup**: a fresh browser, the system opened, ${WARM} pickups not timed, then ${PICKUPS} timed one
   after the other: from the call until committed in IndexedDB with the item's stock current. All three build the
   entry with the domain's \`recordPickup\` (shared/commands.ts). Larder: \`store.recordPickup\`. Yjs: the entry
   appended to the doc, until y-indexeddb's write is committed. PouchDB: the item's stock read from the view (the
   below-zero check; it indexes the previous pickup then), then \`bulkDocs\` of the entry.
4. **Sync one day**: both hubs share the history, then each records half a day of the network (${DAY_LINES} lines,
   \`bench/compare-day.ts\`: the same entries for all three) and they sync. Larder and Yjs: the y-webrtc exchange
   (sync step 1 each way, sync step 2 each way) through Larder's sync module (deflates step 2) and through stock
   y-protocols; bytes of the messages. PouchDB: \`PouchDB.sync(A, B)\` after a first full sync that left checkpoints
   both ways; B is wrapped so that every call the replicator makes on it counts as the JSON bodies the HTTP adapter
   would carry (requests and responses; HTTP headers not counted). In the Community Health Toolkit design hubs do not
   sync with each other but each with a CouchDB server: a day then crosses the wire about twice.
   "Each message deflated" shows what a compressing transport would carry.

## Reproduce

\`\`\`
npm run bench:compare                              # 100k, about 10 min on this machine
npm run bench:compare -- --sizes=1000000          # 1M (PouchDB's load and view build take long)
npm run bench:compare -- --systems=larder,yjs --no-write
\`\`\`
`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
