// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answerOpen, openHere, type OpenRequest } from '../../renderer/sync/syncFileOpener';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import type { WorkerAnswer } from '../../renderer/platform/oneShotWorker';
import type { OpenedSyncFile } from '../../shared/sync/syncfile';
import { testStores } from './stores';

/**
 * Sync files opened off the page (renderer/sync/syncFileOpener.ts, syncFile.worker.ts): with a stand-in
 * for the browser's Worker that does the worker's work (`answerOpen`) on a structured clone of what it is
 * sent, in this thread. The real worker opens the files of the join-by-file and sync-file e2e tests.
 */
const { clock, twoHubsWithHistory, device } = testStores('syncopener', 73);

const started: FakeWorker[] = [];

class FakeWorker {
  static crash = false;
  onmessage: ((event: { data: WorkerAnswer<OpenedSyncFile> }) => void) | null = null;
  onerror: ((event: { message: string; preventDefault: () => void }) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  terminated = false;
  transferred: ArrayBuffer[] = [];
  sent: OpenRequest | null = null;
  constructor() {
    started.push(this);
  }
  postMessage(request: OpenRequest): void {
    const copy = structuredClone(request);
    this.sent = copy;
    void (async () => {
      if (FakeWorker.crash) return this.onerror?.({ message: 'out of memory', preventDefault: () => {} });
      const { answer, transfer } = await answerOpen(copy);
      this.transferred = transfer;
      this.onmessage?.({ data: answer });
    })();
  }
  terminate(): void {
    this.terminated = true;
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  started.length = 0;
  FakeWorker.crash = false;
});

describe('a sync file opened in a worker', () => {
  it('opens as on the page, its parts moved back, not copied', async () => {
    const { a } = await twoHubsWithHistory();
    const file = await exportSyncFile(a, { now: clock.now(), checkpoint: true });
    const { fileKey } = await a.secrets();
    const request = { bytes: file.bytes, networkId: a.self!.networkId, fileKey };
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
    const request = { bytes: new TextEncoder().encode('LARDER-SYNC not really'), networkId: 'n', fileKey };
    expect((await answerOpen(request)).answer).toEqual({ reply: await openHere(request) });
    expect((await answerOpen(request)).transfer).toEqual([]);
  });

  it('is how the app imports a file, and the page opens it when the worker fails', async () => {
    const { a, b } = await twoHubsWithHistory();
    const before = (await b.db.stock.toArray()).length;
    await a.recordDonation({
      source: 'individual',
      lines: [{ item: (await a.db.items.toArray())[0]!.id, quantity: '3' }],
    });
    const file = await exportSyncFile(a, { now: clock.now() });
    vi.stubGlobal('Worker', FakeWorker);
    const imported = await importSyncFile(b, file.bytes, { now: clock.now() });
    expect(imported).toMatchObject({ ok: true, newEntries: 1 });
    expect(started).toHaveLength(1);
    expect(started[0]!.terminated).toBe(true);
    // A copy went: the caller's bytes are whole.
    expect(started[0]!.sent!.bytes).toEqual(file.bytes);
    expect(file.bytes.byteLength).toBeGreaterThan(0);
    expect((await b.db.stock.toArray()).length).toBeGreaterThanOrEqual(before);

    FakeWorker.crash = true;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const c = await device();
    await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Library laptop' });
    expect(await importSyncFile(c, file.bytes, { now: clock.now() })).toMatchObject({ ok: true });
    expect(warn).toHaveBeenCalledWith(
      'Larder could not open the sync file in a worker; doing it on the page',
      expect.any(Error),
    );
  });
});
