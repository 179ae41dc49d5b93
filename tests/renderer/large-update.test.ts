// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { Entry } from '../../shared/entries';
import { ingestBusy, ingestUpdate } from '../../shared/sync/ingest';
import { LARGE_UPDATE_BYTES } from '../../renderer/storage/largeUpdates';
import { SignedDevice } from './signedDevice';
import { testStores } from './stores';

/**
 * A large update through the store (a whole network's sync file, a relay's backlog, a first sync) is taken
 * in steps (renderer/storage/largeUpdates.ts): every entry counts, and what arrives meanwhile waits for it.
 */
const { device } = testStores('large-update', 41);

describe('a large update', () => {
  it('is taken in steps: its entries count once it resolves, and an update arriving meanwhile is held, then taken', async () => {
    const a = await device();
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const rice = await a.saveItem({
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    const hub = a.self!.hubId!;
    const laptop = await SignedDevice.approvedBy(a, { role: 'hub', hub });
    const backRoom = await SignedDevice.approvedBy(a, { role: 'hub', hub });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    const sv = Y.encodeStateVector(doc);
    const base = {
      kind: 'donation',
      hub,
      item: rice.id,
      at: Date.UTC(2025, 2, 1),
      recordedAt: Date.UTC(2025, 2, 1),
    };
    for (let batch = 0; batch < 4; batch++)
      await laptop.append(
        doc,
        Array.from({ length: 2_500 }, () => ({ ...base, qty: 1, source: 'other' }) as unknown as Entry),
      );
    const large = Y.encodeStateAsUpdate(doc, sv);
    expect(large.byteLength).toBeGreaterThan(LARGE_UPDATE_BYTES);
    // Another device's donation, which needs nothing of the large update.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(a.persistence.doc));
    const osv = Y.encodeStateVector(other);
    await backRoom.append(other, [{ ...base, qty: 5, source: 'other' } as unknown as Entry]);
    const small = Y.encodeStateAsUpdate(other, osv);

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
    expect((await a.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(10_005);
  });

  it('over one transaction’s worth of rows is projected a chunk at a time, even under 20,000 entries', async () => {
    const a = await device();
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const rice = await a.saveItem({
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    const hub = a.self!.hubId!;
    const laptop = await SignedDevice.approvedBy(a, { role: 'hub', hub });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    const sv = Y.encodeStateVector(doc);
    const base = {
      kind: 'donation',
      hub,
      item: rice.id,
      at: Date.UTC(2025, 2, 1),
      recordedAt: Date.UTC(2025, 2, 1),
    };
    await laptop.append(
      doc,
      Array.from({ length: 3_000 }, () => ({ ...base, qty: 1, source: 'other' }) as unknown as Entry),
    );
    const update = Y.encodeStateAsUpdate(doc, sv);
    expect(update.byteLength).toBeLessThan(LARGE_UPDATE_BYTES);
    const left: number[] = [];
    const stop = a.persistence.onBacklog(() => left.push(a.persistence.unprojected));
    expect(await a.applyRemoteUpdate(update, 'peer')).toMatchObject({ ok: true, changed: true });
    stop();
    // Some of it waited in the backlog (counts wait meanwhile), and all of it is in the figures now.
    expect(Math.max(...left)).toBeGreaterThan(1_000);
    expect(a.persistence.unprojected).toBe(0);
    expect((await a.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(3_000);
  });
});
