// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { ledgerOf } from './ledgerTable';
import { getLedgerRow, hubItemLedgerRows } from '../../renderer/storage/ledgerRows';
import { itemBlocksUnfinished, listedItemBlocks } from '../../renderer/storage/itemBlocks';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import * as Y from 'yjs';
import { ledgersOf, readAllEntries } from '../../shared/doc';
import { LarderDB } from '../../renderer/storage/db';
import { DocPersistence } from '../../renderer/storage/persistence';
import { LarderStore } from '../../renderer/storage/store';
import { ingestUpdate } from '../../shared/sync/ingest';
import { closeAll, itemForm, open, testDeps, uniqueName } from './faults';

afterEach(closeAll);

/** A hub with two items and five donations of Rice (1, 2, 4, 8, 16), each saved in its own update row. */
async function hubWithRows() {
  const name = uniqueName('damage');
  const { deps, advance, bytes } = testDeps(5);
  const store = await open(name, deps);
  await store.createNetwork({ hubName: 'North', deviceName: 'Front desk' });
  const rice = await store.saveItem(itemForm('Rice 2 lb'));
  const beans = await store.saveItem(itemForm('Beans'));
  const rows: { id: number; seq: number; qty: number }[] = [];
  for (const qty of [1, 2, 4, 8, 16]) {
    advance(60_000);
    const [entry] = await store.recordDonation({
      source: 'other',
      lines: [{ item: rice.id, quantity: String(qty) }],
    });
    const last = await store.db.updates.orderBy('id').last();
    rows.push({ id: last!.id!, seq: entry!.seq, qty });
  }
  const self = store.self!;
  store.close();
  return { name, deps, bytes, rice, beans, rows, self };
}

/**
 * `hubWithRows` with its first update row damaged on disk, and `full`: a copy of the whole doc as it was, as
 * another device of the network holds it.
 */
async function firstRowDamaged() {
  const hub = await hubWithRows();
  const raw = new LarderDB(hub.name);
  const full = new Y.Doc();
  for (const r of await raw.updates.toArray()) Y.applyUpdate(full, r.update);
  await raw.updates.update(hub.rows[0]!.id, { update: new Uint8Array([1, 2, 3]) });
  raw.close();
  return { ...hub, full };
}

const onHand = async (store: LarderStore, item: string) =>
  (await store.db.stock.get(`${store.self!.hubId!}|${item}`))?.onHand ?? 0;

/** Another network's device appending to its own ledger: valid Yjs, but built on structs this doc lacks. */
function rowFromAnotherDoc(): Uint8Array {
  const other = new Y.Doc();
  const ledger = new Y.Array<unknown>();
  ledgersOf(other).set('stranger', ledger as never);
  ledger.push(['first']);
  const before = Y.encodeStateVector(other);
  ledger.push(['second']);
  return Y.encodeStateAsUpdate(other, before);
}

/** Bytes Yjs reads as one struct with a content type that does not exist: decoding throws. */
const unknownContent = () => Uint8Array.from([1, 1, 0x87, 0xad, 0x4b, 0, 0x1f, 0, 0]);

const corruptions: [string, (original: Uint8Array, bytes: (n: number) => Uint8Array) => Uint8Array][] = [
  ['random bytes', (original, bytes) => bytes(original.byteLength)],
  ['cut short', (original) => original.slice(0, Math.floor(original.byteLength / 2))],
  ['empty', () => new Uint8Array(0)],
  ['a struct Yjs cannot decode', () => unknownContent()],
  ['a row of another doc, built on changes this device never had', () => rowFromAnotherDoc()],
  [
    'a single flipped byte',
    (original) => {
      const copy = original.slice();
      copy[1] = 0xff;
      return copy;
    },
  ],
];

describe('a damaged database opens', () => {
  it.each(corruptions)(
    'a row that is %s: the rest opens, and what is missing is said',
    async (kind, corrupt) => {
      const { name, deps, bytes, rice, rows, self } = await hubWithRows();
      const victim = rows[2]!; // the donation of 4
      const raw = new LarderDB(name);
      const original = (await raw.updates.get(victim.id))!.update;
      const damaged = corrupt(original, bytes);
      await raw.updates.update(victim.id, { update: damaged });
      raw.close();

      const store = await open(name, deps);
      // The catalog and the donations before it are there. The two after it were saved in the same session,
      // after it in the same list: Yjs holds them back until a sync brings the missing one.
      expect((await store.db.items.toArray()).map((i) => i.name).sort()).toEqual(['Beans', 'Rice 2 lb']);
      expect(readAllEntries(store.persistence.doc).entries.map((e) => e.seq)).toEqual([1, 2]);
      expect(await onHand(store, rice.id)).toBe(1 + 2);
      const later = rows.slice(3).map((r) => r.id);
      expect((await store.db.updates.bulkGet(later)).every((r) => r !== undefined)).toBe(true);
      // Unreadable bytes are moved aside, kept as they were. A readable row of another doc cannot be told
      // from one that waits for a sync: it stays, held back by Yjs, never applied.
      const aside = await store.db.damaged.toArray();
      if (kind.startsWith('a row of another doc')) {
        expect(aside).toEqual([]);
      } else {
        expect(aside).toHaveLength(1);
        expect(aside[0]!).toMatchObject({ id: victim.id, entries: 1 });
        expect(aside[0]!.update).toEqual(damaged);
        expect(aside[0]!.reason).toMatch(/\w/);
        expect(await store.db.updates.get(victim.id)).toBeUndefined();
      }
      // What is missing, for the notice: the damaged donation and the two waiting for it.
      const damage = await store.db.meta.get('damage');
      expect(damage).toMatchObject({ key: 'damage', rows: aside.length, missingCount: 3 });
      expect(damage?.key === 'damage' && damage.missing.map((m) => m.id).sort()).toEqual(
        rows
          .slice(2)
          .map((r) => `${self.deviceId}.${r.seq}`)
          .sort(),
      );

      // Saving works, with the next number (never one the device may have published); it counts at once
      // (lost-own-entries.test.ts: the device restarts its chain).
      const [next] = await store.recordDonation({
        source: 'other',
        lines: [{ item: rice.id, quantity: '100' }],
      });
      expect(next!.seq).toBe(6);
      store.close();
      const again = await open(name, deps);
      expect(readAllEntries(again.persistence.doc).entries.map((e) => e.seq)).toEqual([1, 2, 6]);
      expect(await again.db.damaged.count()).toBe(aside.length);
      expect(await again.db.meta.get('damage')).toMatchObject({ rows: aside.length, missingCount: 3 });
    },
  );

  it('a sync from a device that has them brings back the missing entries and what waited for them', async () => {
    const { name, deps, rice, full } = await firstRowDamaged();

    const store = await open(name, deps);
    expect(await onHand(store, rice.id)).toBe(0);
    const result = await store.applyRemoteUpdate(
      Y.encodeStateAsUpdate(full, Y.encodeStateVector(store.persistence.doc)),
      'peer',
    );
    expect(result).toMatchObject({ ok: true, changed: true });
    expect(await onHand(store, rice.id)).toBe(31);
    await store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '100' }] });
    expect(await onHand(store, rice.id)).toBe(131);
    expect(await store.db.problems.count()).toBe(0);
    store.close();
    const again = await open(name, deps);
    expect(await onHand(again, rice.id)).toBe(131);
    expect(await again.db.damaged.count()).toBe(1);
  });

  it('sync need not wait for the rebuild after damaged rows are set aside: what a peer brings then counts once', async () => {
    const { name, deps, rice, full } = await firstRowDamaged();

    // The rebuild after the load held in its fold.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const proto = DocPersistence.prototype as unknown as { derive(...args: unknown[]): Promise<unknown> };
    const derive = proto.derive;
    const spy = vi.spyOn(proto, 'derive').mockImplementation(async function (
      this: DocPersistence,
      ...args: unknown[]
    ) {
      await held;
      return derive.apply(this, args);
    });
    const store = await LarderStore.open(new LarderDB(name), deps);
    // Even if the test times out waiting.
    onTestFinished(() => {
      release();
      spy.mockRestore();
      store.close();
    });
    const ready = store.ready;
    await store.loadedForSync;
    // As y-webrtc's messages are taken (guardedSync.ts): through the door, into the doc.
    const update = Y.encodeStateAsUpdate(full, Y.encodeStateVector(store.persistence.doc));
    expect(ingestUpdate(store.persistence.doc, update, 'peer')).toMatchObject({ ok: true, changed: true });
    release();
    await ready;
    await store.persistence.flush();
    expect(await onHand(store, rice.id)).toBe(31);
    expect(await store.db.problems.count()).toBe(0);
    expect((await store.persistence.checkData()).differences).toEqual([]);
  });
});

describe('Check data', () => {
  it('finds every projection that differs from a rebuild, says so in words, and repairs it', async () => {
    const { name, deps, rice, beans } = await hubWithRows();
    const store = await open(name, deps);
    const clean = await store.persistence.checkData();
    expect(clean.differences).toEqual([]);

    const hub = store.self!.hubId!;
    // Tampered: a stock figure overwritten, a history entry gone, an item nobody made, a level changed.
    const stock = (await store.db.stock.get(`${hub}|${rice.id}`))!;
    await store.db.stock.put({ ...stock, onHand: 94 });
    const someEntry = (await ledgerOf(store.db).toArray())[0]!;
    await ledgerOf(store.db).delete(someEntry.id);
    await store.db.items.put({
      ...(await store.db.items.get(beans.id))!,
      id: 'ghost',
      name: 'Ghost',
      nameKey: 'ghost',
    });

    const found = await store.persistence.checkData();
    const tables = found.differences.map((d) => d.table).sort();
    expect(tables).toEqual(['items', 'ledger', 'stock']);
    const stockDiff = found.differences.find((d) => d.table === 'stock')!;
    expect(stockDiff).toMatchObject({ wrong: 1, missing: 0, extra: 0 });
    expect(stockDiff.examples).toEqual([
      {
        row: { is: 'at', item: 'Rice 2 lb', hub: expect.any(String) },
        problem: 'wrong',
        shows: 94,
        says: 31,
      },
    ]);
    expect(found.differences.find((d) => d.table === 'ledger')).toMatchObject({ missing: 1, wrong: 0 });
    expect(found.differences.find((d) => d.table === 'items')).toMatchObject({
      extra: 1,
      examples: [{ row: { is: 'named', name: 'Ghost' }, problem: 'extra' }],
    });

    // What the "Check data" panel calls: the store's own (renderer/storage/host.ts), the same check.
    expect((await store.checkData()).differences).toEqual(found.differences);
    const repaired = await store.repairData();
    expect(repaired.differences).toEqual([]);
    expect(await onHand(store, rice.id)).toBe(31);
    expect(await store.db.items.get('ghost')).toBeUndefined();
    expect((await store.checkData()).differences).toEqual([]);
  });

  it('an entry whose block is missing from the lists of History by item shows, by name, and repair lists it again', async () => {
    const { name, deps, rice } = await hubWithRows();
    const store = await open(name, deps);
    const hub = store.self!.hubId!;
    const byItem = () => hubItemLedgerRows(store.db, hub, rice.id, -Infinity, Infinity, Infinity);
    const rows = await byItem();
    expect(rows).toHaveLength(5);
    expect(await listedItemBlocks(store.db, hub, rice.id)).not.toBeNull();
    // A block listed as if its newest Rice were older than it is: History by Rice would stop before it.
    const lists = await store.db.itemLists.where(':id').between([hub, rice.id], [hub, rice.id, []]).toArray();
    expect(lists).toHaveLength(1);
    await store.db.itemLists.put({ ...lists[0]!, newest: lists[0]!.newest!.map(() => 1) });
    expect((await store.persistence.checkData()).differences).toMatchObject([
      { table: 'itemLists', missing: 5 },
    ]);
    // The lists lost: History by Rice would show nothing.
    await store.db.itemLists.clear();
    expect(await byItem()).toEqual([]);
    const found = await store.persistence.checkData();
    expect(found.differences).toMatchObject([{ table: 'itemLists', missing: 5, extra: 0, wrong: 0 }]);
    expect(found.differences[0]!.examples[0]).toEqual({
      row: { is: 'entry', kind: 'donation', item: 'Rice 2 lb', hub: 'North', at: expect.any(Number) },
      problem: 'missing',
    });
    expect((await store.persistence.repairData()).differences).toEqual([]);
    await store.persistence.itemBlocksListed();
    expect(await itemBlocksUnfinished(store.db)).toBe(false);
    expect(await byItem()).toEqual(rows);
    store.close();
  });

  it('a ledger link lost or left over (the index of undos and transfers) shows as a wrong ledger row, and repair puts it right', async () => {
    const { name, deps, rows, self } = await hubWithRows();
    const store = await open(name, deps);
    const undone = `${self.deviceId}.${rows[0]!.seq}`;
    const undo = await store.undo(undone);
    const undoId = `${undo.device}.${undo.seq}`;
    // The link keeps the undo's row whole: the transfers are read from the links alone (ledgerIndex.ts).
    const link = { id: undoId, slot: `undo:${undone}`, row: await getLedgerRow(store.db, undoId) };
    expect(link.row).toMatchObject({ id: undoId, kind: 'reversal', target: undone });
    expect(await store.db.links.get(undoId)).toEqual(link);
    expect((await store.persistence.checkData()).differences).toEqual([]);

    // The undo's link is lost, and a plain donation gets one it should not have.
    await store.db.links.delete(undoId);
    const plain = `${self.deviceId}.${rows[1]!.seq}`;
    await store.db.links.put({ id: plain, root: 'nosuchtransfer' });
    const found = await store.persistence.checkData();
    expect(found.differences).toMatchObject([{ table: 'ledger', wrong: 2, missing: 0, extra: 0 }]);

    expect((await store.persistence.repairData()).differences).toEqual([]);
    expect(await store.db.links.get(undoId)).toEqual(link);
    expect(await store.db.links.get(plain)).toBeUndefined();

    // A link whose copy of the row is not its block's is a wrong ledger row too.
    await store.db.links.put({ ...link, row: { ...link.row!, applied: 5 } });
    expect((await store.persistence.checkData()).differences).toMatchObject([
      { table: 'ledger', wrong: 1, missing: 0, extra: 0 },
    ]);
    expect((await store.persistence.repairData()).differences).toEqual([]);
    expect(await store.db.links.get(undoId)).toEqual(link);
    store.close();
  });
});
