import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import * as yProtocols from 'y-protocols/sync';
import { appendEntries, readAllEntries } from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { deflate } from '../../shared/sync/compress';
import {
  answersSent,
  MAX_CHECKPOINT_BYTES,
  messageAnsweredLater,
  messageLarderCheckpoint,
  messageLarderSyncStep2,
  messageYjsSyncStep2,
  messageYjsUpdate,
  peerUpdatesIdle,
  readSyncMessage,
  setAnswerInStepsFrom,
  setCheckpointCarrier,
  setRefusedHandler,
  writeSyncStep1,
  type CheckpointCarrier,
} from '../../renderer/sync/guardedSync';
import { msg, type DomainMessage } from '../../shared/messages';
import { connection, received } from './peerConns';

/**
 * A checkpoint over live sync (renderer/sync/guardedSync.ts): a new device says after its sync step 1's state
 * vector that it would start from one; a device that makes them sends one before its answer; the new device
 * starts from it while what peers send waits behind it. Here with stand-in carriers (the store's side is
 * tests/renderer/sync-checkpoint.test.ts).
 */
const AT = Date.UTC(2025, 5, 2, 9, 0, 0);

function docWith(n: number): Y.Doc {
  const doc = new Y.Doc();
  appendEntries(
    doc,
    'deva0001',
    Array.from({ length: n }, (_, i): Entry => ({
      kind: 'pickup',
      hub: 'huba0001',
      device: 'deva0001',
      seq: i + 1,
      item: `item${i % 40}`,
      qty: 1 + (i % 7),
      at: AT + i * 60_000,
      recordedAt: AT + i * 60_000,
    })),
  );
  return doc;
}

/** A stand-in checkpoint: 200 kB that deflate well. */
const BUNDLE = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 251);

const firstVarUint = (message: Uint8Array) => decoding.readVarUint(decoding.createDecoder(message));

const read = (doc: Y.Doc, message: Uint8Array, room: unknown = 'peer') =>
  readSyncMessage(decoding.createDecoder(message), encoding.createEncoder(), doc, room);

const stepOne = (doc: Y.Doc) => {
  const encoder = encoding.createEncoder();
  writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
};

/** A device that makes checkpoints: it sends `bundle` (counting how often it is asked for one). */
function maker(doc: Y.Doc, bundle: Uint8Array | null = BUNDLE) {
  const asked = { count: 0 };
  setCheckpointCarrier(doc, {
    wants: () => false,
    bundle: async () => {
      asked.count++;
      return bundle;
    },
    start: () => Promise.reject(new Error('a maker starts from nothing')),
  });
  return asked;
}

/** A new device: it wants a checkpoint until it starts from one, which lasts until `finish` is called. */
function newcomer(doc: Y.Doc) {
  const state = { started: null as Uint8Array | null, starts: 0, finish: () => undefined as void };
  const carrier: CheckpointCarrier = {
    wants: () => state.started === null && readAllEntries(doc).entries.length === 0,
    bundle: async () => null,
    start: (bundle) => {
      state.started = bundle;
      state.starts++;
      return new Promise<void>((resolve) => (state.finish = resolve));
    },
  };
  setCheckpointCarrier(doc, carrier);
  return state;
}

/** A checkpoint message as a maker writes it, or with another length said. */
const checkpointMessage = (bundle: Uint8Array, length = bundle.byteLength) => {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, messageLarderCheckpoint);
  encoding.writeVarUint(encoder, length);
  encoding.writeVarUint8Array(encoder, deflate(bundle));
  return encoding.toUint8Array(encoder);
};

let refused: DomainMessage[] = [];
setRefusedHandler((message) => refused.push(message));
afterEach(() => {
  refused = [];
  setAnswerInStepsFrom();
});

describe('a checkpoint over live sync', () => {
  it('is sent to a new device before the answer, which it takes once it has started from it', async () => {
    setAnswerInStepsFrom(1000);
    const source = docWith(3000);
    const asked = maker(source);
    const target = new Y.Doc();
    const joining = newcomer(target);
    const { sent, room } = connection();
    expect(read(source, stepOne(target), room)).toBe(messageAnsweredLater);
    await answersSent(source);
    const [checkpoint, answer, ...more] = received(sent);
    expect(more).toEqual([]);
    expect(asked.count).toBe(1);
    expect(firstVarUint(checkpoint!)).toBe(messageLarderCheckpoint);
    expect(firstVarUint(answer!)).toBe(messageLarderSyncStep2);

    // Not synced by the checkpoint; the answer that follows waits for the start.
    const back = connection();
    expect(read(target, checkpoint!, back.room)).toBe(messageYjsUpdate);
    // Another maker's, read before the first is started from: let go once it is.
    const second = Uint8Array.from(BUNDLE, (b) => 255 - b);
    expect(read(target, checkpointMessage(second), connection().room)).toBe(messageYjsUpdate);
    expect(read(target, answer!, back.room)).toBe(messageYjsSyncStep2);
    await vi.waitFor(() => expect(joining.started).not.toBeNull());
    expect(joining.started).toEqual(BUNDLE);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readAllEntries(target).entries).toHaveLength(0);
    joining.finish();
    await peerUpdatesIdle(target);
    expect(joining.starts).toBe(1);
    expect(readAllEntries(target).entries).toHaveLength(3000);
    expect(refused).toEqual([]);
    // Started: its next question asks for none.
    const again = connection();
    expect(read(source, stepOne(target), again.room)).not.toBe(messageAnsweredLater);
    await answersSent(source);
    expect(asked.count).toBe(1);
  });

  it('is not sent to a device that does not ask, by a device that makes none, nor twice on one connection', async () => {
    setAnswerInStepsFrom(1000);
    const source = docWith(3000);
    const asked = maker(source);
    // A device with entries (or an older Larder) asks without the flag: the answer alone.
    const other = docWith(1);
    setCheckpointCarrier(other, { wants: () => false, bundle: async () => null, start: async () => {} });
    const plain = connection();
    expect(read(source, stepOne(other), plain.room)).toBe(messageAnsweredLater);
    await answersSent(source);
    expect(received(plain.sent).map(firstVarUint)).toEqual([messageLarderSyncStep2]);
    expect(asked.count).toBe(0);

    // A new device asks twice on one connection: one checkpoint.
    const target = new Y.Doc();
    newcomer(target);
    const once = connection();
    read(source, stepOne(target), once.room);
    await answersSent(source);
    read(source, stepOne(target), once.room);
    await answersSent(source);
    expect(received(once.sent).map(firstVarUint)).toEqual([
      messageLarderCheckpoint,
      messageLarderSyncStep2,
      messageLarderSyncStep2,
    ]);

    // A hub's device (it makes none) answers alone.
    const hub = docWith(3000);
    const none = maker(hub, null);
    const fromHub = connection();
    read(hub, stepOne(target), fromHub.room);
    await answersSent(hub);
    expect(none.count).toBe(1);
    expect(received(fromHub.sent).map(firstVarUint)).toEqual([messageLarderSyncStep2]);
    // A small answer goes at once, without one.
    setAnswerInStepsFrom();
    const small = connection();
    expect(read(source, stepOne(target), small.room)).not.toBe(messageAnsweredLater);
    expect(refused).toEqual([]);
  });

  it('is let go by a device that would not start from one, and refused when too large or not its stated length', async () => {
    const target = new Y.Doc();
    const joining = newcomer(target);
    // Has entries: read, and let go.
    const busy = docWith(5);
    const theirs = newcomer(busy);
    expect(read(busy, checkpointMessage(BUNDLE))).toBe(messageYjsUpdate);
    await peerUpdatesIdle(busy);
    expect(theirs.started).toBeNull();
    expect(refused).toEqual([]);
    // Says it is larger than any checkpoint may be: refused before it is inflated.
    expect(read(target, checkpointMessage(BUNDLE, MAX_CHECKPOINT_BYTES + 1))).toBe(messageYjsUpdate);
    expect(refused).toEqual([msg('update.tooLarge', { bytes: MAX_CHECKPOINT_BYTES + 1, megabytes: 64 })]);
    // Inflates to another length than it says.
    refused = [];
    read(target, checkpointMessage(BUNDLE, BUNDLE.byteLength - 1));
    await peerUpdatesIdle(target);
    expect(refused).toEqual([msg('update.wrongLength')]);
    expect(joining.started).toBeNull();
    // Cut short.
    refused = [];
    read(target, checkpointMessage(BUNDLE).subarray(0, 50));
    expect(refused).toEqual([msg('update.truncated')]);
    expect(joining.started).toBeNull();
  });

  it('is asked for in a way an older Larder reads as a plain sync step 1', () => {
    const source = docWith(300);
    const target = new Y.Doc();
    newcomer(target);
    const message = stepOne(target);
    // The state vector, then the flag.
    const decoder = decoding.createDecoder(message);
    expect(decoding.readVarUint(decoder)).toBe(yProtocols.messageYjsSyncStep1);
    decoding.readVarUint8Array(decoder);
    expect(decoding.hasContent(decoder)).toBe(true);
    // y-protocols' own reader answers it with everything the new device lacks.
    const answer = encoding.createEncoder();
    expect(yProtocols.readSyncMessage(decoding.createDecoder(message), answer, source, null)).toBe(
      yProtocols.messageYjsSyncStep1,
    );
    const reply = decoding.createDecoder(encoding.toUint8Array(answer));
    expect(decoding.readVarUint(reply)).toBe(yProtocols.messageYjsSyncStep2);
    Y.applyUpdate(target, decoding.readVarUint8Array(reply));
    expect(readAllEntries(target).entries).toHaveLength(300);
  });
});
