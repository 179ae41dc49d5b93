import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadFastSha256, sha256Bytes, sha256JS } from '../../../shared/trust/crypto';
import { fcOptions } from '../arbitraries';

/**
 * The chain's SHA-256 runs in WebAssembly (hash-wasm) once loaded, in JavaScript (@noble/hashes) before
 * that or where WebAssembly is refused. A device that hashes one way must reach the same chain hashes as
 * one that hashes the other, or its peers would see forgeries where there are none.
 */
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('SHA-256 for the chain', () => {
  it('loads the WebAssembly hasher in Node', async () => {
    expect(await loadFastSha256()).toBe(true);
    // Loaded once: a second call is the same answer.
    expect(await loadFastSha256()).toBe(true);
  });

  it('gives the standard digests (FIPS 180-2 vectors), in parts or whole', async () => {
    await loadFastSha256();
    const utf8 = (s: string) => new TextEncoder().encode(s);
    expect(hex(sha256Bytes(utf8('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(sha256Bytes())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256Bytes(utf8('ab'), utf8(''), utf8('c')))).toBe(hex(sha256JS(utf8('abc'))));
  });

  it('agrees with the JavaScript reference for any bytes, split anywhere', async () => {
    await loadFastSha256();
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 5 }),
        (parts) => hex(sha256Bytes(...parts)) === hex(sha256JS(...parts)),
      ),
      fcOptions(),
    );
  });

  it('keeps no state between calls (each digest starts afresh)', async () => {
    await loadFastSha256();
    const a = new Uint8Array(200).fill(7);
    const first = hex(sha256Bytes(a));
    sha256Bytes(new Uint8Array(100_000).fill(1));
    expect(hex(sha256Bytes(a))).toBe(first);
  });
});
