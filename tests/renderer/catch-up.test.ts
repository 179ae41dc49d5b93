// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';
import type { LarderStore } from '../../renderer/storage/store';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { SYNC_FILE_MESSAGES } from '../../shared/sync/syncfile';
import { START } from './replicas';
import { testStores } from './stores';

/**
 * A device that was away while an admin revoked devices (and so rotated the network key, once or more)
 * catches up by itself: from the catch-up material the remaining devices offer in the rooms of the keys
 * they held before, or from any sync file made after. It never needs a new invite; a revoked device
 * never gets the key.
 */
const { device, sync } = testStores('catchup', 11);

const onHand = async (store: LarderStore, hub: string, item: string) =>
  (await store.db.stock.get(`${hub}|${item}`))?.onHand ?? 0;

/** Admin A, away device B, and two devices that A revokes one after the other while B is away. */
async function twoRotationsWhileBWasAway() {
  const a = await device();
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  const hubA = a.self!.hubId!;
  const join = async (name: string) => {
    const d = await device();
    await d.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: name });
    await sync(a, d);
    await d.chooseHub({ hubId: hubA });
    await sync(d, a);
    return d;
  };
  const b = await join('Away tablet');
  const lost1 = await join('Lost laptop');
  const lost2 = await join('Lost phone');
  await sync(a, b);
  await sync(a, lost1);
  await sync(a, lost2);
  const oldKey = b.self!.networkKey;
  // B goes away. A revokes two devices, one after the other: two rotations.
  await a.revokeDevice(lost1.self!.deviceId);
  // lost2 takes up the first rotation before it is lost too.
  const took = new Promise<void>((resolve) => lost2.onKeyChanged(resolve));
  await sync(a, lost2);
  await took;
  expect(lost2.self!.epoch).toBe(1);
  await a.revokeDevice(lost2.self!.deviceId);
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '7' }] });
  expect(a.self!.epoch).toBe(2);
  expect(b.self!.networkKey).toBe(oldKey);
  return { a, b, lost1, lost2, rice, hubA, oldKey };
}

describe('a device that missed two rotations', () => {
  it('takes up the current key from the material offered in its old room, then syncs and counts', async () => {
    const { a, b, lost1, lost2, rice, hubA, oldKey } = await twoRotationsWhileBWasAway();
    // A waits in the rooms of both keys it held before, offering the material there.
    expect(a.catchUpRooms().map((r) => r.epoch)).toEqual([1, 0]);
    const material = await a.catchUpMaterial();
    expect(material?.ops).toHaveLength(4);

    // The revoked devices, in those rooms too, find nothing sealed to them.
    expect(await lost1.catchUpFrom(material)).toEqual({ ok: false, code: 'catchUp.notForThisDevice' });
    expect(await lost2.catchUpFrom(material)).toEqual({ ok: false, code: 'catchUp.notForThisDevice' });
    expect(lost1.self!.networkKey).toBe(oldKey);

    const changed = new Promise<void>((resolve) => b.onKeyChanged(resolve));
    expect(await b.catchUpFrom(material)).toMatchObject({ ok: true, epoch: 2 });
    await changed;
    expect(b.self!.networkKey).toBe(a.self!.networkKey);
    expect((await b.secrets()).room).toBe((await a.secrets()).room);
    // It waits in its own old room in turn, for others that were away with it.
    expect(b.catchUpRooms().map((r) => r.epoch)).toEqual([0]);
    // Kept at rest, as the current key is.
    expect((await new LarderDB(b.db.name).meta.get('self')) as { epoch: number }).toMatchObject({ epoch: 2 });

    // In the new room: what it recorded while away counts, and what A recorded reaches it.
    await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '3' }] });
    await sync(a, b);
    await sync(b, a);
    expect(await onHand(a, hubA, rice.id)).toBe(10);
    expect(await onHand(b, hubA, rice.id)).toBe(10);
    expect(b.self!.epoch).toBe(2);
  });

  it('opens the first sync file made after, with the oldest key it holds', async () => {
    const { a, b, lost1, lost2, rice, hubA } = await twoRotationsWhileBWasAway();
    const file = await exportSyncFile(a, { now: START });
    const changed = new Promise<void>((resolve) => b.onKeyChanged(resolve));
    expect(await importSyncFile(b, file.bytes, { now: START })).toMatchObject({ ok: true });
    await changed;
    expect(b.self!.networkKey).toBe(a.self!.networkKey);
    expect(await onHand(b, hubA, rice.id)).toBe(7);
    // Neither revoked device opens it, whichever old key it holds.
    for (const lost of [lost1, lost2])
      expect(await importSyncFile(lost, file.bytes, { now: START })).toEqual({
        ok: false,
        message: SYNC_FILE_MESSAGES.damaged,
      });
  });
});
