import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildBenchPage } from './pages';
import { launch } from './browser';
import { commandLine } from './report';
import { serve } from './server';
import type { Page } from 'playwright-core';
import type { JoinArgs, JoinFromFileRun, NewDeviceRun } from './page/api';
import { writeSummary, type JoinSummary } from './summaries';
import { openPglite } from '../electron/relay/db';
import { startRelay, type RelayServer } from '../electron/relay/server';

/** A page's JS heap after a full collection, MB. */
async function heapMB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize / 1e6;
}

/**
 * Starts a CPU profile of `page` (samples every millisecond) with its long tasks kept beside it; `stop` writes
 * the profile to `file` and its long tasks to `file.tasks.json`, with the page's clock at the profile's start
 * (which lines the two up, to a few milliseconds). Read with Chromium's DevTools.
 */
async function startProfile(page: Page): Promise<{ stop: (file: string) => Promise<void> }> {
  const cdp = await page.context().newCDPSession(page);
  await page.evaluate(() => {
    const tasks: [number, number][] = [];
    (window as unknown as { longTasks: typeof tasks }).longTasks = tasks;
    new PerformanceObserver((list) => {
      for (const t of list.getEntries()) tasks.push([t.startTime, t.duration]);
    }).observe({ type: 'longtask' });
  });
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
  const profiledFrom = await page.evaluate(() => performance.now());
  return {
    stop: async (file) => {
      const { profile } = await cdp.send('Profiler.stop');
      await cdp.detach();
      const longTasks = await page.evaluate(
        () => (window as unknown as { longTasks: [number, number][] }).longTasks,
      );
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      writeFileSync(`${file}.tasks.json`, JSON.stringify({ profiledFrom, longTasks }));
      console.log(`  wrote ${file}`);
    },
  };
}

/** `run` on `page`, profiled into `file` (startProfile). */
async function profiledOn<T>(page: Page, file: string, run: () => Promise<T>): Promise<T> {
  const profile = await startProfile(page);
  try {
    return await run();
  } finally {
    await profile.stop(file);
  }
}

/**
 * A new device joins from a coordinator's full sync file, in Chromium, all through the app's own store
 * (bench/page/join.ts). Two pages, each with its own heap as two machines have: in one, a coordinator's
 * device makes a signed network and records N entries (saves of 200 lines over 300 items at one hub) and
 * exports a full sync file, with a checkpoint and without; in the other, a new device joined with its invite
 * imports it. Then the new device joins over live sync's messages instead (bench/page/wire.ts: passed
 * between the pages over a BroadcastChannel, no WebRTC), with the coordinator's checkpoint and without; and
 * then through a relay alone (a relay in this process, PGlite in a temporary directory, one per way so each
 * starts empty): the coordinator's page uploads its history, leaving a checkpoint there or not, and the new
 * device takes rounds until nothing more comes.
 * Prints when the stock figures were right (the checkpoint's, or the import's end without one), when the
 * import was done, and the new device's page's longest main-thread task. Prints numbers; asserts nothing.
 *
 *   npx tsx bench/join-file.ts [--sizes=100000,1000000] [--runs=1] [--profile=DIR] [--json=FILE] [--worker]
 *
 * With `--profile`, the page is built unminified and the new device's page's CPU profile written to DIR,
 * one file per size and run, to be read with Chromium's DevTools. With `--json`, the results are also written
 * to FILE (`JoinSummary[]`, for `npm run bench`).
 */
const { option, flag } = commandLine();
const sizes = (option('sizes') ?? '100000').split(',').map(Number);
const runs = Number(option('runs') ?? 1);
const profileDir = option('profile');
/** `--worker`: each file is also taken by a new device whose store is in a Worker (bench/page/join.worker.ts). */
const inWorker = flag('worker');

const pageDir = join(tmpdir(), 'larder-join-file-page');
// Profiled, the page is built unminified, so that the profile names its functions.
await buildBenchPage('page', '/bench/', pageDir, profileDir ? { build: { minify: false } } : {});
const summaries: JoinSummary[] = [];
const ms = (v: number | null) => (v === null ? 'n/a' : `${(v / 1000).toFixed(1)} s`);
console.log(`join from a sync file: load ${loadavg()[0]!.toFixed(1)} at start`);
const server = await serve([{ prefix: '/bench/', dir: pageDir }], 0);
try {
  for (const n of sizes)
    for (let run = 1; run <= runs; run++) {
      const profile = mkdtempSync(join(tmpdir(), 'larder-join-file-profile-'));
      const context = await launch(profile);
      try {
        const [coordinator, page] = [await context.newPage(), await context.newPage()];
        for (const p of [coordinator, page]) {
          await p.goto(`${server.url}/bench/`);
          await p.waitForFunction(() => window.larderBench !== undefined);
        }
        const { recordMs, saves, item, stock } = await coordinator.evaluate(
          (entries) => window.larderBench!.coordinatorRecord(entries),
          n,
        );
        console.log(
          `${n.toLocaleString('en-US')} entries (run ${run}), recorded in ${ms(recordMs)} (a save of 200 lines: ${saves.first.toFixed(0)} ms median in the first tenth, ${saves.last.toFixed(0)} ms in the last); the new device's page's heap before it joins: ${(await heapMB(page)).toFixed(0)} MB, the coordinator's ${(await heapMB(coordinator)).toFixed(0)} MB`,
        );
        const profiled = profileDir ? await startProfile(page) : null;
        const imports: (JoinFromFileRun & { heapMB: number })[] = [];
        const workerJoins: (NewDeviceRun & { pageLongestWaitMs: number; heapMB: number })[] = [];
        /** The new device's page's heap with its store open after a join, then the store closed. */
        const heapAfter = async (p: Page) => {
          const mb = await heapMB(p);
          await p.evaluate(() => window.larderBench!.deviceClose());
          return mb;
        };
        const joinArgs = async (name: string, checkpoint: boolean): Promise<JoinArgs> => ({
          name,
          checkpoint,
          stock,
          item,
          invite: await coordinator.evaluate(() => window.larderBench!.coordinatorInvite()),
        });
        for (const checkpoint of [true, false]) {
          const exportIt = () =>
            coordinator.evaluate((c) => window.larderBench!.coordinatorExport(c), checkpoint);
          // Profiled, the coordinator's export with a checkpoint is written too: its longest task is its own.
          const exported =
            profileDir && checkpoint
              ? await profiledOn(coordinator, join(profileDir, `export-${n}-${run}.cpuprofile`), exportIt)
              : await exportIt();
          const args = await joinArgs(checkpoint ? 'larder-join-with' : 'larder-join-without', checkpoint);
          const joined = await page.evaluate((a) => window.larderBench!.joinByFile(a), args);
          imports.push({ ...joined, ...exported, heapMB: await heapAfter(page) });
          if (inWorker) {
            // The same file, the new device's store in a Worker (docs/worker.md): the page only watches.
            const a = await joinArgs(
              checkpoint ? 'larder-join-worker-with' : 'larder-join-worker-without',
              checkpoint,
            );
            const w = await page.evaluate((x) => window.larderBench!.joinByFileInWorker(x), a);
            workerJoins.push({ ...w, heapMB: await heapMB(page) });
          }
          await coordinator.evaluate(() => window.larderBench!.coordinatorStop());
        }
        for (const checkpoint of [true, false]) {
          const expected = await coordinator.evaluate(() => window.larderBench!.coordinatorServe());
          const args = await joinArgs(
            checkpoint ? 'larder-join-sync-with' : 'larder-join-sync-without',
            checkpoint,
          );
          const joined = await page.evaluate(([a, e]) => window.larderBench!.joinBySync(a, e), [
            args,
            expected,
          ] as const);
          await coordinator.evaluate(() => window.larderBench!.coordinatorStop());
          imports.push({
            ...joined,
            exportMs: 0,
            exportLongestTaskMs: 0,
            checkpointCovers: null,
            heapMB: await heapAfter(page),
          });
        }
        for (const checkpoint of [true, false]) {
          const relayDir = mkdtempSync(join(tmpdir(), 'larder-join-relay-'));
          const db = await openPglite(relayDir);
          let relay: RelayServer | null = null;
          try {
            relay = await startRelay({
              port: 0,
              db,
              uploadBytesPerMinute: 1 << 30,
              uploadsPerMinute: 10_000,
            });
            const up = await coordinator.evaluate(
              ([url, c]) => window.larderBench!.coordinatorRelay(url, c),
              [relay.url, checkpoint] as const,
            );
            const args = await joinArgs(
              checkpoint ? 'larder-join-relay-with' : 'larder-join-relay-without',
              checkpoint,
            );
            const joined = await page.evaluate(([a, url]) => window.larderBench!.joinByRelay(a, url), [
              args,
              relay.url,
            ] as const);
            imports.push({
              ...joined,
              exportMs: up.ms,
              exportLongestTaskMs: 0,
              checkpointCovers: null,
              heapMB: await heapAfter(page),
            });
          } finally {
            await relay?.close();
            await db.close().catch(() => undefined);
            rmSync(relayDir, { recursive: true, force: true });
          }
        }
        await coordinator.evaluate(() => window.larderBench!.coordinatorClose());
        summaries.push({
          n,
          run,
          recordMs,
          joins: imports,
          ...(inWorker
            ? {
                inWorker: workerJoins.map(({ checkpoint, longestTaskMs, pageLongestWaitMs }) => ({
                  checkpoint,
                  longestTaskMs,
                  pageLongestWaitMs,
                })),
              }
            : {}),
        });
        await profiled?.stop(join(profileDir!, `join-${n}-${run}.cpuprofile`));
        for (const r of imports)
          console.log(
            `  ${r.way === 'file' ? 'file' : r.way === 'relay' ? 'relay' : 'sync messages'}, ${r.checkpoint ? 'with a checkpoint' : 'without one'}: stock right after ${ms(r.checkpointReadyMs ?? r.importMs)}, import done ${ms(r.importMs)}, history rows ${ms(r.historyMs)}; longest task ${r.longestTaskMs.toFixed(0)} ms (${r.longestTaskToReadyMs.toFixed(0)} ms until the figures); heap after it ${r.heapMB.toFixed(0)} MB; ${r.way === 'file' ? 'file' : 'sent'} ${(r.fileBytes / 1e6).toFixed(1)} MB${r.way === 'file' ? `, exported in ${ms(r.exportMs)} (longest task ${r.exportLongestTaskMs.toFixed(0)} ms)` : r.way === 'relay' ? `, the coordinator's upload ${ms(r.exportMs)}` : ''}; same stock: ${r.same} (${r.stockRows} rows); ${r.message}${r.saveAfterFiguresMs === null ? '' : `; a save right after the figures: ${typeof r.saveAfterFiguresMs === 'string' ? r.saveAfterFiguresMs : `its hub chosen ${r.saveAfterFiguresMs.hubMs.toFixed(0)} ms later, a donation committed at ${r.saveAfterFiguresMs.savedMs.toFixed(0)} ms, counted at ${r.saveAfterFiguresMs.countedMs === null ? 'never' : `${r.saveAfterFiguresMs.countedMs.toFixed(0)} ms`}`}`}`,
          );
        for (const r of workerJoins)
          console.log(
            `  file, ${r.checkpoint ? 'with a checkpoint' : 'without one'}, the store in a Worker: stock right after ${ms(r.checkpointReadyMs ?? r.importMs)}, import done ${ms(r.importMs)}, history rows ${ms(r.historyMs)}; the page's longest task ${r.longestTaskMs.toFixed(0)} ms, its longest wait for a 10 ms timer ${r.pageLongestWaitMs.toFixed(0)} ms; the page's heap after it ${r.heapMB.toFixed(0)} MB; same stock: ${r.same} (${r.stockRows} rows)`,
          );
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    }
} finally {
  await server.close();
}
writeSummary(option('json'), summaries);
console.log(`load ${loadavg()[0]!.toFixed(1)} at the end`);
