/**
 * The signaling relay (electron/signaling/server.ts) against raw `ws` clients speaking
 * y-webrtc's protocol, as node_modules/y-webrtc/bin/server.js defines it.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { lanIPv4Addresses, signalingUrls } from '../../electron/signaling/addresses';
import { HEALTH_CHECK_TEXT, startSignalingServer } from '../../electron/signaling/server';
import type { SignalingServer, SignalingServerOptions } from '../../electron/signaling/server';
import { Client, keyOf, topicOf } from './signaling-client';

const servers: SignalingServer[] = [];
const clients: Client[] = [];

async function start(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  return server;
}

async function connect(server: SignalingServer, options?: ConstructorParameters<typeof WebSocket>[2]) {
  const client = await Client.connect(server.url, options);
  clients.push(client);
  return client;
}

/** A client that joined the topics of these labels' networks, with proofs. */
async function subscribed(server: SignalingServer, ...labels: string[]): Promise<Client> {
  const client = await connect(server);
  client.subscribe(...labels);
  await client.sync();
  return client;
}

const room = topicOf('room');
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('signaling server: y-webrtc protocol', () => {
  it('relays a publish to every subscriber of the topic, the sender included, with a client count', async () => {
    const server = await start();
    const alice = await subscribed(server, 'larder-room-a');
    const bob = await subscribed(server, 'larder-room-a');
    const carol = await subscribed(server, 'larder-room-b');

    const publish = { type: 'publish', topic: topicOf('larder-room-a'), data: 'b64-encrypted-blob' };
    alice.send(publish);
    await alice.sync();

    expect(await bob.next()).toEqual({ ...publish, clients: 2 });
    // bin/server.js sends to every subscriber, the publisher too; y-webrtc drops its own by peer id.
    expect(await alice.next((message) => message.type === 'publish')).toEqual({ ...publish, clients: 2 });
    await carol.sync();
    expect(carol.received).toEqual([]);
  });

  it('passes the payload through untouched, whatever fields it has', async () => {
    const server = await start();
    const alice = await subscribed(server, 'room');
    const bob = await subscribed(server, 'room');
    const publish = {
      type: 'publish',
      topic: room,
      data: { type: 'announce', from: 'peer-1' },
      extra: [1, 2],
    };
    alice.send(publish);
    expect(await bob.next()).toEqual({ ...publish, clients: 2 });
  });

  it('drops a publish from a client that is not subscribed to the topic (bin/server.js relays it)', async () => {
    const server = await start();
    const bob = await subscribed(server, 'room');
    const outsider = await connect(server);
    outsider.send({ type: 'publish', topic: room, data: 'x' });
    await outsider.sync();
    await bob.sync();
    expect(bob.received).toEqual([]);
    expect(outsider.received).toEqual([]);
    expect(server.stats().dropped).toBe(1);
  });

  it('stops relaying after unsubscribe and forgets empty topics', async () => {
    const server = await start();
    const alice = await subscribed(server, 'room', 'other');
    const bob = await subscribed(server, 'room');
    expect(server.stats().topics).toBe(2);

    bob.send({ type: 'unsubscribe', topics: [room] });
    await bob.sync();
    alice.send({ type: 'publish', topic: room, data: 'after' });
    expect(await alice.next((message) => message.type === 'publish')).toMatchObject({ clients: 1 });
    await bob.sync();
    expect(bob.received).toEqual([]);

    alice.send({ type: 'unsubscribe', topics: [room, topicOf('other')] });
    await alice.sync();
    expect(server.stats().topics).toBe(0);
  });

  it('answers ping with pong', async () => {
    const server = await start();
    const alice = await connect(server);
    alice.send({ type: 'ping' });
    expect(await alice.next()).toEqual({ type: 'pong' });
  });

  it('drops a closed connection from its topics', async () => {
    const server = await start();
    const alice = await subscribed(server, 'room');
    const bob = await subscribed(server, 'room');
    bob.close();
    await bob.closed();
    await wait(50);
    expect(server.stats().connections).toBe(1);
    alice.send({ type: 'publish', topic: room, data: 'x' });
    expect(await alice.next((message) => message.type === 'publish')).toMatchObject({ clients: 1 });
  });

  it('counts connections, topics and accepted messages', async () => {
    const server = await start();
    const alice = await subscribed(server, 'a', 'b');
    await subscribed(server, 'b');
    alice.send({ type: 'publish', topic: topicOf('a'), data: '' });
    await alice.sync();
    // 2 subscribes + 2 syncs, then publish + sync.
    expect(server.stats()).toMatchObject({
      connections: 2,
      topics: 2,
      messages: 6,
      sockets: 2,
      handshaking: 0,
    });
  });
});

describe('signaling server: hardening', () => {
  it('ignores malformed and unknown messages without crashing or relaying them', async () => {
    const server = await start();
    const alice = await subscribed(server, 'room');
    const bob = await subscribed(server, 'room');
    const junk = [
      'not json',
      '{"type":',
      '[1,2,3]',
      'null',
      '42',
      '"publish"',
      { type: 'publish' },
      { type: 'publish', topic: 7, data: 'x' },
      { type: 'publish', topic: '', data: 'x' },
      { type: 'unsubscribe', topics: { 0: 'room' } },
      { type: 'teleport', topic: room },
      { topic: room, data: 'x' },
      `{"type":"publish","topic":"${room}","__proto__":{"polluted":true}}`,
    ];
    // (A malformed subscribe closes the connection: signaling-auth.test.ts.)
    for (const message of junk) alice.send(message);
    alice.socket.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
    await alice.sync();
    await bob.sync();

    // Only the one well-formed publish (with a __proto__ key) was relayed, as plain data.
    const relayed = alice.received.filter((message) => message.type === 'publish');
    expect(relayed).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(bob.received.filter((message) => message.type === 'publish')).toHaveLength(1);
    expect(server.stats().connections).toBe(2);
    expect(server.stats().topics).toBe(1);
  });

  it('closes a connection that sends an oversize message and relays nothing of it', async () => {
    const server = await start({ maxMessageBytes: 1024 });
    const alice = await subscribed(server, 'room');
    const bob = await subscribed(server, 'room');
    alice.send({ type: 'publish', topic: room, data: 'x'.repeat(2000) });
    expect(await alice.closed()).toBe(1009);
    await bob.sync();
    expect(bob.received).toEqual([]);

    // The server is still up for everybody else.
    const carol = await subscribed(server, 'room');
    carol.send({ type: 'publish', topic: room, data: 'small' });
    expect(await bob.next()).toMatchObject({ data: 'small', clients: 2 });
  });

  it('accepts messages up to the size limit', async () => {
    const server = await start({ maxMessageBytes: 4096 });
    const alice = await subscribed(server, 'room');
    const data = 'y'.repeat(4000);
    alice.send({ type: 'publish', topic: room, data });
    expect(await alice.next((message) => message.type === 'publish')).toMatchObject({ data });
  });

  it('caps the topics one connection may subscribe to, and their length', async () => {
    const server = await start({ maxTopicsPerConnection: 3 });
    const alice = await connect(server);
    alice.subscribe('t1', 't2', 't3', 't4', 't5');
    await alice.sync();
    expect(server.stats().topics).toBe(3);
    alice.subscribe('t1', 't6');
    await alice.sync();
    expect(server.stats().topics).toBe(3);
    // A topic is a public key (51 characters); one longer than the limit is refused like a bad proof.
    const short = await start({ maxTopicLength: 50 });
    const bob = await connect(short);
    bob.subscribe(keyOf('t1'));
    expect(await bob.closed()).toBe(1008);
    expect(short.stats()).toMatchObject({ topics: 0, proofFailures: 1 });
  });

  it('refuses connections beyond the limit and accepts again when one leaves', async () => {
    const server = await start({ maxConnections: 2 });
    const first = await connect(server);
    await connect(server);
    await expect(Client.connect(server.url)).rejects.toThrow(/503/);
    first.close();
    await first.closed();
    await wait(50);
    const again = await connect(server);
    await again.sync();
  });

  it('drops messages over the per-second rate limit', async () => {
    const server = await start({ maxMessagesPerSecond: 5 });
    const alice = await subscribed(server, 'room'); // 2 messages used
    for (let i = 0; i < 10; i += 1) alice.send({ type: 'publish', topic: room, data: String(i) });
    await wait(1100);
    await alice.sync();
    expect(alice.received.filter((message) => message.type === 'publish')).toHaveLength(3);
  });

  it('disconnects a client that stops answering WebSocket pings, and keeps one that answers', async () => {
    const server = await start({ pingIntervalMs: 100 });
    const silent = await connect(server, { autoPong: false });
    const lively = await connect(server);
    expect(await silent.closed(1500)).toBe(1006);
    await wait(300);
    expect(lively.closeCode).toBeNull();
    await lively.sync();
    expect(server.stats().connections).toBe(1);
  });

  it('never passes topics, payloads or junk to the log callback', async () => {
    const marker = 'MARKER-7f3a9c';
    const lines: string[] = [];
    const server = await start({ log: (line) => lines.push(line), maxMessageBytes: 2048 });
    const topic = topicOf(`room-${marker}`);
    const alice = await subscribed(server, `room-${marker}`);
    const bob = await subscribed(server, `room-${marker}`);
    alice.send({ type: 'publish', topic, data: `secret-${marker}` });
    await bob.next();
    alice.send(`not json ${marker}`);
    alice.send({ type: `type-${marker}` });
    alice.send({ type: 'unsubscribe', topics: [topic] });
    await alice.sync();
    bob.send({ type: 'publish', topic, data: marker.repeat(300) });
    await bob.closed();
    await server.close();

    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).not.toContain(marker);
    for (const line of lines) expect(line).not.toContain(topic);
  });

  it('survives a log callback that throws', async () => {
    const server = await start({
      log: () => {
        throw new Error('logger down');
      },
    });
    const alice = await subscribed(server, 'room');
    alice.send('junk');
    await alice.sync();
  });
});

describe('signaling server: binding and lifecycle', () => {
  it('binds only to the host it is given', async () => {
    const server = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4', port: server.port });
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`);

    // This machine's own LAN addresses (if any) must not answer on that port.
    for (const address of lanIPv4Addresses()) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const socket = net.connect({ host: address, port: server.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(null);
        });
        socket.once('error', resolve);
      });
      expect(error?.code, `reachable on ${address}`).toBe('ECONNREFUSED');
    }
  });

  it('defaults to 127.0.0.1, never every interface', async () => {
    const server = await startSignalingServer({ port: 0 });
    servers.push(server);
    expect(server.address().address).toBe('127.0.0.1');
  });

  it('binds every IPv4 interface only when asked for 0.0.0.0, and lists the LAN URLs', async () => {
    const server = await start({ host: '0.0.0.0' });
    expect(server.address().address).toBe('0.0.0.0');
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`);
    const urls = signalingUrls('0.0.0.0', server.port);
    expect(urls.at(-1)).toBe(`ws://127.0.0.1:${server.port}`);
    expect(urls).toHaveLength(lanIPv4Addresses().length + 1);
  });

  it('frees the port on close, closing clients too', async () => {
    const server = await start();
    const alice = await subscribed(server, 'room');
    await server.close();
    await alice.closed();
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host: '127.0.0.1', port: server.port, exclusive: true }, resolve);
    });
    await new Promise((resolve) => probe.close(resolve));
    await server.close(); // idempotent
  });

  it('rejects when the port is taken', async () => {
    const server = await start();
    await expect(startSignalingServer({ host: '127.0.0.1', port: server.port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });

  it('rejects a bad port or host', async () => {
    await expect(startSignalingServer({ port: 70_000 })).rejects.toThrow(/port/);
    await expect(startSignalingServer({ port: 1.5 })).rejects.toThrow(/port/);
    await expect(startSignalingServer({ host: ' ', port: 0 })).rejects.toThrow(/host/);
  });

  it('answers a plain HTTP GET as a health check', async () => {
    const server = await start();
    const get = (method: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = http.request(
          { host: '127.0.0.1', port: server.port, path: '/', method },
          (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        request.on('error', reject);
        request.end();
      });
    expect(await get('GET')).toEqual({ status: 200, body: HEALTH_CHECK_TEXT });
    expect((await get('POST')).status).toBe(405);
  });
});
