import { writeVarUint, writeVarUint8Array, type Encoder } from 'lib0/encoding';
import type * as Y from 'yjs';
import {
  messageYjsSyncStep2,
  writeSyncStep2 as guardedWriteSyncStep2,
} from '../../renderer/sync/guardedSync';

/**
 * Part of experiment `no-bc` of bench/sync.ts (off by default): y-webrtc's sync module is the app's
 * guardedSync, except that a sync step 2 with no state vector, which y-webrtc writes only when a room
 * connects (to broadcast the whole doc to other tabs), is written as an empty update. Answers to peers
 * always come with the peer's state vector and are unchanged.
 */
export * from '../../renderer/sync/guardedSync';

/** A Yjs update (v1) with no structs and an empty delete set. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);

export const writeSyncStep2 = (encoder: Encoder, doc: Y.Doc, encodedStateVector?: Uint8Array): void => {
  if (encodedStateVector !== undefined) return guardedWriteSyncStep2(encoder, doc, encodedStateVector);
  writeVarUint(encoder, messageYjsSyncStep2);
  writeVarUint8Array(encoder, EMPTY_UPDATE);
};
