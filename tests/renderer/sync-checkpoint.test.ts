// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readAllEntries } from '../../shared/doc';
import {
  answersSent,
  messageLarderCheckpoint,
  peerUpdatesIdle,
  readSyncMessage,
  setAnswerInStepsFrom,
  setCheckpointCarrier,
  setRefusedHandler,
  writeSyncStep1,
  type CheckpointCarrier,
} from '../../renderer/sync/guardedSync';
import { checkpointCarrier, NO_CHECKPOINT_REUSE_MS } from '../../renderer/sync/checkpointCarrier';
import { CHECKPOINT_REUSE_MS } from '../../shared/checkpoint/reuse';
import type { LarderStore } from '../../renderer/storage/store';
import { projectedFigures, testStores } from './stores';
import { connection, received } from './peerConns';

/**
 * A new device joins over live sync and starts from an admin's checkpoint (issue 11 point 2): the store's
 * side of renderer/sync/guardedSync.ts (renderer/sync/checkpointCarrier.ts), through the sync messages two
 * real stores exchange. Its figures are the admin's before the history behind them is taken; then it is as
 * a device that took the history all along.
 */
const { device, twoHubsWithHistory } = testStores('sync-checkpoint', 53);

setRefusedHandler(() => undefined);
afterEach(() => setAnswerInStepsFrom());

/** `to` asks `from` for what it lacks over a connection, and takes what `from` sends: their types. */
async function firstSync(from: LarderStore, to: LarderStore): Promise<number[]> {
  const ask = encoding.createEncoder();
  writeSyncStep1(ask, to.persistence.doc);
  const there = connection();
  const reply = encoding.createEncoder();
  readSyncMessage(
    decoding.createDecoder(encoding.toUint8Array(ask)),
    reply,
    from.persistence.doc,
    there.room,
  );
  await answersSent(from.persistence.doc);
  const messages = received(there.sent);
  if (encoding.length(reply) > 0) messages.push(encoding.toUint8Array(reply));
  const back = connection();
  for (const message of messages)
    readSyncMessage(decoding.createDecoder(message), encoding.createEncoder(), to.persistence.doc, back.room);
  await peerUpdatesIdle(to.persistence.doc);
  await to.persistence.flush();
  await to.persistence.projected();
  return messages.map((m) => decoding.readVarUint(decoding.createDecoder(m)));
}

/** A network with history, and a device that has just joined it (nothing of the network yet). */
async function joining() {
  const { a, b } = await twoHubsWithHistory();
  const c = await device();
  await c.joinNetwork({ invite: await a.inviteCode(), deviceName: 'Newcomer' });
  // Answered in steps (as a network of 16,384 values and more is): a checkpoint goes first.
  setAnswerInStepsFrom(10);
  return { a, b, c };
}

/** The store's carrier, noting what the device held when its start resolved. */
function watched(store: LarderStore) {
  const real = checkpointCarrier(store);
  const seen: { entries: number; stock: unknown }[] = [];
  const carrier: CheckpointCarrier = {
    ...real,
    start: async (bundle) => {
      await real.start(bundle);
      seen.push({
        entries: readAllEntries(store.persistence.doc).entries.length,
        stock: (await projectedFigures(store)).stock,
      });
    },
  };
  setCheckpointCarrier(store.persistence.doc, carrier);
  return seen;
}

describe('a new device joining over live sync', () => {
  it('starts from an admin’s checkpoint, then takes the history behind it and is as if it had it all along', async () => {
    const { a, c } = await joining();
    setCheckpointCarrier(a.persistence.doc, checkpointCarrier(a));
    // Only a device that holds no entry yet would start from one.
    expect(checkpointCarrier(a).wants()).toBe(false);
    expect(checkpointCarrier(c).wants()).toBe(true);
    const seen = watched(c);
    expect(await firstSync(a, c)).toContain(messageLarderCheckpoint);
    expect(checkpointCarrier(c).wants()).toBe(false);
    const admin = await projectedFigures(a);
    // Its figures were the admin's before it held the history: its doc held the checkpoint's skeleton (each
    // ledger's last value), the history arriving behind it.
    const all = readAllEntries(a.persistence.doc).entries.length;
    expect(seen).toEqual([{ entries: expect.any(Number), stock: admin.stock }]);
    expect(seen[0]!.entries).toBeLessThan(all);
    // Then the history, to disk: the same figures, each entry's effect too, and nothing to repair.
    expect(await projectedFigures(c)).toEqual(admin);
    expect(c.persistence.historyArriving).toBe(false);
    expect(readAllEntries(await c.persistence.historyDoc()).entries).toHaveLength(all);
    expect(await c.db.meta.get('checkpoint')).toBeUndefined();
    expect((await c.persistence.checkData()).differences).toEqual([]);
    expect(await c.db.problems.toArray()).toEqual([]);
  });

  it('takes the whole history when the checkpoint does not verify, and says so under Problems', async () => {
    const { a, c } = await joining();
    const real = checkpointCarrier(a);
    setCheckpointCarrier(a.persistence.doc, {
      ...real,
      bundle: async () => {
        const bytes = (await real.bundle())!.slice();
        // One byte of the signed head changed on the way.
        bytes[bytes.length - 3]! ^= 1;
        return bytes;
      },
    });
    const seen = watched(c);
    expect(await firstSync(a, c)).toContain(messageLarderCheckpoint);
    expect(seen).toEqual([{ entries: 0, stock: [] }]);
    expect(await projectedFigures(c)).toEqual(await projectedFigures(a));
    const problems = await c.db.problems.toArray();
    expect(problems.map((p) => p.reason)).toEqual([{ code: 'update.checkpointRefused' }]);
    expect(problems[0]!.where).toMatch(/^peer update received /);
  });

  it('stops asking for one after two that do not verify', async () => {
    const { c } = await joining();
    const carrier = checkpointCarrier(c);
    const noBundle = new Uint8Array([1, 2, 3]);
    await carrier.start(noBundle);
    expect(carrier.wants()).toBe(true);
    await carrier.start(noBundle);
    expect(carrier.wants()).toBe(false);
    expect(await c.db.problems.count()).toBeGreaterThan(0);
    // Sync started again: asked once more.
    expect(checkpointCarrier(c).wants()).toBe(true);
  });

  it('takes the whole history from a hub’s device, which makes no checkpoint', async () => {
    const { b, c } = await joining();
    setCheckpointCarrier(b.persistence.doc, checkpointCarrier(b));
    const seen = watched(c);
    expect(await firstSync(b, c)).not.toContain(messageLarderCheckpoint);
    expect(seen).toEqual([]);
    expect(await projectedFigures(c)).toEqual(await projectedFigures(b));
  });

  it('is sent the checkpoint made for the last new device while it is recent, a new one after', async () => {
    const { a, b } = await joining();
    let now = Date.UTC(2026, 11, 5, 9);
    const admin = checkpointCarrier(a, () => now);
    const first = await admin.bundle();
    expect(first).toBeInstanceOf(Uint8Array);
    now += CHECKPOINT_REUSE_MS;
    expect(await admin.bundle()).toBe(first);
    now += 1;
    const second = await admin.bundle();
    expect(second).toBeInstanceOf(Uint8Array);
    expect(second).not.toBe(first);
    // None from a hub's device: asked again a minute later (an admin's may be able to make one by then).
    const asked = vi.spyOn(b, 'currentMembers');
    const hub = checkpointCarrier(b, () => now);
    expect(await hub.bundle()).toBeNull();
    now += NO_CHECKPOINT_REUSE_MS;
    expect(await hub.bundle()).toBeNull();
    expect(asked).toHaveBeenCalledTimes(1);
    now += 1;
    expect(await hub.bundle()).toBeNull();
    expect(asked).toHaveBeenCalledTimes(2);
  });

  it('is not waited for while figures are still being written, nor past a while', async () => {
    const { a } = await joining();
    // A rebuild writing its rows (or a backlog): none now, and nothing made.
    let tried = 0;
    const writing = (persistence: object) =>
      ({
        self: a.self,
        persistence,
        currentMembers: () => {
          tried++;
          return a.currentMembers();
        },
      }) as unknown as LarderStore;
    // The admin's console says why each new device got none.
    const said = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    const writingSaid =
      'Larder sends a new device no checkpoint while entries are being added to the figures';
    const rebuilding = writing({ rebuildProgress: { written: 0, total: 9 }, unprojected: 0 });
    expect(await checkpointCarrier(rebuilding).bundle()).toBeNull();
    expect(said).toHaveBeenLastCalledWith(writingSaid);
    expect(await checkpointCarrier(writing({ rebuildProgress: null, unprojected: 3 })).bundle()).toBeNull();
    expect(said.mock.calls.filter(([line]) => line === writingSaid)).toHaveLength(2);
    expect(tried).toBe(0);
    const asked = vi.spyOn(a, 'currentMembers');
    // Made too slowly: the answer goes without it; once made, the next new device gets it.
    let members!: () => void;
    const real = asked.getMockImplementation() ?? (() => a.persistence.trust!.currentMembers());
    asked.mockImplementationOnce(async () => {
      await new Promise<void>((resolve) => (members = resolve));
      return real();
    });
    const slow = checkpointCarrier(a, Date.now, 50);
    expect(await slow.bundle()).toBeNull();
    expect(said).toHaveBeenLastCalledWith(
      'Larder answers a new device without a checkpoint: none was made within 0.05 s',
    );
    said.mockRestore();
    members();
    // The next new device's answer waits 50 ms too: on a busy machine the making may take longer, and that
    // answer goes without it as well; the one after it made, it has it (made once all the same).
    let bundle: Uint8Array | null = null;
    for (let answer = 0; !bundle && answer < 1_000; answer++) bundle = await slow.bundle();
    expect(bundle).toBeInstanceOf(Uint8Array);
    // Made once (who may make one, then the making, each read the member list).
    expect(asked).toHaveBeenCalledTimes(2);
  });
});
