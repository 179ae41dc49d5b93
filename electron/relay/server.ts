/**
 * The relay: stores and forwards what devices of a network upload, without being able to read any of it
 * (docs/relay.md). One WebSocket per client, JSON text frames (shared/sync/relay.ts):
 *
 *   relay  → { type: 'challenge', nonce }       256 random bits for this connection
 *   client → { type: 'hello', read, anchor, proof, anchorKey? }
 *                                                proof: the read key's signature over the challenge. A
 *                                                hello that does not verify closes the connection (1008)
 *   relay  → { type: 'welcome', mailbox, anchorKey, heads, members, limits }
 *   client → { type: 'members', id, statements } admins' signed membership statements
 *   client → { type: 'upload', id, key, seq, blob, sig }  → ack | refused
 *   client → { type: 'fetch', id, cursor }      → blobs (one page; `more` says ask again)
 *   relay  → { type: 'new', device, seq }       another connection of the mailbox stored a blob
 *   client → { type: 'checkpoint-put', id, key, ck, part, parts, blob, sig }  → checkpoint-ack | refused
 *   client → { type: 'checkpoint-list', id }    → checkpoints (complete ones, newest first)
 *   client → { type: 'checkpoint-get', id, device, ck, part }  → checkpoint-part | refused (not-found)
 *
 * WebSocket rather than HTTP: a challenge per connection like the sync server's, no CORS for the app's
 * page, the same hardening as the sync server, and a push when something new arrives.
 *
 * Hardening, as the sync server (electron/signaling/server.ts), with the same helpers: connections in
 * all and per address (IPv6 by /64), a handshake deadline, a hello deadline, frame size (ws maxPayload),
 * messages and bytes per second per connection (over either, the socket is not read until the second
 * is over), JSON depth checked before parsing, ping/pong liveness, an idle deadline, what waits to be written
 * per connection and in all (a reader that falls behind is cut off, never buffered for). Requests of one
 * connection are handled one at a time, and a connection with too many waiting is paused. Those limits
 * protect this process and are its own. Per device: uploads and bytes per minute (a token bucket). Per
 * mailbox: a storage quota, members. Those are kept in the store, so that several relay processes on
 * one PostgreSQL (`database`) enforce them as one, and the 'new' push reaches a mailbox's connections
 * on every process (LISTEN/NOTIFY): the processes hold nothing another needs.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  clientMessageSchema,
  readProofMessage,
  RELAY_PROTOCOL,
  type ClientMessage,
  type ServerMessage,
} from '../../shared/sync/relay';
import { addressKey, nestedDeeperThan } from '../signaling/server';
import { NEW_BLOB_CHANNEL, openPglite, type Db } from './db';
import { openPostgres } from './postgres';
import { RelayStore, verifyEd25519, type Mailbox, type NewBlobNotice } from './store';

export const RELAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 4455,
  maxBlobBytes: 8 * 1024 * 1024,
  quotaBytes: 1024 * 1024 * 1024,
  maxMembersPerMailbox: 1000,
  pageBytes: 1024 * 1024,
  maxApplicantBlobs: 4,
  maxApplicantBlobBytes: 256 * 1024,
  maxApplicantBytes: 16 * 1024 * 1024,
  maxConnections: 512,
  maxConnectionsPerAddress: 32,
  maxMessagesPerSecond: 100,
  maxBytesPerSecond: 16 * 1024 * 1024,
  uploadsPerMinute: 120,
  uploadBytesPerMinute: 64 * 1024 * 1024,
  pingIntervalMs: 30_000,
  handshakeTimeoutMs: 5_000,
  helloTimeoutMs: 10_000,
  idleTimeoutMs: 10 * 60_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxTotalBufferedBytes: 128 * 1024 * 1024,
  maxQueuedRequests: 8,
  maxJsonDepth: 8,
} as const;

type LimitName = Exclude<keyof typeof RELAY_DEFAULTS, 'host'>;

export type RelayOptions = Partial<Record<LimitName, number>> & {
  host?: string;
  /**
   * Where the store is: PGlite's files in `dataDir`, or a PostgreSQL server (`database`, a postgres://
   * connection string; several relays may share it), or `db`, opened by the caller (who closes it).
   */
  dataDir?: string;
  database?: string;
  db?: Db;
  /** One line per event, counts only: never keys, mailboxes, payloads or addresses. */
  log?: (line: string) => void;
  now?: () => number;
};

export interface RelayStats {
  connections: number;
  uploads: number;
  /** Checkpoint parts stored (not counting those acknowledged again: `duplicates` counts both kinds). */
  checkpointParts: number;
  duplicates: number;
  refused: number;
  fetches: number;
  /** Checkpoint parts served. */
  checkpointReads: number;
  slowReaders: number;
  /** 'new' pushes not sent to a reader that had something still queued. */
  pushesSkipped: number;
  proofFailures: number;
}

export interface RelayServer {
  url: string;
  port: number;
  store: RelayStore;
  stats(): RelayStats;
  address(): AddressInfo;
  close(): Promise<void>;
}

export const RELAY_HEALTH_TEXT = 'Larder relay';

interface Client {
  socket: WebSocket;
  /** This process's id and a number: names the connection in NOTIFY payloads. */
  id: string;
  nonce: string;
  mailbox: Mailbox | null;
  helloSeen: boolean;
  alive: boolean;
  windowStart: number;
  windowCount: number;
  windowBytes: number;
  resumeTimer: NodeJS.Timeout | null;
  helloTimer: NodeJS.Timeout | null;
  idleTimer: NodeJS.Timeout | null;
  queue: Promise<void>;
  queued: number;
}

export async function startRelay(options: RelayOptions = {}): Promise<RelayServer> {
  const limit = (key: LimitName): number => {
    const value = options[key] ?? RELAY_DEFAULTS[key];
    if (typeof value !== 'number' || !(value >= 0) || (key !== 'port' && value === 0))
      throw new Error(`Relay: ${key} must be a positive number, got ${String(value)}`);
    return value;
  };
  const host: string = options.host ?? RELAY_DEFAULTS.host;
  const port = limit('port');
  const now = options.now ?? Date.now;
  const log = (line: string) => {
    try {
      options.log?.(line);
    } catch {
      // a failing logger never takes the relay down
    }
  };
  if (!options.db && !options.dataDir && !options.database)
    throw new Error('Relay: a data directory or a database is required');
  if (options.dataDir && options.database)
    throw new Error('Relay: a data directory (PGlite) or a database (PostgreSQL), not both');
  const db =
    options.db ??
    (options.database ? await openPostgres(options.database, { log }) : await openPglite(options.dataDir!));
  const store = new RelayStore(db, {
    maxBlobBytes: limit('maxBlobBytes'),
    quotaBytes: limit('quotaBytes'),
    maxMembersPerMailbox: limit('maxMembersPerMailbox'),
    pageBytes: limit('pageBytes'),
    maxApplicantBlobs: limit('maxApplicantBlobs'),
    maxApplicantBlobBytes: limit('maxApplicantBlobBytes'),
    maxApplicantBytes: limit('maxApplicantBytes'),
    uploadsPerMinute: limit('uploadsPerMinute'),
    uploadBytesPerMinute: limit('uploadBytesPerMinute'),
  });
  const instance = crypto.randomBytes(9).toString('base64url');
  let connectionCount = 0;
  const maxBlobChars = Math.ceil((limit('maxBlobBytes') * 4) / 3);
  const maxPayload = maxBlobChars + 4096;
  // At least one largest frame per second.
  const maxBytesPerSecond = Math.max(limit('maxBytesPerSecond'), maxPayload);
  const totals = {
    uploads: 0,
    checkpointParts: 0,
    duplicates: 0,
    refused: 0,
    fetches: 0,
    checkpointReads: 0,
    slowReaders: 0,
    pushesSkipped: 0,
    proofFailures: 0,
  };
  const clients = new Set<Client>();
  const counted = new Map<Duplex, { address: string; timer: NodeJS.Timeout | null }>();
  const perAddress = new Map<string, number>();
  /** Per mailbox, its authenticated connections (for the 'new' push). */
  const listeners = new Map<string, Set<Client>>();

  const httpServer = http.createServer((request, response) => {
    response.writeHead(request.method === 'GET' || request.method === 'HEAD' ? 200 : 405, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(RELAY_HEALTH_TEXT);
  });
  httpServer.headersTimeout = 10_000;
  httpServer.requestTimeout = 15_000;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });

  httpServer.on('connection', (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    const address = addressKey(socket.remoteAddress);
    const from = perAddress.get(address) ?? 0;
    if (counted.size >= limit('maxConnections') || from >= limit('maxConnectionsPerAddress')) {
      log('refused a connection: connection limit');
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const entry = {
      address,
      timer: setTimeout(() => socket.destroy(), limit('handshakeTimeoutMs')) as NodeJS.Timeout | null,
    };
    entry.timer?.unref();
    counted.set(socket, entry);
    perAddress.set(address, from + 1);
    socket.once('close', () => {
      if (entry.timer) clearTimeout(entry.timer);
      counted.delete(socket);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });

  httpServer.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const entry = counted.get(socket);
    if (!entry) return socket.destroy();
    wss.handleUpgrade(request, socket, head, (ws) => {
      if (entry.timer) clearTimeout(entry.timer);
      entry.timer = null;
      onConnection(ws);
    });
  });

  let queuedEstimate = 0;
  let queuedAt = -Infinity;
  const queuedTotal = () => {
    if (performance.now() - queuedAt >= 50) {
      queuedEstimate = 0;
      for (const c of clients) queuedEstimate += c.socket.bufferedAmount;
      queuedAt = performance.now();
    }
    return queuedEstimate;
  };

  const send = (client: Client, message: ServerMessage): void => {
    const socket = client.socket;
    if (socket.readyState !== socket.OPEN) return;
    const frame = Buffer.from(JSON.stringify(message));
    const queued = socket.bufferedAmount;
    // One frame is always let through to a reader that has taken everything before it (a page or a blob
    // is bounded by pageBytes and maxBlobBytes); a reader that has not is given no more than the limits.
    if (
      queued > 0 &&
      (queued + frame.length > limit('maxBufferedBytes') ||
        queuedTotal() + frame.length > limit('maxTotalBufferedBytes'))
    ) {
      totals.slowReaders += 1;
      log('disconnected a slow reader');
      socket.terminate();
      return;
    }
    queuedEstimate += frame.length;
    socket.send(frame, { binary: false });
  };

  const touch = (client: Client) => {
    if (client.idleTimer) clearTimeout(client.idleTimer);
    client.idleTimer = setTimeout(() => {
      log('closed an idle connection');
      client.socket.terminate();
    }, limit('idleTimeoutMs'));
    client.idleTimer.unref();
  };

  /** A blob was stored, by this process or another: every other connection of its mailbox here is told. */
  const onNewBlob = (payload: string) => {
    let notice: NewBlobNotice;
    try {
      notice = JSON.parse(payload) as NewBlobNotice;
    } catch {
      return log('ignored a malformed notification');
    }
    const set = listeners.get(notice.mailbox);
    if (!set) return;
    for (const other of set) {
      if (other.id === notice.origin) continue;
      // A hint, not data (a client fetches from its cursor anyway): not sent to a reader that has not taken
      // what it asked for yet (a checkpoint's part of 8 MB takes seconds on a slow link), which the frame
      // would put past its limit, cutting it off in the middle of a download it is reading.
      if (other.socket.bufferedAmount > 0) {
        totals.pushesSkipped += 1;
        continue;
      }
      send(other, { type: 'new', device: notice.device, seq: notice.seq });
    }
  };
  const unlisten = await db.listen(NEW_BLOB_CHANNEL, onNewBlob);

  const welcome = async (client: Client, box: Mailbox | null) => {
    client.mailbox = box;
    if (box) {
      let set = listeners.get(box.id);
      if (!set) listeners.set(box.id, (set = new Set()));
      set.add(client);
    }
    send(client, {
      type: 'welcome',
      mailbox: box?.id ?? null,
      anchorKey: box?.anchorKey ?? null,
      heads: box ? await store.heads(box.id) : {},
      members: box ? await store.members(box.id) : [],
      limits: {
        maxBlobBytes: limit('maxBlobBytes'),
        quotaBytes: limit('quotaBytes'),
        usedBytes: box ? await store.usedBytes(box.id) : 0,
      },
    });
  };

  const refuseHello = (client: Client, reason: string) => {
    totals.proofFailures += 1;
    log(`closed a connection that failed the challenge (${reason})`);
    client.socket.close(1008, 'proof of the read key required');
    setTimeout(() => client.socket.terminate(), 1000).unref();
  };

  /** A blob or a checkpoint's part larger than the relay takes, refused before it is decoded. */
  const refuseTooLarge = (client: Client, id: number, what: string) => {
    totals.refused += 1;
    send(client, {
      type: 'refused',
      id,
      code: 'too-large',
      message: `${what} may hold at most ${limit('maxBlobBytes')} bytes`,
    });
  };

  const handle = async (client: Client, message: ClientMessage): Promise<void> => {
    if (message.type === 'ping') return send(client, { type: 'pong' });
    if (message.type === 'hello') {
      if (client.helloSeen) return refuseHello(client, 'a second hello');
      client.helloSeen = true;
      if (client.helloTimer) clearTimeout(client.helloTimer);
      if (
        !verifyEd25519(
          message.read,
          readProofMessage(client.nonce, message.read, message.anchor),
          message.proof,
        )
      )
        return refuseHello(client, 'a proof that does not verify');
      let box = await store.findMailbox(message.read, message.anchor);
      if (!box && message.anchorKey) {
        box = await store.openMailbox(message.read, message.anchor, message.anchorKey, now());
        if (!box) return refuseHello(client, 'an anchor key that is not the anchor');
      }
      return welcome(client, box);
    }
    const box = client.mailbox;
    if (!box)
      return send(client, {
        type: 'refused',
        id: message.id,
        code: 'no-mailbox',
        message: 'No mailbox: the relay holds nothing for this network yet',
      });
    if (message.type === 'members') {
      const result = await store.applyStatements(box, message.statements);
      if (result.refused.length > 0) log(`refused ${result.refused.length} membership statements`);
      return send(client, { type: 'members-ok', id: message.id, ...result });
    }
    if (message.type === 'upload') {
      if (message.blob.length > maxBlobChars) return refuseTooLarge(client, message.id, 'A blob');
      const blob = new Uint8Array(Buffer.from(message.blob, 'base64url'));
      const result = await store.upload(
        box,
        { key: message.key, seq: message.seq, blob, sig: message.sig },
        now(),
        client.id,
      );
      if (!result.ok) {
        totals.refused += 1;
        return send(client, { type: 'refused', id: message.id, code: result.code, message: result.message });
      }
      if (result.duplicate) totals.duplicates += 1;
      else totals.uploads += 1;
      // The other connections of the mailbox, here and on other processes, hear of it by NOTIFY.
      return send(client, { type: 'ack', id: message.id, seq: message.seq, duplicate: result.duplicate });
    }
    if (message.type === 'fetch') {
      totals.fetches += 1;
      const page = await store.fetch(box.id, message.cursor);
      return send(client, { type: 'blobs', id: message.id, ...page });
    }
    if (message.type === 'checkpoint-put') {
      if (message.blob.length > maxBlobChars) return refuseTooLarge(client, message.id, 'A checkpoint part');
      const blob = new Uint8Array(Buffer.from(message.blob, 'base64url'));
      const { key, ck, part, parts, sig } = message;
      const result = await store.putCheckpointPart(box, { key, ck, part, parts, blob, sig }, now());
      if (!result.ok) {
        totals.refused += 1;
        return send(client, { type: 'refused', id: message.id, code: result.code, message: result.message });
      }
      if (result.duplicate) totals.duplicates += 1;
      else totals.checkpointParts += 1;
      return send(client, {
        type: 'checkpoint-ack',
        id: message.id,
        ck,
        part,
        duplicate: result.duplicate,
        complete: result.complete,
      });
    }
    if (message.type === 'checkpoint-list') {
      const checkpoints = await store.listCheckpoints(box.id);
      return send(client, { type: 'checkpoints', id: message.id, checkpoints });
    }
    if (message.type === 'checkpoint-get') {
      const found = await store.getCheckpointPart(box.id, message.device, message.ck, message.part);
      if (!found)
        return send(client, {
          type: 'refused',
          id: message.id,
          code: 'not-found',
          message: 'The relay holds no such checkpoint part',
        });
      totals.checkpointReads += 1;
      // One part, at most maxBlobBytes: a frame as large as a page of one largest blob (see send).
      return send(client, {
        type: 'checkpoint-part',
        id: message.id,
        device: message.device,
        key: found.key,
        ck: message.ck,
        part: message.part,
        parts: found.parts,
        blob: Buffer.from(found.body).toString('base64url'),
        sig: found.sig,
      });
    }
    const unhandled: never = message;
    throw new Error(`unhandled request ${String((unhandled as { type: unknown }).type)}`);
  };

  const onMessage = (client: Client, data: RawData): void => {
    const t = Date.now();
    if (t - client.windowStart >= 1000) {
      client.windowStart = t;
      client.windowCount = 0;
      client.windowBytes = 0;
    }
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    client.windowCount += 1;
    client.windowBytes += bytes.length;
    if (client.windowCount > limit('maxMessagesPerSecond') || client.windowBytes > maxBytesPerSecond) {
      if (!client.resumeTimer) {
        client.socket.pause();
        client.resumeTimer = setTimeout(
          () => {
            client.resumeTimer = null;
            if (client.queued <= limit('maxQueuedRequests')) client.socket.resume();
          },
          Math.max(1, client.windowStart + 1000 - Date.now()),
        );
        client.resumeTimer.unref();
      }
      // This message is still handled (an honest client's request is never lost); the socket is not read
      // again until the second is over, so TCP pushes back on the sender.
      log('paused a connection (rate limit)');
    }
    touch(client);
    const text = bytes.toString('utf8');
    if (nestedDeeperThan(text, limit('maxJsonDepth'))) return log('dropped messages (nested too deeply)');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return log('dropped messages (malformed JSON)');
    }
    const parsed = clientMessageSchema.safeParse(json);
    if (!parsed.success) {
      const id = (json as { id?: unknown } | null)?.id;
      if (typeof id === 'number' && Number.isInteger(id))
        send(client, { type: 'refused', id, code: 'malformed', message: 'A malformed request' });
      if ((json as { type?: unknown } | null)?.type === 'hello') refuseHello(client, 'a malformed hello');
      return log('dropped messages (malformed)');
    }
    if (parsed.data.type !== 'hello' && parsed.data.type !== 'ping' && !client.helloSeen)
      return refuseHello(client, 'a request before the hello');
    client.queued += 1;
    if (client.queued > limit('maxQueuedRequests')) client.socket.pause();
    const message = parsed.data;
    client.queue = client.queue
      .then(() => handle(client, message))
      .catch((error: unknown) => {
        log(`unexpected ${error instanceof Error ? error.name : typeof error} handling a request`);
        if ('id' in message)
          send(client, {
            type: 'refused',
            id: message.id,
            code: 'busy',
            message: 'The relay could not do this now',
          });
      })
      .finally(() => {
        client.queued -= 1;
        if (client.queued <= limit('maxQueuedRequests') && !client.resumeTimer) client.socket.resume();
      });
  };

  const onConnection = (socket: WebSocket): void => {
    const client: Client = {
      socket,
      id: `${instance}:${(connectionCount += 1)}`,
      nonce: crypto.randomBytes(32).toString('base64url'),
      mailbox: null,
      helloSeen: false,
      alive: true,
      windowStart: 0,
      windowCount: 0,
      windowBytes: 0,
      resumeTimer: null,
      helloTimer: null,
      idleTimer: null,
      queue: Promise.resolve(),
      queued: 0,
    };
    clients.add(client);
    client.helloTimer = setTimeout(() => {
      if (!client.helloSeen) refuseHello(client, 'no hello in time');
    }, limit('helloTimeoutMs'));
    client.helloTimer.unref();
    touch(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data) => onMessage(client, data));
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clients.delete(client);
      for (const timer of [client.resumeTimer, client.helloTimer, client.idleTimer])
        if (timer) clearTimeout(timer);
      if (client.mailbox) {
        const set = listeners.get(client.mailbox.id);
        set?.delete(client);
        if (set?.size === 0) listeners.delete(client.mailbox.id);
      }
    });
    send(client, { type: 'challenge', nonce: client.nonce, protocol: RELAY_PROTOCOL });
  };

  const pinger = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }, limit('pingIntervalMs'));
  pinger.unref();
  const pruner = setInterval(() => {
    store.pruneBudgets(now()).catch(() => log('could not prune upload budgets'));
  }, 60_000);
  pruner.unref();

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    clearInterval(pinger);
    clearInterval(pruner);
    await unlisten();
    if (!options.db) await db.close();
    throw error;
  });
  const bound = httpServer.address() as AddressInfo;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `ws://${shown}:${bound.port}`,
    port: bound.port,
    store,
    address: () => bound,
    stats: () => ({ connections: clients.size, ...totals }),
    close: async () => {
      clearInterval(pinger);
      clearInterval(pruner);
      const running = [...clients].map((c) => c.queue);
      for (const client of clients) client.socket.terminate();
      for (const socket of counted.keys()) socket.destroy();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      // Requests already running finish before the store closes.
      await Promise.allSettled(running);
      await unlisten();
      if (!options.db) await db.close();
    },
  };
}
