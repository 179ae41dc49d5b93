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
import { skeletonOf } from '../../shared/sync/skeleton';

/**
 * Two stores, each in a page of its own (each its own heap), joined by y-webrtc's sync messages as
 * guardedSync.ts reads and writes them, passed over a BroadcastChannel: no WebRTC, what the stores do and
 * not what the network costs. A frame sent on one side is read on the other in a task of its own, as a data
 * channel's message event is. `joinOverChannel` asks with a sync step 1, as a device does when a connection
 * opens, and they go on until it holds every entry the other side said it has (answers in parts ask again,
 * as over WebRTC).
 */
const CHANNEL = 'larder-bench-wire';

interface Side {
  store: LarderStore;
  frames: Reassembler;
  conn: { closed: boolean; peer: { send: (data: Uint8Array) => void; _channel: { bufferedAmount: number } } };
  room: { deliveringConn: Side['conn'] };
  channel: BroadcastChannel;
  sent: number;
}

/** One end of the wire: what it reads, answered as guardedSync answers a peer. */
function side(store: LarderStore, me: 'from' | 'to'): Side {
  const channel = new BroadcastChannel(CHANNEL);
  const s: Side = {
    store,
    frames: new Reassembler(),
    conn: {
      closed: false,
      peer: {
        send: (data: Uint8Array) => {
          s.sent += data.byteLength;
          channel.postMessage({ by: me, data });
        },
        _channel: { bufferedAmount: 0 },
      },
    },
    room: { deliveringConn: null as unknown as Side['conn'] },
    channel,
    sent: 0,
  };
  s.room.deliveringConn = s.conn;
  channel.onmessage = (event: MessageEvent<{ by: string; data: Uint8Array }>) => {
    if (event.data.by === me || s.conn.closed) return;
    const got = s.frames.push(event.data.data);
    if (!('message' in got)) return;
    const decoder = decoding.createDecoder(got.message);
    // y-webrtc's message type: sync.
    decoding.readVarUint(decoder);
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, 0);
    readSyncMessage(decoder, reply, store.persistence.doc, s.room);
    if (encoding.length(reply) > 1) s.conn.peer.send(encoding.toUint8Array(reply));
  };
  return s;
}

/** The entries each device has in this store's doc: [device, entries]. */
export function ledgerLengths(store: LarderStore): [string, number][] {
  return [...ledgersOf(store.persistence.doc)].map(([device, ledger]) => [device, ledger.length]);
}

/**
 * The coordinator's end: answers what the other page asks, sending its checkpoint if asked for one.
 * Returns how to stop, with the bytes it sent.
 */
export function serveOverChannel(from: LarderStore): () => number {
  setCheckpointCarrier(from.persistence.doc, checkpointCarrier(from));
  const s = side(from, 'from');
  return () => {
    s.conn.closed = true;
    s.channel.close();
    setCheckpointCarrier(from.persistence.doc, null);
    return s.sent;
  };
}

/**
 * The new device's end: asks, and resolves once it holds `expected` (the other side's `ledgerLengths`),
 * with the bytes it sent and when the checkpoint's figures were committed (ms from the question; null
 * without). With `checkpoint`, it starts from the coordinator's checkpoint; without, it says it would not.
 */
export async function joinOverChannel(
  to: LarderStore,
  checkpoint: boolean,
  expected: [string, number][],
  onReady?: () => void,
): Promise<{ readyMs: number | null; sent: number; received: number }> {
  const start = performance.now();
  let readyMs: number | null = null;
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
  const s = side(to, 'to');
  let received = 0;
  s.channel.addEventListener('message', (event: MessageEvent<{ by: string; data: Uint8Array }>) => {
    if (event.data.by !== 'to') received += event.data.data.byteLength;
  });
  const ask = encoding.createEncoder();
  encoding.writeVarUint(ask, 0);
  writeSyncStep1(ask, to.persistence.doc);
  s.conn.peer.send(encoding.toUint8Array(ask));
  // The sender's devices' entries (the new device may save its own meanwhile).
  const done = () => {
    // Started from the checkpoint's skeleton, its doc holds no history: done once the history is on its disk.
    if (skeletonOf(to.persistence.doc)) return !to.persistence.historyArriving;
    const mine = ledgersOf(to.persistence.doc);
    return expected.every(([device, length]) => (mine.get(device)?.length ?? 0) >= length);
  };
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 50));
  s.conn.closed = true;
  s.channel.close();
  setCheckpointCarrier(to.persistence.doc, null);
  return { readyMs, sent: s.sent, received };
}
