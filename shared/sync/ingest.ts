import * as Y from 'yjs';

export type IngestResult = { ok: true; changed: boolean } | { ok: false; message: string };

/**
 * Applies an update from a peer or a sync file to the doc. An update that does not decode is rejected
 * before the doc is touched. (Entries inside a well-formed update are validated later, when they are
 * projected: invalid ones are set aside under Problems.)
 */
export function ingestUpdate(doc: Y.Doc, update: Uint8Array, origin: unknown): IngestResult {
  try {
    Y.decodeUpdate(update);
  } catch {
    return { ok: false, message: 'The update is malformed and was not applied' };
  }
  const before = Y.encodeStateVector(doc);
  try {
    Y.applyUpdate(doc, update, origin);
  } catch {
    return { ok: false, message: 'The update could not be applied' };
  }
  const after = Y.encodeStateVector(doc);
  return { ok: true, changed: before.length !== after.length || before.some((b, i) => b !== after[i]) };
}
