// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { makeStoreCheckpoint, seedFromCheckpoint } from '../../renderer/storage/checkpoint';
import { checkpointRows, verifyCheckpoint } from '../../shared/checkpoint/verify';
import { FakeClock, Prng, START } from './replicas';

/**
 * Checkpoints between real stores: an admin's device makes one from its IndexedDB, another device of the
 * network verifies it with its own member list, and a new, empty database seeded from it shows the same
 * stock, days of use and history effects, and its gate goes on from where the checkpoint stops.
 */
let opened: LarderStore[] = [];
let n = 0;
const clock = new FakeClock(START);
const rng = new Prng(11);

async function device(): Promise<LarderStore> {
  const random = rng.fork();
  const store = await LarderStore.open(new LarderDB(`larder-checkpoint-${process.pid}-${++n}`), {
    now: clock.now,
    randomBytes: (k) => random.bytes(k),
  });
  await store.ready;
  opened.push(store);
  return store;
}

afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

async function sync(from: LarderStore, to: LarderStore): Promise<void> {
  const update = Y.encodeStateAsUpdate(from.persistence.doc, Y.encodeStateVector(to.persistence.doc));
  const r = await to.applyRemoteUpdate(update, 'peer');
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

/** An admin's hub and a second hub's device, each with donations, a pickup and an undo, in sync. */
async function network() {
  const a = await device();
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '500' }] });
  const mistaken = await a.recordDonation({ source: 'business', lines: [{ item: rice.id, quantity: '39' }] });
  clock.advance(3_600_000);
  await a.recordPickup({ lines: [{ item: rice.id, quantity: '12' }] });
  await a.undo(`${mistaken[0]!.device}.${mistaken[0]!.seq}`);
  const b = await device();
  await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Church laptop' });
  await sync(a, b);
  await b.chooseHub({ newHubName: 'Westside Church' });
  await sync(b, a);
  await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '100' }] });
  await sync(b, a);
  await sync(a, b);
  return { a, b, rice };
}

const sorted = <T extends { key: string }>(rows: T[]) => rows.sort((x, y) => (x.key < y.key ? -1 : 1));

describe('a checkpoint made from a store', () => {
  it('is accepted by another device and seeds an empty database with the same figures', async () => {
    const { a, b } = await network();
    const cp = await makeStoreCheckpoint(a, clock.now());
    const v = await verifyCheckpoint(cp, a.self!.networkId, b.persistence.trust!.memberState!);
    if (!v.ok) throw new Error(JSON.stringify(v.refusal));
    const rows = checkpointRows(v.checkpoint, cp.rows);
    if (!rows.ok) throw new Error(JSON.stringify(rows.refusal));

    const fresh = new LarderDB(`larder-checkpoint-fresh-${process.pid}-${++n}`);
    await fresh.open();
    await seedFromCheckpoint(fresh, v.checkpoint, rows.rows);
    expect(sorted(await fresh.stock.toArray())).toEqual(sorted(await a.db.stock.toArray()));
    expect(sorted(await fresh.usage.toArray())).toEqual(sorted(await a.db.usage.toArray()));
    const effects = async (db: LarderDB) =>
      Object.fromEntries((await db.ledger.toArray()).map((r) => [r.id, [r.applied, r.reversedBy ?? null]]));
    expect(await effects(fresh)).toEqual(await effects(a.db));
    const positions = async (db: LarderDB) =>
      Object.fromEntries((await db.gate.toArray()).map((g) => [g.device, [g.chain.seq, g.decided]]));
    expect(await positions(fresh)).toEqual(await positions(a.db));
    fresh.close();
  });

  it('from a hub device is refused: it may state only its own hub', async () => {
    const { a, b } = await network();
    const cp = await makeStoreCheckpoint(b, clock.now());
    const v = await verifyCheckpoint(cp, a.self!.networkId, a.persistence.trust!.memberState!);
    expect(v).toMatchObject({ ok: false, refusal: { code: 'checkpoint.makerRole' } });
  });
});
