import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { firstStockView, installProbe, launch } from './browser';
import { commandLine } from './report';
import { serve } from './server';

/**
 * Two builds of the app (or more) compared on their start, alternated on one kept profile, so that the
 * machine's drift (which moved one bench run's first views by ±100 ms) falls on both alike: each round starts
 * the browser once per build and takes a cold view and two warm ones. Prints the medians, the time from the
 * page's modules run to the app having its store (`larder:store-open`), and when the ledger was loaded behind
 * the view (`larder:ledger-loaded`). Prints numbers; asserts nothing.
 *
 *   npx vite build --mode production --outDir /tmp/ab/old   (then the change, and --outDir /tmp/ab/new)
 *   npx tsx bench/start-ab.ts --profile=/tmp/larder-bench-1000-XXXX --port=N --rounds=5 /tmp/ab/old /tmp/ab/new
 *   ... --screen=network   the Network screen's items table instead of the stock screen's rows
 *   ... /tmp/ab/new /tmp/ab/new?store=page   one build, its store in the device's Worker and on the page
 *
 * The profile is one `npm run bench -- --keep-profiles --port=N` seeded (same port: IndexedDB is the origin's).
 */
const { option } = commandLine();
const profile = option('profile');
const port = Number(option('port'));
const rounds = Number(option('rounds') ?? 5);
/** `--screen=network`: the Network screen (a coordinator's first view) instead of the stock screen. */
const hash = option('screen') === 'network' ? '#/network' : '';
const builds = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const pageDir = join(tmpdir(), 'larder-bench-page');
/** A build's directory: `DIR?store=page` is the same build with its store on the page (docs/worker.md). */
const dirOf = (build: string) => build.replace(/\?store=page$/, '');
if (
  !profile ||
  !port ||
  builds.length === 0 ||
  builds.some((b) => !existsSync(join(dirOf(b), 'index.html')))
) {
  console.error('usage: npx tsx bench/start-ab.ts --profile=DIR --port=N [--rounds=5] BUILD_DIR...');
  process.exit(2);
}

const results = new Map(
  builds.map((b) => [
    b,
    { cold: [] as number[], warm: [] as number[], open: [] as number[], ledger: [] as number[] },
  ]),
);
for (let round = 0; round < rounds; round++)
  for (const build of builds) {
    const server = await serve(
      [
        { prefix: '/bench/', dir: pageDir },
        { prefix: '/', dir: dirOf(build) },
      ],
      port,
    );
    const context = await launch(profile);
    await context.addInitScript(installProbe);
    const got = results.get(build)!;
    // firstStockView opens the page with `?store=page` when this says so.
    if (build === dirOf(build)) delete process.env.LARDER_BENCH_STORE;
    else process.env.LARDER_BENCH_STORE = 'page';
    for (let view = 0; view < 3; view++) {
      const seen = await firstStockView(context, server.url, {}, hash);
      (view === 0 ? got.cold : got.warm).push(seen.rowsPaintedMs);
      const marks = new Map(seen.marks);
      got.ledger.push(seen.ledgerLoadedMs);
      got.open.push(marks.get('larder:store-open')! - marks.get('DOMContentLoaded (modules run)')!);
    }
    await context.close();
    await server.close();
  }

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!.toFixed(0);
for (const [build, { cold, warm, open, ledger }] of results)
  console.log(
    `${build}: ${hash ? 'Network screen' : 'first stock view'} cold ${median(cold)} ms (${cold.map((x) => x.toFixed(0)).join(', ')}), ` +
      `warm ${median(warm)} ms; modules run to store open ${median(open)} ms; ledger loaded ${median(ledger)} ms ` +
      `(medians of ${rounds} rounds)`,
  );
