// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { itemsOf } from '../../shared/doc';
import { testStores } from './stores';

/**
 * The catalog every command checks its lines against (`itemsInDoc`) is read from the doc, each item checked
 * by its schema once per value: an item changed, added, or replaced by a value that does not check, is seen
 * at the next read.
 */
const { device } = testStores('items-in-doc', 3);

describe('the catalog a command checks against', () => {
  it('follows every change of an item, and leaves out a value that does not check', async () => {
    const store = await device();
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const form = { category: 'Food', unit: 'bag', packSize: '', barcodes: '' };
    const rice = await store.saveItem({ ...form, name: 'Rice' });
    const first = store.itemsInDoc();
    expect(first.get(rice.id)?.name).toBe('Rice');
    // Read again with nothing changed: the same items, checked once.
    expect(store.itemsInDoc().get(rice.id)).toBe(first.get(rice.id));

    await store.saveItem({ ...form, name: 'Rice 2 lb bag' }, rice.id);
    const oil = await store.saveItem({ ...form, name: 'Oil' });
    const second = store.itemsInDoc();
    expect(second.get(rice.id)?.name).toBe('Rice 2 lb bag');
    expect(second.get(oil.id)?.name).toBe('Oil');

    // A value that does not check (under the key of another item) is left out, as before.
    store.persistence.doc.transact(() => itemsOf(store.persistence.doc).set(oil.id, { name: 7 }));
    expect(store.itemsInDoc().has(oil.id)).toBe(false);
    expect(store.itemsInDoc().get(rice.id)?.name).toBe('Rice 2 lb bag');
  });
});
