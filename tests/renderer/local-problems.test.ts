// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { LarderStore } from '../../renderer/storage/store';
import { msg } from '../../shared/messages';
import { testStores } from './stores';

/**
 * Most problems are derived from the doc, and a rebuild derives them again. Some are noticed by this
 * device alone and are in no doc: a peer's update refused at the door (sync/webrtc.ts), a rotation it
 * could not read, an upgrade that failed. A rebuild (after an app update, a revocation, damaged data or
 * Repair) and the member list judged again used to erase those, and with them the only trace that a
 * peer had sent something bad.
 */
const { device, sync } = testStores('local-problems', 41);

const wheres = async (store: LarderStore) => (await store.db.problems.toArray()).map((p) => p.where).sort();

const REFUSED = 'peer update received 2026-11-30T10:00:00.000Z';

async function adminWithProblems() {
  const a = await device();
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  await a.recordProblem(
    REFUSED,
    msg('update.tooLarge', { bytes: 99_000_000, megabytes: 64 }),
    new Error('too large'),
  );
  await a.recordProblem('members/rotation', msg('member.rotationUnreadable'));
  return a;
}

describe('problems noticed on this device', () => {
  it('survive a rebuild, which still replaces the ones derived from the doc', async () => {
    const a = await adminWithProblems();
    // A row the doc no longer gives (as an older version's projection could leave): the rebuild drops it.
    await a.db.problems.put({ where: 'entry/ghost.1', reason: msg('entry.notList'), seenAt: 1 });

    await a.rebuildProjections();
    await a.persistence.rebuilt();

    expect(await wheres(a)).toEqual(['members/rotation', REFUSED]);
    const refused = await a.db.problems.get(REFUSED);
    expect(refused).toMatchObject({
      local: true,
      reason: { code: 'update.tooLarge' },
      detail: 'Error: too large',
    });
  });

  it('survive the member list being judged again', async () => {
    const a = await adminWithProblems();
    const p = await device();
    await p.joinNetwork({ invite: await a.inviteCode(), deviceName: 'Church laptop' });
    await sync(a, p);
    await p.chooseHub({ hubId: a.self!.hubId! });
    await sync(p, a); // A judges its member list again with P's request in it
    await a.approveDevice(p.self!.deviceId); // and again with the approval
    expect(await a.db.members.get(p.self!.deviceId)).toMatchObject({ name: 'Church laptop' });

    expect(await wheres(a)).toEqual(['members/rotation', REFUSED]);
  });
});
