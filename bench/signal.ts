import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { SIGNALING_DEFAULTS, startSignalingServer } from '../electron/signaling/server';
import type { SignalingServerOptions, SignalingServerStats } from '../electron/signaling/server';
import { proofMessage, proveTopic, topicKeyFor, utcDay } from '../shared/sync/roomAuth';
import type { TopicKey } from '../shared/sync/roomAuth';
import { median, quantile } from './stats';

/**
 * `npm run bench:signal`: Larder's signaling server (electron/signaling/server.ts) under the attacks of
 * issue 8, each with 1,000 attacking connections, while two honest peers exchange a message every
 * 200 ms and a fresh honest peer connects every second. Honest peers prove their topic's key as Larder's
 * clients do (docs/signaling.md); attackers who need a subscription prove a topic of their own (any key
 * pair proves its own topic), and the proof flood tries the honest topic without its key. Loopback only: everything connects to
 * 127.0.0.1. The server runs in a child process (a fresh one per attack) so its resident memory can be
 * read from /proc/<pid>/status; the honest peers run in another child so the attackers' work in this
 * process does not delay them. Prints a table and writes docs/benchmarks-signal.md; measures and
 * reports, never fails on a figure. About two minutes (at most four).
 *
 *   npm run bench:signal
 *   npm run bench:signal -- --connections 200 --no-write
 */
const HOST = '127.0.0.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// report.ts loads prettier: the server child must not carry that in the memory it reports, so
// report.ts is imported by the orchestrator alone (main) and these few helpers are local.
function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice(args[i]!.indexOf('=') + 1) : args[i + 1];
}
const flag = (name: string) => process.argv.slice(2).includes(`--${name}`);
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : 'n/a');

/** Attacking connections per attack. */
const CONNECTIONS = Number(option('connections') ?? 1_000);
/**
 * Every client here comes from 127.0.0.1, so the default of 32 connections per address would refuse
 * the attack at its 33rd connection (which is the defence against one attacking address). To measure
 * the server holding all of them, its child gets limits that let them all in; the other limits, and
 * every timeout, are the defaults.
 */
const LIMITS: SignalingServerOptions = {
  maxConnections: CONNECTIONS + 100,
  maxConnectionsPerAddress: CONNECTIONS + 100,
  // ... and as many new connections as that at once (the rate limit per address would refuse them too).
  connectionBurstPerAddress: 2 * CONNECTIONS + 100,
};
/**
 * The connection-churn attack comes from another loopback address than the honest peers (Linux routes
 * all of 127/8 to lo), and its server runs with the default rate limit per address: that is what it
 * measures.
 */
const CHURN_ADDRESS = '127.0.0.2';
const CHURN_LIMITS: SignalingServerOptions = {
  maxConnections: CONNECTIONS + 100,
  maxConnectionsPerAddress: CONNECTIONS + 100,
};
const HONEST_INTERVAL_MS = 200;
const FRESH_INTERVAL_MS = 1_000;
const RSS_TARGET_MB = 200;
const RTT_P95_TARGET_MS = 50;
/** The slow-reader publisher pauses while the machine's TCP buffers hold more than this (see below). */
const KERNEL_TCP_BUDGET_BYTES = 512 * 1024 * 1024;
/** The whole bench is stopped if it ever runs this long. */
const HARD_LIMIT_MS = 240_000;

type ServerStats = SignalingServerStats;

interface HonestResult {
  rtts: number[];
  /** Wall-clock time (Date.now()) of each round trip's end. */
  rttAt: number[];
  sent: number;
  lost: number;
  peerDrops: number;
  fresh: { attempted: number; accepted: number; connectMs: number[] };
}

interface AttackOutcome {
  attempts: number;
  opened: number;
  /** A line about what the attack did, for the details. */
  note: string;
}

interface Attack {
  key: string;
  name: string;
  seconds: number;
  /** The server's limits for this attack, when not LIMITS. */
  limits?: SignalingServerOptions;
  /** `honestTopic`: the topic the honest peers meet on (as a server, or a log of it, would show it). */
  run(url: string, until: Promise<void>, honestTopic: string): Promise<AttackOutcome>;
}

/** When the running attack had all its connections open (Date.now()); set by each attack. */
let attackOpenAt = 0;
/** Started by markOpen: the attack's seconds count from then. */
let onAllOpen = () => {};
const markOpen = () => {
  attackOpenAt = Date.now();
  onAllOpen();
};

interface Measured {
  attack: Attack;
  /** Round trips that ended once the attack's connections were all open. */
  steadyRtts: number[];
  crashed: boolean;
  peakRssMb: number;
  /** Seconds of CPU (user + system) the server used while the attack ran. */
  serverCpuS: number;
  endRssMb: number;
  kernelTcpPeakMb: number;
  honest: HonestResult;
  stats: ServerStats | null;
  outcome: AttackOutcome;
  seconds: number;
}

const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** Today's topic key of a new random network. */
const newTopicKey = (): TopicKey => topicKeyFor(randomBytes(32), utcDay(Date.now()));

/**
 * Subscribes to these topics with a proof of each key for the connection's challenge. Honest peers sign
 * as Larder's clients do (@noble, about 1–2 ms); `fast` signs with Node's Ed25519 instead (the same
 * signature, a tenth of the time), so that opening a thousand attacking connections stays within the
 * attack's seconds and it is the server, not the attacker's signing, that is measured.
 */
function subscribeProven(socket: WebSocket, nonce: string, keys: TopicKey[], fast = false): void {
  socket.send(
    JSON.stringify({
      type: 'subscribe',
      topics: keys.map((key) => key.topic),
      proofs: keys.map((key) => (fast ? fastProof(key, nonce) : proveTopic(key, nonce))),
    }),
  );
}

/** PKCS #8 for an Ed25519 seed: a fixed 16-byte header, then the 32 bytes. */
const ED25519_PKCS8_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');
const nodeKeys = new Map<string, ReturnType<typeof createPrivateKey>>();
function fastProof(key: TopicKey, nonce: string): string {
  let privateKey = nodeKeys.get(key.topic);
  if (!privateKey) {
    privateKey = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_HEADER, key.seed]),
      format: 'der',
      type: 'pkcs8',
    });
    nodeKeys.set(key.topic, privateKey);
  }
  return sign(null, proofMessage(nonce, key.topic), privateKey).toString('base64url');
}

// ---------------------------------------------------------------------------------------------------
// Child: the server

async function serverRole(): Promise<void> {
  const limits = JSON.parse(option('limits') ?? '{}') as SignalingServerOptions;
  const server = await startSignalingServer({ ...limits, host: HOST, port: 0 });
  const send = (message: unknown) => process.send?.(message);
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stats') send({ type: 'stats', stats: server.stats() });
    if (message.type === 'stop') void server.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: server.port });
}

// ---------------------------------------------------------------------------------------------------
// Child: the honest peers

function openSocket(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('timeout'));
    }, timeoutMs);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    });
  });
}

/** Opens a socket and waits for the server's challenge, which comes first. */
function openChallenged(
  url: string,
  timeoutMs: number,
  localAddress?: string,
): Promise<{ socket: WebSocket; nonce: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, localAddress ? { localAddress } : {});
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.terminate();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error('timeout')), timeoutMs);
    socket.once('message', (raw) => {
      const message = JSON.parse(String(raw)) as { type?: string; nonce?: unknown };
      if (message.type !== 'challenge' || typeof message.nonce !== 'string')
        return fail(new Error('no challenge'));
      clearTimeout(timer);
      resolve({ socket, nonce: message.nonce });
    });
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('closed')));
  });
}

async function honestRole(): Promise<void> {
  const url = option('url') ?? '';
  const network = newTopicKey();
  const topic = network.topic;
  const result: HonestResult = {
    rtts: [],
    rttAt: [],
    sent: 0,
    lost: 0,
    peerDrops: 0,
    fresh: { attempted: 0, accepted: 0, connectMs: [] },
  };
  const pending = new Map<number, number>();
  let stopping = false;
  const peers: { a: WebSocket | null; b: WebSocket | null } = { a: null, b: null };

  const publish = (socket: WebSocket, data: unknown) =>
    socket.send(JSON.stringify({ type: 'publish', topic, data }));

  const connectPeer = async (name: 'a' | 'b'): Promise<void> => {
    while (!stopping) {
      try {
        const { socket, nonce } = await openChallenged(url, 5_000);
        subscribeProven(socket, nonce, [network]);
        socket.on('message', (raw) => {
          const message = JSON.parse(String(raw)) as {
            type?: string;
            data?: { from?: string; seq?: number };
          };
          if (message.type !== 'publish' || typeof message.data?.seq !== 'number') return;
          if (name === 'b' && message.data.from === 'a')
            publish(socket, { from: 'b', seq: message.data.seq });
          if (name === 'a' && message.data.from === 'b') {
            const sentAt = pending.get(message.data.seq);
            if (sentAt === undefined) return;
            pending.delete(message.data.seq);
            result.rtts.push(performance.now() - sentAt);
            result.rttAt.push(Date.now());
          }
        });
        socket.once('close', () => {
          peers[name] = null;
          if (stopping) return;
          result.peerDrops += 1;
          void connectPeer(name);
        });
        peers[name] = socket;
        return;
      } catch {
        result.peerDrops += 1;
        await sleep(200);
      }
    }
  };

  let measuring = false;
  const fresh = async (): Promise<void> => {
    const counted = measuring; // one started during the warm-up is not counted
    if (counted) result.fresh.attempted += 1;
    const started = performance.now();
    try {
      const { socket, nonce } = await openChallenged(url, 5_000);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no pong')), 5_000);
        socket.on('message', (raw) => {
          if ((JSON.parse(String(raw)) as { type?: string }).type !== 'pong') return;
          clearTimeout(timer);
          resolve();
        });
        socket.once('close', () => reject(new Error('closed')));
        subscribeProven(socket, nonce, [newTopicKey()]); // a network of its own
        socket.send(JSON.stringify({ type: 'ping' }));
      }).finally(() => socket.terminate());
      if (!counted) return;
      result.fresh.accepted += 1;
      result.fresh.connectMs.push(performance.now() - started);
    } catch {
      // Counted as attempted, not accepted.
    }
  };

  await Promise.all([connectPeer('a'), connectPeer('b')]);
  let seq = 0;
  const exchange = setInterval(() => {
    if (!peers.a || !peers.b) return;
    seq += 1;
    pending.set(seq, performance.now());
    result.sent += 1;
    publish(peers.a, { from: 'a', seq });
  }, HONEST_INTERVAL_MS);
  const inFlight: Promise<void>[] = [];
  const freshTimer = setInterval(() => inFlight.push(fresh()), FRESH_INTERVAL_MS);
  // A second of warm-up (JIT, connection set-up) is not counted.
  await sleep(1_000);
  result.rtts.length = 0;
  result.rttAt.length = 0;
  result.sent = 0;
  pending.clear();
  measuring = true;

  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'stop') return;
    stopping = true;
    clearInterval(exchange);
    clearInterval(freshTimer);
    void (async () => {
      await Promise.all(inFlight);
      await sleep(500); // the last round trip, if the server answers at all
      result.lost = pending.size;
      peers.a?.terminate();
      peers.b?.terminate();
      process.send?.({ type: 'result', result });
      process.exit(0);
    })();
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', topic });
}

// ---------------------------------------------------------------------------------------------------
// The attacks (run in this process)

/** Opens `count` connections, `batch` at a time. */
async function openMany<T>(count: number, open: () => Promise<T | null>, batch = 100): Promise<T[]> {
  const opened: T[] = [];
  for (let i = 0; i < count; i += batch) {
    const results = await Promise.all(Array.from({ length: Math.min(batch, count - i) }, open));
    for (const result of results) if (result !== null) opened.push(result);
  }
  return opened;
}

/** Waits for the pong to a ping: the server has handled everything sent before. */
function synced(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('message', onMessage);
      socket.off('close', done);
      resolve();
    };
    const onMessage = (raw: unknown) => {
      if ((JSON.parse(String(raw)) as { type?: string }).type === 'pong') done();
    };
    socket.on('message', onMessage);
    socket.on('close', done);
    socket.send(JSON.stringify({ type: 'ping' }));
  });
}

/** The attackers' own network: a subscription (which publishing needs) takes a proof of some topic's key. */
const ATTACKER_TOPIC = newTopicKey();
const DEEP_MESSAGE = `{"type":"publish","topic":"${ATTACKER_TOPIC.topic}","data":${'['.repeat(5000)}${']'.repeat(5000)}}`;

const deepNesting: Attack = {
  key: 'deep',
  name: 'Deep nesting',
  seconds: 6,
  async run(url, until) {
    let attempts = 0;
    let sent = 0;
    const sockets = await openMany(CONNECTIONS, async () => {
      attempts += 1;
      try {
        const { socket, nonce } = await openChallenged(url, 10_000);
        socket.on('error', () => {});
        subscribeProven(socket, nonce, [ATTACKER_TOPIC], true);
        return socket;
      } catch {
        return null;
      }
    });
    markOpen();
    // Every connection sends the 10 kB message that used to stop the process, once a second: a
    // twentieth of them every 50 ms.
    let tick = 0;
    const timer = setInterval(() => {
      tick = (tick + 1) % 20;
      for (let i = tick; i < sockets.length; i += 20) {
        const socket = sockets[i]!;
        if (socket.readyState !== socket.OPEN) continue;
        socket.send(DEEP_MESSAGE);
        sent += 1;
      }
    }, 50);
    await until;
    clearInterval(timer);
    for (const socket of sockets) socket.terminate();
    return {
      attempts,
      opened: sockets.length,
      note: `${sockets.length} connections subscribed to one topic, each sending the 10 kB message of 5,000 nested arrays once a second: ${sent.toLocaleString('en')} sent`,
    };
  },
};

/** Machine-wide TCP buffer memory (/proc/net/sockstat, pages). */
function kernelTcpBytes(): number {
  try {
    const match = /TCP:.*\bmem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'));
    return match ? Number(match[1]) * 4096 : 0;
  } catch {
    return 0;
  }
}

/** The largest frame the server accepts (with room for the JSON around the data). */
const FRAME_BYTES = SIGNALING_DEFAULTS.maxMessageBytes - 1024;
const SMALL_FRAME_BYTES = 4 * 1024;

const slowReaders: Attack = {
  key: 'slow',
  name: 'Slow readers',
  seconds: 6,
  async run(url, until) {
    let attempts = 0;
    const readers = await openMany(CONNECTIONS - 1, async () => {
      attempts += 1;
      try {
        const { socket, nonce } = await openChallenged(url, 10_000);
        socket.on('error', () => {});
        subscribeProven(socket, nonce, [ATTACKER_TOPIC], true);
        await synced(socket);
        socket.pause(); // never reads again: the kernel buffers fill, then the server's queue would
        return socket;
      } catch {
        return null;
      }
    });
    attempts += 1;
    const publisher = await openChallenged(url, 10_000)
      .then(({ socket, nonce }) => {
        subscribeProven(socket, nonce, [ATTACKER_TOPIC], true);
        return socket;
      })
      .catch(() => null);
    markOpen();
    let published = 0;
    let paused = 0;
    let running = true;
    void until.then(() => (running = false));
    // The largest frames the server accepts (63 kB) and 4 kB ones, as fast as the message rate
    // limit allows, waiting for each batch to be handled. While the machine's TCP buffers hold more
    // than the budget, the publisher waits: every stalled socket can hold ~4 MB in the kernel before
    // the server sees anything queued, and this machine is shared.
    const topic = ATTACKER_TOPIC.topic;
    const large = JSON.stringify({ type: 'publish', topic, data: 'x'.repeat(FRAME_BYTES) });
    const small = JSON.stringify({ type: 'publish', topic, data: 'x'.repeat(SMALL_FRAME_BYTES) });
    while (running && publisher && publisher.readyState === publisher.OPEN) {
      if (kernelTcpBytes() > KERNEL_TCP_BUDGET_BYTES) {
        paused += 1;
        await sleep(50);
        continue;
      }
      for (let i = 0; i < 10; i += 1) publisher.send(i % 2 === 0 ? large : small);
      published += 10;
      await Promise.race([synced(publisher), sleep(1_000)]);
      await sleep(50); // 10 frames per 50 ms and more: about the rate limit of 200 messages a second
    }
    publisher?.terminate();
    for (const socket of readers) socket.terminate();
    return {
      attempts,
      opened: readers.length + (publisher ? 1 : 0),
      note: `${readers.length} subscribers that stop reading after subscribing, and 1 publisher: ${published} frames (half ${Math.round(FRAME_BYTES / 1024)} kB, the largest accepted, half 4 kB) sent to their topic${paused ? `, publisher waited ${(paused * 50) / 1000} s for the kernel TCP budget` : ''}`,
    };
  },
};

const idleFlood: Attack = {
  key: 'idle',
  name: 'Idle flood',
  seconds: 11,
  async run(url, until) {
    let attempts = 0;
    let closedByServer = 0;
    let running = true;
    const open = new Set<WebSocket>();
    const keepOne = async (): Promise<WebSocket | null> => {
      attempts += 1;
      try {
        const socket = await openSocket(url, 10_000);
        open.add(socket);
        socket.on('error', () => {});
        socket.once('close', () => {
          open.delete(socket);
          if (!running) return;
          closedByServer += 1;
          void keepOne(); // the attacker comes straight back
        });
        return socket;
      } catch {
        if (running) setTimeout(() => void keepOne(), 100);
        return null;
      }
    };
    const first = await openMany(CONNECTIONS, keepOne);
    markOpen();
    await until;
    running = false;
    for (const socket of open) socket.terminate();
    return {
      attempts,
      opened: first.length,
      note: `${first.length} WebSocket connections that never subscribe, each reopened as soon as the server closes it: ${closedByServer} closed by the server, ${attempts.toLocaleString('en')} attempts in all`,
    };
  },
};

const handshakeFlood: Attack = {
  key: 'handshake',
  name: 'Handshake flood',
  seconds: 7,
  async run(url, until) {
    const port = Number(new URL(url).port);
    let attempts = 0;
    let opened = 0;
    let closedByServer = 0;
    let running = true;
    const sockets = new Set<net.Socket>();
    // Half send nothing at all; half send an upgrade request one header line a second (slowloris).
    const keepOne = (slowloris: boolean): Promise<void> =>
      new Promise((resolve) => {
        attempts += 1;
        const socket = net.connect({ host: HOST, port });
        sockets.add(socket);
        let drip: NodeJS.Timeout | null = null;
        socket.on('error', () => {});
        socket.resume();
        socket.once('connect', () => {
          opened += 1;
          resolve();
          if (!slowloris) return;
          socket.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: websocket\r\n`);
          let line = 0;
          drip = setInterval(() => socket.write(`X-Padding-${(line += 1)}: x\r\n`), 1_000);
        });
        socket.once('close', () => {
          resolve();
          if (drip) clearInterval(drip);
          sockets.delete(socket);
          if (!running) return;
          closedByServer += 1;
          setTimeout(() => void keepOne(slowloris), 10);
        });
      });
    let i = 0;
    await openMany(CONNECTIONS, async () => {
      await keepOne((i += 1) % 2 === 0);
      return null;
    });
    markOpen();
    await until;
    running = false;
    for (const socket of sockets) socket.destroy();
    return {
      attempts,
      opened,
      note: `${CONNECTIONS} TCP connections that never complete the WebSocket handshake (half silent, half sending one header line a second), each reopened when the server closes it: ${closedByServer} closed by the server`,
    };
  },
};

const proofFlood: Attack = {
  key: 'proof',
  name: 'Proof flood',
  seconds: 6,
  async run(url, until, honestTopic) {
    let attempts = 0;
    let closedByServer = 0;
    let heard = 0;
    let running = true;
    const open = new Set<WebSocket>();
    // Each connection asks for the honest peers' topic with a forged proof (a stranger's signature
    // over its challenge), is closed, and comes straight back: every attempt costs the server a
    // handshake and one Ed25519 verification. From an address of its own, as connection churn: from the
    // honest peers' address, the rate limit per address would refuse them too, which is what a limit per
    // address means for devices behind the same router as an attacker (docs/signaling.md).
    const from = CHURN_ADDRESS;
    const stranger = newTopicKey();
    const keepOne = async (): Promise<WebSocket | null> => {
      attempts += 1;
      try {
        const { socket, nonce } = await openChallenged(url, 10_000, from);
        open.add(socket);
        socket.on('error', () => {});
        socket.on('message', (raw) => {
          if ((JSON.parse(String(raw)) as { type?: string }).type === 'publish') heard += 1;
        });
        socket.once('close', () => {
          open.delete(socket);
          if (!running) return;
          closedByServer += 1;
          void keepOne();
        });
        socket.send(
          JSON.stringify({ type: 'subscribe', topics: [honestTopic], proofs: [fastProof(stranger, nonce)] }),
        );
        socket.send(JSON.stringify({ type: 'publish', topic: honestTopic, data: 'forged announce' }));
        return socket;
      } catch {
        if (running) setTimeout(() => void keepOne(), 100);
        return null;
      }
    };
    const first = await openMany(CONNECTIONS, keepOne);
    markOpen();
    await until;
    running = false;
    for (const socket of open) socket.terminate();
    return {
      attempts,
      opened: first.length,
      note: `${first.length} connections that ask for the honest peers' topic with a forged proof and publish on it, each reopened as soon as the server closes it: ${closedByServer.toLocaleString('en')} closed by the server, ${attempts.toLocaleString('en')} attempts in all, ${heard} publishes heard`,
    };
  },
};

const connectionChurn: Attack = {
  key: 'churn',
  name: 'Connection churn',
  seconds: 6,
  limits: CHURN_LIMITS,
  async run(url, until) {
    let attempts = 0;
    let opened = 0;
    let tooMany = 0;
    let otherFailures = 0;
    let running = true;
    const open = new Set<WebSocket>();
    // One address opens WebSocket connections and closes each as soon as it is in, in a loop, with
    // CONNECTIONS loops at once; a loop that is refused comes straight back (10 ms later).
    const loop = (): Promise<void> =>
      new Promise((resolve) => {
        attempts += 1;
        const socket = new WebSocket(url, { localAddress: CHURN_ADDRESS });
        open.add(socket);
        socket.once('open', () => {
          opened += 1;
          socket.terminate();
        });
        socket.once('error', (error) => {
          if (/429/.test(error.message)) tooMany += 1;
          else otherFailures += 1;
        });
        socket.once('close', () => {
          open.delete(socket);
          resolve();
          if (running) setTimeout(() => void loop(), 10);
        });
      });
    await openMany(CONNECTIONS, async () => {
      await loop();
      return null;
    });
    markOpen();
    await until;
    running = false;
    for (const socket of open) socket.terminate();
    return {
      attempts,
      opened,
      note: `${CONNECTIONS} loops from one address (${CHURN_ADDRESS}, the honest peers are on 127.0.0.1), each opening a WebSocket connection, closing it once in and coming back 10 ms later, against the default rate limit (${SIGNALING_DEFAULTS.connectionBurstPerAddress} at once, then ${SIGNALING_DEFAULTS.connectionsPerAddressPerSecond} a second): ${opened.toLocaleString('en')} got in, ${tooMany.toLocaleString('en')} refused with 429, ${otherFailures.toLocaleString('en')} refused without an answer (the server lets at most 64 refused sockets read their status; it closes the others at once), ${attempts.toLocaleString('en')} attempts in all`,
    };
  },
};

const baseline: Attack = {
  key: 'none',
  name: 'No attack',
  seconds: 3,
  async run(_url, until) {
    markOpen();
    await until;
    return { attempts: 0, opened: 0, note: 'the honest peers alone' };
  },
};

// ---------------------------------------------------------------------------------------------------
// The orchestrator

const here = fileURLToPath(import.meta.url);

function spawnChild(role: string, args: string[]): ChildProcess {
  // Inherits this process's execArgv, i.e. tsx's loader.
  return fork(here, ['--role', role, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(null), timeoutMs);
    const onMessage = (message: { type?: string }) => {
      if (message.type === type) finish(message as T);
    };
    const onExit = () => finish(null);
    const finish = (value: T | null) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(value);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function statusKb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (pid === undefined) return 0;
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

async function measure(attack: Attack, log: (line: string) => void): Promise<Measured> {
  const server = spawnChild('server', ['--limits', JSON.stringify(attack.limits ?? LIMITS)]);
  let crashed = false;
  let stopping = false;
  let peakRssKb = 0;
  let endRssKb = 0;
  server.once('exit', (code, signal) => {
    if (stopping) return;
    crashed = true;
    log(`  SERVER CRASHED (exit code ${String(code)}, signal ${String(signal)})`);
  });
  const ready = await nextMessage<{ port: number }>(server, 'ready', 30_000);
  if (!ready) throw new Error('the server child did not start');
  const url = `ws://${HOST}:${ready.port}`;

  let kernelPeak = kernelTcpBytes();
  const sampler = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, statusKb(server.pid, 'VmHWM'), statusKb(server.pid, 'VmRSS'));
    kernelPeak = Math.max(kernelPeak, kernelTcpBytes());
  }, 100);

  const honest = spawnChild('honest', ['--url', url]);
  const honestReady = await nextMessage<{ topic: string }>(honest, 'ready', 30_000);
  if (!honestReady) throw new Error('the honest peers did not start');

  const started = performance.now();
  const cpuAtStart = cpuSeconds(server.pid);
  attackOpenAt = Date.now();
  let release = () => {};
  const until = new Promise<void>((resolve) => (release = resolve));
  // The attack runs its seconds once its connections are all open (opening a thousand, each waiting
  // for its challenge, takes seconds on a loaded machine), and never more than a minute longer.
  let stopTimer = setTimeout(() => release(), attack.seconds * 1_000 + 60_000);
  onAllOpen = () => {
    clearTimeout(stopTimer);
    stopTimer = setTimeout(() => release(), attack.seconds * 1_000);
  };
  const outcome = await attack.run(url, until, honestReady.topic);
  clearTimeout(stopTimer);
  const seconds = (performance.now() - started) / 1000;
  const serverCpuS = cpuSeconds(server.pid) - cpuAtStart;

  honest.send({ type: 'stop' });
  const honestResult = (await nextMessage<{ result: HonestResult }>(honest, 'result', 15_000))?.result ?? {
    rtts: [],
    rttAt: [],
    sent: 0,
    lost: 0,
    peerDrops: 0,
    fresh: { attempted: 0, accepted: 0, connectMs: [] },
  };
  let stats: ServerStats | null = null;
  if (!crashed) {
    server.send({ type: 'stats' });
    stats = (await nextMessage<{ stats: ServerStats }>(server, 'stats', 10_000))?.stats ?? null;
  }
  clearInterval(sampler);
  peakRssKb = Math.max(peakRssKb, statusKb(server.pid, 'VmHWM'));
  endRssKb = statusKb(server.pid, 'VmRSS');
  stopping = true;
  if (!crashed) {
    server.send({ type: 'stop' });
    if (!(await nextMessage(server, 'never', 5_000).then(() => server.exitCode !== null)))
      server.kill('SIGKILL');
  }
  if (honest.exitCode === null) honest.kill('SIGKILL');
  return {
    attack,
    steadyRtts: honestResult.rtts.filter((_, i) => (honestResult.rttAt[i] ?? 0) >= attackOpenAt),
    crashed,
    peakRssMb: peakRssKb / 1024,
    serverCpuS,
    endRssMb: endRssKb / 1024,
    kernelTcpPeakMb: kernelPeak / 2 ** 20,
    honest: honestResult,
    stats,
    outcome,
    seconds,
  };
}

interface Row {
  metric: string;
  values: string[];
  target: string;
  met: (boolean | null)[] | null;
}

function rows(results: Measured[]): Row[] {
  const each = <T>(f: (m: Measured) => T) => results.map(f);
  const stat = (f: (s: ServerStats) => number) =>
    each((m) => (m.stats ? f(m.stats).toLocaleString('en') : 'n/a'));
  const p = (m: Measured, q: number) => quantile(m.honest.rtts, q);
  return [
    {
      metric: 'Server crashes',
      values: each((m) => (m.crashed ? '1' : '0')),
      target: '0',
      met: each((m) => !m.crashed),
    },
    {
      metric: 'Server peak resident memory (VmHWM)',
      values: each((m) => `${m.peakRssMb.toFixed(0)} MB`),
      target: `< ${RSS_TARGET_MB} MB`,
      met: each((m) => m.peakRssMb < RSS_TARGET_MB),
    },
    {
      metric: 'Honest round trip, p50',
      values: each((m) => ms(median(m.honest.rtts))),
      target: '—',
      met: null,
    },
    {
      metric: 'Honest round trip, p95',
      values: each((m) => ms(p(m, 0.95))),
      target: `< ${RTT_P95_TARGET_MS} ms`,
      met: each((m) => p(m, 0.95) < RTT_P95_TARGET_MS),
    },
    {
      metric: '… p50 / p95 once the attack connections are all open',
      values: each(
        (m) => `${ms(median(m.steadyRtts))} / ${ms(quantile(m.steadyRtts, 0.95))} (${m.steadyRtts.length})`,
      ),
      target: '—',
      met: null,
    },
    {
      metric: 'Honest round trip, max',
      values: each((m) => ms(Math.max(...m.honest.rtts))),
      target: '—',
      met: null,
    },
    {
      metric: 'Honest round trips answered / sent',
      values: each((m) => `${m.honest.rtts.length} / ${m.honest.sent}`),
      target: 'all',
      met: each((m) => m.honest.sent > 0 && m.honest.lost === 0 && m.honest.peerDrops === 0),
    },
    {
      metric: 'Fresh honest connections accepted / attempted',
      values: each((m) => `${m.honest.fresh.accepted} / ${m.honest.fresh.attempted}`),
      target: 'all',
      met: each((m) => m.honest.fresh.attempted > 0 && m.honest.fresh.accepted === m.honest.fresh.attempted),
    },
    {
      metric: '… connect + challenge + proven subscribe + pong, median',
      values: each((m) => ms(median(m.honest.fresh.connectMs))),
      target: '—',
      met: null,
    },
    {
      metric: 'Attack connections opened / attempted',
      values: each(
        (m) => `${m.outcome.opened.toLocaleString('en')} / ${m.outcome.attempts.toLocaleString('en')}`,
      ),
      target: '—',
      met: null,
    },
    { metric: 'Server: messages dropped', values: stat((s) => s.dropped), target: '—', met: null },
    {
      metric: 'Server: slow readers disconnected',
      values: stat((s) => s.slowReaders),
      target: '—',
      met: null,
    },
    {
      metric: 'Server: closed, no subscription in time',
      values: stat((s) => s.subscribeTimeouts),
      target: '—',
      met: null,
    },
    {
      metric: 'Server: closed, no handshake in time',
      values: stat((s) => s.handshakeTimeouts),
      target: '—',
      met: null,
    },
    { metric: 'Server: connections refused', values: stat((s) => s.refused), target: '—', met: null },
    {
      metric: '… of which for their address’s rate (429)',
      values: stat((s) => s.rateLimited),
      target: '—',
      met: null,
    },
    {
      metric: 'Server: closed, failed the challenge',
      values: stat((s) => s.proofFailures),
      target: '—',
      met: null,
    },
    {
      metric: 'Server resident memory at the end',
      values: each((m) => `${m.endRssMb.toFixed(0)} MB`),
      target: '—',
      met: null,
    },
    {
      metric: 'Kernel TCP buffers, whole machine, peak',
      values: each((m) => `${m.kernelTcpPeakMb.toFixed(0)} MB`),
      target: '—',
      met: null,
    },
    {
      metric: 'Server CPU time (user + system) during the attack',
      values: each((m) => `${m.serverCpuS.toFixed(1)} s`),
      target: '—',
      met: null,
    },
    {
      metric: 'Attack ran for (opening its connections included)',
      values: each((m) => `${m.seconds.toFixed(1)} s`),
      target: '—',
      met: null,
    },
  ];
}

function table(results: Measured[], list: Row[]): { header: string[]; body: string[][] } {
  const metText = (row: Row) => {
    if (!row.met) return '—';
    if (row.met.every((m) => m === true)) return 'yes';
    return row.met
      .map((m, i) => (m === false ? `${results[i]!.attack.name} NO` : null))
      .filter((text): text is string => text !== null)
      .join(', ');
  };
  return {
    header: ['Metric', ...results.map((m) => m.attack.name), 'Target', 'Met?'],
    body: list.map((row) => [row.metric, ...row.values, row.target, metText(row)]),
  };
}

function renderText(cells: { header: string[]; body: string[][] }): string {
  const widths = cells.header.map((h, i) => Math.max(h.length, ...cells.body.map((b) => b[i]!.length)));
  const line = (cs: string[]) => cs.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(cells.header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.body.map(line)].join(
    '\n',
  );
}

function renderMarkdown(cells: { header: string[]; body: string[][] }): string {
  return [
    `| ${cells.header.join(' | ')} |`,
    `| ${cells.header.map(() => '---').join(' | ')} |`,
    ...cells.body.map((b) => `| ${b.join(' | ')} |`),
  ].join('\n');
}

function openFileLimit(): number {
  try {
    const match = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match?.[1] === 'unlimited' ? Infinity : Number(match?.[1] ?? Infinity);
  } catch {
    return Infinity;
  }
}

function gitCommit(): string {
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 7);
    return readFileSync(join(root, '.git', head.slice(5)), 'utf8')
      .trim()
      .slice(0, 7);
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const { ANALYSIS_SLOT, startLog, writeReport } = await import('./report');
  const log = startLog();
  const started = performance.now();
  const loadAtStart = loadavg()[0]!;
  const hardStop = setTimeout(() => {
    console.error(`bench:signal: still running after ${HARD_LIMIT_MS / 1000} s; stopping`);
    process.exit(1);
  }, HARD_LIMIT_MS);
  hardStop.unref();

  const fdLimit = openFileLimit();
  if (fdLimit < CONNECTIONS + 200) {
    console.warn(
      `Open-file limit ${fdLimit} is below the ${CONNECTIONS + 200} this bench needs per process; run it as ` +
        '`npm run bench:signal` (which raises it with ulimit -n 4096) or raise it yourself.',
    );
  }
  const limitsNote =
    `All clients come from 127.0.0.1, so the server child runs with maxConnections and ` +
    `maxConnectionsPerAddress = ${LIMITS.maxConnectionsPerAddress} (defaults: ${SIGNALING_DEFAULTS.maxConnections} ` +
    `and ${SIGNALING_DEFAULTS.maxConnectionsPerAddress}), so that the ${CONNECTIONS} attacking connections get in; ` +
    `and as many new connections at once (connectionBurstPerAddress = ${LIMITS.connectionBurstPerAddress}); ` +
    `every other limit and timeout is the default. Connection churn comes from ${CHURN_ADDRESS} and runs against ` +
    `the default rate limit per address.`;
  log(limitsNote);

  const all = [baseline, deepNesting, slowReaders, idleFlood, handshakeFlood, proofFlood, connectionChurn];
  // --only churn,none: a subset (nothing is written then: the report is of every attack).
  const only = option('only')?.split(',');
  const attacks = only ? all.filter((attack) => only.includes(attack.key)) : all;
  if (only && attacks.length === 0)
    throw new Error(
      `--only: no attack named ${only.join(', ')}; there are ${all.map((a) => a.key).join(', ')}`,
    );
  const results: Measured[] = [];
  for (const attack of attacks) {
    log(
      `${attack.name}: ${attack.seconds} s with ${attack === baseline ? 0 : CONNECTIONS} attacking connections`,
    );
    const result = await measure(attack, log);
    log(
      `  ${result.outcome.note}; server peak ${result.peakRssMb.toFixed(0)} MB, honest p95 ${ms(quantile(result.honest.rtts, 0.95))}, fresh ${result.honest.fresh.accepted}/${result.honest.fresh.attempted}`,
    );
    results.push(result);
  }

  const list = rows(results);
  const cells = table(results, list);
  const totalS = (performance.now() - started) / 1000;
  const load = `load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`;
  console.log(`\n${renderText(cells)}\n`);
  console.log(limitsNote);
  console.log(`Signal bench run time: ${totalS.toFixed(0)} s (${load}, ${cpus().length} cores)`);

  if (!flag('no-write') && !only) {
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const markdown = `# Benchmarks: the signaling server under attack

Generated by \`npm run bench:signal\` on ${new Date().toISOString().slice(0, 10)} (run time ${totalS.toFixed(0)} s),
code measured: commit ${gitCommit()}.
Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version};
${load}. One run; other work on the machine shows up in the figures.

**Scenario** (issue 8): each attack with ${CONNECTIONS.toLocaleString('en')} attacking connections, on loopback
(127.0.0.1 only), against a fresh server process each time, for the seconds given below once its
connections are all open, while two honest peers exchange a message
every ${HONEST_INTERVAL_MS} ms through it (a publish from one, answered by a publish from the other: the round
trip) and a fresh honest peer connects, proves and subscribes to a topic and waits for its pong every second. Targets: no
crash, server resident memory under ${RSS_TARGET_MB} MB, honest round trip p95 under ${RTT_P95_TARGET_MS} ms,
every honest connection accepted.

${limitsNote}

${renderMarkdown(cells)}

What each attack did:

${results.map((m) => `- **${m.attack.name}** (${m.seconds.toFixed(1)} s): ${m.outcome.note}.`).join('\n')}

${ANALYSIS_SLOT}

## Reproduce

\`\`\`
npm run bench:signal                                   # ${CONNECTIONS.toLocaleString('en')} connections per attack, about two minutes
npm run bench:signal -- --connections 200 --no-write   # smaller, nothing written
npm run bench:signal -- --only none,churn              # some attacks only (nothing written)
\`\`\`

The npm script raises the open-file limit (\`ulimit -n 4096\`): this process and the server each hold
one descriptor per connection. Resident memory is the server child's \`VmHWM\` (peak) and \`VmRSS\` from
\`/proc/<pid>/status\`, so the figures need Linux. The slow-reader publisher pauses while the machine's
TCP buffers (\`/proc/net/sockstat\`) hold more than ${KERNEL_TCP_BUDGET_BYTES / 2 ** 20} MB: a stalled socket holds up to
its kernel send buffer (about 4 MB with Linux defaults) before the server sees anything queued, and
the bench must not exhaust a shared machine's TCP memory.
`;
    const file = join(root, 'docs', 'benchmarks-signal.md');
    await writeReport(file, markdown);
    console.log('Wrote docs/benchmarks-signal.md');
  }
  clearTimeout(hardStop);
}

const role = option('role');
if (role === 'server') await serverRole();
else if (role === 'honest') await honestRole();
else await main();
