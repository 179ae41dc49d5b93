import Dexie from 'dexie';
import { PROJECTION_VERSION, DocPersistence } from '../../renderer/storage/persistence';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';
import { appendEntries } from '../../shared/doc';
import { loadFastSha256, sha256Bytes } from '../../shared/trust/crypto';
import { toBase64Url } from '../../shared/sync/encoding';
import type { Entry } from '../../shared/entries';

export interface SeedTimings {
  storeMs: number;
  loadMs: number;
  /** `DocPersistence.rebuild()` to the end: every row written, the history too. */
  rebuildMs: number;
  /** Until the stock, settings and problems are written: the figures are right, saves go on. */
  figuresMs: number;
  /** Pickups saved while the rebuild writes its history, each from change to commit. */
  savesMs: number[];
  rebuiltEntries: number;
  rebuildProblems: number;
  /** The longest main-thread task (over 50 ms) while the figures were derived and written, 0 if none. */
  figuresLongestTaskMs: number;
  /** The longest main-thread task while the history was written after them, 0 if none. */
  historyLongestTaskMs: number;
  /** Cutting the one large row into pieces (in the background, after the rebuild here). */
  piecesMs: number;
  /** Update rows then, and the largest. */
  pieceRows: number;
  largestRowBytes: number;
}

/** Fetches a generated network's doc state from the bench server. */
export async function fetchState(url: string): Promise<{ state: Uint8Array; fetchMs: number }> {
  const t = performance.now();
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetch ${url}: ${response.status}`);
  return { state: new Uint8Array(await response.arrayBuffer()), fetchMs: performance.now() - t };
}

/** Pieces stored per transaction when seeding from pieces (about 4 MB). */
const PIECES_PER_TRANSACTION = 32;

/**
 * Replaces this origin's `larder` database with the one a device has after its first sync: the doc as
 * one update row, the self row and the projection version; then loads the doc and rebuilds every
 * projection table through the app's own DocPersistence, timing each step, and waits until the large row
 * is cut into pieces, as the app does after that first start (the app starts measured later load those).
 * Given the pieces already cut (a network generated in Node), it stores those, with their sums, as the
 * app leaves them once it has cut the row.
 */
export async function seedDatabase(
  state: Uint8Array | readonly Uint8Array[],
  entries: number,
  self: SelfRow,
  /** An item of the device's hub: pickups of it are saved while the rebuild writes its history. */
  saveItem?: string,
): Promise<SeedTimings> {
  await Dexie.delete('larder');
  let t = performance.now();
  const db = new LarderDB();
  await loadFastSha256();
  const pieces = state instanceof Uint8Array ? null : state;
  await db.transaction('rw', db.updates, db.meta, async () => {
    if (state instanceof Uint8Array) await db.updates.add({ update: state, entries });
    await db.meta.put(self);
    // Written first so that load() only loads (it rebuilds by itself when the version is missing);
    // the rebuild below then fills every projection table and rewrites this row.
    await db.meta.put({ key: 'projection', version: PROJECTION_VERSION, rebuiltAt: Date.now() });
  });
  for (let i = 0; pieces && i < pieces.length; i += PIECES_PER_TRANSACTION) {
    const rows = pieces.slice(i, i + PIECES_PER_TRANSACTION).map((update, j) => ({
      update,
      entries: i + j === 0 ? entries : 0,
      sum: toBase64Url(sha256Bytes(update)),
    }));
    await db.transaction('rw', db.updates, () => db.updates.bulkAdd(rows));
  }
  const storeMs = performance.now() - t;
  const persistence = new DocPersistence(db, () => Date.now());
  t = performance.now();
  await persistence.load();
  const loadMs = performance.now() - t;
  const tasks: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
  observer.observe({ type: 'longtask' });
  t = performance.now();
  const rebuilt = await persistence.startRebuild();
  const figuresEnd = performance.now();
  const figuresMs = figuresEnd - t;
  const savesMs = saveItem ? await savesDuringRebuild(persistence, self, saveItem) : [];
  // The device's next sequence number moves past those saves, as the store's own saves move it: the
  // pickups timed later would otherwise reuse their numbers (20 entries "appear twice in the ledger",
  // set aside, under Problems in every kept profile).
  if (savesMs.length > 0) await db.meta.put({ ...self, nextSeq: self.nextSeq + savesMs.length });
  await persistence.rebuilt();
  const rebuildMs = performance.now() - t;
  tasks.push(...observer.takeRecords());
  observer.disconnect();
  const cut = performance.now();
  await persistence.storedInPieces();
  const piecesMs = performance.now() - cut;
  const rows = await db.updates.toArray();
  // Tasks that overlap the span: the one that called startRebuild began before it.
  const longest = (from: number, to: number) =>
    Math.max(
      0,
      ...tasks.filter((k) => k.startTime < to && k.startTime + k.duration > from).map((k) => k.duration),
    );
  persistence.destroy();
  db.close();
  return {
    storeMs,
    loadMs,
    rebuildMs,
    figuresMs,
    savesMs,
    rebuiltEntries: rebuilt.entries,
    rebuildProblems: rebuilt.problems,
    figuresLongestTaskMs: longest(t, figuresEnd),
    historyLongestTaskMs: longest(figuresEnd, Infinity),
    piecesMs,
    pieceRows: rows.length,
    largestRowBytes: Math.max(...rows.map((r) => r.update.byteLength)),
  };
}

/** Pickups saved while a rebuild writes its history (while one is being written, at most this many). */
const SAVES_DURING_REBUILD = 20;

/** Saves while a rebuild writes its history: one pickup at a time, each timed from change to commit. */
async function savesDuringRebuild(
  persistence: DocPersistence,
  self: SelfRow,
  item: string,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < SAVES_DURING_REBUILD && persistence.rebuildProgress; i++) {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const pickup: Entry = {
      kind: 'pickup',
      hub: self.hubId!,
      device: self.deviceId,
      seq: self.nextSeq + i,
      item,
      qty: 1,
      at: now,
      recordedAt: now,
    };
    const t = performance.now();
    appendEntries(persistence.doc, self.deviceId, [pickup]);
    await persistence.flush();
    times.push(performance.now() - t);
  }
  return times;
}
