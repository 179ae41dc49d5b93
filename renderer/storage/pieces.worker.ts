import { updatePieces } from './pieces';

/**
 * Cuts a large stored row into pieces off the page's thread (reading a first sync of a million entries
 * takes seconds). Receives the row's bytes, answers with the pieces (or the error's message).
 */
self.onmessage = (event: MessageEvent<{ id: number; update: Uint8Array }>) => {
  const { id, update } = event.data;
  try {
    const pieces = updatePieces(update);
    self.postMessage({ id, pieces }, { transfer: pieces.map((p) => p.buffer as ArrayBuffer) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
