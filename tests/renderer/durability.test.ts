// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateNetwork } from '../../bench/generate';
import { LarderDB } from '../../renderer/storage/db';
import { durabilityFor } from '../../renderer/storage/durability';
import { DocPersistence } from '../../renderer/storage/persistence';
import { uniqueName } from './faults';
import { testStores } from './stores';

/**
 * Commits that hold what cannot be worked out again (the doc's rows, the journal of saves, this device's
 * own rows) are flushed to disk before they complete; commits of projection tables alone are not
 * (renderer/storage/durability.ts). Each IndexedDB transaction the app opens is recorded here with the
 * durability it asked the browser for.
 */
interface Opened {
  stores: string[];
  mode: string;
  durability: string | undefined;
}

/**
 * Every transaction opened while `run` runs. The spy is on the prototype from before any database of this
 * file opens: Dexie binds the database's `transaction` when it opens it.
 */
let recording: Opened[] | null = null;
const proto = globalThis.IDBDatabase.prototype;
const unspied = proto.transaction;
proto.transaction = function (
  this: IDBDatabase,
  stores: string | string[],
  mode?: IDBTransactionMode,
  options?: IDBTransactionOptions,
) {
  recording?.push({
    stores: [stores].flat().sort(),
    mode: mode ?? 'readonly',
    durability: options?.durability,
  });
  return unspied.call(this, stores, mode, options);
} as typeof unspied;
afterAll(() => {
  proto.transaction = unspied;
});

async function transactionsWhile(run: () => Promise<unknown>): Promise<Opened[]> {
  const opened: Opened[] = [];
  recording = opened;
  try {
    await run();
  } finally {
    recording = null;
  }
  return opened;
}

const writes = (opened: Opened[]) => opened.filter((t) => t.mode === 'readwrite');
const DERIVED = new Set(new LarderDB('durability-names').projectionTables.map((table) => table.name));
const holdsSource = (t: Opened) => t.stores.some((name) => !DERIVED.has(name));

describe('durabilityFor', () => {
  it('is relaxed for projection tables only, strict as soon as anything else is written', () => {
    const derived = new Set(['stock', 'blocks']);
    expect(durabilityFor(['stock'], 'readwrite', derived)).toBe('relaxed');
    expect(durabilityFor(['blocks', 'stock'], 'readwrite', derived)).toBe('relaxed');
    expect(durabilityFor(['stock', 'updates'], 'readwrite', derived)).toBe('strict');
    expect(durabilityFor(['meta'], 'readwrite', derived)).toBe('strict');
    expect(durabilityFor([], 'readwrite', derived)).toBe('strict');
    expect(durabilityFor(['stock'], 'readonly', derived)).toBeNull();
  });

  it('counts the doc, the journal and the meta rows as what the rest derives from', () => {
    for (const source of ['updates', 'journal', 'meta', 'damaged']) expect(DERIVED.has(source)).toBe(false);
    for (const derived of ['stock', 'shelf', 'onHand', 'blocks', 'links', 'itemLists', 'usage', 'gate'])
      expect(DERIVED.has(derived)).toBe(true);
  });
});

describe('what a commit asks of the disk', () => {
  const { device } = testStores('durability', 5);

  it('flushes a save before "Saved": its update row is committed strictly', async () => {
    const store = await device();
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const rice = await store.saveItem({
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    const opened = await transactionsWhile(() =>
      store.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '4' }] }),
    );
    const saves = writes(opened).filter((t) => t.stores.includes('updates'));
    expect(saves.length).toBeGreaterThan(0);
    for (const t of saves) expect(t.durability).toBe('strict');
    for (const t of writes(opened).filter(holdsSource)) expect(t.durability).toBe('strict');
    expect((await store.db.stock.get(`${store.self!.hubId}|${rice.id}`))?.onHand).toBe(4);
  });

  const opened: LarderDB[] = [];
  afterEach(() => {
    for (const db of opened.splice(0)) db.close();
  });

  it("writes a rebuild's history relaxed, and ends it with a strict commit", async () => {
    const net = generateNetwork(1_500, 'durability-test');
    const db = new LarderDB(uniqueName('durability-rebuild'));
    opened.push(db);
    await db.updates.add({ update: Y.encodeStateAsUpdate(net.doc), entries: 1_500 });
    net.doc.destroy();
    let persistence!: DocPersistence;
    const all = await transactionsWhile(async () => {
      persistence = new DocPersistence(db, () => Date.UTC(2026, 0, 10));
      await persistence.load();
      await persistence.rebuilt();
    });
    const rw = writes(all);
    const relaxed = rw.filter((t) => t.durability === 'relaxed');
    // The history's chunks: ledger blocks among them, none holding a table the projections derive from.
    expect(relaxed.some((t) => t.stores.includes('blocks'))).toBe(true);
    for (const t of relaxed) expect(holdsSource(t)).toBe(false);
    for (const t of rw.filter(holdsSource)) expect(t.durability).toBe('strict');
    for (const t of rw.filter((t) => !holdsSource(t))) expect(t.durability).toBe('relaxed');
    // The projection's meta row (the rebuild done) is written last of all, strictly: it flushes the rest.
    const lastMeta = rw.map((t) => t.stores.includes('meta')).lastIndexOf(true);
    expect(rw[lastMeta]!.durability).toBe('strict');
    expect(rw.slice(lastMeta + 1).filter((t) => !t.stores.every((s) => s === 'itemLists'))).toEqual([]);
    expect((await persistence.checkData()).differences).toEqual([]);
    persistence.destroy();
  });
});
