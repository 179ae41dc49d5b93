// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Entry } from '../../shared/entries';
import { readGates } from '../../renderer/storage/gateRows';
import { LARGE_UPDATE_BYTES } from '../../renderer/storage/largeUpdates';
import { updatePieces } from '../../renderer/storage/pieces';
import { readMembers } from '../../renderer/data/members';
import type { LarderStore } from '../../renderer/storage/store';
import { SignedDevice } from './signedDevice';
import { testStores } from './stores';

/**
 * The gate's candidates beyond each device's verified chain, on disk (renderer/storage/gateRows.ts): a
 * history that arrives in pieces before the head that signs its end waits whole, and each piece adds only
 * its own entries to the disk (written again each time, the wait grew with the square of the history: a
 * million entries took 13 minutes to import without a checkpoint). What waits is there after a restart.
 */
const { device, sync, reopen } = testStores('gate-rows', 52);

async function hubAndLaptop() {
  const a = await device();
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  const hub = a.self!.hubId!;
  const laptop = await SignedDevice.approvedBy(a, { role: 'hub', hub, name: 'Back room laptop' });
  const donations = (n: number) =>
    Array.from(
      { length: n },
      () =>
        ({
          kind: 'donation',
          hub,
          item: rice.id,
          qty: 1,
          source: 'other',
          at: Date.UTC(2025, 2, 1),
          recordedAt: Date.UTC(2025, 2, 1),
        }) as unknown as Entry,
    );
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
  const onHand = async (store: LarderStore) => (await store.db.stock.get(`${hub}|${rice.id}`))?.onHand ?? 0;
  return { a, laptop, doc, donations, onHand };
}

const settled = async (store: LarderStore) => {
  await store.persistence.flush();
  await store.persistence.projected();
};

describe('the entries waiting at the gate', () => {
  it('of a long history signed at its end are stored a piece at a time as it arrives, each once', async () => {
    const { a, laptop, doc, donations, onHand } = await hubAndLaptop();
    const sv = Y.encodeStateVector(doc);
    await laptop.append(doc, donations(12_000));
    const update = Y.encodeStateAsUpdate(doc, sv);
    expect(update.byteLength).toBeGreaterThan(LARGE_UPDATE_BYTES);
    let parts = 0;
    let written = 0;
    a.db.gatePending.hook('creating', (_key, row) => {
      parts++;
      written += row.entries.length;
    });
    // In pieces, each taken and stored before the next (as a large update is taken, on a quiet machine).
    const pieces = updatePieces(update, 32 * 1024);
    expect(pieces.length).toBeGreaterThan(4);
    for (const piece of pieces) {
      expect(await a.applyRemoteUpdate(piece, 'peer')).toMatchObject({ ok: true });
      await settled(a);
    }
    expect(await onHand(a)).toBe(12_000);
    // It waited for its head, a part a piece, and each piece's entries were written once.
    expect(parts).toBeGreaterThan(1);
    expect(written).toBeLessThanOrEqual(12_000);
    // Nothing waits once it counts.
    expect(await a.db.gatePending.count()).toBe(0);
    expect(await a.db.gate.get(laptop.id)).toMatchObject({ waiting: 0, parts: 0 });
  });

  it('are there after a restart, shown as waiting, and count once their head arrives', async () => {
    const { a, laptop, doc, donations, onHand } = await hubAndLaptop();
    laptop.appendUnsigned(doc, donations(300));
    await sync(doc, a);
    await settled(a);
    laptop.appendUnsigned(doc, donations(200));
    await sync(doc, a);
    await settled(a);
    expect(await onHand(a)).toBe(0);
    // Two pieces, two parts; the row says how many wait.
    expect(await a.db.gatePending.count()).toBe(2);
    expect(await a.db.gate.get(laptop.id)).toMatchObject({ waiting: 500, parts: 2 });
    const again = await reopen(a);
    await again.ready;
    const waiting = (await readGates(again.db)).gates.find((g) => g.device === laptop.id)!;
    expect(waiting.pending.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, k) => k + 1));
    const members = await readMembers(again);
    expect(members.find((m) => m.device === laptop.id)).toMatchObject({ held: 500, entriesSeen: 0 });
    // A third piece after the restart adds a part of its own.
    laptop.appendUnsigned(doc, donations(100));
    await sync(doc, again);
    await settled(again);
    expect(await again.db.gate.get(laptop.id)).toMatchObject({ waiting: 600, parts: 3 });
    await laptop.signHead(doc);
    await sync(doc, again);
    await settled(again);
    expect(await onHand(again)).toBe(600);
    expect(await again.db.gatePending.count()).toBe(0);
    expect(await again.db.gate.get(laptop.id)).toMatchObject({ waiting: 0, parts: 0, decided: 600 });
    // Check data finds the disk as a rebuild derives it.
    expect((await again.persistence.checkData()).differences).toEqual([]);
  });
});
