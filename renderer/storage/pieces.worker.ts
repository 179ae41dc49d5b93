import { pieceBatches } from './pieces';

/** Pieces per message, about: the page decodes a batch while the worker cuts the next ones. */
const BATCH_BYTES = 2 * 1024 * 1024;

/**
 * Cuts a large update into pieces off the page's thread (reading a first sync of a million entries takes
 * seconds). Receives the update's bytes; answers with the pieces a batch at a time as they are made, then
 * `done` (or the error's message, after the batches made before it).
 */
self.onmessage = (event: MessageEvent<{ id: number; update: Uint8Array }>) => {
  const { id, update } = event.data;
  try {
    for (const pieces of pieceBatches(update, BATCH_BYTES))
      self.postMessage({ id, pieces }, { transfer: pieces.map((p) => p.buffer as ArrayBuffer) });
    self.postMessage({ id, done: true });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
