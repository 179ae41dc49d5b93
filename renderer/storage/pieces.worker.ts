import { pieceBatches } from './pieces';
import { SlicedUpdates, type UpdateSlice } from './pieceCutter';

/** Pieces per message, about: the page decodes a batch while the worker cuts the next ones. */
const BATCH_BYTES = 2 * 1024 * 1024;

const slices = new SlicedUpdates();

/**
 * Cuts a large update into pieces off the page's thread (reading a first sync of a million entries takes
 * seconds). Receives the update's bytes in slices (pieceCutter.ts `sendInSlices`); once all have come,
 * answers with the pieces a batch at a time as they are made, then `done` (or the error's message, after the
 * batches made before it).
 */
self.onmessage = (event: MessageEvent<UpdateSlice>) => {
  const id = event.data.id;
  const update = slices.take(event.data);
  if (!update) return;
  try {
    for (const pieces of pieceBatches(update, BATCH_BYTES))
      self.postMessage({ id, pieces }, { transfer: pieces.map((p) => p.buffer as ArrayBuffer) });
    self.postMessage({ id, done: true });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
