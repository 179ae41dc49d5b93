import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyProfile, installProbe, launch, oneUnit, savedIn, type InPageProbe } from './browser';
import { LEDGER_LOADED_MARK } from '../renderer/storage/marks';
import { commandLine } from './report';
import { serve } from './server';

/**
 * A volunteer who saves a pickup the moment the app has opened: the browser started afresh on a copy of a
 * kept profile (`npm run bench -- --keep-profiles --port=N`), the app opened on Record pickup, an item and
 * a quantity typed, Save pressed as soon as the form is there. Prints when the form showed, when Save was
 * pressed, when "Saved" came, and what the form said meanwhile. A save waits for the history's load (the
 * doc), which the app starts behind its first screen: this is how long that can be. Then, once the ledger
 * has loaded and 3 s more passed, the longest main-thread tasks after Save was pressed (the save's own work
 * and its entries added to the doc at the load's end among them) and the most blocking frame.
 *
 *   npx tsx bench/first-save.ts --profile=<kept profile> --port=<its port> [--app=<app build>] [--runs=2]
 *   ... --form=send   a send of one unit to another hub instead (Transfers, "Send stock to another hub")
 *
 * Prints numbers; asserts nothing. Uses the app the bench built (/tmp/larder-bench-app) by default.
 */
const { option } = commandLine();
const profile = option('profile');
const port = Number(option('port') ?? 0);
const app = option('app') ?? join(tmpdir(), 'larder-bench-app');
const runs = Number(option('runs') ?? 2);
const form = option('form') ?? 'pickup';
if (!profile || !port || !existsSync(join(app, 'index.html'))) {
  console.error(
    'usage: npx tsx bench/first-save.ts --profile=<kept profile> --port=<its port> [--app=<dir>]',
  );
  process.exit(2);
}
const copy = join(tmpdir(), 'larder-first-save');
copyProfile(profile, copy);
try {
  for (let run = 1; run <= runs; run++) {
    const server = await serve([{ prefix: '/', dir: app }], port);
    const context = await launch(copy);
    try {
      await context.addInitScript(installProbe);
      const page = context.pages()[0] ?? (await context.newPage());
      const start = Date.now();
      const send = form === 'send';
      await page.goto(`${server.url}#/${send ? 'transfers' : 'pickup'}`);
      const finder = page.getByRole('combobox', { name: send ? 'Item to send' : 'Find item' });
      await finder.waitFor();
      const formAt = Date.now() - start;
      const { where, save } = await oneUnit(page, send ? 'send' : 'pickup');
      const pressedAt = Date.now() - start;
      const pressedInPage = await page.evaluate(() => performance.now());
      await save.click();
      const saying = new Set<string>();
      const hint = send ? where.getByRole('status') : where.locator('.actions .hint');
      const watch = setInterval(() => {
        void hint
          .textContent({ timeout: 100 })
          .then((text) => text && saying.add(text.trim()))
          .catch(() => undefined);
      }, 250);
      await savedIn(where, 120_000);
      clearInterval(watch);
      const savedAt = Date.now() - start;
      console.log(
        `run ${run}: form at ${formAt} ms, Save pressed at ${pressedAt} ms, saved at ${savedAt} ms ` +
          `(${savedAt - pressedAt} ms after pressing); the form said: ${[...saying].join(' | ')}`,
      );
      await page.waitForFunction(
        (mark) => performance.getEntriesByName(mark).length > 0,
        LEDGER_LOADED_MARK,
        {
          timeout: 900_000,
          polling: 250,
        },
      );
      await page.waitForTimeout(3_000);
      const probe = await page.evaluate(
        () => (window as unknown as { __larderProbe: InPageProbe }).__larderProbe,
      );
      const after = probe.longTasks.filter(([at]) => at >= pressedInPage).map(([, ms]) => Math.round(ms));
      const blocking = probe.longFrames.filter(([at]) => at >= pressedInPage).map(([, , b]) => b);
      console.log(
        `run ${run}: after Save was pressed, until 3 s after the ledger loaded: tasks over 50 ms ` +
          `${after.length} (longest ${
            after
              .sort((x, y) => y - x)
              .slice(0, 4)
              .join(', ') || 'none'
          } ms), ` +
          `most blocking frame ${Math.round(Math.max(0, ...blocking))} ms`,
      );
    } finally {
      await context.close();
      await server.close();
    }
  }
} finally {
  rmSync(copy, { recursive: true, force: true });
}
