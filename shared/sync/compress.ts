import { Deflate, deflateSync, Inflate } from 'fflate';
import { concatBytes } from './encoding';
import { runSteps, runStepsPaced } from '../pace';

/**
 * Deflate for what leaves a device (sync messages between peers, sync files): ledger entries repeat hub,
 * device and item ids, so a network's updates shrink about four times. fflate: small, synchronous (the
 * sync protocol reads messages synchronously) and pure JS, so it runs in Node, browsers and workers alike.
 */

/** Past this size the fastest level: a 1M-entry network's whole doc (57 MB) in ~2 s instead of ~4.5 s. */
const FAST_FROM = 1_000_000;
/**
 * The most one sync message or one sync file may inflate to: 64 MiB (a 1M-entry network's whole doc is
 * about 58 MB). Whatever a peer or a file states, no more than this ever comes out of the inflater.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** The largest update a peer or a file may announce. */
export const MAX_UPDATE_BYTES = MAX_INFLATED_BYTES;
/** Deflate's largest expansion: a 258-byte match in as little as 2 bits. */
const MAX_RATIO = 1032;
/**
 * Compressed input is fed to the inflater in pieces no larger than what can inflate to what is left
 * under the cap (and at least 16 kB), so at most ~16 MB more than the cap ever comes out before the
 * running count stops the stream. 64 kB at most: larger pieces are no faster. Not less than 16 kB: each
 * piece costs the inflater a new window of its output (fflate copies 32 kB and grows a buffer by 128 kB),
 * and a sync message of 0.2 MB fed 1 kB at a time held a joining page 160-280 ms.
 */
const MIN_PUSH = 16 * 1024;
const MAX_PUSH = 64 * 1024;

const levelFor = (bytes: Uint8Array) => (bytes.byteLength >= FAST_FROM ? 1 : 6);

export function deflate(bytes: Uint8Array): Uint8Array {
  return deflateSync(bytes, { level: levelFor(bytes) });
}

/** Bytes pushed into the deflater per step of `deflateSteps`: a few milliseconds of deflate each. */
export const DEFLATE_PUSH = 256 * 1024;

/**
 * `deflate` as steps, one per DEFLATE_PUSH bytes pushed into a streaming deflater: a whole doc at a million
 * entries (57 MB) deflates in one task of about 1.5 s, so a caller that can wait lets the page run between
 * steps (`deflatePaced`). The bytes differ from `deflate`'s (the stream's blocks end elsewhere); they
 * inflate to the same.
 */
export function* deflateSteps(bytes: Uint8Array): Generator<void, Uint8Array> {
  const chunks: Uint8Array[] = [];
  const deflater = new Deflate({ level: levelFor(bytes) }, (chunk) => chunks.push(chunk));
  let at = 0;
  do {
    const end = Math.min(at + DEFLATE_PUSH, bytes.byteLength);
    deflater.push(bytes.subarray(at, end), end === bytes.byteLength);
    at = end;
    if (at < bytes.byteLength) yield;
  } while (at < bytes.byteLength);
  return concatBytes(chunks);
}

/** `deflate`, letting other tasks run (`pause`) between the pieces it deflates. */
export function deflatePaced(bytes: Uint8Array, pause: () => Promise<void>): Promise<Uint8Array> {
  return runStepsPaced(deflateSteps(bytes), pause);
}

/**
 * Inflates `packed` as a stream, counting what comes out: as soon as more than `limit` bytes have come
 * out it stops and returns null. Memory grows with what actually inflated, never with what anyone
 * claimed. Null too for a stream that is malformed or cut short; never throws.
 */
export function inflateBounded(packed: Uint8Array, limit: number = MAX_INFLATED_BYTES): Uint8Array | null {
  return runSteps(inflateSteps(packed, limit));
}

/**
 * `inflateBounded` as steps, one per piece pushed into the inflater: a large sync file (15 MB packed at
 * a million entries) inflates in one task of a second or more, so a caller that can wait lets the page
 * run between steps (`inflateExactlyPaced`).
 */
export function* inflateSteps(
  packed: Uint8Array,
  limit: number = MAX_INFLATED_BYTES,
): Generator<void, Uint8Array | null> {
  if (!Number.isSafeInteger(limit)) return null;
  // Stryker disable next-line ConditionalExpression: without it a negative cap refuses the first byte out (null either way)
  if (limit < 0) return null;
  const cap = Math.min(limit, MAX_INFLATED_BYTES);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  try {
    const inflater = new Inflate((chunk, final) => {
      total += chunk.byteLength;
      // Past the cap nothing more is kept: the caller stops pushing after this call.
      if (total <= cap && chunk.byteLength > 0) chunks.push(chunk);
      if (final) ended = true;
    });
    // Stryker disable next-line ConditionalExpression: without it nothing is pushed, the stream never ends: null either way
    if (packed.byteLength === 0) return null;
    for (let at = 0; at < packed.byteLength;) {
      // Stryker disable next-line ArithmeticOperator: the piece size only bounds how far past the cap a bomb inflates before it is stopped (memory, not the result)
      const size = Math.min(MAX_PUSH, Math.max(MIN_PUSH, Math.floor((cap - total) / MAX_RATIO)));
      const end = Math.min(at + size, packed.byteLength);
      inflater.push(packed.subarray(at, end), end === packed.byteLength);
      if (total > cap) return null;
      at = end;
      yield;
    }
  } catch {
    return null;
  }
  if (!ended) return null;
  return concatBytes(chunks);
}

/**
 * Inflates `packed`, which must give exactly `length` bytes (at most MAX_INFLATED_BYTES). The stream
 * is cut off as soon as it gives more than stated; a stream that gives more or less is refused. The
 * stated length is only a limit: nothing is allocated from it. Null when it does not inflate to
 * exactly that; never throws.
 */
export function inflateExactly(packed: Uint8Array, length: number): Uint8Array | null {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: inflateBounded refuses the same lengths (not a safe integer, negative), and one past MAX_INFLATED_BYTES never comes out of it
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_INFLATED_BYTES) return null;
  const out = inflateBounded(packed, length);
  return out && out.byteLength === length ? out : null;
}

/** `inflateExactly`, letting other tasks run (`pause`) between the pieces it inflates. */
export async function inflateExactlyPaced(
  packed: Uint8Array,
  length: number,
  pause: () => Promise<void>,
): Promise<Uint8Array | null> {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: inflateSteps refuses the same lengths at its first step, before any pause
  if (!Number.isSafeInteger(length) || length < 0) return null;
  if (length > MAX_INFLATED_BYTES) return null;
  const out = await runStepsPaced(inflateSteps(packed, length), pause);
  return out && out.byteLength === length ? out : null;
}
