// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { appendEntries, readAllEntries } from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { DocPersistence } from '../../renderer/storage/persistence';
import { LarderDB } from '../../renderer/storage/db';
import type { LarderStore } from '../../renderer/storage/store';
import { FakeClock, Prng, openReplica, reopenReplica, type Replica } from './replicas';

/**
 * A save's staging doc is kept for the next save while nothing but saves, and other devices' entries and
 * heads, reached the live doc (persistence.ts `kept`): the saves made in it must give exactly what saves
 * made in fresh staging docs give: the live doc, the disk, and what a peer receives.
 */
let open: LarderStore[] = [];
afterEach(() => {
  for (const s of open) s.close();
  open = [];
});

const keptDoc = (store: LarderStore) =>
  (store.persistence as unknown as { kept: { doc: Y.Doc; changes: number } | null }).kept;

async function pair(seed: number) {
  const clock = new FakeClock();
  const rng = new Prng(seed);
  const replicas: Replica[] = [];
  for (let i = 0; i < 2; i++) replicas.push(await openReplica(i * 2, clock, rng, `kept${seed}`));
  const [a, b] = replicas.map((r) => r.store) as [LarderStore, LarderStore];
  open.push(a, b);
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Back room' });
  const send = async (from: LarderStore, to: LarderStore) => {
    const update = Y.encodeStateAsUpdate(from.persistence.doc, Y.encodeStateVector(to.persistence.doc));
    expect((await to.applyRemoteUpdate(update, 'peer')).ok).toBe(true);
  };
  await send(b, a);
  await send(a, b);
  await b.chooseHub({ hubId: a.self!.hubId! });
  await send(b, a);
  return { a, b, rice, clock, rng, replicas, send };
}

it('saves one after another share a staging doc, and give the doc, the disk and the peer every entry', async () => {
  const { a, b, rice, clock, rng, replicas, send } = await pair(3);
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '500' }] });
  const first = keptDoc(a)!.doc;
  // 70 pickups: the staging doc serves 64 changes, then a new one is built.
  for (let i = 0; i < 70; i++) {
    clock.advance(1000);
    await a.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
    if (i === 10) expect(keptDoc(a)!.doc).toBe(first);
    // A peer's entries (and its signed head): the staging doc is kept across them.
    if (i === 20) {
      await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '7' }] });
      await send(b, a);
      expect(keptDoc(a)!.doc).toBe(first);
    }
    // A peer's setting: the next save is made in a new staging doc, built on it.
    if (i === 30) {
      await b.setLevels(rice.id, { min: '2', target: '9' });
      await send(b, a);
      expect(keptDoc(a)?.doc).not.toBe(first);
    }
  }
  expect(keptDoc(a)!.doc).not.toBe(first);
  const hub = a.self!.hubId!;
  expect((await a.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(500 + 7 - 70);
  // The peer gets every save, and its figures and entries agree.
  await send(a, b);
  await b.persistence.flush();
  expect((await b.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(437);
  const entries = (s: LarderStore) =>
    readAllEntries(s.persistence.doc).entries.map((e) => `${e.device}.${e.seq}`);
  expect(entries(b).sort()).toEqual(entries(a).sort());
  // The disk holds what the live doc holds: a restart gives the same doc and figures.
  await a.persistence.flush();
  a.close();
  const again = (await reopenReplica(replicas[0]!, clock, rng)).store;
  open.push(again);
  expect(entries(again).sort()).toEqual(entries(a).sort());
  expect((await again.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(437);
  expect(await new LarderDB(replicas[0]!.dbName).problems.count()).toBe(0);
});

it('a setting a peer changed is replaced by the next local edit on both devices (the staging doc is not kept over it)', async () => {
  for (const seed of [5, 6, 7, 8]) {
    const { a, b, rice, send } = await pair(seed);
    const hub = a.self!.hubId!;
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    await a.updateHub({ name: 'Eastside', address: '', publishAddress: false });
    await send(a, b);
    await b.updateHub({ name: 'Eastside (back room)', address: '', publishAddress: false }, hub);
    await send(b, a);
    // A edits after it saw B's name: its edit replaces it, as it would with a fresh staging doc.
    await a.updateHub({ name: 'Eastside Pantry', address: '', publishAddress: false });
    await send(a, b);
    for (const s of [a, b]) expect((await s.db.hubs.get(hub))?.name, `seed ${seed}`).toBe('Eastside Pantry');
    for (const s of open.splice(0)) s.close();
  }
});

/** Whether the live doc holds structs it cannot place yet (they build on structs it never got). */
const waiting = (store: LarderStore) => store.persistence.doc.store.pendingStructs !== null;
const ownInDoc = (store: LarderStore) =>
  readAllEntries(store.persistence.doc)
    .entries.filter((e) => e.device === store.self!.deviceId)
    .map((e) => `${e.device}.${e.seq}`);

it('levels signed while a save is flushed: both reach the doc, and every later save too', async () => {
  // The levels are signed (an await) while the donation is saved: the signature used to be written into
  // the staging doc the donation's save had already taken. It was in no commit, the kept doc numbered
  // the next change past the live doc, and every later save of the device waited in the live doc for
  // structs it never got (found by the convergence test, seed 3 with early transfers).
  const { a, b, rice, send } = await pair(11);
  for (let round = 0; round < 8; round++) {
    const donated = await Promise.all([
      a.setLevels(rice.id, { min: String(round), target: String(round + 10) }),
      a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '2' }] }),
      a.setLevels(rice.id, { min: String(round + 1), target: String(round + 11) }),
    ]).then(([, entries]) => entries);
    expect(ownInDoc(a), `round ${round}`).toContain(`${donated[0]!.device}.${donated[0]!.seq}`);
  }
  const [after] = await a.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
  expect(ownInDoc(a)).toContain(`${after!.device}.${after!.seq}`);
  expect(waiting(a)).toBe(false);
  const hub = a.self!.hubId!;
  // One of the last round's two level changes counts (they were made at once), the same at the peer.
  const levels = await a.db.levels.get(`${hub}|${rice.id}`);
  expect([7, 8]).toContain(levels?.min);
  expect(levels?.target).toBe(levels!.min + 10);
  await send(a, b);
  expect(waiting(b)).toBe(false);
  expect((await b.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(15);
  expect(await b.db.levels.get(`${hub}|${rice.id}`)).toEqual(levels);
});

it('a change made in a staging doc after its save began is refused, and the next save is built afresh', async () => {
  const { a, rice } = await pair(12);
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '9' }] });
  // Code holding the staging doc across an await while a save took it (what the guard is for).
  const doc = a.persistence.staging();
  doc.getMap('items').set('late-1', { name: 'x' });
  const saving = a.persistence.flush();
  expect(() => doc.getMap('items').set('late-2', { name: 'y' })).toThrow(/after its save had begun/);
  await saving;
  expect(keptDoc(a)?.doc).not.toBe(doc);
  const [pickup] = await a.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
  expect(ownInDoc(a)).toContain(`${pickup!.device}.${pickup!.seq}`);
  expect(waiting(a)).toBe(false);
  expect(a.persistence.doc.getMap('items').has('late-2')).toBe(false);
});

it('a setting whose held values keep moving past its signature while it is signed is refused with a clear code', async () => {
  const { a, rice } = await pair(13);
  const ctx = (a as unknown as { made: { ctx: object } }).made.ctx;
  // Each look finds a later time due than the one just signed (another change of it landing each time).
  let calls = 0;
  const spy = vi
    .spyOn(ctx as { settingTimes(changes: readonly unknown[]): number[] }, 'settingTimes')
    .mockImplementation((changes) => changes.map(() => 1_000 + calls++));
  try {
    await expect(a.setLevels(rice.id, { min: '1', target: '5' })).rejects.toMatchObject({
      issues: [{ code: 'store.settingChangedMeanwhile' }],
    });
  } finally {
    spy.mockRestore();
  }
  expect(calls).toBe(10);
  await a.setLevels(rice.id, { min: '1', target: '5' });
  expect(await a.db.levels.get(`${a.self!.hubId!}|${rice.id}`)).toMatchObject({ min: 1, target: 5 });
});

it('a staging doc is built in slices after the load, and again after a peer changed a setting, for the next save to be made in', async () => {
  const { a, b, rice, clock, rng, replicas, send } = await pair(21);
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '50' }] });
  await a.persistence.flush();
  a.close();
  const again = (await reopenReplica(replicas[0]!, clock, rng)).store;
  open.push(again);
  // No save yet: one is built and kept, without a save asking for it.
  await vi.waitFor(() => expect(keptDoc(again)).not.toBeNull(), { timeout: 20_000, interval: 50 });
  const prepared = keptDoc(again)!.doc;
  expect(keptDoc(again)!.changes).toBe(0);
  await again.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
  expect(keptDoc(again)!.doc).toBe(prepared);
  // A peer's setting: dropped, then built again on it.
  await b.setLevels(rice.id, { min: '3', target: '9' });
  await send(b, again);
  await vi.waitFor(() => expect(keptDoc(again)?.doc).toBeDefined(), { timeout: 20_000, interval: 50 });
  const rebuilt = keptDoc(again)!.doc;
  expect(rebuilt).not.toBe(prepared);
  await again.recordPickup({ lines: [{ item: rice.id, quantity: '2' }] });
  expect(keptDoc(again)!.doc).toBe(rebuilt);
  // What the saves made reached the doc, the disk and the peer, and counted once.
  const hub = again.self!.hubId!;
  expect((await again.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(47);
  await send(again, b);
  await b.persistence.flush();
  expect((await b.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(47);
  expect(waiting(again)).toBe(false);
  expect(waiting(b)).toBe(false);
  expect(await again.db.problems.count()).toBe(0);
});

it("a staging doc being built in slices when a save comes is not kept: the save's own is, and the next save reaches the doc", async () => {
  const db = new LarderDB(`kept-slices-${process.pid}-${Date.now()}`);
  const now = () => Date.UTC(2026, 0, 10);
  const donation = (seq: number): Entry => ({
    kind: 'donation',
    hub: 'hub00001',
    device: 'dev00001',
    seq,
    item: 'item0001',
    at: now() + seq,
    recordedAt: now() + seq,
    qty: seq,
    source: 'other',
  });
  // Every pause of the slices waits for the test once `hold` is set.
  let hold: Promise<void> | null = null;
  let pauses = 0;
  const persistence = new DocPersistence(db, now, undefined, undefined, {
    sliceMs: 0,
    pause: () => {
      pauses++;
      return hold ?? Promise.resolve();
    },
  });
  try {
    const save = async (seq: number) => {
      appendEntries(persistence.staging(), 'dev00001', [donation(seq)]);
      await persistence.flush();
    };
    await persistence.load();
    await save(1);
    // A peer's setting drops the kept doc; one is then built in slices (a while later), and held in its
    // first pause.
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(persistence.doc));
    peer.getMap('items').set('item0001', { name: 'Rice' });
    Y.applyUpdate(persistence.doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(persistence.doc)), 'peer');
    await persistence.flush();
    expect(keptOf(persistence)).toBeNull();
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const before = pauses;
    await vi.waitFor(() => expect(preparing(persistence) && pauses > before).toBe(true), {
      timeout: 20_000,
      interval: 20,
    });
    // A save meanwhile: made in a staging doc of its own, which is kept.
    await save(2);
    const saved = keptOf(persistence)!.doc;
    hold = null;
    release();
    await vi.waitFor(() => expect(preparing(persistence)).toBe(false), { timeout: 20_000, interval: 20 });
    expect(keptOf(persistence)!.doc).toBe(saved);
    await save(3);
    expect(persistence.doc.store.pendingStructs).toBeNull();
    expect(readAllEntries(persistence.doc).entries.map((e) => e.seq)).toEqual([1, 2, 3]);
  } finally {
    persistence.destroy();
    db.close();
  }
});

const keptOf = (persistence: DocPersistence) =>
  (persistence as unknown as { kept: { doc: Y.Doc } | null }).kept;
const preparing = (persistence: DocPersistence) =>
  (persistence as unknown as { preparingStaging: Promise<void> | null }).preparingStaging !== null;

it('a change after a peer dropped the kept doc waits for one built in slices, and a change that comes while others wait goes on after them', async () => {
  const db = new LarderDB(`kept-pending-${process.pid}-${Date.now()}`);
  const now = () => Date.UTC(2026, 0, 10);
  let pauses = 0;
  const persistence = new DocPersistence(db, now, undefined, undefined, {
    sliceMs: 0,
    pause: () => {
      pauses++;
      return Promise.resolve();
    },
  });
  try {
    await persistence.load();
    appendEntries(persistence.staging(), 'dev00001', [
      {
        kind: 'donation',
        hub: 'hub00001',
        device: 'dev00001',
        seq: 1,
        item: 'item0001',
        at: now(),
        recordedAt: now(),
        qty: 5,
        source: 'other',
      },
    ]);
    await persistence.flush();
    // The save's staging doc is kept: nothing to wait for.
    expect(persistence.stagingPending()).toBeNull();
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(persistence.doc));
    peer.getMap('items').set('item0001', { name: 'Rice' });
    Y.applyUpdate(persistence.doc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(persistence.doc)), 'peer');
    expect(keptOf(persistence)).toBeNull();
    const before = pauses;
    const pending = persistence.stagingPending();
    expect(pending).not.toBeNull();
    // A change that asks once the build is done, before the ones awaiting it went on, waits behind them.
    let asked: Promise<void> | null | undefined;
    void pending!.then(() => {
      asked = persistence.stagingPending();
    });
    await pending;
    expect(asked).not.toBeNull();
    expect(asked).not.toBeUndefined();
    expect(pauses).toBeGreaterThan(before);
    const built = keptOf(persistence)!.doc;
    expect(built.getMap('items').get('item0001')).toEqual({ name: 'Rice' });
    expect(persistence.staging()).toBe(built);
    await persistence.flush();
    // Once they went on, the kept doc serves at once.
    await vi.waitFor(() => expect(persistence.stagingPending()).toBeNull(), { timeout: 20_000, interval: 5 });
  } finally {
    persistence.destroy();
    db.close();
  }
});

it('pickups made together after a peer dropped the kept doc reach the ledger in the order of their numbers', async () => {
  const { a, b, rice, send } = await pair(11);
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '50' }] });
  await b.setLevels(rice.id, { min: '2', target: '9' });
  await send(b, a);
  expect(keptDoc(a)).toBeNull();
  await Promise.all(
    Array.from({ length: 6 }, () => a.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] })),
  );
  const own = readAllEntries(a.persistence.doc)
    .entries.filter((e) => e.device === a.self!.deviceId)
    .map((e) => e.seq);
  expect(own).toEqual([...own].sort((x, y) => x - y));
  expect(own).toHaveLength(7);
  expect((await a.db.stock.get(`${a.self!.hubId!}|${rice.id}`))?.onHand).toBe(44);
  expect(await a.db.problems.count()).toBe(0);
});

it("an admin's member change after a peer dropped the kept doc is made in one built in slices, not at once", async () => {
  const { a, b, rice, send } = await pair(13);
  await b.setLevels(rice.id, { min: '2', target: '9' });
  await send(b, a);
  expect(keptDoc(a)).toBeNull();
  // Each time the change takes its staging doc: was one there to serve, or was it built in that task?
  const persistence = a.persistence as unknown as { staging(): Y.Doc; keptServes(): boolean; open: unknown };
  const served: boolean[] = [];
  const staging = persistence.staging.bind(persistence);
  persistence.staging = () => {
    served.push(persistence.open !== null || persistence.keptServes());
    return staging();
  };
  await a.approveDevice(b.self!.deviceId, 'coordinator');
  expect(served.length).toBeGreaterThan(0);
  expect(served.every(Boolean)).toBe(true);
  expect((await a.db.members.get(b.self!.deviceId))?.role).toBe('coordinator');
  await send(a, b);
  await b.persistence.flush();
  expect((await b.db.members.get(b.self!.deviceId))?.role).toBe('coordinator');
  expect(await a.db.problems.count()).toBe(0);
});
