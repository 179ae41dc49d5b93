import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyProfile, launch } from './browser';
import { commandLine } from './report';
import { serve } from './server';
import { FIRST_VIEW_MARK } from '../renderer/storage/marks';

/**
 * When the page asks IndexedDB for what, and when each answer comes, until the first view is painted: the
 * database answers one request after another, so a first view waits for every request asked before its
 * own. Opens the app on a copy of a kept profile (`npm run bench -- --keep-profiles --port=N`), a browser
 * started afresh for each run (cold), with an init script that times each request (its first answer) and
 * each database open; prints them in order with the app's marks (renderer/storage/marks.ts). The first
 * run is left out (a newer build may upgrade the copy's database). Stop 60 found the stock view's reads
 * answered after the store opened, with the database idle before, this way (docs/benchmarks.md).
 *
 *   npx tsx bench/idb-requests.ts --profile=<kept profile> --port=<its port> [--app=<app build>] [--runs=2]
 *   ... --screen=network   the Network screen (a coordinator's first view) instead of the stock view
 *   ... --until=N          requests asked before N ms only (900)
 *
 * Prints numbers; asserts nothing. Uses the app the bench built (/tmp/larder-bench-app) by default.
 */
const { option } = commandLine();
const profile = option('profile');
const port = Number(option('port') ?? 0);
const app = option('app') ?? join(tmpdir(), 'larder-bench-app');
const runs = Number(option('runs') ?? 2);
const until = Number(option('until') ?? 900);
const hash = option('screen') === 'network' ? '#/network' : '';
if (!profile || !port || !existsSync(join(app, 'index.html'))) {
  console.error(
    'usage: npx tsx bench/idb-requests.ts --profile=<kept profile> --port=<its port> [--app=<app>]',
  );
  process.exit(2);
}

/** Runs in the page before its scripts (a string: the page has none of this file's imports). */
const TIMING = `(() => {
  const log = [];
  window.larderIdbRequests = log;
  const wrap = (proto, kind, methods) => {
    for (const method of methods) {
      const original = proto[method];
      if (!original) continue;
      proto[method] = function (...args) {
        const asked = performance.now();
        const request = original.apply(this, args);
        const source = kind === 'index' ? this.objectStore.name + '.' + this.name : this.name;
        const key = args.length && typeof args[0] !== 'object' ? '(' + String(args[0]).slice(0, 20) + ')' : '';
        let first = true;
        request.addEventListener('success', () => {
          if (first) log.push([source + ' ' + method + key, asked, performance.now()]);
          first = false;
        });
        return request;
      };
    }
  };
  wrap(IDBObjectStore.prototype, 'store', ['get', 'getAll', 'getAllKeys', 'count', 'openCursor', 'openKeyCursor', 'put', 'add']);
  wrap(IDBIndex.prototype, 'index', ['get', 'getAll', 'getAllKeys', 'count', 'openCursor', 'openKeyCursor']);
  const open = indexedDB.open.bind(indexedDB);
  indexedDB.open = (...args) => {
    const asked = performance.now();
    const request = open(...args);
    request.addEventListener('success', () => log.push(['open ' + args[0], asked, performance.now()]));
    return request;
  };
})()`;

const copy = join(tmpdir(), 'larder-idb-requests');
const ms = (x: number) => x.toFixed(0).padStart(5);
for (let run = 0; run <= runs; run++) {
  copyProfile(profile, copy);
  const server = await serve([{ prefix: '/', dir: app }], port, 'none');
  const context = await launch(copy);
  try {
    await context.addInitScript({ content: TIMING });
    const page = await context.newPage();
    await page.goto(server.url + hash);
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, FIRST_VIEW_MARK, {
      timeout: 60_000,
    });
    const { requests, marks } = await page.evaluate(() => ({
      requests: (window as unknown as { larderIdbRequests: [string, number, number][] }).larderIdbRequests,
      marks: performance
        .getEntriesByType('mark')
        .filter((m) => m.name.startsWith('larder:'))
        .map((m) => [m.name, m.startTime] as [string, number]),
    }));
    if (run === 0) continue;
    console.log(`run ${run}: asked → answered (ms after navigation), what`);
    const lines: [number, string][] = [
      ...requests
        .filter(([, asked]) => asked < until)
        .map(([what, asked, answered]): [number, string] => [
          asked,
          `${ms(asked)} → ${ms(answered)} (${ms(answered - asked)})  ${what}`,
        ]),
      ...marks.map(([name, at]): [number, string] => [at, `${ms(at)}                   mark ${name}`]),
    ];
    for (const [, line] of lines.sort((x, y) => x[0] - y[0])) console.log(`  ${line}`);
  } finally {
    await context.close();
    await server.close();
  }
}
