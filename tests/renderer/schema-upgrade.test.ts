// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { generateNetwork } from '../../bench/generate';
import { LarderDB, LATEST_SCHEMA, LATEST_VERSION } from '../../renderer/storage/db';
import { readAllEntries } from '../../shared/doc';
import { onHandRows } from '../../shared/onHand';
import { hubLevelsRows } from '../../shared/hubLevels';
import { shelfRows } from '../../shared/shelf';
import { Projector, type LedgerRow } from '../../shared/projection';
import type { Entry } from '../../shared/entries';
import { hubLedgerRows, putLedgerRows } from '../../renderer/storage/ledgerRows';
import { PROJECTION_VERSION } from '../../renderer/storage/persistence';
import { itemBlocksUnfinished } from '../../renderer/storage/itemBlocks';
import { readGates } from '../../renderer/storage/gateRows';
import { uniqueName } from './faults';

/**
 * Every version the schema had, declared as it was then (renderer/storage/db.ts now declares only the versions
 * an upgrade runs at, each whole).
 */
const HISTORY: [number, Record<string, string | null>][] = [
  [
    1,
    {
      updates: '++id',
      meta: 'key',
      stock: 'key, hub, item',
      ledger: 'id, [hub+at], [hub+item+at], [hub+kind+at], target, at',
      items: 'id, nameKey, *barcodes',
      hubs: 'id',
      devices: 'id, hub',
      levels: 'key, hub, item',
      problems: 'where',
    },
  ],
  [
    2,
    {
      ledger: 'id, [hub+at], [hub+item+at], [hub+kind+at], slot, root, at',
      categoryLevels: 'key, hub',
      usage: 'key, day, hub',
    },
  ],
  [3, { ledger: 'id, [hub+at], [hub+item+at], [hub+kind+at], slot, root' }],
  [4, { gate: 'device', members: 'device' }],
  [5, { damaged: 'id' }],
  [6, { stock: 'key, hub', levels: 'key, hub', items: 'id, nameKey' }],
  [7, { onHand: 'key' }],
  [8, { ledger: null, blocks: '[device+bucket], *spans', links: 'id, slot, root' }],
  [9, { shelf: 'key, hub' }],
  [10, { links: 'id, slot, root, last', openTransfers: 'root' }],
  [11, { journal: '++id' }],
  [12, { itemBlocks: '[hub+item]' }],
  [13, { itemBlocks: null, itemLists: '[hub+item+device+part]' }],
  [14, { gatePending: '[device+part]' }],
  [15, { hubLevels: 'key' }],
];

/** The database as an app that knew versions 1 to `version` of the schema made it. */
function upTo(version: number, name: string): Dexie {
  const db = new Dexie(name);
  for (const [v, spec] of HISTORY) if (v <= version) db.version(v).stores(spec);
  return db;
}

/**
 * The database as version 5 of the schema left it (renderer/storage/db.ts before version 6), written by a
 * Dexie that knows only versions 1-5, as a device that installed an older app has it.
 */
const v5 = (name: string) => upTo(5, name);

/** Open databases, closed after each test. */
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

/** Every row of every table, by table name. */
async function everything(db: Dexie): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of db.tables) out[table.name] = await table.toArray();
  return out;
}

/** The index names IndexedDB itself holds for each table (not what Dexie was told). */
function indexesOnDisk(db: Dexie): Record<string, string[]> {
  const idb = db.backendDB();
  const names = [...idb.objectStoreNames];
  const tx = idb.transaction(names, 'readonly');
  return Object.fromEntries(names.map((n) => [n, [...tx.objectStore(n).indexNames].sort()]));
}

describe('schema versions 6 to 10', () => {
  it('opens a version 5 database with data: nothing lost but the ledger rows (rebuilt), unread indexes gone, every query still answers', async () => {
    const name = uniqueName('schema');
    const net = generateNetwork(600, 'schema-upgrade');
    const { entries } = readAllEntries(net.doc);
    const projector = new Projector();
    for (const e of entries) projector.apply(e);
    const ledger = projector.allLedger();
    const stock = projector.allStock();
    const hub = net.self.hubId;
    const item = stock.find((s) => s.hub === hub)!.item;

    const old = v5(name);
    opened.push(old);
    // Each write its own transaction (one over all fifteen tables is too deep for TypeScript's types).
    await old.table('updates').add({ update: Y.encodeStateAsUpdate(net.doc), entries: entries.length });
    await old.table('meta').put({ key: 'projection', version: 4, rebuiltAt: 1 });
    await old.table('ledger').bulkPut(ledger);
    await old.table('stock').bulkPut(stock);
    await old.table('usage').bulkPut(projector.allUsage());
    await old.table('items').bulkPut([
      {
        id: item,
        name: 'Rice',
        nameKey: 'rice',
        category: 'Food',
        unit: 'bag',
        barcodes: ['0123456789012'],
      },
    ]);
    await old.table('hubs').put({ id: hub, name: 'North' });
    await old.table('devices').put({ id: net.self.deviceId, hub, name: net.self.deviceName });
    await old.table('levels').put({ key: `${hub}|${item}`, hub, item, low: 5, target: 20 });
    await old.table('categoryLevels').put({ key: `${hub}|Food`, hub, category: 'Food', low: 1, target: 2 });
    await old.table('problems').put({ where: 'entry/x.1', reason: 'kept', seenAt: 2 });
    await old.table('gate').put({ device: net.self.deviceId, held: [] });
    await old.table('members').put({ device: net.self.deviceId, key: 'k', fingerprint: 'f', name: 'n' });
    await old
      .table('damaged')
      .put({ id: 9, update: new Uint8Array([1, 2, 3]), entries: 0, reason: 'cut', setAsideAt: 3 });
    const before = await everything(old);
    expect(indexesOnDisk(old).stock).toEqual(['hub', 'item']);
    old.close();

    const db = new LarderDB(name);
    opened.push(db);
    await db.open();
    expect(db.verno).toBe(15);
    // Version 7 adds the network view's rows, filled from the stock rows the device had. Version 8 drops
    // the ledger table for blocks and links, empty until the rebuild PROJECTION_VERSION 5 asks for (the
    // meta row says version 4) writes them. Version 9 adds the screens' shelf rows, filled from the stock
    // rows too.
    const {
      onHand,
      shelf,
      blocks,
      links,
      openTransfers,
      journal,
      itemLists,
      gatePending,
      hubLevels,
      ...rest
    } = await everything(db);
    const { ledger: oldLedger, ...kept } = before;
    expect(oldLedger).toHaveLength(ledger.length);
    expect(rest).toStrictEqual(kept);
    expect(blocks).toEqual([]);
    expect(links).toEqual([]);
    expect(openTransfers).toEqual([]);
    // Version 11 adds the journal of saves made before the doc is loaded: none yet. Version 13 the blocks
    // listed by item: none, as there are no blocks.
    expect(journal).toEqual([]);
    expect(itemLists).toEqual([]);
    // Version 14 the gate's waiting entries in rows of their own: none here.
    expect(gatePending).toEqual([]);
    // Version 15 the hubs' levels in few rows: none from levels of before version 6 (`low`, not `min`),
    // which the rebuild writes again.
    expect(hubLevels).toEqual([]);
    expect(await db.meta.get('projection')).toMatchObject({ version: 4 });
    expect(PROJECTION_VERSION).toBeGreaterThan(4);
    expect(onHand).toStrictEqual(onHandRows(stock));
    expect(onHand!.length).toBeGreaterThan(1);
    expect(shelf).toStrictEqual(shelfRows(stock).sort((a, b) => (a.key < b.key ? -1 : 1)));
    expect(shelf!.some((r) => (r as { expiry: string | null }).expiry !== null)).toBe(true);
    expect(indexesOnDisk(db)).toMatchObject({
      stock: ['hub'],
      shelf: ['hub'],
      levels: ['hub'],
      items: ['nameKey'],
      blocks: ['spans'],
      links: ['last', 'root', 'slot'],
      openTransfers: [],
      usage: ['day', 'hub'],
      devices: ['hub'],
      categoryLevels: ['hub'],
    });

    // The queries the screens make answer as before.
    const inHub = ledger.filter((r) => r.hub === hub);
    expect(await db.stock.where('hub').equals(hub).count()).toBe(stock.filter((s) => s.hub === hub).length);
    expect(await db.shelf.where('hub').equals(hub).count()).toBe(stock.filter((s) => s.hub === hub).length);
    expect(await db.levels.where('hub').equals(hub).count()).toBe(1);
    expect(await db.items.orderBy('nameKey').primaryKeys()).toEqual([item]);
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, ledger));
    const history = (match?: (r: LedgerRow) => boolean) =>
      hubLedgerRows(db, hub, -Infinity, Infinity, Infinity, match).then((rows) => rows.length);
    expect(await history()).toBe(inHub.length);
    expect(await history((r) => r.item === item)).toBe(inHub.filter((r) => r.item === item).length);
    expect(await history((r) => r.kind === 'pickup')).toBe(inHub.filter((r) => r.kind === 'pickup').length);
  });

  it('version 10 lists the open transfers a version 9 database holds, and only those', async () => {
    const name = uniqueName('schema-v9');
    // Versions 1 to 9 as they were (a database made at version 9 ran none of their upgrades).
    const old = upTo(9, name);
    await old.open();
    const at = Date.UTC(2026, 10, 1);
    const base = (seq: number, hub: string) => ({
      hub,
      device: 'dev1',
      seq,
      item: 'rice',
      at,
      recordedAt: at,
    });
    const entries: Entry[] = [
      // On its way: a send nobody asked for (the send is the transfer).
      { kind: 'transfer_out', ...base(1, 'north'), qty: 5, to: 'south' },
      // Received: a send and its receipt.
      { kind: 'transfer_out', ...base(2, 'north'), qty: 3, to: 'south' },
      { kind: 'transfer_in', ...base(3, 'south'), qty: 3, from: 'north', transfer: 'dev1.2' },
      // Asked for, not sent yet.
      { kind: 'transfer_request', ...base(4, 'north'), qty: 2, to: 'south' },
    ];
    const projector = new Projector();
    for (const e of entries) projector.apply(e);
    const links = projector
      .allLedger()
      .map((row) => ({ id: row.id, ...(row.slot ? { slot: row.slot } : {}), root: row.root!, row }));
    await old.table('links').bulkPut(links);
    old.close();

    const db = new LarderDB(name);
    opened.push(db);
    await db.open();
    expect(db.verno).toBe(15);
    // The send on its way and the request: the open transfers, listed.
    expect(await db.openTransfers.toArray()).toEqual([{ root: 'dev1.1' }, { root: 'dev1.4' }]);
    // Each transfer's last change (all at one time here) on each of its links, indexed.
    expect(await db.links.where('last').equals(at).count()).toBe(links.length);
    // Nothing else of the links changed.
    expect((await db.links.toArray()).map(({ last: _, ...rest }) => rest)).toStrictEqual(links);
  });
});

describe('schema versions 12 and 13', () => {
  it('leave a database with blocks to list by item in the background, and one without none', async () => {
    for (const version of [11, 12]) {
      const name = uniqueName(`schema-v${version}`);
      const old = upTo(version, name);
      await old.open();
      await old.table('blocks').put({ device: 'dev1', bucket: 0, spans: [['north', 1]], rows: [] });
      // Version 12's lists, a row per hub and item: dropped, and listed again in parts.
      if (version === 12)
        await old
          .table('itemBlocks')
          .put({ hub: 'north', item: 'rice', devices: ['dev1'], buckets: [[0]], newest: [[1]] });
      old.close();
      const db = new LarderDB(name);
      opened.push(db);
      await db.open();
      expect(db.verno).toBe(15);
      expect(await db.itemLists.toArray(), `from version ${version}`).toEqual([
        { hub: '', item: '', device: '', part: 0, pending: 1 },
      ]);
      expect(await itemBlocksUnfinished(db)).toBe(true);
    }
    // A new device's database: nothing to list.
    const fresh = new LarderDB(uniqueName('schema-v13'));
    opened.push(fresh);
    await fresh.open();
    expect(await itemBlocksUnfinished(fresh)).toBe(false);
  });
});

describe('schema version 14', () => {
  it('moves each device’s candidates waiting at the gate to rows of their own, nothing else changed', async () => {
    const name = uniqueName('schema-v14');
    const old = upTo(13, name);
    await old.open();
    const entry = (seq: number) =>
      ({ kind: 'donation', device: 'dev1', seq, hub: 'h', item: 'i', qty: seq }) as unknown as Entry;
    const chain = { seq: 0, block: 'b', partial: [] };
    const waiting = { device: 'dev1', chain, decided: 0, held: [], pending: [entry(1), entry(2)] };
    const none = { ...waiting, device: 'dev2', pending: [], judgedAs: 'hub|h' };
    await old.table('gate').bulkPut([waiting, none]);
    old.close();
    const db = new LarderDB(name);
    opened.push(db);
    await db.open();
    const { pending: _1, ...kept1 } = waiting;
    const { pending: _2, ...kept2 } = none;
    expect(await db.gate.toArray()).toStrictEqual([
      { ...kept1, waiting: 2, parts: 1 },
      { ...kept2, waiting: 0, parts: 0 },
    ]);
    expect(await db.gatePending.toArray()).toStrictEqual([
      { device: 'dev1', part: 0, entries: waiting.pending },
    ]);
    expect((await readGates(db)).gates).toStrictEqual([waiting, none]);
  });
});

describe('schema version 15', () => {
  it('keeps every hub’s own levels in few rows, filled from the levels rows, nothing else changed', async () => {
    const name = uniqueName('schema-v15');
    const old = upTo(14, name);
    await old.open();
    const levels = Array.from({ length: 200 }, (_, i) => {
      const hub = i % 2 ? 'north' : 'south';
      const item = `item${i}`;
      return { key: `${hub}|${item}`, hub, item, min: i, target: i + 5 };
    });
    await old.table('levels').bulkPut(levels);
    old.close();
    const db = new LarderDB(name);
    opened.push(db);
    await db.open();
    expect(db.verno).toBe(15);
    const rows = await db.hubLevels.toArray();
    expect(rows).toStrictEqual(hubLevelsRows(levels));
    // Fewer rows than levels: several items a row, at each hub.
    expect(rows.length).toBeLessThan(levels.length);
    expect(new Set(rows.map((r) => r.hub))).toEqual(new Set(['north', 'south']));
    expect(await db.levels.toArray()).toStrictEqual(levels.sort((a, b) => (a.key < b.key ? -1 : 1)));
  });
});

/** Primary key and indexes of each table as IndexedDB holds them. */
function schemaOnDisk(db: Dexie): Record<string, { key: unknown; indexes: string[] }> {
  const idb = db.backendDB();
  const names = [...idb.objectStoreNames].sort();
  const tx = idb.transaction(names, 'readonly');
  return Object.fromEntries(
    names.map((n) => {
      const store = tx.objectStore(n);
      const indexes = [...store.indexNames].sort().map((i) => {
        const index = store.index(i);
        return `${i}:${JSON.stringify(index.keyPath)}:${index.unique}:${index.multiEntry}`;
      });
      return [n, { key: [store.keyPath, store.autoIncrement], indexes }];
    }),
  );
}

/** A database made afresh by this schema, open (closed after the test). */
async function openedFresh(): Promise<LarderDB> {
  const db = new LarderDB(uniqueName('schema-fresh'));
  opened.push(db);
  await db.open();
  return db;
}

describe('the versions declared', () => {
  it('give a new device the schema the whole history of declarations gave', async () => {
    const whole = upTo(15, uniqueName('schema-whole'));
    opened.push(whole);
    await whole.open();
    const now = new LarderDB(uniqueName('schema-now'));
    opened.push(now);
    await now.open();
    expect(now.verno).toBe(15);
    expect(schemaOnDisk(now)).toEqual(schemaOnDisk(whole));
  });

  it('declared whole for a database already at the latest version, the same schema and rows, nothing upgraded', async () => {
    const name = uniqueName('schema-latest');
    const first = new LarderDB(name);
    await first.open();
    await first.hubs.put({ id: 'north', name: 'North' } as never);
    const version = first.backendDB().version;
    const expected = schemaOnDisk(first);
    first.close();
    expect(version).toBe(LATEST_VERSION * 10);
    // As the app opens it when open-early.js has found it at that version: declared once, whole (each
    // declaration made Dexie parse every one again: 9-20 ms of a cold start, 2-4 ms whole).
    const declared = vi.spyOn(Dexie.prototype, 'version');
    const whole = new LarderDB(name, version);
    expect(declared).toHaveBeenCalledTimes(1);
    declared.mockClear();
    new LarderDB(uniqueName('schema-unknown'));
    expect(declared.mock.calls.length).toBeGreaterThan(1);
    declared.mockRestore();
    opened.push(whole);
    await whole.open();
    expect(whole.verno).toBe(LATEST_VERSION);
    expect(whole.backendDB().version).toBe(version);
    expect(schemaOnDisk(whole)).toEqual(expected);
    expect(await whole.hubs.toArray()).toEqual([{ id: 'north', name: 'North' }]);
    // Dexie's own view of the tables is the full declaration's, table by table, index by index.
    const full = new LarderDB(uniqueName('schema-full'));
    opened.push(full);
    const tablesOf = (db: LarderDB) =>
      Object.fromEntries(
        db.tables.map((t) => [t.name, [t.schema.primKey.src, ...t.schema.indexes.map((i) => i.src).sort()]]),
      );
    expect(tablesOf(whole)).toEqual(tablesOf(full));
    expect(Object.keys(LATEST_SCHEMA).sort()).toEqual(Object.keys(tablesOf(full)).sort());
  });

  it('declared version by version for a database at an older version, whatever the version said', async () => {
    // A version named that is not the latest (an older database) declares every version: the upgrades run.
    const name = uniqueName('schema-older');
    const old = upTo(13, name);
    await old.open();
    const entry = { kind: 'donation', device: 'dev1', seq: 1, hub: 'h', item: 'i', qty: 1 };
    const chain = { seq: 0, block: 'b', partial: [] };
    await old.table('gate').put({ device: 'dev1', chain, decided: 0, held: [], pending: [entry] });
    old.close();
    const db = new LarderDB(name, 130);
    opened.push(db);
    await db.open();
    expect(db.verno).toBe(LATEST_VERSION);
    // Version 14's upgrade ran: the waiting candidate moved to a row of its own.
    expect(await db.gatePending.toArray()).toStrictEqual([{ device: 'dev1', part: 0, entries: [entry] }]);
    expect(schemaOnDisk(db)).toEqual(schemaOnDisk(await openedFresh()));
  });

  it('open a database of every earlier version to that schema, its rows kept and the upgrades run', async () => {
    const fresh = new LarderDB(uniqueName('schema-fresh'));
    opened.push(fresh);
    await fresh.open();
    const expected = schemaOnDisk(fresh);
    const stock = { key: 'north|rice', hub: 'north', item: 'rice', onHand: 7, lots: [] };
    for (let version = 1; version <= 14; version++) {
      const name = uniqueName(`schema-v${version}`);
      const old = upTo(version, name);
      await old.open();
      await old.table('stock').put(stock);
      await old.table('hubs').put({ id: 'north', name: 'North' });
      old.close();
      const db = new LarderDB(name);
      opened.push(db);
      await db.open();
      expect(db.verno, `from version ${version}`).toBe(15);
      expect(schemaOnDisk(db), `from version ${version}`).toEqual(expected);
      expect(await db.hubs.toArray(), `from version ${version}`).toEqual([{ id: 'north', name: 'North' }]);
      // The figures' rows made from the stock rows by the upgrades of versions 7 and 9, where they ran.
      expect(await db.onHand.count(), `from version ${version}`).toBe(version < 7 ? 1 : 0);
      expect(await db.shelf.count(), `from version ${version}`).toBe(version < 9 ? 1 : 0);
      // No blocks to list by item (versions 12 and 13): nothing is left to do in the background.
      expect(await db.itemLists.count(), `from version ${version}`).toBe(0);
    }
  });
});
