import { deflate, deflatePaced, inflateExactly, inflateExactlyPaced } from '../../shared/sync/compress';
import { pacer } from '../../shared/pace';
import { buffersOf, type WorkerAnswer } from '../platform/oneShotWorker';

/**
 * A large sync message deflated or inflated off the page, in compress.worker.ts (compressOffPage.ts asks
 * it): a new device's first sync at a million entries is 57 MB to deflate on the answering hub's device and
 * to inflate on the new one, a second or more of each page's time in steps. What goes to the worker is
 * copied (the page does it itself should the worker fail); what comes back is moved. Inflating keeps its
 * bound there as here: no more than the stated length ever comes out (shared/sync/compress.ts
 * `inflateExactly`).
 */
export type PackRequest =
  { kind: 'deflate'; bytes: Uint8Array } | { kind: 'inflate'; packed: Uint8Array; length: number };

/** On this thread, in steps, the page let run between them: tests in Node, and pages with no worker. */
export const packHere = (request: PackRequest): Promise<Uint8Array | null> =>
  request.kind === 'deflate'
    ? deflatePaced(request.bytes, pacer())
    : inflateExactlyPaced(request.packed, request.length, pacer());

/** The compression worker's work (compress.worker.ts), with the buffer to move back rather than copy. */
export function answerPack(request: PackRequest): {
  answer: WorkerAnswer<Uint8Array | null>;
  transfer: ArrayBuffer[];
} {
  try {
    const out =
      request.kind === 'deflate' ? deflate(request.bytes) : inflateExactly(request.packed, request.length);
    return { answer: { reply: out }, transfer: out ? buffersOf([out]) : [] };
  } catch (error) {
    return { answer: { error: error instanceof Error ? error.message : String(error) }, transfer: [] };
  }
}
