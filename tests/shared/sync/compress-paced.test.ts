import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflate, inflateExactlyPaced, MAX_INFLATED_BYTES } from '../../../shared/sync/compress';

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
