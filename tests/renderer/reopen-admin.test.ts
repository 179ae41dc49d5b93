// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseInvite } from '../../shared/sync/invite';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { makeStoreCheckpoint } from '../../renderer/storage/checkpoint';
import { FakeClock, Prng, START } from './replicas';

/**
 * An admin's device, opened again with nothing new to project (the app restarted, or its page reloaded
 * to allow a new sync server or relay): it is still the admin at once, not once something changes.
 */
describe('an admin’s device opened again', () => {
  it('makes a pre-approved invite and approves a device before anything new arrives', async () => {
    const clock = new FakeClock(START);
    const random = new Prng(23);
    const deps = { now: clock.now, randomBytes: (k: number) => random.bytes(k) };
    const name = `larder-reopen-admin-${process.pid}`;
    const first = await LarderStore.open(new LarderDB(name), deps);
    await first.ready;
    await first.createNetwork({ hubName: 'Elm Hall', deviceName: 'Hall laptop' });
    const asking = await LarderStore.open(new LarderDB(`${name}-b`), deps);
    await asking.ready;
    await asking.joinNetwork({
      invite: await first.inviteCode(),
      deviceName: 'Back room',
      asCoordinator: true,
    });
    await first.applyRemoteUpdate(Y.encodeStateAsUpdate(asking.persistence.doc), 'peer');
    first.close();

    const again = await LarderStore.open(new LarderDB(name), deps);
    await again.ready;
    const invite = parseInvite(await again.preApprovedInvite('hub'));
    expect(invite.ok && invite.invite.preApproval).toBeTruthy();
    await again.approveDevice(asking.self!.deviceId);
    expect((await again.db.members.get(asking.self!.deviceId))?.status).not.toBe('requested');
    again.close();
    asking.close();
  });

  it('is the admin before its doc has loaded: the first click after a start waits for the load', async () => {
    const clock = new FakeClock(START);
    const random = new Prng(29);
    const deps = { now: clock.now, randomBytes: (k: number) => random.bytes(k) };
    const name = `larder-reopen-unloaded-${process.pid}`;
    const first = await LarderStore.open(new LarderDB(name), deps);
    await first.ready;
    await first.createNetwork({ hubName: 'Elm Hall', deviceName: 'Hall laptop' });
    first.close();

    // The app starts loading the doc once its first screen is up; a click can come before that.
    const again = await LarderStore.open(new LarderDB(name), deps);
    expect(again.persistence.isLoaded).toBe(false);
    const invite = parseInvite(await again.preApprovedInvite('hub'));
    expect(invite.ok && invite.invite.preApproval).toBeTruthy();
    expect((await again.currentMembers())?.members.get(again.self!.deviceId)?.role).toBe('admin');
    again.close();
  });

  it('after revoking a device, gives the key rotation to the sync files it exports', async () => {
    const clock = new FakeClock(START);
    const random = new Prng(31);
    const deps = { now: clock.now, randomBytes: (k: number) => random.bytes(k) };
    const name = `larder-reopen-rotation-${process.pid}`;
    const first = await LarderStore.open(new LarderDB(name), deps);
    await first.ready;
    await first.createNetwork({ hubName: 'Elm Hall', deviceName: 'Hall laptop' });
    const lost = await LarderStore.open(new LarderDB(`${name}-b`), deps);
    await lost.ready;
    await lost.joinNetwork({ invite: await first.inviteCode(), deviceName: 'Lost', asCoordinator: true });
    await first.applyRemoteUpdate(Y.encodeStateAsUpdate(lost.persistence.doc), 'peer');
    await first.approveDevice(lost.self!.deviceId);
    await first.revokeDevice(lost.self!.deviceId);
    expect(await first.catchUpKeys()).not.toBeNull();
    first.close();
    const again = await LarderStore.open(new LarderDB(name), deps);
    await again.ready;
    expect(await again.catchUpKeys()).not.toBeNull();
    again.close();
    lost.close();
  });

  it('makes a checkpoint before anything new arrives', async () => {
    const clock = new FakeClock(START);
    const random = new Prng(29);
    const deps = { now: clock.now, randomBytes: (k: number) => random.bytes(k) };
    const name = `larder-reopen-checkpoint-${process.pid}`;
    const first = await LarderStore.open(new LarderDB(name), deps);
    await first.ready;
    await first.createNetwork({ hubName: 'Elm Hall', deviceName: 'Hall laptop' });
    const item = (
      await first.saveItem({ name: 'Oats', category: 'Food', unit: 'bag', packSize: '', barcodes: '' })
    ).id;
    await first.recordDonation({ source: 'individual', lines: [{ item, quantity: '12' }] });
    first.close();
    const again = await LarderStore.open(new LarderDB(name), deps);
    await again.ready;
    const checkpoint = await makeStoreCheckpoint(again, clock.now());
    expect(checkpoint.digest).toMatch(/\S/);
    again.close();
  });
});
