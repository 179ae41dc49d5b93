import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { HistoryTimes, NodeSeed, OpenResult, SeedResult } from './page/api';
import { LEDGER_LOADED_MARK } from '../renderer/storage/marks';

export const CHROMIUM = '/usr/bin/chromium';
/** The flags every bench browser runs with (TOOLCHAIN.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // performance.memory otherwise rounds heap sizes (and adds noise) for privacy.
  '--enable-precise-memory-info',
];

export interface FirstView {
  /** The first stock row is in the DOM (ms after navigation start). */
  rowsInDomMs: number;
  /** The frame after that one has been produced: the rows are on screen. */
  rowsPaintedMs: number;
  /** `performance.memory.usedJSHeapSize` at that moment. */
  heapAtViewMB: number;
  /** Long main-thread tasks (>50 ms) after navigation: [start, duration]. */
  longTasks: [number, number][];
  /**
   * Long animation frames (>50 ms): a frame's tasks with the rendering after them (layout, paint):
   * [start, duration, blocking]. The blocking time is what of it held input back (each task's time past 50
   * ms, the rendering counted with the last task): a frame of many short tasks with none drawn between them
   * is long and blocks nothing.
   */
  longFrames: [number, number, number][];
  /** When the main thread went quiet (end of the last long task or heartbeat gap): the doc has loaded. */
  quietAtMs: number;
  /** When the app marked its ledger loaded (`LEDGER_LOADED_MARK`). */
  ledgerLoadedMs: number;
  /** The app's own marks of its start (renderer/storage/marks.ts) and the page's load events: [name, ms]. */
  marks: [string, number][];
  /** CDP heap used on the app page once the ledger is loaded and the page quiet, after a full GC. */
  heapSettledMB: number;
  /** The heaps of the page's workers then, after a full GC each (the device's Worker holds the doc). */
  workersSettledMB: number;
  /** The renderer's resident memory then (`memoryAfterGc`). */
  rendererSettledMB: number;
}

export interface BrowserResult {
  n: number;
  seed: SeedResult;
  idbDiskMB: number;
  /**
   * The same once the app has run on it (its views, the pickups: three browser starts): LevelDB merges what
   * the build wrote as later starts open it, so this is what a device keeps.
   */
  idbDiskSettledMB: number;
  /**
   * The stock view's first pages, a list per browser start: the first of each is the first page of a
   * just-started browser (cold); the others are reloads.
   */
  firstViews: FirstView[][];
  /** The same for the Network screen (`#/network`, a coordinator's first view), in browsers started again. */
  networkViews: FirstView[][];
  /** `indexedDB.open('larder')` as the first thing in a just-started browser. */
  coldOpenMs: number;
  open: OpenResult;
  heapReadyMB: number;
  rendererReadyMB: number;
  pickupsMs: number[];
  history: HistoryTimes;
}

/**
 * Fills a form for one unit of the first item matching "a": a pickup (Record pickup, in `main`) or a send to
 * the first other hub (Transfers, "Send stock to another hub"). The app must be on that screen. Returns the
 * form and its save button; `savedIn` waits for its "Saved" (a send asks once to go ahead when the hub has
 * less on record).
 */
export async function oneUnit(
  page: Page,
  form: 'pickup' | 'send',
): Promise<{ where: Locator; save: Locator }> {
  const send = form === 'send';
  const where = send ? page.getByRole('form', { name: 'Send stock to another hub' }) : page.getByRole('main');
  const finder = where.getByRole('combobox', { name: send ? 'Item to send' : 'Find item' });
  await finder.fill('a');
  await where
    .getByRole('listbox', { name: `${send ? 'Item to send' : 'Find item'} matches` })
    .getByRole('option', { selected: true })
    .waitFor();
  await finder.press('Enter');
  if (send) {
    await where.getByRole('combobox', { name: 'To hub' }).selectOption({ index: 1 });
    await where.getByRole('textbox', { name: 'Quantity to send' }).fill('1');
  } else await page.keyboard.type('1');
  return { where, save: where.getByRole('button', { name: send ? 'Record send' : 'Save pickup' }) };
}

/** Waits for a form's "Saved" after its save button was pressed (see `oneUnit`). */
export async function savedIn(where: Locator, timeout: number): Promise<void> {
  const saved = where.getByRole('status').filter({ hasText: /^Saved/ });
  // A pickup of more than the hub has on record (the first item found may be below zero) asks first.
  const anyway = where.getByRole('button', { name: /^(Send|Record) anyway$/ });
  const either = (l: Locator) => l.waitFor({ timeout }).catch(() => undefined);
  await Promise.race([either(saved), either(anyway)]);
  if (await anyway.isVisible()) await anyway.click();
  await saved.waitFor({ timeout });
}

/** Marks the app's stored projection as made by an older version (as after an update): its next start rebuilds. */
export async function markProjectionOld(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('larder');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('meta', 'readwrite');
          const get = tx.objectStore('meta').get('projection');
          get.onsuccess = () => void tx.objectStore('meta').put({ ...get.result, version: 1 });
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

export const launch = (dir: string): Promise<BrowserContext> =>
  chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });

/**
 * Copies a kept browser profile (`npm run bench -- --keep-profiles`) to `to`, replacing what was there, so a
 * run can change it and the kept one stays as it was. Chromium's locks of a browser that was stopped
 * halfway are left behind: the copy would not open with them.
 */
export function copyProfile(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  for (const lock of ['SingletonLock', 'SingletonCookie', 'SingletonSocket'])
    rmSync(join(to, lock), { force: true });
}

/**
 * The page's V8 heap after a full garbage collection, and the resident memory of the browser's largest
 * renderer process then (the page's: each bench browser shows one page at a time). The heap leaves out
 * what Blink holds for V8: a string Blink made, such as each one `TextDecoder` decodes (Yjs reads every
 * string in the doc with one), is an external string of about 24 B on the V8 heap whose characters live in
 * Blink's memory. The resident memory counts them, and everything else the process holds (about 75-160 MB
 * for a renderer showing an empty page).
 */
async function memoryAfterGc(page: Page): Promise<{ heapMB: number; workersMB: number; rendererMB: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return {
    heapMB: usedSize / 2 ** 20,
    workersMB: await workersHeapMB(page),
    rendererMB: await largestRendererMB(page),
  };
}

/**
 * The V8 heaps of the browser's dedicated workers, each after a full garbage collection, added up: the
 * device's Worker holds the doc and the store (docs/worker.md), in the page's renderer process but in a heap of
 * its own that the page's leaves out. Through the browser's CDP session, a message at a time to each worker
 * (Playwright's sessions reach pages only). NaN when there is none.
 */
async function workersHeapMB(page: Page): Promise<number> {
  const browser = page.context().browser();
  if (!browser) return NaN;
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    let total = NaN;
    let id = 0;
    for (const target of targetInfos) {
      if (target.type !== 'worker') continue;
      const { sessionId } = await cdp.send('Target.attachToTarget', {
        targetId: target.targetId,
        flatten: false,
      });
      const call = (method: string) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const asked = ++id;
          const onMessage = (event: { sessionId: string; message: string }) => {
            if (event.sessionId !== sessionId) return;
            const answer = JSON.parse(event.message) as { id?: number; result?: Record<string, unknown> };
            if (answer.id !== asked) return;
            cdp.off('Target.receivedMessageFromTarget', onMessage);
            if (answer.result) resolve(answer.result);
            else reject(new Error(`${method}: ${event.message}`));
          };
          cdp.on('Target.receivedMessageFromTarget', onMessage);
          cdp
            .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: asked, method }) })
            .catch(reject);
        });
      try {
        await call('HeapProfiler.enable');
        await call('HeapProfiler.collectGarbage');
        const { usedSize } = await call('Runtime.getHeapUsage');
        total = (Number.isNaN(total) ? 0 : total) + Number(usedSize) / 2 ** 20;
      } catch {
        // A worker that ended meanwhile (a piece's worker, say).
      } finally {
        await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      }
    }
    return total;
  } finally {
    await cdp.detach();
  }
}

/** VmRSS of the largest renderer of the page's browser (Linux), NaN where it cannot be read. */
async function largestRendererMB(page: Page): Promise<number> {
  const browser = page.context().browser();
  if (!browser) return NaN;
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
    let largest = NaN;
    for (const p of processInfo) {
      if (p.type !== 'renderer') continue;
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'))?.[1]);
        if (!(kb / 1024 <= largest)) largest = kb / 1024;
      } catch {
        // Gone meanwhile.
      }
    }
    return largest;
  } finally {
    await cdp.detach();
  }
}

async function benchPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/bench/`);
  await page.waitForFunction(() => window.larderBench !== undefined);
  return page;
}

export interface InPageProbe {
  rowsAt: number | null;
  paintedAt: number | null;
  heapAtView: number | null;
  longTasks: [number, number][];
  /**
   * Long animation frames (over 50 ms, start and duration): a frame's tasks and the rendering after them.
   * Chromium's long tasks leave the rendering out: a layout of 300 ms showed in the trace, not there.
   */
  longFrames: [number, number, number][];
  /** Heartbeat: last tick, and when a tick last came late (the main thread had been blocked until then). */
  lastTick: number;
  blockedUntil: number;
}

/**
 * Installed before the app's scripts: notes when the first stock row appears (the stock screen's table, or the
 * Network screen's items table) and what blocked the main thread.
 */
export function installProbe(): void {
  if (location.pathname.startsWith('/bench/')) return;
  const probe: InPageProbe = {
    rowsAt: null,
    paintedAt: null,
    heapAtView: null,
    longTasks: [],
    longFrames: [],
    lastTick: performance.now(),
    blockedUntil: 0,
  };
  (window as unknown as { __larderProbe: InPageProbe }).__larderProbe = probe;
  // Long-task entries reach the observer late (after the next tasks); a heartbeat sees a block at once.
  setInterval(() => {
    const now = performance.now();
    if (now - probe.lastTick > 100) probe.blockedUntil = now;
    probe.lastTick = now;
  }, 50);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) probe.longTasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      probe.longFrames.push([
        e.startTime,
        e.duration,
        (e as PerformanceEntry & { blockingDuration?: number }).blockingDuration ?? 0,
      ]);
  }).observe({ type: 'long-animation-frame', buffered: true });
  const observer = new MutationObserver(() => {
    // The stock table, the network's, or (bench/profile-start.ts --screen) the catalog's or the levels'.
    const rows = ['Stock', 'Network stock', 'Items', 'Item levels', 'History']
      .map((label) => `table[aria-label="${label}"] tbody tr`)
      .join(', ');
    if (probe.rowsAt !== null || !document.querySelector(rows)) return;
    probe.rowsAt = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => {
      // rAF runs just before the frame is drawn; the message arrives once that frame is done.
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        probe.paintedAt = performance.now();
        const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
        probe.heapAtView = memory ? memory.usedJSHeapSize : null;
      };
      channel.port2.postMessage(0);
    });
  });
  observer.observe(document, { childList: true, subtree: true });
}

export async function firstStockView(
  context: BrowserContext,
  origin: string,
  /** Around the view: before the navigation, and once the page is quiet (bench/profile-start.ts profiles it). */
  around: { before?: (page: Page) => Promise<void>; after?: (page: Page) => Promise<void> } = {},
  /** The screen to open (the app's route): the stock screen unless `#/network`. */
  hash = '',
): Promise<FirstView> {
  const page = await context.newPage();
  await around.before?.(page);
  // LARDER_BENCH_STORE=page: the app with its store on the page instead of the device's Worker (docs/worker.md).
  const query = process.env.LARDER_BENCH_STORE === 'page' ? '?store=page' : '';
  await page.goto(`${origin}/${query}${hash}`, { waitUntil: 'commit' });
  await page.waitForFunction(
    () => (window as unknown as { __larderProbe?: InPageProbe }).__larderProbe?.paintedAt != null,
    undefined,
    { timeout: 180_000, polling: 100 },
  );
  // Wait until the ledger has loaded behind the view (the app marks it: at 10M it loads for tens of
  // seconds in short tasks, and a quiet main thread alone did not say it had), then until the main thread
  // has been free for 3 s. Busy means a long task, a late heartbeat, or the heartbeat being late right now.
  const ledgerLoadedMs = await page
    .waitForFunction((mark) => performance.getEntriesByName(mark)[0]?.startTime, LEDGER_LOADED_MARK, {
      timeout: 900_000,
      polling: 250,
    })
    .then((handle) => handle.jsonValue() as Promise<number>);
  const probeOf = () =>
    page.evaluate(() => {
      const p = (window as unknown as { __larderProbe: InPageProbe }).__larderProbe;
      return { ...p, now: performance.now() };
    });
  const busyUntil = (p: Awaited<ReturnType<typeof probeOf>>) =>
    Math.max(
      p.paintedAt ?? 0,
      p.blockedUntil,
      p.now - p.lastTick > 100 ? p.now : 0,
      ...p.longTasks.map(([start, duration]) => start + duration),
    );
  let probe = await probeOf();
  const deadline = Date.now() + 180_000;
  while (probe.now - busyUntil(probe) < 3_000 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    probe = await probeOf();
  }
  // The view painted, the ledger loaded, and the last long task or late heartbeat over: with no task over
  // 50 ms at all (the load is sliced) the last two alone said 0.
  const quietAtMs = Math.max(
    probe.paintedAt ?? 0,
    ledgerLoadedMs,
    probe.blockedUntil,
    ...probe.longTasks.map(([start, duration]) => start + duration),
  );
  const marks = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const out: [string, number][] = nav
      ? [
          ['html received', nav.responseEnd],
          ['DOMContentLoaded (modules run)', nav.domContentLoadedEventStart],
        ]
      : [];
    for (const m of performance.getEntriesByType('mark'))
      if (m.name.startsWith('larder:')) out.push([m.name, m.startTime]);
    return out.sort((x, y) => x[1] - y[1]);
  });
  await around.after?.(page);
  const {
    heapMB: heapSettledMB,
    workersMB: workersSettledMB,
    rendererMB: rendererSettledMB,
  } = await memoryAfterGc(page);
  await page.close();
  return {
    rowsInDomMs: probe.rowsAt!,
    rowsPaintedMs: probe.paintedAt!,
    heapAtViewMB: (probe.heapAtView ?? NaN) / 2 ** 20,
    longTasks: probe.longTasks,
    longFrames: probe.longFrames,
    quietAtMs,
    ledgerLoadedMs,
    marks,
    heapSettledMB,
    workersSettledMB,
    rendererSettledMB,
  };
}

function duMB(dir: string): number {
  try {
    const out = execFileSync('du', ['-sk', dir], { encoding: 'utf8' });
    return Number(out.split('\t')[0]) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * Steps 3-6 for one N on one persistent profile: seed and rebuild; restart the browser (as a device
 * starts the app) and open the app `views` times; restart again, time a cold IndexedDB open, load the
 * store and record pickups one at a time.
 */
/** Views of the Network screen per size: one cold, the others reloads (each waits for the ledger's load). */
const NETWORK_VIEWS = 3;

export async function measureBrowser(
  n: number,
  origin: string,
  opts: {
    views: number;
    /**
     * Browser starts for each screen's views: one cold page each (a single one, on this 2-core machine,
     * varied by 100 ms or more from one run to the next).
     */
    starts: number;
    pickups: number;
    keepProfile?: boolean;
    /** Seed from the network Node generated (served under `url`) instead of generating it in the page. */
    fromNode?: { url: string; seed: NodeSeed };
  },
  log: (line: string) => void,
): Promise<BrowserResult> {
  const dir = await mkdtemp(join(tmpdir(), `larder-bench-${n}-`));
  try {
    let context = await launch(dir);
    let page = await benchPage(context, origin);
    const fromNode = opts.fromNode;
    log(
      `  seeding IndexedDB in Chromium (${fromNode ? 'fetch the pieces Node cut' : 'generate'}, store, load, rebuild)…`,
    );
    const seed = fromNode
      ? await page.evaluate(([url, s]) => window.larderBench!.seedFromNode(url, s), [
          fromNode.url,
          fromNode.seed,
        ] as const)
      : await page.evaluate((count) => window.larderBench!.seed(count), n);
    log(
      `  seeded: ${fromNode ? `store ${(seed.storeMs / 1000).toFixed(1)} s` : `generate ${(seed.generateMs / 1000).toFixed(1)} s`}, load ${seed.loadMs.toFixed(0)} ms, rebuild ${(seed.rebuildMs / 1000).toFixed(1)} s`,
    );
    await context.close();
    const idbDiskMB = duMB(join(dir, 'Default', 'IndexedDB'));

    // A fresh browser process, as when the device starts the app; started again for each cold page.
    const viewsOverStarts = async (screen: string, hash: string, views: number) => {
      const starts: FirstView[][] = [];
      for (let start = 0; start < opts.starts; start++) {
        const browser = await launch(dir);
        try {
          await browser.addInitScript(installProbe);
          const pages: FirstView[] = [];
          for (let i = 0; i < views; i++) {
            const view = await firstStockView(browser, origin, {}, hash);
            pages.push(view);
            log(
              `  start ${start + 1}, ${screen} #${i + 1}: rows painted at ${view.rowsPaintedMs.toFixed(0)} ms, main thread quiet at ${view.quietAtMs.toFixed(0)} ms`,
            );
          }
          starts.push(pages);
        } finally {
          await browser.close();
        }
      }
      return starts;
    };
    const firstViews = await viewsOverStarts('first stock view', '', opts.views);
    // Started again for the Network screen: a coordinator's first view reads every hub's figures.
    const networkViews = await viewsOverStarts(
      'Network screen view',
      '#/network',
      Math.min(opts.views, NETWORK_VIEWS),
    );

    // Restarted once more: the bench page times a cold IndexedDB open, then records pickups.
    context = await launch(dir);
    page = await benchPage(context, origin);
    const coldOpenMs = await page.evaluate(() => window.larderBench!.coldOpen());
    log(`  cold indexedDB.open('larder'): ${coldOpenMs.toFixed(0)} ms`);
    const open = await page.evaluate(() => window.larderBench!.open());
    const { heapMB: heapReadyMB, rendererMB: rendererReadyMB } = await memoryAfterGc(page);
    log(
      `  bench page: store.ready after ${open.readyMs.toFixed(0)} ms, on ${open.startedOn ?? 'whole'} ` +
        `(${open.rowsReadAtStart ?? open.updateRows} of ${open.updateRows} update rows read)`,
    );
    const pickupsMs = await page.evaluate(([item, runs]) => window.larderBench!.pickups(item, runs), [
      seed.pickupItem,
      opts.pickups,
    ] as const);
    const history = await page.evaluate(() => window.larderBench!.history());
    const rowsCheck = await page.evaluate(() => window.larderBench!.rowsCheck());
    if (rowsCheck)
      log(
        `  bench page: the rows its stored skeleton covers read through in the background: ` +
          `${rowsCheck.rows} rows in ${rowsCheck.ms.toFixed(0)} ms, longest task ${rowsCheck.longestTaskMs.toFixed(0)} ms`,
      );
    await page.evaluate(() => window.larderBench!.close());
    await context.close();
    const idbDiskSettledMB = duMB(join(dir, 'Default', 'IndexedDB'));
    return {
      n,
      seed,
      idbDiskMB,
      idbDiskSettledMB,
      firstViews,
      networkViews,
      coldOpenMs,
      open,
      heapReadyMB,
      rendererReadyMB,
      pickupsMs,
      history,
    };
  } finally {
    if (opts.keepProfile) log(`  kept the browser profile: ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

export function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'Chromium (version unknown)';
  }
}
