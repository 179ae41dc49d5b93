import { afterEach, describe, expect, it, vi } from 'vitest';
import { answerPack, packHere, type PackRequest } from '../../renderer/sync/compressWork';
import { deflateOffPage, inflateExactlyOffPage } from '../../renderer/sync/compressOffPage';
import { deflate, inflateExactly } from '../../shared/sync/compress';
import { fakeWorkers } from './fakeWorker';

/**
 * Large sync messages deflated and inflated off the page (renderer/sync/compressWork.ts, compress.worker.ts):
 * the worker's work and the page's are the same bytes' round trip, the inflater's bound holds in the worker,
 * and a worker that fails leaves the page to do it. The real worker runs in bench/join-file.ts's joins over
 * sync messages (a million entries), in Chromium.
 */
const workers = fakeWorkers<PackRequest, Uint8Array | null>(async (request) => answerPack(request));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  workers.reset();
});

/** 200 kB that deflate well, as a network's entries do (the page's sizes for off the page are set by its caller). */
const doc = () =>
  new TextEncoder().encode('{"kind":"donation","hub":"huba0001","item":"rice"}'.repeat(4_000));

describe('a sync message deflated and inflated in a worker', () => {
  it('comes back the same, its bytes moved back, not copied', () => {
    const bytes = doc();
    const { answer, transfer } = answerPack({ kind: 'deflate', bytes });
    if (!('reply' in answer) || !answer.reply) throw new Error('not deflated');
    expect(transfer).toEqual([answer.reply.buffer]);
    expect(answer.reply.byteLength).toBeLessThan(bytes.byteLength / 10);
    const back = answerPack({ kind: 'inflate', packed: answer.reply, length: bytes.byteLength });
    expect(back.answer).toEqual({ reply: bytes });
  });

  it('keeps the inflater’s bound: a message that inflates to more or less than it states gives nothing', async () => {
    const bytes = doc();
    const packed = deflate(bytes);
    for (const length of [bytes.byteLength - 1, bytes.byteLength + 1, 10, -1]) {
      expect(answerPack({ kind: 'inflate', packed, length })).toEqual({
        answer: { reply: null },
        transfer: [],
      });
      expect(await packHere({ kind: 'inflate', packed, length })).toBeNull();
    }
    expect(answerPack({ kind: 'inflate', packed: bytes.subarray(0, 100), length: 100 }).answer).toEqual({
      reply: null,
    });
  });

  it('is what the page deflates and inflates in a worker, the page’s bytes left whole', async () => {
    vi.stubGlobal('Worker', workers.Worker);
    const bytes = doc();
    const packed = await deflateOffPage(bytes);
    expect(inflateExactly(packed, bytes.byteLength)).toEqual(bytes);
    expect(await inflateExactlyOffPage(packed, bytes.byteLength)).toEqual(bytes);
    expect(await inflateExactlyOffPage(packed, bytes.byteLength + 1)).toBeNull();
    expect(workers.started.map((w) => [w.sent!.kind, w.terminated])).toEqual([
      ['deflate', true],
      ['inflate', true],
      ['inflate', true],
    ]);
    // What was sent was a copy.
    expect(bytes).toEqual(doc());
    expect(packed.byteLength).toBeGreaterThan(0);
  });

  it('is done on the page when the worker fails, which the console says', async () => {
    vi.stubGlobal('Worker', workers.Worker);
    workers.state.behaviour = 'crash';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const bytes = doc();
    const packed = await deflateOffPage(bytes);
    expect(await inflateExactlyOffPage(packed, bytes.byteLength)).toEqual(bytes);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledWith(
      'Larder could not inflate or deflate a sync message in a worker; doing it on the page',
      expect.any(Error),
    );
  });
});
