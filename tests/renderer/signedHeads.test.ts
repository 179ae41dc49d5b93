// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, expect, it } from 'vitest';
import * as Y from 'yjs';
import { headsClientId, headsOf, ledgersOf } from '../../shared/doc';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';

/**
 * Through the real store (a staging doc per save, applied to the live doc once on disk), this device's
 * signed heads land under their own client id, and the heads each save replaces merge into one tombstone:
 * signing costs a head, not bytes per save (shared/doc.ts `headsClientId`).
 */
let opened: LarderStore[] = [];
afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

it('a device’s replaced heads merge into one tombstone in the live doc, and a restart keeps its entries', async () => {
  const name = `larder-signed-heads-${process.pid}`;
  const store = await LarderStore.open(new LarderDB(name));
  opened.push(store);
  await store.ready;
  await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await store.saveItem({
    name: 'Rice',
    category: 'Food',
    unit: 'bag',
    packSize: '',
    barcodes: '',
  });
  await store.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '500' }] });
  for (let i = 0; i < 30; i++) await store.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });

  const doc = store.persistence.doc;
  const self = store.self!;
  const headsClient = headsClientId(doc);
  const structs = doc.store.clients.get(headsClient) ?? [];
  // 31 signed saves under the heads id: the 30 replaced heads as one deleted struct, and the newest.
  expect(Y.getState(doc.store, headsClient)).toBeGreaterThanOrEqual(31);
  expect(structs.length).toBeLessThanOrEqual(2);
  expect(structs.at(-1)?.deleted).toBe(false);
  expect((headsOf(doc).get(self.deviceId) as unknown[])[0]).toBe(self.nextSeq - 1);
  // The device's own ledger appends stay in few structs too (no head between them).
  const ledger = ledgersOf(doc).get(self.deviceId)!;
  const appends = doc.store.clients
    .get(doc.clientID)!
    .filter((s) => s instanceof Y.Item && s.parent === ledger);
  expect(appends.length).toBeLessThan(4);

  store.close();
  opened = [];
  const again = await LarderStore.open(new LarderDB(name));
  opened.push(again);
  await again.ready;
  await again.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
  const hub = again.self!.hubId!;
  expect((await again.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(469);
});
