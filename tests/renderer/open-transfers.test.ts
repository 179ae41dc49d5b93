// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { idOf } from '../../shared/entries';
import type { LarderStore } from '../../renderer/storage/store';
import { testStores } from './stores';

/**
 * The open transfers' table (ledgerIndex.ts `openTransfers`) as stores keep it: a transfer listed while it is
 * open and unlisted once it closes, by a transaction of its own. A transaction that deletes a stored record
 * keeps an undo log of all it writes on disk in Chromium (LevelDBScopes), and what it leaves behind slowed
 * every later opening of a large database: the transactions that write the ledger delete nothing.
 */
const { sync, twoHubs, reopen } = testStores('open-transfers', 71);

/** Every delete of a stored record, with the stores its transaction may write. */
const deletes: { store: string; scope: string[] }[] = [];
const proto = globalThis.IDBObjectStore.prototype;
const original = proto.delete;
proto.delete = function (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
  deletes.push({ store: this.name, scope: [...this.transaction.objectStoreNames] });
  return original.call(this, query);
};
afterEach(() => {
  deletes.length = 0;
});

const listed = async (store: LarderStore) => {
  await store.persistence.flush();
  return ((await store.db.openTransfers.toCollection().primaryKeys()) as string[]).sort();
};

describe('the open transfers a store lists', () => {
  it('lists a transfer while it is on its way and not once received, at both hubs', async () => {
    const { admin, west, rice } = await twoHubs();
    await admin.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '9' }] });
    const sent = await admin.sendTransfer({ item: rice.id, to: west.self!.hubId!, quantity: '4' });
    await sync(admin, west);
    expect(await listed(admin)).toEqual([idOf(sent)]);
    expect(await listed(west)).toEqual([idOf(sent)]);

    await west.receiveTransfer(idOf(sent), '4');
    expect(await listed(west)).toEqual([]);
    await sync(west, admin);
    expect(await listed(admin)).toEqual([]);
    // Unlisted by transactions of their own: none that writes the ledger's blocks deleted anything.
    expect(deletes.filter((d) => d.store === 'openTransfers').length).toBeGreaterThan(0);
    expect(deletes.filter((d) => d.scope.includes('blocks'))).toEqual([]);

    // A rebuild writes the same list.
    await west.rebuildProjections();
    expect(await listed(west)).toEqual([]);
    expect(deletes.filter((d) => d.scope.includes('blocks'))).toEqual([]);
  });

  it('unlists, at the next start, a closed transfer a session ended before unlisting', async () => {
    const { admin, west, rice } = await twoHubs();
    await admin.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '9' }] });
    const sent = await admin.sendTransfer({ item: rice.id, to: west.self!.hubId!, quantity: '2' });
    const open = await admin.sendTransfer({ item: rice.id, to: west.self!.hubId!, quantity: '1' });
    await sync(admin, west);
    await west.receiveTransfer(idOf(sent), '2');
    expect(await listed(west)).toEqual([idOf(open)]);
    // As if the app had closed between the receipt's commit and the unlisting.
    await west.db.openTransfers.put({ root: idOf(sent) });

    const again = await reopen(west);
    await again.ready;
    expect(await listed(again)).toEqual([idOf(open)]);
  });
});
