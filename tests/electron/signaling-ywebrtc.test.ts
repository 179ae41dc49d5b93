/**
 * A real y-webrtc 10.3.0 WebrtcProvider against Larder's signaling server. Without @roamhq/wrtc
 * there are no data channels in Node, so this checks the signaling half only: the provider
 * connects, subscribes to its room and announces itself, and what the relay sees and passes on
 * is ciphertext that only holders of the room password can read.
 */
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import type * as YWebrtcCrypto from '../../node_modules/y-webrtc/dist/src/crypto';
import { startSignalingServer } from '../../electron/signaling/server';
import type { SignalingServer } from '../../electron/signaling/server';

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

it('relays a real WebrtcProvider announce, encrypted, to another subscriber of the room', async () => {
  const lines: string[] = [];
  const server: SignalingServer = await startSignalingServer({ port: 0, log: (line) => lines.push(line) });
  cleanups.push(() => server.close());

  // The observer joins first, so the provider's announce (sent right after it subscribes) reaches it.
  const observer = new WebSocket(server.url);
  cleanups.push(() => observer.terminate());
  await new Promise((resolve) => observer.once('open', resolve));
  const published = new Promise<Record<string, unknown>>((resolve) =>
    observer.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message.type === 'publish') resolve(message);
    }),
  );
  observer.send(JSON.stringify({ type: 'subscribe', topics: [room] }));
  observer.send(JSON.stringify({ type: 'ping' }));
  await new Promise((resolve) => observer.once('message', resolve)); // the pong: subscribed

  // Node 20 has no global WebSocket; lib0/websocket (used by y-webrtc) needs one. Imported late so
  // the global is in place, and with no BroadcastChannel so nothing bypasses the signaling server.
  const saved = { WebSocket: globalThis.WebSocket, BroadcastChannel: globalThis.BroadcastChannel };
  Object.assign(globalThis, { WebSocket, BroadcastChannel: undefined });
  cleanups.push(() => Object.assign(globalThis, saved));
  const { WebrtcProvider } = await import('y-webrtc');
  const doc = new Y.Doc();
  const provider = new WebrtcProvider(room, doc, {
    signaling: [server.url],
    password,
    peerOpts: { config: { iceServers: [] } },
  });
  cleanups.push(() => {
    provider.disconnect();
    provider.destroy();
    doc.destroy();
  });

  const message = await published;
  expect(message).toMatchObject({ type: 'publish', topic: room, clients: 2 });
  expect(typeof message.data).toBe('string');
  expect(String(message.data)).not.toContain('announce');

  const key = await deriveKey(password, room);
  const bytes = Uint8Array.from(Buffer.from(String(message.data), 'base64'));
  expect(await decryptJson(bytes, key)).toEqual({ type: 'announce', from: provider.room?.peerId });
  expect(server.stats()).toMatchObject({ connections: 2, topics: 1 });
  expect(lines.join('\n')).not.toContain(room);
});
