import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadRowSums, rowIntact, rowSum } from '../../renderer/storage/sums';
import { sha256JS } from '../../shared/trust/crypto';
import { toBase64Url } from '../../shared/sync/encoding';

/** The sums stored rows are written with, and checked against at each start (renderer/storage/sums.ts). */
beforeAll(() => loadRowSums());

const options = { seed: 34, numRuns: 300 };
const bytes = fc.uint8Array({ minLength: 1, maxLength: 4096 });

describe('stored rows’ sums', () => {
  it('are xxHash3-128 once loaded, and hold for the bytes they were made of', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const sum = rowSum(b);
        expect(sum).toMatch(/^x[A-Za-z0-9_-]{22}$/);
        expect(rowIntact(b, sum)).toBe(true);
        expect(rowIntact(b.slice(), sum)).toBe(true);
      }),
      options,
    );
  });

  it('no longer hold once any byte changed, or a byte is cut or added', () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.integer({ min: 1, max: 255 }), (b, at, by) => {
        const sum = rowSum(b);
        const changed = b.slice();
        const i = at % b.length;
        changed[i] = (changed[i]! + by) & 0xff;
        expect(rowIntact(changed, sum)).toBe(false);
        expect(rowIntact(b.slice(0, b.length - 1), sum)).toBe(false);
        expect(rowIntact(Uint8Array.of(...b, 0), sum)).toBe(false);
      }),
      options,
    );
  });

  it('of an older version (SHA-256) are still read, and checked the same way', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const sum = toBase64Url(sha256JS(b));
        expect(rowIntact(b, sum)).toBe(true);
        expect(rowIntact(Uint8Array.of(...b, 1), sum)).toBe(false);
      }),
      { ...options, numRuns: 100 },
    );
  });

  it('hold for nothing that is not bytes, nor for a sum of another shape', () => {
    const b = Uint8Array.of(1, 2, 3);
    expect(rowIntact('not bytes', rowSum(b))).toBe(false);
    expect(rowIntact(b, '')).toBe(false);
    expect(rowIntact(b, rowSum(b).slice(1))).toBe(false);
    expect(rowIntact(b, `${rowSum(b)}A`)).toBe(false);
  });
});
