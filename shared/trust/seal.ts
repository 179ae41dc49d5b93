import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { fromBase64Url, toBase64Url } from '../sync/encoding';
import type { CryptoKey } from '../sync/keys';

/**
 * Sealing a rotated network key to one device: HPKE (RFC 9180) base mode with DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256 and AES-256-GCM, through @hpke/core (WebCrypto only, no home-made construction). The
 * `info` binds a sealed key to its network, epoch and recipient, so it cannot be replayed elsewhere.
 */
const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

const info = (network: string, epoch: number, device: string) =>
  new TextEncoder().encode(`larder key rotation v1|${network}|${epoch}|${device}`);

/** `enc` (32 bytes) then the ciphertext, base64url. */
export async function sealTo(
  recipientBoxKey: string,
  secret: Uint8Array,
  network: string,
  epoch: number,
  device: string,
): Promise<string> {
  const raw = fromBase64Url(recipientBoxKey);
  if (!raw || raw.length !== 32) throw new Error('not an X25519 public key');
  const recipientPublicKey = await suite.kem.deserializePublicKey(new Uint8Array(raw).buffer);
  const sender = await suite.createSenderContext({ recipientPublicKey, info: info(network, epoch, device) });
  const ct = new Uint8Array(await sender.seal(new Uint8Array(secret).buffer));
  const enc = new Uint8Array(sender.enc);
  const out = new Uint8Array(enc.length + ct.length);
  out.set(enc);
  out.set(ct, enc.length);
  return toBase64Url(out);
}

/** The sealed secret, or null when it was not sealed to this key (or was tampered with). */
export async function openSealed(
  sealed: string,
  boxKeys: { privateKey: CryptoKey; publicKey: CryptoKey },
  network: string,
  epoch: number,
  device: string,
): Promise<Uint8Array | null> {
  const raw = typeof sealed === 'string' ? fromBase64Url(sealed) : null;
  if (!raw || raw.length < 32 + 16 || raw.length > 200) return null;
  try {
    const recipient = await suite.createRecipientContext({
      recipientKey: boxKeys,
      enc: raw.slice(0, 32).buffer,
      info: info(network, epoch, device),
    });
    return new Uint8Array(await recipient.open(raw.slice(32).buffer));
  } catch {
    return null;
  }
}
