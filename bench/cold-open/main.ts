import Dexie, { type Table } from 'dexie';
import * as Y from 'yjs';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';
import { countLedgerRows, putLedgerRows } from '../../renderer/storage/ledgerRows';
import {
  DocPersistence,
  PROJECT_CHUNK,
  PROJECTION_VERSION,
  TRANSACTION_BYTES,
} from '../../renderer/storage/persistence';
import { generateNetwork } from '../generate';
import { compareEntryIds, Projector } from '../../shared/projection';
import { readAllEntries } from '../../shared/doc';

/**
 * The cold-open bench page (bench/cold-open.ts): builds the `larder` database in one of several ways from
 * the same generated network, with the app's own storage modules, and times a raw `indexedDB.open`.
 */
/**
 * - `rebuild`: the app's `DocPersistence.rebuild()` as it is now; `rebuild-twice`: it again over the rows the
 *   first one wrote (a device's rebuild after an app update).
 * - `one-transaction`: the rebuild as it was before the rows were written in small transactions: one
 *   transaction that clears every projection table and writes every row (the ledger 50,000 rows a request).
 * - `at-once`: the same rows, one transaction, one `bulkPut` per table, nothing cleared.
 * - `import`: a new device takes in the whole history as one remote update (a first sync, a sync file):
 *   the update row and the first piece of entries commit together, the rest a piece at a time;
 *   `import-20k`: the same in pieces of PROJECT_CHUNK (20,000) entries whatever their size, as before.
 */
export type Variant =
  | 'rebuild'
  | 'rebuild-twice'
  | 'one-transaction'
  | 'at-once'
  | 'import'
  | 'import-20k'
  | 'ledger-rows'
  | 'ledger-rows-noindex'
  | 'ledger-blocks';

export interface ColdOpenBench {
  seed(
    n: number,
    variant: Variant,
  ): Promise<{ storeMs: number; loadMs: number; writeMs: number; ledger: number }>;
  coldOpen(): Promise<number>;
}

declare global {
  interface Window {
    coldOpenBench?: ColdOpenBench;
  }
}

/**
 * Only the ledger rows of the generated network, in a database of their own, to weigh their layouts:
 * - `ledger-rows`: a row per entry with the indexes schema version 7 had ([hub+at], [hub+item+at],
 *   [hub+kind+at], slot, root); `ledger-rows-noindex`: the same rows, no index;
 * - `ledger-blocks`: the app's blocks (renderer/storage/ledgerRows.ts), as a rebuild writes them.
 */
async function ledgerOnly(n: number, variant: Variant) {
  const net = generateNetwork(n);
  const { entries } = readAllEntries(net.doc);
  net.doc.destroy();
  const projector = new Projector();
  for (const e of entries) projector.apply(e);
  const rows = projector.allLedger().sort((a, b) => compareEntryIds(a.id, b.id));
  const t = performance.now();
  if (variant === 'ledger-blocks') {
    const db = new LarderDB();
    await db.open();
    for (let i = 0; i < rows.length; i += 2_000)
      await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, rows.slice(i, i + 2_000)));
    const writeMs = performance.now() - t;
    const ledger = await countLedgerRows(db);
    db.close();
    return { storeMs: 0, loadMs: 0, writeMs, ledger };
  }
  const db = new Dexie('larder');
  db.version(1).stores({
    ledger: variant === 'ledger-rows' ? 'id, [hub+at], [hub+item+at], [hub+kind+at], slot, root' : 'id',
  });
  await db.open();
  const table = db.table('ledger');
  for (let i = 0; i < rows.length; i += 2_000)
    await db.transaction('rw', table, () => table.bulkPut(rows.slice(i, i + 2_000)));
  const writeMs = performance.now() - t;
  const ledger = await table.count();
  db.close();
  return { storeMs: 0, loadMs: 0, writeMs, ledger };
}

async function seed(n: number, variant: Variant) {
  await Dexie.delete('larder');
  if (variant.startsWith('ledger-')) return ledgerOnly(n, variant);
  const net = generateNetwork(n);
  const state = Y.encodeStateAsUpdate(net.doc);
  net.doc.destroy();
  const self = {
    key: 'self',
    networkId: net.networkId,
    networkKey: 'x',
    signaling: [],
    role: 'hub',
    hubId: net.self.hubId,
    deviceId: net.self.deviceId,
    deviceName: net.self.deviceName,
    nextSeq: net.self.nextSeq,
  } as unknown as SelfRow;
  let t = performance.now();
  const db = new LarderDB();
  if (variant === 'import' || variant === 'import-20k') {
    await db.meta.put(self);
    const budget = variant === 'import-20k' ? Infinity : TRANSACTION_BYTES;
    const persistence = new DocPersistence(db, () => Date.now(), PROJECT_CHUNK, budget);
    await persistence.load();
    const loadMs = performance.now() - t;
    t = performance.now();
    Y.applyUpdate(persistence.doc, state, 'remote');
    await persistence.flush();
    await persistence.projected();
    const writeMs = performance.now() - t;
    const ledger = await countLedgerRows(db);
    persistence.destroy();
    db.close();
    return { storeMs: 0, loadMs, writeMs, ledger };
  }
  await db.transaction('rw', db.updates, db.meta, async () => {
    await db.updates.add({ update: state, entries: n });
    await db.meta.put(self);
    await db.meta.put({ key: 'projection', version: PROJECTION_VERSION, rebuiltAt: Date.now() });
  });
  const storeMs = performance.now() - t;
  const persistence = new DocPersistence(db, () => Date.now());
  t = performance.now();
  await persistence.load();
  const loadMs = performance.now() - t;
  t = performance.now();
  if (variant === 'at-once' || variant === 'one-transaction') {
    const derive = (
      persistence as unknown as { derive(trust: null): Promise<{ tables: Record<string, unknown[]> }> }
    ).derive;
    const { tables } = await derive.call(persistence, null);
    const rows = (name: string) => tables[name] ?? [];
    const projections = db.projectionTables as unknown as Table<unknown, string>[];
    await db.transaction('rw', [...db.projectionTables, db.meta], async () => {
      if (variant === 'one-transaction') {
        await Promise.all(projections.map((table) => table.clear()));
        for (const table of projections) {
          const all = rows(table.name);
          for (let i = 0; i < all.length; i += 50_000) await table.bulkPut(all.slice(i, i + 50_000));
        }
      } else {
        for (const table of projections) await table.bulkPut(rows(table.name));
      }
      await db.meta.put({ key: 'projection', version: PROJECTION_VERSION, rebuiltAt: Date.now() });
    });
  } else {
    await persistence.rebuild();
    if (variant === 'rebuild-twice') await persistence.rebuild();
  }
  const writeMs = performance.now() - t;
  const ledger = await countLedgerRows(db);
  persistence.destroy();
  db.close();
  return { storeMs, loadMs, writeMs, ledger };
}

window.coldOpenBench = {
  seed,
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
};
document.getElementById('status')!.textContent = 'ready';
