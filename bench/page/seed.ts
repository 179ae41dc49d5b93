import Dexie from 'dexie';
import { PROJECTION_VERSION, DocPersistence } from '../../renderer/storage/persistence';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';

export interface SeedTimings {
  storeMs: number;
  loadMs: number;
  rebuildMs: number;
  rebuiltEntries: number;
  rebuildProblems: number;
}

/** Fetches a generated network's doc state from the bench server. */
export async function fetchState(url: string): Promise<{ state: Uint8Array; fetchMs: number }> {
  const t = performance.now();
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetch ${url}: ${response.status}`);
  return { state: new Uint8Array(await response.arrayBuffer()), fetchMs: performance.now() - t };
}

/**
 * Replaces this origin's `larder` database with the one a device would have after `compact()`: the doc
 * as one update row, the self row and the projection version; then loads the doc and rebuilds every
 * projection table through the app's own DocPersistence, timing each step.
 */
export async function seedDatabase(state: Uint8Array, entries: number, self: SelfRow): Promise<SeedTimings> {
  await Dexie.delete('larder');
  let t = performance.now();
  const db = new LarderDB();
  await db.transaction('rw', db.updates, db.meta, async () => {
    await db.updates.add({ update: state, entries });
    await db.meta.put(self);
    // Written first so that load() only loads (it rebuilds by itself when the version is missing);
    // the rebuild below then fills every projection table and rewrites this row.
    await db.meta.put({ key: 'projection', version: PROJECTION_VERSION, rebuiltAt: Date.now() });
  });
  const storeMs = performance.now() - t;
  const persistence = new DocPersistence(db, () => Date.now());
  t = performance.now();
  await persistence.load();
  const loadMs = performance.now() - t;
  t = performance.now();
  const rebuilt = await persistence.rebuild();
  const rebuildMs = performance.now() - t;
  persistence.destroy();
  db.close();
  return { storeMs, loadMs, rebuildMs, rebuiltEntries: rebuilt.entries, rebuildProblems: rebuilt.problems };
}
