import { expect } from 'vitest';
import * as Y from 'yjs';
import { ingestUpdate } from '../../../shared/sync/ingest';
import type { DomainMessage } from '../../../shared/messages';

/** What `from` holds that `to` lacks: the update a peer's sync would send. */
export const diff = (from: Y.Doc, to: Y.Doc) => Y.encodeStateAsUpdate(from, Y.encodeStateVector(to));

/** The door refuses `update` with `message`, and the doc is left exactly as it was. */
export function expectRefused(doc: Y.Doc, update: Uint8Array, message: DomainMessage): void {
  const before = Y.encodeStateAsUpdate(doc);
  expect(ingestUpdate(doc, update, 'peer')).toEqual({ ok: false, message });
  expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
}
