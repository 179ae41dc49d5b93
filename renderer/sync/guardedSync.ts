/**
 * y-protocols' sync messages, with every incoming update passed through Larder's ingest checks.
 *
 * y-webrtc applies peers' updates with `Y.applyUpdate` inside y-protocols/sync. vite.config.ts resolves
 * y-webrtc's import of 'y-protocols/sync' to this module instead (and only y-webrtc's), so updates from
 * WebRTC peers and other tabs are checked exactly like sync files: a malformed update, or one that
 * would delete ledger entries, is refused before Yjs sees it, and reported under Problems. The same
 * exports and message formats as y-protocols/sync 1.0, so y-webrtc cannot tell the difference.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { encodeAppliedState, ingestUpdate } from '../../shared/sync/ingest';

export const messageYjsSyncStep1 = 0;
export const messageYjsSyncStep2 = 1;
export const messageYjsUpdate = 2;

type Refused = (message: string) => void;
let onRefused: Refused = (message) => console.warn(`Larder refused a peer update: ${message}`);

/** Where refused updates are reported (the sync service records them as problems). */
export function setRefusedHandler(handler: Refused): void {
  onRefused = handler;
}

export const writeSyncStep1 = (encoder: encoding.Encoder, doc: Y.Doc): void => {
  encoding.writeVarUint(encoder, messageYjsSyncStep1);
  encoding.writeVarUint8Array(encoder, Y.encodeStateVector(doc));
};

/** Answers with what the peer lacks, leaving out updates Yjs holds back for missing dependencies. */
export const writeSyncStep2 = (
  encoder: encoding.Encoder,
  doc: Y.Doc,
  encodedStateVector?: Uint8Array,
): void => {
  encoding.writeVarUint(encoder, messageYjsSyncStep2);
  encoding.writeVarUint8Array(encoder, encodeAppliedState(doc, encodedStateVector));
};

export const readSyncStep1 = (decoder: decoding.Decoder, encoder: encoding.Encoder, doc: Y.Doc): void =>
  writeSyncStep2(encoder, doc, decoding.readVarUint8Array(decoder));

export const readSyncStep2 = (
  decoder: decoding.Decoder,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
): void => {
  const update = decoding.readVarUint8Array(decoder);
  try {
    const result = ingestUpdate(doc, update, transactionOrigin);
    if (!result.ok) onRefused(result.message);
  } catch (error) {
    // Thrown by an observer, not by the checks (they never throw): same as y-protocols.
    errorHandler?.(error as Error);
    console.error('Caught error while handling a Yjs update', error);
  }
};

export const writeUpdate = (encoder: encoding.Encoder, update: Uint8Array): void => {
  encoding.writeVarUint(encoder, messageYjsUpdate);
  encoding.writeVarUint8Array(encoder, update);
};

export const readUpdate = readSyncStep2;

export const readSyncMessage = (
  decoder: decoding.Decoder,
  encoder: encoding.Encoder,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
): number => {
  const messageType = decoding.readVarUint(decoder);
  switch (messageType) {
    case messageYjsSyncStep1:
      readSyncStep1(decoder, encoder, doc);
      break;
    case messageYjsSyncStep2:
      readSyncStep2(decoder, doc, transactionOrigin, errorHandler);
      break;
    case messageYjsUpdate:
      readUpdate(decoder, doc, transactionOrigin, errorHandler);
      break;
    default:
      throw new Error('Unknown message type');
  }
  return messageType;
};
