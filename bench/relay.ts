import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { openPglite, type Db } from '../electron/relay/db';
import { openPostgres } from '../electron/relay/postgres';
import { startRelay, type RelayOptions } from '../electron/relay/server';
import { appendEntries, ledgersOf } from '../shared/doc';
import type { Donation } from '../shared/entries';
import {
  blobHash,
  blobMessage,
  deriveRelayKeys,
  openRelayBlob,
  proveRead,
  RELAY_PROTOCOL,
  sealRelayBlob,
  statementMessage,
  statementPayload,
  type RelayKeys,
  type ServerMessage,
} from '../shared/sync/relay';
import { deviceIdOf } from '../shared/trust/crypto';
import { networkIdOf } from '../shared/trust/members';
import { postgresBinaries, startPostgres, type PostgresCluster } from '../tests/electron/postgres-cluster';
import { generateNetwork } from './generate';
import { commandLine, label, startLog } from './report';
import { quantile } from './stats';

/**
 * `npm run bench:relay`: the relay (electron/relay/) with the app's traffic of one network, 50 hubs of 2
 * devices, each upload a real sealed blob of one form (1 to 4 ledger entries, as a sync round every 30 s
 * carries at 150 entries a hub a day), in two setups:
 *
 * - one relay process on PGlite (the embedded default), every device connected to it;
 * - two relay processes on one PostgreSQL (a throw-away cluster of Debian's package, default settings:
 *   fsync and synchronous commit on), each hub's first device on instance A and its second on B, so every
 *   push between a hub's two devices crosses instances (NOTIFY).
 *
 * In each: fan-out latency (an upload sent → each other connection of the mailbox told 'new') and upload
 * acknowledgement latency at a paced rate, then uploads per second with every device uploading back to
 * back (one request in flight each); sync rounds with nothing new per second (what every device does every
 * 30 s: connect, prove, welcome, fetch, close); the relay's bytes per entry stored; the time to restore a 100k and a
 * 1M entry network (bench/generate.ts) onto an empty device through the relay: download every page,
 * open every blob (AES-GCM, inflate) and apply it to an empty Y.Doc (the app's projections are rebuilt
 * after that, measured in docs/benchmarks.md). The relays run as child processes, the clients in this one
 * (on 2 cores they compete: the load average is printed beside every figure). Measures and prints;
 * writes nothing. Relay limits raised for the bench: connections per address (every client is on
 * 127.0.0.1) and uploads per device a minute (the flood is the point); everything else is the default.
 *
 *   npm run bench:relay
 *   npm run bench:relay -- --hubs 50 --devices 2 --rate 20 --paced 10 --flood 10 --rounds 10 \
 *     --round-concurrency 20 --restore 100000,1000000
 *   npm run bench:relay -- --networks 4 --no-pglite --restore 0      # 4 mailboxes side by side
 *   npm run bench:relay -- --pg-port 54329 --no-postgres
 */
const { option, flag } = commandLine();
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';

interface Config {
  hubs: number;
  devicesPerHub: number;
  networks: number;
  /** Uploads a second in all, in the paced phase. */
  rate: number;
  pacedSeconds: number;
  floodSeconds: number;
  /** Seconds of sync rounds with nothing new, and how many at once. */
  roundSeconds: number;
  roundConcurrency: number;
  restore: number[];
}

const BENCH_LIMITS: RelayOptions = {
  maxConnections: 5_000,
  maxConnectionsPerAddress: 5_000,
  uploadsPerMinute: 1_000_000,
};

const load = () => loadavg()[0]!.toFixed(1);

/**
 * CPU time (ms) the server side has used so far: the relay processes, and PostgreSQL's (the postmaster,
 * its live backends, and the backends that have exited, which the kernel adds to the postmaster's
 * cutime/cstime). Unlike wall-clock figures, CPU per operation hardly depends on what else the machine
 * runs: it is what the capacity estimates in docs/scaling.md are built on. Linux /proc only.
 */
const TICK_MS = 10; // USER_HZ is 100 on Linux
function statOf(pid: number): number[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text
      .slice(text.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  } catch {
    return null;
  }
}
/** Fields after the command: [0] state, [1] ppid, ... [11] utime, [12] stime, [13] cutime, [14] cstime. */
function cpuMs(relays: number[], postmaster: number | null): { relay: number; db: number } {
  let relay = 0;
  for (const pid of relays) {
    const f = statOf(pid);
    if (f) relay += (f[11]! + f[12]!) * TICK_MS;
  }
  let db = 0;
  if (postmaster !== null) {
    const f = statOf(postmaster);
    if (f) db += (f[11]! + f[12]! + f[13]! + f[14]!) * TICK_MS;
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const c = statOf(Number(name));
      if (c && c[1] === postmaster) db += (c[11]! + c[12]!) * TICK_MS;
    }
  }
  return { relay, db };
}
interface Cpu {
  relay: number;
  db: number;
}
const cpuSince = (before: Cpu, servers: Servers): Cpu => {
  const now = cpuMs(servers.relays, servers.postmaster);
  return { relay: now.relay - before.relay, db: now.db - before.db };
};
interface Servers {
  relays: number[];
  postmaster: number | null;
}
const fmtMs = (v: number) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : 'n/a');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A device's Ed25519 key, by Node's implementation (fast: the bench signs thousands of uploads). */
interface Key {
  publicKey: string;
  device: string;
  sign(message: string): string;
}
function newKey(): Key {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  return {
    publicKey: x,
    device: deviceIdOf(x),
    sign: (message) => crypto.sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64url'),
  };
}

/** One connection speaking the relay's protocol: requests by id, pushes to `onNew`. */
class Conn {
  private nextId = 1;
  private readonly pending = new Map<number, (m: ServerMessage) => void>();
  private challenge: Promise<string>;
  onNew: (device: string, seq: number) => void = () => undefined;

  private constructor(readonly socket: WebSocket) {
    let gotChallenge: (nonce: string) => void = () => undefined;
    this.challenge = new Promise((resolve) => (gotChallenge = resolve));
    socket.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as ServerMessage;
      if (m.type === 'new') this.onNew(m.device, m.seq);
      else if (m.type === 'challenge') gotChallenge(m.nonce);
      else if (m.type === 'welcome') this.pending.get(0)?.(m);
      else if ('id' in m) {
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
      }
    });
  }

  static async open(url: string): Promise<Conn> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const conn = new Conn(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return conn;
  }

  async hello(net: Net): Promise<Extract<ServerMessage, { type: 'welcome' }>> {
    const nonce = await this.challenge;
    const welcome = new Promise<ServerMessage>((resolve) => this.pending.set(0, resolve));
    this.socket.send(
      JSON.stringify({
        type: 'hello',
        protocol: RELAY_PROTOCOL,
        read: net.keys.readKey,
        anchor: net.anchorId,
        proof: proveRead(net.keys, nonce, net.anchorId),
        anchorKey: net.anchor.publicKey,
      }),
    );
    const m = await welcome;
    this.pending.delete(0);
    if (m.type !== 'welcome' || !m.mailbox) throw new Error(`no welcome: ${JSON.stringify(m)}`);
    return m;
  }

  request(message: object): Promise<ServerMessage> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ ...message, id }));
    });
  }

  async upload(mailbox: string, key: Key, seq: number, blob: Uint8Array): Promise<ServerMessage> {
    return this.request({
      type: 'upload',
      key: key.publicKey,
      seq,
      blob: Buffer.from(blob).toString('base64url'),
      sig: key.sign(blobMessage(mailbox, key.publicKey, seq, blobHash(blob))),
    });
  }

  close() {
    this.socket.terminate();
  }
}

interface Net {
  keys: RelayKeys;
  anchor: Key;
  anchorId: string;
  mailbox: string;
}

async function newNetwork(url: string, networkKey = crypto.randomBytes(32)): Promise<Net> {
  const anchor = newKey();
  const net: Net = {
    keys: await deriveRelayKeys(new Uint8Array(networkKey)),
    anchor,
    anchorId: networkIdOf(anchor.publicKey),
    mailbox: '',
  };
  const c = await Conn.open(url);
  net.mailbox = (await c.hello(net)).mailbox!;
  c.close();
  return net;
}

/** The anchor states `keys` members of the mailbox (256 statements a request at most). */
async function stateMembers(url: string, net: Net, keys: Key[]): Promise<void> {
  const c = await Conn.open(url);
  await c.hello(net);
  for (let i = 0; i < keys.length; i += 256) {
    const statements = keys.slice(i, i + 256).map((k) => {
      const p = statementPayload({
        t: 'relay-member',
        mailbox: net.mailbox,
        key: k.publicKey,
        role: 'member',
        cut: null,
        at: 1,
      });
      return { p, by: net.anchor.publicKey, s: net.anchor.sign(statementMessage(p)) };
    });
    const answer = await c.request({ type: 'members', statements });
    if (answer.type !== 'members-ok' || answer.accepted !== statements.length)
      throw new Error(`statements not taken: ${JSON.stringify(answer)}`);
  }
  c.close();
}

/** A device of the bench: its key, its own Y.Doc (a Yjs client), and one connection. */
interface Device {
  key: Key;
  hub: string;
  doc: Y.Doc;
  conn: Conn;
  seq: number;
  entrySeq: number;
  entries: number;
}

/** One form (1 to 4 donation lines, 2 on average) as the update a sync round would upload, sealed. */
async function nextBlob(
  d: Device,
  net: Net,
  rand: () => number,
): Promise<{ blob: Uint8Array; entries: number }> {
  const lines = 1 + Math.floor(rand() * rand() * 4.8);
  const at = Date.UTC(2026, 10, 30) + d.entrySeq * 60_000;
  const entries: Donation[] = Array.from({ length: lines }, (_, i) => ({
    kind: 'donation',
    hub: d.hub,
    device: d.key.device,
    seq: d.entrySeq + i,
    item: `item${Math.floor(rand() * 500)}`,
    at,
    recordedAt: at,
    qty: 1 + Math.floor(rand() * 24),
    source: 'individual',
    ...(i > 0 ? { group: d.entrySeq } : {}),
  }));
  const base = Y.encodeStateVector(d.doc);
  let update: Uint8Array | null = null;
  const take = (u: Uint8Array) => (update = u);
  d.doc.on('update', take);
  appendEntries(d.doc, d.key.device, entries);
  d.doc.off('update', take);
  d.entrySeq += lines;
  const blob = await sealRelayBlob(
    { base, after: Y.encodeStateVector(d.doc), update: update! },
    { mailbox: net.mailbox, deviceKey: d.key.publicKey, seq: d.seq + 1 },
    net.keys.blobKey,
    (n) => new Uint8Array(crypto.randomBytes(n)),
  );
  return { blob, entries: lines };
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface TrafficResult {
  pacedUploads: number;
  pacedRate: number;
  pacedAck: { p50: number; p95: number };
  pacedFanout: { p50: number; p95: number; samples: number };
  pacedLoad: string;
  floodUploads: number;
  floodPerSecond: number;
  floodAck: { p50: number; p95: number };
  floodFanout: { p50: number; p95: number; samples: number };
  floodLoad: string;
  roundsPerSecond: number;
  /** Server CPU ms per operation: relay processes, PostgreSQL (0 for PGlite, in the relay's process). */
  roundCpu: Cpu;
  uploadCpu: Cpu;
  small: Awaited<ReturnType<typeof download>> & { load: string };
  round: { p50: number; p95: number };
  roundLoad: string;
  entries: number;
  mailboxes: string[];
}

interface Sizes {
  bodyBytesPerEntry: number;
  tableBytesPerEntry: number;
}

/** The blobs' bytes over the entries they carry, and the whole table's (heap, TOAST, primary key). */
async function sizes(db: Db, mailboxes: string[], entries: number): Promise<Sizes> {
  const bytes = await db.query<{ body: string | number }>(
    'SELECT coalesce(sum(octet_length(body)), 0) AS body FROM relay_blobs WHERE mailbox = ANY($1)',
    [mailboxes],
  );
  // The table holds only this phase's mailboxes: sizes are read before the restore phase adds any.
  const table = await db.query<{ size: string | number }>(
    "SELECT pg_total_relation_size('relay_blobs') AS size",
  );
  return {
    bodyBytesPerEntry: Number(bytes.rows[0]!.body) / entries,
    tableBytesPerEntry: Number(table.rows[0]!.size) / entries,
  };
}

/** The paced phase, then the flood, over `networks` mailboxes of hubs × devicesPerHub devices each. */
async function traffic(
  urls: string[],
  servers: Servers,
  config: Config,
  log: (line: string) => void,
): Promise<TrafficResult> {
  const rand = prng(42);
  const devices: { device: Device; net: Net }[] = [];
  const sentAt = new Map<string, number>();
  let fanout: number[] = [];
  let acks: number[] = [];
  const mailboxes: string[] = [];
  for (let n = 0; n < config.networks; n++) {
    const net = await newNetwork(urls[0]!);
    mailboxes.push(net.mailbox);
    const keys = Array.from({ length: config.hubs * config.devicesPerHub }, newKey);
    await stateMembers(urls[0]!, net, keys);
    for (let h = 0; h < config.hubs; h++)
      for (let k = 0; k < config.devicesPerHub; k++) {
        const key = keys[h * config.devicesPerHub + k]!;
        const conn = await Conn.open(urls[k % urls.length]!);
        await conn.hello(net);
        conn.onNew = (device, seq) => {
          const t = sentAt.get(`${device}|${seq}`);
          if (t !== undefined) fanout.push(performance.now() - t);
        };
        const doc = new Y.Doc({ gc: true });
        devices.push({
          device: { key, hub: `hub${n}x${h}`, doc, conn, seq: 0, entrySeq: 1, entries: 0 },
          net,
        });
      }
  }
  log(`${devices.length} devices connected in ${config.networks} network(s); load ${load()}`);

  let entries = 0;
  const uploadOnce = async ({ device: d, net }: { device: Device; net: Net }) => {
    const { blob, entries: count } = await nextBlob(d, net, rand);
    const seq = d.seq + 1;
    const t = performance.now();
    sentAt.set(`${d.key.device}|${seq}`, t);
    const answer = await d.conn.upload(net.mailbox, d.key, seq, blob);
    if (answer.type !== 'ack') throw new Error(`upload refused: ${JSON.stringify(answer)}`);
    acks.push(performance.now() - t);
    d.seq = seq;
    entries += count;
  };

  // Paced: uploads at `rate` a second in all, each from a device picked at random (not one busy).
  let paced = 0;
  const pacedEnd = performance.now() + config.pacedSeconds * 1000;
  const running = new Set<Promise<void>>();
  const busy = new Set<Device>();
  const startedPaced = performance.now();
  while (performance.now() < pacedEnd) {
    const pick = devices[Math.floor(rand() * devices.length)]!;
    if (!busy.has(pick.device)) {
      busy.add(pick.device);
      const p: Promise<void> = uploadOnce(pick).finally(() => {
        busy.delete(pick.device);
        running.delete(p);
      });
      running.add(p);
      paced += 1;
    }
    const next = startedPaced + (paced * 1000) / config.rate;
    await sleep(Math.max(0, next - performance.now()));
  }
  await Promise.all(running);
  await sleep(500); // the last pushes
  const pacedLoad = load();
  const pacedSeconds = (performance.now() - startedPaced) / 1000;
  const result1 = {
    pacedUploads: paced,
    pacedRate: paced / pacedSeconds,
    pacedAck: { p50: quantile(acks, 0.5), p95: quantile(acks, 0.95) },
    pacedFanout: { p50: quantile(fanout, 0.5), p95: quantile(fanout, 0.95), samples: fanout.length },
  };
  log(
    `paced: ${paced} uploads at ${result1.pacedRate.toFixed(1)}/s; ack p50 ${fmtMs(result1.pacedAck.p50)} p95 ${fmtMs(result1.pacedAck.p95)}; fan-out p50 ${fmtMs(result1.pacedFanout.p50)} p95 ${fmtMs(result1.pacedFanout.p95)} (${fanout.length} pushes); load ${pacedLoad}`,
  );

  // Flood: every device uploads back to back, one request in flight each.
  fanout = [];
  acks = [];
  let flood = 0;
  const floodCpu = cpuMs(servers.relays, servers.postmaster);
  const floodStart = performance.now();
  const floodEnd = floodStart + config.floodSeconds * 1000;
  await Promise.all(
    devices.map(async (d) => {
      while (performance.now() < floodEnd) {
        await uploadOnce(d);
        flood += 1;
      }
    }),
  );
  const floodSeconds = (performance.now() - floodStart) / 1000;
  const floodUsed = cpuSince(floodCpu, servers);
  await sleep(500);
  const floodLoad = load();
  const result2 = {
    floodUploads: flood,
    floodPerSecond: flood / floodSeconds,
    uploadCpu: { relay: floodUsed.relay / flood, db: floodUsed.db / flood },
    floodAck: { p50: quantile(acks, 0.5), p95: quantile(acks, 0.95) },
    floodFanout: { p50: quantile(fanout, 0.5), p95: quantile(fanout, 0.95), samples: fanout.length },
  };
  log(
    `flood: ${flood} uploads in ${floodSeconds.toFixed(1)} s = ${result2.floodPerSecond.toFixed(0)}/s; server CPU ${result2.uploadCpu.relay.toFixed(1)} ms relay + ${result2.uploadCpu.db.toFixed(1)} ms PostgreSQL an upload; ack p50 ${fmtMs(result2.floodAck.p50)} p95 ${fmtMs(result2.floodAck.p95)}; fan-out p50 ${fmtMs(result2.floodFanout.p50)} p95 ${fmtMs(result2.floodFanout.p95)}; load ${floodLoad}`,
  );
  for (const { device } of devices) device.conn.close();

  // Sync rounds with nothing new, as the app makes one every 30 s on each device: connect, prove the
  // read key, the welcome (heads, members), a fetch from the heads (an empty page), close.
  const rounds: number[] = [];
  const roundCpu = cpuMs(servers.relays, servers.postmaster);
  const roundEnd = performance.now() + config.roundSeconds * 1000;
  const roundStart = performance.now();
  await Promise.all(
    Array.from({ length: config.roundConcurrency }, async (_, i) => {
      while (performance.now() < roundEnd) {
        const { net } = devices[(i * 7 + rounds.length) % devices.length]!;
        const t = performance.now();
        const c = await Conn.open(urls[rounds.length % urls.length]!);
        const welcome = await c.hello(net);
        const page = await c.request({ type: 'fetch', cursor: welcome.heads });
        if (page.type !== 'blobs' || page.blobs.length > 0) throw new Error('a round found something new');
        c.close();
        rounds.push(performance.now() - t);
      }
    }),
  );
  const roundsPerSecond = rounds.length / ((performance.now() - roundStart) / 1000);
  const roundUsed = cpuSince(roundCpu, servers);
  const perRound = { relay: roundUsed.relay / rounds.length, db: roundUsed.db / rounds.length };
  const roundLoad = load();
  const round = { p50: quantile(rounds, 0.5), p95: quantile(rounds, 0.95) };
  log(
    `rounds with nothing new: ${rounds.length} at ${roundsPerSecond.toFixed(0)}/s (${config.roundConcurrency} at once); server CPU ${perRound.relay.toFixed(1)} ms relay + ${perRound.db.toFixed(1)} ms PostgreSQL a round; p50 ${fmtMs(round.p50)} p95 ${fmtMs(round.p95)}; load ${roundLoad}`,
  );
  // An empty device takes the first network's day-to-day blobs (one form each) back.
  const small = await download(urls.at(-1)!, devices[0]!.net);
  const smallLoad = load();
  log(
    `restore of one-form blobs: ${small.blobs} blobs, ${small.entries} entries in ${fmtMs(small.totalMs)} (download ${fmtMs(small.downloadMs)}, open ${fmtMs(small.openMs)}, apply ${fmtMs(small.applyMs)}); load ${smallLoad}`,
  );
  return {
    ...result1,
    pacedLoad,
    ...result2,
    floodLoad,
    small: { ...small, load: smallLoad },
    roundsPerSecond,
    roundCpu: perRound,
    round,
    roundLoad,
    entries,
    mailboxes,
  };
}

interface RestoreResult {
  entries: number;
  blobs: number;
  storedBytes: number;
  seedMs: number;
  downloadMs: number;
  openMs: number;
  applyMs: number;
  totalMs: number;
  load: string;
}

/** An empty device's download of a whole mailbox: every page, every blob opened, applied to an empty doc. */
async function download(url: string, net: Net) {
  const start = performance.now();
  const c = await Conn.open(url);
  await c.hello(net);
  const cursor: Record<string, number> = {};
  const blobs: { device: string; key: string; seq: number; bytes: Uint8Array }[] = [];
  for (;;) {
    const page = await c.request({ type: 'fetch', cursor });
    if (page.type !== 'blobs') throw new Error(JSON.stringify(page));
    for (const b of page.blobs) {
      blobs.push({ device: b.device, key: b.key, seq: b.seq, bytes: Buffer.from(b.blob, 'base64url') });
      cursor[b.device] = b.seq;
    }
    if (!page.more) break;
  }
  c.close();
  const downloaded = performance.now();
  const opened: Uint8Array[] = [];
  for (const b of blobs) {
    const contents = await openRelayBlob(
      b.bytes,
      { mailbox: net.mailbox, deviceKey: b.key, seq: b.seq },
      net.keys.blobKey,
    );
    if (!contents) throw new Error('a blob did not open');
    opened.push(contents.update);
  }
  const openedAt = performance.now();
  const empty = new Y.Doc({ gc: true });
  empty.transact(() => {
    for (const update of opened) Y.applyUpdate(empty, update);
  });
  const applied = performance.now();
  let entries = 0;
  for (const ledger of ledgersOf(empty).values()) entries += ledger.length;
  return {
    blobs: blobs.length,
    entries,
    downloadMs: downloaded - start,
    openMs: openedAt - downloaded,
    applyMs: applied - openedAt,
    totalMs: applied - start,
  };
}

/**
 * A network of `n` entries (bench/generate.ts: each device its own Yjs client) put on the relay as each
 * device would seed an empty one (its own changes, one blob, through instance A), then restored onto an
 * empty device through the last instance.
 */
async function restore(urls: string[], gen: ReturnType<typeof generateNetwork>, log: (line: string) => void) {
  const doc = gen.doc;
  const full = Y.decodeStateVector(Y.encodeStateVector(doc));
  const net = await newNetwork(urls[0]!);
  const keys = [...full.keys()].map(() => newKey());
  await stateMembers(urls[0]!, net, keys);
  const seedStart = performance.now();
  const seeder = await Conn.open(urls[0]!);
  await seeder.hello(net);
  let storedBytes = 0;
  for (const [i, client] of [...full.keys()].entries()) {
    const others = new Map(full);
    others.delete(client);
    const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(others));
    const key = keys[i]!;
    const blob = await sealRelayBlob(
      { base: Y.encodeStateVector(new Map()), after: Y.encodeStateVectorFromUpdate(update), update },
      { mailbox: net.mailbox, deviceKey: key.publicKey, seq: 1 },
      net.keys.blobKey,
      (k) => new Uint8Array(crypto.randomBytes(k)),
    );
    const answer = await seeder.upload(net.mailbox, key, 1, blob);
    if (answer.type !== 'ack') throw new Error(`seeding refused: ${JSON.stringify(answer)}`);
    storedBytes += blob.byteLength;
  }
  seeder.close();
  const seedMs = performance.now() - seedStart;

  const got = await download(urls.at(-1)!, net);
  const entries = got.entries;
  if (entries !== gen.entries) throw new Error(`restored ${entries} entries of ${gen.entries}`);
  const result: RestoreResult = {
    entries,
    blobs: got.blobs,
    storedBytes,
    seedMs,
    downloadMs: got.downloadMs,
    openMs: got.openMs,
    applyMs: got.applyMs,
    totalMs: got.totalMs,
    load: load(),
  };
  log(
    `restore ${label(gen.entries)}: ${got.blobs} blobs, ${(storedBytes / 1e6).toFixed(1)} MB (${(storedBytes / entries).toFixed(1)} B/entry); seeded in ${fmtMs(seedMs)}; download ${fmtMs(result.downloadMs)}, open ${fmtMs(result.openMs)}, apply ${fmtMs(result.applyMs)}: ${fmtMs(result.totalMs)}; load ${result.load}`,
  );
  return result;
}

/** One relay as a child process (`bench/relay.ts --serve`), its address once it listens. */
async function child(options: RelayOptions): Promise<{ url: string; proc: ChildProcessWithoutNullStreams }> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'bench/relay.ts'), '--serve', JSON.stringify(options)],
    { cwd: root },
  );
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const url = /^(ws:\/\/\S+)$/m.exec(out)?.[1];
    if (url) return { url, proc };
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the relay did not start:\n${out}`);
    await sleep(50);
  }
}

async function stopChild(proc: ChildProcessWithoutNullStreams) {
  if (proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function main() {
  const list = (v: string | undefined, d: number[]) =>
    v === undefined
      ? d
      : v
          .split(',')
          .map(Number)
          .filter((x) => x > 0);
  const config: Config = {
    hubs: Number(option('hubs') ?? 50),
    devicesPerHub: Number(option('devices') ?? 2),
    networks: Number(option('networks') ?? 1),
    rate: Number(option('rate') ?? 20),
    pacedSeconds: Number(option('paced') ?? 10),
    floodSeconds: Number(option('flood') ?? 10),
    roundSeconds: Number(option('rounds') ?? 10),
    roundConcurrency: Number(option('round-concurrency') ?? 20),
    restore: list(option('restore'), [100_000, 1_000_000]),
  };
  for (const [k, v] of Object.entries(config))
    if (k !== 'restore' && !(typeof v === 'number' && v > 0))
      throw new Error(`--${k} must be a positive number`);
  const log = startLog();
  log(
    `bench:relay on ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}; load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  log(`config: ${JSON.stringify(config)}`);
  const generated = new Map<number, ReturnType<typeof generateNetwork>>();
  const network = (n: number) => {
    if (!generated.has(n)) {
      const t = performance.now();
      generated.set(n, generateNetwork(n));
      log(`generated a ${label(n)} network in ${fmtMs(performance.now() - t)}`);
    }
    return generated.get(n)!;
  };
  const results: Result[] = [];

  if (!flag('no-pglite')) {
    const dir = mkdtempSync(path.join(tmpdir(), 'larder-bench-relay-'));
    const relay = await child({ ...BENCH_LIMITS, dataDir: dir });
    log(`PGlite, one instance: ${relay.url}`);
    const trafficResult = await traffic(
      [relay.url],
      { relays: [relay.proc.pid!], postmaster: null },
      config,
      log,
    );
    // PGlite's files are one process's: the relay stops while this one reads the sizes.
    await stopChild(relay.proc);
    const db = await openPglite(dir);
    const stored = await sizes(db, trafficResult.mailboxes, trafficResult.entries);
    await db.close();
    const again = await child({ ...BENCH_LIMITS, dataDir: dir });
    const restores: RestoreResult[] = [];
    for (const n of config.restore) restores.push(await restore([again.url], network(n), log));
    await stopChild(again.proc);
    rmSync(dir, { recursive: true, force: true });
    results.push({ setup: 'PGlite, 1 instance', traffic: trafficResult, stored, restores });
  }

  if (!flag('no-postgres')) {
    if (!postgresBinaries())
      throw new Error('PostgreSQL is not installed (apt-get install postgresql), or pass --no-postgres');
    const port = Number(option('pg-port') ?? 54329);
    const cluster: PostgresCluster = await startPostgres(port);
    try {
      const a = await child({ ...BENCH_LIMITS, database: cluster.url });
      const b = await child({ ...BENCH_LIMITS, database: cluster.url });
      log(`PostgreSQL, two instances: ${a.url} ${b.url}`);
      const servers = { relays: [a.proc.pid!, b.proc.pid!], postmaster: cluster.process.pid! };
      const trafficResult = await traffic([a.url, b.url], servers, config, log);
      const db = await openPostgres(cluster.url);
      const stored = await sizes(db, trafficResult.mailboxes, trafficResult.entries);
      await db.close();
      const restores: RestoreResult[] = [];
      for (const n of config.restore) restores.push(await restore([a.url, b.url], network(n), log));
      await stopChild(a.proc);
      await stopChild(b.proc);
      results.push({ setup: 'PostgreSQL, 2 instances', traffic: trafficResult, stored, restores });
    } finally {
      await cluster.stop();
    }
  }

  console.log(`\n${summary(results, config)}`);
}

interface Result {
  setup: string;
  traffic: TrafficResult;
  stored: Sizes;
  restores: RestoreResult[];
}

function summary(results: Result[], config: Config): string {
  const rows: string[][] = [];
  const cell = (v: string, loadAvg: string) => `${v} (load ${loadAvg})`;
  for (const { setup, traffic: t, stored, restores } of results) {
    rows.push([
      setup,
      'uploads per second, every device back to back',
      cell(t.floodPerSecond.toFixed(0), t.floodLoad),
    ]);
    rows.push([
      setup,
      'server CPU an upload, relay + PostgreSQL (during the flood)',
      `${t.uploadCpu.relay.toFixed(1)} ms + ${t.uploadCpu.db.toFixed(1)} ms`,
    ]);
    rows.push([
      setup,
      'server CPU a sync round with nothing new, relay + PostgreSQL',
      `${t.roundCpu.relay.toFixed(1)} ms + ${t.roundCpu.db.toFixed(1)} ms`,
    ]);
    rows.push([
      setup,
      `fan-out latency p50 / p95, paced at ${config.rate}/s`,
      cell(`${fmtMs(t.pacedFanout.p50)} / ${fmtMs(t.pacedFanout.p95)}`, t.pacedLoad),
    ]);
    rows.push([
      setup,
      'fan-out latency p50 / p95, during the flood',
      cell(`${fmtMs(t.floodFanout.p50)} / ${fmtMs(t.floodFanout.p95)}`, t.floodLoad),
    ]);
    rows.push([
      setup,
      `upload acknowledged p50 / p95, paced / flood`,
      cell(
        `${fmtMs(t.pacedAck.p50)} / ${fmtMs(t.pacedAck.p95)}; ${fmtMs(t.floodAck.p50)} / ${fmtMs(t.floodAck.p95)}`,
        t.floodLoad,
      ),
    ]);
    rows.push([
      setup,
      `sync rounds with nothing new per second (${config.roundConcurrency} at once); round p50 / p95`,
      cell(`${t.roundsPerSecond.toFixed(0)}; ${fmtMs(t.round.p50)} / ${fmtMs(t.round.p95)}`, t.roundLoad),
    ]);
    rows.push([
      setup,
      'bytes per entry stored, one form a blob (blob / whole table)',
      `${stored.bodyBytesPerEntry.toFixed(0)} B / ${stored.tableBytesPerEntry.toFixed(0)} B (${t.entries} entries)`,
    ]);
    rows.push([
      setup,
      'restore the one-form blobs above onto an empty device (download + open + apply)',
      cell(
        `${fmtMs(t.small.totalMs)} = ${fmtMs(t.small.downloadMs)} + ${fmtMs(t.small.openMs)} + ${fmtMs(t.small.applyMs)}; ${t.small.blobs} blobs, ${t.small.entries} entries`,
        t.small.load,
      ),
    ]);
    for (const r of restores)
      rows.push([
        setup,
        `restore ${label(r.entries)} entries onto an empty device (download + open + apply)`,
        cell(
          `${fmtMs(r.totalMs)} = ${fmtMs(r.downloadMs)} + ${fmtMs(r.openMs)} + ${fmtMs(r.applyMs)}; ${r.blobs} blobs, ${(r.storedBytes / r.entries).toFixed(1)} B/entry`,
          r.load,
        ),
      ]);
  }
  const header = ['setup', 'measure', 'figure'];
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

if (flag('serve')) {
  // A child: one relay with the options given as JSON, its address on stdout.
  const options = JSON.parse(option('serve') ?? '{}') as RelayOptions;
  const relay = await startRelay({ ...options, host: HOST, port: 0 });
  process.stdout.write(`${relay.url}\n`);
  process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)));
} else {
  await main();
}
