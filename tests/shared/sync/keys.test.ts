import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url, toHex } from '../../../shared/sync/encoding';
import { deriveSecrets, newNetworkKey, NETWORK_KEY_BYTES, type CryptoKey } from '../../../shared/sync/keys';
import { fcOptions } from '../arbitraries';

const keyArb = fc.uint8Array({ minLength: NETWORK_KEY_BYTES, maxLength: NETWORK_KEY_BYTES });
const IV = new Uint8Array(12).fill(1);

async function seal(key: CryptoKey, text: string): Promise<Uint8Array> {
  const data = new TextEncoder().encode(text);
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: IV }, key, data));
}
async function unseal(key: CryptoKey, sealed: Uint8Array): Promise<string | null> {
  try {
    return new TextDecoder().decode(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: IV }, key, new Uint8Array(sealed)),
    );
  } catch {
    return null;
  }
}

describe('network secrets', () => {
  const keyA = Uint8Array.from({ length: 32 }, (_, i) => i);
  const keyB = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

  it('are derived deterministically from the network key', async () => {
    const [a1, a2] = await Promise.all([deriveSecrets(keyA), deriveSecrets(new Uint8Array(keyA))]);
    expect(a1.room).toBe(a2.room);
    expect(a1.webrtcPassword).toBe(a2.webrtcPassword);
    // The file key is not extractable: show it is the same key by decrypting with the other derivation.
    expect(await unseal(a2.fileKey, await seal(a1.fileKey, 'same key'))).toBe('same key');
  });

  it('differ for different keys, the file key included', async () => {
    const [a, b] = await Promise.all([deriveSecrets(keyA), deriveSecrets(keyB)]);
    expect(a.room).not.toBe(b.room);
    expect(a.webrtcPassword).not.toBe(b.webrtcPassword);
    expect(await unseal(b.fileKey, await seal(a.fileKey, 'secret'))).toBeNull();
  });

  it('give a room that is larder- and 32 hex digits, unrelated to the password and the key', async () => {
    const s = await deriveSecrets(keyA);
    expect(s.room).toMatch(/^larder-[0-9a-f]{32}$/);
    expect(s.webrtcPassword).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hexKey = toHex(keyA);
    const b64Key = toBase64Url(keyA);
    for (const part of [hexKey.slice(0, 8), b64Key.slice(0, 8)]) {
      expect(s.room).not.toContain(part);
      expect(s.webrtcPassword).not.toContain(part);
    }
    expect(s.room.slice('larder-'.length)).not.toBe(
      toHex(new TextEncoder().encode(s.webrtcPassword)).slice(0, 32),
    );
  });

  it('name the room without the network id or any readable name', async () => {
    const networkId = 'k3v9q2m7x1c8b4z0';
    const names = ['Eastside Pantry', 'Front desk laptop', 'eastside', 'pantry'];
    const s = await deriveSecrets(keyA);
    const room = s.room.toLowerCase();
    expect(room).not.toContain(networkId);
    expect(room).not.toContain(networkId.slice(0, 6));
    for (const name of names) expect(room).not.toContain(name.toLowerCase().replace(/\s+/g, ''));
    // Only the key goes in: the room is the same whatever the network is called.
    expect((await deriveSecrets(keyA)).room).toBe(s.room);
  });

  it('are the same on every device and version: fixed values for a fixed key', async () => {
    // Devices running different versions must meet in the same room and open each other's files.
    const s = await deriveSecrets(keyA);
    expect(s.room).toBe('larder-b3e8ebe57965364f3387a4fec40e62c2');
    expect(s.webrtcPassword).toBe('yyrGHkjeqfBcdCMoNdBh7PrCZY5Hgh5BzbvmXjArOO0');
    const sealed = Uint8Array.from(Buffer.from('d804c8bf07d6a3f4c825fc4cf67899a940f0f42887e5', 'hex'));
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(12).fill(7) },
      s.fileKey,
      sealed,
    );
    expect(new TextDecoder().decode(plain)).toBe('larder');
    // The file key never leaves WebCrypto.
    expect(s.fileKey.extractable).toBe(false);
  });

  it('refuse a key of the wrong length', async () => {
    await expect(deriveSecrets(new Uint8Array(16))).rejects.toThrow(/32 bytes/);
    await expect(deriveSecrets(new Uint8Array(33))).rejects.toThrow(/32 bytes/);
  });

  it('newNetworkKey takes 32 bytes from the given source', () => {
    let asked = 0;
    const key = newNetworkKey((n) => {
      asked = n;
      return new Uint8Array(n).fill(9);
    });
    expect(asked).toBe(32);
    expect(key).toEqual(new Uint8Array(32).fill(9));
  });

  it('property: any key gives a well-formed room, the same each time', async () => {
    await fc.assert(
      fc.asyncProperty(keyArb, async (key) => {
        const [a, b] = await Promise.all([deriveSecrets(key), deriveSecrets(key)]);
        expect(a.room).toMatch(/^larder-[0-9a-f]{32}$/);
        expect(b.room).toBe(a.room);
        expect(b.webrtcPassword).toBe(a.webrtcPassword);
      }),
      fcOptions(0.3),
    );
  });

  it('property: two different keys give different rooms and passwords', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(keyArb, keyArb).filter(([a, b]) => toHex(a) !== toHex(b)),
        async ([ka, kb]) => {
          const [a, b] = await Promise.all([deriveSecrets(ka), deriveSecrets(kb)]);
          expect(a.room).not.toBe(b.room);
          expect(a.webrtcPassword).not.toBe(b.webrtcPassword);
        },
      ),
      fcOptions(0.3),
    );
  });
});
