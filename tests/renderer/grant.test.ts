// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { LarderStore } from '../../renderer/storage/store';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { membersOf } from '../../shared/doc';
import { START } from './replicas';
import { testStores } from './stores';

/**
 * A device that asked to join while an admin revoked a lost laptop (and so changed the network key) was
 * not a member then, so the rotation sealed no copy of the new key to it: once approved, it could record
 * but never reach the others again without a new invite. Now an admin holding the current key grants it
 * a copy, sealed to its own key, as soon as it is approved; the device takes it up from the catch-up
 * material in its old room or from a sync file, like a device that was away.
 */
const { device, sync } = testStores('grant', 29);

const onHand = async (store: LarderStore, hub: string, item: string) =>
  (await store.db.stock.get(`${hub}|${item}`))?.onHand ?? 0;

const grants = (store: LarderStore) =>
  membersOf(store.persistence.doc)
    .toArray()
    .filter((op) => Array.isArray(op) && (JSON.parse(op[0] as string) as { t: string }).t === 'grant');

/** Admin A; a laptop later lost; device P that asks to join (no pre-approval), then A revokes the laptop. */
async function rotatedWhileAsking(options: { approveFirst?: boolean } = {}) {
  const a = await device();
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  const hubA = a.self!.hubId!;
  const lost = await device();
  await lost.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Lost laptop' });
  await sync(a, lost);
  await lost.chooseHub({ hubId: hubA });
  await sync(lost, a);

  const p = await device();
  await p.joinNetwork({ invite: await a.inviteCode(), deviceName: 'Church laptop' });
  await sync(a, p);
  await p.chooseHub({ hubId: hubA });
  await sync(p, a);
  expect((await a.db.members.get(p.self!.deviceId))?.status).toBe('requested');
  const oldKey = p.self!.networkKey;
  if (options.approveFirst) await a.approveDevice(p.self!.deviceId);
  await a.revokeDevice(lost.self!.deviceId);
  expect(a.self!.epoch).toBe(1);
  return { a, p, lost, rice, hubA, oldKey };
}

describe('a device approved after the network key changed', () => {
  it('gets the new key from a grant and takes it up from the catch-up material', async () => {
    const { a, p, lost, rice, hubA, oldKey } = await rotatedWhileAsking();
    // Before approval: nothing for it in the material (it might be the lost laptop asking again).
    expect(await p.catchUpFrom(await a.catchUpMaterial())).toEqual({
      ok: false,
      code: 'catchUp.notForThisDevice',
    });
    expect(grants(a)).toHaveLength(0);

    await a.approveDevice(p.self!.deviceId);
    await vi.waitFor(() => expect(grants(a)).toHaveLength(1));
    const material = await a.catchUpMaterial();
    const changed = new Promise<void>((resolve) => p.onKeyChanged(resolve));
    expect(await p.catchUpFrom(material)).toMatchObject({ ok: true, epoch: 1 });
    await changed;
    expect(p.self!.networkKey).toBe(a.self!.networkKey);
    expect(p.self!.networkKey).not.toBe(oldKey);
    expect((await p.secrets()).room).toBe((await a.secrets()).room);
    // The lost laptop still finds nothing.
    expect(await lost.catchUpFrom(material)).toEqual({ ok: false, code: 'catchUp.notForThisDevice' });

    // In the new room: its donation counts on A.
    await sync(a, p);
    await p.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '4' }] });
    await sync(p, a);
    expect(await onHand(a, hubA, rice.id)).toBe(4);
    // A grants once: the grant is in its own list now.
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '1' }] });
    expect(grants(a)).toHaveLength(1);
  });

  it('whose approval raced the rotation gets a grant from the admin that rotated', async () => {
    const a = await device();
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const hubA = a.self!.hubId!;
    const join = async (name: string, invite: string) => {
      const d = await device();
      await d.joinNetwork({ invite, deviceName: name });
      await sync(a, d);
      await d.chooseHub({ hubId: hubA });
      await sync(d, a);
      return d;
    };
    const second = await join('Office', await a.preApprovedInvite());
    await a.approveDevice(second.self!.deviceId, 'admin');
    const lost = await join('Lost laptop', await a.preApprovedInvite());
    const p = await join('Church laptop', await a.inviteCode());
    await sync(a, second);
    // At once, neither having seen the other: the second admin approves P, A revokes the laptop.
    await second.approveDevice(p.self!.deviceId);
    await a.revokeDevice(lost.self!.deviceId);
    expect(
      JSON.stringify(Object.keys((await a.persistence.trust!.currentMembers()).rotation!.sealed)),
    ).not.toContain(p.self!.deviceId);
    await sync(second, a);
    await sync(a, second);
    // A holds the new key and now sees P approved: it grants.
    await vi.waitFor(() => expect(grants(a)).toHaveLength(1));
    const file = await exportSyncFile(a, { now: START });
    const changed = new Promise<void>((resolve) => p.onKeyChanged(resolve));
    expect(await importSyncFile(p, file.bytes, { now: START })).toMatchObject({ ok: true });
    await changed;
    expect(p.self!.networkKey).toBe(a.self!.networkKey);
    expect(p.self!.epoch).toBe(1);
  });

  it('a device still only asking gets no grant', async () => {
    const { a, p, rice } = await rotatedWhileAsking();
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '2' }] });
    await sync(p, a);
    await sync(a, p);
    expect(grants(a)).toHaveLength(0);
    expect((await a.persistence.trust!.currentMembers()).rotation!.sealed[p.self!.deviceId]).toBeUndefined();
  });

  it('approved before the rotation, it is sealed a copy by the rotation itself (no grant needed)', async () => {
    const { a, p } = await rotatedWhileAsking({ approveFirst: true });
    await sync(a, p);
    await vi.waitFor(() => expect(p.self!.epoch).toBe(1));
    expect(grants(a)).toHaveLength(0);
  });
});
