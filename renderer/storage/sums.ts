import { createXXHash128, type IHasher } from 'hash-wasm';
import { toBase64Url } from '../../shared/sync/encoding';
import { loadFastSha256, sha256Bytes } from '../../shared/trust/crypto';

/**
 * The sum a stored update row is written with (`UpdateRow.sum`), which a start checks its bytes against
 * before Yjs sees them (persistence.ts `load`): damage from the disk or a cut write, not an adversary (who
 * could write the sum too). xxHash3's 128 bits (hash-wasm's WebAssembly, 5 GB/s here) since stop 34;
 * SHA-256 (0.33 GB/s) before, which was 1.3 s of a start's 8.3 s busy at ten million entries. A row keeps
 * the sum it was written with: both kinds are read, told apart by their length, and a row is written with
 * SHA-256 while xxHash is not loaded (it never fails to be written for want of a hash).
 */
let xxhash: IHasher | null = null;
let loading: Promise<void> | null = null;

/** A 128-bit xxHash3 sum: `x` and 22 base64url characters. */
const XX_PREFIX = 'x';
const XX_LENGTH = 23;

/** Loads the sums' WebAssembly (once); SHA-256's too, for the rows written with it. */
export function loadRowSums(): Promise<void> {
  loading ??= Promise.all([
    createXXHash128().then(
      (hasher) => {
        xxhash = hasher;
      },
      () => undefined,
    ),
    loadFastSha256(),
  ]).then(() => undefined);
  return loading;
}

function xxSum(bytes: Uint8Array, hasher: IHasher): string {
  hasher.init();
  hasher.update(bytes);
  return XX_PREFIX + toBase64Url(hasher.digest('binary'));
}

/** The sum to write a row with. */
export function rowSum(update: Uint8Array): string {
  return xxhash ? xxSum(update, xxhash) : toBase64Url(sha256Bytes(update));
}

/** Whether a row with this sum would be written with the same kind today (false: an older one's SHA-256). */
export function rowSumIsCurrent(sum: string): boolean {
  return xxhash === null || (sum.length === XX_LENGTH && sum.startsWith(XX_PREFIX));
}

/** Whether stored bytes are still the ones written with `sum` (of either kind). */
export function rowIntact(update: unknown, sum: string): boolean {
  if (!(update instanceof Uint8Array)) return false;
  if (sum.length === XX_LENGTH && sum.startsWith(XX_PREFIX))
    // Written with xxHash on this device, so it loads here; if it did not, the row is read through.
    return xxhash !== null && xxSum(update, xxhash) === sum;
  return toBase64Url(sha256Bytes(update)) === sum;
}
