// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { testStores } from './stores';

/**
 * The Transfers screen offers "settle" to both hubs of a transfer with a difference, and the store lets a
 * device at either hub settle it. On a signed network every replica's gate counts an entry of a hub
 * device only for its own hub, so the settlement must be an entry of the hub that records it: written
 * for the receiving hub by the sending hub's device, it was set aside everywhere (`gate.otherHub`), the
 * transfer stayed "to settle" although the screen had said it was saved (found by the checkpoint
 * convergence test, seed 7).
 */
const { sync, twoHubs } = testStores('settle-sending-hub', 5);

describe('settling a transfer with a difference', () => {
  it('counts when the sending hub’s device settles it, on every replica', async () => {
    const { admin, west, rice } = await twoHubs();
    await west.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '40' }] });
    await sync(west, admin);

    // West sends 10 to the admin's hub, which receives 7: a difference of -3, settled by West.
    const sent = await west.sendTransfer({ item: rice.id, to: admin.self!.hubId!, quantity: '10' });
    await sync(west, admin);
    const id = `${sent.device}.${sent.seq}`;
    await admin.receiveTransfer(id, '7');
    await sync(admin, west);
    expect(await west.transfer(id)).toMatchObject({ status: 'discrepancy', difference: -3 });
    const settled = await west.settleTransfer(id, 'Three bags torn in the van');
    await sync(west, admin);

    for (const store of [west, admin]) {
      expect(await store.transfer(id)).toMatchObject({
        status: 'settled',
        settled: { note: 'Three bags torn in the van', device: settled.device },
      });
      expect(await store.db.problems.toArray()).toEqual([]);
    }
  });
});
