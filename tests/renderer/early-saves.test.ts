// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readAllEntries } from '../../shared/doc';
import { idOf } from '../../shared/entries';
import { stockKey } from '../../shared/projection';
import { DocPersistence, EarlierSaveFailed } from '../../renderer/storage/persistence';
import type { LarderStore } from '../../renderer/storage/store';
import { testStores } from './stores';

/**
 * A save while the doc loads (seconds at ten million entries) is not held by the load: it is committed in
 * the journal with its projection, shown at once, and added to the doc, in order, before anything derives
 * figures from it or syncs it (DocPersistence `reserveEarly`, `addEarlySaves`).
 */
const { device, sync, twoHubs, reopen } = testStores('early-saves', 61);

/** Holds every load started from now on before its first stored row, until `release`. */
function holdLoads() {
  let release!: () => void;
  let reach!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  /** Resolves once a load has come to its stored rows (and decided whether to take early saves). */
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const proto = DocPersistence.prototype as unknown as {
    storedRows(this: DocPersistence): AsyncGenerator<unknown>;
  };
  const original = proto.storedRows;
  const spy = vi.spyOn(proto, 'storedRows').mockImplementation(async function* (this: DocPersistence) {
    reach();
    await held;
    yield* original.call(this);
  });
  return { release, reached, restore: () => spy.mockRestore() };
}

let held: ReturnType<typeof holdLoads> | null = null;
afterEach(() => {
  held?.release();
  held?.restore();
  held = null;
});

/** `store` opened again with its load begun and held: saves are taken early. */
async function reopenedLoading(store: LarderStore): Promise<LarderStore> {
  held = holdLoads();
  const again = await reopen(store);
  void again.load().catch(() => undefined);
  await vi.waitFor(() => expect(again.persistence.takesEarlySaves).toBe(true));
  return again;
}

/**
 * The two-hub network (stores.ts `twoHubs`) with `onHandAtWest` Rice donated at West, and West's device
 * opened again with its load held: saves there are taken early.
 */
async function westLoading(onHandAtWest: string) {
  const { admin, west, rice } = await twoHubs();
  await west.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: onHandAtWest }] });
  const hub = west.self!.hubId!;
  return { admin, west, rice, hub, again: await reopenedLoading(west) };
}

const onHand = async (store: LarderStore, hub: string, item: string) =>
  (await store.db.shelf.get(stockKey(hub, item)))?.onHand ?? 0;
const inDoc = (store: LarderStore) => new Set(readAllEntries(store.persistence.doc).entries.map(idOf));
const shelf = (store: LarderStore) => store.db.shelf.orderBy('key').toArray();

describe('a save while the doc loads', () => {
  it('is saved and shown at once, then added to the doc in order and counted once, here and at a peer', async () => {
    const { admin, rice, hub, again } = await westLoading('20');

    const pickup = await again.recordPickup({ lines: [{ item: rice.id, quantity: '3' }] });
    const donation = await again.recordDonation({
      source: 'individual',
      lines: [{ item: rice.id, quantity: '5' }],
    });
    // Committed and shown while the doc has not loaded a row: in the journal, not in the doc yet.
    expect(again.persistence.isLoaded).toBe(false);
    expect(await onHand(again, hub, rice.id)).toBe(22);
    expect(await again.db.journal.count()).toBe(2);
    expect(inDoc(again).has(idOf(pickup[0]!))).toBe(false);

    held!.release();
    await again.ready;
    // In the doc, in the order they were saved; the journal empty; counted once.
    expect(await again.db.journal.count()).toBe(0);
    const ids = readAllEntries(again.persistence.doc)
      .entries.filter((e) => e.device === again.self!.deviceId)
      .map(idOf);
    expect(ids.slice(-2)).toEqual([idOf(pickup[0]!), idOf(donation[0]!)]);
    expect(await onHand(again, hub, rice.id)).toBe(22);
    // A save after the load follows them on the device's chain.
    await again.recordPickup({ lines: [{ item: rice.id, quantity: '2' }] });
    expect(await onHand(again, hub, rice.id)).toBe(20);
    expect(await again.db.problems.count()).toBe(0);

    // The figures are those the whole doc gives, and a peer verifies and counts every entry.
    const before = await shelf(again);
    await again.rebuildProjections();
    expect(await shelf(again)).toEqual(before);
    await sync(again, admin);
    expect(await onHand(admin, hub, rice.id)).toBe(20);
    expect(await admin.db.problems.count()).toBe(0);
  });

  it('an undo while the doc loads is saved early too, after the save it undoes', async () => {
    const { admin, rice, hub, again } = await westLoading('10');
    const [pickup] = await again.recordPickup({ lines: [{ item: rice.id, quantity: '4' }] });
    const undo = await again.undo(idOf(pickup!));
    expect(await onHand(again, hub, rice.id)).toBe(10);
    expect(await again.db.journal.count()).toBe(2);
    held!.release();
    await again.ready;
    const ids = readAllEntries(again.persistence.doc).entries.map(idOf);
    expect(ids.indexOf(idOf(undo))).toBeGreaterThan(ids.indexOf(idOf(pickup!)));
    expect(await onHand(again, hub, rice.id)).toBe(10);
    await sync(again, admin);
    expect(await onHand(admin, hub, rice.id)).toBe(10);
    expect(await admin.db.problems.count()).toBe(0);
  });

  it('a transfer sent, and one received, while the doc loads are saved early: listed at once, counted once', async () => {
    const { admin, rice, hub, again } = await westLoading('20');
    const east = admin.self!.hubId!;
    // West sends 5 to the admin's hub while its doc loads: on its way at once, West's stock down at once.
    const sent = await again.sendTransfer({ item: rice.id, to: east, quantity: '5' });
    const id = idOf(sent);
    expect(again.persistence.isLoaded).toBe(false);
    expect(await again.db.journal.count()).toBe(1);
    expect(await onHand(again, hub, rice.id)).toBe(15);
    expect(await again.transfer(id)).toMatchObject({ status: 'in transit', inTransit: 5 });
    expect(await again.db.openTransfers.get(id)).toEqual({ root: id });
    held!.release();
    await again.ready;
    expect(inDoc(again).has(id)).toBe(true);
    expect(await again.db.journal.count()).toBe(0);
    expect(await onHand(again, hub, rice.id)).toBe(15);
    expect(await again.db.problems.count()).toBe(0);

    // The admin's device takes it, and receives 4 of it while its own doc loads.
    await sync(again, admin);
    held!.restore();
    const receiving = await reopenedLoading(admin);
    const received = await receiving.receiveTransfer(id, '4');
    expect(receiving.persistence.isLoaded).toBe(false);
    expect(await receiving.db.journal.count()).toBe(1);
    expect(await onHand(receiving, east, rice.id)).toBe(4);
    expect(await receiving.transfer(id)).toMatchObject({ status: 'discrepancy', difference: -1 });
    held!.release();
    await receiving.ready;
    expect(inDoc(receiving).has(idOf(received))).toBe(true);
    expect(await onHand(receiving, east, rice.id)).toBe(4);

    // Every replica agrees, and the figures are those the whole doc gives.
    await sync(receiving, again);
    for (const store of [again, receiving]) {
      expect(await store.transfer(id)).toMatchObject({ status: 'discrepancy', difference: -1 });
      expect(await store.db.problems.count()).toBe(0);
      const figures = await shelf(store);
      await store.rebuildProjections();
      expect(await shelf(store)).toEqual(figures);
    }
  });

  it('a transfer to a hub the projections do not list is refused while the doc loads, and nothing is saved', async () => {
    const { again } = await westLoading('20');
    const rice = [...(await again.db.items.toArray())][0]!;
    await expect(again.sendTransfer({ item: rice.id, to: 'no-such-hub', quantity: '1' })).rejects.toThrow();
    await expect(
      again.sendTransfer({ item: 'no-such-item', to: again.self!.hubId!, quantity: '1' }),
    ).rejects.toThrow();
    expect(await again.db.journal.count()).toBe(0);
  });

  it('survives the app closing before the load ends: the next start adds it to the doc', async () => {
    const { admin, rice, hub, again: loading } = await westLoading('9');
    const [pickup] = await loading.recordPickup({ lines: [{ item: rice.id, quantity: '4' }] });
    expect(await onHand(loading, hub, rice.id)).toBe(5);

    // Closed before the load ends (the window shut, the power cut after "Saved").
    held!.release();
    held!.restore();
    held = null;
    const next = await reopen(loading);
    expect(await onHand(next, hub, rice.id)).toBe(5);
    await next.ready;
    expect(inDoc(next).has(idOf(pickup!))).toBe(true);
    expect(await next.db.journal.count()).toBe(0);
    expect(await onHand(next, hub, rice.id)).toBe(5);
    // Its next number follows it: nothing it handed out is used again.
    const [after] = await next.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
    expect(after!.seq).toBe(pickup!.seq + 1);
    await sync(next, admin);
    expect(await onHand(admin, hub, rice.id)).toBe(4);
    expect(await admin.db.problems.count()).toBe(0);
  });

  it('when the figures are not whole, a count waits for the load; a pickup is counted by the rebuild after it', async () => {
    const { west, rice } = await twoHubs();
    const hub = west.self!.hubId!;
    await west.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '6' }] });
    // A large update left halfway: the next start rebuilds, and a count must not read short figures.
    const meta = await west.db.meta.get('projection');
    await west.db.meta.put({ ...meta!, incomplete: true } as typeof meta & object);
    held = holdLoads();
    const again = await reopen(west);
    void again.load().catch(() => undefined);
    await held.reached;
    expect(again.persistence.takesEarlySaves).toBe(false);
    let counted = false;
    const count = again.recordCount({ lines: [{ item: rice.id, counted: '4' }] }).then((r) => {
      counted = true;
      return r;
    });
    // A pickup is not held by the load: in the journal for the rebuild that follows it to count
    // (rebuild-saves.test.ts), not in the figures before then.
    const [pickup] = await again.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
    expect(await again.db.journal.toArray()).toMatchObject([{ rebuild: true }]);
    expect(await onHand(again, hub, rice.id)).toBe(6);
    // The count waits for the load, which waits for `release`.
    await again.db.meta.get('projection');
    expect(counted).toBe(false);
    held.release();
    const [entry] = await count;
    expect(entry).toMatchObject({ kind: 'count', counted: 4, seen: 5 });
    expect(inDoc(again).has(idOf(pickup!))).toBe(true);
    await again.persistence.rebuilt();
    expect(await onHand(again, hub, rice.id)).toBe(4);
    expect(await again.db.journal.count()).toBe(0);
  });

  it('counted while the doc loaded but refused by the gate once it has: the figures are derived again without it', async () => {
    const { admin, west, rice } = await twoHubs();
    const hub = west.self!.hubId!;
    await west.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '8' }] });
    await sync(west, admin);
    await admin.revokeDevice(west.self!.deviceId);
    await sync(admin, west);
    // The revocation is in West's doc; its member row says otherwise (a projection from before it, say).
    const member = await west.db.members.get(west.self!.deviceId);
    expect(member?.status).not.toBe('member');
    await west.db.members.put({ ...member!, status: 'member' });

    const again = await reopenedLoading(west);
    await again.recordPickup({ lines: [{ item: rice.id, quantity: '3' }] });
    expect(await onHand(again, hub, rice.id)).toBe(5);
    held!.release();
    await again.ready;
    await vi.waitFor(async () => expect(await onHand(again, hub, rice.id)).toBe(8));
    await again.persistence.rebuilt();
    const figures = await shelf(again);
    await again.rebuildProjections();
    expect(await shelf(again)).toEqual(figures);
  });

  it('that fails leaves no trace, and fails the saves claimed after it: their numbers go back', async () => {
    const { admin, rice, hub, again } = await westLoading('10');
    const next = again.self!.nextSeq;
    // The first write of the next save fails (the disk full for a moment); the one claimed after it would
    // chain on entries that are not there.
    const proto = globalThis.IDBObjectStore.prototype;
    const add = proto.add;
    let failed = false;
    proto.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
      if (!failed && this.name === 'journal') {
        failed = true;
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return add.apply(this, args);
    };
    // The first is written only once the second is queued behind it.
    const persistence = again.persistence;
    const reserve = persistence.reserveEarly.bind(persistence);
    let secondSaving!: () => void;
    const secondQueued = new Promise<void>((resolve) => (secondSaving = resolve));
    let places = 0;
    vi.spyOn(persistence, 'reserveEarly').mockImplementation(() => {
      const place = reserve();
      const nth = ++places;
      return {
        giveBack: place.giveBack,
        save: async (...args) => {
          // Its transaction queued behind one that waits for the second to be queued behind it.
          const queue = persistence as unknown as { chain: Promise<void> };
          if (nth === 1) queue.chain = queue.chain.then(() => secondQueued);
          const saving = place.save(...args);
          if (nth === 2) secondSaving();
          return saving;
        },
      };
    });
    try {
      const results = await Promise.allSettled([
        again.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] }),
        again.recordPickup({ lines: [{ item: rice.id, quantity: '2' }] }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(EarlierSaveFailed);
    } finally {
      proto.add = add;
      vi.mocked(persistence.reserveEarly).mockRestore();
    }
    expect(places).toBe(2);
    expect(await again.db.journal.count()).toBe(0);
    expect(await onHand(again, hub, rice.id)).toBe(10);
    const [pickup] = await again.recordPickup({ lines: [{ item: rice.id, quantity: '3' }] });
    expect(pickup!.seq).toBe(next);
    held!.release();
    await again.ready;
    await sync(again, admin);
    expect(await onHand(admin, hub, rice.id)).toBe(7);
    expect(await admin.db.problems.count()).toBe(0);
  });

  it('claimed as the load ends: the load waits for it, and it is in the doc once the store is ready', async () => {
    const { rice, hub, again } = await westLoading('7');
    // The load goes on as soon as the save has its place, and the save is written only once the doc is
    // loaded (a slow signature, say): the load must not add the early saves to the doc before it.
    const persistence = again.persistence;
    const reserve = persistence.reserveEarly.bind(persistence);
    vi.spyOn(persistence, 'reserveEarly').mockImplementation(() => {
      const place = reserve();
      held!.release();
      return {
        giveBack: place.giveBack,
        save: async (...args) => {
          await vi.waitFor(() => expect(persistence.isLoaded).toBe(true));
          return place.save(...args);
        },
      };
    });
    const [pickup] = await again.recordPickup({ lines: [{ item: rice.id, quantity: '2' }] });
    await again.ready;
    expect(inDoc(again).has(idOf(pickup!))).toBe(true);
    expect(await again.db.journal.count()).toBe(0);
    expect(await onHand(again, hub, rice.id)).toBe(5);
  });

  it('is not taken on a device its member rows say is revoked: its saves wait for the load, as before', async () => {
    const { admin, west, rice } = await twoHubs();
    await sync(west, admin);
    await admin.revokeDevice(west.self!.deviceId);
    await sync(admin, west);
    held = holdLoads();
    const again = await reopen(west);
    void again.load().catch(() => undefined);
    await held.reached;
    expect(again.persistence.takesEarlySaves).toBe(false);
    held.release();
    await again.ready;
    expect(again.persistence.takesEarlySaves).toBe(false);
    await again.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] }).catch(() => undefined);
    expect(await again.db.journal.count()).toBe(0);
  });

  it('is not taken on a device that is not set up or before any load began', async () => {
    const fresh = await device();
    expect(fresh.persistence.takesEarlySaves).toBe(false);
    const { west } = await twoHubs();
    const again = await reopen(west);
    expect(again.persistence.takesEarlySaves).toBe(false);
  });
});

it('the saves made while the doc loaded are added in a staging doc built in slices, not in one at once', async () => {
  const { rice, hub, again } = await westLoading('20');
  await again.recordPickup({ lines: [{ item: rice.id, quantity: '3' }] });
  await again.recordPickup({ lines: [{ item: rice.id, quantity: '2' }] });
  // Each time a staging doc is taken: was one there to serve, or was it built in that task?
  const persistence = again.persistence as unknown as {
    staging(): unknown;
    keptServes(): boolean;
    open: unknown;
  };
  const served: boolean[] = [];
  const staging = persistence.staging.bind(persistence);
  persistence.staging = () => {
    served.push(persistence.open !== null || persistence.keptServes());
    return staging();
  };
  held!.release();
  await again.ready;
  expect(await again.db.journal.count()).toBe(0);
  expect(served).toHaveLength(2);
  expect(served.every(Boolean)).toBe(true);
  expect(await onHand(again, hub, rice.id)).toBe(15);
  expect(await again.db.problems.count()).toBe(0);
});
