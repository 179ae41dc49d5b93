import * as Y from 'yjs';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';
import { countLedgerRows, hubItemLedgerRows, hubLedgerRows } from '../../renderer/storage/ledgerRows';
import { itemBlocksUnfinished } from '../../renderer/storage/itemBlocks';
import type { LedgerRow } from '../../shared/projection';
import { fetchState, seedDatabase } from './seed';
import { LarderStore } from '../../renderer/storage/store';
import { DocPersistence } from '../../renderer/storage/persistence';
import { verifyCheckpoint } from '../../shared/checkpoint/verify';
import { loadFastSha256 } from '../../shared/trust/crypto';
import type { Member, MemberState } from '../../shared/trust/members';
import Dexie from 'dexie';
import { appBenchNetwork } from '../generate';
import type { LarderBench, NewDeviceRun, NodeSeed } from './api';
import {
  coordinatorClose,
  coordinatorExport,
  coordinatorInvite,
  coordinatorRecord,
  coordinatorServe,
  coordinatorStop,
  joinByFile,
  joinBySync,
  coordinatorRelay,
  joinByRelay,
  deviceClose,
} from './join';

/**
 * The bench page: served from the same origin as the built app, so the IndexedDB it seeds is the one
 * the app opens. It uses the real storage modules, nothing re-implemented.
 */
let store: LarderStore | null = null;
/** Whether the blocks were still to be listed by item when the doc was loaded, and when they were. */
let unfinishedAtReady = false;
let listedAfterReady: Promise<number> = Promise.resolve(0);
/** The longest main-thread task from store.ready until they were listed (includes counting the rows). */
let listingLongestTaskMs = 0;
/** Long tasks since `open()` began: [start, duration] (ms). */
const openTasks: [number, number][] = [];

/** The entries History shows at first (renderer/screens/HistoryScreen.tsx, PAGE). */
const HISTORY_PAGE = 100;

const base64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/**
 * The self row as the app writes it for a hub device. Built loosely on purpose: it carries every field
 * SelfRow has had (network key and signaling came with sync, role with coordinators); an app version that
 * does not know a field ignores it. Check it against SelfRow in db.ts when that changes. The bench network
 * is unsigned (no chain): its generated history is not signed by device keys.
 */
function selfRow(networkId: string, networkKey: string, self: NodeSeed['self']): SelfRow {
  return {
    key: 'self',
    networkId,
    networkKey,
    signaling: [],
    role: 'hub',
    hubId: self.hubId,
    deviceId: self.deviceId,
    deviceName: self.deviceName,
    nextSeq: self.nextSeq,
  } satisfies Omit<
    Record<keyof SelfRow, unknown>,
    'chain' | 'preApproval' | 'epoch' | 'previousKey' | 'pastKeys' | 'anchor' | 'restarts'
  > as unknown as SelfRow;
}

/** A member list sent as JSON (bench/checkpoint-start.ts): its maps as their entries. */
function memberState(json: { network: string; members: [string, Member][] }): MemberState {
  return {
    network: json.network,
    members: new Map(json.members),
    requests: new Map(),
    keys: new Map(),
    rotation: null,
    signed: new Map(),
    problems: [],
  };
}

const bench: LarderBench = {
  async seed(n) {
    let t = performance.now();
    const net = appBenchNetwork(n);
    const generateMs = performance.now() - t;
    t = performance.now();
    const state = Y.encodeStateAsUpdate(net.doc);
    const encodeMs = performance.now() - t;
    net.doc.destroy();
    const self = selfRow(net.networkId, base64Url(net.networkKey), net.self);
    // The database as the app leaves it after its first sync and first start (see seed.ts).
    const seeded = await seedDatabase(state, n, self, net.pickupItem);
    return {
      entries: n,
      mix: net.mix,
      stateBytes: state.byteLength,
      pickupItem: net.pickupItem,
      generatedIn: 'page',
      generateMs,
      encodeMs,
      ...seeded,
    };
  },

  async seedFromNode(baseUrl, seed) {
    // Each piece copied out of its pack: IndexedDB would store a view's whole buffer.
    const pieces: Uint8Array[] = [];
    for (const [i, sizes] of seed.packs.entries()) {
      const { state: pack } = await fetchState(`${baseUrl}pack-${i}.bin`);
      let at = 0;
      for (const size of sizes) {
        pieces.push(pack.slice(at, at + size));
        at += size;
      }
    }
    const self = selfRow(seed.networkId, seed.networkKey, seed.self);
    const seeded = await seedDatabase(pieces, seed.entries, self, seed.pickupItem);
    return {
      entries: seed.entries,
      mix: seed.mix,
      stateBytes: seed.stateBytes,
      pickupItem: seed.pickupItem,
      generatedIn: 'node',
      generateMs: seed.generateMs,
      encodeMs: 0,
      ...seeded,
    };
  },

  async coldOpen() {
    const t = performance.now();
    const request = indexedDB.open('larder');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('indexedDB.open failed'));
    });
    const ms = performance.now() - t;
    db.close();
    return ms;
  },

  async open() {
    const t = performance.now();
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) openTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask' });
    store = await LarderStore.open(new LarderDB());
    const openMs = performance.now() - t;
    await store.ready;
    const readyMs = performance.now() - t;
    const readyAt = performance.now();
    // (Listed by item in the background from the load's end, if a fill was due.)
    unfinishedAtReady = await itemBlocksUnfinished(store.db);
    listingLongestTaskMs = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        listingLongestTaskMs = Math.max(listingLongestTaskMs, entry.duration);
    });
    observer.observe({ type: 'longtask' });
    listedAfterReady = store.persistence.itemBlocksListed().then(async () => {
      const ms = performance.now() - readyAt;
      // Long tasks are reported after they end: one more task lets the last be seen.
      await new Promise((resolve) => setTimeout(resolve, 100));
      observer.disconnect();
      return ms;
    });
    const [updateRows, ledgerRows] = await Promise.all([store.db.updates.count(), countLedgerRows(store.db)]);
    const { startedOn, rowsReadAtStart } = store.persistence;
    return { openMs, readyMs, updateRows, ledgerRows, startedOn, rowsReadAtStart };
  },

  async pickups(item, runs) {
    if (!store) throw new Error('open() first');
    const hub = store.self?.hubId ?? '';
    item ??= (await store.db.stock.where('key').startsWith(`${hub}|`).first())?.item ?? '';
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await store.recordPickup({ lines: [{ item, quantity: '1' }], acknowledgeBelowZero: true });
      times.push(performance.now() - t);
    }
    return times;
  },

  async history() {
    if (!store) throw new Error('open() first');
    const db = store.db;
    const hub = store.self?.hubId ?? '';
    const stock = (await db.stock.where('hub').equals(hub).toArray()).sort(
      (a, b) => a.entryCount - b.entryCount,
    );
    const rare = stock[0]!.item;
    const common = stock[stock.length - 1]!.item;
    const listsAsked = performance.now();
    await store.persistence.itemBlocksListed();
    const listsWaitMs = performance.now() - listsAsked;
    const page = async (item: string, match: (row: LedgerRow) => boolean) => {
      const t = performance.now();
      const rows = item
        ? await hubItemLedgerRows(db, hub, item, -Infinity, Infinity, HISTORY_PAGE, match)
        : await hubLedgerRows(db, hub, -Infinity, Infinity, HISTORY_PAGE, match);
      return { ms: performance.now() - t, rows: rows.length };
    };
    const all = await page('', () => true);
    const commonItem = await page(common, () => true);
    const rareItem = await page(rare, () => true);
    const undos = await page('', (r) => r.kind === 'reversal');
    return {
      all: all.ms,
      commonItem: commonItem.ms,
      rareItem: rareItem.ms,
      undos: undos.ms,
      rows: { all: all.rows, commonItem: commonItem.rows, rareItem: rareItem.rows, undos: undos.rows },
      listsWaitMs,
    };
  },

  async itemLists() {
    if (!store) throw new Error('open() first');
    const waitedMs = await listedAfterReady;
    return { waitedMs, unfinished: unfinishedAtReady, longestTaskMs: listingLongestTaskMs };
  },

  async startFromCheckpoint(baseUrl, network) {
    await loadFastSha256();
    const started = performance.now();
    const [{ state: head }, { state: rows }, members] = await Promise.all([
      fetchState(`${baseUrl}checkpoint-head.bin`),
      fetchState(`${baseUrl}checkpoint-rows.bin`),
      fetch(`${baseUrl}checkpoint-members.json`).then((r) => r.json()),
    ]);
    const fetched = performance.now();
    const tasks: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
    observer.observe({ type: 'longtask', buffered: false });
    const { by, sig } = members as { by: string; sig: string };
    const verdict = await verifyCheckpoint({ head, by, sig }, network, memberState(members));
    if (!verdict.ok) throw new Error(`checkpoint refused: ${JSON.stringify(verdict.refusal)}`);
    const verified = performance.now();
    await Dexie.delete('larder-checkpoint-start');
    const db = new LarderDB('larder-checkpoint-start');
    const persistence = new DocPersistence(db, () => Date.now());
    await persistence.load();
    const loaded = performance.now();
    // Its rows checked and decoded, then the figures committed: the stock view is right from here.
    await persistence.seed(verdict.checkpoint, rows);
    const seeded = performance.now();
    await persistence.seedHistoryWritten();
    const historyWritten = performance.now();
    observer.disconnect();
    const hub = verdict.checkpoint.head.stock[0]!.hub;
    const t = performance.now();
    const shelf = await db.shelf.where('hub').equals(hub).toArray();
    const shelfReadMs = performance.now() - t;
    const result = {
      fetchMs: fetched - started,
      verifyMs: verified - fetched,
      seedMs: seeded - loaded,
      historyMs: historyWritten - seeded,
      totalMs: seeded - fetched,
      shelfReadMs,
      shelfRows: shelf.length,
      stockRows: await db.stock.count(),
      ledgerRows: await countLedgerRows(db),
      longestTaskMs: Math.max(0, ...tasks.map((task) => task.duration)),
    };
    persistence.destroy();
    db.close();
    return result;
  },

  coordinatorRecord,
  coordinatorInvite,
  coordinatorExport,
  coordinatorServe,
  coordinatorStop,
  coordinatorClose,
  joinByFile,
  joinBySync,
  coordinatorRelay,
  joinByRelay,
  deviceClose,

  async joinByFileInWorker(args) {
    const tasks: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
    observer.observe({ type: 'longtask', buffered: false });
    let longestWait = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      longestWait = Math.max(longestWait, now - last - 10);
      last = now;
    }, 10);
    const worker = new Worker(new URL('./join.worker.ts', import.meta.url), { type: 'module' });
    try {
      const answer = await new Promise<{ run: NewDeviceRun } | { failed: string }>((resolve, reject) => {
        worker.onmessage = (event) => resolve(event.data as { run: NewDeviceRun } | { failed: string });
        worker.onerror = (event) => reject(new Error(event.message));
        worker.postMessage(args);
      });
      if ('failed' in answer) throw new Error(`the join in the worker failed: ${answer.failed}`);
      // Tasks are reported after they end: a moment for the last one.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return {
        ...answer.run,
        longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)),
        longestTaskToReadyMs: Math.max(0, ...tasks.map((t) => t.duration)),
        pageLongestWaitMs: longestWait,
      };
    } finally {
      observer.disconnect();
      clearInterval(tick);
      worker.terminate();
    }
  },

  async rowsCheck() {
    // The background read of the rows a stored skeleton covers (persistence `checkRowsLater`), begun a few
    // seconds after the start; the long tasks seen since the start that fall within it.
    await store!.persistence.checkingRows;
    const span = store!.persistence.rowsCheckSpan;
    if (!span) return null;
    const [from, to] = span;
    const longest = Math.max(0, ...openTasks.filter(([at]) => at >= from && at <= to).map(([, ms]) => ms));
    return { ms: to - from, rows: store!.persistence.rowsCheckedLater, longestTaskMs: longest };
  },

  close() {
    store?.close();
    store = null;
  },
};

window.larderBench = bench;
document.getElementById('status')!.textContent = 'Larder bench page ready';
