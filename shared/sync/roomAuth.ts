import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromBase64Url, toBase64Url } from './encoding';
import { utcDay } from '../days';
import { ed25519PublicKeyOf } from '../trust/crypto';

/**
 * Where a network's devices meet on a sync server, and how they prove they belong there
 * (docs/signaling.md).
 *
 * Each UTC day a network has its own signaling topic: an Ed25519 key pair derived from the network key
 * and the date, whose public key *is* the topic. To subscribe, a device signs the server's per-connection
 * challenge with the day's private key; the server checks the signature against the topic itself, so it
 * keeps no state and learns nothing that lets it join, read or predict another day's topic. Someone who
 * learns a topic (from a server's memory or logs) can neither subscribe to it nor publish on it.
 *
 * Derivation is synchronous (@noble), so y-webrtc can prove a topic the moment a challenge arrives; the
 * topics of the days a device is in when sync starts are worked out ahead by WebCrypto (`topicAuthAhead`).
 */

/** How a topic is written: the scheme, then the day's public key in base64url (43 characters). */
export const TOPIC_PREFIX = 'ed25519:';
const PUBLIC_KEY_CHARS = 43;
const SIGNATURE_CHARS = 86;

/**
 * Around midnight UTC a device is in both days' topics for this long on each side, so devices whose
 * clocks differ by up to this much still share a topic. An hour and a half covers a clock left an hour
 * off by a daylight-saving mistake, plus drift; see docs/signaling.md for what the overlap costs.
 */
export const TOPIC_OVERLAP_MS = 90 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What one day's topic needs: the topic (the public key) and the seed of its private key. */
export interface TopicKey {
  /** UTC date, YYYY-MM-DD. */
  readonly day: string;
  readonly topic: string;
  readonly seed: Uint8Array;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** The UTC date of an instant, as YYYY-MM-DD. */
export { utcDay };

/** The day's topic and its signing key, from the network key. Same inputs, same key, on every device. */
export function topicKeyFor(networkKey: Uint8Array, day: string): TopicKey {
  const seed = topicSeed(networkKey, day);
  return { day, topic: TOPIC_PREFIX + toBase64Url(ed25519.getPublicKey(seed)), seed };
}

function topicSeed(networkKey: Uint8Array, day: string): Uint8Array {
  if (networkKey.length !== 32) throw new Error('network key must be 32 bytes');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a UTC date: ${day}`);
  // The same salt as keys.ts; the info names the purpose and the day, so each day's key is unrelated to
  // the others and to the room name, the sync password and the sync-file key.
  return hkdf(sha256, networkKey, utf8('larder network v1'), utf8(`larder signaling topic ${day}`), 32);
}

/**
 * `topicKeyFor`, the public key worked out by WebCrypto (asynchronously, in native code): @noble's first
 * public key builds its tables first, a 40-50 ms task at every sync start. The same key; @noble's where the
 * runtime has no Ed25519.
 */
export async function topicKeyAhead(networkKey: Uint8Array, day: string): Promise<TopicKey> {
  const seed = topicSeed(networkKey, day);
  const publicKey = await ed25519PublicKeyOf(seed);
  return publicKey ? { day, topic: TOPIC_PREFIX + publicKey, seed } : topicKeyFor(networkKey, day);
}

/**
 * The days whose topics a device is in at `now`: today, and around midnight the adjacent day too
 * (oldest first). Two devices whose clocks differ by at most `overlapMs` always share one.
 */
export function topicDaysAt(now: number, overlapMs: number = TOPIC_OVERLAP_MS): string[] {
  const days = [utcDay(now - overlapMs), utcDay(now), utcDay(now + overlapMs)];
  return days.filter((day, i) => days.indexOf(day) === i);
}

/** The first instant after `now` at which topicDaysAt gives another list. */
export function nextTopicChangeAt(now: number, overlapMs: number = TOPIC_OVERLAP_MS): number {
  const midnight = Math.floor(now / DAY_MS) * DAY_MS;
  const changes = [midnight + overlapMs, midnight + DAY_MS - overlapMs, midnight + DAY_MS + overlapMs];
  return changes.find((at) => at > now) ?? midnight + DAY_MS + overlapMs;
}

/** What a proof signs: a fixed context, the server's challenge for this connection, and the topic. */
export function proofMessage(nonce: string, topic: string): Uint8Array {
  return utf8(`larder signaling proof v1\n${nonce}\n${topic}`);
}

/** The proof that this device holds the topic's key, for the server's challenge `nonce`. */
export function proveTopic(key: TopicKey, nonce: string): string {
  return toBase64Url(ed25519.sign(proofMessage(nonce, key.topic), key.seed));
}

/** The public key a topic names, or null when it is not a topic in canonical form. */
export function topicPublicKey(topic: unknown): Uint8Array | null {
  if (typeof topic !== 'string' || topic.length !== TOPIC_PREFIX.length + PUBLIC_KEY_CHARS) return null;
  if (!topic.startsWith(TOPIC_PREFIX)) return null;
  const encoded = topic.slice(TOPIC_PREFIX.length);
  const key = fromBase64Url(encoded);
  // One spelling per key: base64url's last character has spare bits that must be zero.
  return key && key.length === 32 && toBase64Url(key) === encoded ? key : null;
}

/** Whether `proof` looks like a base64url Ed25519 signature (checked before any verification). */
export function isProofShaped(proof: unknown): proof is string {
  return typeof proof === 'string' && proof.length === SIGNATURE_CHARS && /^[A-Za-z0-9_-]+$/.test(proof);
}

/** Verifies a proof (strict RFC 8032). The sync server uses Node's own Ed25519, which is faster. */
export function verifyTopicProof(topic: string, nonce: string, proof: string): boolean {
  const publicKey = topicPublicKey(topic);
  const signature = isProofShaped(proof) ? fromBase64Url(proof) : null;
  if (!publicKey || !signature) return false;
  try {
    return ed25519.verify(signature, proofMessage(nonce, topic), publicKey);
  } catch {
    return false;
  }
}

/** What the patched y-webrtc asks of a provider whose topics need a proof (patches/y-webrtc+10.3.0.patch). */
export interface TopicAuth {
  /** The topics to be in now. */
  topics(): string[];
  /** The proof for one of them, for a server's challenge; null for a topic it has no key for. */
  prove(topic: string, nonce: string): string | null;
}

/**
 * A TopicAuth for one network key, reading the time from `now` (injected in tests). `ahead`: keys already
 * worked out (`topicAuthAhead`); a day not among them is worked out when first listed.
 */
export function topicAuthFor(
  networkKey: Uint8Array,
  now: () => number = Date.now,
  ahead: readonly TopicKey[] = [],
): TopicAuth {
  const key = new Uint8Array(networkKey);
  const byDay = new Map<string, TopicKey>(ahead.map((k) => [k.day, k]));
  const current = (): TopicKey[] => {
    const days = topicDaysAt(now());
    for (const day of [...byDay.keys()]) if (!days.includes(day)) byDay.delete(day);
    return days.map((day) => {
      let topicKey = byDay.get(day);
      if (!topicKey) {
        topicKey = topicKeyFor(key, day);
        byDay.set(day, topicKey);
      }
      return topicKey;
    });
  };
  return {
    topics: () => current().map((k) => k.topic),
    prove: (topic, nonce) => {
      // A topic left a moment ago (a subscribe racing the day's change) still has its key here.
      const topicKey = [...byDay.values()].find((k) => k.topic === topic);
      if (!topicKey || typeof nonce !== 'string' || nonce.length === 0 || nonce.length > 256) return null;
      return proveTopic(topicKey, nonce);
    },
  };
}

/**
 * `topicAuthFor` with the topics of the days it is in now worked out ahead by WebCrypto (`topicKeyAhead`), so
 * that y-webrtc's first look at them, when sync starts, is not a long task. Proving a topic to a server still
 * signs with @noble (it must answer a challenge at once): its first proof builds the tables.
 */
export async function topicAuthAhead(
  networkKey: Uint8Array,
  now: () => number = Date.now,
): Promise<TopicAuth> {
  const ahead = await Promise.all(topicDaysAt(now()).map((day) => topicKeyAhead(networkKey, day)));
  return topicAuthFor(networkKey, now, ahead);
}
