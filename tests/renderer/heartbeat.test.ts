import { describe, expect, it } from 'vitest';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { HEARTBEAT, Heartbeats, SILENT_AFTER_MS } from '../../renderer/sync/heartbeat';
import { reachesPeer, type ConnLike } from '../../renderer/sync/webrtc';

/** A y-webrtc connection as far as the heartbeats see it: what it sent, and a way to receive. */
function fakeConn(ice = 'connected', remotePeerId?: string) {
  const sent: Uint8Array[] = [];
  const listeners: ((data: Uint8Array) => void)[] = [];
  const onConnect: (() => void)[] = [];
  const conn: ConnLike & {
    receive(data: Uint8Array): void;
    open(): void;
    sent: Uint8Array[];
  } = {
    connected: true,
    remotePeerId,
    peer: {
      _pc: { iceConnectionState: ice },
      on: (event, listener) => {
        if (event === 'data') listeners.push(listener);
        if (event === 'connect') onConnect.push(() => listener(new Uint8Array()));
      },
      send: (data) => sent.push(data),
    },
    destroy: () => undefined,
    receive: (data) => listeners.forEach((l) => l(data)),
    // As simple-peer: y-webrtc's own listener (registered first) marks the connection connected.
    open: () => {
      conn.connected = true;
      onConnect.forEach((l) => l());
    },
    sent,
  };
  return conn;
}

describe('heartbeats', () => {
  it('are the empty awareness update y-webrtc writes, which changes no presence', () => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    awareness.setLocalState({ larder: 'here' });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 1); // y-webrtc's messageAwareness
    encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(awareness, []));
    expect(encoding.toUint8Array(encoder)).toEqual(HEARTBEAT);

    // What any y-webrtc peer does with it: apply the update, which emits nothing and changes nothing.
    const other = new Awareness(new Y.Doc());
    const events: string[] = [];
    other.on('change', () => events.push('change'));
    other.on('update', () => events.push('update'));
    const decoder = decoding.createDecoder(HEARTBEAT);
    expect(decoding.readVarUint(decoder)).toBe(1);
    applyAwarenessUpdate(other, decoding.readVarUint8Array(decoder), 'peer');
    expect(events).toEqual([]);
    expect([...other.getStates().keys()]).toEqual([other.clientID]);
  });

  it('are sent on open connections only, and a closing channel does not throw', () => {
    const open = fakeConn();
    const opening = fakeConn();
    opening.connected = false;
    const closing = fakeConn();
    closing.peer!.send = () => {
      throw new Error('cannot send');
    };
    new Heartbeats().beat([open, opening, closing]);
    expect(open.sent).toEqual([HEARTBEAT]);
    expect(opening.sent).toEqual([]);
  });

  it('beat the moment a connection opens, so a peer that sees this device connected knows it beats', () => {
    const heartbeats = new Heartbeats();
    const opening = fakeConn();
    opening.connected = false;
    heartbeats.watch(opening);
    expect(opening.sent).toEqual([]);
    opening.open();
    expect(opening.sent).toEqual([HEARTBEAT]);
    // A connection first seen already open (one that replaced another after glare) beats at once.
    const open = fakeConn();
    heartbeats.watch(open);
    expect(open.sent).toEqual([HEARTBEAT]);
    heartbeats.watch(open);
    expect(open.sent).toEqual([HEARTBEAT]);
  });

  it('a peer whose page froze right after connecting is silent after three beats, not judged by ICE for good', () => {
    let now = 1_000_000;
    const a = new Heartbeats();
    const b = new Heartbeats();
    const aToB = fakeConn('connected', 'peer-b');
    const bToA = fakeConn('connected', 'peer-a');
    aToB.connected = false;
    bToA.connected = false;
    a.watch(aToB, () => now);
    b.watch(bToA, () => now);
    bToA.open();
    aToB.open();
    // What B sent on opening reaches A; then B's page stops before its first timed beat.
    bToA.sent.forEach((data) => aToB.receive(data));
    now += SILENT_AFTER_MS + 1;
    expect(reachesPeer(aToB, a, now)).toBe(false);
  });

  it('a peer that beats stops counting when it has been silent for longer than three beats, and counts again when heard', () => {
    let now = 1_000_000;
    const clock = () => now;
    const heartbeats = new Heartbeats();
    const conn = fakeConn();
    heartbeats.watch(conn, clock);
    conn.receive(HEARTBEAT);
    now += SILENT_AFTER_MS;
    expect(reachesPeer(conn, heartbeats, now)).toBe(true);
    now += 1;
    expect(heartbeats.silent(conn, now)).toBe(true);
    // ICE still says connected (a frozen page's browser answers ICE): the silence alone decides.
    expect(reachesPeer(conn, heartbeats, now)).toBe(false);
    // Anything it sends (an update, its presence) counts as hearing from it.
    conn.receive(Uint8Array.of(0, 0, 1, 0));
    expect(reachesPeer(conn, heartbeats, now)).toBe(true);
  });

  it('a peer that never beat (an older version) is judged by ICE alone, however long it is quiet', () => {
    let now = 1_000_000;
    const heartbeats = new Heartbeats();
    const conn = fakeConn();
    heartbeats.watch(conn, () => now);
    conn.receive(Uint8Array.of(0, 0, 1, 0));
    now += 60_000;
    expect(heartbeats.silent(conn, now)).toBe(false);
    expect(reachesPeer(conn, heartbeats, now)).toBe(true);
    expect(reachesPeer(fakeConn('disconnected'), heartbeats, now)).toBe(false);
  });

  it('a message that only looks like a beat in part does not make a peer judged by beats', () => {
    let now = 1_000_000;
    const heartbeats = new Heartbeats();
    const conn = fakeConn();
    heartbeats.watch(conn, () => now);
    conn.receive(Uint8Array.of(1, 1, 0, 0));
    conn.receive(Uint8Array.of(1, 1));
    now += 60_000;
    expect(heartbeats.silent(conn, now)).toBe(false);
  });

  it('watches a connection once, so a second watch does not reset when it was last heard', () => {
    let now = 1_000_000;
    const heartbeats = new Heartbeats();
    const conn = fakeConn();
    heartbeats.watch(conn, () => now);
    conn.receive(HEARTBEAT);
    now += SILENT_AFTER_MS + 1;
    heartbeats.watch(conn, () => now);
    expect(heartbeats.silent(conn, now)).toBe(true);
  });

  it('hears a peer on any of its connections (after glare, its beats may come on the one the room no longer holds)', () => {
    let now = 1_000_000;
    const heartbeats = new Heartbeats();
    const held = fakeConn('connected', 'peer-b');
    const replaced = fakeConn('connected', 'peer-b');
    const other = fakeConn('connected', 'peer-c');
    for (const conn of [replaced, held, other]) heartbeats.watch(conn, () => now);
    replaced.receive(HEARTBEAT);
    other.receive(HEARTBEAT);
    now += SILENT_AFTER_MS + 1;
    replaced.receive(HEARTBEAT);
    expect(reachesPeer(held, heartbeats, now)).toBe(true);
    expect(reachesPeer(other, heartbeats, now)).toBe(false);
  });

  it('forgets a peer when the room holds no connection to it, and judges a new connection to it afresh', () => {
    let now = 1_000_000;
    const heartbeats = new Heartbeats();
    const gone = fakeConn('connected', 'peer-b');
    heartbeats.watch(gone, () => now);
    gone.receive(HEARTBEAT);
    heartbeats.forgetAllBut([]);
    now += SILENT_AFTER_MS + 1;
    expect(heartbeats.silent(gone, now)).toBe(false);
    const again = fakeConn('connected', 'peer-b');
    heartbeats.watch(again, () => now);
    expect(heartbeats.silent(again, now)).toBe(false);
  });
});
