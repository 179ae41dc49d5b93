// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { LarderStore } from '../../renderer/storage/store';
import { readMembers } from '../../renderer/data/members';
import type { StoreContext } from '../../renderer/storage/store/context';
import { ledgersOf } from '../../shared/doc';
import { PACKED_FORM, STORED_FORM } from '../../shared/entryForms';
import { START } from './replicas';
import { SignedDevice } from './signedDevice';
import { testStores } from './stores';

/**
 * A network's devices update at different times. An entry in a form a device does not read yet is set
 * aside there until it is updated, so its figures are wrong meanwhile: a device writes the newest form
 * every approved device says it reads (shared/entryForms.ts).
 */
const { reopen, sync, twoHubs } = testStores('entry-forms', 9);

/** What the store's last save put in its own ledger array: a packed string, or a stored tuple. */
function lastWritten(store: LarderStore): unknown {
  const array = ledgersOf(store.persistence.doc).get(store.self!.deviceId)!;
  return array.get(array.length - 1);
}

async function network() {
  const { admin, west, rice } = await twoHubs();
  const donate = (store: LarderStore, quantity: string) =>
    store.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity }] });
  return { admin, west, rice, donate };
}

/** A device of a Larder from before: approved, its record says nothing of what it reads. */
async function olderDevice(admin: LarderStore): Promise<SignedDevice> {
  const hub = admin.self!.hubId!;
  const old = await SignedDevice.approvedBy(admin, { role: 'hub', hub, name: 'Old laptop' });
  await old.setting(admin.persistence.doc, 'devices', old.id, { name: 'Old laptop', hub, createdAt: START });
  await admin.persistence.flush();
  return old;
}

/** The older device, updated: its record says it reads the packed form. */
async function updated(admin: LarderStore, old: SignedDevice): Promise<void> {
  const hub = admin.self!.hubId;
  await old.setting(admin.persistence.doc, 'devices', old.id, {
    name: 'Old laptop',
    hub,
    createdAt: START,
    reads: PACKED_FORM,
  });
  await admin.persistence.flush();
}

describe('the entry form a network writes', () => {
  it('is packed while every device reads it, stored tuples while an older device is a member, and packed again once it says it reads them', async () => {
    const { admin, west, rice, donate } = await network();
    for (const store of [admin, west]) {
      expect(store.entryForm).toBe(PACKED_FORM);
      await donate(store, '5');
      expect(typeof lastWritten(store)).toBe('string');
    }

    const old = await olderDevice(admin);
    await vi.waitFor(() => expect(admin.entryForm).toBe(STORED_FORM));
    await donate(admin, '3');
    expect(Array.isArray(lastWritten(admin))).toBe(true);
    // Another device learns of it over sync, and writes tuples too.
    await sync(admin, west);
    await vi.waitFor(() => expect(west.entryForm).toBe(STORED_FORM));
    await donate(west, '2');
    expect(Array.isArray(lastWritten(west))).toBe(true);
    await sync(west, admin);
    await sync(admin, west);
    // Every entry counts everywhere, whatever its form.
    for (const store of [admin, west]) {
      expect(await store.db.problems.toArray()).toEqual([]);
      expect((await store.db.shelf.get(`${admin.self!.hubId}|${rice.id}`))?.onHand).toBe(8);
      expect((await store.db.shelf.get(`${west.self!.hubId}|${rice.id}`))?.onHand).toBe(7);
    }

    // Updated, the old laptop says it reads the packed form.
    await updated(admin, old);
    await vi.waitFor(() => expect(admin.entryForm).toBe(PACKED_FORM));
    await donate(admin, '1');
    expect(typeof lastWritten(admin)).toBe('string');
  });

  it('names on the Members screen each member whose record says it reads an older form, until it says it reads the newest', async () => {
    const { admin, west } = await network();
    const olderOnes = async () => (await readMembers(admin)).filter((m) => m.readsOlder).map((m) => m.name);
    expect(await olderOnes()).toEqual([]);

    const old = await olderDevice(admin);
    await vi.waitFor(async () => expect(await olderOnes()).toEqual(['Old laptop']));
    // Every other member, this device included, reads the newest.
    const shown = await readMembers(admin);
    expect(shown.map((m) => m.device).sort()).toEqual(
      [admin.self!.deviceId, west.self!.deviceId, old.id].sort(),
    );

    await updated(admin, old);
    await vi.waitFor(async () => expect(await olderOnes()).toEqual([]));
  });

  it('is not held back by a revoked device, nor by a device only asking to join', async () => {
    const { admin, donate } = await network();
    const old = await olderDevice(admin);
    await vi.waitFor(() => expect(admin.entryForm).toBe(STORED_FORM));
    await admin.revokeDevice(old.id);
    await vi.waitFor(() => expect(admin.entryForm).toBe(PACKED_FORM));

    const asking = await SignedDevice.create(admin.self!.networkId);
    await asking.ask(admin.persistence.doc, admin.self!.hubId!, 'Asking laptop');
    await asking.setting(admin.persistence.doc, 'devices', asking.id, {
      name: 'Asking laptop',
      hub: admin.self!.hubId,
      createdAt: START,
    });
    await admin.persistence.flush();
    await donate(admin, '4');
    expect(admin.entryForm).toBe(PACKED_FORM);
    expect(typeof lastWritten(admin)).toBe('string');
  });

  it('is said by a device in its record once it is updated (a record written by an older version says nothing)', async () => {
    const { admin, west } = await network();
    const own = await admin.db.devices.get(admin.self!.deviceId);
    expect(own?.reads).toBe(PACKED_FORM);
    // Its record as an older version wrote it.
    const ctx = (admin as unknown as { parts: { ctx: StoreContext } }).parts.ctx;
    await ctx.putSettings([
      ['devices', own!.id, { name: own!.name, hub: own!.hub, createdAt: own!.createdAt }],
    ]);
    await ctx.persistence.flush();
    await sync(admin, west);
    await vi.waitFor(() => expect(west.entryForm).toBe(STORED_FORM));

    // Started again (updated), it says what it reads, and the others write the packed form again.
    const reopened = await reopen(admin);
    await reopened.ready;
    await vi.waitFor(async () => expect((await reopened.db.devices.get(own!.id))?.reads).toBe(PACKED_FORM));
    await sync(reopened, west);
    await vi.waitFor(() => expect(west.entryForm).toBe(PACKED_FORM));
  });
});
