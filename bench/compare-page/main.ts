import { deflateSync, strToU8 } from 'fflate';
import PouchDB from 'pouchdb-browser';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { recordPickup, type CommandContext } from '../../shared/commands';
import type { Item } from '../../shared/catalog';
import { appendEntries, readAllEntries } from '../../shared/doc';
import { ownEffect, type Entry } from '../../shared/entries';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { generateNetwork } from '../generate';
import { seedDatabase } from '../page/seed';
import { DAY_LINES, dayOfEntries, foldStock, hubPair, itemsIn, pouchEntryDoc } from '../compare-day';
import type { FirstView, LarderCompare, PouchSync, System } from './api';

/**
 * The compare page: the same generated network stored and read by Larder (its real store), by the
 * standard Yjs stack (y-indexeddb, the whole doc in one Y.Doc) and by PouchDB (IndexedDB adapter, one
 * document per ledger entry, stock from a persisted map/reduce view). The runner gives each system its
 * own fresh browser profile.
 */
const YJS_NAME = 'larder-yjs';
const POUCH_NAME = 'larder-pouch';
const POUCH_B = 'larder-pouch-hub-b';
const VIEW = 'stock/on_hand';

interface SelfInfo {
  hub: string;
  device: string;
  nextSeq: number;
}

const base64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/**
 * The map function of the stock view, as a design document holds it (a string: PouchDB evaluates it with
 * `emit` in scope). The entry's own effect on on-hand, the same as shared/entries.ts `ownEffect`.
 */
const STOCK_MAP = `function (doc) {
  if (doc.type !== 'entry') return;
  var effect = 0;
  switch (doc.kind) {
    case 'donation': case 'transfer_in': effect = doc.qty; break;
    case 'pickup': case 'discard': case 'transfer_out': effect = -doc.qty; break;
    case 'count': effect = doc.counted - doc.seen; break;
    case 'reversal': effect = doc.effect; break;
    default: return;
  }
  emit([doc.hub, doc.item], effect);
}`;

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Resolves once every write y-indexeddb has queued so far is committed (IndexedDB runs them in order). */
function yjsCommitted(persistence: IndexeddbPersistence): Promise<void> {
  const tx = persistence.db!.transaction(['updates'], 'readonly');
  tx.objectStore('updates').count();
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

async function openYjs(): Promise<{ doc: Y.Doc; persistence: IndexeddbPersistence; self: SelfInfo }> {
  const doc = new Y.Doc();
  const persistence = new IndexeddbPersistence(YJS_NAME, doc);
  await persistence.whenSynced;
  const self = JSON.parse(String(await persistence.get('self'))) as SelfInfo;
  return { doc, persistence, self };
}

async function openPouch() {
  const db = new PouchDB(POUCH_NAME);
  const self = (await db.get('_local/self')) as unknown as SelfInfo;
  return { db, self };
}

async function pouchItems(db: PouchDB): Promise<Map<string, Item>> {
  const rows = await db.allDocs({ include_docs: true, startkey: 'item:', endkey: 'item:\uffff' });
  return new Map(
    rows.rows.map((r) => {
      const { _id, _rev, type, ...item } = r.doc as unknown as Item & {
        _id: string;
        _rev: string;
        type: string;
      };
      void _id;
      void _rev;
      void type;
      return [item.id, item];
    }),
  );
}

/** The self row as the app writes it for a hub device (see bench/page/main.ts, which writes the same). */
function selfRow(net: ReturnType<typeof generateNetwork>): SelfRow {
  return {
    key: 'self',
    networkId: net.networkId,
    networkKey: base64Url(net.networkKey),
    signaling: [],
    role: 'hub',
    hubId: net.self.hubId,
    deviceId: net.self.deviceId,
    deviceName: net.self.deviceName,
    nextSeq: net.self.nextSeq,
  } as unknown as SelfRow;
}

/**
 * A PouchDB database seen as if it were remote: every call the replicator makes on it is counted as the
 * JSON bodies the HTTP adapter would send (arguments) and receive (results). HTTP headers are not counted.
 */
function counted(db: PouchDB, tally: PouchSync): PouchDB {
  const bodies = (name: string, request: unknown, response: unknown) => {
    const req = request === undefined ? '' : JSON.stringify(request);
    const res = JSON.stringify(response ?? null);
    tally.requestBytes += strToU8(req).byteLength;
    tally.responseBytes += strToU8(res).byteLength;
    for (const body of [req, res])
      if (body.length > 0) tally.deflatedBytes += deflateSync(strToU8(body)).byteLength;
    tally.requests[name] = (tally.requests[name] ?? 0) + 1;
  };
  const COUNTED = new Set(['info', 'get', 'put', 'revsDiff', 'bulkGet', 'bulkDocs', 'allDocs']);
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (prop === 'changes') {
        return (opts: Record<string, unknown>) => {
          const feed = fn.call(target, opts) as Promise<unknown>;
          // Non-live: the whole feed is the body of one response.
          feed.then(
            (result) => bodies('changes', opts, result),
            () => undefined,
          );
          return feed;
        };
      }
      if (typeof prop !== 'string' || !COUNTED.has(prop)) return fn.bind(target);
      return async (...args: unknown[]) => {
        const plain = args.filter((a) => typeof a !== 'function');
        try {
          const result = await fn.apply(target, plain);
          bodies(prop, plain[0], result);
          return result;
        } catch (error) {
          bodies(prop, plain[0], {
            error: (error as { name?: string }).name,
            status: (error as { status?: number }).status,
          });
          throw error;
        }
      };
    },
  });
}

const compare: LarderCompare = {
  async seed(system: System, n: number) {
    let t = performance.now();
    const net = generateNetwork(n);
    const generateMs = performance.now() - t;
    let storeMs = 0;
    let indexMs = 0;
    if (system === 'larder') {
      const state = Y.encodeStateAsUpdate(net.doc);
      // The database as the app leaves it after compact(): the doc as one row, every projection rebuilt.
      const s = await seedDatabase(state, n, selfRow(net));
      storeMs = s.storeMs + s.loadMs + s.rebuildMs;
    } else if (system === 'yjs') {
      t = performance.now();
      const doc = new Y.Doc();
      const persistence = new IndexeddbPersistence(YJS_NAME, doc);
      await persistence.whenSynced;
      // y-indexeddb stores the update of the whole doc as one row: what it keeps after merging its rows.
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(net.doc));
      const self: SelfInfo = { hub: net.self.hubId, device: net.self.deviceId, nextSeq: net.self.nextSeq };
      await persistence.set('self', JSON.stringify(self));
      await yjsCommitted(persistence);
      storeMs = performance.now() - t;
      await persistence.destroy();
      doc.destroy();
    } else {
      const { entries } = readAllEntries(net.doc);
      const items = itemsIn(net.doc);
      t = performance.now();
      const db = new PouchDB(POUCH_NAME);
      await db.bulkDocs(
        [...items.values()].map((item) => ({ _id: `item:${item.id}`, type: 'item', ...item })),
      );
      await db.put({ _id: '_design/stock', views: { on_hand: { map: STOCK_MAP, reduce: '_sum' } } });
      // bulkDocs in batches, as PouchDB's documentation recommends for loading many documents.
      for (let i = 0; i < entries.length; i += 1000) {
        await db.bulkDocs(entries.slice(i, i + 1000).map(pouchEntryDoc));
      }
      await db.put({
        _id: '_local/self',
        hub: net.self.hubId,
        device: net.self.deviceId,
        nextSeq: net.self.nextSeq,
      });
      storeMs = performance.now() - t;
      t = performance.now();
      // The first query builds the view's persisted index; later ones only add what changed since.
      await db.query(VIEW, { reduce: false, limit: 1 });
      indexMs = performance.now() - t;
      if (db.adapter !== 'idb') throw new Error(`PouchDB used the ${db.adapter} adapter, not idb`);
      await db.close();
    }
    net.doc.destroy();
    return { entries: n, generateMs, storeMs, indexMs, pickupItem: net.pickupItem };
  },

  async usage() {
    return (await navigator.storage.estimate()).usage ?? NaN;
  },

  async firstView(system): Promise<FirstView> {
    const t = performance.now();
    if (system === 'larder') {
      const store = await LarderStore.open(new LarderDB());
      const opened = performance.now() - t;
      const hub = store.self!.hubId!;
      const [rows, items] = await Promise.all([
        store.db.shelf.where('hub').equals(hub).toArray(),
        store.db.items.toArray(),
      ]);
      // The view names each item: rows of items not in the catalog are not shown.
      const names = new Map(items.map((i) => [i.id, i.name]));
      const stock = rows.filter((r) => names.has(r.item)).map((r) => [r.item, r.onHand] as [string, number]);
      const ms = performance.now() - t;
      await store.ready;
      store.close();
      return { ms, parts: { 'LarderStore.open': opened, 'stock and items read': ms - opened }, stock };
    }
    if (system === 'yjs') {
      const { doc, persistence, self } = await openYjs();
      const loaded = performance.now() - t;
      // The stock is computed by reading the doc: every entry decoded and checked, then summed.
      const { entries } = readAllEntries(doc);
      const items = itemsIn(doc);
      const stock = [...foldStock(entries, self.hub)].filter(([item]) => items.has(item));
      const ms = performance.now() - t;
      await persistence.destroy();
      doc.destroy();
      return { ms, parts: { 'y-indexeddb loaded': loaded, 'entries read and summed': ms - loaded }, stock };
    }
    const { db, self } = await openPouch();
    const opened = performance.now() - t;
    const [view, items] = await Promise.all([
      db.query(VIEW, { group: true, startkey: [self.hub], endkey: [self.hub, {}] }),
      pouchItems(db),
    ]);
    const stock = view.rows
      .filter((r) => items.has((r.key as string[])[1]!))
      .map((r) => [(r.key as string[])[1]!, r.value as number] as [string, number]);
    const ms = performance.now() - t;
    await db.close();
    return { ms, parts: { 'opened (self read)': opened, 'view and items read': ms - opened }, stock };
  },

  async pickups(system, item, warm, runs) {
    const ms: number[] = [];
    const putMs: number[] = [];
    const form = { lines: [{ item, quantity: '1' }], acknowledgeBelowZero: true };
    if (system === 'larder') {
      const store = await LarderStore.open(new LarderDB());
      await store.ready;
      for (let i = 0; i < warm + runs; i++) {
        const t = performance.now();
        await store.recordPickup(form);
        if (i >= warm) ms.push(performance.now() - t);
      }
      store.close();
      return { ms, putMs };
    }
    if (system === 'yjs') {
      const { doc, persistence, self } = await openYjs();
      const { entries } = readAllEntries(doc);
      const items = itemsIn(doc);
      // Kept in memory once computed, and updated with each pickup (as an app on Yjs would).
      const stock = foldStock(entries, self.hub);
      let nextSeq = self.nextSeq;
      await nextTask();
      for (let i = 0; i < warm + runs; i++) {
        const t = performance.now();
        const ctx: CommandContext = { hub: self.hub, device: self.device, nextSeq, now: Date.now(), items };
        const made: Entry[] = recordPickup(ctx, form, new Map([[item, stock.get(item) ?? 0]]));
        appendEntries(doc, self.device, made);
        nextSeq += made.length;
        for (const e of made) stock.set(e.item, (stock.get(e.item) ?? 0) + ownEffect(e));
        await yjsCommitted(persistence);
        if (i >= warm) ms.push(performance.now() - t);
      }
      await persistence.destroy();
      doc.destroy();
      return { ms, putMs };
    }
    const { db, self } = await openPouch();
    const items = await pouchItems(db);
    let nextSeq = self.nextSeq;
    for (let i = 0; i < warm + runs; i++) {
      const t = performance.now();
      // The item's stock first (the below-zero check), from the view: it indexes the previous pickup now.
      const view = await db.query(VIEW, { key: [self.hub, item] });
      const onHand = (view.rows[0]?.value as number | undefined) ?? 0;
      const ctx: CommandContext = { hub: self.hub, device: self.device, nextSeq, now: Date.now(), items };
      const made = recordPickup(ctx, form, new Map([[item, onHand]]));
      const p = performance.now();
      await db.bulkDocs(made.map(pouchEntryDoc));
      nextSeq += made.length;
      if (i >= warm) {
        ms.push(performance.now() - t);
        putMs.push(performance.now() - p);
      }
    }
    await db.close();
    return { ms, putMs };
  },

  async pouchSync(n, perHub) {
    const net = generateNetwork(n);
    const { a, b } = hubPair(net);
    const ids = [...itemsIn(net.doc).keys()];
    const dayA = dayOfEntries(a, ids, perHub, 'compare/day/a');
    const dayB = dayOfEntries(b, ids, perHub, 'compare/day/b');
    net.doc.destroy();
    if (perHub * 2 !== DAY_LINES) console.warn(`a day of ${perHub * 2} lines, not ${DAY_LINES}`);
    const A = new PouchDB(POUCH_NAME);
    const B = new PouchDB(POUCH_B);
    const t = performance.now();
    // The second hub gets everything once. Run again: the first pull ends while the push is still writing
    // into B, so only the second leaves both checkpoints past the shared history (two hubs that have
    // synced before).
    await PouchDB.sync(A, B, { batch_size: 1000 });
    const firstSyncMs = performance.now() - t;
    const settled = await PouchDB.sync(A, B, { batch_size: 1000 });
    if ((settled.push?.docs_written ?? 0) + (settled.pull?.docs_written ?? 0) !== 0)
      throw new Error('the second sync of the shared history still wrote documents');
    await A.bulkDocs(dayA.map(pouchEntryDoc));
    await B.bulkDocs(dayB.map(pouchEntryDoc));
    const tally: PouchSync = {
      firstSyncMs,
      requestBytes: 0,
      responseBytes: 0,
      deflatedBytes: 0,
      requests: {},
      docsWritten: 0,
      converged: false,
    };
    const result = await PouchDB.sync(A, counted(B, tally));
    tally.docsWritten = (result.push?.docs_written ?? 0) + (result.pull?.docs_written ?? 0);
    const [infoA, infoB] = await Promise.all([A.info(), B.info()]);
    tally.converged = infoA.doc_count === infoB.doc_count && tally.docsWritten === 2 * perHub;
    await Promise.all([A.close(), B.close()]);
    return tally;
  },
};

window.larderCompare = compare;
document.getElementById('status')!.textContent = 'ready';
