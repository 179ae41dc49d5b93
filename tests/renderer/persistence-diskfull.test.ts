// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { ledgerOf } from './ledgerTable';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { headsOf, itemsOf, readAllEntries } from '../../shared/doc';
import { LarderDB } from '../../renderer/storage/db';
import type { LarderStore } from '../../renderer/storage/store';
import { closeAll, fillDisk, itemForm, open, testDeps, uniqueName } from './faults';
import { SignedDevice } from './signedDevice';

afterEach(closeAll);

/** A hub with Rice, 10 on hand, and a peer that receives every update the device's doc emits. */
async function hubWithPeer() {
  const name = uniqueName('full');
  const { deps, advance } = testDeps(3);
  const store = await open(name, deps);
  await store.createNetwork({ hubName: 'North', deviceName: 'Front desk' });
  const rice = await store.saveItem(itemForm('Rice 2 lb'));
  await store.recordDonation({ source: 'food bank', lines: [{ item: rice.id, quantity: '10' }] });
  const peer = new Y.Doc();
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(store.persistence.doc));
  const wire: Uint8Array[] = [];
  store.persistence.doc.on('update', (update: Uint8Array) => {
    wire.push(update);
    Y.applyUpdate(peer, update);
  });
  return { name, deps, advance, store, rice, peer, wire };
}

const onHand = async (store: LarderStore, item: string) =>
  (await store.db.stock.get(`${store.self!.hubId!}|${item}`))?.onHand ?? 0;

/** Everything a failed save must leave as it was. */
async function traces(store: LarderStore) {
  const doc = store.persistence.doc;
  return {
    entries: readAllEntries(doc).entries.length,
    state: Y.encodeStateVector(doc),
    head: JSON.stringify(headsOf(doc).get(store.self!.deviceId)),
    nextSeq: store.self!.nextSeq,
    chain: JSON.stringify(store.self!.chain),
    ledger: await ledgerOf(store.db).count(),
    updates: await store.db.updates.count(),
  };
}

describe('a full disk loses nothing and counts nothing twice', () => {
  it('a donation that fails to save leaves no trace in the doc, on the wire or in the sequence; the retry counts once', async () => {
    const { name, deps, store, rice, peer, wire } = await hubWithPeer();
    const before = await traces(store);
    const donation = { source: 'individual' as const, lines: [{ item: rice.id, quantity: '42' }] };

    const emptyDisk = fillDisk();
    await expect(store.recordDonation(donation)).rejects.toThrow(/quota/i);
    // An item edit fails the same way, and is not in the doc either.
    await expect(store.saveItem(itemForm('Lentils'))).rejects.toThrow(/quota/i);
    emptyDisk();

    expect(await traces(store)).toStrictEqual(before);
    expect(wire).toHaveLength(0);
    expect([...itemsOf(store.persistence.doc).keys()]).toEqual([rice.id]);
    expect(readAllEntries(peer).entries).toHaveLength(before.entries);

    // The volunteer saves the same donation again: it counts once (52, not 94).
    const [retried] = await store.recordDonation(donation);
    expect(retried!.seq).toBe(before.nextSeq);
    expect(await onHand(store, rice.id)).toBe(52);
    expect(readAllEntries(peer).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(await store.db.problems.count()).toBe(0);

    store.close();
    const again = await open(name, deps);
    expect(await onHand(again, rice.id)).toBe(52);
    expect(readAllEntries(again.persistence.doc).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(again.self!.nextSeq).toBe(3);
    await again.rebuildProjections();
    expect(await onHand(again, rice.id)).toBe(52);
    expect(await again.db.problems.count()).toBe(0);
  });

  it('a save queued behind a failed one fails with it, and the next save numbers on from what was saved', async () => {
    const { name, deps, store, rice, wire } = await hubWithPeer();
    const before = await traces(store);
    const emptyDisk = fillDisk();
    const first = store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '1' }] });
    const second = store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '2' }] });
    const results = await Promise.allSettled([first, second]);
    emptyDisk();
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await traces(store)).toStrictEqual(before);
    expect(wire).toHaveLength(0);

    await store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '3' }] });
    expect(await onHand(store, rice.id)).toBe(13);
    store.close();
    const again = await open(name, deps);
    expect(readAllEntries(again.persistence.doc).entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(await again.db.problems.count()).toBe(0);
    expect(await onHand(again, rice.id)).toBe(13);
  });

  it("a peer's entry that arrives while the disk is full stays in the doc and is written by the next save", async () => {
    const { store, rice } = await hubWithPeer();
    const hub = store.self!.hubId!;
    const other = await SignedDevice.approvedBy(store, { role: 'hub', hub });
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(store.persistence.doc));
    const at = Date.UTC(2025, 2, 1, 10);
    const [theirs] = await other.append(remote, [
      {
        kind: 'donation',
        hub,
        device: other.id,
        seq: 1,
        item: rice.id,
        at,
        recordedAt: at,
        qty: 7,
        source: 'other',
      },
    ]);
    const update = Y.encodeStateAsUpdate(remote, Y.encodeStateVector(store.persistence.doc));
    const emptyDisk = fillDisk();
    // The peer has it anyway: it stays in the doc; this device's own failed save does not.
    await expect(store.applyRemoteUpdate(update, 'peer')).rejects.toThrow(/quota/i);
    await expect(
      store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '5' }] }),
    ).rejects.toThrow(/quota/i);
    emptyDisk();
    await store.recordDonation({ source: 'other', lines: [{ item: rice.id, quantity: '6' }] });
    expect(await onHand(store, rice.id)).toBe(10 + 7 + 6);
    const db = new LarderDB(store.db.name);
    const reloaded = new Y.Doc();
    for (const r of await db.updates.toArray()) Y.applyUpdate(reloaded, r.update);
    db.close();
    const ids = readAllEntries(reloaded).entries.map((e) => `${e.device}.${e.seq}`);
    const me = store.self!.deviceId;
    expect(ids.sort()).toEqual([`${me}.1`, `${me}.2`, `${theirs!.device}.${theirs!.seq}`].sort());
  });
});
