// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { Entry } from '../../shared/entries';
import { envelopesIn, ingestBusy, ingestUpdate } from '../../shared/sync/ingest';
import { LARGE_UPDATE_BYTES, takeInSteps } from '../../renderer/storage/largeUpdates';
import type { LarderStore } from '../../renderer/storage/store';
import { SignedDevice } from './signedDevice';
import { testStores } from './stores';

/**
 * A large update through the store (a whole network's sync file, a relay's backlog, a first sync) is taken
 * in steps (renderer/storage/largeUpdates.ts): every entry counts, and what arrives meanwhile waits for it.
 */
const { device } = testStores('large-update', 41);

/** A hub's device, and what another device of its hub sends it: `batches` appends of 2,500 donations. */
async function hubAndLaptop() {
  const a = await device();
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  const hub = a.self!.hubId!;
  const laptop = await SignedDevice.approvedBy(a, { role: 'hub', hub });
  const donation = (qty: number) =>
    ({
      kind: 'donation',
      hub,
      item: rice.id,
      qty,
      source: 'other',
      at: Date.UTC(2025, 2, 1),
      recordedAt: Date.UTC(2025, 2, 1),
    }) as unknown as Entry;
  /** What `from` (a device of the hub) sends that `a` lacks, after appending `n` donations in batches. */
  const send = async (from: SignedDevice, batches: number, n = 2_500) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    const sv = Y.encodeStateVector(doc);
    for (let b = 0; b < batches; b++)
      await from.append(
        doc,
        Array.from({ length: n }, () => donation(1)),
      );
    return Y.encodeStateAsUpdate(doc, sv);
  };
  const onHand = async (store: LarderStore) => (await store.db.stock.get(`${hub}|${rice.id}`))?.onHand;
  return { a, hub, laptop, send, onHand };
}

describe('a large update', () => {
  it('is taken in steps: its entries count once it resolves, and an update arriving meanwhile is held, then taken', async () => {
    const { a, hub, laptop, send, onHand } = await hubAndLaptop();
    const backRoom = await SignedDevice.approvedBy(a, { role: 'hub', hub });
    const large = await send(laptop, 4);
    expect(large.byteLength).toBeGreaterThan(LARGE_UPDATE_BYTES);
    // Another device's 5 donations, which need nothing of the large update.
    const small = await send(backRoom, 1, 5);

    const taking = a.applyRemoteUpdate(large, 'peer');
    await vi.waitFor(() => expect(ingestBusy(a.persistence.doc)).toBe(true), { interval: 1 });
    // The small update, as y-webrtc hands it over while the large one is being taken: held.
    expect(ingestUpdate(a.persistence.doc, small, 'peer')).toEqual({
      ok: true,
      changed: false,
      pending: true,
    });
    expect(await taking).toMatchObject({ ok: true, changed: true });
    await a.persistence.flush();
    await a.persistence.projected();
    expect(await onHand(a)).toBe(10_005);
  });

  it('over one transaction’s worth of rows is projected a chunk at a time, taken at once or in steps', async () => {
    const { a, laptop, send, onHand } = await hubAndLaptop();
    const update = await send(laptop, 1, 800);
    expect(update.byteLength).toBeLessThan(LARGE_UPDATE_BYTES);
    const left: number[] = [];
    const stop = a.persistence.onBacklog(() => left.push(a.persistence.unprojected));
    expect(await a.applyRemoteUpdate(update, 'peer')).toMatchObject({ ok: true, changed: true });
    stop();
    // Some of it waited in the backlog (counts wait meanwhile), and all of it is in the figures now.
    expect(Math.max(...left)).toBeGreaterThan(300);
    expect(a.persistence.unprojected).toBe(0);
    expect(await onHand(a)).toBe(800);
  });
});

describe('an update with many signed settings', () => {
  /** What an admin device sends `a` after setting `n` items' levels at hub `hub` (each with its version). */
  async function levelsUpdate(a: LarderStore, admin: SignedDevice, hub: string, n: number) {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    const sv = Y.encodeStateVector(doc);
    for (let i = 0; i < n; i++)
      await admin.setting(doc, 'levels', `${hub}|item${String(i).padStart(4, '0')}`, { min: 2, target: 9 });
    return Y.encodeStateAsUpdate(doc, sv);
  }

  it('is taken in steps under 64 kB too (its signatures verified ahead), one with a few at once', async () => {
    const { a, hub } = await hubAndLaptop();
    const admin = await SignedDevice.approvedBy(a, { role: 'admin', hub });
    const many = await levelsUpdate(a, admin, hub, 40);
    expect(many.byteLength).toBeLessThan(LARGE_UPDATE_BYTES);
    expect(envelopesIn(many)).toBe(80);
    expect(takeInSteps(many)).toBe(true);
    const taking = a.applyRemoteUpdate(many, 'peer');
    await vi.waitFor(() => expect(ingestBusy(a.persistence.doc)).toBe(true), { interval: 1 });
    expect(await taking).toMatchObject({ ok: true, changed: true });
    await a.persistence.projected();
    expect(await a.db.levels.count()).toBe(40);

    const few = await levelsUpdate(a, admin, hub, 8);
    expect(envelopesIn(few)).toBe(16);
    expect(takeInSteps(few)).toBe(false);
    // Entries, however many fit under 64 kB, carry no envelope.
    const { send } = await hubAndLaptop();
    const entries = await send(await SignedDevice.approvedBy(a, { role: 'hub', hub }), 1, 300);
    expect(envelopesIn(entries)).toBe(0);
    expect(takeInSteps(entries)).toBe(false);
    expect(envelopesIn(new Uint8Array([1, 2, 3]))).toBe(0);
  });
});
