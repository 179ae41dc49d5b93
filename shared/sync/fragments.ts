import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { msg, type DomainMessage } from '../messages';
import { MAX_INFLATED_BYTES } from './compress';

/**
 * Peer messages in pieces small enough for a WebRTC data channel. Chromium refuses to send a message
 * larger than the channel's max-message-size (256 KiB between two Chromiums), and y-webrtc drops what it
 * could not send without a word: a sync step 2 of more than about 17,000 entries (deflated, over 256 KiB)
 * never arrived, and two hubs that had each recorded 30,000 entries apart never converged (bench:sync).
 *
 * A message longer than FRAGMENT_BYTES goes as frames `[FRAGMENT][index][count][bytes]`, in order, on the
 * one ordered, reliable channel of a connection; shorter messages go as they are (a y-webrtc message
 * starts with its type, 0 to 3, never FRAGMENT), so an older peer still reads them.
 */
export const FRAGMENT = 100;
/** Payload per frame: a quarter of the limit, so a large message leaves room for others in between. */
export const FRAGMENT_BYTES = 64 * 1024;
/** The largest message a peer may send in frames: a whole sync step 2 at most MAX_INFLATED_BYTES, framed. */
export const MAX_FRAGMENTED_BYTES = MAX_INFLATED_BYTES + 64 * 1024;
const MAX_FRAMES = Math.ceil(MAX_FRAGMENTED_BYTES / FRAGMENT_BYTES);

/** `message` as it goes on the wire: itself when it is short, else its frames in order. */
export function fragmentsOf(message: Uint8Array, size = FRAGMENT_BYTES): Uint8Array[] {
  if (message.byteLength <= size) return [message];
  const count = Math.ceil(message.byteLength / size);
  const frames: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, FRAGMENT);
    encoding.writeVarUint(encoder, index);
    encoding.writeVarUint(encoder, count);
    encoding.writeUint8Array(encoder, message.subarray(index * size, (index + 1) * size));
    frames.push(encoding.toUint8Array(encoder));
  }
  return frames;
}

/** What a frame gave: a whole message to read, nothing yet, or why the frames were thrown away. */
export type Reassembled = { message: Uint8Array } | { waiting: true } | { refused: DomainMessage };

/**
 * What every connection together may hold while messages are put back together: four whole messages. A
 * room keeps up to 24 connections; at 64 MiB each, a holder of the key could otherwise make a device hold
 * 1.5 GB. A message that would pass it is refused like any other bad frames (its sender syncs again later).
 */
export const MAX_HELD_BYTES = 4 * MAX_FRAGMENTED_BYTES;

/** Bytes held by the reassemblers that share it. */
export interface FrameBudget {
  held: number;
}

/** The budget of every connection on this page. */
const PAGE_BUDGET: FrameBudget = { held: 0 };

/**
 * Puts one connection's frames back together. Frames of one message come in order and are not mixed with
 * another message's frames (one ordered channel, one sender; messages not in frames may come between, and
 * are passed on at once): anything else, a message over MAX_FRAGMENTED_BYTES, or more frames than that
 * allows, throws the message away (`update.badFrames`). It holds one message at a time.
 */
export class Reassembler {
  private parts: Uint8Array[] = [];
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly budget: FrameBudget = PAGE_BUDGET,
    private readonly most = MAX_HELD_BYTES,
  ) {}

  /** Lets go of a message half put together (its connection closed). */
  dispose(): void {
    this.reset();
  }

  push(data: Uint8Array): Reassembled {
    const decoder = decoding.createDecoder(data);
    // A message not in frames is read as it comes, also between another one's frames: Larder's own
    // heartbeat (renderer/sync/heartbeat.ts) goes straight to the channel, not behind the frames, and a
    // sync step 2 that takes more than a second to send always had one in between (all of it was thrown
    // away: a new device never got a network of 300,000 entries over WebRTC). The frames go on.
    if (data.byteLength === 0 || decoding.peekVarUint(decoder) !== FRAGMENT) return { message: data };
    let index: number;
    let count: number;
    try {
      decoding.readVarUint(decoder);
      index = decoding.readVarUint(decoder);
      count = decoding.readVarUint(decoder);
    } catch {
      return this.refuse();
    }
    const part = data.subarray(decoder.pos);
    if (count < 2 || count > MAX_FRAMES) return this.refuse();
    // Out of order, or a frame of another message.
    if (index !== this.parts.length || (this.count > 0 && count !== this.count)) return this.refuse();
    if (this.bytes + part.byteLength > MAX_FRAGMENTED_BYTES) return this.refuse();
    if (this.budget.held + part.byteLength > this.most) return this.refuse();
    this.count = count;
    this.parts.push(part);
    this.bytes += part.byteLength;
    this.budget.held += part.byteLength;
    if (this.parts.length < count) return { waiting: true };
    const message = new Uint8Array(this.bytes);
    let at = 0;
    for (const p of this.parts) {
      message.set(p, at);
      at += p.byteLength;
    }
    this.reset();
    return { message };
  }

  private refuse(): Reassembled {
    this.reset();
    return { refused: msg('update.badFrames') };
  }

  private reset(): void {
    this.budget.held -= this.bytes;
    this.parts = [];
    this.count = 0;
    this.bytes = 0;
  }
}
