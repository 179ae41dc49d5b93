import { appendAll } from '../../shared/arrays';
import { fragmentsOf, Reassembler } from '../../shared/sync/fragments';

export { Reassembler };

/**
 * Most bytes left waiting in a data channel's send buffer. Chromium closes a channel whose buffer passes
 * 16 MiB, and a whole network's sync step 2 is several megabytes deflated: frames wait here instead, and
 * go as the channel drains.
 */
export const HIGH_WATER = 1024 * 1024;

/** y-webrtc's connection, as far as sending goes (its simple-peer, and the channel under it). */
export interface FramedConn {
  peer: {
    send(data: Uint8Array): void;
    _channel?: { bufferedAmount: number; readyState?: RTCDataChannelState } | null;
  };
  closed?: boolean;
  larderFrames?: Uint8Array[];
  larderWaiting?: boolean;
}

/**
 * Sends a y-webrtc message in frames a data channel takes (shared/sync/fragments.ts), in order behind any
 * frames still waiting, never filling the channel's buffer past HIGH_WATER.
 */
export function sendFramed(conn: FramedConn, message: Uint8Array): void {
  const queue = (conn.larderFrames ??= []);
  appendAll(queue, fragmentsOf(message));
  pump(conn);
}

function pump(conn: FramedConn): void {
  const queue = conn.larderFrames!;
  while (queue.length > 0) {
    if (conn.closed) {
      queue.length = 0;
      return;
    }
    const channel = conn.peer._channel;
    // A channel handed to a Worker (rtcLender.ts) may carry the peer's first message there before it says
    // it is open: the answer to it waits for the channel, instead of failing to send and being lost.
    if ((channel?.bufferedAmount ?? 0) > HIGH_WATER || channel?.readyState === 'connecting') {
      if (!conn.larderWaiting) {
        conn.larderWaiting = true;
        setTimeout(() => {
          conn.larderWaiting = false;
          pump(conn);
        }, 10);
      }
      return;
    }
    try {
      conn.peer.send(queue.shift()!);
    } catch {
      // The connection is closing: y-webrtc makes a new one, which syncs again from the start.
      queue.length = 0;
      return;
    }
  }
}
