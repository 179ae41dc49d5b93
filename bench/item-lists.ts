import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBenchPage } from './pages';
import { copyProfile, launch } from './browser';
import { commandLine } from './report';
import { serve } from './server';

/**
 * The blocks listed by item on a database from before the lists as they are (schema version 11, or 12's
 * lists by hub and item, itemBlocks.ts): a profile `npm run bench -- --keep-profiles --port=N` seeded and
 * kept with that code, opened (on a copy) by this code's bench page. Prints how long the fill took after the
 * doc was loaded, the longest main-thread task meanwhile, then History's first pages as the screen reads
 * them (the least recorded item's from the lists), and the same once more on the now listed database after
 * a restart.
 *
 * With `--pickups=N`, records N one-line pickups right after the doc is loaded (while the fill runs, in the
 * first run) and prints their median and p95. `--restarts=N` starts the listed database N times (1).
 *
 *   npx tsx bench/item-lists.ts --profile=/tmp/larder-bench-1000000-XXXX --port=N [--pickups=30] [--restarts=3]
 */
const { option } = commandLine();
const profile = option('profile');
const port = Number(option('port') ?? 0);
const pickups = Number(option('pickups') ?? 0);
const restarts = Math.max(1, Number(option('restarts') ?? 1));
if (!profile || !port || !existsSync(profile)) {
  console.error('usage: npx tsx bench/item-lists.ts --profile=<kept profile> --port=<its port>');
  process.exit(2);
}
const pageDir = join(tmpdir(), 'larder-item-lists-page');
await buildBenchPage('page', '/bench/', pageDir);
const copy = join(tmpdir(), 'larder-item-lists-profile');
copyProfile(profile, copy);
const server = await serve([{ prefix: '/bench/', dir: pageDir }], port);
try {
  const runs = [
    'from before the lists',
    ...Array.from({ length: restarts }, (_, i) => `listed, restart ${i + 1}`),
  ];
  for (const run of runs) {
    const context = await launch(copy);
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/bench/`);
      await page.waitForFunction(() => window.larderBench !== undefined);
      const open = await page.evaluate(() => window.larderBench!.open());
      if (pickups > 0) {
        const times = (await page.evaluate((n) => window.larderBench!.pickups(null, n), pickups)).sort(
          (a, b) => a - b,
        );
        const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0);
        console.log(
          `${run}: ${pickups} pickups right after store.ready: median ${at(0.5)} ms, p95 ${at(0.95)} ms`,
        );
      }
      const lists = await page.evaluate(() => window.larderBench!.itemLists());
      const history = await page.evaluate(() => window.larderBench!.history());
      console.log(
        `${run}: store.ready ${open.readyMs.toFixed(0)} ms, ${open.ledgerRows} rows; lists ${lists.unfinished ? 'unfinished' : 'whole'} then, ` +
          `listed ${lists.waitedMs.toFixed(0)} ms after it, longest task meanwhile ${lists.longestTaskMs.toFixed(0)} ms (the rows counted too)`,
      );
      console.log(
        `  History: all ${history.all.toFixed(1)} ms, most recorded item ${history.commonItem.toFixed(1)} ms, ` +
          `least recorded item ${history.rareItem.toFixed(1)} ms (${history.rows.rareItem} rows), undos ${history.undos.toFixed(1)} ms`,
      );
      await page.evaluate(() => window.larderBench!.close());
    } finally {
      await context.close();
    }
  }
} finally {
  await server.close();
  rmSync(copy, { recursive: true, force: true });
}
