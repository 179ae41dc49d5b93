// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { ledgerOf } from './ledgerTable';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { makeStoreCheckpoint, seedFromCheckpoint } from '../../renderer/storage/checkpoint';
import { checkpointRows, verifyCheckpoint } from '../../shared/checkpoint/verify';
import { coveredBy, gateStates, seedProjector } from '../../shared/checkpoint/seed';
import { headsOf, readAllEntries } from '../../shared/doc';
import { idOf, type Entry } from '../../shared/entries';
import { ValidationError } from '../../shared/errors';
import { Gate } from '../../shared/trust/gate';
import { verifyHeads } from '../../shared/trust/heads';
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
    // The network view's rows too: a coordinator started from a checkpoint opens Network on them.
    expect(await fresh.onHand.count()).toBeGreaterThan(0);
    expect(sorted(await fresh.onHand.toArray())).toEqual(sorted(await a.db.onHand.toArray()));
    // And the stock screen's.
    expect(await fresh.shelf.count()).toBe(await a.db.stock.count());
    expect(sorted(await fresh.shelf.toArray())).toEqual(sorted(await a.db.shelf.toArray()));
    const effects = async (db: LarderDB) =>
      Object.fromEntries(
        (await ledgerOf(db).toArray()).map((r) => [r.id, [r.applied, r.reversedBy ?? null]]),
      );
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

  it('made mid-run by an admin, plus what both hubs record after it, gives the stores’ final figures', async () => {
    const seeds = Number(process.env.CHECKPOINT_SEEDS ?? 3);
    for (let seed = 1; seed <= seeds; seed++) {
      const prng = new Prng(seed);
      const { a, b, rice } = await network();
      const beans = await a.saveItem({
        name: 'Beans',
        category: 'Food',
        unit: 'can',
        packSize: '',
        barcodes: '',
      });
      await sync(a, b);
      const items = [rice.id, beans.id];
      const mine = new Map<LarderStore, Entry[]>([
        [a, []],
        [b, []],
      ]);
      const sent: string[] = [];
      const step = async (store: LarderStore) => {
        const item = prng.pick(items);
        const qty = String(prng.int(1, 20));
        const kind = prng.weighted({
          donation: 4,
          pickup: 3,
          count: 1,
          discard: 1,
          undo: 2,
          send: 1,
          receive: 1,
        });
        clock.advance(prng.int(1, 90) * 60_000);
        let made: Entry[] = [];
        if (kind === 'donation')
          made = await store.recordDonation({ source: 'individual', lines: [{ item, quantity: qty }] });
        else if (kind === 'pickup')
          made = await store.recordPickup({ lines: [{ item, quantity: qty }], acknowledgeBelowZero: true });
        else if (kind === 'count') made = await store.recordCount({ lines: [{ item, counted: qty }] });
        else if (kind === 'discard')
          made = await store.recordDiscard({ reason: 'spoiled', lines: [{ item, quantity: qty }] });
        else if (kind === 'undo') {
          const own = mine.get(store)!.filter((e) => e.kind !== 'reversal' && e.kind !== 'transfer_resolve');
          if (own.length > 0) {
            // The store refuses what the History screen would not offer (already undone, say): skipped.
            const undone = await store.undo(idOf(prng.pick(own))).catch((error: unknown) => {
              if (error instanceof ValidationError) return null;
              throw error;
            });
            if (undone) made = [undone];
          }
        } else if (kind === 'send' && store === a) {
          const out = await a.sendTransfer({
            item,
            to: b.self!.hubId!,
            quantity: qty,
            acknowledgeBelowZero: true,
          });
          sent.push(idOf(out));
          made = [out];
        } else if (kind === 'receive' && store === b && sent.length > 0) {
          const id = prng.pick(sent);
          if ((await b.transfer(id))?.status === 'in transit')
            made = [await b.receiveTransfer(id, String(prng.int(0, 20)))];
        }
        mine.get(store)!.push(...made);
      };
      const run = async (steps: number) => {
        for (let i = 0; i < steps; i++) {
          await step(prng.bool() ? a : b);
          if (prng.bool(0.3)) await sync(a, b);
          if (prng.bool(0.3)) await sync(b, a);
        }
      };
      await run(25);
      const cp = await makeStoreCheckpoint(a, clock.now());
      await run(25);
      await sync(a, b);
      await sync(b, a);

      const members = a.persistence.trust!.memberState!;
      const networkId = a.self!.networkId;
      const v = await verifyCheckpoint(cp, networkId, members);
      if (!v.ok) throw new Error(JSON.stringify(v.refusal));
      const rows = checkpointRows(v.checkpoint, cp.rows);
      if (!rows.ok) throw new Error(JSON.stringify(rows.refusal));
      // A new device: the checkpoint, then every entry it does not cover, through the gate and the projector.
      const { projector } = seedProjector(v.checkpoint.head, rows.rows);
      const gate = new Gate(networkId);
      gate.load(gateStates(v.checkpoint.head.covers));
      const doc = a.persistence.doc;
      const heads = await verifyHeads(networkId, [...headsOf(doc).entries()], members.keys);
      const covered = coveredBy(v.checkpoint.head.covers);
      const result = gate.step({
        entries: readAllEntries(doc).entries.filter((e) => !covered(e)),
        heads: heads.heads,
        members,
        membersChanged: true,
      });
      for (const e of result.release) projector.apply(e);
      const onHand = (stock: { key: string; onHand: number }[]) =>
        Object.fromEntries(stock.filter((s) => s.onHand !== 0).map((s) => [s.key, s.onHand]));
      expect(onHand(projector.allStock()), `seed ${seed}`).toEqual(onHand(await a.db.stock.toArray()));
      expect(onHand(projector.allStock()), `seed ${seed}`).toEqual(onHand(await b.db.stock.toArray()));
      for (const s of opened) s.close();
      opened = [];
    }
  });
});
