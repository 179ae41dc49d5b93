/**
 * Proof of the room secret and daily topics (issue 8, point 1; docs/signaling.md): a subscriber must
 * sign the server's per-connection challenge with the day's key, derived from the network key; the
 * topic is that key's public half, so the server checks the proof against the topic and keeps nothing.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startSignalingServer } from '../../electron/signaling/server';
import type { SignalingServer, SignalingServerOptions } from '../../electron/signaling/server';
import { verifyProof } from '../../electron/signaling/proof';
import {
  TOPIC_OVERLAP_MS,
  nextTopicChangeAt,
  proveTopic,
  topicAuthFor,
  topicDaysAt,
  topicKeyFor,
  topicPublicKey,
  verifyTopicProof,
} from '../../shared/sync/roomAuth';
import { deriveSecrets } from '../../shared/sync/keys';
import { Client, keyOf, networkKeyOf, topicOf } from './signaling-client';

const servers: SignalingServer[] = [];
const clients: Client[] = [];

async function start(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  return server;
}

async function connect(server: SignalingServer): Promise<Client> {
  const client = await Client.connect(server.url);
  clients.push(client);
  return client;
}

async function member(server: SignalingServer, label = 'network'): Promise<Client> {
  const client = await connect(server);
  client.subscribe(label);
  await client.sync();
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const HOUR = 60 * 60 * 1000;
const at = (iso: string) => Date.parse(iso);

describe('daily topics', () => {
  it('two devices of one network get the same topic on the same day, another one the next day', async () => {
    const key = networkKeyOf('network');
    const copy = new Uint8Array(key); // another device holds its own copy of the key
    const day = topicKeyFor(key, '2026-03-14');
    expect(topicKeyFor(copy, '2026-03-14').topic).toBe(day.topic);
    expect(topicKeyFor(key, '2026-03-15').topic).not.toBe(day.topic);
    expect(topicKeyFor(networkKeyOf('other'), '2026-03-14').topic).not.toBe(day.topic);
    // Nothing of the room name or the network key is in it.
    const { room } = await deriveSecrets(key);
    expect(day.topic).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(day.topic).not.toContain(room.slice('larder-'.length, 20));
    expect(topicPublicKey(day.topic)).not.toBeNull();
  });

  it('is in one topic by day and in two around midnight UTC, for the overlap on each side', () => {
    expect(topicDaysAt(at('2026-03-14T12:00:00Z'))).toEqual(['2026-03-14']);
    expect(topicDaysAt(at('2026-03-14T23:00:00Z'))).toEqual(['2026-03-14', '2026-03-15']);
    expect(topicDaysAt(at('2026-03-15T00:30:00Z'))).toEqual(['2026-03-14', '2026-03-15']);
    expect(topicDaysAt(at('2026-03-15T01:31:00Z'))).toEqual(['2026-03-15']);
    expect(TOPIC_OVERLAP_MS).toBeGreaterThanOrEqual(HOUR);
  });

  it('devices whose clocks differ by up to the overlap always share a topic, across midnight too', () => {
    const day = 24 * HOUR;
    fc.assert(
      fc.property(
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z') }),
        fc.integer({ min: -TOPIC_OVERLAP_MS, max: TOPIC_OVERLAP_MS }),
        (now, skew) => {
          const mine = topicDaysAt(now);
          const theirs = topicDaysAt(now + skew);
          expect(mine.some((d) => theirs.includes(d))).toBe(true);
          expect(mine.length).toBeLessThanOrEqual(2);
        },
      ),
    );
    // Right at midnight, with the clocks a whole overlap apart.
    const midnight = at('2026-03-15T00:00:00Z');
    expect(topicDaysAt(midnight - TOPIC_OVERLAP_MS / 2)).toEqual(
      topicDaysAt(midnight + TOPIC_OVERLAP_MS / 2),
    );
    expect(day).toBeGreaterThan(2 * TOPIC_OVERLAP_MS);
  });

  it('knows when the list of days changes next', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2040-01-01T00:00:00Z') }), (now) => {
        const next = nextTopicChangeAt(now);
        expect(next).toBeGreaterThan(now);
        expect(topicDaysAt(next - 1)).toEqual(topicDaysAt(now));
        expect(topicDaysAt(next)).not.toEqual(topicDaysAt(now));
      }),
    );
  });

  it('a TopicAuth follows its clock and proves only the topics it is in', () => {
    let now = at('2026-03-14T12:00:00Z');
    const auth = topicAuthFor(networkKeyOf('network'), () => now);
    const [today] = auth.topics();
    expect(auth.topics()).toEqual([topicOf('network', '2026-03-14')]);
    const proof = auth.prove(today!, 'nonce-1');
    expect(verifyTopicProof(today!, 'nonce-1', proof!)).toBe(true);
    expect(auth.prove(topicOf('other', '2026-03-14'), 'nonce-1')).toBeNull();
    now = at('2026-03-14T23:59:00Z');
    expect(auth.topics()).toEqual([today, topicOf('network', '2026-03-15')]);
    now = at('2026-03-15T06:00:00Z');
    expect(auth.topics()).toEqual([topicOf('network', '2026-03-15')]);
  });
});

describe('proofs', () => {
  const key = keyOf('network', '2026-03-14');

  it('a proof verifies for its topic and nonce only (noble and the server agree)', () => {
    const proof = proveTopic(key, 'nonce-A');
    for (const verify of [verifyTopicProof, verifyProof]) {
      expect(verify(key.topic, 'nonce-A', proof)).toBe(true);
      expect(verify(key.topic, 'nonce-B', proof)).toBe(false);
      expect(verify(topicOf('network', '2026-03-15'), 'nonce-A', proof)).toBe(false);
      expect(verify(key.topic, 'nonce-A', proveTopic(keyOf('other', '2026-03-14'), 'nonce-A'))).toBe(false);
      expect(verify('room', 'nonce-A', proof)).toBe(false);
      expect(verify(key.topic, 'nonce-A', 'A'.repeat(86))).toBe(false);
      expect(verify(key.topic, 'nonce-A', '')).toBe(false);
    }
  });

  it('a topic has one spelling: spare bits in its last character make it no topic', () => {
    const last = key.topic.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const other = alphabet[(alphabet.indexOf(last) & ~3) | ((alphabet.indexOf(last) + 1) & 3)]!;
    const respelled = key.topic.slice(0, -1) + other;
    expect(topicPublicKey(respelled)).toBeNull();
    expect(verifyProof(respelled, 'n', proveTopic(key, 'n'))).toBe(false);
  });
});

describe('the server asks for the proof', () => {
  it('sends each connection its own challenge', async () => {
    const server = await start();
    const a = await connect(server);
    const b = await connect(server);
    expect(a.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.nonce).not.toBe(a.nonce);
  });

  it('relays between members who proved the topic, with the client count', async () => {
    const server = await start();
    const alice = await member(server);
    const bob = await member(server);
    const topic = topicOf('network');
    alice.send({ type: 'publish', topic, data: 'offer' });
    expect(await bob.next()).toEqual({ type: 'publish', topic, data: 'offer', clients: 2 });
    expect(server.stats()).toMatchObject({ connections: 2, topics: 1, proofFailures: 0 });
  });

  it('closes a subscriber without the secret: no proof, a stranger’s proof, or a made-up proof', async () => {
    const server = await start();
    const alice = await member(server);
    const bob = await member(server);
    const topic = topicOf('network');
    const attempts: Array<(client: Client) => void> = [
      (c) => c.send({ type: 'subscribe', topics: [topic] }),
      (c) => c.send({ type: 'subscribe', topics: [topic], proofs: [proveTopic(keyOf('other'), c.nonce!)] }),
      (c) => c.send({ type: 'subscribe', topics: [topic], proofs: ['A'.repeat(86)] }),
      (c) => c.send({ type: 'subscribe', topics: [topic, topicOf('mine')], proofs: [null, 'x'] }),
      // Its own topic proven, the network's not: the whole subscribe fails.
      (c) =>
        c.send({
          type: 'subscribe',
          topics: [topicOf('mine'), topic],
          proofs: [proveTopic(keyOf('mine'), c.nonce!), proveTopic(keyOf('mine'), c.nonce!)],
        }),
    ];
    for (const attempt of attempts) {
      const eve = await connect(server);
      attempt(eve);
      expect(await eve.closed()).toBe(1008);
      alice.send({ type: 'publish', topic, data: 'secret-ish' });
      expect(await bob.next()).toMatchObject({ data: 'secret-ish', clients: 2 });
      expect(eve.received.filter((m) => m.type === 'publish')).toEqual([]);
    }
    expect(server.stats()).toMatchObject({ connections: 2, topics: 1, proofFailures: attempts.length });
  });

  it('a subscriber without the secret cannot inject: publishes to a topic it has not proven are dropped', async () => {
    const server = await start();
    const alice = await member(server);
    const topic = topicOf('network');
    const outsider = await connect(server);
    outsider.send({ type: 'publish', topic, data: 'forged announce' });
    await outsider.sync();
    // Subscribed to a topic of its own (any key pair proves its own topic), it still cannot publish on ours.
    const eve = await member(server, 'mine');
    eve.send({ type: 'publish', topic, data: 'forged announce' });
    eve.send({ type: 'publish', topic: topicOf('mine'), data: 'own topic' });
    await eve.sync();
    await alice.sync();
    expect(alice.received).toEqual([]);
    expect(await eve.next()).toMatchObject({ data: 'own topic', clients: 1 });
    expect(server.stats().dropped).toBe(2);
  });

  it('a proof replayed on another connection (another nonce) fails', async () => {
    const server = await start();
    const alice = await connect(server);
    alice.subscribe('network');
    await alice.sync();
    // Eve heard everything alice sent: her subscribe, proof included.
    const heard = {
      type: 'subscribe',
      topics: [topicOf('network')],
      proofs: [proveTopic(keyOf('network'), alice.nonce!)],
    };
    const eve = await connect(server);
    eve.send(heard);
    expect(await eve.closed()).toBe(1008);
    alice.send({ type: 'publish', topic: topicOf('network'), data: 'x' });
    expect(await alice.next()).toMatchObject({ data: 'x', clients: 1 });
  });

  it('yesterday’s proven topic is not today’s: a member moves to the new day on the same connection', async () => {
    const server = await start();
    const yesterday = keyOf('network', '2026-03-14');
    const today = keyOf('network', '2026-03-15');
    const alice = await connect(server);
    const bob = await connect(server);
    alice.subscribe(yesterday);
    bob.subscribe(yesterday, today); // around midnight: both days
    await alice.sync();
    await bob.sync();
    alice.subscribe(today);
    alice.send({ type: 'unsubscribe', topics: [yesterday.topic] });
    await alice.sync();
    alice.send({ type: 'publish', topic: yesterday.topic, data: 'old' });
    alice.send({ type: 'publish', topic: today.topic, data: 'new' });
    await alice.sync();
    expect(await bob.next()).toMatchObject({ topic: today.topic, data: 'new', clients: 2 });
    await bob.sync();
    expect(bob.received).toEqual([]);
  });

  it('devices on either side of midnight, clocks 40 minutes apart, meet', async () => {
    const server = await start();
    const late = topicAuthFor(networkKeyOf('network'), () => at('2026-03-14T23:40:00Z'));
    const early = topicAuthFor(networkKeyOf('network'), () => at('2026-03-15T00:20:00Z'));
    const join = async (auth: ReturnType<typeof topicAuthFor>) => {
      const client = await connect(server);
      const topics = auth.topics();
      client.send({ type: 'subscribe', topics, proofs: topics.map((t) => auth.prove(t, client.nonce!)) });
      await client.sync();
      return { client, topics };
    };
    const a = await join(late);
    const b = await join(early);
    const shared = a.topics.filter((t) => b.topics.includes(t));
    expect(shared.length).toBeGreaterThan(0);
    a.client.send({ type: 'publish', topic: shared[0], data: 'hello' });
    expect(await b.client.next()).toMatchObject({ data: 'hello', clients: 2 });
  });

  it('closes a connection that asks for more proofs than its budget', async () => {
    const server = await start({ maxProofsPerMinute: 4 });
    const greedy = await connect(server);
    for (let i = 0; i < 4; i += 1) greedy.subscribe(`own-${i}`);
    await greedy.sync();
    expect(server.stats().topics).toBe(4);
    greedy.subscribe('own-4');
    expect(await greedy.closed()).toBe(1008);
    // Re-subscribing a topic it is already in costs no proof.
    const steady = await member(server);
    for (let i = 0; i < 10; i += 1) steady.subscribe('network');
    await steady.sync();
    expect(steady.closeCode).toBeNull();
  });

  it('an unauthenticated connection can only ping, and is closed when the subscribe timeout runs out', async () => {
    const server = await start({ subscribeTimeoutMs: 1000 });
    const idle = await connect(server);
    await idle.sync();
    expect(await idle.closed()).toBe(1006);
    expect(server.stats().subscribeTimeouts).toBe(1);
  });
});
