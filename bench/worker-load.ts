import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyProfile, launch } from './browser';
import { buildBenchPage } from './pages';
import { commandLine } from './report';
import { serve } from './server';
import { median, quantile } from './stats';

const p95 = (values: readonly number[]) => quantile(values, 0.95);
import type { StoreOpen } from './worker-page/api';

/**
 * The device's store opened on the page, as the app does, against the same store opened in a dedicated
 * Worker (docs/worker.md: issue 11's point 1 would move it there): `LarderStore.open` and `store.ready` (the
 * doc loaded and checked) in each, and how the page answered meanwhile (its long tasks, the longest wait of
 * a 10 ms timer). Opens a copy of a kept profile (`npm run bench -- --keep-profiles --port=N`) on its port
 * (IndexedDB belongs to the origin), each open in a page of its own, in turns, the browser kept: warm opens.
 *
 *   npx tsx bench/worker-load.ts --profile=<kept profile> --port=<its port> [--runs=3] [--pickups=30]
 *
 * Then, loaded, each records pickups one after the other: on the page through the store, in the worker run
 * through the port the worker serves it on (renderer/storage/hostPort.ts, docs/worker.md step 2).
 *
 * Prints numbers; asserts nothing.
 */
const { option } = commandLine();
const profile = option('profile');
const port = Number(option('port') ?? 0);
const runs = Number(option('runs') ?? 3);
const pickups = Number(option('pickups') ?? 30);
if (!profile || !port || !existsSync(profile)) {
  console.error('usage: npx tsx bench/worker-load.ts --profile=<kept profile> --port=<its port> [--runs=3]');
  process.exit(2);
}
const pageDir = join(tmpdir(), 'larder-worker-page');
await buildBenchPage('worker-page', '/bench/', pageDir);
const copy = join(tmpdir(), 'larder-worker-profile');
copyProfile(profile, copy);

const server = await serve([{ prefix: '/bench/', dir: pageDir }], port);
const context = await launch(copy);
const results: StoreOpen[] = [];
try {
  for (let run = 0; run <= runs; run++)
    for (const where of run % 2 === 0 ? (['page', 'worker'] as const) : (['worker', 'page'] as const)) {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await page.goto(`${server.url}/bench/index.html`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
      const r = await page.evaluate(([w, n]) => window.larderWorkerBench.open(w, n), [
        where,
        pickups,
      ] as const);
      await page.close();
      console.log(
        `${where} run ${run}: open ${r.openMs.toFixed(0)} ms, loaded ${r.readyMs.toFixed(0)} ms; the page: ` +
          `${r.pageLongTasks} long tasks, longest ${r.pageLongestTaskMs.toFixed(0)} ms, longest timer wait ` +
          `${r.pageLongestWaitMs.toFixed(0)} ms; page heap ${r.heapMB?.toFixed(0) ?? '?'} MB; ${pickups} pickups ` +
          `median ${median(r.pickupMs).toFixed(1)} ms, p95 ${p95(r.pickupMs).toFixed(1)} ms (shown by a live query: ` +
          `${median(r.pickupShownMs).toFixed(1)} / ${p95(r.pickupShownMs).toFixed(1)} ms), the page's longest task ` +
          `meanwhile ${r.pickupsLongestTaskMs.toFixed(0)} ms` +
          (run === 0 ? ' (left out: the first open of each may finish what the seed left)' : ''),
      );
      if (run > 0) results.push(r);
    }
} finally {
  await context.close();
  await server.close();
}
for (const where of ['page', 'worker'] as const) {
  const r = results.filter((x) => x.where === where);
  const m = (f: (x: StoreOpen) => number) => median(r.map(f)).toFixed(0);
  console.log(
    `${where}, medians of ${r.length}: loaded ${m((x) => x.readyMs)} ms; the page's long tasks ${m((x) => x.pageLongTasks)}, ` +
      `longest ${m((x) => x.pageLongestTaskMs)} ms, longest timer wait ${m((x) => x.pageLongestWaitMs)} ms; page heap ${m((x) => x.heapMB ?? NaN)} MB; ` +
      `a pickup (all runs' ${r.flatMap((x) => x.pickupMs).length}) median ${median(r.flatMap((x) => x.pickupMs)).toFixed(1)} ms, ` +
      `p95 ${p95(r.flatMap((x) => x.pickupMs)).toFixed(1)} ms; shown by a live query on the page: median ` +
      `${median(r.flatMap((x) => x.pickupShownMs)).toFixed(1)} ms, p95 ${p95(r.flatMap((x) => x.pickupShownMs)).toFixed(1)} ms`,
  );
}
