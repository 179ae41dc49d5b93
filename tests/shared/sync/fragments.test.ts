import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import {
  FRAGMENT,
  FRAGMENT_BYTES,
  fragmentsOf,
  MAX_FRAGMENTED_BYTES,
  MAX_HELD_BYTES,
  Reassembler,
  type FrameBudget,
  type Reassembled,
} from '../../../shared/sync/fragments';
import { msg } from '../../../shared/messages';
import { fcOptions } from '../arbitraries';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
/** A y-webrtc message: its type (0 sync, 1 awareness...) first. */
const message = (type: number, n: number) => {
  const m = bytes(n, type);
  m[0] = type;
  return m;
};
const frame = (index: number, count: number, payload: Uint8Array) => {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, FRAGMENT);
  encoding.writeVarUint(e, index);
  encoding.writeVarUint(e, count);
  encoding.writeUint8Array(e, payload);
  return encoding.toUint8Array(e);
};
const refused: Reassembled = { refused: msg('update.badFrames') };

describe('peer messages in frames', () => {
  it('a message goes as it is up to FRAGMENT_BYTES, in frames under 256 KiB past it, and comes back whole', () => {
    const exactly = message(0, FRAGMENT_BYTES);
    expect(fragmentsOf(exactly)).toEqual([exactly]);
    expect(new Reassembler().push(exactly)).toEqual({ message: exactly });
    const large = message(0, 5 * FRAGMENT_BYTES + 7);
    const frames = fragmentsOf(large);
    expect(frames).toHaveLength(6);
    for (const f of frames) expect(f.byteLength).toBeLessThanOrEqual(FRAGMENT_BYTES + 16);
    const r = new Reassembler();
    const got = frames.map((f) => r.push(f));
    expect(got.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => ({ waiting: true })));
    expect(got[5]).toEqual({ message: large });
  });

  it('any run of messages, large and small, sent in frames, comes out the same and in order (property)', () => {
    const messageArb = fc
      .tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2_000 }))
      .map(([type, n]) => message(type, n));
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 12 }), fc.integer({ min: 8, max: 300 }), (sent, size) => {
        const r = new Reassembler();
        const out: Uint8Array[] = [];
        for (const m of sent)
          for (const f of fragmentsOf(m, size)) {
            const got = r.push(f);
            expect(got).not.toHaveProperty('refused');
            if ('message' in got) out.push(got.message);
          }
        expect(out).toEqual(sent);
      }),
      fcOptions(),
    );
  });

  it('a message not in frames between frames (a heartbeat) is passed on at once, and the frames go on', () => {
    const [a0, a1, a2] = fragmentsOf(message(0, 300), 100);
    const beat = Uint8Array.of(1, 1, 0);
    const r = new Reassembler();
    expect([a0!, beat, a1!, beat, beat, a2!].map((f) => r.push(f))).toEqual([
      { waiting: true },
      { message: beat },
      { waiting: true },
      { message: beat },
      { message: beat },
      { message: message(0, 300) },
    ]);
  });

  it('frames out of order or of two messages mixed are thrown away, and the next message is taken', () => {
    const [a0, a1, a2] = fragmentsOf(message(0, 300), 100);
    const [b0] = fragmentsOf(message(0, 250), 100);
    const next = message(1, 40);
    for (const wrong of [[a1!], [a0!, a2!], [a0!, b0!], [a0!, frame(1, 2, bytes(10))], [a0!, a0!]]) {
      const r = new Reassembler();
      const results = wrong.map((f) => r.push(f));
      expect(results).toContainEqual(refused);
      expect(r.push(next)).toEqual({ message: next });
      // And a whole message in frames after that.
      const again = [a0!, a1!, a2!].map((f) => r.push(f));
      expect(again.at(-1)).toEqual({ message: message(0, 300) });
    }
  });

  it('a frame cut short, a message in one frame or in more frames than the limit allows, is refused', () => {
    const r = new Reassembler();
    expect(r.push(Uint8Array.of(FRAGMENT))).toEqual(refused);
    expect(r.push(Uint8Array.of(FRAGMENT, 0))).toEqual(refused);
    expect(r.push(frame(0, 1, bytes(10)))).toEqual(refused);
    expect(r.push(frame(0, 0, bytes(10)))).toEqual(refused);
    const most = Math.ceil(MAX_FRAGMENTED_BYTES / FRAGMENT_BYTES);
    expect(r.push(frame(0, most + 1, bytes(10)))).toEqual(refused);
    expect(r.push(frame(0, most, bytes(10)))).toEqual({ waiting: true });
  });

  it('a message over MAX_FRAGMENTED_BYTES is refused as its frames come, without holding more than that', () => {
    const r = new Reassembler();
    const big = bytes(FRAGMENT_BYTES * 4);
    const count = Math.ceil(MAX_FRAGMENTED_BYTES / big.byteLength);
    let result: Reassembled = { waiting: true };
    let index = 0;
    for (; index < count && 'waiting' in result; index++) result = r.push(frame(index, count, big));
    expect(result).toEqual(refused);
    // Refused at the frame that would pass the limit, not after the last.
    expect(index).toBe(Math.floor(MAX_FRAGMENTED_BYTES / big.byteLength) + 1);
  });

  it('a message of exactly MAX_FRAGMENTED_BYTES is taken', () => {
    const r = new Reassembler();
    const part = bytes(FRAGMENT_BYTES);
    const count = MAX_FRAGMENTED_BYTES / FRAGMENT_BYTES;
    expect(Number.isInteger(count)).toBe(true);
    let result: Reassembled = { waiting: true };
    for (let index = 0; index < count; index++) result = r.push(frame(index, count, part));
    expect('message' in result && result.message.byteLength).toBe(MAX_FRAGMENTED_BYTES);
  });

  it('connections together hold at most their budget; a message done, refused or let go gives its part back', () => {
    const budget: FrameBudget = { held: 0 };
    const most = 1_000;
    const [a, b, c] = [0, 1, 2].map(() => new Reassembler(budget, most));
    const part = bytes(400);
    expect(a!.push(frame(0, 3, part))).toEqual({ waiting: true });
    expect(b!.push(frame(0, 3, part))).toEqual({ waiting: true });
    expect(budget.held).toBe(800);
    // A third connection's frame would pass the budget: refused, and it holds nothing.
    expect(c!.push(frame(0, 3, part))).toEqual(refused);
    expect(budget.held).toBe(800);
    // One message done gives its bytes back.
    expect(a!.push(frame(1, 3, bytes(100)))).toEqual({ waiting: true });
    expect(a!.push(frame(2, 3, bytes(100)))).toHaveProperty('message');
    expect(budget.held).toBe(400);
    // A connection that closes lets go of its half message.
    b!.dispose();
    expect(budget.held).toBe(0);
    expect(c!.push(frame(0, 3, part))).toEqual({ waiting: true });
    // A refusal gives back what the refused message held.
    expect(c!.push(frame(2, 3, part))).toEqual(refused);
    expect(budget.held).toBe(0);
  });

  it('the page’s budget is four whole messages', () => {
    expect(MAX_HELD_BYTES).toBe(4 * MAX_FRAGMENTED_BYTES);
  });

  it('an empty message passes as it is', () => {
    expect(new Reassembler().push(new Uint8Array())).toEqual({ message: new Uint8Array() });
  });
});
