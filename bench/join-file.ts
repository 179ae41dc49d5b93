import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBenchPage } from './pages';
import { launch } from './browser';
import { commandLine } from './report';
import { serve } from './server';

/**
 * A new device joins from a coordinator's full sync file, in Chromium, all through the app's own store
 * (bench/page `joinFromFile`): a coordinator's device makes a signed network and records N entries (saves
 * of 200 lines over 300 items at one hub), exports a full sync file, with a checkpoint and without, and a new
 * device joined with its invite imports it; then a new device joins over live sync's messages instead
 * (bench/page/wire.ts: passed between the two stores of the page, no WebRTC), with the coordinator's
 * checkpoint and without. Prints when the stock figures were right (the checkpoint's, or the import's end
 * without one), when the import was done, and the longest main-thread task. Prints numbers; asserts nothing.
 *
 *   npx tsx bench/join-file.ts [--sizes=100000,1000000] [--runs=1] [--profile=DIR]
 *
 * With `--profile`, the page is built unminified and its CPU profile (the recording too: its saves are long
 * tasks of their own) written to DIR, one file per size and run, to be read with Chromium's DevTools.
 */
const { option } = commandLine();
const sizes = (option('sizes') ?? '100000').split(',').map(Number);
const runs = Number(option('runs') ?? 1);
const profileDir = option('profile');

const pageDir = join(tmpdir(), 'larder-join-file-page');
// Profiled, the page is built unminified, so that the profile names its functions.
await buildBenchPage('page', '/bench/', pageDir, profileDir ? { build: { minify: false } } : {});
const ms = (v: number | null) => (v === null ? 'n/a' : `${(v / 1000).toFixed(1)} s`);
console.log(`join from a sync file: load ${loadavg()[0]!.toFixed(1)} at start`);
const server = await serve([{ prefix: '/bench/', dir: pageDir }], 0);
try {
  for (const n of sizes)
    for (let run = 1; run <= runs; run++) {
      const profile = mkdtempSync(join(tmpdir(), 'larder-join-file-profile-'));
      const context = await launch(profile);
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/bench/`);
        await page.waitForFunction(() => window.larderBench !== undefined);
        const cdp = profileDir ? await context.newCDPSession(page) : null;
        let profiledFrom = 0;
        if (cdp) {
          // The page's long tasks, kept with the profile: which samples fall in each (the page's clock at the
          // profile's start lines the two up, to a few milliseconds).
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
          profiledFrom = await page.evaluate(() => performance.now());
        }
        const {
          recordMs,
          saves,
          runs: imports,
        } = await page.evaluate((entries) => window.larderBench!.joinFromFile(entries), n);
        console.log(
          `${n.toLocaleString('en-US')} entries (run ${run}), recorded in ${ms(recordMs)} (a save of 200 lines: ${saves.first.toFixed(0)} ms median in the first tenth, ${saves.last.toFixed(0)} ms in the last):`,
        );
        if (cdp) {
          const { profile } = await cdp.send('Profiler.stop');
          const longTasks = await page.evaluate(
            () => (window as unknown as { longTasks: [number, number][] }).longTasks,
          );
          mkdirSync(profileDir!, { recursive: true });
          const file = join(profileDir!, `join-${n}-${run}.cpuprofile`);
          writeFileSync(file, JSON.stringify(profile));
          writeFileSync(`${file}.tasks.json`, JSON.stringify({ profiledFrom, longTasks }));
          console.log(`  wrote ${file}`);
        }
        for (const r of imports)
          console.log(
            `  ${r.way === 'file' ? 'file' : 'sync messages'}, ${r.checkpoint ? 'with a checkpoint' : 'without one'}: stock right after ${ms(r.checkpointReadyMs ?? r.importMs)}, import done ${ms(r.importMs)}, history rows ${ms(r.historyMs)}; longest task ${r.longestTaskMs.toFixed(0)} ms (${r.longestTaskToReadyMs.toFixed(0)} ms until the figures); ${r.way === 'file' ? 'file' : 'sent'} ${(r.fileBytes / 1e6).toFixed(1)} MB${r.way === 'file' ? `, exported in ${ms(r.exportMs)} (longest task ${r.exportLongestTaskMs.toFixed(0)} ms)` : ''}; same stock: ${r.same} (${r.stockRows} rows); ${r.message}${r.saveAfterFiguresMs === null ? '' : `; a save right after the figures: ${typeof r.saveAfterFiguresMs === 'string' ? r.saveAfterFiguresMs : `its hub chosen ${r.saveAfterFiguresMs.hubMs.toFixed(0)} ms later, a donation committed at ${r.saveAfterFiguresMs.savedMs.toFixed(0)} ms, counted at ${r.saveAfterFiguresMs.countedMs === null ? 'never' : `${r.saveAfterFiguresMs.countedMs.toFixed(0)} ms`}`}`}`,
          );
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    }
} finally {
  await server.close();
}
console.log(`load ${loadavg()[0]!.toFixed(1)} at the end`);
