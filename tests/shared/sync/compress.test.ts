import { deflateRawSync } from 'node:zlib';
import { deflateSync, inflateSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deflate,
  inflateBounded,
  inflateExactly,
  inflateExactlyPaced,
  MAX_INFLATED_BYTES,
  MAX_UPDATE_BYTES,
} from '../../../shared/sync/compress';
import { fcOptions } from '../arbitraries';

/**
 * compress.ts at its exact limits: what a peer or a file may make a device inflate (64 MiB, decided while
 * streaming), the stated length taken only to the byte, and the level deflate picks by size.
 * inflate-limits.test.ts covers deflate bombs against sync messages and files.
 */

const MB = 1024 * 1024;
const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.from(a).equals(Buffer.from(b));

/** Text-like bytes from a seeded generator: compressible, and differently at each level. */
function sample(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = 97 + ((s >>> 24) % 8);
  }
  return out;
}

/** `mb` MiB of zeros as a raw deflate stream (Node's zlib is the faster deflater for the tests' bombs). */
const zerosDeflated = (mb: number) => new Uint8Array(deflateRawSync(Buffer.alloc(mb * MB), { level: 9 }));

describe('deflate', () => {
  it('uses level 6 below 1,000,000 bytes and the fastest level from there', () => {
    const below = sample(999_999);
    const from = sample(1_000_000);
    // The levels give different streams for this data, so the choice is visible.
    expect(same(deflateSync(below, { level: 1 }), deflateSync(below, { level: 6 }))).toBe(false);
    expect(same(deflate(below), deflateSync(below, { level: 6 }))).toBe(true);
    expect(same(deflate(from), deflateSync(from, { level: 1 }))).toBe(true);
    expect(same(inflateSync(deflate(from)), from)).toBe(true);
  });

  it('round-trips any bytes through inflateExactly (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        expect(inflateExactly(deflate(bytes), bytes.byteLength)).toEqual(bytes);
      }),
      fcOptions(),
    );
  });
});

describe('inflateBounded', () => {
  const text = sample(300_000);
  const packed = deflate(text);

  it('gives back exactly what was deflated when it fits the limit to the byte', () => {
    expect(same(inflateBounded(packed, text.byteLength), text)).toBe(true);
    expect(inflateBounded(packed, text.byteLength - 1)).toBeNull();
    expect(same(inflateBounded(packed), text)).toBe(true);
    const small = Uint8Array.of(1, 2, 3);
    expect(inflateBounded(deflate(small), 3)).toEqual(small);
    expect(inflateBounded(deflate(small), 2)).toBeNull();
    expect(inflateBounded(deflate(new Uint8Array()), 0)).toEqual(new Uint8Array());
  });

  it('refuses a limit that is negative, fractional or not a number', () => {
    for (const limit of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])
      expect(inflateBounded(packed, limit), String(limit)).toBeNull();
  });

  it('never gives more than 64 MiB, whatever limit is asked for', () => {
    expect(MAX_UPDATE_BYTES).toBe(MAX_INFLATED_BYTES);
    expect(MAX_INFLATED_BYTES).toBe(64 * MB);
    expect(inflateBounded(zerosDeflated(65), 100 * MB)).toBeNull();
  });

  it('gives nothing for an empty, cut short or foreign stream', () => {
    expect(inflateBounded(new Uint8Array())).toBeNull();
    expect(inflateBounded(new Uint8Array(), 0)).toBeNull();
    expect(inflateBounded(packed.subarray(0, packed.byteLength - 1))).toBeNull();
    expect(inflateBounded(packed.subarray(0, 2000))).toBeNull();
    expect(inflateBounded(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBeNull();
  });
});

describe('inflateExactly', () => {
  it('takes a stream of exactly 64 MiB, and refuses a claim past it before inflating anything', () => {
    const packed = zerosDeflated(64);
    const out = inflateExactly(packed, MAX_INFLATED_BYTES);
    expect(out?.byteLength).toBe(MAX_INFLATED_BYTES);
    expect(out?.indexOf(1)).toBe(-1);
    expect(inflateExactly(packed, MAX_INFLATED_BYTES + 1)).toBeNull();
  });

  it('refuses a stated length that is negative, fractional or not a number', () => {
    const packed = deflate(new Uint8Array());
    expect(inflateExactly(packed, 0)).toEqual(new Uint8Array());
    for (const length of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(inflateExactly(packed, length), String(length)).toBeNull();
  });

  it('refuses a stream that gives one byte less or one byte more than stated', () => {
    const text = sample(10_000);
    expect(inflateExactly(deflate(text), 10_000)).toEqual(text);
    expect(inflateExactly(deflate(text), 9_999)).toBeNull();
    expect(inflateExactly(deflate(text), 10_001)).toBeNull();
  });
});

describe('inflateExactlyPaced', () => {
  it('gives what inflateExactly gives, for any bytes and any stated length (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5000 }),
        fc.integer({ min: -2, max: 2 }),
        async (bytes, off) => {
          const packed = deflate(bytes);
          const length = bytes.byteLength + off;
          const paced = await inflateExactlyPaced(packed, length, async () => undefined);
          expect(paced).toEqual(inflateExactly(packed, length));
        },
      ),
      fcOptions(),
    );
  });

  it('lets other tasks run between the pieces it inflates, and still stops a bomb at the stated length', async () => {
    const text = sample(3 * MB);
    let pauses = 0;
    const pause = async () => {
      pauses++;
    };
    expect(same(await inflateExactlyPaced(deflate(text), text.byteLength, pause), text)).toBe(true);
    expect(pauses).toBeGreaterThan(2);
    expect(await inflateExactlyPaced(zerosDeflated(8), MB, pause)).toBeNull();
    for (const length of [-1, 0.5, Number.NaN, MAX_INFLATED_BYTES + 1])
      expect(await inflateExactlyPaced(deflate(text), length, pause), String(length)).toBeNull();
    expect(await inflateExactlyPaced(new Uint8Array([1, 2, 3]), 3, pause)).toBeNull();
  });
});
