import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { chromiumVersion, launch } from './browser';
import { commandLine } from './report';
import { serve } from './server';

/**
 * `npm run bench:tables`: the app's long tables filling, as a volunteer opens them (issue 11, point 1: no task
 * on the main thread over 50 ms). A hub set up in the built app (Chromium, the store in its Worker) imports a
 * sheet of `--items` items (3,600: the join end-to-end test's network) with a minimum each; then each of the
 * Stock, Items, Levels and Network screens is opened `--fills` times from History (the Network screen's items
 * all asked for as it opens), and the bench waits until its table holds every row, counted without reading
 * layout: Playwright's own waits lay out the page, and did so inside the long tasks they were meant to watch.
 * For each fill it prints the time to all rows, the main thread's tasks over 50 ms (Chromium's long-task
 * observer), the longest, and the time they blocked the page (each task's time past 50 ms, summed).
 *
 *   npm run bench:tables [-- --items=3600 --fills=4 --port=N]
 */
const { option } = commandLine();
const items = Number(option('items') ?? 3_600);
const fills = Number(option('fills') ?? 4);
const port = Number(option('port') ?? 0);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The screens and their tables (a class each: the rows are counted by selector). */
const SCREENS = [
  { screen: 'Stock', table: 'table.stock' },
  { screen: 'Items', table: 'table.catalog' },
  { screen: 'Levels', table: 'table.levels' },
  // Its 50 most urgent items first (a coordinator's view): all of them asked for as the screen opens.
  { screen: 'Network', table: 'table.network', showAll: true },
] as const;

interface Fill {
  ms: number;
  tasks: number[];
}

const appDir = join(tmpdir(), 'larder-bench-tables-app');
console.log(
  `Long tables: ${items.toLocaleString('en-US')} items, ${fills} fills per screen; Chromium ${chromiumVersion()}, load ${loadavg()[0]!.toFixed(1)}`,
);
const app = spawnSync(
  'npx',
  ['vite', 'build', '--mode', 'production', '--outDir', appDir, '--emptyOutDir', '--logLevel', 'error'],
  { cwd: root, encoding: 'utf8' },
);
if (app.status !== 0 || !existsSync(join(appDir, 'index.html'))) {
  console.error(`the app did not build (vite build exited ${app.status})\n${app.stderr}`);
  process.exit(1);
}
const server = await serve([{ prefix: '/', dir: appDir }], port);
const profile = mkdtempSync(join(tmpdir(), 'larder-bench-tables-'));
const context = await launch(profile);
try {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${server.url}/`);
  await page.getByLabel('Name of this hub').fill('Eastside Pantry');
  await page.getByLabel('Name of this device').fill('Front desk laptop');
  await page.getByRole('button', { name: 'Create network' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  const t0 = performance.now();
  await importSheet(page);
  console.log(
    `  set up: ${items} items imported with their counts and minimums in ${ms(performance.now() - t0)}`,
  );
  for (const { screen, table, ...how } of SCREENS) {
    const runs: Fill[] = [];
    for (let i = 0; i < fills; i++) runs.push(await fill(page, screen, table, 'showAll' in how));
    for (const [i, r] of runs.entries()) {
      const sorted = [...r.tasks].sort((a, b) => b - a);
      console.log(
        `  ${screen}, fill ${i + 1}: all ${items} rows in ${ms(r.ms)}; ${sorted.length} tasks over 50 ms, ` +
          `the longest ${sorted.length ? sorted.slice(0, 3).map(ms).join(', ') : 'none'}; ` +
          `blocking ${ms(sorted.reduce((sum, d) => sum + d - 50, 0))}`,
      );
    }
  }
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`;
}

async function goTo(page: Page, screen: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: new RegExp(`^${screen}(\\s|$)`) })
    .click();
  await page.getByRole('heading', { level: 1, name: screen }).waitFor();
}

/** The hub's sheet through the Spreadsheet screen, then until its history is all in the figures. */
async function importSheet(page: Page): Promise<void> {
  const sheet = [
    'Item,Quantity,Reorder level',
    ...Array.from({ length: items }, (_, i) => `Item ${String(i).padStart(5, '0')},${(i % 40) + 1},5`),
  ].join('\n');
  await goTo(page, 'Spreadsheet');
  await page
    .getByLabel('CSV file')
    .setInputFiles({ name: 'stock.csv', mimeType: 'text/csv', buffer: Buffer.from(sheet) });
  await page.getByRole('button', { name: `Import ${items.toLocaleString('en-US')} items` }).click();
  await page.getByRole('status', { name: 'Import result' }).waitFor({ timeout: 600_000 });
  await page.waitForFunction(
    () => !document.querySelector('[role="status"][aria-label="History being added"]'),
    undefined,
    { polling: 500, timeout: 600_000 },
  );
}

/** Opens `screen` from History and waits for its table's every row; the long tasks meanwhile. */
async function fill(page: Page, screen: string, table: string, showAll: boolean): Promise<Fill> {
  await goTo(page, 'History');
  await page.evaluate(() => {
    const w = window as unknown as {
      benchTasks: number[];
      benchObserver?: PerformanceObserver;
      benchT0: number;
    };
    w.benchObserver?.disconnect();
    w.benchTasks = [];
    w.benchObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.benchTasks.push(e.duration);
    });
    w.benchObserver.observe({ type: 'longtask' });
    w.benchT0 = performance.now();
  });
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: new RegExp(`^${screen}(\\s|$)`) })
    .click();
  if (showAll)
    await page.getByRole('button', { name: `Show all ${items.toLocaleString('en-US')} items` }).click();
  // Counted by selector, polled: no layout read (a role query would check each row's visibility).
  await page.waitForFunction(
    ([selector, n]) => document.querySelectorAll(`${selector} > tbody > tr`).length >= n,
    [table, items] as const,
    { polling: 250, timeout: 300_000 },
  );
  return page.evaluate(() => {
    const w = window as unknown as { benchTasks: number[]; benchT0: number };
    return { ms: performance.now() - w.benchT0, tasks: w.benchTasks };
  });
}
