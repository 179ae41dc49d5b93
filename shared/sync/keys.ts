import { toBase64Url, toHex } from './encoding';

/**
 * Everything secret about a network comes from one random 256-bit key, shared only inside invites.
 * Each use gets its own key through HKDF, so the name signaling servers see (the room), the password
 * y-webrtc encrypts signaling with, and the key that seals sync files are unrelated to one another and
 * reveal nothing about the network key or the network's name.
 */
export const NETWORK_KEY_BYTES = 32;

/** WebCrypto's key type, named without the DOM library (shared/ is typed against the web-standard globals Node also has). */
export type CryptoKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;

export interface NetworkSecrets {
  /** The y-webrtc room: a hash, never a readable name. */
  room: string;
  /** The y-webrtc password: derived, never typed by a person. */
  webrtcPassword: string;
  /** AES-GCM key for sync files. */
  fileKey: CryptoKey;
}

const subtle = () => globalThis.crypto.subtle;

async function hkdfBytes(key: Uint8Array, info: string, length: number): Promise<Uint8Array> {
  const base = await subtle().importKey('raw', new Uint8Array(key), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: new TextEncoder().encode('larder network v1'),
      info: new TextEncoder().encode(info),
    },
    base,
    length * 8,
  );
  return new Uint8Array(bits);
}

export async function deriveSecrets(networkKey: Uint8Array): Promise<NetworkSecrets> {
  if (networkKey.length !== NETWORK_KEY_BYTES) throw new Error('network key must be 32 bytes');
  const [room, password, file] = await Promise.all([
    hkdfBytes(networkKey, 'larder room', 16),
    hkdfBytes(networkKey, 'larder webrtc password', 32),
    hkdfBytes(networkKey, 'larder sync file', 32),
  ]);
  const fileKey = await subtle().importKey('raw', new Uint8Array(file), { name: 'AES-GCM' }, false, [
    'encrypt',
    'decrypt',
  ]);
  return { room: `larder-${toHex(room)}`, webrtcPassword: toBase64Url(password), fileKey };
}

export function newNetworkKey(randomBytes: (n: number) => Uint8Array): Uint8Array {
  return randomBytes(NETWORK_KEY_BYTES);
}
