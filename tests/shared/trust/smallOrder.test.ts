import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../shared/sync/encoding';
import { headCheckFor } from '../../../shared/sync/headCheck';
import { deviceIdOf, verify } from '../../../shared/trust/crypto';

/**
 * A public key of small order has no secret behind it: with R = the identity and S = 0, one "signature"
 * verifies for every message under the cofactored rule, and WebCrypto (OpenSSL here, BoringSSL in
 * Chromium) does not refuse such keys. Anyone could then write as a device registered with one. The
 * member log (crypto.verify) must refuse them as the head check (@noble, strict RFC 8032) does, so both
 * verifiers agree on every key.
 */

const identity = ed25519.Point.ZERO.toBytes();
const anySig = toBase64Url(Uint8Array.from([...identity, ...new Uint8Array(32)]));

/** Every point of small order (the eight-torsion), as the public keys an attacker could register. */
const torsion = Array.from({ length: 8 }, (_, i) => {
  // The generator of the eight-torsion subgroup: any point of order 8, here from its known encoding.
  const t = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
  return t.multiply(BigInt(i + 1)).toBytes();
});

describe('keys of small order', () => {
  it('are all of small order, and include the identity', () => {
    for (const key of torsion) expect(ed25519.Point.fromBytes(key).isSmallOrder()).toBe(true);
    expect(torsion.map(toBase64Url)).toContain(toBase64Url(identity));
  });

  it('verify nothing in the member log, as in the head check', async () => {
    for (const raw of torsion) {
      const key = toBase64Url(raw);
      for (const message of ['larder op v1|anything', 'another message']) {
        expect(await verify(key, message, anySig), key).toBe(false);
      }
      expect(headCheckFor('net1').verify(deviceIdOf(key), key, [1, 'h', anySig], 0)).toBe(false);
    }
  });

  it('while a real key still verifies its own signature', async () => {
    const seed = new Uint8Array(32).fill(9);
    const key = toBase64Url(ed25519.getPublicKey(seed));
    const sig = toBase64Url(ed25519.sign(new TextEncoder().encode('hello'), seed));
    expect(await verify(key, 'hello', sig)).toBe(true);
    expect(await verify(key, 'hellO', sig)).toBe(false);
  });
});
