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
 *
 * A whole state larger than one message should carry (a new device joining a network past about 1M entries)
 * is answered in parts, one per sync step 1: `messageLarderSyncStep2Part`.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { deflate, inflateExactly, MAX_UPDATE_BYTES } from '../../shared/sync/compress';
import { deflateOffPage, inflateExactlyOffPage } from './compressOffPage';
import { pacer } from '../../shared/pace';
import {
  PACED_PARTS_FROM,
  PART_BYTES,
  docPartsPaced,
  stateParts,
  valuesPast,
} from '../../shared/sync/docParts';
import {
  docHolding,
  HistoryLeftOutError,
  holdsHistory,
  skeletonOf,
  stateVectorToAsk,
} from '../../shared/sync/skeleton';
import {
  expectMore,
  ingestBusy,
  ingestIdle,
  ingestUpdate,
  type IngestResult,
} from '../../shared/sync/ingest';
import { messageForLog, msg, type DomainMessage } from '../../shared/messages';
import { ingestInSteps, takeInSteps } from '../storage/largeUpdates';

export { MAX_UPDATE_BYTES };
// For the Larder patch of y-webrtc (it imports this module as 'y-protocols/sync'): messages in frames.
export { Reassembler, sendFramed } from './peerFrames';
import { sendFramed, type FramedConn } from './peerFrames';

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
/**
 * A sync step 2 that holds only the first part of what the peer lacks, deflated as messageLarderSyncStep2:
 * the whole would be more than one message should carry (SYNC_PART_BYTES, about 1M entries). The peer takes
 * it, then asks again with a sync step 1 from where it now stands, and is answered with the next part; the
 * last comes as a plain sync step 2, and only then is the peer synced.
 */
export const messageLarderSyncStep2Part = 6;
/**
 * A checkpoint for a new device to start from (shared/checkpoint/bundle.ts), deflated as
 * messageLarderSyncStep2: its figures are right in seconds, then the history behind them is taken as usual
 * (docs/checkpoints.md). Sent before the answer to a sync step 1 that said its device would start from one
 * (WANTS_CHECKPOINT after the state vector), by a device that makes checkpoints (an admin's or a
 * coordinator's), when the answer is large enough to be written in steps. Older Larders read the state
 * vector and nothing after it: they answer as before, and are never sent one.
 */
export const messageLarderCheckpoint = 7;
/** Written after a sync step 1's state vector: this device has no entry yet, and would start from a checkpoint. */
const WANTS_CHECKPOINT = 1;
/** The largest checkpoint a peer may send (inflated), and this device sends. */
export const MAX_CHECKPOINT_BYTES = MAX_UPDATE_BYTES;

/** What sync asks of the store about checkpoints (renderer/sync/webrtc.ts sets it for the network's doc). */
export interface CheckpointCarrier {
  /** Whether this device would start from a checkpoint now (joined, no entry yet: `mayStartFromCheckpoint`). */
  wants(): boolean;
  /** A checkpoint for a peer that would start from one; null when this device makes none now. */
  bundle(): Promise<Uint8Array | null>;
  /** Starts from a peer's checkpoint (verified first); resolves once its figures are in, or it was refused. */
  start(bundle: Uint8Array): Promise<void>;
}

const carriers = new WeakMap<Y.Doc, CheckpointCarrier>();

/** Sets (or, with null, removes) what sync asks about checkpoints for this doc. */
export function setCheckpointCarrier(doc: Y.Doc, carrier: CheckpointCarrier | null): void {
  if (carrier) carriers.set(doc, carrier);
  else carriers.delete(doc);
}

/** y-webrtc's message type for sync messages: what a sync step 1 sent to a peer by this module starts with. */
const Y_WEBRTC_MESSAGE_SYNC = 0;

/**
 * A sync step 2 carries at most this much of the doc (before deflating); more goes in parts
 * (shared/sync/docParts.ts). Tests and the sync benchmark make it small.
 */
export const SYNC_PART_BYTES = PART_BYTES;
let partBytes = SYNC_PART_BYTES;

/** Sets the size of a sync step 2's parts (tests), or puts back SYNC_PART_BYTES. */
export function setSyncPartBytes(bytes: number = SYNC_PART_BYTES): void {
  partBytes = bytes;
}

/** Docs that stand in a room without content: they send nothing and take nothing from peers. */
const noDocs = new WeakSet<Y.Doc>();

/** Marks a doc as standing in a room without content (an earlier key's room: catchUpRooms.ts). */
export function holdNoDoc(doc: Y.Doc): void {
  noDocs.add(doc);
}

/**
 * The origin of what a peer's message brings into the doc: its room and the connection it came from. The
 * Larder patch of y-webrtc relays a doc update to every peer but the one it came from, which it knows from
 * the room while the message is read (`deliveringConn`) and from this origin when it is taken later (in
 * steps, or behind a large message): a new device taking a network in steps sent every step back to the
 * peer that had sent it (15 MB over the wire at a million entries, and about 3 s of that peer's page
 * decoding and applying what it already had).
 */
export interface PeerOrigin {
  larderRoom: unknown;
  larderConn: SyncConn;
}

/** The origin for what came over `conn` in `room`: one object per connection. */
function peerOrigin(room: unknown, conn: SyncConn): PeerOrigin {
  const known = conn.larderOrigin;
  if (known && known.larderRoom === room) return known;
  const origin = { larderRoom: room, larderConn: conn };
  conn.larderOrigin = origin;
  return origin;
}

/** The connection a message came from (the Larder patch of y-webrtc sets it on the room while reading). */
interface DeliveringRoom {
  deliveringConn?: SyncConn | null;
}

/** y-webrtc's connection as this module uses it. */
type SyncConn = FramedConn & {
  catchUpOnly?: boolean;
  /** Settles the wait for the next part of this peer's state in parts (see `expectNextPart`). */
  larderNextPart?: () => void;
  larderOrigin?: PeerOrigin;
  /** A question of this peer's still waiting for its answer to be written (see `answerOverConn`). */
  larderAsked?: Asked;
  /** A checkpoint was sent to this peer: once is enough. */
  larderCheckpointSent?: boolean;
};

/** A peer's sync step 1: where it stands, and whether it would start from a checkpoint. */
interface Asked {
  stateVector: Uint8Array;
  checkpoint: boolean;
}

/**
 * How long a device waits for the next part of a peer's state before it stops holding back its weighing of
 * a rebuild for it (the part may still come, and is taken then). Covers the peer encoding the rest (about a
 * second per million entries) and sending 15 MB or so over a slow Wi-Fi.
 */
export const NEXT_PART_WAIT_MS = 30_000;

/**
 * Tells the ingest that the next part of this peer's state is on its way (`expectMore`), until it arrives
 * (`partArrived`), the rest is not asked for, or NEXT_PART_WAIT_MS pass. Any earlier wait on this
 * connection ends here.
 */
function expectNextPart(conn: SyncConn, doc: Y.Doc): void {
  const previous = conn.larderNextPart;
  let settle = () => undefined as void;
  const arrived = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, NEXT_PART_WAIT_MS);
    settle = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  conn.larderNextPart = settle;
  expectMore(doc, arrived);
  previous?.();
}

/** Whatever this peer sent of its state has arrived (and is being taken): no part is awaited from it. */
function partArrived(conn: SyncConn | null | undefined): void {
  const settle = conn?.larderNextPart;
  if (!conn || !settle) return;
  conn.larderNextPart = undefined;
  settle();
}

type Refused = (message: DomainMessage) => void;
/** A refused update said on the console: where refusals go by default, and beside where they are recorded. */
export const warnRefused: Refused = (message) =>
  console.warn('Larder refused a peer update', messageForLog(message));
let onRefused: Refused = warnRefused;

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

export const writeSyncStep1 = (encoder: encoding.Encoder, doc: Y.Doc): void => {
  if (noDocs.has(doc)) {
    // No state vector: the peer must not answer with its doc, which this room never takes.
    encoding.writeVarUint(encoder, messageLarderNoDoc);
    return;
  }
  encoding.writeVarUint(encoder, messageYjsSyncStep1);
  // (A device started from a checkpoint's skeleton asks for the history it lacks too: stateVectorToAsk.)
  encoding.writeVarUint8Array(encoder, stateVectorToAsk(doc));
  if (carriers.get(doc)?.wants()) encoding.writeVarUint(encoder, WANTS_CHECKPOINT);
};

/**
 * What the peer lacks, whole; or, when that is more than a message should carry, its first part (the peer
 * asks again from where it then stands). Leaves out updates Yjs holds back for missing dependencies.
 */
const answerTo = (doc: Y.Doc, encodedStateVector?: Uint8Array) => {
  const { parts, complete } = stateParts(doc, encodedStateVector, { maxBytes: partBytes, most: 1 });
  return { part: parts[0]!, complete };
};

/** `answerTo`, written a step at a time with the page let run between steps. */
async function answerInSteps(doc: Y.Doc, encodedStateVector: Uint8Array) {
  const { parts, complete } = await docPartsPaced(
    doc,
    encodedStateVector,
    { maxBytes: partBytes, most: 1 },
    pacer(),
  );
  return { part: parts[0]!, complete };
}

/**
 * Whether the peer at `encodedStateVector` lacks history this device keeps on disk only (its doc started from
 * a skeleton: shared/sync/skeleton.ts); false for one that does not read as a state vector.
 */
function shortOfHistory(doc: Y.Doc, encodedStateVector: Uint8Array): boolean {
  const skeleton = skeletonOf(doc);
  if (!skeleton) return false;
  try {
    return !holdsHistory(skeleton, Y.decodeStateVector(encodedStateVector));
  } catch {
    return false;
  }
}

/** Writes a sync step 2 of `part` (deflated already when `packed` is given). */
function writeAnswer(
  encoder: encoding.Encoder,
  { part, complete }: { part: Uint8Array; complete: boolean },
  packed?: Uint8Array,
): void {
  if (complete && !packed) {
    writePacked(encoder, messageYjsSyncStep2, messageLarderSyncStep2, part);
    return;
  }
  encoding.writeVarUint(encoder, complete ? messageLarderSyncStep2 : messageLarderSyncStep2Part);
  encoding.writeVarUint(encoder, part.byteLength);
  encoding.writeVarUint8Array(encoder, packed ?? deflate(part));
}

/** Answers with what the peer lacks (`answerTo`). */
export const writeSyncStep2 = (
  encoder: encoding.Encoder,
  doc: Y.Doc,
  encodedStateVector?: Uint8Array,
): void => writeAnswer(encoder, answerTo(doc, encodedStateVector));

export const readSyncStep1 = (decoder: decoding.Decoder, encoder: encoding.Encoder, doc: Y.Doc): void =>
  writeSyncStep2(encoder, doc, decoding.readVarUint8Array(decoder));

/**
 * Past this many bytes of doc, a peer's sync step 1 is answered after the answer is deflated off the page (a
 * worker: compressOffPage.ts; in steps, the page let run between them, where there is none): a new device's
 * first sync at a million entries deflated 57 MB in one task of about 1.5 s on the answering hub's page (its
 * desk froze while a coordinator's laptop joined).
 */
export const PACED_DEFLATE_FROM = 1024 * 1024;
let pacedDeflateFrom = PACED_DEFLATE_FROM;

/** Sets the size past which an answer is deflated off the page (tests), or puts back PACED_DEFLATE_FROM. */
export function setPacedDeflateFrom(bytes: number = PACED_DEFLATE_FROM): void {
  pacedDeflateFrom = bytes;
}

/**
 * Past this many values that a peer lacks, its sync step 1 is answered with an answer written in steps
 * (shared/sync/docParts.ts `PACED_PARTS_FROM`: a million entries at once held the answering hub's page).
 */
export const ANSWER_IN_STEPS_FROM = PACED_PARTS_FROM;
let answerInStepsFrom = ANSWER_IN_STEPS_FROM;

/** Sets how much a peer must lack for its answer to be written in steps (tests), or puts back the default. */
export function setAnswerInStepsFrom(values: number = ANSWER_IN_STEPS_FROM): void {
  answerInStepsFrom = values;
}

/** What readSyncMessage returns for a sync step 1 answered later: y-webrtc sends nothing now. */
export const messageAnsweredLater = -2;

/** Per doc: the answers being deflated, one after another (each holds up to a part of the doc twice). */
const answering = new WeakMap<Y.Doc, Promise<void>>();

/**
 * Answers a peer's sync step 1 once the answer is deflated off the page. The answer is what the doc holds now;
 * when the peer lacks much (ANSWER_IN_STEPS_FROM), what the doc holds once the answer is written, in steps
 * too (what the doc gains meanwhile reaches the peer either way: as an update, or in the answer). Sent
 * framed over the connection it came from, unless that closed meanwhile. False (nothing done) when the
 * answer is small enough to go at once.
 */
function answerOverConn(
  doc: Y.Doc,
  encodedStateVector: Uint8Array,
  conn: SyncConn,
  encoder: encoding.Encoder,
  wantsCheckpoint = false,
): boolean {
  // A state vector that does not read as one is answered at once (`answerTo` throws, as before). A peer short
  // of history this device holds on disk only (its doc started from a skeleton) is answered from the disk.
  const inSteps =
    shortOfHistory(doc, encodedStateVector) ||
    (valuesPast(doc, encodedStateVector) ?? 0) >= answerInStepsFrom;
  const now = inSteps ? null : answerTo(doc, encodedStateVector);
  if (now && now.part.byteLength < pacedDeflateFrom) {
    writeAnswer(encoder, now);
    return false;
  }
  // A peer asking again before its last question is answered gets one answer, to its last question: a
  // peer cannot queue answers (seconds of work each at a million entries) without end.
  if (conn.larderAsked) {
    conn.larderAsked.stateVector = encodedStateVector;
    conn.larderAsked.checkpoint = wantsCheckpoint;
    return true;
  }
  const asked: Asked = { stateVector: encodedStateVector, checkpoint: wantsCheckpoint };
  conn.larderAsked = asked;
  // An answer from the history on disk waits its turn (`historyTurn`), outside the queue of answers: the
  // peers that hold the history are answered meanwhile.
  if (inSteps && shortOfHistory(doc, encodedStateVector)) {
    const turn = historyTurn(doc).then(() => queueAnswer(doc, conn, asked, now));
    const waits = historyWaits.get(doc) ?? new Set();
    historyWaits.set(doc, waits);
    waits.add(turn);
    void turn.finally(() => waits.delete(turn));
  } else queueAnswer(doc, conn, asked, now);
  return true;
}

/**
 * A peer short of history makes a device running on a skeleton read its whole history from disk (about 600 MB
 * and 9 s or more at ten million entries: docs/history.md). Answers from the history start at most once per
 * HISTORY_ANSWERS_EVERY_MS: those asked within HISTORY_SHARED_MS of the last start go at once (they share its
 * read, which DocPersistence keeps 30 s after its last use), the others wait for the end of the period. Asking
 * again, or from more connections, does not make the device read its history more often: a new device waits
 * minutes at most for a history it then takes for hours.
 */
export const HISTORY_ANSWERS_EVERY_MS = 5 * 60_000;
export const HISTORY_SHARED_MS = 20_000;
let historyEvery = HISTORY_ANSWERS_EVERY_MS;
let historyShared = HISTORY_SHARED_MS;

/** Sets how often answers from the history may start, and for how long after one others share it (tests). */
export function setHistoryAnswers(
  everyMs: number = HISTORY_ANSWERS_EVERY_MS,
  sharedMs: number = HISTORY_SHARED_MS,
): void {
  historyEvery = everyMs;
  historyShared = sharedMs;
}

/** By doc, when the last answer from its history started. */
const historyStarted = new WeakMap<Y.Doc, number>();
/** By doc, the answers from its history waiting for their turn (`answersSent` waits for them too). */
const historyWaits = new WeakMap<Y.Doc, Set<Promise<void>>>();

/** Resolves when an answer from `doc`'s history may start (see HISTORY_ANSWERS_EVERY_MS). */
async function historyTurn(doc: Y.Doc): Promise<void> {
  for (;;) {
    const now = Date.now();
    const last = historyStarted.get(doc);
    if (last === undefined || now - last >= historyEvery) {
      historyStarted.set(doc, now);
      return;
    }
    if (now - last < historyShared) return;
    await new Promise((resolve) => setTimeout(resolve, last + historyEvery - now));
  }
}

/** Queues the answer to `asked` behind the answers being written for `doc` (one at a time). */
function queueAnswer(
  doc: Y.Doc,
  conn: SyncConn,
  asked: Asked,
  now: ReturnType<typeof answerTo> | null,
): void {
  const before = answering.get(doc) ?? Promise.resolve();
  const run = before.then(async () => {
    if (conn.larderAsked === asked) conn.larderAsked = undefined;
    if (conn.closed) return;
    // Before the answer is written (in steps: not one taken when asked), so that its history holds
    // everything the checkpoint counts.
    if (asked.checkpoint && !now) await sendCheckpoint(doc, conn);
    if (conn.closed || noDocs.has(doc)) return;
    const answer = now ?? (await answerInSteps(await docHolding(doc, asked.stateVector), asked.stateVector));
    if (conn.closed || noDocs.has(doc)) return;
    // Deflated at once when small (an answer written in steps may turn out small: the peer had most of it).
    const packed = answer.part.byteLength < pacedDeflateFrom ? undefined : await deflateOffPage(answer.part);
    if (conn.closed || noDocs.has(doc)) return;
    const message = encoding.createEncoder();
    encoding.writeVarUint(message, Y_WEBRTC_MESSAGE_SYNC);
    writeAnswer(message, answer, packed);
    sendFramed(conn, encoding.toUint8Array(message));
  });
  const tail = run.catch((error: unknown) => {
    // A device started from a checkpoint's skeleton, its history not on its disk yet, answers no peer short of
    // that history: a device that holds it does (renderer/storage/persistence.ts `seed`).
    if (error instanceof HistoryLeftOutError)
      console.info('Larder left a peer short of history to another device');
    else console.error('Larder could not answer a peer’s sync', error);
  });
  answering.set(doc, tail);
  void tail.then(() => {
    if (answering.get(doc) === tail) answering.delete(doc);
  });
}

/**
 * Sends this device's checkpoint to a peer that would start from one, once per connection; nothing when this
 * device makes none (a hub's device; the checkpoint cannot be made now) or it is too large to send.
 */
async function sendCheckpoint(doc: Y.Doc, conn: SyncConn): Promise<void> {
  const carrier = carriers.get(doc);
  if (!carrier || conn.larderCheckpointSent) return;
  conn.larderCheckpointSent = true;
  const bundle = await carrier.bundle();
  if (!bundle || bundle.byteLength > MAX_CHECKPOINT_BYTES || conn.closed || noDocs.has(doc)) return;
  const packed = bundle.byteLength < pacedDeflateFrom ? deflate(bundle) : await deflateOffPage(bundle);
  if (conn.closed || noDocs.has(doc)) return;
  const message = encoding.createEncoder();
  encoding.writeVarUint(message, Y_WEBRTC_MESSAGE_SYNC);
  encoding.writeVarUint(message, messageLarderCheckpoint);
  encoding.writeVarUint(message, bundle.byteLength);
  encoding.writeVarUint8Array(message, packed);
  sendFramed(conn, encoding.toUint8Array(message));
}

/** A peer's checkpoint this device does not start from (it holds entries; it started from another's). */
function letCheckpointGo(): null {
  console.info('Larder let a peer’s checkpoint go: this device holds entries already');
  return null;
}

/**
 * Takes a peer's checkpoint, when this device would start from one: what peers send after it waits behind it
 * (in the order it came), so the history the checkpoint spares is taken once its figures are in. A device
 * that would not (it has entries; it started from another peer's) reads it and lets it go.
 */
function takeCheckpoint(doc: Y.Doc, length: number, packed: Uint8Array): Promise<void> | null {
  const carrier = carriers.get(doc);
  if (!carrier) return null;
  if (!carrier.wants()) return letCheckpointGo();
  if (length > MAX_CHECKPOINT_BYTES) {
    onRefused(msg('update.tooLarge', { bytes: length, megabytes: MAX_CHECKPOINT_BYTES / 2 ** 20 }));
    return null;
  }
  if (queueFull(doc, packed.byteLength)) return null;
  return behindInflating(doc, packed.byteLength, async () => {
    const bundle = inflatedInSteps(packed, length)
      ? await inflateExactlyOffPage(packed, length)
      : inflateExactly(packed, length);
    if (!bundle) {
      onRefused(msg('update.wrongLength'));
      return;
    }
    // Another peer's checkpoint, or history, may have come first.
    if (!carrier.wants()) {
      letCheckpointGo();
      return;
    }
    await carrier
      .start(bundle)
      .catch((error: unknown) => console.error('Larder could not start from a peer’s checkpoint', error));
  });
}

/** Resolves once every answer being deflated has been sent (tests). */
export async function answersSent(doc: Y.Doc): Promise<void> {
  for (;;) {
    const waits = [...(historyWaits.get(doc) ?? [])];
    if (waits.length > 0) await Promise.all(waits);
    const tail = answering.get(doc);
    if (tail) await tail;
    else if (waits.length === 0) return;
  }
}

export const readSyncStep2 = (
  decoder: decoding.Decoder,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
): void => {
  void takePlain(decoding.readVarUint8Array(decoder), doc, transactionOrigin, errorHandler);
};

/**
 * Takes an update that came as it is, behind a large message still being inflated if there is one (peers'
 * messages are taken in the order they came); `started` runs once it is handed to the ingest.
 */
function takePlain(
  update: Uint8Array,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
  started?: () => void,
): Promise<IngestResult | null> {
  const take = () => {
    const taken = applyChecked(update, doc, transactionOrigin, errorHandler);
    started?.();
    return taken;
  };
  if (!inflating.has(doc)) return take();
  if (queueFull(doc, update.byteLength)) {
    started?.();
    return Promise.resolve(null);
  }
  return behindInflating(doc, update.byteLength, take);
}

/**
 * Past this many bytes deflated (about 4 MB of doc, 70,000 entries) a peer's message is inflated off the page
 * (a worker; in steps, the page let run between them, where there is none): a part of 56 MiB took 786 ms in
 * one task. Messages read meanwhile wait behind it.
 */
export const PACED_INFLATE_FROM = 1024 * 1024;
let pacedFrom = PACED_INFLATE_FROM;

/** Sets the size past which a peer’s message is inflated off the page (tests), or puts back the default. */
export function setPacedInflateFrom(bytes: number = PACED_INFLATE_FROM): void {
  pacedFrom = bytes;
}

/**
 * Past this many bytes inflated, as the message states it, a peer's message is inflated off the page too,
 * however small it is deflated: a new device's first sync at 100,000 entries (0.7 MB deflated, 3 MB of doc)
 * was inflated in one task of 250-600 ms, the inflater's code not yet compiled (46 ms once it is). (A peer
 * that states more than it sends only has its message inflated off the page; one that sends more is cut off
 * at what it stated.)
 */
export const PACED_INFLATED_FROM = 1024 * 1024;

/** Whether a peer's deflated message is inflated off the page (`inflateExactlyOffPage`). */
const inflatedInSteps = (packed: Uint8Array, length: number) =>
  packed.byteLength > pacedFrom || length > PACED_INFLATED_FROM;

/** Per doc: peer messages being inflated off the page, and what was read after them (in order, behind them). */
const inflating = new WeakMap<Y.Doc, Promise<unknown>>();
/** Per doc: the bytes of the messages in that queue (as they came: deflated or not). */
const queuedBytes = new WeakMap<Y.Doc, number>();

/**
 * The most a doc's queue of peer messages may hold: two whole messages. Peers decide how much they send and
 * how fast; past this, a message is refused (`update.queueFull`) and comes again at the next sync.
 */
export const MAX_QUEUED_BYTES = 2 * (MAX_UPDATE_BYTES + 1024 * 1024);
let maxQueued = MAX_QUEUED_BYTES;

/** Sets the most the queue may hold (tests), or puts back MAX_QUEUED_BYTES. */
export function setMaxQueuedBytes(bytes: number = MAX_QUEUED_BYTES): void {
  maxQueued = bytes;
}

/** Whether a message of `bytes` would pass what the queue may hold: then it is refused, and said so. */
function queueFull(doc: Y.Doc, bytes: number): boolean {
  if ((queuedBytes.get(doc) ?? 0) + bytes <= maxQueued) return false;
  onRefused(msg('update.queueFull'));
  return true;
}

/** Resolves once every peer message read so far is inflated and taken (large ones: `ingestIdle` too). */
export async function peerUpdatesIdle(doc: Y.Doc): Promise<void> {
  for (let tail = inflating.get(doc); tail; tail = inflating.get(doc)) await tail;
  await ingestIdle(doc);
}

/** Runs `take` after whatever this doc's peer messages are still waiting for, in the order they came. */
function behindInflating<T>(doc: Y.Doc, bytes: number, take: () => Promise<T>): Promise<T> {
  const before = inflating.get(doc) ?? Promise.resolve();
  queuedBytes.set(doc, (queuedBytes.get(doc) ?? 0) + bytes);
  const run = before.then(take).finally(() => queuedBytes.set(doc, queuedBytes.get(doc)! - bytes));
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  inflating.set(doc, tail);
  void tail.then(() => {
    if (inflating.get(doc) === tail) inflating.delete(doc);
  });
  return run;
}

/**
 * Reads a deflated update ([varuint length][deflate of it]) and takes it; `started` runs once it is handed to
 * the ingest (a large one is then queued there: `ingestIdle` waits for it). Null when it was refused.
 */
function readPackedUpdate(
  decoder: decoding.Decoder,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
  started?: () => void,
): Promise<IngestResult | null> | null {
  const length = decoding.readVarUint(decoder);
  const packed = decoding.readVarUint8Array(decoder);
  if (length > MAX_UPDATE_BYTES) {
    onRefused(msg('update.tooLarge', { bytes: length, megabytes: MAX_UPDATE_BYTES / 2 ** 20 }));
    started?.();
    return null;
  }
  const take = (update: Uint8Array | null) => {
    if (!update) {
      onRefused(msg('update.wrongLength'));
      started?.();
      return null;
    }
    const taken = applyChecked(update, doc, transactionOrigin, errorHandler);
    started?.();
    return taken;
  };
  // Streamed with a running count: the stated length is a limit, never a buffer reserved up front.
  if (!inflatedInSteps(packed, length) && !inflating.has(doc)) return take(inflateExactly(packed, length));
  if (queueFull(doc, packed.byteLength)) {
    started?.();
    return null;
  }
  return behindInflating(doc, packed.byteLength, async () =>
    take(
      inflatedInSteps(packed, length)
        ? await inflateExactlyOffPage(packed, length)
        : inflateExactly(packed, length),
    ),
  );
}

/**
 * Once a part of a peer's sync step 2 is in, asks the peer for the rest: a sync step 1 from where the doc
 * now stands. Not when the part was refused or did not move the doc (a peer answering with the same part
 * again and again would otherwise keep both busy), nor once the connection has closed.
 */
async function askForTheRest(
  taken: Promise<IngestResult | null> | null,
  doc: Y.Doc,
  before: Uint8Array,
  conn: SyncConn,
  /** A part that brought nothing is a problem to report (an answer in parts), not the end of asking for history. */
  reportStuck = true,
): Promise<void> {
  const result = await taken;
  await peerUpdatesIdle(doc);
  const stuck = result?.ok && equalBytes(stateVectorToAsk(doc), before);
  if (!result?.ok || stuck || conn.closed || noDocs.has(doc)) {
    // Nothing more is coming from this peer: the device need not wait for it.
    partArrived(conn);
    if (stuck && reportStuck) onRefused(msg('update.partStuck'));
    return;
  }
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, Y_WEBRTC_MESSAGE_SYNC);
  writeSyncStep1(encoder, doc);
  sendFramed(conn, encoding.toUint8Array(encoder));
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Takes an update from a peer; resolves with what became of it (null when an observer threw). Never rejects. */
function applyChecked(
  update: Uint8Array,
  doc: Y.Doc,
  transactionOrigin: unknown,
  errorHandler?: (error: Error) => void,
): Promise<IngestResult | null> {
  // A first sync's whole network (or a long absence's backlog) is taken in steps, letting the page run;
  // what arrives meanwhile waits for it: ingestUpdate holds it, within a bounded memory, large or not (a
  // peer sending large update after large update would otherwise queue them all).
  if (!ingestBusy(doc) && takeInSteps(update)) {
    return ingestInSteps(doc, update, transactionOrigin).then(
      (result) => {
        if (!result.ok) onRefused(result.message);
        return result;
      },
      (error: unknown) => {
        errorHandler?.(error as Error);
        console.error('Caught error while handling a Yjs update', error);
        return null;
      },
    );
  }
  try {
    const result = ingestUpdate(doc, update, transactionOrigin);
    if (!result.ok) onRefused(result.message);
    return Promise.resolve(result);
  } catch (error) {
    // Thrown by an observer, not by the checks (they never throw): same as y-protocols.
    errorHandler?.(error as Error);
    console.error('Caught error while handling a Yjs update', error);
    return Promise.resolve(null);
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
  // Read now: y-webrtc sets the delivering connection only while this message is being read. What the
  // message brings is taken with an origin that names the connection, also when it is taken later.
  const conn = (transactionOrigin as DeliveringRoom | null)?.deliveringConn ?? null;
  const origin = conn ? peerOrigin(transactionOrigin, conn) : transactionOrigin;
  try {
    const messageType = decoding.readVarUint(decoder);
    switch (messageType) {
      case messageLarderNoDoc: {
        if (conn) conn.catchUpOnly = true;
        return messageUnreadable;
      }
      case messageYjsSyncStep1: {
        if (!conn) {
          // Without a connection to answer over later, a peer short of history this device keeps on disk
          // only is not answered (another device, or a sync file, gives it the history).
          const stateVector = decoding.readVarUint8Array(decoder);
          if (shortOfHistory(doc, stateVector)) return messageUnreadable;
          writeSyncStep2(encoder, doc, stateVector);
          return messageType;
        }
        // Over a WebRTC connection: a large answer is deflated off the page and sent when it is ready.
        const stateVector = decoding.readVarUint8Array(decoder);
        // Older Larders write nothing after the state vector.
        const wantsCheckpoint =
          decoding.hasContent(decoder) && decoding.readVarUint(decoder) === WANTS_CHECKPOINT;
        const later = answerOverConn(doc, stateVector, conn, encoder, wantsCheckpoint);
        return later ? messageAnsweredLater : messageType;
      }
      case messageYjsSyncStep2: {
        // A device started from a checkpoint's skeleton whose history has not all come asks again after each
        // answer (from the first clock of it it lacks: `stateVectorToAsk`), until an answer brings none.
        const arriving = conn && skeletonOf(doc)?.history ? stateVectorToAsk(doc) : null;
        const taken = takePlain(decoding.readVarUint8Array(decoder), doc, origin, errorHandler, () =>
          partArrived(conn),
        );
        if (arriving && conn) void askForTheRest(taken, doc, arriving, conn, false);
        return messageType;
      }
      case messageYjsUpdate:
        readUpdate(decoder, doc, origin, errorHandler);
        return messageType;
      case messageLarderSyncStep2Part: {
        const before = stateVectorToAsk(doc);
        // Once the part is handed to the ingest (after it is inflated), the next part is what is awaited.
        const taken = readPackedUpdate(decoder, doc, origin, errorHandler, () => {
          if (conn) expectNextPart(conn, doc);
        });
        if (conn) void askForTheRest(taken, doc, before, conn);
        // Not synced yet: y-webrtc marks the peer synced on the last part, a plain sync step 2.
        return messageYjsUpdate;
      }
      case messageLarderSyncStep2: {
        void readPackedUpdate(decoder, doc, origin, errorHandler, () => partArrived(conn));
        return messageYjsSyncStep2;
      }
      case messageLarderUpdate:
        void readPackedUpdate(decoder, doc, origin, errorHandler);
        return messageYjsUpdate;
      case messageLarderCheckpoint: {
        const length = decoding.readVarUint(decoder);
        void takeCheckpoint(doc, length, decoding.readVarUint8Array(decoder));
        // Not synced by it: the answer follows.
        return messageYjsUpdate;
      }
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
