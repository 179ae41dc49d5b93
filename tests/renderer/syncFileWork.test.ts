// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  answerOpen,
  answerSeal,
  openHere,
  type OpenRequest,
  type SealRequest,
} from '../../renderer/sync/syncFileWork';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import type { OpenedSyncFile } from '../../shared/sync/syncfile';
import { testStores } from './stores';
import { fakeWorkers } from './fakeWorker';

/**
 * Sync files opened and sealed off the page (renderer/sync/syncFileWork.ts, syncFile.worker.ts): with a
 * stand-in for the browser's Worker that does the worker's work (`answerOpen`, `answerSeal`) on a structured
 * clone of what it is sent, in this thread. The real worker opens the files of the join-by-file and sync-file e2e tests.
 */
const { clock, twoHubsWithHistory } = testStores('syncopener', 73);

const workers = fakeWorkers<OpenRequest | SealRequest, OpenedSyncFile | Uint8Array>((request) =>
  request.kind === 'open' ? answerOpen(request) : answerSeal(request),
);
const { started } = workers;

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  workers.reset();
});

describe('a sync file opened in a worker', () => {
  it('opens as on the page, its parts moved back, not copied', async () => {
    const { a } = await twoHubsWithHistory();
    const file = await exportSyncFile(a, { now: clock.now(), checkpoint: true });
    const { fileKey } = await a.secrets();
    const request = { kind: 'open' as const, bytes: file.bytes, networkId: a.self!.networkId, fileKey };
    const here = await openHere(request);
    const { answer, transfer } = await answerOpen(structuredClone(request));
    expect(answer).toEqual({ reply: here });
    if (!here.ok || !('reply' in answer) || !answer.reply.ok) throw new Error('not opened');
    expect(here.checkpoint).toBeDefined();
    expect(transfer).toHaveLength(
      new Set([...answer.reply.updates, answer.reply.checkpoint!].map((p) => p.buffer)).size,
    );
    for (const part of [...answer.reply.updates, answer.reply.checkpoint!])
      expect(transfer).toContain(part.buffer);
  });

  it('answers a file it cannot open with its message, as on the page', async () => {
    const { a } = await twoHubsWithHistory();
    const { fileKey } = await a.secrets();
    const request = {
      kind: 'open' as const,
      bytes: new TextEncoder().encode('LARDER-SYNC not really'),
      networkId: 'n',
      fileKey,
    };
    expect((await answerOpen(request)).answer).toEqual({ reply: await openHere(request) });
    expect((await answerOpen(request)).transfer).toEqual([]);
  });

  it('seals what the page seals: the same file once opened', async () => {
    const { a } = await twoHubsWithHistory();
    const { fileKey } = await a.secrets();
    const file = await exportSyncFile(a, { now: clock.now(), checkpoint: true });
    const opened = await openHere({ kind: 'open', bytes: file.bytes, networkId: a.self!.networkId, fileKey });
    if (!opened.ok) throw new Error('not opened');
    const input = { ...opened.header, update: opened.updates, checkpoint: opened.checkpoint! };
    const { answer, transfer } = await answerSeal(structuredClone({ kind: 'seal' as const, input, fileKey }));
    if (!('reply' in answer)) throw new Error(answer.error);
    expect(transfer).toEqual([answer.reply.buffer]);
    expect(
      await openHere({ kind: 'open', bytes: answer.reply, networkId: a.self!.networkId, fileKey }),
    ).toEqual(opened);
  });

  it('is how the app exports and imports a file', async () => {
    const { a, b, rice } = await twoHubsWithHistory();
    const row = `${a.self!.hubId}|${rice.id}`;
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '3' }] });
    const before = (await b.db.stock.get(row))!.onHand;
    vi.stubGlobal('Worker', workers.Worker);
    // (Without a checkpoint: its own worker is checkpointEncoder.test.ts's.)
    const file = await exportSyncFile(a, { now: clock.now(), checkpoint: false });
    expect(await importSyncFile(b, file.bytes, { now: clock.now() })).toMatchObject({
      ok: true,
      newEntries: 1,
    });
    expect((await b.db.stock.get(row))!.onHand).toBe(before + 3);
    expect(started.map((w) => [w.sent!.kind, w.terminated])).toEqual([
      ['seal', true],
      ['open', true],
    ]);
    // The update to seal was moved to the worker, not copied; what was sent to open is a copy: the caller's
    // bytes are whole.
    expect(started[0]!.given).toHaveLength(1);
    expect(started[1]!.given).toEqual([]);
    expect((started[1]!.sent as OpenRequest).bytes).toEqual(file.bytes);
    expect(file.bytes.byteLength).toBeGreaterThan(0);
  });

  it('is exported and imported on the page when the worker fails, which the console says', async () => {
    const { a, b, rice } = await twoHubsWithHistory();
    const row = `${a.self!.hubId}|${rice.id}`;
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '3' }] });
    const before = (await b.db.stock.get(row))!.onHand;
    vi.stubGlobal('Worker', workers.Worker);
    workers.state.behaviour = 'crash';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const file = await exportSyncFile(a, { now: clock.now(), checkpoint: false });
    expect(await importSyncFile(b, file.bytes, { now: clock.now() })).toMatchObject({
      ok: true,
      newEntries: 1,
    });
    expect((await b.db.stock.get(row))!.onHand).toBe(before + 3);
    expect(started).toHaveLength(2);
    expect(warn.mock.calls.map(([text]) => text)).toEqual([
      'Larder could not seal the sync file in a worker; doing it on the page',
      'Larder could not open the sync file in a worker; doing it on the page',
    ]);
  });
});
