import { deflateSync, inflateSync } from 'fflate';

/**
 * Deflate for what leaves a device (sync messages between peers, sync files): ledger entries repeat hub,
 * device and item ids, so a network's updates shrink about four times. fflate: small, synchronous (the
 * sync protocol reads messages synchronously) and pure JS, so it runs in Node, browsers and workers alike.
 */

/** Past this size the fastest level: a 1M-entry network's whole doc (57 MB) in ~2 s instead of ~4.5 s. */
const FAST_FROM = 1_000_000;
/** The largest update a peer or a file may announce (a 1M-entry network's whole doc is about 58 MB). */
export const MAX_UPDATE_BYTES = 1_000_000_000;

export function deflate(bytes: Uint8Array): Uint8Array {
  return deflateSync(bytes, { level: bytes.byteLength >= FAST_FROM ? 1 : 6 });
}

/**
 * Inflates `packed`, which must give exactly `length` bytes: the stated length bounds the memory used
 * (no decompression bomb), and a stream that gives more or less than it states is refused. Null when
 * it does not inflate to exactly that; never throws.
 */
export function inflateExactly(packed: Uint8Array, length: number): Uint8Array | null {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_UPDATE_BYTES) return null;
  try {
    // One byte more than stated: a stream that inflates to more than it claims is caught, not cut.
    const out = inflateSync(packed, { out: new Uint8Array(length + 1) });
    return out.byteLength === length ? out : null;
  } catch {
    return null;
  }
}
