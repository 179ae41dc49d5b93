import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { buildBenchPage } from './pages';
import * as Y from 'yjs';
import type { SelfRow } from '../renderer/storage/db';
import { DEFAULT_CATEGORIES, type Item } from '../shared/catalog';
import {
  appendEntries,
  categoryLevelsOf,
  devicesOf,
  hubsOf,
  itemsOf,
  levelsKey,
  levelsOf,
  networkOf,
  type DeviceInfo,
  type HubInfo,
} from '../shared/doc';
import { DISCARD_REASONS, DONATION_SOURCES, type Entry } from '../shared/entries';
import { randomId } from '../shared/ids';
import { stockKey } from '../shared/projection';
import { toBase64Url } from '../shared/sync/encoding';
import { spawnSync } from 'node:child_process';
import { chromiumVersion, firstStockView, installProbe, launch, type FirstView } from './browser';
import { FIRST_VIEW_MARK, NETWORK_PREVIEW_MARK } from '../renderer/storage/marks';
import { DEVICE_ID_LENGTH, prng, seededIds } from './generate';
import type { ModelLoad, NetworkSeedResult, RemoteEntry, RemoteTiming } from './network-page/api';
import { ANALYSIS_SLOT, commandLine, label, ms, startLog, writeReport } from './report';
import { serve } from './server';
import { median, quantile } from './stats';
import { writeSummary, type NetworkSummary, type RemoteSeries } from './summaries';

/**
 * `npx tsx bench/network.ts`: the coordinator's network view for 50 hubs × 2,000 items over 1M entries.
 * Times NetworkModel's first load, then, for each of REMOTE new entries arriving from peers one by one,
 * the time from `store.applyRemoteUpdate` to the model's next snapshot with `model.view()` computed (and
 * checks the item's figure moved by the entry's effect). Prints a table and writes docs/benchmarks-network.md;
 * measures and reports, never fails on a figure.
 *
 *   npx tsx bench/network.ts                     1M entries, 20 remote entries
 *   npx tsx bench/network.ts --entries 100000 --remote 40 --no-write
 *   ... --profile=DIR [--profile-load]            a CPU profile of the page over the remote entries (or, with
 *                                                 --profile-load, over the model's first load) written to DIR
 *   ... --app                                    then the app itself opened on \`#/network\` on the same profile, in a
 *                                                 browser started again: three views (the first cold, the next
 *                                                 two showing the view saved at the last start first)
 *   ... --json=FILE                               also writes a summary there (`NetworkSummary`, for npm run bench)
 *   ... --keep-profile --port=N                   keeps the coordinator's browser profile (its path is printed),
 *                                                 served at port N, for bench/profile-start.ts --screen=network
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { option, flag } = commandLine();
const ENTRIES = Number(option('entries') ?? 1_000_000);
const REMOTE = Number(option('remote') ?? 20);
/** Seconds the page sits idle between the two series of remote entries. */
const QUIET_S = Number(option('quiet') ?? 60);
type Phase = 'start' | 'quiet';
const PHASE_NAME: Record<Phase, string> = {
  start: 'right after the Network screen opened',
  quiet: `after ${QUIET_S} s idle`,
};
const write = !flag('no-write');
/** Writes a CPU profile (Chrome DevTools format) of the page over the remote entries. */
const profileDir = option('profile');
/** Keeps the browser profile (`--keep-profile`); IndexedDB belongs to the origin, so `--port` fixes it. */
const keepProfile = flag('keep-profile');
const PORT = Number(option('port') ?? 0);

export const NET_HUBS = 50;
export const NET_ITEMS = 2_000;
const DEVICES_PER_HUB = 2;
/** Share of (hub, item) pairs with levels of their own; two categories also get defaults at every hub. */
const OWN_LEVELS = 0.3;
const CATEGORY_DEFAULTS = ['Food', 'Hygiene'];
const CHUNK = 1_000;
const DAY_MS = 86_400_000;
const TARGET_MS = 100;

const started = performance.now();
const loadAtStart = loadavg()[0]!;
const log = startLog();

const BASES: Record<string, string[]> = {
  Food: ['Rice', 'Pasta', 'Beans', 'Tomatoes', 'Oats', 'Lentils', 'Tuna', 'Soup', 'Cereal', 'Flour'],
  Baby: ['Formula', 'Nappies', 'Wipes', 'Baby food'],
  Hygiene: ['Toothpaste', 'Shampoo', 'Soap', 'Pads', 'Razors', 'Deodorant'],
  Household: ['Toilet roll', 'Washing-up liquid', 'Detergent', 'Bin bags'],
  Medical: ['Paracetamol', 'Plasters', 'Sanitiser'],
  Other: ['Pet food', 'Batteries', 'Candles'],
};
const BRANDS = ['Harvest', 'Northfield', 'Good Day', 'Value', 'Sunny', 'Green Vale', 'Hearth', 'Riverside'];
const SIZES = ['small', 'medium', 'large', 'family', 'multipack', 'single', 'twin', 'bulk'];

export interface NetworkData {
  doc: Y.Doc;
  networkId: string;
  networkKey: Uint8Array;
  /** The coordinator's device: in the network, with no hub. */
  coordinator: { deviceId: string; deviceName: string };
  remote: RemoteEntry[];
  /** The last day of the ledger (the entries run for the 365 days up to `now`). */
  now: number;
  mix: Record<string, number>;
}

/**
 * A deterministic network of NET_HUBS hubs (two devices each) and NET_ITEMS items, `n` entries spread over
 * the 365 days up to `now` (so the last 14 days hold pickups and every hub is fresh), built as devices
 * build it: each device appends its own entries with `appendEntries`. Per-hub levels for OWN_LEVELS of
 * the items, category defaults for CATEGORY_DEFAULTS. Then `remote` entries from hub devices, each an
 * update made on a copy of the doc (as a peer would send it). Same n, seed and `now`, same bytes.
 */
export function generateBigNetwork(n: number, now: number, remote: number, seed = 7): NetworkData {
  const rand = prng(seed);
  const { bytes, id, clientId } = seededIds(rand);
  const networkId = randomId(bytes, 16);
  const networkKey = bytes(32);
  const start = now - 365 * DAY_MS;
  const hubs = Array.from({ length: NET_HUBS }, (_, h) => ({
    id: id(),
    name: `Hub ${String(h + 1).padStart(2, '0')}`,
    devices: Array.from({ length: DEVICES_PER_HUB }, () => id(DEVICE_ID_LENGTH)),
    weight: 0.5 + 1.5 * rand(),
  }));
  const categories = Object.keys(BASES);
  const items: Item[] = [];
  for (let i = 0; i < NET_ITEMS; i++) {
    const category = categories[i % categories.length]!;
    const bases = BASES[category]!;
    const base = bases[Math.floor(i / categories.length) % bases.length]!;
    const brand = BRANDS[Math.floor(i / (categories.length * bases.length)) % BRANDS.length]!;
    const size = SIZES[i % SIZES.length]!;
    items.push({
      id: id(),
      name: `${base} (${brand}, ${size}) #${i + 1}`,
      category: (DEFAULT_CATEGORIES as readonly string[]).includes(category) ? category : 'Other',
      unit: 'unit',
      barcodes: rand() < 0.7 ? [String(5_000_000_000_000 + Math.floor(rand() * 1e12))] : [],
      createdAt: start - 30 * DAY_MS,
      updatedAt: start - 30 * DAY_MS,
    });
  }
  const coordinator = { deviceId: id(DEVICE_ID_LENGTH), deviceName: 'Coordinator laptop' };

  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientId();
  doc.transact(() => {
    networkOf(doc).set('id', networkId);
    networkOf(doc).set('createdAt', start - 40 * DAY_MS);
    for (const hub of hubs) {
      hubsOf(doc).set(hub.id, { name: hub.name, createdAt: start - 40 * DAY_MS } satisfies HubInfo);
      hub.devices.forEach((device, d) =>
        devicesOf(doc).set(device, {
          name: `${hub.name} ${d === 0 ? 'front desk' : 'store room'}`,
          hub: hub.id,
          createdAt: start - 40 * DAY_MS,
        } satisfies DeviceInfo),
      );
      for (const item of items) {
        if (rand() < OWN_LEVELS) {
          const min = 5 + Math.floor(rand() * 40);
          levelsOf(doc).set(levelsKey(hub.id, item.id), { min, target: min * 2 });
        }
      }
      for (const category of CATEGORY_DEFAULTS)
        categoryLevelsOf(doc).set(`${hub.id}|${category}`, { min: 10, target: 30 });
    }
    devicesOf(doc).set(coordinator.deviceId, {
      name: coordinator.deviceName,
      hub: null,
      createdAt: start - 40 * DAY_MS,
    } satisfies DeviceInfo);
    for (const item of items) itemsOf(doc).set(item.id, item);
  }, 'local');

  // Split n over the hubs by weight (largest remainder, so the parts add up to n).
  const totalWeight = hubs.reduce((s, h) => s + h.weight, 0);
  const shares = hubs.map((h) => (n * h.weight) / totalWeight);
  const counts = shares.map(Math.floor);
  const order = shares.map((s, i) => [s - Math.floor(s), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; k < n - counts.reduce((s, c) => s + c, 0); k++) counts[order[k]![1]]! += 1;

  const mix: Record<string, number> = { donation: 0, pickup: 0, count: 0, discard: 0 };
  const onHand = new Map<string, number>();
  const nextSeq = new Map<string, number>();
  const popularityOf = new Map<string, string[]>();
  hubs.forEach((hub, h) => {
    const r = prng(seed * 1000 + h);
    const devices = hub.devices.map((device) => {
      const ydoc = new Y.Doc({ gc: true });
      ydoc.clientID = clientId();
      return { device, ydoc, seq: 1, buffer: [] as Entry[] };
    });
    // Each hub stocks most of the catalog, some items far more often than others.
    const popularity = items.map((item) => item.id);
    for (let i = popularity.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [popularity[i], popularity[j]] = [popularity[j]!, popularity[i]!];
    }
    popularityOf.set(hub.id, popularity);
    const count = counts[h]!;
    for (let made = 0; made < count; made++) {
      const dev = devices[r() < 0.6 ? 0 : 1]!;
      const at = Math.floor((start + ((made + r()) / count) * 365 * DAY_MS) / 1000) * 1000;
      const item = popularity[Math.floor(popularity.length * r() ** 2)]!;
      const key = stockKey(hub.id, item);
      const have = onHand.get(key) ?? 0;
      const base = { hub: hub.id, device: dev.device, seq: dev.seq, item, at, recordedAt: at };
      const pick = r();
      let entry: Entry;
      let effect: number;
      if (pick < 0.45) {
        const qty = 1 + Math.floor(r() * r() * 24);
        entry = { kind: 'donation', ...base, qty, source: DONATION_SOURCES[Math.floor(r() * 3)]! };
        effect = qty;
      } else if (pick < 0.9) {
        const qty = 1 + Math.floor(r() * r() * 12);
        entry = { kind: 'pickup', ...base, qty, ...(have - qty < 0 ? { belowZero: true as const } : {}) };
        effect = -qty;
      } else if (pick < 0.95) {
        const counted = Math.max(0, have + Math.floor(r() * 7) - 3);
        entry = { kind: 'count', ...base, counted, seen: have };
        effect = counted - have;
      } else {
        const qty = 1 + Math.floor(r() * 3);
        entry = { kind: 'discard', ...base, qty, reason: DISCARD_REASONS[Math.floor(r() * 4)]! };
        effect = -qty;
      }
      mix[entry.kind] = (mix[entry.kind] ?? 0) + 1;
      onHand.set(key, have + effect);
      dev.seq += 1;
      dev.buffer.push(entry);
      if (dev.buffer.length >= CHUNK) {
        appendEntries(dev.ydoc, dev.device, dev.buffer);
        dev.buffer = [];
      }
    }
    for (const dev of devices) {
      appendEntries(dev.ydoc, dev.device, dev.buffer);
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(dev.ydoc), 'sync');
      dev.ydoc.destroy();
      nextSeq.set(dev.device, dev.seq);
    }
  });

  // Entries arriving from peers while the coordinator watches: each an update made on a copy of the doc
  // by the device that records it (its own Yjs client), one entry each, just now.
  const peer = new Y.Doc({ gc: true });
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc), 'sync');
  const peerClient = new Map<string, number>();
  const r = prng(seed * 7919);
  const out: RemoteEntry[] = [];
  for (let k = 0; k < remote; k++) {
    const hub = hubs[Math.floor(r() * hubs.length)]!;
    const device = hub.devices[0]!;
    if (!peerClient.has(device)) peerClient.set(device, clientId());
    peer.clientID = peerClient.get(device)!;
    const popularity = popularityOf.get(hub.id)!;
    const item = popularity[Math.floor(popularity.length * r() ** 2)]!;
    const key = stockKey(hub.id, item);
    const have = onHand.get(key) ?? 0;
    const seq = nextSeq.get(device)!;
    nextSeq.set(device, seq + 1);
    const at = Math.floor((now + k * 1000) / 1000) * 1000;
    const base = { hub: hub.id, device, seq, item, at, recordedAt: at };
    const qty = 1 + Math.floor(r() * 5);
    const donation = k % 2 === 1;
    const entry: Entry = donation
      ? { kind: 'donation', ...base, qty, source: 'individual' }
      : { kind: 'pickup', ...base, qty, ...(have - qty < 0 ? { belowZero: true as const } : {}) };
    const effect = donation ? qty : -qty;
    onHand.set(key, have + effect);
    const before = Y.encodeStateVector(peer);
    appendEntries(peer, device, [entry]);
    out.push({
      update: toBase64Url(Y.encodeStateAsUpdate(peer, before)),
      hub: hub.id,
      item,
      kind: donation ? 'donation' : 'pickup',
      effect,
    });
  }
  peer.destroy();
  return { doc, networkId, networkKey, coordinator, remote: out, now, mix };
}

interface Timed {
  phase: Phase;
  entry: RemoteEntry;
  timing: RemoteTiming;
}

/** The app opened on `#/network` on the bench's profile (`--app`): when its items table was painted. */
interface AppView {
  /** The first row painted (from the second view on, the saved view's), ms after navigation. */
  rowsPaintedMs: number;
  /** The screen's own figures painted (the app's `larder:first-view` mark). */
  figuresMs: number;
  savedViewShown: boolean;
  longestFrameMs: number;
}

interface Result {
  entries: number;
  app: AppView[];
  stateBytes: number;
  generateMs: number;
  seed: NetworkSeedResult;
  load: ModelLoad;
  timings: Timed[];
  mix: Record<string, number>;
}

async function benchPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => log(`  [page error] ${e.message}`));
  page.on('console', (m) => {
    if (/Failed to load resource.*404/.test(m.text())) return; // the favicon
    if (m.type() === 'error' || m.type() === 'warning') log(`  [console.${m.type()}] ${m.text()}`);
  });
  await page.goto(`${origin}/network-bench/`);
  await page.waitForFunction(() => window.larderNetworkBench !== undefined);
  return page;
}

/** Starts Chromium's sampling profiler on `page`; the function returned stops it and writes `<name>.cpuprofile`. */
async function startProfile(context: BrowserContext, page: Page): Promise<(name: string) => Promise<void>> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return async (name) => {
    const { profile } = await cdp.send('Profiler.stop');
    await mkdir(profileDir!, { recursive: true });
    const file = join(profileDir!, `${name}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    log(`  wrote ${file}`);
  };
}

async function measure(origin: string, dataDir: string): Promise<Result> {
  // The ledger runs up to the start of this minute: rates and freshness are relative to the real clock.
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  log(
    `generating ${ENTRIES.toLocaleString('en')} entries over ${NET_HUBS} hubs × ${NET_ITEMS} items in Node`,
  );
  const t = performance.now();
  const net = generateBigNetwork(ENTRIES, now, 2 * REMOTE);
  const generateMs = performance.now() - t;
  const state = Y.encodeStateAsUpdate(net.doc);
  net.doc.destroy();
  await writeFile(join(dataDir, 'state.bin'), state);
  log(`  ${ms(generateMs)}, ${(state.byteLength / 1e6).toFixed(1)} MB`);
  const self: SelfRow = {
    key: 'self',
    networkId: net.networkId,
    networkKey: toBase64Url(net.networkKey),
    signaling: [],
    role: 'coordinator',
    hubId: null,
    deviceId: net.coordinator.deviceId,
    deviceName: net.coordinator.deviceName,
    nextSeq: 1,
  };
  const dir = await mkdtemp(join(tmpdir(), 'larder-network-bench-'));
  let context: BrowserContext | null = null;
  try {
    log('seeding a coordinator profile in Chromium (store, load, rebuild)…');
    context = await launch(dir);
    let page = await benchPage(context, origin);
    const seed = await page.evaluate(
      ([url, entries, row]) => window.larderNetworkBench!.seed(url, entries, row),
      [`${origin}/network-data/state.bin`, ENTRIES, self] as const,
    );
    log(
      `  seeded: load ${ms(seed.loadMs)}, rebuild ${ms(seed.rebuildMs)} (${seed.rebuildProblems} problems)`,
    );
    await context.close();

    // A fresh browser, as the coordinator starts the app and opens the Network screen.
    context = await launch(dir);
    page = await benchPage(context, origin);
    const loadProfile = profileDir && flag('profile-load') ? await startProfile(context, page) : null;
    const load = await page.evaluate(() => window.larderNetworkBench!.load());
    if (loadProfile) await loadProfile(`network-load-${label(ENTRIES)}`);
    log(
      `  store.ready ${ms(load.readyMs)}; NetworkModel first snapshot ${ms(load.firstSnapshotMs)}, first view() ${ms(load.firstViewMs)}`,
    );
    if (load.firstSnapshotParts)
      log(
        `  first snapshot: reading rows ${ms(load.firstSnapshotParts.readMs)}, hubs' newest entries ${ms(load.firstSnapshotParts.newestMs)}, building ${ms(load.firstSnapshotParts.buildMs)}`,
      );
    const remoteProfile = profileDir && !flag('profile-load') ? await startProfile(context, page) : null;
    const timings: Timed[] = [];
    for (const [i, entry] of net.remote.entries()) {
      const phase: Phase = i < REMOTE ? 'start' : 'quiet';
      if (i === REMOTE) {
        log(`  idle for ${QUIET_S} s…`);
        await new Promise((resolve) => setTimeout(resolve, QUIET_S * 1000));
      }
      const timing = await page.evaluate((e) => window.larderNetworkBench!.remote(e), entry);
      timings.push({ phase, entry, timing });
      log(
        `  remote entry ${i + 1}/${net.remote.length} (${entry.kind} ${entry.effect > 0 ? '+' : ''}${entry.effect}): view ready after ${ms(timing.totalMs)} (published ${ms(timing.publishMs)}, view() ${ms(timing.viewMs)}, committed ${ms(timing.committedMs)}); figure ${timing.before} → ${timing.after}${timing.changed ? '' : ' NOT AS EXPECTED'}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (remoteProfile) await remoteProfile(`network-${label(ENTRIES)}`);
    await page.evaluate(() => window.larderNetworkBench!.close());
    const app: AppView[] = [];
    if (flag('app')) {
      await context.close();
      context = null;
      log('the app on #/network, in a browser started again (three views: one cold, two reloads)…');
      const browser = await launch(dir);
      context = browser;
      await browser.addInitScript(installProbe);
      for (let i = 0; i < 3; i++) {
        const view: FirstView = await firstStockView(browser, origin, {}, '#/network');
        const mark = (name: string) => view.marks.find(([m]) => m === name)?.[1] ?? NaN;
        app.push({
          rowsPaintedMs: view.rowsPaintedMs,
          figuresMs: mark(FIRST_VIEW_MARK),
          savedViewShown: !Number.isNaN(mark(NETWORK_PREVIEW_MARK)),
          longestFrameMs: Math.max(0, ...view.longFrames.map(([, d]) => d)),
        });
        log(
          `  view ${i + 1}: items table painted at ${ms(view.rowsPaintedMs)}${app[i]!.savedViewShown ? ' (the saved view)' : ''}, its figures at ${ms(app[i]!.figuresMs)}, longest frame ${ms(app[i]!.longestFrameMs)}`,
        );
      }
    }
    return {
      app,
      entries: ENTRIES,
      stateBytes: state.byteLength,
      generateMs,
      seed,
      load,
      timings,
      mix: net.mix,
    };
  } finally {
    await context?.close().catch(() => undefined);
    if (keepProfile) log(`kept the coordinator's profile: ${dir} (port ${PORT})`);
    else await rm(dir, { recursive: true, force: true });
  }
}

function summary(r: Result): NetworkSummary {
  const series = (phase: Phase): RemoteSeries => {
    const total = r.timings.filter((x) => x.phase === phase).map((x) => x.timing.totalMs);
    return {
      count: total.length,
      medianMs: median(total),
      p95Ms: quantile(total, 0.95),
      maxMs: Math.max(...total),
    };
  };
  return {
    entries: r.entries,
    hubs: NET_HUBS,
    items: NET_ITEMS,
    firstSnapshotMs: r.load.firstSnapshotMs,
    afterOpen: series('start'),
    afterQuiet: series('quiet'),
    quietS: QUIET_S,
    changed: r.timings.filter((x) => x.timing.changed).length,
    timed: r.timings.length,
  };
}

function rows(r: Result): [string, string, string, string][] {
  const changed = r.timings.filter((x) => x.timing.changed).length;
  const met = (ok: boolean) => (ok ? 'yes' : 'NO');
  const perPhase = (phase: Phase): [string, string, string, string][] => {
    const of = r.timings.filter((x) => x.phase === phase).map((x) => x.timing);
    const total = of.map((x) => x.totalMs);
    const name = PHASE_NAME[phase];
    return [
      [
        `New remote entry → updated view, ${name}: median of ${total.length}`,
        ms(median(total)),
        '< 100 ms',
        met(median(total) < TARGET_MS),
      ],
      [
        `… p95 / max`,
        `${ms(quantile(total, 0.95))} / ${ms(Math.max(...total))}`,
        '< 100 ms',
        met(quantile(total, 0.95) < TARGET_MS),
      ],
      [
        '… of which, medians: committed / model published / model.view()',
        `${ms(median(of.map((x) => x.committedMs)))} / ${ms(median(of.map((x) => x.publishMs)))} / ${ms(median(of.map((x) => x.viewMs)))}`,
        '—',
        '—',
      ],
    ];
  };
  return [
    ['Doc state (Yjs V1)', `${(r.stateBytes / 1e6).toFixed(1)} MB`, '—', '—'],
    [
      'Projection rows: stock / levels / category levels / usage',
      `${r.load.stockRows.toLocaleString('en')} / ${r.load.levelsRows.toLocaleString('en')} / ${r.load.categoryLevelsRows} / ${r.load.usageRows.toLocaleString('en')}`,
      '—',
      '—',
    ],
    [
      'View: items / hubs / items with needs / hubs with shortages / moves',
      `${r.load.view.items} / ${r.load.view.hubs} / ${r.load.view.itemsWithNeeds} / ${r.load.view.hubsWithShortages} / ${r.load.view.moves}`,
      '—',
      '—',
    ],
    ['store.ready (doc loaded), fresh browser', ms(r.load.readyMs), '—', '—'],
    [
      'NetworkModel initial load: subscribe → first snapshot',
      ms(r.load.firstSnapshotMs),
      '< 500 ms',
      r.load.firstSnapshotMs < 500 ? 'yes' : 'NO',
    ],
    ...(r.load.firstSnapshotParts
      ? [
          <[string, string, string, string]>[
            '… of which: reading rows / hubs’ newest entries / building the model',
            `${ms(r.load.firstSnapshotParts.readMs)} / ${ms(r.load.firstSnapshotParts.newestMs)} / ${ms(r.load.firstSnapshotParts.buildMs)}`,
            '—',
            '—',
          ],
        ]
      : []),
    ['First model.view() (all items and hubs)', ms(r.load.firstViewMs), '—', '—'],
    ['model.view() again, nothing changed', ms(r.load.repeatViewMs), '—', '—'],
    ...(r.app.length
      ? [
          <[string, string, string, string]>[
            'The app on #/network, browser just started: items table painted / its own figures painted',
            `${ms(r.app[0]!.rowsPaintedMs)} / ${ms(r.app[0]!.figuresMs)}`,
            '< 500 ms',
            r.app[0]!.rowsPaintedMs < 500 ? 'yes' : 'NO',
          ],
          <[string, string, string, string]>[
            '… reloaded (the view saved at the last start first): painted / its own figures (medians of 2)',
            `${ms(median(r.app.slice(1).map((a) => a.rowsPaintedMs)))} / ${ms(median(r.app.slice(1).map((a) => a.figuresMs)))}`,
            '< 500 ms',
            median(r.app.slice(1).map((a) => a.rowsPaintedMs)) < 500 ? 'yes' : 'NO',
          ],
        ]
      : []),
    ...perPhase('start'),
    ...perPhase('quiet'),
    [
      'Figure changed by the entry’s effect',
      `${changed} of ${r.timings.length}`,
      `${r.timings.length} of ${r.timings.length}`,
      met(changed === r.timings.length),
    ],
  ];
}

function render(table: [string, string, string, string][]): string {
  const header = ['Metric', `N=${label(ENTRIES)}`, 'Target', 'Met?'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...table.map(line)].join('\n');
}

function markdown(
  r: Result,
  table: [string, string, string, string][],
  totalS: number,
  load: string,
): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const mix = Object.entries(r.mix)
    .map(([k, v]) => `${k} ${((100 * v) / r.entries).toFixed(1)}%`)
    .join(', ');
  const each = r.timings
    .map(
      ({ phase, entry, timing: x }, i) =>
        `${i + 1}. (${phase === 'start' ? 'at once' : `after ${QUIET_S} s idle`}) ${entry.kind} ${entry.effect > 0 ? '+' : ''}${entry.effect}: ${ms(x.totalMs)} (published ${ms(x.publishMs)}, view() ${ms(x.viewMs)}, committed ${ms(x.committedMs)}); fresh total ${x.before} → ${x.after}`,
    )
    .join('\n');
  return `# Benchmarks: the coordinator's network view

Generated by \`npx tsx bench/network.ts\` on ${new Date().toISOString().slice(0, 10)} (run time ${totalS.toFixed(0)} s).
Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version},
${chromiumVersion()} (headless); ${load}. One run; other work on the machine shows up in the figures.

**Scenario**: network view for ${NET_HUBS} hubs × ${NET_ITEMS.toLocaleString('en')} items over ${label(r.entries)} entries: time from a new
remote entry to the updated view. Target: under 100 ms.

| Metric | N=${label(r.entries)} | Target | Met? |
| --- | --- | --- | --- |
${table.map((row) => `| ${row.join(' | ')} |`).join('\n')}

${ANALYSIS_SLOT}

## Each remote entry (applyRemoteUpdate → view ready)

${each}

## How it is measured

1. **Data** (\`generateBigNetwork\` in bench/network.ts, deterministic for a given seed and end time): ${NET_HUBS} hubs
   with ${DEVICES_PER_HUB} devices each, ${NET_ITEMS.toLocaleString('en')} items in the default categories, ${r.entries.toLocaleString('en')} one-line entries
   (${mix}) spread evenly over the 365 days up to the start of the run's minute, so every hub is fresh and
   the last 14 days hold pickups (days-of-cover rates). Each device appends its own entries with
   \`appendEntries\` in chunks of ${CHUNK.toLocaleString('en')}. Levels: ${OWN_LEVELS * 100}% of (hub, item) pairs have their own
   (\`levels\`), and every hub has category defaults for ${CATEGORY_DEFAULTS.join(' and ')} (\`categoryLevels\`).
   The coordinator's device is in \`devices\` with no hub.
2. **Seed** (\`bench/network-page/\`, served from 127.0.0.1): the doc state is stored as the one \`updates\` row
   with a coordinator self row (role \`coordinator\`, hubId null), then \`DocPersistence.load()\` and
   \`rebuild()\` fill every projection table (${ms(r.seed.rebuildMs)} here).
3. **Load**: Chromium is restarted on that profile; \`LarderStore.open\`, \`await store.ready\`, then
   \`new NetworkModel(store)\` and \`subscribe\` (what the Network screen's \`useNetworkData\` does): time to the
   first published snapshot, then its \`model.view()\`.
4. **Remote entries**: ${r.timings.length} updates made in Node, each on a copy of the doc that appends one entry
   (pickups and donations, alternately, at random hubs, stamped now) with \`appendEntries\`, under the
   recording device's own Yjs client id, sent as \`Y.encodeStateAsUpdate(copy, stateVectorBefore)\`. In the
   page, one after the other (200 ms apart; the first ${REMOTE} as soon as the model has loaded, the other
   ${REMOTE} after the page sat idle for ${QUIET_S} s): \`store.applyRemoteUpdate(update, 'peer')\` (the path WebRTC and
   sync files take: ingest checks, Yjs, DocPersistence commit with projections, \`onCommitted\`), and the time
   until NetworkModel publishes its next snapshot and that snapshot's \`model.view()\` has returned, as the
   screen would render it. The item's fresh total in the view must move by the entry's effect.
5. Not measured: rendering the Network screen itself (React, DOM). The app page offers no hook to inject a
   peer update and time its render without WebRTC/BroadcastChannel plumbing, so the figure here stops at
   the view model the screen renders from.

## Reproduce

\`\`\`
npx tsx bench/network.ts                                 # 1M entries, ${REMOTE} remote entries
npx tsx bench/network.ts --entries 100000 --remote 40 --no-write
\`\`\`

Needs Chromium at \`/usr/bin/chromium\`. Everything stays on 127.0.0.1.
`;
}

async function main() {
  const pageDir = join(tmpdir(), 'larder-network-bench-page');
  // Readable names in CPU profiles.
  await buildBenchPage('network-page', '/network-bench/', pageDir, { build: { minify: !profileDir } });
  const dataDir = await mkdtemp(join(tmpdir(), 'larder-network-data-'));
  // With --app, the app itself on the same origin (IndexedDB belongs to the origin), built as npm run bench builds it.
  const appDir = join(tmpdir(), 'larder-network-bench-app');
  if (flag('app')) {
    const built = spawnSync(
      'npx',
      ['vite', 'build', '--mode', 'production', '--outDir', appDir, '--emptyOutDir', '--logLevel', 'error'],
      { cwd: root, stdio: 'inherit' },
    );
    if (built.status !== 0) throw new Error(`the app did not build (vite build exited ${built.status})`);
  }
  const server = await serve(
    [
      { prefix: '/network-bench/', dir: pageDir },
      { prefix: '/network-data/', dir: dataDir },
      ...(flag('app') ? [{ prefix: '/', dir: appDir }] : []),
    ],
    PORT,
  );
  let result: Result;
  try {
    result = await measure(server.url, dataDir);
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(pageDir, { recursive: true, force: true });
  }
  const table = rows(result);
  writeSummary(option('json'), summary(result));
  const totalS = (performance.now() - started) / 1000;
  console.log(`\n${render(table)}\n`);
  const load = `load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`;
  console.log(`Network bench run time: ${totalS.toFixed(0)} s (${load}, ${cpus().length} cores)`);
  if (write) {
    const file = join(root, 'docs', 'benchmarks-network.md');
    await writeReport(file, markdown(result, table, totalS, load));
    console.log('Wrote docs/benchmarks-network.md');
  }
}

await main();
