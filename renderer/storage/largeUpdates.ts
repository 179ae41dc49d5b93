import type * as Y from 'yjs';
import { pacer } from '../../shared/pace';
import { ingestLarge, type IngestResult } from '../../shared/sync/ingest';
import { workerCutter } from './pieceCutter';

/**
 * Updates larger than this are taken in steps (shared/sync/ingest.ts `ingestLarge`): checked and applied
 * at once, one of about 512 kB held the page some 35 ms on this machine (at 200,000 entries, 11.5 MB took
 * 0.8 s: the check about 0.5 s, Yjs's apply 0.3 s).
 */
export const LARGE_UPDATE_BYTES = 512 * 1024;

/**
 * Takes a large update from a peer, a relay or a sync file in steps: cut into pieces in a worker, then
 * decoded, checked and applied with the page let run every 20 ms or so.
 */
export async function ingestInSteps(doc: Y.Doc, update: Uint8Array, origin: unknown): Promise<IngestResult> {
  const cutter = workerCutter();
  try {
    return await ingestLarge(doc, update, origin, { cut: cutter.cut, pause: pacer() });
  } finally {
    cutter.done();
  }
}
