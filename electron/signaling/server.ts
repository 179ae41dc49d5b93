/**
 * Larder's own signaling server: a small relay that speaks y-webrtc's protocol (the one in
 * node_modules/y-webrtc/bin/server.js), but binds only to the host it is given and is hardened
 * for a LAN or a small community server.
 *
 * Protocol (JSON text frames over one WebSocket per client):
 *   { type: 'subscribe', topics: string[] }    join topics (y-webrtc rooms)
 *   { type: 'unsubscribe', topics: string[] }  leave them
 *   { type: 'publish', topic, ... }            sent on, with `clients: <subscriber count>` added, to
 *                                              every subscriber of the topic, the sender included
 *                                              when it is subscribed (y-webrtc ignores its own)
 *   { type: 'ping' }                           answered with { type: 'pong' }
 * The server also sends WebSocket ping frames every `pingIntervalMs` (30 s) and drops a client that
 * did not answer the previous one.
 *
 * What it relays is opaque: y-webrtc encrypts every signaling payload with the room password, and
 * the room name is a hash (shared/sync/keys.ts). Nothing here knows about Larder data, and the
 * `log` callback only ever receives events and counts, never topics, payloads or addresses.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';

export interface SignalingServerOptions {
  /** Interface to bind. Default 127.0.0.1; pass '0.0.0.0' (or '::') explicitly to serve a LAN. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 4444 (y-webrtc's usual port). */
  port?: number;
  /** Receives one line per event, counts only: never topics, payloads or client addresses. */
  log?: (line: string) => void;
  /** Largest accepted WebSocket message; a bigger one closes that connection (code 1009). */
  maxMessageBytes?: number;
  maxTopicsPerConnection?: number;
  maxTopicLength?: number;
  maxConnections?: number;
  /** Messages per connection per second; the rest of that second's messages are dropped. */
  maxMessagesPerSecond?: number;
  /** Interval of the server's WebSocket pings; a client that misses one is disconnected. */
  pingIntervalMs?: number;
}

export interface SignalingServerStats {
  /** Open WebSocket connections. */
  connections: number;
  /** Topics with at least one subscriber. */
  topics: number;
  /** Well-formed messages accepted since start (subscribe, unsubscribe, publish, ping). */
  messages: number;
}

export interface SignalingServer {
  /** Where a client on this computer reaches the server (127.0.0.1 when bound to 0.0.0.0). */
  url: string;
  port: number;
  /** The host it is bound to, as given. */
  host: string;
  close(): Promise<void>;
  stats(): SignalingServerStats;
  /** The bound socket address, as net.Server#address() reports it. */
  address(): AddressInfo;
}

export const SIGNALING_DEFAULTS = {
  host: '127.0.0.1',
  port: 4444,
  // y-webrtc signaling messages are small encrypted blobs (an SDP offer is a few kB).
  maxMessageBytes: 256 * 1024,
  maxTopicsPerConnection: 64,
  maxTopicLength: 256,
  maxConnections: 512,
  maxMessagesPerSecond: 200,
  pingIntervalMs: 30_000,
} as const;

export const HEALTH_CHECK_TEXT = 'Larder signaling server';

interface Client {
  readonly socket: WebSocket;
  readonly topics: Set<string>;
  alive: boolean;
  windowStart: number;
  windowCount: number;
}

export async function startSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const host = options.host ?? SIGNALING_DEFAULTS.host;
  const port = options.port ?? SIGNALING_DEFAULTS.port;
  const maxMessageBytes = options.maxMessageBytes ?? SIGNALING_DEFAULTS.maxMessageBytes;
  const maxTopicsPerConnection = options.maxTopicsPerConnection ?? SIGNALING_DEFAULTS.maxTopicsPerConnection;
  const maxTopicLength = options.maxTopicLength ?? SIGNALING_DEFAULTS.maxTopicLength;
  const maxConnections = options.maxConnections ?? SIGNALING_DEFAULTS.maxConnections;
  const maxMessagesPerSecond = options.maxMessagesPerSecond ?? SIGNALING_DEFAULTS.maxMessagesPerSecond;
  const pingIntervalMs = options.pingIntervalMs ?? SIGNALING_DEFAULTS.pingIntervalMs;
  const userLog = options.log;
  const log = (line: string): void => {
    try {
      userLog?.(line);
    } catch {
      // A failing logger must not take the relay down.
    }
  };

  if (typeof host !== 'string' || host.trim() === '') throw new Error('Signaling server: host is required');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`Signaling server: port must be an integer from 0 to 65535, got ${String(port)}`);
  }

  const topics = new Map<string, Set<Client>>();
  const clients = new Set<Client>();
  let messages = 0;
  let dropped = 0;

  const httpServer = http.createServer((request, response) => {
    const ok = request.method === 'GET' || request.method === 'HEAD';
    response.writeHead(ok ? 200 : 405, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...(ok ? {} : { Allow: 'GET, HEAD' }),
    });
    response.end(ok ? HEALTH_CHECK_TEXT : 'Method not allowed');
  });
  httpServer.headersTimeout = 10_000;
  httpServer.requestTimeout = 15_000;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes,
    // Compression would let a small frame inflate into a large one; signaling does not need it.
    perMessageDeflate: false,
    clientTracking: false,
  });

  httpServer.on('upgrade', (request, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (clients.size >= maxConnections) {
      log(`refused a connection: limit of ${maxConnections} reached`);
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws));
  });

  const drop = (reason: string): void => {
    dropped += 1;
    log(`dropped a message (${reason}); ${dropped} dropped so far`);
  };

  const send = (client: Client, frame: string): void => {
    if (client.socket.readyState !== client.socket.OPEN) return;
    try {
      client.socket.send(frame);
    } catch {
      client.socket.terminate();
    }
  };

  const leave = (client: Client, topic: string): void => {
    const subscribers = topics.get(topic);
    if (subscribers) {
      subscribers.delete(client);
      if (subscribers.size === 0) topics.delete(topic);
    }
    client.topics.delete(topic);
  };

  const topicList = (value: unknown): string[] | null => {
    if (!Array.isArray(value)) return null;
    return value.filter(
      (topic): topic is string =>
        typeof topic === 'string' && topic.length > 0 && topic.length <= maxTopicLength,
    );
  };

  const onMessage = (client: Client, data: RawData): void => {
    const now = Date.now();
    if (now - client.windowStart >= 1000) {
      client.windowStart = now;
      client.windowCount = 0;
    }
    client.windowCount += 1;
    if (client.windowCount > maxMessagesPerSecond) return drop('rate limit');

    let message: unknown;
    try {
      // y-webrtc sends text frames; binary frames holding JSON are accepted, as server.js does.
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      message = JSON.parse(bytes.toString('utf8'));
    } catch {
      return drop('malformed JSON');
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return drop('not an object');
    }
    const fields = message as Record<string, unknown>;
    switch (fields.type) {
      case 'subscribe': {
        const wanted = topicList(fields.topics);
        if (!wanted) return drop('bad subscribe');
        messages += 1;
        for (const topic of wanted) {
          if (client.topics.has(topic)) continue;
          if (client.topics.size >= maxTopicsPerConnection) {
            drop(`topic limit of ${maxTopicsPerConnection}`);
            break;
          }
          let subscribers = topics.get(topic);
          if (!subscribers) {
            subscribers = new Set();
            topics.set(topic, subscribers);
          }
          subscribers.add(client);
          client.topics.add(topic);
        }
        return;
      }
      case 'unsubscribe': {
        const unwanted = topicList(fields.topics);
        if (!unwanted) return drop('bad unsubscribe');
        messages += 1;
        for (const topic of unwanted) leave(client, topic);
        return;
      }
      case 'publish': {
        const topic = fields.topic;
        if (typeof topic !== 'string' || topic.length === 0 || topic.length > maxTopicLength) {
          return drop('bad publish');
        }
        messages += 1;
        const receivers = topics.get(topic);
        if (!receivers) return;
        // Serialised once for all receivers; the payload itself is passed on untouched.
        const frame = JSON.stringify({ ...fields, clients: receivers.size });
        for (const receiver of receivers) send(receiver, frame);
        return;
      }
      case 'ping':
        messages += 1;
        send(client, JSON.stringify({ type: 'pong' }));
        return;
      default:
        return drop('unknown type');
    }
  };

  const onConnection = (socket: WebSocket): void => {
    const client: Client = { socket, topics: new Set(), alive: true, windowStart: 0, windowCount: 0 };
    clients.add(client);
    log(`client connected; ${clients.size} connected`);
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('message', (data) => onMessage(client, data));
    // ws reports protocol violations (oversize frames, bad UTF-8) here and then closes the socket.
    // Without a listener the error would be thrown and stop the whole process.
    socket.on('error', (error: Error & { code?: string }) => {
      log(`connection error (${error.code ?? 'unknown'}); closing it`);
    });
    socket.on('close', () => {
      for (const topic of [...client.topics]) leave(client, topic);
      clients.delete(client);
      log(`client disconnected; ${clients.size} connected`);
    });
  };

  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        log('client missed a ping; disconnecting it');
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      try {
        client.socket.ping();
      } catch {
        client.socket.terminate();
      }
    }
  }, pingIntervalMs);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      httpServer.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      httpServer.off('error', onError);
      resolve();
    };
    httpServer.once('error', onError);
    httpServer.once('listening', onListening);
    httpServer.listen({ host, port, exclusive: true });
  }).catch((error: unknown) => {
    clearInterval(heartbeat);
    wss.close();
    throw error;
  });
  httpServer.on('error', (error: Error & { code?: string }) => {
    log(`server error (${error.code ?? 'unknown'})`);
  });

  const boundAddress = httpServer.address() as AddressInfo;
  const boundPort = boundAddress.port;
  log(`listening on ${formatHost(host)}:${boundPort}`);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      clearInterval(heartbeat);
      for (const client of clients) client.socket.terminate();
      wss.close();
      httpServer.close(() => {
        log('closed');
        resolve();
      });
      httpServer.closeAllConnections();
    });
    return closing;
  };

  return {
    url: `ws://${formatHost(localHostFor(host))}:${boundPort}`,
    port: boundPort,
    host,
    close,
    stats: () => ({ connections: clients.size, topics: topics.size, messages }),
    address: () => ({ ...boundAddress }),
  };
}

/** A wildcard bind is reached from this computer through loopback. */
function localHostFor(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
