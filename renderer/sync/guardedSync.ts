/**
 * y-protocols' sync messages, with every incoming update passed through Larder's ingest checks.
 *
 * y-webrtc applies peers' updates with `Y.applyUpdate` inside y-protocols/sync. vite.config.ts resolves
 * y-webrtc's import of 'y-protocols/sync' to this module instead (and only y-webrtc's), so updates from
 * WebRTC peers are checked exactly like sync files: a malformed update, or one that would delete ledger
 * entries, is refused before Yjs sees it, and reported under Problems. The same exports as
 * y-protocols/sync 1.0, so y-webrtc cannot tell the difference.
 *
 * Updates also travel deflated (fflate): ledger entries repeat hub, device and item ids, so a day of a
 * hub's entries shrinks about four times. Two message types are added for that, `messageLarderSyncStep2`
 * and `messageLarderUpdate`: [varuint length of the update][deflate-raw of it]. Small updates (one entry
 * typed at the desk) go as plain y-protocols messages, which are still read.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { deflate, inflateExactly, MAX_UPDATE_BYTES } from '../../shared/sync/compress';
import { encodeAppliedState, ingestBusy, ingestUpdate } from '../../shared/sync/ingest';
import { messageForLog, msg, type DomainMessage } from '../../shared/messages';
import { ingestInSteps, takeInSteps } from '../storage/largeUpdates';

export { MAX_UPDATE_BYTES };
// For the Larder patch of y-webrtc (it imports this module as 'y-protocols/sync'): messages in frames.
export { Reassembler, sendFramed } from './peerFrames';

/** Reports frames that did not fit together (y-webrtc's patch calls it). */
export function refuseFrames(message: DomainMessage): void {
  onRefused(message);
}

export const messageYjsSyncStep1 = 0;
export const messageYjsSyncStep2 = 1;
export const messageYjsUpdate = 2;
/** A sync step 2 whose update is deflated. */
export const messageLarderSyncStep2 = 3;
/** An update, deflated. */
export const messageLarderUpdate = 4;
/**
 * "This peer holds no doc here: send it nothing." Sent instead of a sync step 1 by a device waiting in the
 * room of a key it held before a rotation, where it offers catch-up material and never the doc
 * (catchUpRooms.ts). The device that receives it marks the connection as such: not a sync peer.
 */
export const messageLarderNoDoc = 5;

/** Docs that stand in a room without content: they send nothing and take nothing from peers. */
const noDocs = new WeakSet<Y.Doc>();

/** Marks a doc as standing in a room without content (an earlier key's room: catchUpRooms.ts). */
export function holdNoDoc(doc: Y.Doc): void {
  noDocs.add(doc);
}

/** The connection a message came from (the Larder patch of y-webrtc sets it on the room while reading). */
interface DeliveringRoom {
  deliveringConn?: { catchUpOnly?: boolean } | null;
}

type Refused = (message: DomainMessage) => void;
let onRefused: Refused = (message) => console.warn('Larder refused a peer update', messageForLog(message));

/** Where refused updates are reported (the sync service records them as problems). */
export function setRefusedHandler(handler: Refused): void {
  onRefused = handler;
}

/** Below this many bytes an update is sent as it is: deflate would save a few bytes at most. */
const COMPRESS_FROM = 256;

/** Writes `update` after `plainType` as it is, or deflated after `packedType` when that is smaller. */
function writePacked(encoder: encoding.Encoder, plainType: number, packedType: number, update: Uint8Array) {
  if (update.byteLength >= COMPRESS_FROM) {
    const packed = deflate(update);
    if (packed.byteLength < update.byteLength) {
      encoding.writeVarUint(encoder, packedType);
      encoding.writeVarUint(encoder, update.byteLength);
      encoding.writeVarUint8Array(encoder, packed);
      return;
    }
  }
  encoding.writeVarUint(encoder, plainType);
  encoding.writeVarUint8Array(encoder, update);
}

/** Reads a deflated update: [varuint length][deflate of it]; otherwise the reason it is refused. */
export function readPacked(decoder: decoding.Decoder): { update: Uint8Array } | { refused: DomainMessage } {
  const length = decoding.readVarUint(decoder);
  const packed = decoding.readVarUint8Array(decoder);
  if (length > MAX_UPDATE_BYTES)
    return { refused: msg('update.tooLarge', { bytes: length, megabytes: MAX_UPDATE_BYTES / 2 ** 20 }) };
  // Streamed with a running count: the stated length is a limit, never a buffer reserved up front.
  const update = inflateExactly(packed, length);
  return update ? { update } : { refused: msg('update.wrongLength') };
}

export const writeSyncStep1 = (encoder: encoding.Encoder, doc: Y.Doc): void => {
  if (noDocs.has(doc)) {
    // No state vector: the peer must not answer with its doc, which this room never takes.
    encoding.writeVarUint(encoder, messageLarderNoDoc);
    return;
  }
  encoding.writeVarUint(encoder, messageYjsSyncStep1);
  encoding.writeVarUint8Array(encoder, Y.encodeStateVector(doc));
};

/** Answers with what the peer lacks, leaving out updates Yjs holds back for missing dependencies. */
export const writeSyncStep2 = (
  encoder: encoding.Encoder,
  doc: Y.Doc,
  encodedStateVector?: Uint8Array,
): void => {
  writePacked(
    encoder,
    messageYjsSyncStep2,
    messageLarderSyncStep2,
    encodeAppliedState(doc, encodedStateVector),
  );
};

export const readSyncStep1 = (decoder: decoding.Decoder, encoder: encoding.Encoder, doc: Y.Doc): void =>
  writeSyncStep2(encoder, doc, decoding.readVarUint8Array(decoder));

export const readSyncStep2 = (
  decoder: decoding.Decoder,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
): void => applyChecked(decoding.readVarUint8Array(decoder), doc, transactionOrigin, errorHandler);

function readPackedUpdate(
  decoder: decoding.Decoder,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
): void {
  const read = readPacked(decoder);
  if ('refused' in read) onRefused(read.refused);
  else applyChecked(read.update, doc, transactionOrigin, errorHandler);
}

function applyChecked(
  update: Uint8Array,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
): void {
  // A first sync's whole network (or a long absence's backlog) is taken in steps, letting the page run;
  // what arrives meanwhile waits for it: ingestUpdate holds it, within a bounded memory, large or not (a
  // peer sending large update after large update would otherwise queue them all).
  if (!ingestBusy(doc) && takeInSteps(update)) {
    void ingestInSteps(doc, update, transactionOrigin).then(
      (result) => {
        if (!result.ok) onRefused(result.message);
      },
      (error: unknown) => {
        errorHandler?.(error as Error);
        console.error('Caught error while handling a Yjs update', error);
      },
    );
    return;
  }
  try {
    const result = ingestUpdate(doc, update, transactionOrigin);
    if (!result.ok) onRefused(result.message);
  } catch (error) {
    // Thrown by an observer, not by the checks (they never throw): same as y-protocols.
    errorHandler?.(error as Error);
    console.error('Caught error while handling a Yjs update', error);
  }
}

export const writeUpdate = (encoder: encoding.Encoder, update: Uint8Array): void =>
  writePacked(encoder, messageYjsUpdate, messageLarderUpdate, update);

export const readUpdate = readSyncStep2;

/** What readSyncMessage returns for a message it could not read: y-webrtc neither answers nor marks the peer synced. */
export const messageUnreadable = -1;

/**
 * Reads one sync message from a peer. Unlike y-protocols it never throws on a peer's bytes: a truncated
 * or unknown message is reported as refused and answered with nothing.
 */
export const readSyncMessage = (
  decoder: decoding.Decoder,
  encoder: encoding.Encoder,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
): number => {
  // A room held without a doc reads nothing a peer sends (not even to inflate it) and answers nothing.
  if (noDocs.has(doc)) return messageUnreadable;
  try {
    const messageType = decoding.readVarUint(decoder);
    switch (messageType) {
      case messageLarderNoDoc: {
        const conn = (transactionOrigin as DeliveringRoom | null)?.deliveringConn;
        if (conn) conn.catchUpOnly = true;
        return messageUnreadable;
      }
      case messageYjsSyncStep1:
        readSyncStep1(decoder, encoder, doc);
        return messageType;
      case messageYjsSyncStep2:
        readSyncStep2(decoder, doc, transactionOrigin, errorHandler);
        return messageType;
      case messageYjsUpdate:
        readUpdate(decoder, doc, transactionOrigin, errorHandler);
        return messageType;
      case messageLarderSyncStep2:
        readPackedUpdate(decoder, doc, transactionOrigin, errorHandler);
        // y-webrtc marks a peer synced on a sync step 2: report a deflated one as such.
        return messageYjsSyncStep2;
      case messageLarderUpdate:
        readPackedUpdate(decoder, doc, transactionOrigin, errorHandler);
        return messageYjsUpdate;
      default:
        onRefused(msg('update.unknownMessage', { type: messageType }));
        return messageUnreadable;
    }
  } catch {
    // Only reading the peer's bytes can throw here, before any answer is written (observers' errors
    // are caught in applyChecked).
    onRefused(msg('update.truncated'));
    return messageUnreadable;
  }
};
