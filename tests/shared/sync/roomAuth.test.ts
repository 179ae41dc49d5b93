import { createPublicKey, hkdfSync, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../../shared/sync/encoding';
import {
  TOPIC_OVERLAP_MS,
  TOPIC_PREFIX,
  isProofShaped,
  nextTopicChangeAt,
  proofMessage,
  proveTopic,
  topicAuthAhead,
  topicAuthFor,
  topicDaysAt,
  topicKeyAhead,
  topicKeyFor,
  topicPublicKey,
  utcDay,
  verifyTopicProof,
} from '../../../shared/sync/roomAuth';
import { fcOptions } from '../arbitraries';

/**
 * The daily signaling topics as a device and a sync server see them (docs/signaling.md), without a
 * server: which topics a device is in at each instant, the exact moments that changes, and which proofs
 * a server takes. tests/electron/signaling-auth.test.ts runs the same code against the real server.
 */

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const MIDNIGHT = at('2026-03-15T00:00:00Z');

/** Node's own Ed25519, independent of @noble: does `proof` verify for the topic's public key? */
function nodeVerifies(topic: string, nonce: string, proof: string): boolean {
  const x = topic.slice(TOPIC_PREFIX.length);
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  return verify(null, proofMessage(nonce, topic), key, fromBase64Url(proof)!);
}

describe('the day’s topic key', () => {
  it('is HKDF-SHA256 of the network key, as docs/signaling.md says, and the same on every version', () => {
    const day = topicKeyFor(KEY, '2026-03-14');
    const seed = hkdfSync('sha256', KEY, 'larder network v1', 'larder signaling topic 2026-03-14', 32);
    expect(day.seed).toEqual(new Uint8Array(seed));
    expect(day.day).toBe('2026-03-14');
    expect(day.topic).toBe('ed25519:RImy3PIeA5f1CbpFC5FwKJeRyufbupJO-18B1ocKyQs');
    expect(topicPublicKey(day.topic)).toHaveLength(32);
  });

  it('refuses a network key that is not 32 bytes and a day that is not YYYY-MM-DD', () => {
    expect(() => topicKeyFor(KEY.subarray(0, 31), '2026-03-14')).toThrow('network key must be 32 bytes');
    expect(() => topicKeyFor(new Uint8Array(33), '2026-03-14')).toThrow('network key must be 32 bytes');
    for (const day of ['2026-3-14', '26-03-14', 'x2026-03-14', '2026-03-14x', '2026-03-14T00:00', ''])
      expect(() => topicKeyFor(KEY, day), day).toThrow(`not a UTC date: ${day}`);
  });

  it('is the UTC date of an instant', () => {
    expect(utcDay(MIDNIGHT - 1)).toBe('2026-03-14');
    expect(utcDay(MIDNIGHT)).toBe('2026-03-15');
  });
});

describe('the topics a device is in', () => {
  it('are today alone by day, and both days for exactly the overlap on each side of midnight', () => {
    expect(TOPIC_OVERLAP_MS).toBe(90 * 60 * 1000);
    const both = ['2026-03-14', '2026-03-15'];
    expect(topicDaysAt(MIDNIGHT - TOPIC_OVERLAP_MS - 1)).toEqual(['2026-03-14']);
    expect(topicDaysAt(MIDNIGHT - TOPIC_OVERLAP_MS)).toEqual(both);
    expect(topicDaysAt(MIDNIGHT)).toEqual(both);
    expect(topicDaysAt(MIDNIGHT + TOPIC_OVERLAP_MS - 1)).toEqual(both);
    expect(topicDaysAt(MIDNIGHT + TOPIC_OVERLAP_MS)).toEqual(['2026-03-15']);
    // Another overlap, as a caller may pass.
    expect(topicDaysAt(MIDNIGHT - HOUR, HOUR)).toEqual(both);
    expect(topicDaysAt(MIDNIGHT - HOUR - 1, HOUR)).toEqual(['2026-03-14']);
    expect(topicDaysAt(MIDNIGHT + 12 * HOUR, 0)).toEqual(['2026-03-15']);
  });

  it('change next at the start and the end of each overlap, never at the instant asked about', () => {
    const start = MIDNIGHT + TOPIC_OVERLAP_MS; // today alone from here
    const end = MIDNIGHT + DAY - TOPIC_OVERLAP_MS; // tomorrow too from here
    expect(nextTopicChangeAt(MIDNIGHT)).toBe(start);
    expect(nextTopicChangeAt(start - 1)).toBe(start);
    expect(nextTopicChangeAt(start)).toBe(end);
    expect(nextTopicChangeAt(end - 1)).toBe(end);
    expect(nextTopicChangeAt(end)).toBe(MIDNIGHT + DAY + TOPIC_OVERLAP_MS);
    expect(nextTopicChangeAt(MIDNIGHT + DAY - 1)).toBe(MIDNIGHT + DAY + TOPIC_OVERLAP_MS);
    expect(nextTopicChangeAt(MIDNIGHT, HOUR)).toBe(MIDNIGHT + HOUR);
    expect(nextTopicChangeAt(MIDNIGHT + HOUR, HOUR)).toBe(MIDNIGHT + DAY - HOUR);
  });

  it('stay the same until the next change, and differ from it on (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2099-12-31T00:00:00Z') }),
        fc.integer({ min: 0, max: 3 * HOUR }),
        (now, overlap) => {
          const next = nextTopicChangeAt(now, overlap);
          expect(next).toBeGreaterThan(now);
          const days = topicDaysAt(now, overlap);
          expect(topicDaysAt(next - 1, overlap)).toEqual(days);
          if (overlap > 0) expect(topicDaysAt(next, overlap)).not.toEqual(days);
        },
      ),
      fcOptions(),
    );
  });
});

describe('proofs', () => {
  const day = topicKeyFor(KEY, '2026-03-14');

  it('sign the context, the server’s challenge and the topic, and verify with any Ed25519', () => {
    expect(new TextDecoder().decode(proofMessage('abc', 'ed25519:T'))).toBe(
      'larder signaling proof v1\nabc\ned25519:T',
    );
    const proof = proveTopic(day, 'nonce-1');
    expect(isProofShaped(proof)).toBe(true);
    expect(verifyTopicProof(day.topic, 'nonce-1', proof)).toBe(true);
    expect(nodeVerifies(day.topic, 'nonce-1', proof)).toBe(true);
  });

  it('are refused for another challenge, another topic, or another day’s key', () => {
    const proof = proveTopic(day, 'nonce-1');
    const tomorrow = topicKeyFor(KEY, '2026-03-15');
    expect(verifyTopicProof(day.topic, 'nonce-2', proof)).toBe(false);
    expect(verifyTopicProof(tomorrow.topic, 'nonce-1', proof)).toBe(false);
    expect(verifyTopicProof(day.topic, 'nonce-1', proveTopic(tomorrow, 'nonce-1'))).toBe(false);
    // One flipped bit anywhere in the signature.
    const raw = fromBase64Url(proof)!;
    raw[40]! ^= 1;
    expect(verifyTopicProof(day.topic, 'nonce-1', toBase64Url(raw))).toBe(false);
  });

  it('are refused, without throwing, for a topic or proof of the wrong shape', () => {
    const proof = proveTopic(day, 'n');
    const encoded = day.topic.slice(TOPIC_PREFIX.length);
    const notAPoint = TOPIC_PREFIX + toBase64Url(new Uint8Array(32).fill(0xff));
    const topics: unknown[] = [
      encoded, // no scheme
      `ed25519:${encoded}A`, // one character too many
      day.topic.slice(0, -1),
      `x25519:${encoded}`,
      `ED25519:${encoded}`,
      `ed25519:${encoded.slice(0, -1)}!`,
      null,
      42,
    ];
    for (const topic of topics) expect(topicPublicKey(topic), String(topic)).toBeNull();
    for (const topic of topics.slice(0, 6)) expect(verifyTopicProof(topic as string, 'n', proof)).toBe(false);
    expect(verifyTopicProof(notAPoint, 'n', proof)).toBe(false);
    const proofs: unknown[] = [
      proof.slice(0, -1),
      `${proof}A`,
      `${proof.slice(0, -1)}=`,
      `!${proof.slice(1)}`,
      7,
    ];
    for (const p of proofs) expect(isProofShaped(p), String(p)).toBe(false);
    for (const p of proofs.slice(0, 4)) expect(verifyTopicProof(day.topic, 'n', p as string)).toBe(false);
    expect(isProofShaped(`${proof.slice(0, 43)}-_${proof.slice(45)}`)).toBe(true);
  });

  it('name a key in one spelling only: spare bits in the topic’s last character are refused', () => {
    const encoded = day.topic.slice(TOPIC_PREFIX.length);
    const last = encoded.at(-1)!;
    // 32 bytes take 43 characters; the last one carries 4 bits and 2 spare ones.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const other = alphabet[alphabet.indexOf(last) ^ 1]!;
    const respelled = `${TOPIC_PREFIX}${encoded.slice(0, -1)}${other}`;
    expect(fromBase64Url(respelled.slice(TOPIC_PREFIX.length))).toEqual(fromBase64Url(encoded));
    expect(topicPublicKey(respelled)).toBeNull();
    expect(verifyTopicProof(respelled, 'n', proveTopic(day, 'n'))).toBe(false);
  });
});

describe('topics worked out ahead (WebCrypto)', () => {
  it('are the same keys as @noble gives, for any network key and day', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z') }),
        async (key, t) => {
          const day = utcDay(t);
          const ahead = await topicKeyAhead(key, day);
          const now = topicKeyFor(key, day);
          expect(ahead.topic).toBe(now.topic);
          expect(ahead.seed).toEqual(now.seed);
          expect(nodeVerifies(ahead.topic, 'n', proveTopic(ahead, 'n'))).toBe(true);
        },
      ),
      { ...fcOptions, numRuns: 50 },
    );
  });

  it('give a provider in the same topics, proving them, and working out a day it had not (the clock moved)', async () => {
    let now = MIDNIGHT - HOUR;
    const ahead = await topicAuthAhead(KEY, () => now);
    const plain = topicAuthFor(KEY, () => now);
    expect(ahead.topics()).toEqual(plain.topics());
    for (const topic of ahead.topics())
      expect(verifyTopicProof(topic, 'c', ahead.prove(topic, 'c')!)).toBe(true);
    now = MIDNIGHT + 2 * DAY + 12 * HOUR;
    expect(ahead.topics()).toEqual([topicKeyFor(KEY, '2026-03-17').topic]);
  });

  it('refuse a network key of the wrong length, as topicKeyFor does', async () => {
    await expect(topicKeyAhead(KEY.subarray(0, 31), '2026-03-14')).rejects.toThrow(
      'network key must be 32 bytes',
    );
  });
});

describe('a device’s topic provider', () => {
  it('is in today’s topic, and in both around midnight, as the clock moves', () => {
    let now = MIDNIGHT - 12 * HOUR;
    const auth = topicAuthFor(KEY, () => now);
    const d14 = topicKeyFor(KEY, '2026-03-14').topic;
    const d15 = topicKeyFor(KEY, '2026-03-15').topic;
    expect(auth.topics()).toEqual([d14]);
    now = MIDNIGHT - HOUR;
    expect(auth.topics()).toEqual([d14, d15]);
    expect(auth.topics()).toEqual([d14, d15]); // asked again: the same keys
    now = MIDNIGHT + 12 * HOUR;
    expect(auth.topics()).toEqual([d15]);
  });

  it('proves the topics it is in, and a topic it left a moment ago until it next lists them', () => {
    let now = MIDNIGHT - HOUR;
    const auth = topicAuthFor(KEY, () => now);
    const [d14, d15] = auth.topics() as [string, string];
    for (const topic of [d14, d15])
      expect(verifyTopicProof(topic, 'c1', auth.prove(topic, 'c1')!)).toBe(true);
    now = MIDNIGHT + 3 * HOUR;
    // A subscribe racing the day's change: the key of the day just left is still held.
    expect(verifyTopicProof(d14, 'c2', auth.prove(d14, 'c2')!)).toBe(true);
    expect(auth.topics()).toEqual([d15]);
    expect(auth.prove(d14, 'c3')).toBeNull();
    expect(verifyTopicProof(d15, 'c3', auth.prove(d15, 'c3')!)).toBe(true);
  });

  it('proves nothing for another network’s topic, an empty challenge or one past 256 characters', () => {
    const now = MIDNIGHT + 12 * HOUR;
    const auth = topicAuthFor(KEY, () => now);
    const [topic] = auth.topics() as [string];
    const other = topicAuthFor(new Uint8Array(32).fill(7), () => now).topics()[0]!;
    expect(auth.prove(other, 'c')).toBeNull();
    expect(auth.prove(topic, '')).toBeNull();
    expect(auth.prove(topic, 'c'.repeat(257))).toBeNull();
    expect(auth.prove(topic, 7 as unknown as string)).toBeNull();
    expect(verifyTopicProof(topic, 'c'.repeat(256), auth.prove(topic, 'c'.repeat(256))!)).toBe(true);
    expect(verifyTopicProof(topic, 'c', auth.prove(topic, 'c')!)).toBe(true);
  });

  it('keeps its own copy of the network key (the caller may wipe its array)', () => {
    const key = new Uint8Array(KEY);
    const now = MIDNIGHT + 12 * HOUR;
    const auth = topicAuthFor(key, () => now);
    key.fill(0);
    expect(auth.topics()).toEqual([topicKeyFor(KEY, '2026-03-15').topic]);
  });

  it('reads the real clock by default', () => {
    const auth = topicAuthFor(KEY);
    const expected = topicDaysAt(Date.now()).map((d) => topicKeyFor(KEY, d).topic);
    const topics = auth.topics();
    // Unless midnight's overlap began or ended in between, the same list.
    expect(topics.every((t) => expected.includes(t)) || expected.every((t) => topics.includes(t))).toBe(true);
    expect(topics.length).toBeGreaterThan(0);
  });
});
