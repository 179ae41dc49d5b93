// @ts-expect-error simple-peer's browser bundle (the one y-webrtc uses) has no types.
import Peer from 'simple-peer/simplepeer.min.js';
import { rtcOverPort } from '../../../renderer/sync/rtcStandIn';

/*
 * One side of tests/e2e/worker-rtc.spec.ts: simple-peer, as y-webrtc runs it, in a Worker, its WebRTC lent
 * by the page (renderer/sync/rtcStandIn.ts and rtcLender.ts). The page relays the two sides' signals.
 */
interface SimplePeer {
  on(event: string, listener: (data: unknown) => void): void;
  signal(data: unknown): void;
  send(data: string | Uint8Array): void;
  destroy(): void;
}

let peer: SimplePeer | null = null;
self.onmessage = (e: MessageEvent) => {
  const m = e.data as {
    start?: { initiator: boolean; rtc: MessagePort };
    signal?: unknown;
    send?: string;
    end?: true;
  };
  if (m.start) {
    peer = new Peer({
      initiator: m.start.initiator,
      wrtc: rtcOverPort(m.start.rtc),
      config: { iceServers: [] },
    }) as SimplePeer;
    peer.on('signal', (signal) => self.postMessage({ signal }));
    peer.on('connect', () => self.postMessage({ connected: true }));
    peer.on('data', (data) => self.postMessage({ data: new TextDecoder().decode(data as Uint8Array) }));
    peer.on('close', () => self.postMessage({ closed: true }));
    peer.on('error', (error) => self.postMessage({ error: String(error) }));
  }
  if (m.signal) peer?.signal(m.signal);
  if (m.send) peer?.send(m.send);
  if (m.end) peer?.destroy();
};
