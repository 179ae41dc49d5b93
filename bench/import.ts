// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Item } from '../shared/catalog';
import { guessColumns, planImport, readSheet, stockCsv, type StockCsvRow } from '../shared/import';
import { LarderDB } from '../renderer/storage/db';
import { LarderStore } from '../renderer/storage/store';
import { ITEMS_A_SAVE, runImport } from '../renderer/app/runImport';

/**
 * `npm run bench:import`: how long a hub's sheet takes to import. Part 1, the pure part (read the CSV,
 * guess the columns, plan every row) for 10,000 rows, into an empty catalog and into a catalog that
 * already holds every item. Part 2, the whole import through the store (Dexie on fake-indexeddb in Node,
 * which is slower than Chromium's IndexedDB): creating items one by one, and one count. Yjs warns about
 * "Changed the client-id" per write (each store here is a fresh doc of the same device): harmless; pipe
 * through `grep -v yjs` to read the figures.
 */
const ROWS = Number(process.env.IMPORT_ROWS ?? 10_000);
const CREATE = Number(process.env.IMPORT_CREATE ?? 2_000);
/** Items already in the catalog for the count-only import (seeding them is itself the slow part). */
const COUNT_ROWS = Number(process.env.IMPORT_COUNT_ROWS ?? 200);
const REPEATS = 5;

const CATEGORIES = ['Food', 'Baby', 'Hygiene', 'Household', 'Medical'];
const UNITS = ['can', 'bag', 'box', 'pack', 'jar', 'bottle'];

function table(n: number): StockCsvRow[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `Item ${i} ${['rice', 'beans', 'diapers', 'soap', 'oats'][i % 5]} ${i % 7 === 0 ? '"large", 2 lb' : 'small'}`,
    category: CATEGORIES[i % CATEGORIES.length]!,
    unit: UNITS[i % UNITS.length]!,
    onHand: (i * 37) % 500,
    levels: i % 3 === 0 ? { min: i % 20, target: (i % 20) + 10 } : undefined,
    packSize: i % 4 === 0 ? 12 : undefined,
    barcodes: i % 2 === 0 ? [String(40_000_000_000 + i)] : [],
  }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
}

function pure(text: string, catalog: readonly Item[]) {
  const read = [] as number[];
  const guess = [] as number[];
  const plan = [] as number[];
  let planned = 0;
  for (let r = 0; r < REPEATS; r++) {
    const [sheet, tRead] = time(() => readSheet(text));
    if (!sheet.ok) throw new Error(sheet.problem.code);
    const [columns, tGuess] = time(() =>
      guessColumns(
        sheet.sheet.header,
        sheet.sheet.rows.map((row) => row.cells),
      ),
    );
    const [p, tPlan] = time(() => planImport(sheet.sheet, columns, catalog));
    read.push(tRead);
    guess.push(tGuess);
    plan.push(tPlan);
    planned = p.summary.items;
  }
  return { read: median(read), guess: median(guess), plan: median(plan), planned };
}

const fmt = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en-US')} ms`;

async function openStore(name: string): Promise<LarderStore> {
  let t = Date.UTC(2026, 0, 5, 9);
  const store = await LarderStore.open(
    new LarderDB(name),
    { now: () => (t += 10), randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)) },
    null,
  );
  await store.ready;
  await store.createNetwork({ hubName: 'Bench hub', deviceName: 'Bench laptop' });
  return store;
}

async function main() {
  console.log(
    `bench:import · Node ${process.version} · ${cpus().length} cores · load ${loadavg()[0]!.toFixed(1)}`,
  );
  const rows = table(ROWS);
  const text = `\uFEFF${stockCsv(rows)}`;
  const catalog: Item[] = rows.map((r, i) => ({
    id: `i${i}`,
    name: r.name,
    category: r.category,
    unit: r.unit,
    barcodes: [...r.barcodes],
    createdAt: 0,
    updatedAt: 0,
  }));
  console.log(
    `\nPart 1: the pure part, ${ROWS.toLocaleString('en-US')} rows (${Math.round(text.length / 1000)} kB), median of ${REPEATS}`,
  );
  for (const [label, cat] of [
    ['into an empty catalog', [] as Item[]],
    ['into a catalog holding every item', catalog],
  ] as const) {
    const r = pure(text, cat);
    console.log(
      `  ${label}: read ${fmt(r.read)} + guess ${fmt(r.guess)} + plan ${fmt(r.plan)} = ${fmt(r.read + r.guess + r.plan)} (${r.planned.toLocaleString('en-US')} items planned)`,
    );
  }

  console.log('\nPart 2: through the store (fake-indexeddb in Node)');
  {
    const store = await openStore(`bench-import-new-${process.pid}`);
    const read = readSheet(stockCsv(rows.slice(0, CREATE)));
    if (!read.ok) throw new Error(read.problem.code);
    const cols = guessColumns(read.sheet.header, []);
    const t0 = performance.now();
    const out = await runImport(store, read.sheet, cols, 'bench.csv');
    const ms = performance.now() - t0;
    if (out.failed) throw new Error(out.failed.message);
    await store.persistence.projected();
    console.log(
      `  ${CREATE.toLocaleString('en-US')} new items + levels + one count: ${fmt(ms)} (${(ms / CREATE).toFixed(1)} ms per item; items made ${ITEMS_A_SAVE} a batch, store.saveItems)`,
    );
    store.close();
  }
  {
    const store = await openStore(`bench-import-count-${process.pid}`);
    // The catalog first (not timed), then the timed import: levels and one count, nothing created.
    const some = rows.slice(0, COUNT_ROWS);
    const read = readSheet(stockCsv(some));
    if (!read.ok) throw new Error(read.problem.code);
    const cols = guessColumns(read.sheet.header, []);
    const items = readSheet(stockCsv(some.map((r) => ({ ...r, onHand: 0, levels: undefined }))));
    if (!items.ok) throw new Error('items');
    const seed = await runImport(
      store,
      items.sheet,
      { ...cols, quantity: null, minimum: null, target: null },
      'seed',
    );
    if (seed.failed) throw new Error(seed.failed.message);
    const t0 = performance.now();
    const out = await runImport(store, read.sheet, cols, 'bench.csv');
    const ms = performance.now() - t0;
    if (out.failed) throw new Error(out.failed.message);
    console.log(
      `  ${COUNT_ROWS.toLocaleString('en-US')} rows, every item already in the catalog: levels + one count of ${out.count.length.toLocaleString('en-US')} lines: ${fmt(ms)}`,
    );
    store.close();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
