import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../../shared/sync/encoding';
import { openSealed, sealTo } from '../../../shared/trust/seal';
import { fcOptions } from '../arbitraries';
import { testDevices, type TestDevice } from './fixtures';

/** A rotated network key sealed to one device (HPKE): it opens only there, and only as it was sealed. */
const NET = 'net0seal';
let a: TestDevice;
let b: TestDevice;
const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const boxOf = (d: TestDevice) => ({ privateKey: d.keys.boxPrivateKey, publicKey: d.keys.boxPublicKey });
beforeAll(async () => {
  [a, b] = await testDevices(31, 32);
});

describe('sealing a network key to a device', () => {
  it('opens to the same secret for its device, network and epoch', async () => {
    const sealed = await sealTo(a.box, secret, NET, 3, a.id);
    expect(fromBase64Url(sealed)).toHaveLength(32 + 32 + 16);
    expect(await openSealed(sealed, boxOf(a), NET, 3, a.id)).toEqual(secret);
    // Sealing is randomized: the same secret sealed twice looks different.
    expect(await sealTo(a.box, secret, NET, 3, a.id)).not.toBe(sealed);
  });

  it('does not open for another device, key, network or epoch', async () => {
    const sealed = await sealTo(a.box, secret, NET, 3, a.id);
    expect(await openSealed(sealed, boxOf(b), NET, 3, a.id)).toBeNull();
    expect(await openSealed(sealed, boxOf(a), NET, 3, b.id)).toBeNull();
    expect(await openSealed(sealed, boxOf(a), 'othernet', 3, a.id)).toBeNull();
    expect(await openSealed(sealed, boxOf(a), NET, 4, a.id)).toBeNull();
  });

  it('any flipped bit of what was sealed is detected', async () => {
    const sealed = fromBase64Url(await sealTo(a.box, secret, NET, 1, a.id))!;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: sealed.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, flip) => {
          const tampered = Uint8Array.from(sealed);
          tampered[at]! ^= flip;
          expect(await openSealed(toBase64Url(tampered), boxOf(a), NET, 1, a.id)).toBeNull();
        },
      ),
      fcOptions(0.3),
    );
  });

  it('secrets from empty to 152 bytes round trip; what is longer than 200 bytes sealed is refused', async () => {
    for (const size of [0, 1, 152]) {
      const s = Uint8Array.from({ length: size }, (_, i) => i);
      const sealed = await sealTo(a.box, s, NET, 1, a.id);
      expect(fromBase64Url(sealed)).toHaveLength(48 + size);
      expect(await openSealed(sealed, boxOf(a), NET, 1, a.id)).toEqual(s);
    }
    const tooLong = await sealTo(a.box, new Uint8Array(153), NET, 1, a.id);
    expect(await openSealed(tooLong, boxOf(a), NET, 1, a.id)).toBeNull();
  });

  it('never throws on what is not a sealed key', async () => {
    for (const sealed of [
      '',
      'not base64!',
      'AAAA',
      toBase64Url(new Uint8Array(47)),
      toBase64Url(new Uint8Array(80)),
    ])
      expect(await openSealed(sealed, boxOf(a), NET, 1, a.id)).toBeNull();
    expect(await openSealed(12 as unknown as string, boxOf(a), NET, 1, a.id)).toBeNull();
    expect(await openSealed(null as unknown as string, boxOf(a), NET, 1, a.id)).toBeNull();
  });

  it('refuses to seal to what is not an X25519 public key', async () => {
    await expect(sealTo('not base64!', secret, NET, 1, a.id)).rejects.toThrow('not an X25519 public key');
    await expect(sealTo(toBase64Url(new Uint8Array(31)), secret, NET, 1, a.id)).rejects.toThrow(
      'not an X25519 public key',
    );
    await expect(sealTo(toBase64Url(new Uint8Array(33)), secret, NET, 1, a.id)).rejects.toThrow(
      'not an X25519 public key',
    );
  });
});
