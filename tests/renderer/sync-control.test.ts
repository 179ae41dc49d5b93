// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { SyncControl } from '../../renderer/sync/control';
import { testStores } from './stores';

const { device, sync } = testStores('sync-control', 0x5c7a);

/**
 * The app's handle on sync (renderer/sync/control.ts) exists from the first screen, before sync's code is
 * loaded: the status says "not running", and once the service is made (its module loaded, sync started)
 * whoever shows the status is told, so it reads the service's. The first test of the file runs before the
 * module is loaded (once per file, as once per page).
 */
describe('the sync handle', () => {
  it('says sync is not running before its code is loaded, and says plainly what needs it', async () => {
    const control = new SyncControl(await device());
    expect(control.status()).toEqual({ running: false, signaling: [], connected: 0, peers: [] });
    expect(() => control.relay).toThrow('before it was loaded (SyncControl.load)');
    control.stop(); // nothing to stop: no error
  });

  it('tells its listeners when the service is made, and the status is the service’s from then on', async () => {
    const control = new SyncControl(await device());
    let told = 0;
    const stop = control.subscribe(() => told++);
    // A device not set up: start loads the module and makes the service, which does not start.
    await control.start();
    expect(told).toBe(1);
    expect(control.status().running).toBe(false);
    expect(control.relay.status()).toBeDefined();
    stop();
  });

  it('writes and reads sync files beside the store, and lists the devices whose files it read', async () => {
    const east = await device();
    await east.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const west = await device();
    await west.joinNetwork({ invite: await east.preApprovedInvite(), deviceName: 'Church laptop' });
    await sync(east, west);
    const rice = await east.saveItem({
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    await east.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '12' }] });
    const [fromEast, toWest] = [new SyncControl(east), new SyncControl(west)];
    expect(await toWest.knownPeers()).toEqual([]);

    const file = await fromEast.exportFile();
    const taken = await toWest.importFile(file.bytes);
    expect(taken).toMatchObject({ ok: true });
    expect(await west.db.shelf.get(`${east.self!.hubId}|${rice.id}`)).toMatchObject({ onHand: 12 });
    expect(await toWest.knownPeers()).toMatchObject([{ device: east.self!.deviceId, name: 'Front desk' }]);
    // A file that is not one is refused with a reason, and changes nothing.
    expect(await toWest.importFile(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false });
  });
});
