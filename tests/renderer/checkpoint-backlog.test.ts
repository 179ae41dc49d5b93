// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { LarderDB } from '../../renderer/storage/db';
import { makeStoreCheckpoint, seedFromCheckpoint } from '../../renderer/storage/checkpoint';
import type { LarderStore } from '../../renderer/storage/store';
import { PROJECTION_VERSION } from '../../renderer/storage/persistence';
import { CheckpointError } from '../../shared/checkpoint/make';
import { checkpointRows, verifyCheckpoint } from '../../shared/checkpoint/verify';
import { FakeClock, openReplica, PEER, Prng } from './replicas';

/**
 * A store projects a large update a chunk at a time (past 20,000 entries in the app; two entries per
 * transaction at odd replicas here): the gate's positions are written with the first chunk, the ledger
 * and stock rows of the rest after. A checkpoint made meanwhile must not cover positions whose entries are
 * not in its rows yet: a device starting from it would skip them for good.
 */
const clock = new FakeClock();
const rng = new Prng(31);
let stores: LarderStore[] = [];
afterEach(() => {
  for (const s of stores) s.close();
  stores = [];
});

const onHand = async (db: LarderDB) =>
  Object.fromEntries((await db.stock.toArray()).map((r) => [r.key, r.onHand]).sort());

describe('a checkpoint made while a large update is still being projected', () => {
  it('covers only what its rows hold: a device seeded from it, plus the rest, has the whole figures', async () => {
    const admin = (await openReplica(0, clock, rng, 'cp-backlog')).store;
    // Index 1: projects any update of more than two entries two entries per transaction.
    const coordinator = (await openReplica(1, clock, rng, 'cp-backlog')).store;
    stores = [admin, coordinator];
    const send = (from: LarderStore, to: LarderStore) =>
      to.applyRemoteUpdate(
        Y.encodeStateAsUpdate(from.persistence.doc, Y.encodeStateVector(to.persistence.doc)),
        PEER,
      );
    await admin.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const rice = await admin.saveItem({
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    await coordinator.joinNetwork({
      invite: await admin.preApprovedInvite(),
      deviceName: 'Coordinator',
      asCoordinator: true,
    });
    await send(coordinator, admin);
    await send(admin, coordinator);
    for (let i = 1; i <= 12; i++) {
      clock.advance(60_000);
      await admin.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: String(i) }] });
    }

    // Twelve entries in one update; the checkpoint is asked for as soon as the update is taken.
    const arriving = send(admin, coordinator);
    const made = makeStoreCheckpoint(coordinator, clock.now());
    expect((await arriving).ok).toBe(true);
    const checkpoint = await made;
    await coordinator.persistence.projected();
    expect(await onHand(coordinator.db)).toEqual(await onHand(admin.db));

    const members = await admin.persistence.trust!.currentMembers();
    const verdict = await verifyCheckpoint(checkpoint, admin.self!.networkId, members);
    if (!verdict.ok) throw new Error(JSON.stringify(verdict.refusal));
    const rows = checkpointRows(verdict.checkpoint, checkpoint.rows);
    if (!rows.ok) throw new Error(JSON.stringify(rows.refusal));
    const fresh = new LarderDB(`larder-cp-backlog-fresh-${process.pid}`);
    await fresh.open();
    await seedFromCheckpoint(fresh, verdict.checkpoint, rows.rows);
    // Every position it covers is in its rows, and nothing of the admin's is left to arrive after it:
    // the seeded figures are the whole history's.
    const cover = verdict.checkpoint.head.covers.find((c) => c.device === admin.self!.deviceId);
    const counted = rows.rows.filter((r) => r.device === admin.self!.deviceId).length;
    expect(counted, `rows of the admin's entries vs the position covered`).toBe(cover?.seq ?? 0);
    // It waited for the update to be projected: it covers all twelve, with their figures.
    expect(cover?.seq).toBe(12);
    expect(await onHand(fresh)).toEqual(await onHand(admin.db));
    fresh.close();
  });

  it('is refused, naming why, while the projection says it is incomplete', async () => {
    const admin = (await openReplica(0, clock, rng, 'cp-incomplete')).store;
    stores = [admin];
    await admin.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    // As a device stopped halfway through a rebuild, or a large update whose last chunk failed, leaves it.
    await admin.db.meta.put({
      key: 'projection',
      version: PROJECTION_VERSION,
      rebuiltAt: 0,
      incomplete: true,
    });
    const made = makeStoreCheckpoint(admin, clock.now());
    await expect(made).rejects.toThrow(CheckpointError);
    await expect(made).rejects.toThrow(/still being added to the figures/);
  });
});
