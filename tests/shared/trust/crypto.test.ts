import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, toHex } from '../../../shared/sync/encoding';
import {
  deviceIdOf,
  fingerprintOf,
  generateDeviceKeys,
  sha256Bytes,
  sign,
  verify,
} from '../../../shared/trust/crypto';
import { openSealed, sealTo } from '../../../shared/trust/seal';

/**
 * Device keys from known seeds (RFC 8032 and RFC 7748 test vectors), the ids and fingerprints derived
 * from them (which must never change: every replica and every invite names devices by them), and
 * signatures on hostile input.
 */
const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
// RFC 8032, 7.1, test 1.
const ED_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const ED_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const ED_SIG_EMPTY =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
// RFC 7748, 6.1, Alice.
const X_SEED = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
const X_PUBLIC = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';

function knownSeeds() {
  const handed: Uint8Array[] = [];
  const seeds = [hex(ED_SEED), hex(X_SEED)];
  const randomBytes = (n: number) => {
    expect(n).toBe(32);
    const next = seeds.shift()!;
    handed.push(next);
    return next;
  };
  return { randomBytes, handed };
}

describe('device keys', () => {
  it('come from the seed: Ed25519 and X25519 public keys as the RFCs give them', async () => {
    const { randomBytes, handed } = knownSeeds();
    const keys = await generateDeviceKeys(randomBytes);
    expect(toHex(fromBase64Url(keys.publicKey)!)).toBe(ED_PUBLIC);
    expect(toHex(fromBase64Url(keys.boxKey)!)).toBe(X_PUBLIC);
    // The seeds are wiped once the keys are made.
    expect(handed.map((s) => [...s].every((b) => b === 0))).toEqual([true, true]);
  });

  it('sign as RFC 8032 does, and the private keys never leave the device', async () => {
    const keys = await generateDeviceKeys(knownSeeds().randomBytes);
    expect(toHex(fromBase64Url(await sign(keys.privateKey, ''))!)).toBe(ED_SIG_EMPTY);
    expect(keys.privateKey.extractable).toBe(false);
    expect(keys.privateKey.usages).toEqual(['sign']);
    expect(keys.boxPrivateKey.extractable).toBe(false);
    expect(keys.boxPrivateKey.usages).toEqual(['deriveBits']);
    expect(keys.boxPrivateKey.algorithm.name).toBe('X25519');
    expect(keys.boxPublicKey.algorithm.name).toBe('X25519');
    expect(keys.boxPublicKey.type).toBe('public');
    // The box keys open what was sealed to the published box key.
    const sealed = await sealTo(keys.boxKey, Uint8Array.of(1, 2, 3), 'net0', 1, 'dev0');
    expect(
      await openSealed(
        sealed,
        { privateKey: keys.boxPrivateKey, publicKey: keys.boxPublicKey },
        'net0',
        1,
        'dev0',
      ),
    ).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('ids and fingerprints of a key are fixed for good', async () => {
    const keys = await generateDeviceKeys(knownSeeds().randomBytes);
    expect(deviceIdOf(keys.publicKey)).toBe('ep185gewx5ffrmrn');
    expect(fingerprintOf(keys.publicKey)).toBe('86790 77981 16234 77162');
    expect(deviceIdOf('')).toBe('izu490b8yd09jtlz');
    expect(fingerprintOf('')).toBe('95877 82102 29555 01481');
  });
});

describe('signatures', () => {
  it('verify only the signed text, by the signing key', async () => {
    const keys = await generateDeviceKeys(knownSeeds().randomBytes);
    const sig = await sign(keys.privateKey, 'larder');
    expect(await verify(keys.publicKey, 'larder', sig)).toBe(true);
    expect(await verify(keys.publicKey, 'larder!', sig)).toBe(false);
    const other = await generateDeviceKeys((n) => new Uint8Array(n).fill(9));
    expect(await verify(other.publicKey, 'larder', sig)).toBe(false);
  });

  it('never throw on hostile input, and refuse anything but strings', async () => {
    const keys = await generateDeviceKeys(knownSeeds().randomBytes);
    const sig123 = await sign(keys.privateKey, '123');
    expect(await verify(keys.publicKey, '123', sig123)).toBe(true);
    expect(await verify(keys.publicKey, 123 as unknown as string, sig123)).toBe(false);
    expect(await verify(12345 as unknown as string, '123', sig123)).toBe(false);
    expect(await verify(keys.publicKey, '123', 12345 as unknown as string)).toBe(false);
    const raw = fromBase64Url(sig123)!;
    for (const bad of [raw.slice(0, 63), Uint8Array.of(...raw, 0), new Uint8Array(0)])
      expect(await verify(keys.publicKey, '123', toBase64Url(bad))).toBe(false);
    const key = fromBase64Url(keys.publicKey)!;
    for (const bad of [key.slice(0, 31), Uint8Array.of(...key, 0), '!'.repeat(43)])
      expect(await verify(typeof bad === 'string' ? bad : toBase64Url(bad), '123', sig123)).toBe(false);
    expect(await verify(keys.publicKey, '123', 'not base64!')).toBe(false);
  });
});

describe('hashing', () => {
  it('is SHA-256 over the parts in order', () => {
    const abc = new TextEncoder().encode('abc');
    const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(toHex(sha256Bytes(abc))).toBe(expected);
    expect(toHex(sha256Bytes(abc.slice(0, 1), abc.slice(1)))).toBe(expected);
    expect(toHex(sha256Bytes())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
