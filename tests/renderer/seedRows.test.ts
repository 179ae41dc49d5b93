// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LarderStore } from '../../renderer/storage/store';
import { LarderDB } from '../../renderer/storage/db';
import { makeStoreCheckpoint } from '../../renderer/storage/checkpoint';
import { answerSeedRows, type SeedRows, type SeedRowsRequest } from '../../renderer/storage/seedRows';
import { CheckpointFormatError } from '../../shared/checkpoint/errors';
import { verifyCheckpoint } from '../../shared/checkpoint/verify';
import { membersOf } from '../../shared/doc';
import { projectedFigures, testStores } from './stores';
import { ledgerOf } from './ledgerTable';
import { fakeWorkers } from './fakeWorker';

/**
 * The rows of the checkpoint a new device starts from, read and written in a worker kept for them
 * (renderer/storage/seedRows.ts, seedRows.worker.ts): with a stand-in for the browser's Worker that does
 * the worker's work (`answerSeedRows`) on the database it is named, in this thread. The page asks for each
 * transaction on its chain of writes, as it wrote each itself before (checkpoint-start.test.ts runs the
 * same on the page: Node has no Worker). The real worker runs in Chromium in the join-by-file e2e test and
 * the join bench.
 */
const { clock, device, twoHubsWithHistory, reopen } = testStores('seedrows', 62);

/** Each stand-in worker's rows and database, as a worker keeps them from one request to the next. */
const held = new Map<object, { rows: SeedRows | null; db: LarderDB | null }>();
/** The meta rows the stand-in workers put, in order. */
const workerMetaPuts: { key: string; bytes?: Uint8Array }[] = [];
const workers = fakeWorkers((request: SeedRowsRequest, worker) => {
  let state = held.get(worker);
  if (!state) held.set(worker, (state = { rows: null, db: null }));
  const s = state;
  const open = (name: string) => {
    if (s.db) return s.db;
    const db = new LarderDB(name);
    const put = db.meta.put.bind(db.meta);
    db.meta.put = (row) => {
      workerMetaPuts.push(row);
      return put(row);
    };
    return (s.db = db);
  };
  return answerSeedRows(s, request, open).then((answer) => ({
    answer,
    transfer: [],
  }));
});
const { started } = workers;

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  workers.reset();
  for (const { db } of held.values()) db?.close();
  held.clear();
  workerMetaPuts.length = 0;
});

/** A longer history than `twoHubsWithHistory`'s: `more` donations after it. */
async function network(more: number) {
  const net = await twoHubsWithHistory();
  for (let i = 0; i < more; i++)
    await net.a.recordDonation({ source: 'individual', lines: [{ item: net.rice.id, quantity: '1' }] });
  return net;
}

/** The admin's checkpoint verified, and a new device joined, writing `historyRows` rows a transaction. */
async function joined(a: LarderStore, historyRows: number) {
  const made = await makeStoreCheckpoint(a, clock.now());
  const verdict = await verifyCheckpoint(made, a.self!.networkId, a.persistence.trust!.memberState!);
  if (!verdict.ok) throw new Error(JSON.stringify(verdict.refusal));
  const c = await device();
  await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Community centre tablet' });
  c.persistence.seedHistoryRows = historyRows;
  return { c, cp: verdict.checkpoint, rowBytes: made.rows, members: membersOf(a.persistence.doc).toArray() };
}

const kinds = (log: SeedRowsRequest[]) => log.map((r) => r.kind);

describe("a checkpoint's rows read and written in a worker", () => {
  it('gives the rows and figures the page gives, a transaction a request, the worker ended after the last', async () => {
    const { a } = await network(6);
    const { c, cp, rowBytes, members } = await joined(a, 2);
    vi.stubGlobal('Worker', workers.Worker);
    const warn = vi.spyOn(console, 'warn');
    // The rows as they come: a view into what they arrived in (a whole sync file, a sync message).
    const arrived = new Uint8Array(rowBytes.byteLength + 1000);
    arrived.set(rowBytes, 500);
    const view = arrived.subarray(500, 500 + rowBytes.byteLength);
    const put = vi.spyOn(c.db.meta, 'put');
    await c.persistence.seed(cp, view, members);
    await c.persistence.seedHistoryWritten();
    // Only the rows' own bytes were sent to the worker, not all they arrived in; kept for a start by the
    // worker (IndexedDB copies them on the thread that puts them), before the figures, not by the page.
    const kept = workerMetaPuts.filter((row) => row.key === 'checkpointRows');
    expect(kept).toHaveLength(1);
    expect(kept[0]!.bytes!).toEqual(rowBytes);
    expect(kept[0]!.bytes!.buffer.byteLength).toBe(rowBytes.byteLength);
    expect(put.mock.calls.filter(([row]) => row.key === 'checkpointRows')).toEqual([]);
    const read = started[0]!.log[0] as Extract<SeedRowsRequest, { kind: 'read' }>;
    expect(read.bytes.buffer.byteLength).toBe(rowBytes.byteLength);
    expect(read.keep).toBe(true);
    // Moved, not copied in the posting (the page made its copy in parts): the page's view untouched.
    expect(started[0]!.moved[0]).toEqual([read.bytes.buffer].map(() => expect.any(ArrayBuffer)));
    expect(view.byteLength).toBe(rowBytes.byteLength);
    expect(started).toHaveLength(1);
    const [worker] = started;
    expect(worker!.url.pathname).toMatch(/seedRows\.worker\.ts$/);
    // Read once, its bytes copied (the page keeps them for a start to go on from), then written two rows a
    // transaction: every row once, in order.
    const rowCount = cp.head.rowCount;
    expect(rowCount).toBeGreaterThan(6);
    expect(kinds(worker!.log)).toEqual(['read', ...Array(Math.ceil(rowCount / 2)).fill('write')]);
    expect(worker!.given).toEqual([]);
    const writes = worker!.log.filter((r) => r.kind === 'write');
    expect(writes.map((w) => [w.at, w.n, w.done])).toEqual(
      writes.map((_, i) => [2 * i, Math.min(2, rowCount - 2 * i), i === writes.length - 1]),
    );
    // Each with how far the history is written then, none once all is.
    expect(writes.map((w) => w.meta.history)).toEqual(
      writes.map((_, i) => (i === writes.length - 1 ? undefined : 2 * i + 2)),
    );
    expect(worker!.terminated).toBe(true);
    expect(await c.db.meta.get('checkpointRows')).toBeUndefined();
    expect(await c.db.meta.get('checkpoint')).not.toHaveProperty('history');
    // The history rows are the admin's, the figures too.
    const rows = async (s: LarderStore) =>
      (await ledgerOf(s.db).toArray()).sort((x, y) => (x.id < y.id ? -1 : 1));
    expect(await rows(c)).toEqual(await rows(a));
    expect(await projectedFigures(c)).toEqual(await projectedFigures(a));
    expect(warn).not.toHaveBeenCalled();
  });

  it('refuses rows that are not those its head names, nothing read again on the page nor written', async () => {
    const { a } = await network(0);
    const { c, cp, rowBytes } = await joined(a, 2);
    vi.stubGlobal('Worker', workers.Worker);
    const warn = vi.spyOn(console, 'warn');
    const bad = rowBytes.slice();
    bad[bad.length - 1] = bad.at(-1)! ^ 1;
    await expect(c.persistence.seed(cp, bad)).rejects.toBeInstanceOf(CheckpointFormatError);
    await expect(c.persistence.seed(cp, bad)).rejects.toThrow(/not the rows the head names/);
    await c.persistence.seedHistoryWritten();
    expect(started.map((w) => [kinds(w.log), w.terminated])).toEqual([
      [['read'], true],
      [['read'], true],
    ]);
    expect(warn).not.toHaveBeenCalled();
    expect(await c.db.stock.count()).toBe(0);
    expect(await ledgerOf(c.db).count()).toBe(0);
    expect(await c.db.meta.get('checkpoint')).toBeUndefined();
    // Still a device that may start from a checkpoint: the right rows are taken.
    await c.persistence.seed(cp, rowBytes);
    expect(await projectedFigures(c)).toEqual(await projectedFigures(a));
  });

  it('reads them on the page when the worker cannot, and says so', async () => {
    const { a } = await network(2);
    const { c, cp, rowBytes } = await joined(a, 2);
    vi.stubGlobal('Worker', workers.Worker);
    workers.state.behaviour = 'crash';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const arrived = new Uint8Array(rowBytes.byteLength + 1000);
    arrived.set(rowBytes, 500);
    const put = vi.spyOn(c.db.meta, 'put');
    await c.persistence.seed(cp, arrived.subarray(500, 500 + rowBytes.byteLength));
    // Kept by the page: its own bytes, not all they arrived in.
    const kept = put.mock.calls.map(([row]) => row).filter((row) => row.key === 'checkpointRows');
    expect(kept).toHaveLength(1);
    expect(kept[0]!.bytes!.buffer.byteLength).toBe(rowBytes.byteLength);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/could not read the checkpoint's rows in a worker/);
    expect(started).toHaveLength(1);
    expect(started[0]!.terminated).toBe(true);
    expect(await projectedFigures(c)).toEqual(await projectedFigures(a));
    expect(await ledgerOf(c.db).count()).toBe(cp.head.rowCount);
  });

  it('goes on at the next start when the worker fails while writing, reading the rows kept in a worker again', async () => {
    const { a } = await network(6);
    const { c, cp, rowBytes } = await joined(a, 1);
    vi.stubGlobal('Worker', workers.Worker);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // Its rows read, then its first write answered with an error (the worker answers each as it comes).
    Object.defineProperty(workers.state, 'behaviour', {
      get: () => ((started[0]?.log.length ?? 0) > 1 ? 'error' : 'answer'),
      configurable: true,
    });
    await c.persistence.seed(cp, rowBytes);
    await c.persistence.seedHistoryWritten();
    Object.defineProperty(workers.state, 'behaviour', {
      value: 'answer',
      writable: true,
      configurable: true,
    });
    expect(String(error.mock.calls.at(-1)?.[0])).toMatch(/could not write its checkpoint's history/);
    expect(started[0]!.terminated).toBe(true);
    const history = ((await c.db.meta.get('checkpoint')) as { history?: number }).history;
    expect(history).toBe(0);
    expect(await c.db.meta.get('checkpointRows')).toBeDefined();
    // The next start reads the rows it kept, in a new worker, and writes the rest.
    const again = await reopen(c);
    await again.ready;
    await again.persistence.seedHistoryWritten();
    expect(started).toHaveLength(2);
    expect(kinds(started[1]!.log)[0]).toBe('read');
    expect(started[1]!.log[0]).toMatchObject({ kind: 'read', head: null });
    expect(started[1]!.terminated).toBe(true);
    expect(await again.db.meta.get('checkpointRows')).toBeUndefined();
    expect(await ledgerOf(again.db).count()).toBe(cp.head.rowCount);
    expect(await projectedFigures(again)).toEqual(await projectedFigures(a));
  });

  it('drops rows kept for a checkpoint whose figures were never written (closed in between) at the next start', async () => {
    const { a } = await network(0);
    const { c, rowBytes } = await joined(a, 2);
    // As `seed` leaves a device closed after the worker kept the rows and before the figures' transaction.
    await c.db.meta.put({ key: 'checkpointRows', bytes: rowBytes });
    const again = await reopen(c);
    await again.ready;
    await again.persistence.flush();
    expect(await again.db.meta.get('checkpointRows')).toBeUndefined();
    // Still a device that may start from a checkpoint.
    expect(again.persistence.mayStartFromCheckpoint).toBe(true);
  });
});
