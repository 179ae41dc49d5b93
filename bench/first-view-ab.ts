import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyProfile, firstStockView, installProbe, launch } from './browser';
import { commandLine } from './report';
import { serve } from './server';
import { median, medianDifference } from './stats';

/**
 * Two builds of the app, the same kept profile: each build opens its own copy of the profile (a newer
 * build may upgrade the database, which an older one could then not open), in turns, the browser started
 * afresh each time (a cold first stock view, as a device starting the app). Prints each run and the median
 * of each build. For a change to the first view, measured on one machine at one time: the bench's own
 * figures vary from run to run more than such a change.
 *
 *   npx tsx bench/first-view-ab.ts --profile=<kept profile> --port=<its port> --a=<app build> --b=<app build> [--runs=5]
 *   ... --tasks also prints each run's long tasks and long frames (start, duration)
 *   ... --marks also prints, per build, the median time of each of the start's marks (renderer/storage/marks.ts)
 *   ... --screen=network opens the Network screen (a coordinator's first view) instead of the stock screen
 *   ... --http-cache serves the builds as `vite preview` does (npm run web:lan): the browser keeps its copies and
 *       its compiled code between starts (bench/server.ts); by default nothing is kept
 *   ... --b-store=page opens build b with its store on the page (`?store=page`), not in the device's Worker
 *       (docs/worker.md): --b may then be the same build as --a
 *   ... --profile-b=<dir> gives build b a profile of its own (each build's own database, made by its own
 *       code: a rebuild by each, say), copied likewise
 *
 * The first run of each build is left out of the medians (it upgrades its copy's database, if it must).
 */
const { option, flag } = commandLine();
const profile = option('profile');
const profiles = { a: profile, b: option('profile-b') ?? profile };
const port = Number(option('port') ?? 0);
const builds = { a: option('a'), b: option('b') };
const runs = Number(option('runs') ?? 5);
if (
  !profile ||
  !port ||
  !builds.a ||
  !builds.b ||
  ![builds.a, builds.b].every((d) => existsSync(join(d!, 'index.html')))
) {
  console.error(
    'usage: npx tsx bench/first-view-ab.ts --profile=<kept profile> --port=<its port> --a=<app> --b=<app>',
  );
  process.exit(2);
}
const copies = { a: join(tmpdir(), 'larder-ab-a'), b: join(tmpdir(), 'larder-ab-b') };
for (const which of ['a', 'b'] as const) {
  copyProfile(profiles[which]!, copies[which]);
}
interface Run {
  painted: number;
  longest: number;
  longestAfter: number;
  over50: number;
  longestFrame: number;
  longestFrameAfter: number;
  /** A frame's most blocking time (its tasks past 50 ms, with the rendering): what held input back. */
  blocking: number;
  quiet: number;
}
const results: Record<'a' | 'b', Run[]> = { a: [], b: [] };
const showMarks = flag('marks');
const showTasks = flag('tasks');
/** Served as `vite preview` serves (revalidated copies, V8's code cache kept): see bench/server.ts. */
const httpCache = flag('http-cache') ? 'revalidate' : 'none';
const hash = option('screen') === 'network' ? '#/network' : '';
/** firstStockView opens the app with `?store=page` while this is set (bench/browser.ts). */
const storeOf = { a: undefined, b: option('b-store') === 'page' ? 'page' : undefined };
const marks: Record<'a' | 'b', Map<string, number[]>> = { a: new Map(), b: new Map() };
for (let run = 0; run <= runs; run++)
  for (const which of run % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
    const server = await serve([{ prefix: '/', dir: builds[which]! }], port, httpCache);
    const context = await launch(copies[which]);
    try {
      await context.addInitScript(installProbe);
      if (storeOf[which]) process.env.LARDER_BENCH_STORE = storeOf[which];
      else delete process.env.LARDER_BENCH_STORE;
      const view = await firstStockView(context, server.url, {}, hash);
      const longest = Math.max(0, ...view.longTasks.map(([, d]) => d));
      // After the rows are painted: what the rest of the start costs (the ledger's load, the other rows).
      const after = view.longTasks.filter(([start]) => start >= view.rowsPaintedMs);
      const longestAfter = Math.max(0, ...after.map(([, d]) => d));
      const over50 = view.longTasks.filter(([, d]) => d > 50).length;
      // Frames, with their rendering: a layout shows here, not among the long tasks.
      const longestFrame = Math.max(0, ...view.longFrames.map(([, d]) => d));
      const framesAfter = view.longFrames.filter(([start]) => start >= view.rowsPaintedMs);
      const longestFrameAfter = Math.max(0, ...framesAfter.map(([, d]) => d));
      const blocking = Math.max(0, ...view.longFrames.map(([, , b]) => b));
      console.log(
        `${which} run ${run}: rows painted ${view.rowsPaintedMs.toFixed(0)} ms, longest task ${longest.toFixed(0)} ms ` +
          `(after the rows ${longestAfter.toFixed(0)} ms), tasks over 50 ms ${over50}, longest frame ` +
          `${longestFrame.toFixed(0)} ms (after the rows ${longestFrameAfter.toFixed(0)} ms), most blocking ` +
          `${blocking.toFixed(0)} ms, quiet at ${view.quietAtMs.toFixed(0)} ms${run === 0 ? ' (left out)' : ''}`,
      );
      if (showTasks)
        console.log(
          `  long tasks (start+duration, ms): ${view.longTasks.map(([s, d]) => `${s.toFixed(0)}+${d.toFixed(0)}`).join(', ')}\n` +
            `  long frames (start+duration/blocking, ms): ${view.longFrames.map(([s, d, b]) => `${s.toFixed(0)}+${d.toFixed(0)}/${b.toFixed(0)}`).join(', ')}`,
        );
      if (run > 0 && showMarks)
        for (const [name, at] of view.marks) marks[which].set(name, [...(marks[which].get(name) ?? []), at]);
      if (run > 0)
        results[which].push({
          painted: view.rowsPaintedMs,
          longest,
          longestAfter,
          over50,
          longestFrame,
          longestFrameAfter,
          blocking,
          quiet: view.quietAtMs,
        });
    } finally {
      await context.close();
      await server.close();
    }
  }
for (const which of ['a', 'b'] as const) {
  const r = results[which];
  console.log(
    `${which} (${builds[which]}): rows painted median ${median(r.map((x) => x.painted)).toFixed(0)} ms ` +
      `(${r.map((x) => x.painted.toFixed(0)).join(', ')}), longest task median ${median(r.map((x) => x.longest)).toFixed(0)} ms ` +
      `(after the rows ${median(r.map((x) => x.longestAfter)).toFixed(0)} ms), tasks over 50 ms median ` +
      `${median(r.map((x) => x.over50))}, longest frame median ${median(r.map((x) => x.longestFrame)).toFixed(0)} ms ` +
      `(after the rows ${median(r.map((x) => x.longestFrameAfter)).toFixed(0)} ms), most blocking median ` +
      `${median(r.map((x) => x.blocking)).toFixed(0)} ms, quiet at median ${median(r.map((x) => x.quiet)).toFixed(0)} ms`,
  );
}
{
  // Whether the runs tell the builds apart (bench/stats.ts): an interval that holds 0 does not.
  const paint = (which: 'a' | 'b') => results[which].map((x) => x.painted);
  const { difference, low, high } = medianDifference(paint('a'), paint('b'));
  console.log(
    `b - a, rows painted: ${difference.toFixed(0)} ms (90% bootstrap interval ${low.toFixed(0)} to ${high.toFixed(0)} ms` +
      `${low <= 0 && high >= 0 ? ': these runs do not tell the builds apart' : ''})`,
  );
}
if (showMarks)
  for (const which of ['a', 'b'] as const) {
    console.log(`${which}: the start's marks, median ms after navigation (runs)`);
    for (const [name, at] of [...marks[which]].sort((x, y) => median(x[1]) - median(y[1])))
      console.log(
        `  ${median(at).toFixed(0).padStart(6)}  ${name} (${at.map((x) => x.toFixed(0)).join(', ')})`,
      );
  }
