// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';

/**
 * renderer/public/open-early.js starts opening the device's database as the page is parsed, before the
 * app's modules run. It must open the app's database, create nothing on a device that has none (the app
 * creates it, with its schema), and not stand in the way of the app's own open, an upgrade included.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = readFileSync(resolve(root, 'renderer/public/open-early.js'), 'utf8');

/** Runs the script as the page would (its own globals: only IndexedDB), and waits for its open to end. */
async function runScript(): Promise<void> {
  const opened: IDBOpenDBRequest[] = [];
  const spy = {
    open: (name: string) => {
      const request = indexedDB.open(name);
      opened.push(request);
      return request;
    },
  };
  runInNewContext(script, { indexedDB: spy });
  expect(opened).toHaveLength(1);
  const request = opened[0]!;
  await new Promise<void>((done) => {
    // The script's own handlers run first (they were set before these).
    request.addEventListener('success', () => setTimeout(done, 0));
    request.addEventListener('error', () => setTimeout(done, 0));
  });
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
});
