// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { LarderStore } from '../../renderer/storage/store';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { decodeBundle, encodeBundle } from '../../shared/checkpoint/bundle';
import { ledgersOf } from '../../shared/doc';
import { msg } from '../../shared/messages';
import { openSyncFile, sealSyncFile } from '../../shared/sync/syncfile';
import { ledgerOf } from './ledgerTable';
import { projectedFigures, testStores } from './stores';

/**
 * A new device joins from a sync file (issue 11 point 2): an admin's or a coordinator's full export carries a
 * checkpoint and the member log to verify it by; a device that holds no entries yet starts from it (its
 * stock right before the history behind it is taken), then takes the history as any file's, counting only
 * what the checkpoint did not. A checkpoint that does not verify is set aside with a note, and the history
 * counted instead; a device with entries of its own never starts from one.
 */
const { clock, device, sync, twoHubsWithHistory } = testStores('sfcp', 51);

const sorted = <T extends { key: string }>(rows: T[]) => rows.sort((x, y) => (x.key < y.key ? -1 : 1));

const figures = projectedFigures;

const network = twoHubsWithHistory;

async function newDevice(a: LarderStore) {
  const c = await device();
  await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Community centre tablet' });
  return c;
}

const opts = () => ({ now: clock.now() });

describe('a new device joining from a sync file with a checkpoint', () => {
  it('shows the checkpoint’s stock before the history is taken, then counts the history once', async () => {
    const { a } = await network();
    const file = await exportSyncFile(a, opts());
    expect(file.bytes[11]).toBe(4);
    expect(file.checkpointCovers).toBe(
      (await ledgerOf(a.db).toArray()).length, // every entry counted so far is covered
    );
    const c = await newDevice(a);
    let atCheckpoint: Promise<unknown> | undefined;
    const result = await importSyncFile(c, file.bytes, {
      ...opts(),
      onCheckpoint: (started) => {
        // Called once the figures are committed, before the history: the doc holds the checkpoint's skeleton
        // (each ledger's last value, every entry it counts), not the history.
        expect(started).toEqual({ from: 'Front desk', covered: file.checkpointCovers });
        expect(c.persistence.historyArriving).toBe(true);
        ledgersOf(c.persistence.doc).forEach((array) => expect(array.length).toBe(1));
        atCheckpoint = c.db.stock.toArray().then(sorted);
      },
    });
    expect(await atCheckpoint).toEqual(sorted(await a.db.stock.toArray()));
    expect(result).toMatchObject({
      ok: true,
      notes: [msg('syncFile.fromCheckpoint', { from: 'Front desk' })],
    });
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(await figures(c)).toEqual(await figures(a));
    expect(await c.db.problems.count()).toBe(0);
    expect((await c.persistence.checkData()).differences).toEqual([]);
  });

  it('takes what was recorded after the checkpoint on top, from this file or a later one', async () => {
    const { a, b, rice } = await network();
    const file = await exportSyncFile(a, opts());
    const c = await newDevice(a);
    await importSyncFile(c, file.bytes, opts());
    await b.recordPickup({ lines: [{ item: rice.id, quantity: '30' }] });
    await sync(b, a);
    const later = await exportSyncFile(a, opts());
    // c holds entries now: the later file's checkpoint is not used, its history is.
    const again = await importSyncFile(c, later.bytes, opts());
    expect(again).toMatchObject({
      ok: true,
      message: msg('syncFile.imported', { count: 1, from: 'Front desk' }),
    });
    expect(again.ok && again.notes).toBeFalsy();
    expect(await figures(c)).toEqual(await figures(a));
  });

  it('a hub device’s export carries none: the new device counts the history', async () => {
    const { a, b } = await network();
    const file = await exportSyncFile(b, opts());
    expect(file.bytes[11]).not.toBe(4);
    expect(file.checkpointCovers).toBeUndefined();
    const c = await newDevice(a);
    const result = await importSyncFile(c, file.bytes, opts());
    expect(result.ok && result.notes).toBeFalsy();
    expect(await figures(c)).toEqual(await figures(a));
  });

  it('a checkpoint that does not verify is set aside with a note, and the history counted instead', async () => {
    const { a } = await network();
    const file = await exportSyncFile(a, opts());
    const { fileKey } = await a.secrets();
    const networkId = a.self!.networkId;
    const opened = await openSyncFile(file.bytes, { networkId, fileKey });
    if (!opened.ok || !opened.checkpoint) throw new Error('no checkpoint');
    const bundle = decodeBundle(opened.checkpoint);
    const resealed = (checkpoint: Uint8Array) =>
      sealSyncFile({ ...opened.header, update: opened.updates, checkpoint }, fileKey, (n) =>
        crypto.getRandomValues(new Uint8Array(n)),
      );
    // Another signature; a member log without the maker (only the founder's genesis... of another key);
    // rows that do not match the head's digest; bytes that are no bundle.
    const sig = bundle.checkpoint.sig;
    const forgedSig = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const otherRows = Uint8Array.from(bundle.checkpoint.rows);
    otherRows[otherRows.length - 1]! ^= 1;
    for (const [what, bytes] of [
      ['signature', encodeBundle({ ...bundle, checkpoint: { ...bundle.checkpoint, sig: forgedSig } })],
      ['member log', encodeBundle({ ...bundle, members: [bundle.members.at(-1)!] })],
      ['rows', encodeBundle({ ...bundle, checkpoint: { ...bundle.checkpoint, rows: otherRows } })],
      ['bytes', Uint8Array.of(1, 2, 3)],
    ] as const) {
      const c = await newDevice(a);
      const result = await importSyncFile(c, await resealed(bytes), opts());
      expect(result, what).toMatchObject({ ok: true, notes: [msg('syncFile.checkpointRefused')] });
      expect(c.persistence.behindCheckpoint, what).toBe(false);
      expect(await figures(c), what).toEqual(await figures(a));
    }
  });

  it('a device that stops being new while the checkpoint is verified takes the history instead', async () => {
    const { a } = await network();
    const file = await exportSyncFile(a, opts());
    const c = await newDevice(a);
    // As when a peer's entries land between the check and the start: the store refuses to start.
    const seed = vi
      .spyOn(c.persistence, 'seed')
      .mockRejectedValue(new Error('Only a device with no entries yet starts from a checkpoint'));
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const result = await importSyncFile(c, file.bytes, opts());
      expect(seed).toHaveBeenCalledTimes(1);
      expect(result).toMatchObject({ ok: true, notes: [msg('syncFile.checkpointRefused')] });
      expect(c.persistence.behindCheckpoint).toBe(false);
      expect(await figures(c)).toEqual(await figures(a));
    } finally {
      seed.mockRestore();
      warned.mockRestore();
    }
  });

  it('an export goes on without a checkpoint that failed to be made', async () => {
    const { a } = await network();
    const identity = await a.db.meta.get('identity');
    // A signing key that no longer works (a damaged row): signing the checkpoint throws.
    await a.db.meta.put({ ...identity!, privateKey: 'not a key' } as never);
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const file = await exportSyncFile(a, opts());
      expect(file.checkpointCovers).toBeUndefined();
      expect(file.bytes[11]).not.toBe(4);
      expect(warned).toHaveBeenCalledWith('Larder could not make a checkpoint', expect.anything());
      const c = await newDevice(a);
      expect(await importSyncFile(c, file.bytes, opts())).toMatchObject({ ok: true });
      expect(await figures(c)).toEqual(await figures(a));
    } finally {
      warned.mockRestore();
      await a.db.meta.put(identity!);
    }
    // The failure is not kept: with its key back, the next export carries one.
    expect((await exportSyncFile(a, opts())).checkpointCovers).toBeGreaterThan(0);
  });

  it('uses a checkpoint made in the last ten minutes again, and the history brings what came since', async () => {
    const { a, rice } = await network();
    const first = await exportSyncFile(a, opts());
    // Four minutes and a pickup later: the same checkpoint (making one reads every projection table), in a
    // file whose history holds the pickup too.
    clock.advance(4 * 60_000);
    await a.recordPickup({ lines: [{ item: rice.id, quantity: '3' }] });
    const again = await exportSyncFile(a, opts());
    expect(again.checkpointCovers).toBe(first.checkpointCovers);
    const c = await newDevice(a);
    expect(await importSyncFile(c, again.bytes, opts())).toMatchObject({ ok: true });
    expect(c.persistence.behindCheckpoint).toBe(false);
    expect(await figures(c)).toEqual(await figures(a));
    // Past ten minutes, a new one, covering the pickup.
    clock.advance(7 * 60_000);
    const later = await exportSyncFile(a, opts());
    expect(later.checkpointCovers).toBe(first.checkpointCovers! + 1);
  });

  it('an export without a checkpoint, when asked, or while one cannot be made', async () => {
    const { a } = await network();
    const file = await exportSyncFile(a, { ...opts(), checkpoint: false });
    expect(file.bytes[11]).not.toBe(4);
    // Only for what a known device lacks: no checkpoint (it has its history already).
    const c = await newDevice(a);
    await importSyncFile(c, file.bytes, opts());
    const back = await exportSyncFile(c, opts());
    await importSyncFile(a, back.bytes, opts());
    const since = await exportSyncFile(a, { ...opts(), forDevice: c.self!.deviceId });
    expect(since.since).toBe(true);
    expect(since.checkpointCovers).toBeUndefined();
  });
});
