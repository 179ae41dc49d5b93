import { existsSync, readFileSync } from 'node:fs';
import { SourceMapConsumer } from 'source-map-js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';
import {
  copyProfile,
  firstStockView,
  installProbe,
  launch,
  markProjectionOld,
  type InPageProbe,
} from './browser';
import { commandLine } from './report';
import { serve } from './server';

/**
 * Where the main thread's time goes while the app starts: opens the app on a browser profile that
 * `npm run bench -- --keep-profiles --port=N` seeded and kept (same port: IndexedDB belongs to the
 * origin), with Chromium's sampling CPU profiler on, until the main thread has been quiet for 3 s.
 * Prints the long tasks and the functions that took the most time (self and inclusive). It never fails on
 * a figure; it is a tool for finding the next long task to take apart.
 *
 *   npx tsx bench/profile-start.ts --profile=/tmp/larder-bench-100000-XXXX --port=N [--top=30] [--stretches=4]
 *   ... --trace [--over=N] also records Chromium's trace and prints each main-thread task over N ms (50) with
 *                          what it did (script, style, layout, paint, garbage collection): a long task that
 *                          is mostly layout shows as idle in a CPU profile
 *   ... --until=N          self and inclusive time of the profile's first N ms only (up to the rows painted, say)
 *   ... --from=N           ... and its stretches, from N ms on only (past a seed's generating, say)
 *   ... --screen=network   the Network screen (a coordinator's first view) instead of the stock screen; also
 *                          items, levels or history (their tables)
 *   ... --what=pickups     instead: 20 pickups recorded one after the other through the store (bench page)
 *   ... --what=history     instead: the app started after an update (on a copy of the profile), profiled while
 *                          its rebuild writes the history's rows (from the "Writing the history" bar to its end)
 *   ... --what=rebuild --n=300000
 *                         instead: the bench page's seed of N entries (generate, store, load, rebuild)
 *
 * Uses the app and bench page that run builds into /tmp/larder-bench-app and /tmp/larder-bench-page.
 */
const { option, flag } = commandLine();
const profile = option('profile');
const port = Number(option('port') ?? 0);
const top = Number(option('top') ?? 30);
const what = option('what') ?? 'start';
// `--app=<dir>`: another build of the app (to compare two builds on the same profile).
const appDir = option('app') ?? join(tmpdir(), 'larder-bench-app');
const pageDir = join(tmpdir(), 'larder-bench-page');
if (!profile || !port || !existsSync(join(appDir, 'index.html'))) {
  console.error(
    'usage: npx tsx bench/profile-start.ts --profile=<kept profile> --port=<its port> (after npm run bench)',
  );
  process.exit(2);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}
const server = await serve(
  [
    { prefix: '/bench/', dir: pageDir },
    { prefix: '/', dir: appDir },
  ],
  port,
);
// `--what=history` rebuilds the profile: on a copy.
const copy = join(tmpdir(), 'larder-profile-history');
if (what === 'history') {
  copyProfile(profile, copy);
}
const context = await launch(what === 'history' ? copy : profile);
try {
  let cpu: CpuProfile;
  if (what === 'rebuild') {
    const page = await context.newPage();
    await page.goto(`${server.url}/bench/`);
    await page.waitForFunction(() => window.larderBench !== undefined);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
    const seeded = await page.evaluate((n) => window.larderBench!.seed(n), Number(option('n') ?? 300_000));
    cpu = ((await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile }).profile;
    console.log(
      `rebuild ${seeded.rebuildMs.toFixed(0)} ms, figures ${seeded.figuresMs.toFixed(0)} ms, longest task ` +
        `${seeded.figuresLongestTaskMs.toFixed(0)} ms / ${seeded.historyLongestTaskMs.toFixed(0)} ms`,
    );
  } else if (what === 'history') {
    // The app's own start after an update, on the profile (copied first: it is rebuilt), profiled from the
    // "Writing the history" bar until it goes (the rebuild's second part, in the background).
    await context.addInitScript(installProbe);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.url);
    await page.getByRole('table').first().waitFor();
    await markProjectionOld(page);
    await page.reload();
    const bar = page.getByRole('status', { name: 'History being rewritten' });
    await bar.waitFor({ timeout: 600_000 });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
    const began = Date.now();
    const from = await page.evaluate(() => performance.now());
    await cdp.send('Profiler.start');
    await bar.waitFor({ state: 'detached', timeout: 3_600_000 });
    cpu = ((await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile }).profile;
    console.log(`history written in ${Date.now() - began} ms (from its bar to its end)`);
    // The long tasks meanwhile, and just after (the sweep at its end), as the page's observer saw them.
    await page.waitForTimeout(2_000);
    const tasks = await page.evaluate(
      (since) =>
        (window as unknown as { __larderProbe: InPageProbe }).__larderProbe.longTasks
          .filter(([at]) => at >= since)
          .map(([, ms]) => Math.round(ms)),
      from,
    );
    console.log(
      `tasks over 50 ms meanwhile: ${tasks.length}; longest ${
        tasks
          .sort((x, y) => y - x)
          .slice(0, 6)
          .join(', ') || 'none'
      } ms`,
    );
  } else if (what === 'pickups') {
    const page = await context.newPage();
    await page.goto(`${server.url}/bench/`);
    await page.waitForFunction(() => window.larderBench !== undefined);
    const open = await page.evaluate(() => window.larderBench!.open());
    console.log(`store.ready after ${open.readyMs.toFixed(0)} ms; ${open.updateRows} update rows`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    const times = await page.evaluate(() => window.larderBench!.pickups(null, 20));
    cpu = ((await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile }).profile;
    console.log(`pickups (ms): ${times.map((v) => v.toFixed(0)).join(', ')}`);
    await page.evaluate(() => window.larderBench!.close());
  } else {
    await context.addInitScript(installProbe);
    let profiled: CpuProfile | null = null;
    let cdp: CDPSession | null = null;
    const tracing = flag('trace') ? traceEvents() : null;
    const view = await firstStockView(
      context,
      server.url,
      {
        before: async (page) => {
          cdp = await context.newCDPSession(page);
          await tracing?.start(cdp);
          await cdp.send('Profiler.enable');
          await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
          await cdp.send('Profiler.start');
        },
        after: async () => {
          profiled = ((await cdp!.send('Profiler.stop')) as unknown as { profile: CpuProfile }).profile;
          if (tracing) printLongTasks(await tracing.stop(cdp!), Number(option('over') ?? 50));
        },
      },
      option('screen') ? `#/${option('screen')}` : '',
    );
    cpu = profiled!;
    console.log(`rows painted at ${view.rowsPaintedMs.toFixed(0)} ms; long tasks (start+duration, ms):`);
    console.log(
      `  ${view.longTasks.map(([s, d]) => `${s.toFixed(0)}+${d.toFixed(0)}`).join(', ') || 'none'}`,
    );
  }

  // The app is minified: names and places come from its source maps.
  const maps = new Map<string, SourceMapConsumer | null>();
  const mapOf = (url: string) => {
    const file = url.split('/').pop() ?? '';
    if (!maps.has(file)) {
      const dir = url.includes('/bench/') ? join(pageDir, 'assets') : join(appDir, 'assets');
      const path = join(dir, `${file}.map`);
      maps.set(file, existsSync(path) ? new SourceMapConsumer(JSON.parse(readFileSync(path, 'utf8'))) : null);
    }
    return maps.get(file) ?? null;
  };
  const where = (f: ProfileNode['callFrame']) => {
    const map = f.url ? mapOf(f.url) : null;
    const at = map?.originalPositionFor({ line: f.lineNumber + 1, column: f.columnNumber });
    if (!at?.source)
      return `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    const source = at.source.replace(/^(\.\.\/)+/, '');
    return `${at.name ?? f.functionName ?? '(anonymous)'} ${source}:${at.line}`;
  };
  const byId = new Map(cpu.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of cpu.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Every sample taken: where the time goes.
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  // Self time by package (node_modules) or by source file of Larder's own.
  const byFile = new Map<string, number>();
  const fileOf = (key: string) => {
    const path = key.slice(key.lastIndexOf(' ') + 1).replace(/:\d+$/, '');
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(path);
    return pkg ? pkg[1]! : path.replace(/^.*?\/(renderer|shared)\//, '$1/') || '(native)';
  };
  let total = 0;
  // `--until=N`: only the first N ms of the profile (say, up to the first rows painted).
  const until = Number(option('until') ?? Infinity);
  const from = Number(option('from') ?? 0);
  let sampledAt = 0;
  cpu.samples.forEach((id, i) => {
    sampledAt += (cpu.timeDeltas[i] ?? 0) / 1000;
    const delta = (cpu.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(id)!;
    const name = (n: ProfileNode) => where(n.callFrame);
    if (node.callFrame.functionName === '(idle)' || sampledAt > until || sampledAt < from) return;
    total += delta;
    self.set(name(node), (self.get(name(node)) ?? 0) + delta);
    byFile.set(fileOf(name(node)), (byFile.get(fileOf(name(node))) ?? 0) + delta);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = name(byId.get(at)!);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
    }
  });
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title} (ms, of ${total.toFixed(0)} ms busy):`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`  ${v.toFixed(0).padStart(6)}  ${k}`);
  };
  print('self time', self);
  print('inclusive time', inclusive);
  print('self time by package or file', byFile);

  // The longest stretches of samples with no idle between them (a long task, or tasks back to back), and
  // the frames most of their samples went through: what to take apart next.
  const runs: { startMs: number; ms: number; samples: number[] }[] = [];
  let now = 0;
  let run: { startMs: number; ms: number; samples: number[] } | null = null;
  cpu.samples.forEach((id, i) => {
    now += (cpu.timeDeltas[i] ?? 0) / 1000;
    const idle = ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName) || now < from;
    if (idle) {
      if (run) runs.push(run);
      run = null;
      return;
    }
    run ??= { startMs: now, ms: 0, samples: [] };
    run.ms = now - run.startMs + (cpu.timeDeltas[i + 1] ?? 0) / 1000;
    run.samples.push(id);
  });
  if (run) runs.push(run);
  console.log(`
longest busy stretches (ms from the profile's start; the frames most samples went through):`);
  for (const r of runs.sort((a, b) => b.ms - a.ms).slice(0, Number(option('stretches') ?? 4))) {
    const through = new Map<string, number>();
    for (const id of r.samples) {
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const key = where(byId.get(at)!.callFrame);
        if (seen.has(key) || key.startsWith('(root)')) continue;
        seen.add(key);
        through.set(key, (through.get(key) ?? 0) + 1);
      }
    }
    console.log(`  at ${r.startMs.toFixed(0)} ms, ${r.ms.toFixed(0)} ms (${r.samples.length} samples):`);
    for (const [k, v] of [...through].sort((a, b) => b[1] - a[1]).slice(0, 8))
      console.log(`    ${((100 * v) / r.samples.length).toFixed(0).padStart(3)}%  ${k}`);
    // Where its samples were taken, by package or file (self).
    const files = new Map<string, number>();
    for (const id of r.samples) {
      const file = fileOf(where(byId.get(id)!.callFrame));
      files.set(file, (files.get(file) ?? 0) + 1);
    }
    const shares = [...files].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(
      `    self: ${shares.map(([f, v]) => `${f} ${((100 * v) / r.samples.length).toFixed(0)}%`).join(', ')}`,
    );
  }
} finally {
  await context.close();
  await server.close();
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { data?: { functionName?: string; url?: string; type?: string } };
}

/** Chromium's trace of the page, from `start` to `stop` (the Tracing domain, events reported as they come). */
function traceEvents() {
  const events: TraceEvent[] = [];
  return {
    async start(cdp: CDPSession) {
      cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
      await cdp.send('Tracing.start', {
        categories: [
          'toplevel',
          'devtools.timeline',
          'disabled-by-default-devtools.timeline',
          'v8.execute',
          'blink',
        ].join(','),
        transferMode: 'ReportEvents',
      });
    },
    async stop(cdp: CDPSession): Promise<TraceEvent[]> {
      const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
      await cdp.send('Tracing.end');
      await done;
      return events;
    },
  };
}

/**
 * Each task over 50 ms on the page's main thread (the thread with the most RunTask time) and its time by
 * kind of work: the complete events directly inside it, by name, with the script's function for calls.
 */
function printLongTasks(events: TraceEvent[], overMs: number): void {
  const busy = new Map<string, number>();
  for (const e of events)
    if (e.name === 'RunTask' && e.dur)
      busy.set(`${e.pid}:${e.tid}`, (busy.get(`${e.pid}:${e.tid}`) ?? 0) + e.dur);
  const main = [...busy].sort((a, b) => b[1] - a[1])[0]?.[0];
  const on = events.filter((e) => `${e.pid}:${e.tid}` === main && e.ph === 'X' && e.dur !== undefined);
  const tasks = on.filter((e) => e.name === 'RunTask' && e.dur! > overMs * 1000).sort((a, b) => a.ts - b.ts);
  // A loop, not Math.min(...): a trace of a long start holds more events than a call may take arguments.
  const t0 = on.reduce((least, e) => Math.min(least, e.ts), Infinity);
  console.log(`\nmain-thread tasks over ${overMs} ms (trace; ms from the trace's start):`);
  for (const task of tasks) {
    const inside = on
      .filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur!)
      .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    // Self time of each event (its duration less its children's), by name; a call by its function.
    const by = new Map<string, number>();
    const stack: { e: TraceEvent; self: number; label: string }[] = [];
    const close = () => {
      const top = stack.pop()!;
      by.set(top.label, (by.get(top.label) ?? 0) + top.self / 1000);
    };
    for (const e of inside) {
      while (stack.length && stack.at(-1)!.e.ts + stack.at(-1)!.e.dur! <= e.ts) close();
      if (stack.length) stack.at(-1)!.self -= e.dur!;
      const fn = e.args?.data?.functionName;
      const parentLabel = stack.at(-1)?.label;
      // Work inside a script call is the call's, named by the outermost function (its callers' frames).
      const label = fn
        ? `${e.name} ${fn}`
        : parentLabel?.includes(' ') && e.name.startsWith('v8')
          ? parentLabel
          : e.name;
      stack.push({ e, self: e.dur!, label });
    }
    while (stack.length) close();
    const parts = [...by].sort((a, b) => b[1] - a[1]).slice(0, 5);
    console.log(
      `  at ${((task.ts - t0) / 1000).toFixed(0)} ms, ${(task.dur! / 1000).toFixed(0)} ms: ` +
        parts.map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '),
    );
  }
}
