// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateNetwork } from '../../bench/generate';
import { LarderDB } from '../../renderer/storage/db';
import { DocPersistence, LOAD_ROWS_PER_READ, PROJECTION_VERSION } from '../../renderer/storage/persistence';
import { PIECE_BYTES } from '../../renderer/storage/pieces';
import { appendEntries, readAllEntries } from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { uniqueName } from './faults';

/**
 * A start applies the stored doc one row per step and lets the page run between steps, so the largest
 * row bounds the longest task of a start. A large row (a new device's first sync, a sync file, a database
 * of an older version) is cut into pieces of about PIECE_BYTES in the background; saves' small rows are
 * merged into rows of about that size. Either way the stored rows must give exactly the same doc.
 */
const ENTRIES = 20_000;
let state: Uint8Array;
const opened: LarderDB[] = [];
const NOW = () => Date.UTC(2026, 0, 10);

beforeAll(() => {
  const net = generateNetwork(ENTRIES, 'pieces-test');
  state = Y.encodeStateAsUpdate(net.doc);
  net.doc.destroy();
});

afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

async function oneLargeRow(): Promise<LarderDB> {
  const db = new LarderDB(uniqueName('pieces'));
  opened.push(db);
  await db.updates.add({ update: state, entries: ENTRIES });
  return db;
}

const sizes = async (db: LarderDB) => (await db.updates.toArray()).map((r) => r.update.byteLength);

function sameState(a: Y.Doc, b: Y.Doc): void {
  expect(b.store.pendingStructs).toBeNull();
  expect(Y.encodeStateVector(b)).toEqual(Y.encodeStateVector(a));
  expect(
    Y.equalDeleteSets(Y.createDeleteSetFromStructStore(a.store), Y.createDeleteSetFromStructStore(b.store)),
  ).toBe(true);
  const entries = (doc: Y.Doc) =>
    readAllEntries(doc).entries.sort((x, y) => x.device.localeCompare(y.device) || x.seq - y.seq);
  expect(entries(b)).toEqual(entries(a));
}

/** A donation by deva0001, its `seq`-th entry. */
const donationAt = (seq: number): Entry => ({
  kind: 'donation',
  hub: 'huba0001',
  device: 'deva0001',
  seq,
  item: 'itemrice',
  qty: seq,
  source: 'individual',
  at: NOW() + seq * 1000,
  recordedAt: NOW() + seq * 1000,
});

describe('stored rows in pieces', () => {
  it('a start reads the stored rows a few at a time, in the order they were written, every one of them', async () => {
    const db = new LarderDB(uniqueName('pieces'));
    opened.push(db);
    const source = new Y.Doc();
    const rows: Uint8Array[] = [];
    source.on('update', (update: Uint8Array) => rows.push(update));
    const count = 3 * LOAD_ROWS_PER_READ + 5;
    for (let seq = 1; seq <= count; seq++) appendEntries(source, 'deva0001', [donationAt(seq)]);
    expect(rows).toHaveLength(count);
    for (const update of rows) await db.updates.add({ update, entries: 1 });
    let steps = 0;
    const loaded = new DocPersistence(db, NOW, undefined, undefined, {
      sliceMs: 0,
      pause: async () => void steps++,
    });
    await loaded.load();
    // A step per row (and the rebuild's, this database having no projections yet).
    expect(steps).toBeGreaterThanOrEqual(count);
    // Each row builds on the one before: in any other order, Yjs would hold some back.
    sameState(source, loaded.doc);
    await loaded.rebuilt();
    loaded.destroy();
  });

  it('a large row is cut into pieces after the start; the next start gives the same doc, a piece per step', async () => {
    expect(state.byteLength).toBeGreaterThan(2 * PIECE_BYTES);
    const db = await oneLargeRow();
    const first = new DocPersistence(db, NOW);
    await first.load();
    await first.rebuilt();
    await first.storedInPieces();
    const after = await sizes(db);
    expect(after.length).toBeGreaterThan(2);
    expect(Math.max(...after)).toBeLessThan(2 * PIECE_BYTES);
    // Nothing re-encoded: a few bytes of framing per piece.
    expect(after.reduce((a, b) => a + b, 0)).toBeLessThan(state.byteLength + after.length * 16);
    expect((await db.updates.toArray()).reduce((sum, r) => sum + r.entries, 0)).toBe(ENTRIES);
    const stock = await db.stock.toArray();
    first.destroy();

    let steps = 0;
    const again = new DocPersistence(db, NOW, undefined, undefined, {
      sliceMs: 0,
      pause: async () => void steps++,
    });
    await again.load();
    expect(steps).toBe(after.length);
    sameState(first.doc, again.doc);
    // The projections were right and stay so: no rebuild at this start.
    expect(again.rebuildProgress).toBeNull();
    expect(await db.meta.get('projection')).toMatchObject({ version: PROJECTION_VERSION });
    expect(await db.stock.toArray()).toEqual(stock);
    again.destroy();
  });

  it('closed after some pieces were written but before the row was deleted: the next start counts it once', async () => {
    const db = await oneLargeRow();
    const first = new DocPersistence(db, NOW);
    // The device closes while the third piece is written.
    let added = 0;
    const add = db.updates.add.bind(db.updates);
    db.updates.add = ((row: Parameters<typeof add>[0]) => {
      if (++added === 3) first.destroy();
      return add(row);
    }) as typeof db.updates.add;
    await first.load();
    await first.storedInPieces();
    db.updates.add = add;
    // The large row and the pieces written before the close are all there.
    const rows = await sizes(db);
    expect(rows).toContain(state.byteLength);
    expect(rows.length).toBe(4);

    const again = new DocPersistence(db, NOW);
    await again.load();
    await again.rebuilt();
    await again.storedInPieces();
    const whole = new Y.Doc();
    Y.applyUpdate(whole, state);
    sameState(whole, again.doc);
    expect(Math.max(...(await sizes(db)))).toBeLessThan(2 * PIECE_BYTES);
    expect(readAllEntries(again.doc).entries).toHaveLength(ENTRIES);
    again.destroy();
  });

  it("saves' small rows are merged into rows of about PIECE_BYTES, and the doc stays the same", async () => {
    const db = await oneLargeRow();
    const persistence = new DocPersistence(db, NOW);
    await persistence.load();
    await persistence.rebuilt();
    await persistence.storedInPieces();
    const pieces = (await sizes(db)).length;
    const { entries } = readAllEntries(persistence.doc);
    const device = entries[0]!.device;
    let seq = Math.max(...entries.filter((e) => e.device === device).map((e) => e.seq));
    const template = entries.find((e) => e.device === device && e.kind === 'donation')!;
    for (let i = 0; i < 450; i++) {
      const e = { ...template, seq: ++seq } as Entry;
      appendEntries(persistence.doc, device, [e]);
      await persistence.flush();
    }
    const rows = await sizes(db);
    // 450 rows were written; merged past 200 small ones, twice.
    expect(rows.length).toBeLessThan(pieces + 60);
    expect(Math.max(...rows)).toBeLessThan(2 * PIECE_BYTES);
    expect((await db.updates.toArray()).reduce((sum, r) => sum + r.entries, 0)).toBe(ENTRIES + 450);
    persistence.destroy();
    const again = new DocPersistence(db, NOW);
    await again.load();
    sameState(persistence.doc, again.doc);
    again.destroy();
  });
});
