import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createSHA256, type IHasher } from 'hash-wasm';
import type { CryptoKey } from '../sync/keys';
import { fromBase64Url, toBase64Url } from '../sync/encoding';

/**
 * The signing primitives of device identity. Ed25519 through WebCrypto (Chromium and Node 20 have it):
 * the private key is a non-extractable CryptoKey that never leaves the device, stored as is in IndexedDB.
 * The chain (chain.ts) must hash synchronously, inside the projection's IndexedDB transaction, and
 * WebCrypto's digest is asynchronous: its SHA-256 is hash-wasm's (WebAssembly, synchronous once loaded,
 * about five times faster than JavaScript in Chromium), or @noble/hashes' until that has loaded or where
 * the runtime refuses WebAssembly. Both give the same digests (tests/shared/trust/sha256.test.ts).
 */
const subtle = () => globalThis.crypto.subtle;
const ED25519 = { name: 'Ed25519' } as const;
const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export interface DeviceKeys {
  privateKey: CryptoKey;
  /** The raw 32-byte public key, base64url. */
  publicKey: string;
  /** X25519, to receive a rotated network key sealed to this device (seal.ts). */
  boxPrivateKey: CryptoKey;
  boxPublicKey: CryptoKey;
  /** The raw X25519 public key, base64url: published in the device's join request. */
  boxKey: string;
}

/** PKCS #8 wrapping of a raw 32-byte Ed25519 (0x70) or X25519 (0x6e) private key (RFC 8410). */
const pkcs8Prefix = (curve: 0x70 | 0x6e) =>
  Uint8Array.from([
    0x30,
    0x2e,
    0x02,
    0x01,
    0x00,
    0x30,
    0x05,
    0x06,
    0x03,
    0x2b,
    0x65,
    curve,
    0x04,
    0x22,
    0x04,
    0x20,
  ]);

/** Imports 32 random bytes as a non-extractable private key, and gives its raw public key. */
async function keyFromSeed(
  seed: Uint8Array,
  algorithm: 'Ed25519' | 'X25519',
): Promise<{ privateKey: CryptoKey; publicKey: string }> {
  const prefix = pkcs8Prefix(algorithm === 'Ed25519' ? 0x70 : 0x6e);
  const usages: ('sign' | 'deriveBits')[] = algorithm === 'Ed25519' ? ['sign'] : ['deriveBits'];
  const pkcs8 = new Uint8Array(prefix.length + 32);
  pkcs8.set(prefix);
  pkcs8.set(seed, prefix.length);
  try {
    const once = await subtle().importKey('pkcs8', pkcs8, { name: algorithm }, true, usages);
    const jwk = (await subtle().exportKey('jwk', once)) as { x?: string };
    const privateKey = await subtle().importKey('pkcs8', pkcs8, { name: algorithm }, false, usages);
    if (!jwk.x) throw new Error('the runtime did not give the public key');
    return { privateKey, publicKey: jwk.x };
  } finally {
    pkcs8.fill(0);
    seed.fill(0);
  }
}

/**
 * The raw Ed25519 public key of a 32-byte seed, in base64url, through WebCrypto (native code: no tables to
 * build first, as @noble's first key takes 40-50 ms to); null where the runtime has no Ed25519. The seed is
 * left as it is.
 */
export async function ed25519PublicKeyOf(seed: Uint8Array): Promise<string | null> {
  const prefix = pkcs8Prefix(0x70);
  const pkcs8 = new Uint8Array(prefix.length + 32);
  pkcs8.set(prefix);
  pkcs8.set(seed, prefix.length);
  try {
    const key = await subtle().importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
    const jwk = (await subtle().exportKey('jwk', key)) as { x?: string };
    return jwk.x ?? null;
  } catch {
    return null;
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * New key pairs (Ed25519 to sign, X25519 to receive sealed keys) from random bytes (the app passes crypto.getRandomValues; tests a seeded generator,
 * so a failing seed replays with the same device ids). The private key is imported non-extractable; the
 * seed is dropped as soon as the public key is known.
 */
export async function generateDeviceKeys(randomBytes: (n: number) => Uint8Array): Promise<DeviceKeys> {
  const signing = await keyFromSeed(randomBytes(32), 'Ed25519');
  const box = await keyFromSeed(randomBytes(32), 'X25519');
  const boxPublicKey = await subtle().importKey(
    'raw',
    new Uint8Array(fromBase64Url(box.publicKey)!),
    { name: 'X25519' },
    true,
    [],
  );
  return {
    privateKey: signing.privateKey,
    publicKey: signing.publicKey,
    boxPrivateKey: box.privateKey,
    boxPublicKey,
    boxKey: box.publicKey,
  };
}

export async function sign(privateKey: CryptoKey, message: string): Promise<string> {
  const sig = await subtle().sign(ED25519, privateKey, new TextEncoder().encode(message));
  return toBase64Url(new Uint8Array(sig));
}

const importedKeys = new Map<string, Promise<CryptoKey | null>>();

/**
 * A key of small order (or no point at all) has no secret behind it: with R = the identity and S = 0 one
 * "signature" verifies for every message, and WebCrypto (OpenSSL, BoringSSL) does not refuse such keys.
 * Refused here as @noble's strict check refuses them in the synchronous head check (sync/headCheck.ts).
 */
function smallOrder(raw: Uint8Array): boolean {
  try {
    return ed25519.Point.fromBytes(raw).isSmallOrder();
  } catch {
    return true;
  }
}

function publicKeyOf(publicKey: string): Promise<CryptoKey | null> {
  let key = importedKeys.get(publicKey);
  // Stryker disable next-line ConditionalExpression: importing a key again (a cache miss) only costs time
  if (!key) {
    const raw = fromBase64Url(publicKey);
    key =
      raw && raw.length === 32 && !smallOrder(raw)
        ? subtle()
            .importKey('raw', new Uint8Array(raw), ED25519, true, ['verify'])
            .catch(() => null)
        : Promise.resolve(null);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: when the cache is emptied bounds memory only
    if (importedKeys.size > 10_000) importedKeys.clear();
    importedKeys.set(publicKey, key);
  }
  return key;
}

/** True only for a valid signature of `message` by `publicKey`; never throws on hostile input. */
export async function verify(publicKey: string, message: string, signature: string): Promise<boolean> {
  if (typeof publicKey !== 'string' || typeof signature !== 'string' || typeof message !== 'string')
    return false;
  const sig = fromBase64Url(signature);
  if (!sig || sig.length !== 64) return false;
  const key = await publicKeyOf(publicKey);
  if (!key) return false;
  try {
    return await subtle().verify(ED25519, key, new Uint8Array(sig), new TextEncoder().encode(message));
  } catch {
    return false;
  }
}

let wasmSha256: IHasher | null = null;
let loadingSha256: Promise<boolean> | null = null;

/**
 * Loads the WebAssembly SHA-256 that `sha256Bytes` then uses: true once it is in use, false where the
 * runtime refuses to compile WebAssembly (a Content-Security-Policy without 'wasm-unsafe-eval'), and
 * hashing stays in JavaScript. Called before a long verification; loads once.
 */
export function loadFastSha256(): Promise<boolean> {
  loadingSha256 ??= createSHA256().then(
    (hasher) => {
      wasmSha256 = hasher;
      return true;
    },
    () => false,
  );
  return loadingSha256;
}

/** SHA-256 of the parts joined, synchronously: in WebAssembly once `loadFastSha256` has loaded it. */
export function sha256Bytes(...parts: Uint8Array[]): Uint8Array {
  const wasm = wasmSha256;
  // Stryker disable next-line ConditionalExpression,BlockStatement: which SHA-256 runs, not what it gives (sha256.test.ts)
  if (wasm) {
    wasm.init();
    for (const p of parts) wasm.update(p);
    return wasm.digest('binary');
  }
  return sha256JS(...parts);
}

/** SHA-256 in JavaScript (@noble/hashes): the reference `sha256Bytes` agrees with. */
export function sha256JS(...parts: Uint8Array[]): Uint8Array {
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * A device's id is derived from its public key: 16 characters (82 bits) of its SHA-256. An id therefore
 * names one key, and nobody can register another key under a device's id.
 */
export function deviceIdOf(publicKey: string): string {
  const digest = sha256(new TextEncoder().encode(`larder device|${publicKey}`));
  let out = '';
  for (let i = 0; i < 16; i++) out += ID_ALPHABET[digest[i]! % 36];
  return out;
}

/**
 * A short fingerprint two people can compare by reading it aloud: four groups of five digits (about 66
 * bits of the key's hash), like Signal's safety numbers.
 */
export function fingerprintOf(publicKey: string): string {
  const digest = sha256(new TextEncoder().encode(`larder fingerprint|${publicKey}`));
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + digest[g * 5 + i]!;
    groups.push(String(n % 100_000).padStart(5, '0'));
  }
  return groups.join(' ');
}
