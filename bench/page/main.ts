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
import type { JoinFromFileRun, LarderBench, NodeSeed, SaveAfterFigures } from './api';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { joinOverMessages } from './wire';

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
    return { openMs, readyMs, updateRows, ledgerRows };
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

  async joinFromFile(entries) {
    await loadFastSha256();
    const names = [
      'larder-join-a',
      'larder-join-with',
      'larder-join-without',
      'larder-join-sync-with',
      'larder-join-sync-without',
    ];
    await Promise.all(names.map((name) => Dexie.delete(name)));
    const a = await LarderStore.open(new LarderDB(names[0]!));
    await a.ready;
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Coordinator laptop' });
    const items: string[] = [];
    for (let i = 0; i < 300; i++) {
      const item = await a.saveItem({
        name: `Item ${i}`,
        category: 'Food',
        unit: 'bag',
        packSize: '',
        barcodes: '',
      });
      items.push(item.id);
    }
    const recording = performance.now();
    const saveMs: number[] = [];
    for (let done = 0, save = 0; done < entries; save++) {
      const t = performance.now();
      const count = Math.min(200, entries - done);
      const lines = Array.from({ length: count }, (_, i) => ({
        item: items[(done + i) % items.length]!,
        quantity: String(save % 4 === 3 ? 1 : 1 + ((done + i) % 9)),
      }));
      if (save % 4 === 3) await a.recordPickup({ lines });
      else await a.recordDonation({ source: 'individual', lines });
      saveMs.push(performance.now() - t);
      done += count;
    }
    const recordMs = performance.now() - recording;
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
    const tenth = Math.max(1, Math.floor(saveMs.length / 10));
    const saves = { first: median(saveMs.slice(0, tenth)), last: median(saveMs.slice(-tenth)) };
    await a.persistence.flush();
    const key = (r: { key: string }) => r.key;
    const stockOf = async (s: LarderStore) =>
      JSON.stringify((await s.db.stock.toArray()).sort((x, y) => (key(x) < key(y) ? -1 : 1)));
    const theirs = await stockOf(a);
    /**
     * A donation on the new device as soon as its figures are right, at a hub of its own (its stock rows left
     * out of the comparison): from the figures to the save committed (null if it failed: its message).
     */
    const NEW_HUB = 'New tablet hub';
    const saveOnce = (c: LarderStore): Promise<SaveAfterFigures | string> => {
      const t = performance.now();
      return (async () => {
        await c.chooseHub({ newHubName: NEW_HUB });
        const hubMs = performance.now() - t;
        await c.recordDonation({ source: 'individual', lines: [{ item: items[0]!, quantity: '5' }] });
        const savedMs = performance.now() - t;
        // Counted: in this device's own stock view (its entries count once the member list approves it).
        const row = `${c.self!.hubId}|${items[0]}`;
        while (((await c.db.stock.get(row))?.onHand ?? 0) < 5) {
          if (performance.now() - t > 600_000) return { hubMs, savedMs, countedMs: null };
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return { hubMs, savedMs, countedMs: performance.now() - t };
      })().catch((error: unknown) => String(error));
    };
    /**
     * Why a new device's stock differs from the coordinator's, as far as its tables tell (a run at 100k once
     * ended over sync with none of its rows): what is still to project, held by the gate, set aside, and
     * the rows a few seconds later.
     */
    const whyDifferent = async (c: LarderStore) => {
      const unprojected = c.persistence.unprojected;
      const [gate, pending, problems] = await Promise.all([
        c.db.gate.toArray(),
        c.db.gatePending.count(),
        c.db.problems.count(),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await c.persistence.flush();
      await c.persistence.projected();
      const later = (await sharedStockOf(c)) === theirs;
      return ` (then: ${unprojected} unprojected, gate ${JSON.stringify(gate.map((d) => [d.device.slice(0, 6), d.decided, d.chain.seq, d.waiting]))}, ${pending} pending parts, ${problems} problems; 3 s later the same stock: ${later}, ${await c.db.stock.count()} rows)`;
    };
    /** The new device's stock rows but those of a hub of its own. */
    const sharedStockOf = async (c: LarderStore) => {
      const own = c.self?.hubId;
      const rows = (await c.db.stock.toArray()).filter((r) => !own || !r.key.startsWith(`${own}|`));
      return JSON.stringify(rows.sort((x, y) => (key(x) < key(y) ? -1 : 1)));
    };
    /** A new device joined with the coordinator's invite, and the long tasks of the page from now on. */
    const newDevice = async (name: string) => {
      const c = await LarderStore.open(new LarderDB(name));
      await c.ready;
      await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'New tablet' });
      const tasks: PerformanceEntry[] = [];
      const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
      observer.observe({ type: 'longtask', buffered: false });
      return { c, tasks, observer };
    };
    const runs: JoinFromFileRun[] = [];
    for (const checkpoint of [true, false]) {
      const exportTasks: PerformanceEntry[] = [];
      const exportObserver = new PerformanceObserver((list) => exportTasks.push(...list.getEntries()));
      exportObserver.observe({ type: 'longtask', buffered: false });
      const exporting = performance.now();
      const file = await exportSyncFile(a, { checkpoint });
      const exportMs = performance.now() - exporting;
      // Tasks are reported after they end: the export's last one, once the next task has begun.
      await new Promise((resolve) => setTimeout(resolve, 0));
      exportTasks.push(...exportObserver.takeRecords());
      exportObserver.disconnect();
      const { c, tasks, observer } = await newDevice(names[checkpoint ? 1 : 2]!);
      const start = performance.now();
      let ready: number | null = null;
      let tasksToReady = 0;
      let saving: Promise<SaveAfterFigures | string> | null = null;
      const result = await importSyncFile(c, file.bytes, {
        onCheckpoint: () => {
          ready = performance.now() - start;
          tasksToReady = Math.max(0, ...tasks.map((t) => t.duration));
          saving = saveOnce(c);
        },
      });
      const importMs = performance.now() - start;
      await c.persistence.seedHistoryWritten();
      const historyMs = performance.now() - start;
      observer.disconnect();
      const saved = await (saving as Promise<SaveAfterFigures | string> | null);
      runs.push({
        way: 'file',
        saveAfterFiguresMs: saved ?? null,
        checkpoint,
        exportMs,
        exportLongestTaskMs: Math.max(0, ...exportTasks.map((t) => t.duration)),
        fileBytes: file.bytes.byteLength,
        checkpointCovers: file.checkpointCovers ?? null,
        checkpointReadyMs: ready,
        importMs,
        historyMs,
        message: JSON.stringify(result.ok ? [result.message, ...(result.notes ?? [])] : result.message),
        same: (await sharedStockOf(c)) === theirs || `false${await whyDifferent(c)}`,
        stockRows: await c.db.stock.count(),
        longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)),
        longestTaskToReadyMs: tasksToReady,
      });
      c.close();
    }
    // The same over live sync's messages (renderer/sync/guardedSync.ts), passed between the two stores.
    for (const checkpoint of [true, false]) {
      const { c, tasks, observer } = await newDevice(names[checkpoint ? 3 : 4]!);
      const start = performance.now();
      let saving: Promise<SaveAfterFigures | string> | null = null;
      const { readyMs, bytes } = await joinOverMessages(a, c, checkpoint, () => (saving = saveOnce(c)));
      const tasksToReady =
        readyMs === null
          ? 0
          : Math.max(0, ...tasks.filter((t) => t.startTime - start < readyMs).map((t) => t.duration));
      await c.persistence.flush();
      await c.persistence.projected();
      const importMs = performance.now() - start;
      await c.persistence.seedHistoryWritten();
      const historyMs = performance.now() - start;
      observer.disconnect();
      const saved = await (saving as Promise<SaveAfterFigures | string> | null);
      runs.push({
        way: 'sync',
        saveAfterFiguresMs: saved ?? null,
        checkpoint,
        exportMs: 0,
        exportLongestTaskMs: 0,
        fileBytes: bytes,
        checkpointCovers: null,
        checkpointReadyMs: readyMs,
        importMs,
        historyMs,
        message: readyMs === null ? 'no checkpoint' : 'started from the checkpoint',
        same: (await sharedStockOf(c)) === theirs || `false${await whyDifferent(c)}`,
        stockRows: await c.db.stock.count(),
        longestTaskMs: Math.max(0, ...tasks.map((t) => t.duration)),
        longestTaskToReadyMs: tasksToReady,
      });
      c.close();
    }
    a.close();
    return { recordMs, saves, runs };
  },

  close() {
    store?.close();
    store = null;
  },
};

window.larderBench = bench;
document.getElementById('status')!.textContent = 'Larder bench page ready';
