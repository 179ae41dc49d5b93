import type * as Y from 'yjs';
import { pacer } from '../../shared/pace';
import { envelopesIn, ingestLargeParts, type IngestResult } from '../../shared/sync/ingest';
import { workerCutter } from './pieceCutter';

/**
 * Updates larger than this are taken in steps (shared/sync/ingest.ts `ingestLarge`). Checked and applied at
 * once, entries cost about 70 ms per MB on this machine (200,000 entries, 11.5 MB: 0.8 s, the check about
 * 0.5 s, Yjs's apply 0.3 s), but signed settings far more: the door verifies each with @noble on the page
 * (0.85 ms), so 500 levels set at once (177 kB, with their writer's copies) held it 521 ms; in steps they
 * are verified ahead with WebCrypto, 86 ms in all, the longest step 70 ms.
 */
export const LARGE_UPDATE_BYTES = 64 * 1024;

/**
 * A smaller update carrying more signed settings than this is taken in steps too: under 64 kB fit about
 * 360 envelopes, about 0.3 s of @noble on the page; 16 cost about 14 ms.
 */
export const STEPPED_SETTINGS = 16;

/** The smallest an update with more than STEPPED_SETTINGS envelopes can be (each is over 150 bytes). */
const SETTINGS_BYTES = STEPPED_SETTINGS * 150;

/** Whether to take an update in steps (`ingestInSteps`) rather than at once (`ingestUpdate`). */
export function takeInSteps(update: Uint8Array): boolean {
  if (update.byteLength > LARGE_UPDATE_BYTES) return true;
  return update.byteLength > SETTINGS_BYTES && envelopesIn(update) > STEPPED_SETTINGS;
}

/**
 * Takes a large update from a peer, a relay or a sync file in steps: cut into pieces in a worker and
 * decoded as they come, checked and applied with the page let run every 20 ms or so.
 */
export async function ingestInSteps(doc: Y.Doc, update: Uint8Array, origin: unknown): Promise<IngestResult> {
  return (await ingestPartsInSteps(doc, [update], origin))[0]!;
}

/** The parts of a state in parts (a sync file in parts), in order, each taken as `ingestInSteps` takes an update. */
export async function ingestPartsInSteps(
  doc: Y.Doc,
  parts: readonly Uint8Array[],
  origin: unknown,
): Promise<IngestResult[]> {
  const cutter = workerCutter();
  try {
    return await ingestLargeParts(doc, parts, origin, { cut: cutter.stream, pause: pacer() });
  } finally {
    cutter.done();
  }
}
