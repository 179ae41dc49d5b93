import { deflateSync } from 'fflate';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  deflate,
  deflatePaced,
  DEFLATE_PUSH,
  inflateExactly,
  inflateExactlyPaced,
  MAX_INFLATED_BYTES,
} from '../../../shared/sync/compress';

/**
 * `inflateExactlyPaced` at its bound: a stated length past 64 MiB is refused before anything inflates
 * (no step, no pause), exactly 64 MiB is taken. compress.test.ts has the rest.
 */

const MB = 1024 * 1024;

describe('inflateExactlyPaced at 64 MiB', () => {
  it('refuses a stated length past 64 MiB before inflating a byte', async () => {
    const packed = deflate(new Uint8Array(3 * MB).fill(7));
    let pauses = 0;
    const pause = async () => {
      pauses++;
    };
    expect(await inflateExactlyPaced(packed, 3 * MB, pause)).toHaveLength(3 * MB);
    expect(pauses).toBeGreaterThan(0);
    pauses = 0;
    expect(await inflateExactlyPaced(packed, MAX_INFLATED_BYTES + 1, pause)).toBeNull();
    expect(pauses).toBe(0);
  });

  it('takes a stream of exactly 64 MiB, in steps', async () => {
    const packed = new Uint8Array(deflateRawSync(Buffer.alloc(64 * MB), { level: 9 }));
    let pauses = 0;
    const out = await inflateExactlyPaced(packed, MAX_INFLATED_BYTES, async () => {
      pauses++;
    });
    expect(out?.byteLength).toBe(MAX_INFLATED_BYTES);
    expect(pauses).toBeGreaterThan(0);
  });
});

describe('deflatePaced', () => {
  /** Bytes that compress as a doc does: repeated ids with some noise between them. */
  const docLike = (n: number, seed: number) => {
    const out = new Uint8Array(n);
    let x = seed;
    for (let i = 0; i < n; i++) {
      x = (x * 1_103_515_245 + 12_345) >>> 0;
      out[i] = i % 40 < 30 ? 97 + (i % 26) : x >>> 24;
    }
    return out;
  };

  it('gives what inflates to the same bytes, a pause between every DEFLATE_PUSH bytes, none for one piece', async () => {
    for (const size of [0, 1, 1000, DEFLATE_PUSH, DEFLATE_PUSH + 1, 3 * MB + 17]) {
      const bytes = docLike(size, size);
      let pauses = 0;
      const packed = await deflatePaced(bytes, async () => {
        pauses++;
      });
      // Compared as bytes: a deep equality of megabytes takes seconds.
      const back = inflateExactly(packed, size);
      expect(back && Buffer.compare(back, bytes)).toBe(0);
      expect(pauses).toBe(Math.max(0, Math.ceil(size / DEFLATE_PUSH) - 1));
      // As small as deflate's, give or take the ends of its blocks; and past 1 MB at deflate's fast level,
      // as deflate does (level 6 packs it smaller, slowly).
      expect(packed.byteLength).toBeLessThanOrEqual(deflate(bytes).byteLength * 1.02 + 64);
      if (size > MB)
        expect(packed.byteLength).toBeGreaterThan(deflateSync(bytes, { level: 6 }).byteLength * 1.05);
    }
  });
});
