/**
 * A real y-webrtc 10.3.0 WebrtcProvider, as Larder patches it (patches/y-webrtc+10.3.0.patch), against
 * Larder's signaling server: the provider answers the server's challenge with a proof of the day's
 * topic, announces itself there, moves to the next day's topic when the date changes, and what the relay
 * passes on is ciphertext that only holders of the room password can read. With @roamhq/wrtc (WebRTC in
 * Node) two providers sync real docs, as tests/e2e/sync-webrtc.spec.ts does in Chromium.
 */
import { createRequire } from 'node:module';
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import type * as YWebrtc from 'y-webrtc';
import type * as YWebrtcCrypto from '../../node_modules/y-webrtc/dist/src/crypto';
import { startSignalingServer } from '../../electron/signaling/server';
import type { SignalingServer } from '../../electron/signaling/server';
import { topicAuthFor } from '../../shared/sync/roomAuth';
import { Client, keyOf, networkKeyOf } from './signaling-client';

const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as unknown;

// y-webrtc's own crypto (not in its package exports); its types ship separately under dist/.
const { decryptJson, deriveKey } = (await import(
  '../../node_modules/y-webrtc/src/crypto.js' as string
)) as typeof YWebrtcCrypto;

const room = 'larder-0123456789abcdef0123456789abcdef';
const password = 'correct horse battery staple';
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(): Promise<{ server: SignalingServer; lines: string[] }> {
  const lines: string[] = [];
  const server = await startSignalingServer({ port: 0, log: (line) => lines.push(line) });
  cleanups.push(() => server.close());
  return { server, lines };
}

/** A member of the network listening on one day's topic, as another device would. */
async function observe(server: SignalingServer, day: string): Promise<Client> {
  const observer = await Client.connect(server.url);
  cleanups.push(() => observer.close());
  observer.subscribe(keyOf('network', day));
  await observer.sync(); // subscribed
  return observer;
}

/**
 * A WebrtcProvider in this process. Node 20 has no global WebSocket; lib0/websocket (used by y-webrtc)
 * needs one. Imported late so the global is in place, and with no BroadcastChannel so nothing bypasses
 * the signaling server.
 */
async function provider(server: SignalingServer, options: { now?: () => number; auth?: boolean } = {}) {
  const saved = { WebSocket: globalThis.WebSocket, BroadcastChannel: globalThis.BroadcastChannel };
  Object.assign(globalThis, { WebSocket, BroadcastChannel: undefined });
  cleanups.push(() => Object.assign(globalThis, saved));
  const { WebrtcProvider } = await import('y-webrtc');
  const doc = new Y.Doc();
  const instance = new WebrtcProvider(room, doc, {
    signaling: [server.url],
    password,
    peerOpts: { config: { iceServers: [] } },
    topicAuth: options.auth === false ? null : topicAuthFor(networkKeyOf('network'), options.now),
  });
  cleanups.push(() => {
    instance.disconnect();
    instance.destroy();
    doc.destroy();
  });
  return instance;
}

async function decrypted(message: Record<string, unknown>): Promise<unknown> {
  const key = await deriveKey(password, room);
  return decryptJson(Uint8Array.from(Buffer.from(String(message.data), 'base64')), key);
}

it('proves the day’s topic and relays a real WebrtcProvider announce, encrypted, to another member', async () => {
  const { server, lines } = await start();
  const noon = Date.parse('2026-03-14T12:00:00Z');
  // The observer joins first, so the provider's announce (sent right after it subscribes) reaches it.
  const observer = await observe(server, '2026-03-14');
  const webrtc = await provider(server, { now: () => noon });

  const message = await observer.next((m) => m.type === 'publish');
  expect(message).toMatchObject({ type: 'publish', topic: keyOf('network', '2026-03-14').topic, clients: 2 });
  expect(typeof message.data).toBe('string');
  expect(String(message.data)).not.toContain('announce');
  expect(await decrypted(message)).toEqual({ type: 'announce', from: webrtc.room?.peerId });
  expect(server.stats()).toMatchObject({ connections: 2, topics: 1, proofFailures: 0 });
  // The room name never reaches the server: it only salts the password's key on the devices.
  expect(lines.join('\n')).not.toContain(room);
  expect(webrtc.room?.topics).toEqual([keyOf('network', '2026-03-14').topic]);
});

it('moves to the next day’s topic when the date changes, through the overlap around midnight', async () => {
  const { server } = await start();
  let now = Date.parse('2026-03-14T12:00:00Z');
  const today = await observe(server, '2026-03-14');
  const webrtc = await provider(server, { now: () => now });
  await today.next((m) => m.type === 'publish');

  const tomorrow = await observe(server, '2026-03-15');
  now = Date.parse('2026-03-14T23:30:00Z'); // the overlap: both days
  webrtc.refreshTopics();
  const announce = await tomorrow.next((m) => m.type === 'publish');
  expect(await decrypted(announce)).toEqual({ type: 'announce', from: webrtc.room?.peerId });
  expect(announce).toMatchObject({ clients: 2 });
  await today.sync();
  expect(today.received).toEqual([]); // still in today's topic: nothing announced there again

  now = Date.parse('2026-03-15T06:00:00Z'); // the next day: yesterday's topic is left
  webrtc.refreshTopics();
  await expect.poll(() => server.stats().topics).toBe(2); // each observer's, the provider in one only
  today.send({ type: 'publish', topic: keyOf('network', '2026-03-14').topic, data: 'x' });
  expect(await today.next()).toMatchObject({ clients: 1 });
  tomorrow.send({ type: 'publish', topic: keyOf('network', '2026-03-15').topic, data: 'y' });
  expect(await tomorrow.next((m) => m.data === 'y')).toMatchObject({ clients: 2 });
});

it('a provider that does not prove its topic (upstream y-webrtc) is closed and hears nothing', async () => {
  const { server } = await start();
  const observer = await observe(server, '2026-03-14');
  await provider(server, { auth: false });
  await expect.poll(() => server.stats().proofFailures).toBeGreaterThanOrEqual(1);
  await observer.sync();
  expect(observer.received).toEqual([]);
});

/**
 * A device: a Y.Doc synced by a WebrtcProvider of its own y-webrtc module instance (y-webrtc keeps one
 * room per name per instance; a query string makes Node load the module afresh), with real WebRTC.
 */
async function device(server: SignalingServer, label: string, networkKey: Uint8Array, now?: () => number) {
  const saved = { WebSocket: globalThis.WebSocket, BroadcastChannel: globalThis.BroadcastChannel };
  Object.assign(globalThis, { WebSocket, BroadcastChannel: undefined });
  cleanups.push(() => Object.assign(globalThis, saved));
  const entry = new URL('../../node_modules/y-webrtc/src/y-webrtc.js', import.meta.url);
  entry.search = `?device=${label}-${Math.random()}`;
  const { WebrtcProvider } = (await import(entry.href)) as typeof YWebrtc;
  const doc = new Y.Doc();
  const instance = new WebrtcProvider(room, doc, {
    signaling: [server.url],
    password,
    peerOpts: { config: { iceServers: [] }, wrtc },
    topicAuth: topicAuthFor(networkKey, now),
  });
  cleanups.push(() => {
    instance.disconnect();
    instance.destroy();
    doc.destroy();
  });
  return doc;
}

it('two devices on either side of midnight UTC, clocks 40 minutes apart, sync their docs over WebRTC', async () => {
  const { server } = await start();
  const late = await device(server, 'late', networkKeyOf('network'), () =>
    Date.parse('2026-03-14T23:40:00Z'),
  );
  const early = await device(server, 'early', networkKeyOf('network'), () =>
    Date.parse('2026-03-15T00:20:00Z'),
  );
  late.getMap('stock').set('rice', 30);
  await expect.poll(() => early.getMap('stock').get('rice'), { timeout: 20_000 }).toBe(30);
  early.getMap('stock').set('beans', 7);
  await expect.poll(() => late.getMap('stock').get('beans'), { timeout: 20_000 }).toBe(7);
});

it('a device with another network key, on the same server and room name, gets nothing', async () => {
  const { server } = await start();
  // At noon UTC: within TOPIC_OVERLAP_MS of midnight each device is on two days' topics (the test failed
  // from 22:30 to 01:30 UTC).
  const noon = () => Date.parse('2026-03-14T12:00:00Z');
  const member = await device(server, 'member', networkKeyOf('network'), noon);
  const other = await device(server, 'other-member', networkKeyOf('network'), noon);
  const stranger = await device(server, 'stranger', networkKeyOf('stranger'), noon);
  member.getMap('stock').set('rice', 30);
  await expect.poll(() => other.getMap('stock').get('rice'), { timeout: 20_000 }).toBe(30);
  await expect.poll(() => server.stats().topics).toBe(2); // the network's and the stranger's
  expect(stranger.getMap('stock').size).toBe(0);
});
