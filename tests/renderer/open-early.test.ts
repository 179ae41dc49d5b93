// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';
import type { EarlyStock } from '../../renderer/data/earlyStock';
import type { EarlyNetwork } from '../../renderer/data/networkPreview';

/**
 * renderer/public/open-early.js starts opening the device's database as the page is parsed, before the
 * app's modules run. It must open the app's database, create nothing on a device that has none (the app
 * creates it, with its schema), and not stand in the way of the app's own open, an upgrade included.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = readFileSync(resolve(root, 'renderer/public/open-early.js'), 'utf8');

/** The connection the script's last run opened. */
const connections: IDBDatabase[] = [];

interface EarlyWindow {
  larderEarlyStock?: Promise<EarlyStock | null>;
  larderEarlyNetwork?: Promise<EarlyNetwork | null>;
  larderDbVersion?: number;
}

/**
 * Runs the script as the page would (its own globals: IndexedDB, the page's address and its window), and
 * waits for its open to end. Returns what it left in `window.larderEarlyStock` (the promise, undefined if
 * none).
 */
async function runScript(hash = '#/stock'): Promise<Promise<EarlyStock | null> | undefined> {
  return (await runForWindow(hash)).larderEarlyStock;
}

/** The same, returning the page's window as the script left it. */
async function runForWindow(hash: string): Promise<EarlyWindow> {
  const opened: IDBOpenDBRequest[] = [];
  const spy = {
    open: (name: string) => {
      const request = indexedDB.open(name);
      opened.push(request);
      return request;
    },
  };
  const window: EarlyWindow = {};
  connections.length = 0;
  runInNewContext(script, { indexedDB: spy, location: { hash }, window });
  expect(opened).toHaveLength(1);
  const request = opened[0]!;
  request.addEventListener('success', () => connections.push(request.result));
  await new Promise<void>((done) => {
    // The script's own handlers run first (they were set before these).
    request.addEventListener('success', () => setTimeout(done, 0));
    request.addEventListener('error', () => setTimeout(done, 0));
  });
  return window;
}

const databases = async () => (await indexedDB.databases()).map((d) => [d.name, d.version]);

describe('the early open of the database', () => {
  it('opens the database the app opens', () => {
    expect(script).toContain(`indexedDB.open('${new LarderDB().name}')`);
    const html = readFileSync(resolve(root, 'renderer/index.html'), 'utf8');
    // Before the app's module, and not blocking the page's parsing.
    // A public file (served as is, not bundled): Vite writes the path relative to the page in the build.
    expect(html.indexOf('<script async src="/open-early.js"></script>')).toBeGreaterThan(0);
    expect(html.indexOf('open-early.js')).toBeLessThan(html.indexOf('main.tsx'));
  });

  it('creates no database on a device that has none, and the app then makes its own', async () => {
    expect(await databases()).toEqual([]);
    await runScript();
    expect(await databases()).toEqual([]);
    const db = new LarderDB();
    await db.open();
    expect(db.tables.map((t) => t.name)).toContain('shelf');
    await db.meta.put({ key: 'probe', value: 1 } as never);
    db.close();
  });

  it('leaves an existing database as it was, and the app opens it (and upgrades it) while it runs', async () => {
    const version = (await databases()).find(([name]) => name === 'larder')?.[1];
    expect(version).toBeGreaterThan(1);
    await runScript();
    // The early connection is closed: an upgrade (a new version) is not blocked by it.
    const upgrade = indexedDB.open('larder', Number(version) + 1);
    await new Promise<void>((done, fail) => {
      upgrade.onsuccess = () => (upgrade.result.close(), done());
      upgrade.onblocked = () => fail(new Error('the upgrade was blocked by the early open'));
      upgrade.onerror = () => fail(upgrade.error);
    });
    // And the script run while the app holds the database open changes nothing either.
    const running = indexedDB.open('larder');
    const held = await new Promise<IDBDatabase>((done) => (running.onsuccess = () => done(running.result)));
    await runScript();
    const row = await new Promise<unknown>((done) => {
      const get = held.transaction('meta').objectStore('meta').get('probe');
      get.onsuccess = () => done(get.result);
    });
    expect(row).toEqual({ key: 'probe', value: 1 });
    held.close();
  });

  it("reads a hub device's stock rows as the app's stock view reads them, and lets an upgrade through", async () => {
    const db = new LarderDB();
    await db.open();
    const level = (hub: string, item: string, min: number) => ({
      key: `${hub}|${item}`,
      hub,
      item,
      min,
      target: min * 2,
    });
    const shelf = (hub: string, item: string, onHand: number) => ({
      key: `${hub}|${item}`,
      hub,
      item,
      onHand,
      expiry: null,
      lastCountAt: null,
      lastWarnAt: null,
    });
    const item = (id: string, name: string) => ({
      id,
      name,
      nameKey: name.toLowerCase(),
      category: 'grains',
      unit: 'bag',
      barcodes: [],
      createdAt: 1,
      updatedAt: 1,
    });
    await db.items.bulkPut([item('i1', 'Rice'), item('i2', 'Beans'), item('i3', 'Oil')]);
    await db.shelf.bulkPut([shelf('h1', 'i1', 5), shelf('h2', 'i1', 7), shelf('h1', 'i3', 0)]);
    await db.levels.bulkPut([level('h1', 'i1', 3), level('h2', 'i2', 4)]);
    await db.categoryLevels.bulkPut([{ key: 'h2|grains', hub: 'h2', category: 'grains', min: 1, target: 2 }]);
    await db.hubs.bulkPut([
      { id: 'h1', name: 'Church' },
      { id: 'h2', name: 'Corner store' },
    ] as never);
    const self = {
      key: 'self',
      role: 'hub',
      hubId: 'h2',
      networkId: 'n',
      networkKey: 'sealed',
      signaling: [],
    };
    await db.meta.put(self as unknown as SelfRow);
    const version = db.backendDB().version;
    db.close();

    const early = await (await runScript())!;
    await db.open();
    expect(early).toEqual({
      version,
      hub: 'h2',
      items: await db.items.orderBy('nameKey').toArray(),
      shelf: await db.shelf.where('hub').equals('h2').toArray(),
      levels: await db.levels.where('hub').equals('h2').toArray(),
      categoryLevels: await db.categoryLevels.where('hub').equals('h2').toArray(),
      hubs: await db.hubs.toArray(),
    });
    expect(early!.items.map((i) => i.name)).toEqual(['Beans', 'Oil', 'Rice']);
    // Nothing of the self row but its hub: the network key stays in the database.
    expect(JSON.stringify(early)).not.toContain('sealed');
    // Closed once read, not left open for the page's life.
    expect(() => connections[0]!.transaction('meta')).toThrow(/closed|InvalidState/i);
    db.close();

    // Its connection closes once read: an upgrade goes through.
    const upgrade = indexedDB.open('larder', version + 1);
    await new Promise<void>((done, fail) => {
      upgrade.onsuccess = () => (upgrade.result.close(), done());
      upgrade.onblocked = () => fail(new Error('the upgrade was blocked by the early reads'));
      upgrade.onerror = () => fail(upgrade.error);
    });

    // Another first screen named by the address: nothing read.
    expect(await runScript('#/history')).toBeUndefined();
    expect(await runScript('')).toBeTruthy();
    expect(await runScript('#/')).toBeTruthy();

    // A coordinator's device (no hub of its own) or a hub device with no hub chosen yet: nothing.
    const again = new LarderDB();
    await again.open();
    // (A coordinator has no hub; one that had would still show no hub's stock first.)
    await again.meta.put({ ...self, role: 'coordinator' } as unknown as SelfRow);
    again.close();
    expect(await (await runScript())!).toBeNull();
    await again.open();
    await again.meta.put({ ...self, hubId: null } as unknown as SelfRow);
    again.close();
    expect(await (await runScript())!).toBeNull();
    await again.open();
    await again.meta.delete('self');
    again.close();
    expect(await (await runScript())!).toBeNull();
  });

  it("reads the Network screen's saved view on a page opening on that screen, and nothing else", async () => {
    const db = new LarderDB();
    await db.open();
    await db.meta.delete('networkPreview');
    const version = db.backendDB().version;
    db.close();
    // None saved yet: read, and nothing found.
    const none = await runForWindow('#/network');
    expect(none.larderEarlyStock).toBeUndefined();
    expect(await none.larderEarlyNetwork).toBeNull();

    await db.open();
    // The row as stored (the app checks it: networkPreview.ts `isPreview`); the script passes it on unread.
    const preview = { key: 'networkPreview', format: 1, version, takenAt: 5, hubs: [], items: [], moves: [] };
    await db.meta.put(preview as never);
    db.close();
    for (const hash of ['#/network', '#network']) {
      const page = await runForWindow(hash);
      expect(page.larderEarlyStock).toBeUndefined();
      expect(await page.larderEarlyNetwork).toEqual({ version, preview });
      // The database's version, for the app to declare its schema whole at the latest (db.ts).
      expect(page.larderDbVersion).toBe(version);
      // Closed once read.
      expect(() => connections[0]!.transaction('meta')).toThrow(/closed|InvalidState/i);
    }
    // Other screens: not read.
    for (const hash of ['#/stock', '#/networks', '#/transfers'])
      expect((await runForWindow(hash)).larderEarlyNetwork).toBeUndefined();
  });

  it('says it read nothing on a device with no database, and creates none', async () => {
    await new Promise<void>((done) => {
      const gone = indexedDB.deleteDatabase('larder');
      gone.onsuccess = gone.onerror = () => done();
    });
    expect(await (await runScript())!).toBeNull();
    const none = await runForWindow('#/network');
    expect(await none.larderEarlyNetwork).toBeNull();
    expect(none.larderDbVersion).toBeUndefined();
    expect(await databases()).toEqual([]);
  });
});
