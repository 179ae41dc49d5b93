import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyProfile, launch, markProjectionOld, oneUnit, savedIn } from './browser';
import { commandLine } from './report';
import { serve } from './server';
import type { Locator, Page } from 'playwright-core';

/**
 * A start that rebuilds the figures (as after an update of Larder that changes the projections): a copy of
 * a kept profile (`npm run bench -- --keep-profiles --port=N`), its projection marked as made by an older
 * version, then the app started on it. Saves wait for the rebuild's first part (the figures); the page
 * should go on answering meanwhile. Prints, per run: when the "Working out the figures" and "Writing the
 * history" bars first showed, how many times the bars' text changed, the gaps of over 200 ms between the
 * ticks of a 50 ms timer (a page that runs no timer runs no React render and no IndexedDB answer either,
 * though no single task is long), when sync started (its mark), and when the ledger was
 * loaded (`store.ready`: the figures written).
 *
 *   npx tsx bench/rebuild-start.ts --profile=<kept profile> --port=<its port> --app=<app build> [--runs=2]
 *   ... --shot=<file.png>  also a screenshot of the window once the "Working out the figures" bar shows (or,
 *                          with --pickup, once the pickup is saved)
 *   ... --pickup           also a pickup of one unit saved once that bar shows: how long from Save to "Saved"
 *   ... --pickup-during-load  the same, once the "Opening the history" bar shows (the load before the rebuild)
 *   ... --send             a send of one unit to another hub (Transfers) instead of the pickup
 *   ... --undo             the undo of History's newest entry instead of the pickup (and how long History took
 *                          to show its rows)
 *   ... --written          also waits for the history's rows to be written (the "Writing the history" bar gone)
 *
 * Prints numbers; asserts nothing.
 */
const { option, flag } = commandLine();
const profile = option('profile');
const port = Number(option('port') ?? 0);
const app = option('app');
const runs = Number(option('runs') ?? 2);
const shot = option('shot');
const duringLoad = flag('pickup-during-load');
/** Also waits for the rebuild's second part (the history's rows) and says when it ended. */
const written = flag('written');
/** A send to another hub (Transfers) instead of a pickup. */
const send = flag('send');
/** The undo of the newest entry History shows instead of a pickup. */
const undo = flag('undo');
const pickup = flag('pickup') || duringLoad || send || undo;

/** History's newest entry that can be undone, its undo asked for: the form and its confirm button. */
async function firstUndo(page: Page): Promise<{ where: Locator; save: Locator }> {
  const main = page.getByRole('main');
  // History reads its first page while the rebuild works (slowly, at 10M).
  await main
    .getByRole('button', { name: /^Undo / })
    .first()
    .click({ timeout: 600_000 });
  return { where: main, save: main.getByRole('button', { name: 'Confirm undo' }) };
}
/** The bar a pickup waits for before it is recorded. */
const during = duringLoad ? 'Opening the history' : 'Working out the figures';
if (!profile || !port || !app || !existsSync(join(app, 'index.html'))) {
  console.error(
    'usage: npx tsx bench/rebuild-start.ts --profile=<kept profile> --port=<its port> --app=<app>',
  );
  process.exit(2);
}

interface Watched {
  seen: [at: number, bars: string][];

  gaps: [from: number, ms: number][];
  /** Frames of over 200 ms (long-animation-frame), with the scripts that ran in them. */
  frames: string[];
}

const copy = join(tmpdir(), 'larder-rebuild-start');
for (let run = 1; run <= runs; run++) {
  copyProfile(profile, copy);
  const server = await serve([{ prefix: '/', dir: app }], port);
  const context = await launch(copy);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.url);
    await page.getByRole('table').first().waitFor();
    // The stored projection as an older version left it: the next start rebuilds.
    await markProjectionOld(page);
    await page.addInitScript(() => {
      const w = window as unknown as Watched;
      w.seen = [];
      w.gaps = [];
      w.frames = [];
      interface Script {
        duration: number;
        invoker?: string;
        sourceFunctionName?: string;
        sourceURL?: string;
        sourceCharPosition?: number;
      }
      new PerformanceObserver((list) => {
        for (const frame of list.getEntries() as (PerformanceEntry & { scripts?: Script[] })[]) {
          if (frame.duration < 200) continue;
          const scripts = (frame.scripts ?? [])
            .filter((x) => x.duration > 20)
            .map(
              (x) =>
                `${Math.round(x.duration)} ms ${x.invoker ?? ''} -> ${x.sourceFunctionName || '(anonymous)'} (${x.sourceURL?.split('/').pop() ?? ''}:${x.sourceCharPosition ?? '?'})`,
            );
          w.frames.push(
            `${Math.round(frame.startTime)}+${Math.round(frame.duration)}: ${scripts.join('; ') || 'no script over 20 ms (rendering, or garbage collection)'}`,
          );
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
      let last = '';
      let lastTick = performance.now();
      setInterval(() => {
        const t = performance.now();
        if (t - lastTick > 200) w.gaps.push([Math.round(lastTick), Math.round(t - lastTick)]);
        lastTick = t;
        const bars = [...document.querySelectorAll('.backlog-indicator')].map((e) => e.textContent ?? '');
        const now = bars.join(' | ');
        if (now !== last) w.seen.push([Math.round(t), now]);
        last = now;
      }, 50);
    });
    await page.reload();
    if (shot || pickup) await page.getByRole('status', { name: during }).waitFor({ timeout: 600_000 });
    let saved = '';
    if (pickup) {
      await page.getByRole('link', { name: undo ? 'History' : send ? 'Transfers' : 'Record pickup' }).click();
      const opened = Date.now();
      const { where, save } = undo ? await firstUndo(page) : await oneUnit(page, send ? 'send' : 'pickup');
      if (undo) saved += `; History showed its rows ${Date.now() - opened} ms after it was opened`;
      const pressed = Date.now();
      const barAtSave = await page.getByRole('status', { name: during }).isVisible();
      await save.click();
      await savedIn(where, 600_000);
      const took = Date.now() - pressed;
      const still = await page.getByRole('status', { name: during }).isVisible();
      saved += `; ${undo ? 'an undo' : send ? 'a send' : 'a pickup'} saved ${took} ms after Save was pressed (the "${during}" bar ${barAtSave ? 'shown' : 'gone'} at Save, ${still ? 'still' : 'no longer'} shown at "Saved")`;
    }
    // With --pickup, once it is saved.
    if (shot) await page.screenshot({ path: shot });
    await page.getByRole('status', { name: 'History being rewritten' }).waitFor({ timeout: 600_000 });
    // The rebuild's second part (usage and ledger rows, in the background) ends when its bar goes.
    if (written)
      await page
        .getByRole('status', { name: 'History being rewritten' })
        .waitFor({ state: 'detached', timeout: 3_600_000 });
    const { seen, gaps, frames, loaded, synced } = await page.evaluate(() => {
      const w = window as unknown as Watched;
      const mark = performance.getEntriesByName('larder:ledger-loaded')[0];
      const sync = performance.getEntriesByName('larder:sync-started')[0];
      return {
        synced: sync ? Math.round(sync.startTime) : null,
        seen: w.seen,
        gaps: w.gaps,
        frames: w.frames,
        loaded: mark ? Math.round(mark.startTime) : null,
      };
    });
    const first = (prefix: string) => seen.find(([, bars]) => bars.includes(prefix))?.[0] ?? '-';
    const historyAt = seen.findIndex(([, bars]) => bars.includes('Writing the history'));
    const historyDone = seen.slice(historyAt + 1).find(([, bars]) => !bars.includes('Writing the history'));
    const longest = gaps.reduce((most, [, ms]) => Math.max(most, ms), 0);
    // How many times the figures were worked out (a save that made them be derived again shows it twice).
    const figuresShown = seen.filter(
      ([, bars], i) =>
        bars.includes('Working out the figures') && !seen[i - 1]?.[1].includes('Working out the figures'),
    ).length;
    console.log(
      `run ${run}: figures bar at ${first('Working out the figures')} ms (shown ${figuresShown} time(s)), history bar at ${first('Writing the history')} ms, ` +
        `sync started at ${synced ?? '-'} ms, ` +
        `${seen.length} changes of the bars; ledger loaded at ${loaded} ms; ` +
        (written ? `history written at ${historyDone?.[0] ?? '-'} ms; ` : '') +
        `timer gaps over 200 ms: ${gaps.length}, ` +
        `longest ${longest} ms (${gaps.map(([from, ms]) => `${from}+${ms}`).join(', ')})${saved}`,
    );
    for (const frame of frames) console.log(`  frame ${frame}`);
  } finally {
    await context.close();
    await server.close();
  }
}
