// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ITEMS_A_SAVE, runImport, undoImportCount } from '../../renderer/app/runImport';
import { idOf } from '../../shared/entries';
import { getLedgerRows } from '../../renderer/storage/ledgerRows';
import { itemsOf } from '../../shared/doc';
import { noColumns } from '../../shared/import';
import { ValidationError } from '../../shared/errors';
import { testStores } from './stores';

/**
 * A sheet's new items are made many at a time (`store.saveItems`): one signed change and one commit for a
 * batch, all of it or none. One at a time took 100 ms an item in Chromium (2,000 items: 202 s).
 */
const { device, twoHubsWithHistory } = testStores('import-items', 7);
const form = (name: string, barcodes = '') => ({
  name,
  category: 'Food',
  unit: 'bag',
  packSize: '',
  barcodes,
});

describe('many new items at once', () => {
  it('are all made, or none when one of them is refused', async () => {
    const store = await device();
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    await store.saveItem(form('Rice', '555555'));
    const before = itemCount(store);

    const made = await store.saveItems([form('Oats'), form('Tea'), form('Lentils', '777777')]);
    expect(made.map((i) => i.name)).toEqual(['Oats', 'Tea', 'Lentils']);
    expect(new Set(made.map((i) => i.id)).size).toBe(3);
    // In the doc, signed, and in the catalog every screen reads, once it resolves.
    expect(itemCount(store)).toBe(before + 3);
    const stored = await store.db.items.bulkGet(made.map((i) => i.id));
    expect(stored.map((i) => i?.name)).toEqual(['Oats', 'Tea', 'Lentils']);

    // A name the catalog has (any case), a barcode it has, or two forms of one name: refused, nothing made.
    for (const forms of [
      [form('Beans'), form('OATS')],
      [form('Beans'), form('Milk', '555555')],
      [form('Beans'), form('Milk'), form('beans')],
    ]) {
      await expect(store.saveItems(forms)).rejects.toBeInstanceOf(ValidationError);
      expect(itemCount(store)).toBe(before + 3);
      expect(await store.db.items.count()).toBe(4);
    }
    expect(await store.saveItems([])).toEqual([]);
  });

  it('an import makes its items a batch at a time, saying how far it is', async () => {
    const store = await device();
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const rows = ITEMS_A_SAVE + 1;
    const sheet = {
      header: ['Item', 'Qty'],
      rows: Array.from({ length: rows }, (_, i) => ({ line: i + 2, cells: [`Item ${i}`, String(i % 7)] })),
      delimiter: ',',
      blankRows: 0,
    };
    const progress: [number, number][] = [];
    const outcome = await runImport(
      store,
      sheet,
      { ...noColumns(), item: 0, quantity: 1 },
      'stock.csv',
      (done, total) => progress.push([done, total]),
    );
    expect(outcome.failed).toBeUndefined();
    expect(progress).toEqual([
      [0, rows],
      [ITEMS_A_SAVE, rows],
    ]);
    expect(outcome.created).toHaveLength(rows);
    expect(outcome.count).toHaveLength(rows);
    expect(await store.db.items.count()).toBe(rows);
  });
});

function itemCount(store: Awaited<ReturnType<typeof device>>): number {
  return itemsOf(store.persistence.doc).size;
}

describe('an imported count undone', () => {
  it('is undone in one commit, the lines undone elsewhere left as they are and said so', async () => {
    const store = await device();
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const sheet = {
      header: ['Item', 'Qty'],
      rows: Array.from({ length: 40 }, (_, i) => ({ line: i + 2, cells: [`Item ${i}`, String(i + 1)] })),
      delimiter: ',',
      blankRows: 0,
    };
    const outcome = await runImport(store, sheet, { ...noColumns(), item: 0, quantity: 1 }, 'stock.csv');
    expect(outcome.count).toHaveLength(40);
    const hub = store.self!.hubId!;
    const onHand = async () =>
      (await store.db.stock.where('hub').equals(hub).toArray()).reduce((sum, row) => sum + row.onHand, 0);
    expect(await onHand()).toBe((40 * 41) / 2);
    // One line undone under History first.
    await store.undo(idOf(outcome.count[3]!));
    const before = store.self!.nextSeq;

    const result = await undoImportCount(store, outcome.count);
    expect(result.undone).toBe(39);
    expect(result.failed).toEqual(['This entry was already undone']);
    expect(await onHand()).toBe(0);
    // The 39 undos numbered one after the other, and each entry undone once.
    expect(store.self!.nextSeq).toBe(before + 39);
    const rows = await getLedgerRows(store.db, outcome.count.map(idOf));
    expect(rows.every((row) => row?.reversedBy !== undefined)).toBe(true);
    // Again: nothing left to undo, each line said so.
    const again = await undoImportCount(store, outcome.count);
    expect(again).toEqual({ undone: 0, failed: Array(40).fill('This entry was already undone') });

    // Asked twice for one entry, or for one unknown here: undone once, the rest said why.
    const more = await runImport(
      store,
      { ...sheet, rows: sheet.rows.slice(0, 2) },
      { ...noColumns(), item: 0, quantity: 1 },
      'more.csv',
    );
    const unknown = idOf({ device: store.self!.deviceId, seq: 99_999 });
    const twice = await store.undoMany([idOf(more.count[0]!), idOf(more.count[0]!), unknown]);
    expect(twice.undone.map((r) => r.target)).toEqual([idOf(more.count[0]!)]);
    expect(twice.failed.map((f) => f.entryId)).toEqual([idOf(more.count[0]!), unknown]);
  });

  it('leaves an entry of another hub as it is, as one undo does', async () => {
    const { b, pickup } = await twoHubsWithHistory();
    const result = await b.undoMany([pickup]);
    expect(result.undone).toEqual([]);
    expect(result.failed.map((f) => f.error.message)).toEqual(['store.undoNotAllowed']);
    await expect(b.undo(pickup)).rejects.toThrow('store.undoNotAllowed');
  });
});
