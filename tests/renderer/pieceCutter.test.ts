import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { SlicedUpdates, workerCutter, type UpdateSlice } from '../../renderer/storage/pieceCutter';
import { pieceBatches, updatePieces } from '../../renderer/storage/pieces';

/**
 * The worker that cuts large updates (renderer/storage/pieceCutter.ts), with a stand-in for the browser's
 * Worker that answers as pieces.worker.ts does (a piece per batch here): a batch per message, then done; or an error; or it crashes.
 * The real worker runs in the e2e tests (a sync file of 45,000 entries) and in bench:sync.
 */

type Behaviour = { crashAfter?: number; errorAfter?: number };
const started: FakeWorker[] = [];
/** Tasks other than the cutter's that have run (a test's timer counts them). */
let ticks = 0;

class FakeWorker {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: { message: string; preventDefault: () => void }) => void) | null = null;
  terminated = false;
  /** What the page has been sent, batch by batch, by the time each batch goes. */
  sent = 0;
  /** The slices the page sent, with what it moved for each, as the worker's side takes them. */
  slices: { slice: UpdateSlice; moved: Transferable[]; ticks: number }[] = [];
  private readonly taken = new SlicedUpdates();
  static behaviour: Behaviour = {};
  constructor() {
    started.push(this);
  }
  postMessage(message: UpdateSlice, moved: Transferable[] = []): void {
    this.slices.push({ slice: message, moved, ticks });
    const update = this.taken.take(message);
    if (!update) return;
    const id = message.id;
    const { crashAfter, errorAfter } = FakeWorker.behaviour;
    void (async () => {
      let n = 0;
      for (const pieces of pieceBatches(update, 1)) {
        await new Promise((r) => setTimeout(r, 0));
        if (n === crashAfter) return this.onerror?.({ message: 'out of memory', preventDefault: () => {} });
        if (n === errorAfter) return this.onmessage?.({ data: { id, error: 'not an update' } });
        this.onmessage?.({ data: { id, pieces } });
        this.sent = ++n;
      }
      this.onmessage?.({ data: { id, done: true } });
    })();
  }
  terminate(): void {
    this.terminated = true;
  }
}

/** An update of about 1 MB in a few thousand structs: a few pieces, each its own batch here. */
function largeUpdate(): Uint8Array {
  const doc = new Y.Doc();
  const log = doc.getArray<string>('log');
  for (let i = 0; i < 4_000; i++) log.insert(0, [`entry ${i}`.padEnd(250, '.')]);
  log.delete(5, 10);
  return Y.encodeStateAsUpdate(doc);
}

const expected = (update: Uint8Array) => [...pieceBatches(update, 1)].flat();

afterEach(() => {
  vi.unstubAllGlobals();
  started.length = 0;
  FakeWorker.behaviour = {};
});

describe('workerCutter', () => {
  it('gives the worker’s pieces a batch at a time, the first before the worker has sent the rest', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const update = largeUpdate();
    const cutter = workerCutter();
    const got: Uint8Array[][] = [];
    const sentWhenTaken: number[] = [];
    for await (const batch of cutter.stream(update)) {
      got.push(batch);
      sentWhenTaken.push(started[0]!.sent);
    }
    expect(got.length).toBeGreaterThanOrEqual(4);
    expect(got.flat()).toEqual(expected(update));
    // Each batch was taken as it came, not after the last.
    expect(sentWhenTaken[0]).toBe(1);
    expect(sentWhenTaken.at(-1)).toBe(got.length);
    expect(await cutter.cut(update)).toEqual(expected(update));
    // One worker for both, ended by done.
    expect(started).toHaveLength(1);
    cutter.done();
    expect(started[0]!.terminated).toBe(true);
  });

  it('sends the update in slices of its own, each moved, the page let run between them', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const whole = largeUpdate();
    // A view into a larger buffer (an update that came in a sync file with more after it).
    const arrived = new Uint8Array(whole.byteLength + 5_000);
    arrived.set(whole, 1_000);
    const update = arrived.subarray(1_000, 1_000 + whole.byteLength);
    const cutter = workerCutter(100_000);
    ticks = 0;
    const ticking = setInterval(() => ticks++, 0);
    const got: Uint8Array[][] = [];
    try {
      for await (const batch of cutter.stream(update)) got.push(batch);
    } finally {
      clearInterval(ticking);
    }
    expect(got.flat()).toEqual(expected(whole));
    const { slices } = started[0]!;
    expect(slices).toHaveLength(Math.ceil(whole.byteLength / 100_000));
    expect(slices.map(({ slice }) => slice.at)).toEqual(slices.map((_, i) => i * 100_000));
    for (const { slice, moved } of slices) {
      expect(slice.total).toBe(whole.byteLength);
      // Its own buffer, no larger than a slice, and moved rather than copied again.
      expect(slice.slice.buffer.byteLength).toBe(slice.slice.byteLength);
      expect(slice.slice.byteLength).toBeLessThanOrEqual(100_000);
      expect(moved).toEqual([slice.slice.buffer]);
    }
    // The caller's bytes are untouched, and other tasks ran between each two slices.
    expect(update).toEqual(whole);
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.ticks).toBeGreaterThan(slices[i - 1]!.ticks);
    cutter.done();
  });

  it('a worker that crashes halfway: the rest is cut on the page, no piece given twice or left out', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    FakeWorker.behaviour = { crashAfter: 2 };
    const update = largeUpdate();
    const cutter = workerCutter();
    const got: Uint8Array[][] = [];
    for await (const batch of cutter.stream(update)) got.push(batch);
    expect(got.flat()).toEqual(updatePieces(update));
    expect(got.slice(0, 2).flat()).toEqual(expected(update).slice(0, got[0]!.length + got[1]!.length));
    // Broken: the next update is cut here without another worker.
    expect(await cutter.cut(update)).toEqual(updatePieces(update));
    expect(started).toHaveLength(1);
  });

  it('bytes the worker cannot cut: the stream throws after what it gave, and cut rejects', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    FakeWorker.behaviour = { errorAfter: 1 };
    const cutter = workerCutter();
    const got: Uint8Array[][] = [];
    await expect(
      (async () => {
        for await (const batch of cutter.stream(largeUpdate())) got.push(batch);
      })(),
    ).rejects.toThrow('not an update');
    expect(got).toHaveLength(1);
    await expect(cutter.cut(largeUpdate())).rejects.toThrow('not an update');
  });

  it('where there is no Worker, cuts on the page', async () => {
    vi.stubGlobal('Worker', undefined);
    const update = largeUpdate();
    const cutter = workerCutter();
    const got: Uint8Array[][] = [];
    for await (const batch of cutter.stream(update)) got.push(batch);
    expect(got.flat()).toEqual(updatePieces(update));
    expect(await cutter.cut(update)).toEqual(updatePieces(update));
  });
});
