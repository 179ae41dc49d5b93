import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import {
  Reassembler,
  readSyncMessage,
  setCheckpointCarrier,
  writeSyncStep1,
  type CheckpointCarrier,
} from '../../renderer/sync/guardedSync';
import { checkpointCarrier } from '../../renderer/sync/checkpointCarrier';
import type { LarderStore } from '../../renderer/storage/store';
import { ledgersOf } from '../../shared/doc';

/**
 * Two stores of one page joined by y-webrtc's sync messages, as guardedSync.ts reads and writes them, passed
 * between them in later tasks (no WebRTC: what the stores do, not what the network costs). `to` asks `from`
 * with a sync step 1, as a device does when a connection opens, and they go on until `to` holds every entry
 * of `from` (answers in parts ask again, as over WebRTC). With `checkpoint`, `from` sends its checkpoint and
 * `to` starts from it; without, `to` says it would not. Resolves with the bytes sent each way and when the
 * checkpoint's figures were committed (ms from the question; null without).
 */
export async function joinOverMessages(
  from: LarderStore,
  to: LarderStore,
  checkpoint: boolean,
  onReady?: () => void,
): Promise<{ readyMs: number | null; bytes: number }> {
  const start = performance.now();
  let readyMs: number | null = null;
  setCheckpointCarrier(from.persistence.doc, checkpointCarrier(from));
  const theirs = checkpointCarrier(to);
  const carrier: CheckpointCarrier = checkpoint
    ? {
        ...theirs,
        start: async (bundle) => {
          await theirs.start(bundle);
          readyMs = performance.now() - start;
          onReady?.();
        },
      }
    : { ...theirs, wants: () => false };
  setCheckpointCarrier(to.persistence.doc, carrier);
  let bytes = 0;
  const side = (store: LarderStore) => {
    const frames = new Reassembler();
    const conn = {
      closed: false,
      peer: { send: (_data: Uint8Array): void => undefined, _channel: { bufferedAmount: 0 } },
    };
    return { store, frames, conn, room: { deliveringConn: conn } };
  };
  const a = side(from);
  const b = side(to);
  // What one side sends, the other reads in a later task (a data channel's message event).
  const wire = (sender: ReturnType<typeof side>, receiver: ReturnType<typeof side>) => {
    sender.conn.peer.send = (data: Uint8Array) => {
      bytes += data.byteLength;
      setTimeout(() => {
        const got = receiver.frames.push(data);
        if ('message' in got) deliver(receiver, got.message);
      });
    };
  };
  const deliver = (receiver: ReturnType<typeof side>, message: Uint8Array) => {
    const decoder = decoding.createDecoder(message);
    // y-webrtc's message type: sync.
    decoding.readVarUint(decoder);
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, 0);
    readSyncMessage(decoder, reply, receiver.store.persistence.doc, receiver.room);
    if (encoding.length(reply) > 1) receiver.conn.peer.send(encoding.toUint8Array(reply));
  };
  wire(a, b);
  wire(b, a);
  const ask = encoding.createEncoder();
  encoding.writeVarUint(ask, 0);
  writeSyncStep1(ask, to.persistence.doc);
  b.conn.peer.send(encoding.toUint8Array(ask));
  const devices = ledgersOf(from.persistence.doc).size;
  // The sender's devices' entries (the new device may save its own meanwhile).
  const entries = () => {
    let n = 0;
    const theirs = ledgersOf(to.persistence.doc);
    for (const device of ledgersOf(from.persistence.doc).keys()) n += theirs.get(device)?.length ?? 0;
    return n;
  };
  let expected = 0;
  for (const ledger of ledgersOf(from.persistence.doc).values()) expected += ledger.length;
  while (ledgersOf(to.persistence.doc).size < devices || entries() < expected)
    await new Promise((resolve) => setTimeout(resolve, 50));
  setCheckpointCarrier(from.persistence.doc, null);
  setCheckpointCarrier(to.persistence.doc, null);
  return { readyMs, bytes };
}
