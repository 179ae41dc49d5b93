// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { networkOf } from '../../shared/doc';
import { ValidationError } from '../../shared/errors';
import type { LarderStore } from '../../renderer/storage/store';
import { SignedDevice } from './signedDevice';
import { testStores } from './stores';

/**
 * For 90 days after a rotation the remaining devices wait in the earlier keys' rooms, where a device that
 * was away finds the new key; meanwhile whoever holds an old key (the revoked laptop too) sees when they
 * are online. An admin can shorten that wait for the whole network (0: never wait, a sync file instead);
 * the setting counts only as an admin signed it.
 */
const { clock, device, sync } = testStores('catchupdays', 37);
const DAY = 24 * 60 * 60 * 1000;

/** Admin A, hub device B; A revokes a lost laptop, so both hold one earlier key (epoch 0). */
async function afterOneRotation() {
  const a = await device();
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const hubA = a.self!.hubId!;
  const join = async (name: string) => {
    const d = await device();
    await d.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: name });
    await sync(a, d);
    await d.chooseHub({ hubId: hubA });
    await sync(d, a);
    return d;
  };
  const b = await join('Back room');
  const lost = await join('Lost laptop');
  await a.revokeDevice(lost.self!.deviceId);
  const took = new Promise<void>((resolve) => b.onKeyChanged(resolve));
  await sync(a, b);
  await took;
  return { a, b, lost, hubA };
}

const rooms = (store: LarderStore) => store.catchUpRooms().map((r) => r.epoch);

const fieldError = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues.map((i) => [i.field, i.code]);
};

describe('how long devices wait in earlier keys’ rooms', () => {
  it('is 90 days unless an admin shortens it; every device follows the admin’s choice', async () => {
    const { a, b } = await afterOneRotation();
    expect(a.catchUpDays).toBe(90);
    expect(rooms(b)).toEqual([0]);

    clock.advance(10 * DAY);
    expect(rooms(b)).toEqual([0]);
    const changed = new Promise<void>((resolve) => b.onCatchUpChanged(resolve));
    expect(await a.setCatchUpDays({ days: ' 7 ' })).toBe(7);
    expect(a.catchUpDays).toBe(7);
    expect(rooms(a)).toEqual([]);
    await sync(a, b);
    await changed;
    expect(b.catchUpDays).toBe(7);
    // Ten days after the rotation, past the seven the admin chose: B no longer waits there.
    expect(rooms(b)).toEqual([]);

    // 0: never wait. Back to 90: the rooms again (the keys are kept 90 days whatever the setting).
    await a.setCatchUpDays({ days: '0' });
    await a.setCatchUpDays({ days: '90' });
    await sync(a, b);
    await vi.waitFor(() => expect(b.catchUpDays).toBe(90));
    expect(rooms(b)).toEqual([0]);
  });

  it('says what is wrong with a number that is not from 0 to 90', async () => {
    const { a } = await afterOneRotation();
    for (const days of ['91', '-1', 'seven', '', '1.5', '1e1', '0090'])
      expect(await fieldError(a.setCatchUpDays({ days }))).toEqual([['days', 'store.catchUpDaysInvalid']]);
    expect(a.catchUpDays).toBe(90);
  });

  it('only an admin may set it: a hub device is refused, and a value it signs anyway does not count', async () => {
    const { a, b } = await afterOneRotation();
    expect(await fieldError(b.setCatchUpDays({ days: '1' }))).toEqual([['', 'store.adminOnly']]);

    // A member that writes the setting with its own valid signature, straight into the doc.
    await a.setCatchUpDays({ days: '30' });
    await sync(a, b);
    await vi.waitFor(() => expect(b.catchUpDays).toBe(30));
    const member = await SignedDevice.approvedBy(a, { role: 'coordinator' });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    await member.setting(doc, 'network', 'catchUpDays', 0, clock.now() + 1);
    await sync(doc, b);
    await sync(a, b);
    // It replaces the admin's value in the map (settings are last-writer-wins) but never counts: the
    // admin's own copy of what it wrote still does.
    expect((networkOf(b.persistence.doc).get('catchUpDays') as { by: string }).by).toBe(member.id);
    await (
      b as unknown as { parts: { catchUp: { refreshCatchUpDays(): Promise<void> } } }
    ).parts.catchUp.refreshCatchUpDays();
    expect(b.catchUpDays).toBe(30);
    expect(rooms(b)).toEqual([0]);
  });
});
