// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { ledgerOf } from './ledgerTable';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { localCopyOf } from '../../shared/sync/skeleton';
import type { ItemForm } from '../../shared/catalog';
import { itemsOf, ledgersOf } from '../../shared/doc';
import { INGEST_MESSAGES } from '../../shared/sync/ingest';
import { sealSyncFile, SYNC_FILE_MESSAGES } from '../../shared/sync/syncfile';
import { LarderDB } from '../../renderer/storage/db';
import { SignedDevice } from './signedDevice';
import { settingValue } from '../../shared/trust/settings';
import { LarderStore, type StoreDeps } from '../../renderer/storage/store';
import { exportSyncFile, importSyncFile, knownPeers, PACED_EXPORT_FROM } from '../../renderer/sync/syncFiles';
import { msg } from '../../shared/messages';

const START = Date.UTC(2025, 5, 2, 9, 0, 0);

/** mulberry32 bytes: deterministic ids, keys and IVs. */
function prngBytes(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) & 0xff;
  };
  return (n: number) => Uint8Array.from({ length: n }, next);
}

let clock = START;
const now = () => clock;
let dbCount = 0;
const opened: LarderStore[] = [];

/** A device: its own database, seeded randomness and a fixed Yjs client id (distinct per device). */
async function device(seed: number): Promise<LarderStore> {
  const deps: StoreDeps = { now, randomBytes: prngBytes(seed) };
  const store = await LarderStore.open(new LarderDB(`larder-syncfiles-${process.pid}-${++dbCount}`), deps);
  opened.push(store);
  await store.ready;
  store.persistence.doc.clientID = 1000 + seed;
  return store;
}

afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});

const itemForm = (name: string): ItemForm => ({
  name,
  category: 'Food',
  unit: 'bag',
  packSize: '',
  barcodes: '',
});
const opts = (seed: number) => ({ now: clock, randomBytes: prngBytes(seed) });

/** The projection tables, in a canonical order. */
async function projections(store: LarderStore) {
  const db = store.db;
  const byKey = <T>(rows: T[], key: (r: T) => string) => [...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  return {
    stock: byKey(await db.stock.toArray(), (r) => r.key),
    ledger: byKey(await ledgerOf(db).toArray(), (r) => r.id),
    items: byKey(await db.items.toArray(), (r) => r.id),
    hubs: byKey(await db.hubs.toArray(), (r) => r.id),
    devices: byKey(await db.devices.toArray(), (r) => r.id),
    levels: byKey(await db.levels.toArray(), (r) => r.key),
    problems: byKey(await db.problems.toArray(), (r) => r.where),
  };
}

/** Everything on the device, to show an import changed nothing. */
async function everything(store: LarderStore) {
  return {
    ...(await projections(store)),
    updates: await store.db.updates.toArray(),
    meta: await store.db.meta.toArray(),
    sv: Y.encodeStateVector(store.persistence.doc),
    // (A doc started from a checkpoint's skeleton, as a device joined by a full file is, encoded as it is.)
    state: localCopyOf(store.persistence.doc),
  };
}

/** Device A ("Front desk laptop") with a network, two items and three entries. */
async function hubA() {
  const a = await device(1);
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk laptop' });
  const rice = await a.saveItem(itemForm('Rice 2 lb'));
  const beans = await a.saveItem(itemForm('Black beans'));
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '20' }] });
  await a.recordDonation({ source: 'food bank', lines: [{ item: beans.id, quantity: '12' }] });
  await a.recordPickup({ households: '2', lines: [{ item: rice.id, quantity: '5' }] });
  await a.setLevels(rice.id, { min: '5', target: '30' });
  return { a, rice, beans };
}

/** Device B ("Back room tablet"), joined with A's invite, holding A's full file, at a new hub. */
async function joinedB(a: LarderStore) {
  const b = await device(2);
  await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Back room tablet' });
  const full = await exportSyncFile(a, opts(11));
  const imported = await importSyncFile(b, full.bytes, { now: clock });
  return { b, full, imported };
}

describe('sync files between two devices', () => {
  it('carry a whole network to a device that just joined', async () => {
    const { a } = await hubA();
    const { b, full, imported } = await joinedB(a);
    // No device, hub or network name or id in a file's name: the date and a random part only.
    expect(full.fileName).toMatch(/^larder-sync-2025-06-02-[0-9a-z]{6}\.larder-sync$/);
    expect(full.fileName).not.toContain(a.self!.networkId.slice(0, 6));
    expect(full.fileName).not.toMatch(/front|desk|laptop/i);
    expect(full).toMatchObject({ entries: 3, since: false });
    expect(imported).toEqual({
      ok: true,
      newEntries: 3,
      from: 'Front desk laptop',
      message: msg('syncFile.imported', { count: 3, from: 'Front desk laptop' }),
      // A's an admin: its full file carries a checkpoint, and B, new, started from it.
      notes: [msg('syncFile.fromCheckpoint', { from: 'Front desk laptop' })],
    });
    expect(full.checkpointCovers).toBe(3);
    expect(b.persistence.behindCheckpoint).toBe(false);
    expect(await projections(b)).toEqual(await projections(a));
    expect((await projections(b)).ledger).toHaveLength(3);
    expect(Y.encodeStateVector(b.persistence.doc)).toEqual(Y.encodeStateVector(a.persistence.doc));
    expect(await knownPeers(b)).toEqual([
      { device: a.self!.deviceId, name: 'Front desk laptop', exportedAt: START, importedAt: START },
    ]);
  });

  it('carry a network larger than one part in parts: the same network, one file, every part sealed', async () => {
    const { a, rice } = await hubA();
    for (let i = 0; i < 40; i++)
      await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: `${i + 1}` }] });
    const b = await device(2);
    await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Back room tablet' });
    const whole = Y.encodeStateAsUpdate(a.persistence.doc).byteLength;
    // Without a checkpoint (below): the history alone, in parts.
    const file = await exportSyncFile(a, { ...opts(12), partBytes: 1024, checkpoint: false });
    expect(whole).toBeGreaterThan(3 * 1024);
    expect(file.bytes[11]).toBe(3);
    expect(file.entries).toBe(43);
    // A part altered anywhere: nothing is taken.
    const before = await everything(b);
    const bad = file.bytes.slice();
    bad[bad.length - 40]! ^= 1;
    expect(await importSyncFile(b, bad, { now: clock })).toEqual({
      ok: false,
      message: SYNC_FILE_MESSAGES.damaged,
    });
    expect(await everything(b)).toEqual(before);
    expect(await importSyncFile(b, file.bytes, { now: clock })).toEqual({
      ok: true,
      newEntries: 43,
      from: 'Front desk laptop',
      message: msg('syncFile.imported', { count: 43, from: 'Front desk laptop' }),
    });
    expect(await projections(b)).toEqual(await projections(a));
    expect(Y.encodeStateVector(b.persistence.doc)).toEqual(Y.encodeStateVector(a.persistence.doc));
    // Twice: nothing new.
    expect(await importSyncFile(b, file.bytes, { now: clock })).toMatchObject({
      ok: true,
      message: msg('syncFile.nothingNew'),
    });
  });

  it('written in steps (a large network), in parts or whole: the same network, its header the doc’s state', async () => {
    const { a, rice } = await hubA();
    for (let i = 0; i < 10; i++)
      await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: `${i + 1}` }] });
    expect(PACED_EXPORT_FROM).toBe(16_384);
    for (const [n, partBytes] of [
      [2, 1024],
      [3, undefined],
    ] as const) {
      const b = await device(n);
      await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Back room tablet' });
      const file = await exportSyncFile(a, { ...opts(12), partBytes, pacedFrom: 1 });
      expect(file.entries).toBe(13);
      expect(await importSyncFile(b, file.bytes, { now: clock })).toMatchObject({ ok: true, newEntries: 13 });
      expect(await projections(b)).toEqual(await projections(a));
      expect(Y.encodeStateVector(b.persistence.doc)).toEqual(Y.encodeStateVector(a.persistence.doc));
      // The header's state vector was the doc's: a second file for b, only what it lacks, carries nothing.
      await exportSyncFile(b, { ...opts(13), pacedFrom: 1 }).then((back) =>
        importSyncFile(a, back.bytes, { now: clock }),
      );
      expect(
        await exportSyncFile(a, { forDevice: b.self!.deviceId, ...opts(14), pacedFrom: 1 }),
      ).toMatchObject({
        since: true,
        entries: 0,
      });
    }
  });

  it('carry back only what the other side lacks, after which both hold the same', async () => {
    const { a, rice } = await hubA();
    const { b } = await joinedB(a);
    clock += 60_000;
    await b.chooseHub({ newHubName: 'Westside Church' });
    await b.recordDonation({ source: 'business', lines: [{ item: rice.id, quantity: '40' }] });

    const partial = await exportSyncFile(b, { forDevice: a.self!.deviceId, ...opts(12) });
    const whole = await exportSyncFile(b, opts(13));
    expect(partial).toMatchObject({ since: true, entries: 1 });
    expect(whole).toMatchObject({ since: false, entries: 4 });
    expect(partial.bytes.length).toBeLessThan(whole.bytes.length);
    expect(partial.fileName).toMatch(/^larder-sync-\d{4}-\d{2}-\d{2}-[0-9a-z]{6}\.larder-sync$/);
    expect(partial.fileName).not.toMatch(/back|room|tablet|westside|church/i);
    expect(partial.fileName).not.toBe(whole.fileName);

    const r = await importSyncFile(a, partial.bytes, { now: clock });
    expect(r).toEqual({
      ok: true,
      newEntries: 1,
      from: 'Back room tablet',
      message: msg('syncFile.imported', { count: 1, from: 'Back room tablet' }),
    });
    expect(Y.encodeStateVector(a.persistence.doc)).toEqual(Y.encodeStateVector(b.persistence.doc));
    expect(await projections(a)).toEqual(await projections(b));
    expect((await projections(a)).hubs.map((h) => h.name).sort()).toEqual([
      'Eastside Pantry',
      'Westside Church',
    ]);
    // A now knows B's state too: its next file for B is nearly empty.
    const back = await exportSyncFile(a, { forDevice: b.self!.deviceId, ...opts(14) });
    expect(back).toMatchObject({ since: true, entries: 0 });
    expect(await importSyncFile(b, back.bytes, { now: clock })).toMatchObject({
      ok: true,
      newEntries: 0,
      message: msg('syncFile.nothingNew'),
    });
  });

  it('are harmless imported twice, out of order, or old', async () => {
    const { a, rice } = await hubA();
    const { b, full } = await joinedB(a);
    await b.chooseHub({ newHubName: 'Westside Church' });
    await b.recordDonation({ source: 'business', lines: [{ item: rice.id, quantity: '1' }] });
    const first = await exportSyncFile(b, { forDevice: a.self!.deviceId, ...opts(15) });
    await b.recordDonation({ source: 'business', lines: [{ item: rice.id, quantity: '2' }] });
    const second = await exportSyncFile(b, { forDevice: a.self!.deviceId, ...opts(16) });

    // The newer file first: it holds everything the older one does.
    expect(await importSyncFile(a, second.bytes, { now: clock })).toMatchObject({ ok: true, newEntries: 2 });
    const settled = await everything(a);
    const nothingNew = {
      ok: true,
      newEntries: 0,
      message: msg('syncFile.nothingNew'),
    };
    expect(await importSyncFile(a, first.bytes, { now: clock })).toMatchObject(nothingNew);
    expect(await importSyncFile(a, second.bytes, { now: clock })).toMatchObject(nothingNew);
    const after = await everything(a);
    // Only the record of when B last sent a file moves (its state vector stays the newest seen).
    expect({ ...after, meta: undefined }).toEqual({ ...settled, meta: undefined });
    const peer = after.meta.find((m) => m.key === `peer:${b.self!.deviceId}`);
    expect(peer).toMatchObject({ stateVector: Y.encodeStateVector(b.persistence.doc) });

    // B's own old full file from A, again.
    const bBefore = await everything(b);
    expect(await importSyncFile(b, full.bytes, { now: clock })).toMatchObject(nothingNew);
    expect({ ...(await everything(b)), meta: undefined }).toEqual({ ...bBefore, meta: undefined });
  });

  it('a file that builds on an older one not imported yet waits for it, and says so', async () => {
    const { a, rice } = await hubA();
    const other = new Y.Doc();
    other.clientID = 4242;
    Y.applyUpdate(other, Y.encodeStateAsUpdate(a.persistence.doc));
    const updates: Uint8Array[] = [];
    other.on('update', (u: Uint8Array) => updates.push(u));
    // Another device renames Rice after recording something: two changes, two files, the second first.
    const dev = await SignedDevice.approvedBy(a);
    await dev.append(other, [
      {
        kind: 'donation',
        hub: a.self!.hubId!,
        device: dev.id,
        seq: 1,
        item: rice.id,
        qty: 3,
        source: 'other',
        at: clock,
        recordedAt: clock,
      },
    ]);
    const item = settingValue(itemsOf(other).get(rice.id)) as Record<string, unknown>;
    await dev.setting(other, 'items', rice.id, { ...item, name: 'Jasmine rice', updatedAt: clock });
    expect(updates).toHaveLength(2);
    const { fileKey } = await a.secrets();
    const seal = (update: Uint8Array, seed: number) =>
      sealSyncFile(
        {
          network: a.self!.networkId,
          device: dev.id,
          createdAt: clock,
          stateVector: Y.encodeStateVector(other),
          since: true,
          forDevice: null,
          update,
        },
        fileKey,
        prngBytes(seed),
      );
    const second = await importSyncFile(a, await seal(updates[1]!, 31));
    expect(second).toMatchObject({ ok: true, newEntries: 0 });
    expect(second.ok && second.message.code).toBe('syncFile.waiting');
    expect((await a.db.items.get(rice.id))?.name).toBe('Rice 2 lb');
    expect(await importSyncFile(a, await seal(updates[0]!, 32))).toMatchObject({ ok: true, newEntries: 1 });
    expect((await a.db.items.get(rice.id))?.name).toBe('Jasmine rice');
  });

  it('count what they bring as the store takes it: new entries, and values set aside', async () => {
    const { a, rice } = await hubA();
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(a.persistence.doc));
    const dev = await SignedDevice.approvedBy(a);
    await dev.append(
      other,
      [1, 2].map((seq) => ({
        kind: 'donation' as const,
        hub: a.self!.hubId!,
        device: dev.id,
        seq,
        item: rice.id,
        qty: seq,
        source: 'other' as const,
        at: clock,
        recordedAt: clock,
      })),
    );
    const junk = new Y.Array<unknown>();
    junk.push([42, 'not an entry', [1, 0]]);
    ledgersOf(other).set('junkdev1', junk as never);
    const { fileKey } = await a.secrets();
    const file = await sealSyncFile(
      {
        network: a.self!.networkId,
        device: dev.id,
        createdAt: clock,
        stateVector: Y.encodeStateVector(other),
        since: false,
        forDevice: null,
        update: Y.encodeStateAsUpdate(other, Y.encodeStateVector(a.persistence.doc)),
      },
      fileKey,
      prngBytes(33),
    );
    const imported = await importSyncFile(a, file);
    expect(imported).toMatchObject({ ok: true, newEntries: 2 });
    expect(imported.ok && imported.notes).toEqual([msg('syncFile.setAside', { count: 3 })]);
  });

  it('say so when a device imports its own file', async () => {
    const { a } = await hubA();
    const own = await exportSyncFile(a, opts(17));
    const before = await everything(a);
    expect(await importSyncFile(a, own.bytes)).toMatchObject({
      ok: true,
      newEntries: 0,
      message: msg('syncFile.ownExport'),
    });
    expect(await everything(a)).toEqual(before);
  });

  it('export everything for a device that never sent a file', async () => {
    const { a } = await hubA();
    const file = await exportSyncFile(a, { forDevice: 'neverseen', ...opts(18) });
    expect(file).toMatchObject({ since: false, entries: 3 });
    expect(await knownPeers(a)).toEqual([]);
  });
});

describe('sync files that are refused change nothing', () => {
  it('a file from another network', async () => {
    const { a } = await hubA();
    const c = await device(3);
    await c.createNetwork({ hubName: 'Northside', deviceName: 'Kitchen laptop' });
    await c.saveItem(itemForm('Pasta'));
    const theirs = await exportSyncFile(c, opts(19));
    const before = await everything(a);
    expect(await importSyncFile(a, theirs.bytes)).toEqual({
      ok: false,
      message: SYNC_FILE_MESSAGES.otherNetwork,
    });
    expect(await everything(a)).toEqual(before);
  });

  it('a tampered file, wherever it was changed', async () => {
    const { a, rice } = await hubA();
    const { b } = await joinedB(a);
    await b.chooseHub({ newHubName: 'Westside Church' });
    await b.recordDonation({ source: 'business', lines: [{ item: rice.id, quantity: '40' }] });
    const file = (await exportSyncFile(b, { forDevice: a.self!.deviceId, ...opts(20) })).bytes;
    const before = await everything(a);
    const headerEnd = 16 + new DataView(file.buffer, file.byteOffset).getUint32(12);
    for (const at of [headerEnd + 3, headerEnd + 20, file.length - 30, file.length - 1]) {
      const bad = new Uint8Array(file);
      bad[at]! ^= 0x20;
      expect(await importSyncFile(a, bad)).toEqual({ ok: false, message: SYNC_FILE_MESSAGES.damaged });
    }
    // In the header, a digit of the export time: still a valid header, but no longer the authenticated one.
    const header = new TextDecoder().decode(file.subarray(16, headerEnd));
    const digit = header.indexOf('"createdAt":') + 13;
    const bad = new Uint8Array(file);
    bad[16 + digit] = bad[16 + digit] === 0x31 ? 0x32 : 0x31;
    expect(await importSyncFile(a, bad)).toEqual({ ok: false, message: SYNC_FILE_MESSAGES.damaged });
    expect(await importSyncFile(a, file.slice(0, file.length - 10))).toEqual({
      ok: false,
      message: SYNC_FILE_MESSAGES.damaged,
    });
    expect(await importSyncFile(a, new TextEncoder().encode('hello'))).toEqual({
      ok: false,
      message: SYNC_FILE_MESSAGES.notSyncFile,
    });
    expect(await everything(a)).toEqual(before);
    // The intact file still imports.
    expect(await importSyncFile(a, file)).toMatchObject({ ok: true, newEntries: 1 });
  });

  it('an authentic file whose update would delete ledger entries (a faulty or hostile key holder)', async () => {
    const { a } = await hubA();
    const rogue = new Y.Doc();
    Y.applyUpdate(rogue, Y.encodeStateAsUpdate(a.persistence.doc));
    ledgersOf(rogue).get(a.self!.deviceId)!.delete(0, 1);
    const { fileKey } = await a.secrets();
    const file = await sealSyncFile(
      {
        network: a.self!.networkId,
        device: 'rogue123',
        createdAt: clock,
        stateVector: Y.encodeStateVector(rogue),
        since: false,
        forDevice: null,
        update: Y.encodeStateAsUpdate(rogue),
      },
      fileKey,
      prngBytes(21),
    );
    const before = await everything(a);
    expect(await importSyncFile(a, file)).toEqual({
      ok: false,
      message: INGEST_MESSAGES.deletesLedger,
    });
    expect(await everything(a)).toEqual(before);
    expect(await knownPeers(a)).toEqual([]);
  });

  it('an authentic file whose content is not an update, small or large (taken in steps)', async () => {
    const { a } = await hubA();
    const { fileKey } = await a.secrets();
    // The large one: over 512 kB, which the store reads through in steps (renderer/storage/largeUpdates.ts).
    const large = new TextEncoder().encode('not a Yjs update '.repeat(40_000));
    for (const update of [new TextEncoder().encode('not a Yjs update'), large]) {
      const file = await sealSyncFile(
        {
          network: a.self!.networkId,
          device: 'faulty12',
          createdAt: clock,
          stateVector: new Uint8Array([0]),
          since: false,
          forDevice: null,
          update,
        },
        fileKey,
        prngBytes(22),
      );
      const before = await everything(a);
      const r = await importSyncFile(a, file);
      expect(r, `${update.byteLength} bytes`).toEqual({
        ok: false,
        message: msg('syncFile.unusable'),
      });
      expect(await everything(a)).toEqual(before);
    }
  });

  it('on a device that is not set up yet', async () => {
    const { a } = await hubA();
    const fresh = await device(4);
    const file = await exportSyncFile(a, opts(23));
    expect(await importSyncFile(fresh, file.bytes)).toEqual({
      ok: false,
      message: msg('syncFile.setUpFirst'),
    });
    await expect(exportSyncFile(fresh)).rejects.toThrow(/not been set up/);
  });
});
