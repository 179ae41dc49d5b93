// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { describe, expect, it, vi } from 'vitest';
import type { LarderStore } from '../../renderer/storage/store';
import { BehindCheckpointError, PROJECTION_VERSION } from '../../renderer/storage/persistence';
import { makeStoreCheckpoint } from '../../renderer/storage/checkpoint';
import { verifyCheckpoint } from '../../shared/checkpoint/verify';
import { updatePieces } from '../../renderer/storage/pieces';
import { projectedFigures, testStores } from './stores';
import { ledgerOf } from './ledgerTable';
import { membersOf } from '../../shared/doc';
import type * as DocModule from '../../shared/doc';
import { noColumns } from '../../shared/import';
import { runImport } from '../../renderer/app/runImport';

// Counts the store's reads of every entry of its doc (the catch-up's look at which positions it holds).
const wholeReads = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../shared/doc', async (importOriginal) => {
  const actual = await importOriginal<typeof DocModule>();
  return {
    ...actual,
    readAllEntriesPaced: (...args: Parameters<typeof actual.readAllEntriesPaced>) => {
      wholeReads.count++;
      return actual.readAllEntriesPaced(...args);
    },
    eachEntryPaced: (...args: Parameters<typeof actual.eachEntryPaced>) => {
      wholeReads.count++;
      return actual.eachEntryPaced(...args);
    },
  };
});

/**
 * A store started from a checkpoint (DocPersistence.seed, issue 11 point 2): a new device of the network,
 * before its first sync, takes a checkpoint an admin's device made, and shows its figures and history at
 * once. Then the whole doc arrives (as it must: a device's later Yjs structs need its earlier ones), and
 * what the checkpoint covers is not counted a second time; what came after it is. Until the doc holds the
 * whole history behind the checkpoint, nothing is derived from the doc (a rebuild, Check data): asked for,
 * they wait and say why. Once it does, the device is as one that had the history all along.
 *
 * Not here yet (docs/checkpoints.md): how a new device gets a checkpoint (over sync, in a sync file) and the
 * member list it verifies it with (here, the admin's).
 */
const { clock, device, sync, twoHubsWithHistory, reopen } = testStores('cpstart', 50);

const sorted = <T extends { key: string }>(rows: T[]) => rows.sort((x, y) => (x.key < y.key ? -1 : 1));

const figures = projectedFigures;

const network = twoHubsWithHistory;

/**
 * The admin's checkpoint, verified, and a new device of the network joined but not synced nor started from it
 * yet, writing `historyRows` of the checkpoint's rows a transaction when given.
 */
async function joinedWithCheckpoint(a: LarderStore, historyRows?: number) {
  const made = await makeStoreCheckpoint(a, clock.now());
  const verdict = await verifyCheckpoint(made, a.self!.networkId, a.persistence.trust!.memberState!);
  if (!verdict.ok) throw new Error(JSON.stringify(verdict.refusal));
  const c = await device();
  await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Community centre tablet' });
  if (historyRows !== undefined) c.persistence.seedHistoryRows = historyRows;
  // The member log it was verified with, as a bundle carries it (storeCheckpointBundle).
  const members = membersOf(a.persistence.doc).toArray();
  return { c, cp: verdict.checkpoint, rowBytes: made.rows, members };
}

/** A new device of the network, joined but not synced, started from the admin's checkpoint. */
async function startedFromCheckpoint(a: LarderStore, historyRows?: number) {
  const joined = await joinedWithCheckpoint(a, historyRows);
  await joined.c.persistence.seed(joined.cp, joined.rowBytes, joined.members);
  return joined;
}

describe('a device started from a checkpoint', () => {
  it('shows the checkpoint’s figures at once, before any of the history arrives', async () => {
    const { a } = await network();
    const { c } = await startedFromCheckpoint(a);
    expect(c.persistence.doc.getMap('ledgers').size).toBe(0);
    expect(await figures(c)).toEqual(await figures(a));
    expect(c.persistence.behindCheckpoint).toBe(true);
    // Named: the checkpoint's settings, as their writers signed them, are written with its figures.
    const byId = <T extends { id: string }>(rows: T[]) => rows.sort((x, y) => (x.id < y.id ? -1 : 1));
    expect((await c.db.items.toArray()).map((i) => i.name)).toEqual(['Rice']);
    expect(byId(await c.db.items.toArray())).toEqual(byId(await a.db.items.toArray()));
    expect(byId(await c.db.hubs.toArray())).toEqual(byId(await a.db.hubs.toArray()));
    expect(await c.db.hubs.count()).toBe(2);
    expect(await c.db.levels.count()).toBe(1);
    expect(sorted(await c.db.levels.toArray())).toEqual(sorted(await a.db.levels.toArray()));
    expect(await c.db.problems.count()).toBe(0);
    // Nothing is derived from a doc that lacks what the figures hold: asked for, it says why.
    await expect(c.persistence.checkData()).rejects.toBeInstanceOf(BehindCheckpointError);
    await expect(c.persistence.startRebuild()).rejects.toBeInstanceOf(BehindCheckpointError);
    // The figures are untouched by the refusals.
    expect(await figures(c)).toEqual(await figures(a));
  });

  it('counts what came after the checkpoint, not what it covers, through a restart, then is whole', async () => {
    const { a, b, rice, pickup } = await network();
    const { c, cp } = await startedFromCheckpoint(a);
    // After the checkpoint: an undo reaching back before it, a pickup, another hub's donation.
    await a.undo(pickup);
    await a.recordPickup({ lines: [{ item: rice.id, quantity: '7' }] });
    await b.recordDonation({ source: 'business', lines: [{ item: rice.id, quantity: '25' }] });
    await sync(b, a);
    await sync(a, b);
    // A restart in between, into a Larder whose projections changed (as after an update): the device
    // still knows what it started from, and keeps its figures (derived from its doc, they would be empty).
    await c.db.meta.put({ key: 'projection', version: PROJECTION_VERSION - 1, rebuiltAt: 0 });
    const again = await reopen(c);
    await again.ready;
    expect(again.persistence.behindCheckpoint).toBe(true);
    expect((await again.db.stock.toArray()).length).toBeGreaterThan(0);
    // The whole doc, a piece at a time (a device's later structs need its earlier ones). How much of the
    // history behind the checkpoint is in (the sidebar shows it) moves with them, and is gone once all is.
    const covered = again.checkpointProgress!.covered;
    expect(again.checkpointProgress).toEqual({ arrived: 0, covered });
    expect(covered).toBe(cp.covered);
    let heard = 0;
    const off = again.onBacklog(() => heard++);
    const seen: number[] = [];
    const pieces = updatePieces(Y.encodeStateAsUpdate(a.persistence.doc), 2_000);
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces) {
      const r = await again.applyRemoteUpdate(piece, 'peer');
      expect(r.ok, JSON.stringify(r)).toBe(true);
      seen.push(again.checkpointProgress?.arrived ?? covered);
    }
    off();
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen.some((n) => n > 0 && n < covered)).toBe(true);
    expect(again.checkpointProgress).toBeNull();
    expect(heard).toBeGreaterThan(0);
    expect(await figures(again)).toEqual(await figures(a));
    // The doc holds everything behind the checkpoint now: a device like any other, whose projections
    // were then rebuilt in their new version.
    expect(again.persistence.behindCheckpoint).toBe(false);
    expect(await again.db.meta.get('projection')).toMatchObject({ version: PROJECTION_VERSION });
    expect(await again.db.meta.get('checkpoint')).toBeUndefined();
    expect((await again.persistence.checkData()).differences).toEqual([]);
    expect(await again.db.problems.count()).toBe(0);
  });

  it('knows which covered positions its doc brings: whole without reading it again, unless it restarted', async () => {
    const { a } = await network();
    const { c } = await startedFromCheckpoint(a);
    let before = wholeReads.count;
    await sync(a, c);
    expect(c.persistence.behindCheckpoint).toBe(false);
    // Its doc was empty at the start: what each batch brought is all there is (at a million entries, reading
    // them all again was seconds of decoding on the page).
    expect(wholeReads.count - before).toBe(0);
    expect(await figures(c)).toEqual(await figures(a));
    // A start in between forgets the positions (only the counts are kept): the doc is read once for them.
    const { c: d } = await startedFromCheckpoint(a);
    const again = await reopen(d);
    await again.ready;
    before = wholeReads.count;
    await sync(a, again);
    expect(again.persistence.behindCheckpoint).toBe(false);
    expect(wholeReads.count - before).toBe(1);
    expect(await figures(again)).toEqual(await figures(a));
  });

  it('saves its own entries, which the others count; a rebuild asked for meanwhile runs once it is whole', async () => {
    const { a, rice } = await network();
    const { c } = await startedFromCheckpoint(a);
    await expect(c.persistence.startRebuild()).rejects.toBeInstanceOf(BehindCheckpointError);
    expect((await c.db.meta.get('checkpoint')) as unknown).toMatchObject({ rebuild: true });
    await sync(a, c);
    expect(c.persistence.behindCheckpoint).toBe(false);
    // The rebuild asked for ran from the whole doc, and gave the same figures.
    expect(await figures(c)).toEqual(await figures(a));
    await c.chooseHub({ hubId: a.self!.hubId! });
    await c.recordPickup({ lines: [{ item: rice.id, quantity: '3' }] });
    await sync(c, a);
    expect(await figures(a)).toEqual(await figures(c));
    const hub = a.self!.hubId!;
    expect((await a.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(500 - 12 - 3);
  });

  it('takes saves at once: a hub and items known from the checkpoint alone, counted once the history is in', async () => {
    const { a, rice } = await network();
    const { c } = await startedFromCheckpoint(a);
    // Its doc holds none of the hubs and items yet: the checkpoint's projections do.
    expect(c.persistence.doc.getMap('hubs').size).toBe(0);
    const hub = a.self!.hubId!;
    await c.chooseHub({ hubId: hub });
    await expect(c.chooseHub({ hubId: 'nohub000' })).rejects.toThrow(/alreadyHasHub/);
    const saved = await c.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    expect(saved).toHaveLength(1);
    const pickup = await c.recordPickup({ lines: [{ item: rice.id, quantity: '2' }] });
    expect(pickup).toHaveLength(1);
    await expect(
      c.recordDonation({ source: 'individual', lines: [{ item: 'noitem00', quantity: '5' }] }),
    ).rejects.toThrow(/itemUnknown/);
    // Saved, and held until the member list that approves this device arrives with the history; its
    // request, made before the network's operations arrived, is not reported meanwhile.
    expect(c.persistence.doc.getMap('ledgers').size).toBe(1);
    expect(await c.db.problems.toArray()).toEqual([]);
    await sync(a, c);
    await sync(c, a);
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect((await a.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(500 - 12 + 5 - 2);
    expect(await figures(c)).toEqual(await figures(a));
    expect(await c.db.problems.count()).toBe(0);
  });

  it('counts its own saves at once: the member log its checkpoint came with approves it, through a restart', async () => {
    const { a, rice } = await network();
    const { c } = await startedFromCheckpoint(a);
    const hub = a.self!.hubId!;
    const onHand = async (store: LarderStore) => (await store.db.stock.get(`${hub}|${rice.id}`))?.onHand;
    await c.chooseHub({ hubId: hub });
    await c.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    // Its pre-approved request in its doc, the admin's operations in the log that came with the checkpoint:
    // a member, its donation counted, with none of the history arrived.
    expect(c.persistence.doc.getArray('members').length).toBe(1);
    expect(await onHand(c)).toBe(500 - 12 + 5);
    expect((await c.db.members.get(c.self!.deviceId))?.status).toBe('member');
    expect(await c.db.meta.get('checkpointMembers')).toBeDefined();
    const again = await reopen(c);
    await again.ready;
    await again.recordPickup({ lines: [{ item: rice.id, quantity: '2' }] });
    expect(await onHand(again)).toBe(500 - 12 + 5 - 2);
    await sync(a, again);
    await sync(again, a);
    expect(again.persistence.behindCheckpoint).toBe(false);
    // The doc's log is the log now; the lent one is let go, to the same member list as the admin's.
    expect(await again.db.meta.get('checkpointMembers')).toBeUndefined();
    const byDevice = <T extends { device: string }>(rows: T[]) =>
      rows.sort((x, y) => (x.device < y.device ? -1 : 1));
    expect(byDevice(await again.db.members.toArray())).toEqual(byDevice(await a.db.members.toArray()));
    expect(await onHand(a)).toBe(500 - 12 + 5 - 2);
    expect(await figures(again)).toEqual(await figures(a));
    expect(await again.db.problems.count()).toBe(0);
  });

  it('lets the lent log go once the history is in: the doc’s log is the log, as on every other device', async () => {
    const { a, b } = await network();
    // A device the admin approved after the other hub last synced with it: in the log the checkpoint
    // comes with, not in the other hub's doc.
    const d = await device();
    await d.joinNetwork({ invite: await a.inviteCode(), deviceName: 'Spare laptop' });
    await sync(a, d);
    await d.chooseHub({ hubId: a.self!.hubId! });
    await sync(d, a);
    await a.approveDevice(d.self!.deviceId);
    const { c } = await startedFromCheckpoint(a);
    expect((await c.db.members.get(d.self!.deviceId))?.status).toBe('member');
    // The whole history from the other hub, which never saw the approval nor the request.
    await sync(b, c);
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(await c.db.members.get(d.self!.deviceId)).toBeUndefined();
    expect(await b.db.members.get(d.self!.deviceId)).toBeUndefined();
    await sync(a, c);
    expect((await c.db.members.get(d.self!.deviceId))?.status).toBe('member');
  });

  it('counts the new hub it chose before its first sync, once the lent log approves it', async () => {
    const { a, rice } = await network();
    const { c, cp, rowBytes, members } = await joinedWithCheckpoint(a);
    // As a volunteer does on a new laptop: a hub of its own, then the admin's sync file.
    await c.chooseHub({ newHubName: 'Community centre' });
    const hub = c.self!.hubId!;
    expect(await c.db.hubs.get(hub)).toBeUndefined();
    await c.persistence.seed(cp, rowBytes, members);
    expect((await c.db.hubs.get(hub))?.name).toBe('Community centre');
    expect(await c.db.hubs.count()).toBe(3);
    await c.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    expect((await c.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(5);
    await sync(a, c);
    await sync(c, a);
    expect((await a.db.hubs.get(hub))?.name).toBe('Community centre');
    expect((await a.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(5);
    expect(await figures(c)).toEqual(await figures(a));
    expect(await c.db.problems.count()).toBe(0);
  });

  it('holds its own saves until the history approves it, when its checkpoint came without a member log', async () => {
    const { a, rice } = await network();
    const { c, cp, rowBytes } = await joinedWithCheckpoint(a);
    await c.persistence.seed(cp, rowBytes);
    const hub = a.self!.hubId!;
    await c.chooseHub({ hubId: hub });
    await c.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    expect((await c.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(500 - 12);
    expect((await c.db.members.get(c.self!.deviceId))?.status).toBe('requested');
    await sync(a, c);
    expect((await c.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(500 - 12 + 5);
    expect(await c.db.problems.count()).toBe(0);
  });

  it('takes a save between the transactions of its history, not behind them all', async () => {
    const { a, rice } = await network();
    // A longer history: twenty more rows.
    for (let i = 0; i < 20; i++)
      await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '1' }] });
    // A row a transaction: the history takes over twenty.
    const { c, cp } = await startedFromCheckpoint(a, 1);
    const hub = a.self!.hubId!;
    await c.chooseHub({ hubId: hub });
    await c.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    // Saved with some of the history still to write (how much depends on how busy the machine is: the
    // history goes on writing while the save is made; at a start behind all of it, none would be left).
    const meta = (await c.db.meta.get('checkpoint')) as { history?: number } | undefined;
    expect(meta?.history).toBeLessThan(cp.head.rowCount);
    await c.persistence.seedHistoryWritten();
    expect(await c.db.meta.get('checkpoint')).not.toHaveProperty('history');
    await sync(a, c);
    await sync(c, a);
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(await figures(c)).toEqual(await figures(a));
    expect((await a.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(500 - 12 + 20 + 5);
    expect(await c.db.problems.count()).toBe(0);
  });

  it('writes the rest of its history first when what arrives refers to it, or completes it', async () => {
    const { a, rice, pickup } = await network();
    const { c, cp, rowBytes } = await joinedWithCheckpoint(a, 1);
    // After the checkpoint, an undo of a pickup it covers; the doc arrives at once, before the history
    // rows are written: the undo needs its target's row, and the device is whole only with every row.
    await a.undo(pickup);
    await a.recordPickup({ lines: [{ item: rice.id, quantity: '7' }] });
    await c.persistence.seed(cp, rowBytes);
    await sync(a, c);
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(await figures(c)).toEqual(await figures(a));
    expect((await ledgerOf(c.db).get(pickup))?.reversedBy).toBeDefined();
    expect((await c.persistence.checkData()).differences).toEqual([]);
    expect(await c.db.problems.count()).toBe(0);
  });

  it('writes the rest of its history before an undo that reaches into it, its doc not whole yet', async () => {
    const { a, b, pickup } = await network();
    const { c, cp, rowBytes } = await joinedWithCheckpoint(a, 1);
    await a.undo(pickup);
    await c.persistence.seed(cp, rowBytes);
    // The admin's doc without the other hub's device's writes: the checkpoint covers that device, whose
    // history has not arrived, so the doc is not whole; only the undo needs the rest of the rows now.
    const other = b.persistence.doc.clientID;
    const without = encoding.createEncoder();
    encoding.writeVarUint(without, 1);
    encoding.writeVarUint(without, other);
    encoding.writeVarUint(without, Y.getState(a.persistence.doc.store, other));
    const update = Y.encodeStateAsUpdate(a.persistence.doc, encoding.toUint8Array(without));
    const r = await c.applyRemoteUpdate(update, 'peer');
    expect(r.ok, JSON.stringify(r)).toBe(true);
    expect(c.persistence.behindCheckpoint).toBe(true);
    expect((await ledgerOf(c.db).get(pickup))?.reversedBy).toBeDefined();
    expect(await figures(c)).toEqual(await figures(a));
    await sync(a, c);
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(await figures(c)).toEqual(await figures(a));
    expect(await c.db.problems.count()).toBe(0);
  });

  it('does not wait for a checkpoint’s rows in a write queued before the start that reads them', async () => {
    const { a, pickup } = await network();
    await a.undo(pickup);
    const { c, cp, rowBytes, members } = await joinedWithCheckpoint(a, 1);
    // The next write (the history, with an undo in it) held at its start until the seed is queued behind it.
    const persistence = c.persistence as unknown as { write: (...args: unknown[]) => Promise<void> };
    const write = persistence.write.bind(persistence);
    let reached!: () => void;
    const atWrite = new Promise<void>((resolve) => (reached = resolve));
    let go!: () => void;
    const held = new Promise<void>((resolve) => (go = resolve));
    persistence.write = async (...args) => {
      persistence.write = write;
      reached();
      await held;
      return write(...args);
    };
    const arriving = c.applyRemoteUpdate(Y.encodeStateAsUpdate(a.persistence.doc), 'peer');
    await atWrite;
    // Its rows are known (and not written) from here; the write ahead of the start needs none of them.
    const seeding = c.persistence.seed(cp, rowBytes, members);
    go();
    expect((await arriving).ok).toBe(true);
    await expect(seeding).rejects.toThrow(/no entries yet/);
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(await figures(c)).toEqual(await figures(a));
    expect(await c.db.problems.count()).toBe(0);
  });

  it('writes the rest of its history before it is whole, when its doc is', async () => {
    const { a } = await network();
    const { c } = await startedFromCheckpoint(a, 1);
    await sync(a, c);
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(await figures(c)).toEqual(await figures(a));
    expect((await c.persistence.checkData()).differences).toEqual([]);
  });

  it('checks a new item’s name against its checkpoint’s catalog, and edits an item known from it alone', async () => {
    const { a, rice } = await network();
    const { c } = await startedFromCheckpoint(a);
    await c.chooseHub({ hubId: a.self!.hubId! });
    const form = { name: ' rice ', category: 'Food', unit: 'bag', packSize: '', barcodes: '' };
    await expect(c.saveItem(form)).rejects.toThrow(/nameTaken/);
    expect(c.persistence.doc.getMap('items').size).toBe(0);
    // A scanner's unknown code, added to an item the doc does not hold yet.
    const scanned = await c.attachBarcode(rice.id, '4006381333931');
    expect(scanned).toMatchObject({ id: rice.id, name: 'Rice', barcodes: ['4006381333931'] });
    expect((await c.db.items.get(rice.id))?.barcodes).toEqual(['4006381333931']);
    await sync(a, c);
    await sync(c, a);
    expect((await a.db.items.get(rice.id))?.barcodes).toEqual(['4006381333931']);
    expect(await figures(c)).toEqual(await figures(a));
    expect(await c.db.problems.count()).toBe(0);
  });

  it('imports a sheet against its checkpoint’s catalog: an item it names is matched, not made again', async () => {
    const { a, rice } = await network();
    const { c } = await startedFromCheckpoint(a);
    const hub = a.self!.hubId!;
    await c.chooseHub({ hubId: hub });
    const sheet = {
      header: ['Item', 'Quantity'],
      rows: [
        { line: 2, cells: ['Rice', '480'] },
        { line: 3, cells: ['Beans', '10'] },
      ],
      delimiter: ',',
      blankRows: 0,
    };
    const outcome = await runImport(c, sheet, { ...noColumns(), item: 0, quantity: 1 }, 'stock.csv');
    expect(outcome.failed).toBeUndefined();
    expect(outcome.created.map((i) => i.name)).toEqual(['Beans']);
    expect((await c.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(480);
    await sync(a, c);
    await sync(c, a);
    expect((await a.db.stock.get(`${hub}|${rice.id}`))?.onHand).toBe(480);
    expect(await figures(c)).toEqual(await figures(a));
  });

  it('is told a hub it knows of neither from its doc nor from its checkpoint', async () => {
    const { a } = await network();
    const { c } = await startedFromCheckpoint(a);
    await expect(c.chooseHub({ hubId: 'nohub000' })).rejects.toThrow(/hubUnknown/);
  });

  it('runs a rebuild asked for while behind once the history is in, also after a restart', async () => {
    const { a } = await network();
    const { c } = await startedFromCheckpoint(a);
    const seededAt = (await c.db.meta.get('projection')) as { rebuiltAt: number };
    await expect(c.persistence.startRebuild()).rejects.toBeInstanceOf(BehindCheckpointError);
    const again = await reopen(c);
    await again.ready;
    clock.advance(60_000);
    await sync(a, again);
    await again.persistence.rebuilt();
    expect(again.persistence.behindCheckpoint).toBe(false);
    expect(await again.db.meta.get('projection')).toMatchObject({ rebuiltAt: seededAt.rebuiltAt + 60_000 });
    expect(await figures(again)).toEqual(await figures(a));
  });

  it('runs a rebuild asked for while behind at the next start, should the app close as the history is in', async () => {
    const { a } = await network();
    const { c } = await startedFromCheckpoint(a);
    const seededAt = (await c.db.meta.get('projection')) as { rebuiltAt: number };
    await expect(c.persistence.startRebuild()).rejects.toBeInstanceOf(BehindCheckpointError);
    clock.advance(60_000);
    // The app closes between the history's commit and the rebuild it asked for: the rebuild never starts.
    const started: string[] = [];
    c.persistence.startRebuild = () => {
      started.push('rebuild');
      return new Promise<never>(() => undefined);
    };
    await sync(a, c);
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(started).toEqual(['rebuild']);
    const again = await reopen(c, async (db) => {
      // What the next start reads: the checkpoint gone, the projection marked as not whole.
      expect(await db.meta.get('checkpoint')).toBeUndefined();
      expect(await db.meta.get('projection')).toMatchObject({ incomplete: true });
    });
    await again.ready;
    await again.persistence.rebuilt();
    expect(await again.db.meta.get('projection')).toMatchObject({ rebuiltAt: seededAt.rebuiltAt + 60_000 });
    expect(await again.db.meta.get('projection')).not.toHaveProperty('incomplete');
    expect(await figures(again)).toEqual(await figures(a));
  });

  it('writes its figures first and its history after, going on with it at the next start', async () => {
    const { a } = await network();
    const cp = await makeStoreCheckpoint(a, clock.now());
    const verdict = await verifyCheckpoint(cp, a.self!.networkId, a.persistence.trust!.memberState!);
    if (!verdict.ok) throw new Error(JSON.stringify(verdict.refusal));
    const c = await device();
    await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Community centre tablet' });
    // Two rows a transaction: the checkpoint's seven rows take four.
    c.persistence.seedHistoryRows = 2;
    await c.persistence.seed(verdict.checkpoint, cp.rows);
    // The figures are there when it resolves; the history is not all written yet.
    expect(sorted(await c.db.stock.toArray())).toEqual(sorted(await a.db.stock.toArray()));
    // Closed then: its history half written, the rows kept; the next start goes on with them.
    const again = await reopen(c, async (db) => {
      expect(((await db.meta.get('checkpoint')) as { history?: number } | undefined)?.history).toBeLessThan(
        7,
      );
      expect(await db.meta.get('checkpointRows')).toBeDefined();
    });
    await again.ready;
    await again.persistence.seedHistoryWritten();
    expect(await again.db.meta.get('checkpointRows')).toBeUndefined();
    expect(await again.db.meta.get('checkpoint')).not.toHaveProperty('history');
    expect(await figures(again)).toEqual(await figures(a));
    await sync(a, again);
    expect(again.persistence.behindCheckpoint).toBe(false);
    expect(await figures(again)).toEqual(await figures(a));
    // The covered entries that came with the doc were not counted again (a second count is a problem).
    expect(await again.db.problems.count()).toBe(0);
  });

  it('is refused on a device that holds entries already', async () => {
    const { a, b } = await network();
    const cp = await makeStoreCheckpoint(a, clock.now());
    const verdict = await verifyCheckpoint(cp, a.self!.networkId, a.persistence.trust!.memberState!);
    if (!verdict.ok) throw new Error(JSON.stringify(verdict.refusal));
    const before = await figures(b);
    await expect(b.persistence.seed(verdict.checkpoint, cp.rows)).rejects.toThrow(/no entries yet/);
    expect(await figures(b)).toEqual(before);
    expect(b.persistence.behindCheckpoint).toBe(false);
    expect(b.persistence.mayStartFromCheckpoint).toBe(false);
  });

  it('reads its rows in steps, other tasks running between them, and is refused if entries came meanwhile', async () => {
    const { a } = await network();
    const join = async () => {
      const { c, cp, rowBytes } = await joinedWithCheckpoint(a);
      const seed = () => c.persistence.seed(cp, rowBytes);
      // Two rows a step, other tasks let run after each.
      let pauses = 0;
      c.persistence.seedReading = {
        every: 2,
        pace: {
          sliceMs: 0,
          pause: () =>
            new Promise((resolve) =>
              setTimeout(() => {
                pauses++;
                resolve();
              }, 0),
            ),
        },
      };
      return { c, seed, rowCount: cp.head.rowCount, pauses: () => pauses };
    };
    const quiet = await join();
    await quiet.seed();
    // A pause after the digest is checked, then one between each two rows.
    const rowCount = quiet.rowCount;
    expect(rowCount).toBeGreaterThan(4);
    expect(quiet.pauses()).toBe(Math.ceil(rowCount / 2));
    expect(await figures(quiet.c)).toEqual(await figures(a));

    // The doc is sent while the rows are read: the device no longer starts empty, and the checkpoint is
    // not taken (nothing of it written); the history counts instead, to the same figures.
    const busy = await join();
    const seeding = busy.seed();
    const arrived = sync(a, busy.c);
    await expect(seeding).rejects.toThrow(/no entries yet/);
    await arrived;
    expect(busy.pauses()).toBeGreaterThan(0);
    expect(busy.c.persistence.behindCheckpoint).toBe(false);
    expect(await busy.c.db.meta.get('checkpointRows')).toBeUndefined();
    expect(await figures(busy.c)).toEqual(await figures(a));
    expect(await busy.c.db.problems.count()).toBe(0);
  });

  it('is refused a second time, before the history behind the first is in', async () => {
    const { a } = await network();
    const { c, cp, rowBytes } = await startedFromCheckpoint(a);
    expect(c.persistence.doc.getMap('ledgers').size).toBe(0);
    expect(c.persistence.mayStartFromCheckpoint).toBe(false);
    await expect(c.persistence.seed(cp, rowBytes)).rejects.toThrow(/no entries yet/);
    expect(c.persistence.behindCheckpoint).toBe(true);
    expect(await figures(c)).toEqual(await figures(a));
  });
});
