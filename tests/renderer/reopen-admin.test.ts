// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseInvite } from '../../shared/sync/invite';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
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
    await asking.joinNetwork({ invite: first.inviteCode(), deviceName: 'Back room', asCoordinator: true });
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
});
