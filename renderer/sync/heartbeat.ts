/**
 * Heartbeats on each WebRTC connection, so a device that went away without a goodbye (lid shut, tab
 * killed or frozen, network gone) stops counting as connected within a few seconds. ICE notices too,
 * but only after 6-8 s, and not at all while the other browser still answers ICE but its page no longer
 * runs (a frozen tab).
 *
 * The beat is an empty awareness update: every y-webrtc peer, this version or an older one, reads it as
 * "no presence changed" and neither answers nor logs it, so no protocol change is needed. Anything a
 * peer sends counts as hearing from it; a peer that has never sent a beat (an older version) is judged
 * by ICE alone (webrtc.ts, reachesPeer).
 */

/** messageAwareness (1), then the update as a byte array of length 1 holding a count of 0 clients. */
export const HEARTBEAT: Uint8Array = Uint8Array.of(1, 1, 0);
/** How often this device beats on each open connection. */
export const BEAT_EVERY_MS = 1_000;
/** A peer that beats and has sent nothing for this long is no longer heard (three beats missed). */
export const SILENT_AFTER_MS = 3_000;

/** What of a y-webrtc connection the heartbeats use: its state and simple-peer's send and data events. */
export interface BeatingConn {
  connected: boolean;
  /** The peer's id in the room: a peer may have two connections for a moment (glare), heard as one. */
  remotePeerId?: string;
  peer?: {
    send?(data: Uint8Array): void;
    on?(event: 'data' | 'connect', listener: (data: Uint8Array) => void): void;
  };
}

const isHeartbeat = (data: Uint8Array): boolean =>
  data.length === HEARTBEAT.length && data.every((byte, i) => byte === HEARTBEAT[i]);

interface Heard {
  at: number;
  beats: boolean;
}

export class Heartbeats {
  /** Connections listened to. */
  private readonly watched = new WeakSet<BeatingConn>();
  /**
   * Per peer (or per connection without an id): when it last sent anything on any of its connections,
   * and whether it has ever sent a beat. Bounded by the room's connections (y-webrtc's maxConns): an
   * entry goes when its peer's last connection closes (forget).
   */
  private readonly heard = new Map<string | BeatingConn, Heard>();

  private keyOf(conn: BeatingConn): string | BeatingConn {
    return conn.remotePeerId ?? conn;
  }

  /**
   * Starts listening to a connection (once per connection; later calls do nothing), and beats on it the
   * moment it opens. That first beat goes out before this device can hear anything on the connection, so
   * before it can show the peer as connected: a peer that sees this device connected has its beat on the
   * way, and knows it beats. Without it, a page that froze within a second of connecting had never beaten,
   * and was judged by ICE alone, which a frozen page's browser keeps answering: "Online" for good.
   */
  watch(conn: BeatingConn, now: () => number = Date.now): void {
    if (this.watched.has(conn) || !conn.peer?.on) return;
    this.watched.add(conn);
    const key = this.keyOf(conn);
    if (!this.heard.has(key)) this.heard.set(key, { at: now(), beats: false });
    if (conn.connected) this.beat([conn]);
    else conn.peer.on('connect', () => this.beat([conn]));
    conn.peer.on('data', (data) => {
      const heard = this.heard.get(key);
      if (!heard) return;
      heard.at = now();
      if (!heard.beats && isHeartbeat(data)) heard.beats = true;
    });
  }

  /** Sends a beat on each open connection (a channel closing meanwhile is not an error: it closes). */
  beat(conns: Iterable<BeatingConn>): void {
    for (const conn of conns) {
      if (!conn.connected) continue;
      try {
        conn.peer?.send?.(HEARTBEAT);
      } catch {
        // simple-peer throws when the channel is no longer open; its close event follows.
      }
    }
  }

  /** Forgets the peers none of these connections (the room's, open or opening) lead to any more. */
  forgetAllBut(conns: Iterable<BeatingConn>): void {
    const kept = new Set([...conns].map((c) => this.keyOf(c)));
    for (const key of this.heard.keys()) if (!kept.has(key)) this.heard.delete(key);
  }

  /** Whether a connection whose peer beats has been silent for longer than SILENT_AFTER_MS. */
  silent(conn: BeatingConn, now: number = Date.now()): boolean {
    const heard = this.heard.get(this.keyOf(conn));
    return heard !== undefined && heard.beats && now - heard.at > SILENT_AFTER_MS;
  }
}
