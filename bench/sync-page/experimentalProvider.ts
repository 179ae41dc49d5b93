import { WebrtcProvider as Original, type ProviderOptions } from 'y-webrtc';
import type * as Y from 'yjs';

declare const __LARDER_SYNC_EXPERIMENTS__: string[];

/**
 * Experiments `no-echo` and `negotiated-channel` of bench/sync.ts (off by default): when one is asked
 * for, renderer/sync/webrtc.ts gets this provider instead of y-webrtc's, so the app's SyncService runs
 * unchanged with one change each:
 * - `negotiated-channel`: both peers open the same pre-negotiated data channel (id 0), so a connection
 *   made while both sides offered at once still has one channel both ends listen on;
 * - `no-echo`: an update that came from the peers is not broadcast back to them.
 */
const experiments = new Set(__LARDER_SYNC_EXPERIMENTS__);

interface RoomLike {
  _docUpdateHandler: (update: Uint8Array, origin: unknown) => void;
}

export class WebrtcProvider extends Original {
  constructor(roomName: string, doc: Y.Doc, opts: ProviderOptions = {}) {
    super(
      roomName,
      doc,
      experiments.has('negotiated-channel')
        ? {
            ...opts,
            peerOpts: { ...(opts.peerOpts as object), channelConfig: { negotiated: true, id: 0 } },
          }
        : opts,
    );
    if (experiments.has('no-echo'))
      // Runs right after y-webrtc's own `key.then`, which opens and connects the room.
      void this.key.then(() => {
        const room = this.room as unknown as RoomLike | null;
        if (!room) return;
        const send = room._docUpdateHandler;
        doc.off('update', send);
        room._docUpdateHandler = (update, origin) => {
          if (origin !== room) send(update, origin);
        };
        doc.on('update', room._docUpdateHandler);
      });
  }
}
