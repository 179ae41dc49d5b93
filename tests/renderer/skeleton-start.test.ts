// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ledgersOf, readAllEntries } from '../../shared/doc';
import { decodeSkeleton, encodeSkeleton, skeletonOf } from '../../shared/sync/skeleton';
import { LarderDB } from '../../renderer/storage/db';
import { setSkeletonStarts, SKELETON_FROM_BYTES } from '../../renderer/storage/persistence';
import { rowSum } from '../../renderer/storage/sums';
import { LarderStore, type StoreDeps } from '../../renderer/storage/store';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { itemForm, START, testDeps, uniqueName } from './faults';
import { ledgerOf } from './ledgerTable';

/**
 * A device whose figures are up to date starts on a skeleton of its doc (shared/sync/skeleton.ts,
 * docs/history.md): its doc holds each ledger's last value only, its history stays on disk. Its figures, its
 * saves, a peer's entries, a rebuild, a full sync file and the next start must all be as with the whole doc.
 * (The app starts on one from 4 MiB of history; these tests from any size.)
 */

let clock = START;
const now = () => clock;
const opened: LarderStore[] = [];
async function open(name: string, seed: number): Promise<LarderStore> {
  const deps: StoreDeps = { now, randomBytes: testDeps(seed).bytes };
  const store = await LarderStore.open(new LarderDB(name), deps);
  opened.push(store);
  await store.ready;
  return store;
}
const newName = () => uniqueName('skeleton');

beforeAll(() => setSkeletonStarts(0, 0));
afterAll(() => setSkeletonStarts());
afterEach(() => {
  for (const s of opened.splice(0))
    try {
      s.close();
    } catch {
      // closed by the test
    }
});

async function figures(store: LarderStore) {
  const byKey = <T>(rows: T[], key: (r: T) => string) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  return {
    stock: byKey(await store.db.stock.toArray(), (r) => r.key),
    ledger: byKey(await ledgerOf(store.db).toArray(), (r) => r.id),
    shelf: byKey(await store.db.shelf.toArray(), (r) => r.key),
  };
}

/** A hub's device with a few dozen entries, two items, and a second device's entries taken from a peer. */
async function hub() {
  const name = newName();
  const a = await open(name, 1);
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk laptop' });
  const rice = await a.saveItem(itemForm('Rice 2 lb'));
  const beans = await a.saveItem(itemForm('Black beans'));
  await a.recordDonation({ source: 'food bank', lines: [{ item: beans.id, quantity: '40' }] });
  for (let i = 0; i < 12; i++) {
    clock += 60_000;
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: String(10 + i) }] });
    await a.recordPickup({ households: '1', lines: [{ item: beans.id, quantity: '1' }] });
  }
  return { name, a, rice, beans };
}

describe('a start on a skeleton of the doc', () => {
  it('holds each ledger’s last value; the figures, a save, a rebuild and the next start are as with the whole doc', async () => {
    expect(SKELETON_FROM_BYTES).toBe(4 * 2 ** 20);
    const { name, a, rice } = await hub();
    const entries = readAllEntries(a.persistence.doc).entries.length;
    expect(entries).toBe(25);
    expect(skeletonOf(a.persistence.doc)).toBeUndefined();
    const before = await figures(a);
    const state = Y.encodeStateVector(a.persistence.doc);
    a.close();

    const b = await open(name, 2);
    expect(skeletonOf(b.persistence.doc)).toBeDefined();
    const ledger = ledgersOf(b.persistence.doc).get(b.self!.deviceId)!;
    expect(ledger.length).toBe(1);
    expect(Y.encodeStateVector(b.persistence.doc)).toEqual(state);
    expect(await figures(b)).toEqual(before);
    // Its whole history, read from disk.
    expect(readAllEntries(await b.persistence.historyDoc()).entries).toHaveLength(entries);

    // A save: appended after the value kept, counted once.
    clock += 60_000;
    await b.recordPickup({ households: '2', lines: [{ item: rice.id, quantity: '3' }] });
    expect(ledger.length).toBe(2);
    const riceKey = `${b.self!.hubId!}|${rice.id}`;
    const riceBefore = before.stock.find((r) => r.key === riceKey)!.onHand;
    expect((await b.db.stock.get(riceKey))?.onHand).toBe(riceBefore - 3);
    const afterSave = await figures(b);
    expect(readAllEntries(await b.persistence.historyDoc()).entries).toHaveLength(entries + 1);

    // A rebuild reads the history from disk: the same figures.
    await b.persistence.rebuild();
    expect(await figures(b)).toEqual(afterSave);
    expect(await b.persistence.checkData()).toMatchObject({ differences: [] });
    b.close();

    // The next start: on a skeleton again, the same figures, every entry on disk.
    const c = await open(name, 3);
    expect(skeletonOf(c.persistence.doc)).toBeDefined();
    expect(await figures(c)).toEqual(afterSave);
    expect(readAllEntries(await c.persistence.historyDoc()).entries).toHaveLength(entries + 1);
  });

  it('gives a device that has nothing its whole history in a full sync file (peers’ entries: convergence.test.ts)', async () => {
    const { name, a } = await hub();
    a.close();
    const b = await open(name, 4);
    expect(skeletonOf(b.persistence.doc)).toBeDefined();
    const history = await b.persistence.historyDoc();
    const entries = readAllEntries(history).entries.length;
    expect(entries).toBe(25);

    const fresh = await open(newName(), 9);
    await fresh.joinNetwork({ invite: await b.preApprovedInvite(), deviceName: 'Back room tablet' });
    const file = await exportSyncFile(b, { now: clock, randomBytes: testDeps(21).bytes });
    const imported = await importSyncFile(fresh, file.bytes, { now: clock });
    expect(imported).toMatchObject({ ok: true });
    // It started from the file's checkpoint and its maker's skeleton (made from b's history on disk): its doc
    // is a skeleton too, its history on its disk, taken from the file without the doc.
    expect(fresh.persistence.historyArriving).toBe(false);
    expect(fresh.persistence.behindCheckpoint).toBe(false);
    expect(skeletonOf(fresh.persistence.doc)).toBeDefined();
    expect(readAllEntries(await fresh.persistence.historyDoc()).entries).toHaveLength(entries);
    expect(Y.encodeStateVector(fresh.persistence.doc)).toEqual(Y.encodeStateVector(history));
    expect(await fresh.persistence.checkData()).toMatchObject({ differences: [] });
  });

  it('stores its skeleton: the next start reads it and the rows since, and the rows it covers are read through after', async () => {
    const { name, a, rice } = await hub();
    const rows = await a.db.updates.count();
    a.close();
    const b = await open(name, 5);
    expect(b.persistence.startedOn).toBe('skeleton');
    expect(b.persistence.rowsReadAtStart).toBe(rows);
    const before = await figures(b);
    // Stored once it is made.
    await expect.poll(async () => (await b.db.meta.get('skeleton'))?.key).toBe('skeleton');
    clock += 60_000;
    await b.recordPickup({ households: '1', lines: [{ item: rice.id, quantity: '2' }] });
    const afterSave = await figures(b);
    expect(afterSave).not.toEqual(before);
    b.close();

    // The skeleton stored, and the one row written since.
    const c = await open(name, 6);
    expect(c.persistence.startedOn).toBe('stored skeleton');
    expect(c.persistence.rowsReadAtStart).toBe((await c.db.updates.count()) - rows);
    expect(await figures(c)).toEqual(afterSave);
    expect(readAllEntries(await c.persistence.historyDoc()).entries).toHaveLength(26);
    expect(await c.persistence.checkData()).toMatchObject({ differences: [] });
    // The rows it did not read, read through in the background: all sound, the skeleton stays.
    await c.persistence.checkingRows;
    expect(c.persistence.rowsCheckedLater).toBe(rows);
    expect((await c.db.meta.get('skeleton'))?.key).toBe('skeleton');
  });

  it('a stored skeleton that is damaged is not read; a damaged row it covers is found, and set aside at the next start', async () => {
    const { name, a } = await hub();
    const rows = await a.db.updates.count();
    a.close();
    (await open(name, 7)).close();
    // Its bytes damaged: the start reads every row, and stores it again.
    const raw = new LarderDB(name);
    const stored = (await raw.meta.get('skeleton'))!;
    if (stored.key !== 'skeleton') throw new Error('no skeleton stored');
    const bytes = stored.bytes.slice();
    bytes[bytes.byteLength >> 1]! ^= 0xff;
    await raw.meta.put({ ...stored, bytes });
    raw.close();
    const b = await open(name, 8);
    expect(b.persistence.startedOn).toBe('skeleton');
    expect(b.persistence.rowsReadAtStart).toBe(rows);
    const figuresBefore = await figures(b);
    const storedBytes = async () => {
      const row = await b.db.meta.get('skeleton');
      return row?.key === 'skeleton' ? row.bytes : null;
    };
    await expect.poll(storedBytes).toEqual(stored.bytes);
    b.close();

    // Intact, of this form, but its updates not Yjs's (written by another version, say): not read either.
    const odd = new LarderDB(name);
    const oddBytes = encodeSkeleton({ ...decodeSkeleton(stored.bytes)!, updates: [Uint8Array.of(1, 2, 3)] });
    await odd.meta.put({ ...stored, bytes: oddBytes, sum: rowSum(oddBytes) });
    odd.close();
    const b2 = await open(name, 11);
    expect(b2.persistence.startedOn).toBe('skeleton');
    expect(await figures(b2)).toEqual(figuresBefore);
    await expect
      .poll(async () => {
        const row = await b2.db.meta.get('skeleton');
        return row?.key === 'skeleton' ? row.bytes : null;
      })
      .toEqual(stored.bytes);
    b2.close();

    // A row it covers damaged on disk: the start does not read it, the read after it finds it, and drops the
    // skeleton, so that the next start reads every row and sets the damaged one aside.
    const disk = new LarderDB(name);
    const victim = (await disk.updates.orderBy(':id').first())!;
    await disk.updates.update(victim.id!, { update: new Uint8Array([1, 2, 3]) });
    disk.close();
    const c = await open(name, 9);
    expect(c.persistence.startedOn).toBe('stored skeleton');
    expect(await figures(c)).toEqual(figuresBefore);
    await c.persistence.checkingRows;
    expect(await c.db.meta.get('skeleton')).toBeUndefined();
    c.close();
    const d = await open(name, 10);
    expect(d.persistence.startedOn).not.toBe('stored skeleton');
    expect(await d.db.damaged.count()).toBe(1);
    expect(await d.persistence.checkData()).toMatchObject({ differences: [] });
  });
});
