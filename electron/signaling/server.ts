/**
 * Larder's own signaling server: a small relay that speaks y-webrtc's protocol (the one in
 * node_modules/y-webrtc/bin/server.js), but binds only to the host it is given and is hardened
 * for a LAN or a small community server.
 *
 * Protocol (JSON text frames over one WebSocket per client; Larder's patch of y-webrtc speaks it):
 *   { type: 'challenge', nonce }               sent by the server first: 256 random bits for this
 *                                              connection
 *   { type: 'subscribe', topics: string[],     join topics; each topic is an Ed25519 public key and
 *     proofs: string[] }                       proofs[i] its signature over the challenge
 *                                              (shared/sync/roomAuth.ts). A subscribe whose proofs do
 *                                              not all verify closes the connection (1008)
 *   { type: 'unsubscribe', topics: string[] }  leave them
 *   { type: 'publish', topic, ... }            sent on, with `clients: <subscriber count>` added, to
 *                                              every subscriber of the topic, the sender included
 *                                              (y-webrtc ignores its own); only from a subscriber of
 *                                              the topic: other publishes are dropped
 *   { type: 'ping' }                           answered with { type: 'pong' }
 * The server also sends WebSocket ping frames every `pingIntervalMs` (30 s) and drops a client that
 * did not answer the previous one.
 *
 * Nothing a client sends or does may take the relay down or make it hold memory without bound:
 * - every TCP socket counts, from the moment it is accepted: against `maxConnections` and against
 *   `maxConnectionsPerAddress` (an IPv6 client counts by its /64); one that has not completed the
 *   WebSocket upgrade within `handshakeTimeoutMs` is destroyed (a plain HTTP health check too);
 * - new sockets per address are rate limited (`connectionBurstPerAddress`, then
 *   `connectionsPerAddressPerSecond`; ./connectionRate.ts), refused with HTTP 429 and a Retry-After,
 *   in a table of at most `maxTrackedAddresses` addresses (docs/signaling.md says why these numbers);
 * - a connection without any topic for `subscribeTimeoutMs` (it never subscribed, or left them all)
 *   is closed;
 * - messages are limited in size (ws's `maxPayload`), count and bytes per second (over either,
 *   the connection is not read from for the rest of the second) and JSON nesting depth, checked
 *   before parsing; a publish is relayed as the text it arrived in, with the client count spliced in, so
 *   nothing is ever re-serialised; every event handler is wrapped, so nothing a client sends can
 *   throw out of one; what one connection's publishes make the server write (frame size times
 *   receivers) has a budget per second (`maxRelayBytesPerSecond`);
 * - what waits to be written to one connection is capped (`maxBufferedBytes`, ws's
 *   `bufferedAmount`), and so is the total for all of them (`maxTotalBufferedBytes`): a reader that
 *   falls behind is disconnected, not buffered for. A relayed frame is one Buffer shared by all its
 *   receivers. (The kernel still holds up to its own socket send buffer per connection, about 4 MB
 *   with Linux defaults, outside this process.)
 *
 * - a proof is verified once per topic and connection, and each connection has a budget of proofs
 *   (`maxProofsPerMinute`), so signatures cannot be used to make the server burn CPU.
 *
 * What it relays is opaque: y-webrtc encrypts every signaling payload with the room password, and
 * a topic is a public key derived from the network key and the date (docs/signaling.md): the server
 * stores nothing, and what it sees lets it neither join a network's topic nor find tomorrow's. Nothing
 * here knows about Larder data, and the `log` callback only ever receives events and counts, never
 * topics, payloads or addresses.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { newNonce, verifyProof } from './proof';
import { ConnectionRate } from './connectionRate';

export interface SignalingServerOptions {
  /** Interface to bind. Default 127.0.0.1; pass '0.0.0.0' (or '::') explicitly to serve a LAN. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 4444 (y-webrtc's usual port). */
  port?: number;
  /** Receives one line per event, counts only: never topics, payloads or client addresses. */
  log?: (line: string) => void;
  /** Largest accepted WebSocket message; a bigger one closes that connection (code 1009). */
  maxMessageBytes?: number;
  /** Deepest accepted nesting of JSON arrays and objects in a message; deeper ones are dropped. */
  maxJsonDepth?: number;
  maxTopicsPerConnection?: number;
  maxTopicLength?: number;
  /** TCP sockets at once, whether still in the HTTP handshake or open WebSockets. */
  maxConnections?: number;
  /** TCP sockets at once from one remote address (IPv6: one /64). */
  maxConnectionsPerAddress?: number;
  /**
   * New TCP sockets one remote address may open in a burst, and then per second (a token bucket): an
   * address that opens and closes connections in a loop is refused with HTTP 429 beyond them.
   */
  connectionBurstPerAddress?: number;
  connectionsPerAddressPerSecond?: number;
  /** Addresses the connection rate is tracked for; beyond it, new addresses share one bucket. */
  maxTrackedAddresses?: number;
  /** The clock of the connection rate limit, in milliseconds (tests); performance.now by default. */
  now?: () => number;
  /**
   * Messages per connection per second, and their bytes: beyond either, the rest of that second's
   * messages are dropped and the connection is not read from until the second is over (TCP pushes
   * back on the sender, and the server spends nothing on what it would drop).
   */
  maxMessagesPerSecond?: number;
  maxBytesPerSecond?: number;
  /**
   * Bytes one connection's publishes may make the server write per second, counted as the frame's
   * size times its receivers (a token bucket holding one second's worth): a publish over the budget
   * is dropped. One large frame to many subscribers is what turns a little upload into gigabytes of
   * writes; an honest y-webrtc peer joining a room of 40 writes a few MB.
   */
  maxRelayBytesPerSecond?: number;
  /** Interval of the server's WebSocket pings; a client that misses one is disconnected. */
  pingIntervalMs?: number;
  /** A TCP socket that has not completed the WebSocket upgrade by then is destroyed. */
  handshakeTimeoutMs?: number;
  /** A WebSocket subscribed to no topic for this long (from its start, or since it left the last) is closed. */
  subscribeTimeoutMs?: number;
  /** Bytes queued for one connection (ws's bufferedAmount) beyond which it is disconnected. */
  maxBufferedBytes?: number;
  /** Bytes queued for all connections together beyond which a connection that is behind is disconnected. */
  maxTotalBufferedBytes?: number;
  /**
   * Proofs one connection may have verified: a burst of this many, then this many per minute. Beyond
   * it the connection is closed. An honest device proves one or two topics when it connects and one
   * more each day.
   */
  maxProofsPerMinute?: number;
}

export interface SignalingServerStats {
  /** Open WebSocket connections. */
  connections: number;
  /** Topics with at least one subscriber. */
  topics: number;
  /** Well-formed messages accepted since start (subscribe, unsubscribe, publish, ping). */
  messages: number;
  /** TCP sockets counted against the limits now: in the handshake, or open WebSockets. */
  sockets: number;
  /** Of those, the ones that have not completed the WebSocket upgrade (yet). */
  handshaking: number;
  /** Bytes waiting to be written to all connections now (the sum of their bufferedAmount). */
  queuedBytes: number;
  /** Since start: TCP sockets refused because a connection limit was reached (rate limits included). */
  refused: number;
  /** Since start: of those, the ones refused because their address opened connections too fast (429). */
  rateLimited: number;
  /** Addresses the connection rate limit tracks now (at most maxTrackedAddresses). */
  trackedAddresses: number;
  /** Since start: sockets destroyed because they did not complete the handshake in time. */
  handshakeTimeouts: number;
  /** Since start: connections closed because they were subscribed to nothing for too long. */
  subscribeTimeouts: number;
  /** Since start: connections disconnected because too much was queued for them. */
  slowReaders: number;
  /** Since start: messages dropped (malformed, too deep, rate limit, a publish to a topic not joined, ...). */
  dropped: number;
  /** Since start: connections closed because a subscribe's proofs failed, or went over the proof budget. */
  proofFailures: number;
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
  maxMessageBytes: 64 * 1024,
  // y-webrtc's messages nest 3 to 4 levels deep.
  maxJsonDepth: 16,
  maxTopicsPerConnection: 64,
  maxTopicLength: 256,
  maxConnections: 512,
  // A hub's devices behind one NAT share an address; an attacker's address gets no more than this.
  maxConnectionsPerAddress: 32,
  // A hub of 32 devices that all reconnect at once (the server restarted) uses half the burst; y-webrtc
  // (lib0's WebsocketClient) retries a refused connection at most every 2.5 s per device.
  connectionBurstPerAddress: 64,
  connectionsPerAddressPerSecond: 2,
  // About 150 bytes each: at most ~1.5 MB however many addresses a flood comes from.
  maxTrackedAddresses: 10_000,
  maxMessagesPerSecond: 200,
  // Far above what y-webrtc sends (a few kB when a peer joins), far below what parsing would cost.
  maxBytesPerSecond: 1024 * 1024,
  maxRelayBytesPerSecond: 8 * 1024 * 1024,
  pingIntervalMs: 30_000,
  handshakeTimeoutMs: 5_000,
  // y-webrtc subscribes as soon as its socket opens.
  subscribeTimeoutMs: 10_000,
  maxBufferedBytes: 2 * 1024 * 1024,
  maxTotalBufferedBytes: 64 * 1024 * 1024,
  maxProofsPerMinute: 16,
} as const;

export const HEALTH_CHECK_TEXT = 'Larder signaling server';

/** How long a refused socket may stay to read its 503 before it is destroyed, and how many at once. */
const REFUSED_LINGER_MS = 1_000;
const MAX_REFUSED_LINGERING = 64;
const SERVICE_UNAVAILABLE =
  'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const tooManyRequests = (retryAfterSeconds: number): string =>
  `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${retryAfterSeconds}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;

interface Client {
  readonly socket: WebSocket;
  /** The challenge this connection's proofs sign. */
  readonly nonce: string;
  /** Topics it joined, each with a proof that verified. */
  readonly topics: Set<string>;
  /** What is left of its proof budget, and when it was last topped up. */
  proofTokens: number;
  proofAt: number;
  /** Set once it failed the challenge: nothing more it sends is read. */
  refused: boolean;
  alive: boolean;
  windowStart: number;
  windowCount: number;
  windowBytes: number;
  /** Set while the socket is paused for going over its rate limit. */
  resumeTimer: NodeJS.Timeout | null;
  /** What is left of this second's relay budget (bytes), and when it was last topped up. */
  relayTokens: number;
  relayAt: number;
  /** Runs while the client is subscribed to nothing. */
  idleTimer: NodeJS.Timeout | null;
}

/** A TCP socket counted against the limits, from accept until it closes. */
interface Counted {
  readonly address: string;
  handshakeTimer: NodeJS.Timeout | null;
}

export async function startSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const setting = <K extends keyof typeof SIGNALING_DEFAULTS>(key: K): (typeof SIGNALING_DEFAULTS)[K] =>
    (options[key] as (typeof SIGNALING_DEFAULTS)[K] | undefined) ?? SIGNALING_DEFAULTS[key];
  const host: string = setting('host');
  const port: number = setting('port');
  const maxMessageBytes: number = setting('maxMessageBytes');
  const maxJsonDepth: number = setting('maxJsonDepth');
  const maxTopicsPerConnection: number = setting('maxTopicsPerConnection');
  const maxTopicLength: number = setting('maxTopicLength');
  const maxConnections: number = setting('maxConnections');
  const maxConnectionsPerAddress: number = setting('maxConnectionsPerAddress');
  const connectionBurstPerAddress: number = setting('connectionBurstPerAddress');
  const connectionsPerAddressPerSecond: number = setting('connectionsPerAddressPerSecond');
  const maxTrackedAddresses: number = setting('maxTrackedAddresses');
  const maxMessagesPerSecond: number = setting('maxMessagesPerSecond');
  const maxBytesPerSecond: number = setting('maxBytesPerSecond');
  const maxRelayBytesPerSecond: number = setting('maxRelayBytesPerSecond');
  const pingIntervalMs: number = setting('pingIntervalMs');
  const handshakeTimeoutMs: number = setting('handshakeTimeoutMs');
  const subscribeTimeoutMs: number = setting('subscribeTimeoutMs');
  const maxBufferedBytes: number = setting('maxBufferedBytes');
  const maxTotalBufferedBytes: number = setting('maxTotalBufferedBytes');
  const maxProofsPerMinute: number = setting('maxProofsPerMinute');
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
  const positive = {
    maxMessageBytes,
    maxJsonDepth,
    maxTopicsPerConnection,
    maxTopicLength,
    maxConnections,
    maxConnectionsPerAddress,
    connectionBurstPerAddress,
    connectionsPerAddressPerSecond,
    maxTrackedAddresses,
    maxMessagesPerSecond,
    maxBytesPerSecond,
    maxRelayBytesPerSecond,
    pingIntervalMs,
    handshakeTimeoutMs,
    subscribeTimeoutMs,
    maxBufferedBytes,
    maxTotalBufferedBytes,
    maxProofsPerMinute,
  };
  for (const [name, value] of Object.entries(positive)) {
    if (typeof value !== 'number' || !(value > 0)) {
      throw new Error(`Signaling server: ${name} must be a positive number, got ${String(value)}`);
    }
  }

  const topics = new Map<string, Set<Client>>();
  const clients = new Set<Client>();
  const counted = new Map<Duplex, Counted>();
  const perAddress = new Map<string, number>();
  const connectionRate = new ConnectionRate(
    {
      burst: connectionBurstPerAddress,
      perSecond: connectionsPerAddressPerSecond,
      maxAddresses: maxTrackedAddresses,
    },
    options.now,
  );
  const refusing = new Set<Duplex>();
  const totals = {
    messages: 0,
    dropped: 0,
    refused: 0,
    rateLimited: 0,
    handshakeTimeouts: 0,
    subscribeTimeouts: 0,
    slowReaders: 0,
    proofFailures: 0,
  };

  // Events an attacker can cause by the thousand are logged as one line per kind and second.
  const pendingEvents = new Map<string, number>();
  let eventTimer: NodeJS.Timeout | null = null;
  const flushEvents = (): void => {
    eventTimer = null;
    for (const [what, count] of pendingEvents) log(count === 1 ? what : `${what} (×${count})`);
    pendingEvents.clear();
  };
  const event = (what: string): void => {
    pendingEvents.set(what, (pendingEvents.get(what) ?? 0) + 1);
    if (!eventTimer) {
      eventTimer = setTimeout(flushEvents, 1000);
      eventTimer.unref();
    }
  };

  /** Runs a handler; whatever it throws is logged (its kind only) and goes no further. */
  const guard = (what: string, handler: () => void): void => {
    try {
      handler();
    } catch (error) {
      const kind = error instanceof Error ? error.name : typeof error;
      event(`unexpected ${kind} in ${what}`);
    }
  };

  const httpServer = http.createServer((request, response) =>
    guard('request', () => {
      if (refusing.has(request.socket)) {
        request.socket.destroy();
        return;
      }
      const ok = request.method === 'GET' || request.method === 'HEAD';
      response.writeHead(ok ? 200 : 405, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        ...(ok ? {} : { Allow: 'GET, HEAD' }),
      });
      response.end(ok ? HEALTH_CHECK_TEXT : 'Method not allowed');
    }),
  );
  // The handshake timeout below is the one that matters; these only back it up.
  httpServer.headersTimeout = 10_000;
  httpServer.requestTimeout = 15_000;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes,
    // Compression would let a small frame inflate into a large one; signaling does not need it.
    perMessageDeflate: false,
    clientTracking: false,
  });

  const refuse = (socket: Socket, reason: string, response = SERVICE_UNAVAILABLE): void => {
    totals.refused += 1;
    event(`refused a connection: ${reason}`);
    if (refusing.size >= MAX_REFUSED_LINGERING) {
      socket.destroy();
      return;
    }
    // The 503 (or 429) lets an honest client tell "full" from "down"; the socket is gone a moment later.
    refusing.add(socket);
    const timer = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      refusing.delete(socket);
    });
    socket.end(response);
  };

  // Every TCP socket is counted from accept, before it has sent a byte.
  httpServer.on('connection', (socket: Socket) =>
    guard('connection', () => {
      socket.on('error', () => socket.destroy());
      const address = addressKey(socket.remoteAddress);
      const fromAddress = perAddress.get(address) ?? 0;
      // First, so that an address looping on refused connections spends its own budget too.
      const rate = connectionRate.take(address);
      if (!rate.ok) {
        totals.rateLimited += 1;
        return refuse(
          socket,
          'connections opened too fast from one address',
          tooManyRequests(rate.retryAfterSeconds),
        );
      }
      if (counted.size >= maxConnections) {
        return refuse(socket, `limit of ${maxConnections} connections reached`);
      }
      if (fromAddress >= maxConnectionsPerAddress) {
        return refuse(socket, `limit of ${maxConnectionsPerAddress} connections per address reached`);
      }
      const entry: Counted = {
        address,
        handshakeTimer: setTimeout(() => {
          totals.handshakeTimeouts += 1;
          event('closed connections that did not complete the handshake in time');
          socket.destroy();
        }, handshakeTimeoutMs),
      };
      entry.handshakeTimer?.unref();
      counted.set(socket, entry);
      perAddress.set(address, fromAddress + 1);
      socket.once('close', () =>
        guard('socket close', () => {
          if (entry.handshakeTimer) clearTimeout(entry.handshakeTimer);
          counted.delete(socket);
          const left = (perAddress.get(address) ?? 1) - 1;
          if (left > 0) perAddress.set(address, left);
          else perAddress.delete(address);
        }),
      );
    }),
  );

  httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) =>
    guard('upgrade', () => {
      socket.on('error', () => socket.destroy());
      const entry = counted.get(socket);
      if (!entry || refusing.has(socket)) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) =>
        guard('connection', () => {
          if (entry.handshakeTimer) clearTimeout(entry.handshakeTimer);
          entry.handshakeTimer = null;
          onConnection(ws);
        }),
      );
    }),
  );

  const drop = (reason: string): void => {
    totals.dropped += 1;
    event(`dropped messages (${reason})`);
  };

  // The sum of every connection's bufferedAmount, recomputed at most every 50 ms and counted up
  // by what is sent in between.
  let queuedEstimate = 0;
  let queuedAt = -Infinity;
  const queuedTotal = (): number => {
    const now = performance.now();
    if (now - queuedAt >= 50) {
      let sum = 0;
      for (const client of clients) sum += client.socket.bufferedAmount;
      queuedEstimate = sum;
      queuedAt = now;
    }
    return queuedEstimate;
  };

  const disconnectSlow = (client: Client, reason: string): void => {
    totals.slowReaders += 1;
    event(`disconnected slow readers (${reason})`);
    client.socket.terminate();
  };

  const send = (client: Client, frame: Buffer): void => {
    const socket = client.socket;
    if (socket.readyState !== socket.OPEN) return;
    const queued = socket.bufferedAmount;
    if (queued + frame.length > maxBufferedBytes) {
      return disconnectSlow(client, 'its queue limit');
    }
    if (queued > 0 && queuedTotal() + frame.length > maxTotalBufferedBytes) {
      return disconnectSlow(client, 'the server queue limit');
    }
    queuedEstimate += frame.length;
    try {
      socket.send(frame, { binary: false });
    } catch {
      socket.terminate();
    }
  };

  const PONG = Buffer.from(JSON.stringify({ type: 'pong' }));

  const startIdleTimer = (client: Client): void => {
    if (client.idleTimer) return;
    client.idleTimer = setTimeout(() => {
      client.idleTimer = null;
      totals.subscribeTimeouts += 1;
      event('closed connections subscribed to nothing');
      client.socket.terminate();
    }, subscribeTimeoutMs);
    client.idleTimer.unref();
  };
  const stopIdleTimer = (client: Client): void => {
    if (client.idleTimer) clearTimeout(client.idleTimer);
    client.idleTimer = null;
  };

  const leave = (client: Client, topic: string): void => {
    const subscribers = topics.get(topic);
    if (subscribers) {
      subscribers.delete(client);
      if (subscribers.size === 0) topics.delete(topic);
    }
    client.topics.delete(topic);
  };

  /** Closes a connection that failed the challenge; a client that ignores the close is cut off soon after. */
  const refuseProof = (client: Client, reason: string): void => {
    totals.proofFailures += 1;
    event(`closed connections that failed the challenge (${reason})`);
    client.refused = true;
    client.socket.close(1008, 'proof of the topic key required');
    setTimeout(() => client.socket.terminate(), 1000).unref();
  };

  /** Takes one proof from the client's budget (a token bucket holding a minute's worth); false when empty. */
  const spendProof = (client: Client, now: number): boolean => {
    const minutes = (now - client.proofAt) / 60_000;
    client.proofTokens = Math.min(maxProofsPerMinute, client.proofTokens + minutes * maxProofsPerMinute);
    client.proofAt = now;
    if (client.proofTokens < 1) return false;
    client.proofTokens -= 1;
    return true;
  };

  const subscribe = (client: Client, fields: Record<string, unknown>, now: number): void => {
    const { topics: wanted, proofs } = fields;
    if (!Array.isArray(wanted) || !Array.isArray(proofs) || proofs.length !== wanted.length) {
      return refuseProof(client, 'no proofs');
    }
    totals.messages += 1;
    // Every proof is checked before any topic is joined: all or nothing.
    const joining: string[] = [];
    for (const [i, topic] of wanted.entries()) {
      if (typeof topic !== 'string' || topic.length === 0 || topic.length > maxTopicLength) {
        return refuseProof(client, 'a bad topic');
      }
      if (client.topics.has(topic) || joining.includes(topic)) continue;
      if (client.topics.size + joining.length >= maxTopicsPerConnection) {
        drop(`topic limit of ${maxTopicsPerConnection}`);
        break;
      }
      if (!spendProof(client, now)) return refuseProof(client, 'over the proof budget');
      if (!verifyProof(topic, client.nonce, proofs[i]))
        return refuseProof(client, 'a proof that does not verify');
      joining.push(topic);
    }
    for (const topic of joining) {
      let subscribers = topics.get(topic);
      if (!subscribers) {
        subscribers = new Set();
        topics.set(topic, subscribers);
      }
      subscribers.add(client);
      client.topics.add(topic);
    }
    if (client.topics.size > 0) stopIdleTimer(client);
  };

  const topicList = (value: unknown): string[] | null => {
    if (!Array.isArray(value)) return null;
    return value.filter(
      (topic): topic is string =>
        typeof topic === 'string' && topic.length > 0 && topic.length <= maxTopicLength,
    );
  };

  /** Stops reading from a client that went over its rate limit, until its second is over. */
  const throttle = (client: Client): void => {
    if (client.resumeTimer) return;
    client.socket.pause();
    client.resumeTimer = setTimeout(
      () => {
        client.resumeTimer = null;
        client.socket.resume();
      },
      Math.max(1, client.windowStart + 1000 - Date.now()),
    );
    client.resumeTimer.unref();
  };

  const onMessage = (client: Client, data: RawData): void => {
    if (client.refused) return;
    const now = Date.now();
    if (now - client.windowStart >= 1000) {
      client.windowStart = now;
      client.windowCount = 0;
      client.windowBytes = 0;
    }
    // y-webrtc sends text frames; binary frames holding JSON are accepted, as server.js does.
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    client.windowCount += 1;
    client.windowBytes += bytes.length;
    if (client.windowCount > maxMessagesPerSecond || client.windowBytes > maxBytesPerSecond) {
      throttle(client);
      return drop('rate limit');
    }
    const text = bytes.toString('utf8');
    if (nestedDeeperThan(text, maxJsonDepth)) return drop('nested too deeply');
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return drop('malformed JSON');
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return drop('not an object');
    }
    const fields = message as Record<string, unknown>;
    switch (fields.type) {
      case 'subscribe':
        return subscribe(client, fields, now);
      case 'unsubscribe': {
        const unwanted = topicList(fields.topics);
        if (!unwanted) return drop('bad unsubscribe');
        totals.messages += 1;
        for (const topic of unwanted) leave(client, topic);
        if (client.topics.size === 0) startIdleTimer(client);
        return;
      }
      case 'publish': {
        const topic = fields.topic;
        if (typeof topic !== 'string' || topic.length === 0 || topic.length > maxTopicLength) {
          return drop('bad publish');
        }
        // Only a subscriber, who proved it holds the topic's key, may publish on it.
        if (!client.topics.has(topic)) return drop('publish to a topic not joined');
        totals.messages += 1;
        const receivers = topics.get(topic);
        if (!receivers) return;
        const seconds = (now - client.relayAt) / 1000;
        client.relayTokens = Math.min(
          maxRelayBytesPerSecond,
          client.relayTokens + seconds * maxRelayBytesPerSecond,
        );
        client.relayAt = now;
        const cost = (bytes.length + 16) * receivers.size;
        if (cost > client.relayTokens) return drop('relay budget');
        client.relayTokens -= cost;
        // The text as it came (a JSON object, so its last '}' closes it) with the count added: never
        // re-serialised, and one Buffer for all receivers. A "clients" field sent along is
        // overridden, as JSON.parse keeps the last of duplicate keys.
        const end = text.lastIndexOf('}');
        const frame = Buffer.from(`${text.slice(0, end)},"clients":${receivers.size}}`);
        for (const receiver of receivers) send(receiver, frame);
        return;
      }
      case 'ping':
        totals.messages += 1;
        send(client, PONG);
        return;
      default:
        return drop('unknown type');
    }
  };

  const onConnection = (socket: WebSocket): void => {
    const client: Client = {
      socket,
      nonce: newNonce(),
      topics: new Set(),
      proofTokens: maxProofsPerMinute,
      proofAt: Date.now(),
      refused: false,
      alive: true,
      windowStart: 0,
      windowCount: 0,
      windowBytes: 0,
      resumeTimer: null,
      relayTokens: maxRelayBytesPerSecond,
      relayAt: Date.now(),
      idleTimer: null,
    };
    clients.add(client);
    log(`client connected; ${clients.size} connected`);
    startIdleTimer(client);
    send(client, Buffer.from(JSON.stringify({ type: 'challenge', nonce: client.nonce })));
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('message', (data) => guard('message', () => onMessage(client, data)));
    // ws reports protocol violations (oversize frames, bad UTF-8) here and then closes the socket.
    // Without a listener the error would be thrown and stop the whole process.
    socket.on('error', (error: Error & { code?: string }) => {
      event(`connection errors (${String(error.code ?? 'unknown').slice(0, 40)}); closing them`);
    });
    socket.on('close', () =>
      guard('close', () => {
        stopIdleTimer(client);
        if (client.resumeTimer) clearTimeout(client.resumeTimer);
        for (const topic of [...client.topics]) leave(client, topic);
        clients.delete(client);
        log(`client disconnected; ${clients.size} connected`);
      }),
    );
  };

  const heartbeat = setInterval(
    () =>
      guard('heartbeat', () => {
        for (const client of clients) {
          if (!client.alive) {
            event('disconnected clients that missed a ping');
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
      }),
    pingIntervalMs,
  );
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
  // Also accept() failures such as EMFILE when the process runs out of file descriptors.
  httpServer.on('error', (error: Error & { code?: string }) => {
    event(`server errors (${String(error.code ?? 'unknown').slice(0, 40)})`);
  });

  const boundAddress = httpServer.address() as AddressInfo;
  const boundPort = boundAddress.port;
  log(`listening on ${formatHost(host)}:${boundPort}`);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      clearInterval(heartbeat);
      for (const client of clients) {
        stopIdleTimer(client);
        client.socket.terminate();
      }
      for (const socket of [...counted.keys(), ...refusing]) socket.destroy();
      wss.close();
      httpServer.close(() => {
        if (eventTimer) clearTimeout(eventTimer);
        flushEvents();
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
    stats: () => {
      let queuedBytes = 0;
      for (const client of clients) queuedBytes += client.socket.bufferedAmount;
      return {
        connections: clients.size,
        topics: topics.size,
        messages: totals.messages,
        sockets: counted.size,
        handshaking: counted.size - clients.size,
        queuedBytes,
        refused: totals.refused,
        rateLimited: totals.rateLimited,
        trackedAddresses: connectionRate.size,
        handshakeTimeouts: totals.handshakeTimeouts,
        subscribeTimeouts: totals.subscribeTimeouts,
        slowReaders: totals.slowReaders,
        dropped: totals.dropped,
        proofFailures: totals.proofFailures,
      };
    },
    address: () => ({ ...boundAddress }),
  };
}

/**
 * Whether `text` nests arrays and objects deeper than `limit` (counted on the raw text, outside
 * strings, so before anything is parsed). Exact for valid JSON; invalid JSON fails to parse anyway.
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * The key a remote address is counted under: the IPv4 address (also when IPv4-mapped), or the /64
 * of an IPv6 address, since one IPv6 host usually holds a whole /64.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const bare = (address.split('%')[0] ?? '').toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped) return mapped[1] ?? bare;
  if (!bare.includes(':')) return bare;
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  const prefix = groups.slice(0, 4).map((group) => (Number.parseInt(group, 16) || 0).toString(16));
  return `${prefix.join(':')}::/64`;
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
