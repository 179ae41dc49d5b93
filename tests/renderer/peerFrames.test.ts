import { afterEach, describe, expect, it, vi } from 'vitest';
import { FRAGMENT_BYTES, Reassembler } from '../../shared/sync/fragments';
import { HIGH_WATER, sendFramed, type FramedConn } from '../../renderer/sync/peerFrames';

/** A data channel that keeps what was sent in its buffer until `drain`, and refuses messages over 256 KiB. */
function fakeConn() {
  const sent: Uint8Array[] = [];
  const channel = { bufferedAmount: 0 };
  const conn: FramedConn = {
    peer: {
      _channel: channel,
      send(data: Uint8Array) {
        if (data.byteLength > 256 * 1024) throw new TypeError('larger than max-message-size');
        sent.push(data);
        channel.bufferedAmount += data.byteLength;
      },
    },
  };
  return { conn, sent, channel, drain: () => (channel.bufferedAmount = 0) };
}

const big = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);

afterEach(() => vi.useRealTimers());

describe('sending y-webrtc messages in frames', () => {
  it('a message over the channel’s limit goes in frames, paced by its buffer, and in order with the next', () => {
    vi.useFakeTimers();
    const { conn, sent, channel, drain } = fakeConn();
    const whole = big(4 * HIGH_WATER, 0);
    const small = Uint8Array.of(1, 2, 3);
    sendFramed(conn, whole);
    sendFramed(conn, small);
    // Frames until the buffer holds more than HIGH_WATER (it held no more before the last), then it waits.
    expect(channel.bufferedAmount).toBeGreaterThan(HIGH_WATER);
    expect(channel.bufferedAmount - sent.at(-1)!.byteLength).toBeLessThanOrEqual(HIGH_WATER);
    expect(conn.larderFrames!.length).toBeGreaterThan(0);
    const before = sent.length;
    vi.advanceTimersByTime(50);
    expect(sent.length).toBe(before);
    for (let i = 0; i < 10 && conn.larderFrames!.length > 0; i++) {
      drain();
      vi.advanceTimersByTime(10);
    }
    expect(conn.larderFrames).toHaveLength(0);
    const r = new Reassembler();
    const out = sent.map((f) => r.push(f)).flatMap((g) => ('message' in g && g.message ? [g.message] : []));
    // Compared as bytes: a deep equality over 4 MiB took 11 s, and over 30 s on a busy machine.
    expect(out.map((m) => m.byteLength)).toEqual([whole.byteLength, small.byteLength]);
    expect(Buffer.compare(out[0]!, whole)).toBe(0);
    expect([...out[1]!]).toEqual([...small]);
  });

  it('a closed connection drops what waits, and a send that throws empties the queue', () => {
    const { conn, sent } = fakeConn();
    conn.closed = true;
    sendFramed(conn, big(3 * FRAGMENT_BYTES, 1));
    expect(sent).toHaveLength(0);
    expect(conn.larderFrames).toHaveLength(0);
    const failing: FramedConn = {
      peer: {
        send() {
          throw new Error('closing');
        },
      },
    };
    sendFramed(failing, big(3 * FRAGMENT_BYTES, 2));
    expect(failing.larderFrames).toHaveLength(0);
  });
});
