/**
 * The server's half of the proof of the room secret (shared/sync/roomAuth.ts, docs/signaling.md): a
 * topic is an Ed25519 public key, so a proof is checked against the topic itself, with nothing stored.
 * Node's own Ed25519 verifies about ten times faster than the JavaScript one the clients sign with.
 */
import crypto from 'node:crypto';
import { isProofShaped, proofMessage, topicPublicKey, TOPIC_PREFIX } from '../../shared/sync/roomAuth';

/** A random challenge for one connection: 256 bits, base64url. */
export function newNonce(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** Whether `proof` is the topic key's signature over this connection's challenge. Never throws. */
export function verifyProof(topic: unknown, nonce: string, proof: unknown): boolean {
  if (!topicPublicKey(topic) || !isProofShaped(proof)) return false;
  try {
    const key = crypto.createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: (topic as string).slice(TOPIC_PREFIX.length) },
      format: 'jwk',
    });
    return crypto.verify(null, proofMessage(nonce, topic as string), key, Buffer.from(proof, 'base64url'));
  } catch {
    return false;
  }
}
