// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readAllEntries } from '../../shared/doc';
import { encodeAppliedState } from '../../shared/sync/ingest';
import { docHolding, skeletonOf } from '../../shared/sync/skeleton';
import { LarderDB } from '../../renderer/storage/db';
import { setSkeletonStarts } from '../../renderer/storage/persistence';
import type { LarderStore } from '../../renderer/storage/store';
import { closeAll, fillDisk, itemForm, open, testDeps, uniqueName } from './faults';

/**
 * A device that lost some of its own entries (a damaged stored row, set aside at load) goes on recording,
 * and what it records counts at once, here and on every peer, whether or not the lost entries ever come
 * back. It never reuses a sequence number it may have published, and the lost entries count again when a
 * peer brings them back (docs/trust.md, "A device that lost its own entries").
 */
afterEach(closeAll);

const onHand = async (store: LarderStore, item: string) =>
  (await store.db.stock.get(`${store.self!.hubId!}|${item}`))?.onHand ?? 0;

/** Sends what `to` lacks of `from`'s doc, as a peer would (never what `from` holds back unapplied). */
async function sync(from: Y.Doc | LarderStore, to: LarderStore): Promise<void> {
  // A doc running on a skeleton answers a peer short of its history from the history on disk, as in the app.
  const live = from instanceof Y.Doc ? from : from.persistence.doc;
  const sv = Y.encodeStateVector(to.persistence.doc);
  const doc = await docHolding(live, sv);
  const r = await to.applyRemoteUpdate(encodeAppliedState(doc, sv), 'peer');
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

/** A hub device with five donations of Rice (1, 2, 4, 8, 16), one update row each; the third row damaged. */
async function damagedHub() {
  const name = uniqueName('lost');
  const { deps, advance } = testDeps(11);
  const store = await open(name, deps);
  await store.createNetwork({ hubName: 'North', deviceName: 'Front desk' });
  const rice = await store.saveItem(itemForm('Rice 2 lb'));
  const rows: number[] = [];
  for (const qty of [1, 2, 4, 8, 16]) {
    advance(60_000);
    await store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: String(qty) }] });
    rows.push((await store.db.updates.orderBy('id').last())!.id!);
  }
  // What a peer that synced before the damage holds: everything.
  const full = new Y.Doc();
  Y.applyUpdate(full, Y.encodeStateAsUpdate(store.persistence.doc));
  store.close();
  const raw = new LarderDB(name);
  await raw.updates.update(rows[2]!, { update: new Uint8Array([1, 2, 3]) });
  raw.close();
  advance(60_000);
  const damaged = await open(name, deps);
  return { name, deps, advance, store: damaged, rice, full };
}

describe('a device that lost some of its own entries', () => {
  it('goes on recording: its new entries count at once, and the lost ones count again when a peer brings them back', async () => {
    const { name, deps, store, rice, full } = await damagedHub();
    expect(await onHand(store, rice.id)).toBe(1 + 2);

    const [next] = await store.recordDonation({
      source: 'other',
      lines: [{ item: rice.id, quantity: '100' }],
    });
    // Never a number it may already have published.
    expect(next!.seq).toBe(6);
    expect(await onHand(store, rice.id)).toBe(1 + 2 + 100);
    await store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '200' }] });
    expect(await onHand(store, rice.id)).toBe(303);
    expect(await store.db.problems.count()).toBe(0);

    // After a restart, still counted.
    store.close();
    const again = await open(name, deps);
    expect(await onHand(again, rice.id)).toBe(303);

    // A peer brings back the lost entries (4, and 8 and 16 that Yjs held back behind it): all count, once.
    await sync(full, again);
    expect(await onHand(again, rice.id)).toBe(31 + 300);
    expect(
      readAllEntries(again.persistence.doc)
        .entries.map((e) => e.seq)
        .sort((x, y) => x - y),
    ).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await again.db.problems.count()).toBe(0);
    expect((await again.persistence.checkData()).differences).toEqual([]);
  });

  it('a peer that never had the lost entries counts what the device records after them, and the rest once they come', async () => {
    const { store, rice, full } = await damagedHub();
    await store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '100' }] });
    // A new device of the network that syncs only with the damaged one.
    const { deps } = testDeps(12);
    const peer = await open(uniqueName('lost-peer'), deps);
    await peer.joinNetwork({ invite: await store.preApprovedInvite(), deviceName: 'Back room' });
    await sync(store, peer);
    const hub = store.self!.hubId!;
    const peerOnHand = async () => (await peer.db.stock.get(`${hub}|${rice.id}`))?.onHand ?? 0;
    expect(await peerOnHand()).toBe(103);
    // ... and from a device that synced before the damage, the lost ones.
    await sync(full, peer);
    expect(await peerOnHand()).toBe(131);
    expect(await peer.db.problems.count()).toBe(0);
  });

  it('a peer running on a skeleton of its doc counts what the device records after the loss, in the middle of its ledger', async () => {
    const { store, rice, full } = await damagedHub();
    // A device of the network that synced before the damage, then started again on a skeleton (its history
    // on disk): the value the damaged device now appends after is one the skeleton left out.
    const peerName = uniqueName('lost-skeleton');
    const { deps } = testDeps(13);
    const first = await open(peerName, deps);
    await first.joinNetwork({ invite: await store.preApprovedInvite(), deviceName: 'Back room' });
    await sync(full, first);
    first.close();
    setSkeletonStarts(0);
    try {
      const peer = await open(peerName, deps);
      expect(skeletonOf(peer.persistence.doc)).toBeDefined();
      const hub = store.self!.hubId!;
      const peerOnHand = async (p: LarderStore) => (await p.db.stock.get(`${hub}|${rice.id}`))?.onHand ?? 0;
      expect(await peerOnHand(peer)).toBe(31);
      // Its history read (and kept a while) before the entry comes: it takes the entry as written.
      expect(readAllEntries(await peer.persistence.historyDoc()).entries).toHaveLength(5);

      await store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '100' }] });
      await sync(store, peer);
      expect(skeletonOf(peer.persistence.doc)?.rewritten?.size).toBe(1);
      expect(await peerOnHand(peer)).toBe(131);
      expect(await peer.db.problems.count()).toBe(0);
      // Its history on disk holds the entry as written: a rebuild from it gives the same figures.
      expect(readAllEntries(await peer.persistence.historyDoc()).entries).toHaveLength(6);
      expect((await peer.persistence.checkData()).differences).toEqual([]);
      // A device that has it all is answered from the skeleton; the damaged one, short of its lost
      // entries, from the history: both come out whole.
      await sync(peer, store);
      expect(await onHand(store, rice.id)).toBe(131);
      peer.close();
      const again = await open(peerName, deps);
      expect(skeletonOf(again.persistence.doc)).toBeDefined();
      expect(await peerOnHand(again)).toBe(131);
      expect((await again.persistence.checkData()).differences).toEqual([]);
    } finally {
      setSkeletonStarts();
    }
  });

  it('a restart whose save fails (disk full) is made again by the next save, once', async () => {
    const { store, rice } = await damagedHub();
    const emptyDisk = fillDisk();
    await expect(
      store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '100' }] }),
    ).rejects.toThrow();
    emptyDisk();
    const [next] = await store.recordDonation({
      source: 'other',
      lines: [{ item: rice.id, quantity: '100' }],
    });
    expect(next!.seq).toBe(6);
    expect(await onHand(store, rice.id)).toBe(103);
    const device = store.self!.deviceId;
    const heads = store.persistence.doc.getMap('heads');
    expect(heads.get(`${device}/1`)).toMatchObject([
      6,
      expect.any(String),
      expect.any(String),
      [[5, expect.any(String)]],
    ]);
    expect(heads.has(`${device}/2`)).toBe(false);
    expect(store.self!.restarts).toHaveLength(1);
  });

  it('a device that lost nothing signs as before: no restart in its head', async () => {
    const name = uniqueName('lost-none');
    const { deps } = testDeps(13);
    const store = await open(name, deps);
    await store.createNetwork({ hubName: 'North', deviceName: 'Front desk' });
    const rice = await store.saveItem(itemForm('Rice 2 lb'));
    await store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '5' }] });
    const head = store.persistence.doc.getMap('heads').get(store.self!.deviceId) as unknown[];
    expect(head).toHaveLength(3);
  });
});
