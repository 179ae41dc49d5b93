import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { type PluginOption } from 'vite';
import { buildBenchPage } from './pages';
import * as Y from 'yjs';
import { startSignalingServer } from '../electron/signaling/server';
import type { SelfRow } from '../renderer/storage/db';
import { devicesOf, hubsOf, ledgersOf, type DeviceInfo, type HubInfo } from '../shared/doc';
import { toBase64Url } from '../shared/sync/encoding';
import { decodeEntry } from '../shared/wire';
import { CHROMIUM, CHROMIUM_ARGS, chromiumVersion } from './browser';
import { generateNetwork } from './generate';
import {
  ANALYSIS_SLOT,
  commandLine,
  label,
  markdownTable,
  ms,
  render,
  startLog,
  writeReport,
  type Row,
} from './report';
import { serve } from './server';
import { median } from './stats';
import type {
  ConvergeResult,
  ExportResult,
  ImportResult,
  JoinResult,
  RecordResult,
  SyncSeedResult,
  WireStats,
} from './sync-page/api';

/**
 * `npx tsx bench/sync.ts`: two hubs that were offline for a day (1,000 new entries each) on top of N
 * entries of shared history sync over real WebRTC between two Chromium browsers on loopback. Measures the
 * time until both have converged and the bytes exchanged, and the size of a full sync file. Prints a
 * table and writes docs/benchmarks-sync.md. It measures and reports, it never fails on a figure.
 *
 *   npx tsx bench/sync.ts                        N = 100k and 1M, 3 rounds each
 *   npx tsx bench/sync.ts --entries 1000000      one N
 *   npx tsx bench/sync.ts --rounds 5 --new 1000 --no-write --no-import
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { option, flag } = commandLine();
const sizes = (option('entries') ?? '100000,1000000').split(',').map(Number);
const ROUNDS = Number(option('rounds') ?? 3);
const NEW = Number(option('new') ?? 1000);
const write = !flag('no-write');
/**
 * Parts of at most this many kB for a sync step 2 and a sync file (the app's are 56 MiB, which only a network
 * past about 1M entries fills): measures a whole state carried in parts at a size that runs in minutes.
 */
const partKb = option('part-kb') !== undefined ? Number(option('part-kb')) : null;
/** After the rounds, a third browser with an empty database joins over WebRTC and gets the whole network from A. */
const withJoin = flag('join');
const withImport = !flag('no-import');
/** Prints y-webrtc's own log (lib0 logging) with the time each line reached the runner. */
const trace = flag('trace');
/** Writes a CPU profile of each page for the first round that converges (Chrome DevTools format). */
const profileDir = option('profile');
/** A round still apart after this long is reported as not converged (y-webrtc does not recover by itself). */
const CONVERGE_TIMEOUT_MS = 60_000;
/** After convergence, the wire is read again this much later: what follows the sync (echoes, awareness). */
const SETTLE_MS = 3_000;
const TARGET_MS = 1000;
const TARGET_BYTES = 100_000;

/** TOOLCHAIN.md: the flags under which real WebRTC connects between two browsers on loopback. */
const RTC_ARGS = [
  ...CHROMIUM_ARGS,
  '--allow-loopback-in-peer-connection',
  '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

const started = performance.now();
const loadAtStart = loadavg()[0]!;
const log = startLog();
const kB = (v: number) => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)} kB` : 'n/a');
const MB = (v: number) => `${(v / 1e6).toFixed(1)} MB`;

/**
 * y-webrtc applies peers' updates through y-protocols/sync; the app's build swaps that module for
 * renderer/sync/guardedSync.ts (vite.config.ts, `larder-guard-peer-updates`). The bench page gets the
 * same swap, so peer updates take the app's ingest path.
 */
export const guardPeerUpdates: PluginOption = {
  name: 'larder-guard-peer-updates',
  enforce: 'pre',
  resolveId(source, importer) {
    if (source === 'y-protocols/sync' && importer && /[\\/]y-webrtc[\\/]/.test(importer))
      return join(root, 'renderer', 'sync', 'guardedSync.ts');
    return null;
  },
};

/**
 * Installed before any page script: keeps every RTCPeerConnection (for getStats) and counts what each
 * RTCDataChannel.send carries, by y-webrtc message kind. A string, so no bundler helper leaks into it.
 */
const RTC_PROBE = `(() => {
  const probe = { pcs: [], connectedAt: [], sent: {}, events: [] };
  window.__larderRtc = probe;
  const event = (what) => probe.events.push([what, performance.timeOrigin + performance.now()]);
  const NativeWs = window.WebSocket;
  const Ws = function (...args) {
    const ws = new NativeWs(...args);
    event('signaling WebSocket created');
    ws.addEventListener('open', () => event('signaling WebSocket open'));
    return ws;
  };
  Ws.prototype = NativeWs.prototype;
  Object.setPrototypeOf(Ws, NativeWs);
  window.WebSocket = Ws;
  const deriveKey = crypto.subtle.deriveKey.bind(crypto.subtle);
  crypto.subtle.deriveKey = (...args) => {
    event('deriveKey (' + args[0].name + ') start');
    return deriveKey(...args).finally(() => event('deriveKey (' + args[0].name + ') done'));
  };
  const Native = window.RTCPeerConnection;
  const Wrapped = function (...args) {
    const pc = new Native(...args);
    event('RTCPeerConnection created');
    const i = probe.pcs.push(pc) - 1;
    probe.connectedAt.push(null);
    pc.addEventListener('connectionstatechange', () => {
      event('RTCPeerConnection ' + pc.connectionState);
      if (pc.connectionState === 'connected' && probe.pcs[i] === pc && probe.connectedAt[i] === null)
        probe.connectedAt[i] = performance.timeOrigin + performance.now();
    });
    return pc;
  };
  Wrapped.prototype = Native.prototype;
  Object.setPrototypeOf(Wrapped, Native);
  window.RTCPeerConnection = Wrapped;
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    let bytes = 0, b0 = -1, b1 = -1;
    if (typeof data === 'string') bytes = new TextEncoder().encode(data).length;
    else if (data instanceof Blob) bytes = data.size;
    else {
      const u = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      bytes = u.length; b0 = u[0]; b1 = u[1];
    }
    const kind = b0 === 0 ? (b1 === 0 ? 'sync step 1' : b1 === 1 || b1 === 3 ? 'sync step 2' : b1 === 2 || b1 === 4 ? 'sync update' : 'other')
      : b0 === 1 ? 'awareness' : b0 === 3 ? 'query awareness' : 'other';
    event('data channel send: ' + kind + ', ' + bytes + ' bytes');
    const c = probe.sent[kind] || (probe.sent[kind] = { messages: 0, bytes: 0 });
    c.messages += 1;
    c.bytes += bytes;
    return send.call(this, data);
  };
})();`;

const launchRtc = (dir: string): Promise<BrowserContext> =>
  chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: RTC_ARGS,
    // With no STUN server, WebRTC offers host candidates only to a page holding a media permission.
    permissions: ['microphone'],
  });

/** Starts V8's sampling profiler on `page`, a sample every `intervalUs` microseconds (`--profile`). */
async function startProfiler(page: Page, intervalUs: number): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
  return cdp;
}

/** Stops the profiler and writes its profile to `name` in the `--profile` folder. */
async function saveProfile(cdp: CDPSession, name: string): Promise<void> {
  const { profile } = await cdp.send('Profiler.stop');
  await mkdir(profileDir!, { recursive: true });
  const file = join(profileDir!, name);
  await writeFile(file, JSON.stringify(profile));
  await cdp.detach();
  log(`    wrote ${file}`);
}

async function benchPage(context: BrowserContext, origin: string, name: string): Promise<Page> {
  await context.addInitScript({ content: RTC_PROBE });
  if (trace) await context.addInitScript({ content: `localStorage.setItem('log', 'y-webrtc');` });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => log(`  [${name} page error] ${e.message}`));
  page.on('console', (m) => {
    if (/Failed to load resource.*404/.test(m.text())) return; // the favicon
    if (trace && m.type() === 'log') log(`  [${name}] ${m.text().replace(/%c/g, '').slice(0, 160)}`);
    if (m.type() === 'error' || m.type() === 'warning') log(`  [${name} console.${m.type()}] ${m.text()}`);
  });
  await page.goto(`${origin}/sync-bench/`);
  await page.waitForFunction(() => window.larderSyncBench !== undefined);
  return page;
}

/** A TCP relay in front of the signaling server that counts the bytes in each direction. */
async function countingProxy(target: number) {
  let up = 0;
  let down = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    upstream.connect(target, '127.0.0.1');
    client.on('data', (d: Buffer) => {
      up += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      down += d.length;
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reset: () => {
      up = 0;
      down = 0;
    },
    bytes: () => ({ up, down }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Device {
  hubId: string;
  deviceId: string;
  deviceName: string;
  nextSeq: number;
}

/** The first ("front desk") device of the hub named `hubName`, and the sequence number it continues with. */
function deviceOf(doc: Y.Doc, hubName: string): Device {
  let hubId: string | undefined;
  hubsOf(doc).forEach((v, k) => {
    if ((v as HubInfo).name === hubName) hubId = k;
  });
  if (!hubId) throw new Error(`no hub ${hubName}`);
  let found: Device | undefined;
  devicesOf(doc).forEach((v, k) => {
    const d = v as DeviceInfo;
    if (d.hub === hubId && d.name.endsWith('front desk')) {
      const ledger = ledgersOf(doc).get(k);
      const length = ledger?.length ?? 0;
      const last = length > 0 ? decodeEntry(ledger!.get(length - 1), k) : null;
      if (last && (!last.ok || last.entry.seq !== length)) throw new Error(`ledger of ${k} is not 1..n`);
      found = { hubId: hubId!, deviceId: k, deviceName: d.name, nextSeq: length + 1 };
    }
  });
  if (!found) throw new Error(`no front desk device at ${hubName}`);
  return found;
}

type Mode = 'staggered' | 'together';

interface Failed {
  round: number;
  mode: Mode;
  /** Each page's view of its connections when the round timed out. */
  a: string;
  b: string;
}

interface Round {
  index: number;
  mode: Mode;
  record: [RecordResult, RecordResult];
  converge: [ConvergeResult, ConvergeResult];
  /** Read just after both converged, and again SETTLE_MS later. */
  wireAtConverged: [WireStats, WireStats];
  wireSettled: [WireStats, WireStats];
  signalingAtConverged: { up: number; down: number };
  signalingSettled: { up: number; down: number };
}

interface SizeResult {
  n: number;
  stateBytes: number;
  generateMs: number;
  seed: SyncSeedResult;
  copyMs: number;
  readyMs: [number, number];
  rounds: Round[];
  failed: Failed[];
  file: ExportResult | null;
  importResult: ImportResult | null;
  runMs: number;
}

/**
 * From the moment the second hub starts sync (B, when A is already online; the earlier of the two when
 * they start together) to the later of the two hubs' moments.
 */
const startOf = (r: Round) =>
  r.mode === 'staggered'
    ? r.converge[1].startedAt
    : Math.min(r.converge[0].startedAt, r.converge[1].startedAt);
const convergedMs = (r: Round, at: 'docAt' | 'committedAt') =>
  Math.max(r.converge[0][at], r.converge[1][at]) - startOf(r);
const connectedMs = (r: Round) => {
  const [a, b] = r.converge;
  if (a.connectedAt === null || b.connectedAt === null) return NaN;
  return Math.max(a.connectedAt, b.connectedAt) - startOf(r);
};
const dcBytes = (w: [WireStats, WireStats]) => w[0].dataChannelBytesSent + w[1].dataChannelBytesSent;
const transportBytes = (w: [WireStats, WireStats]) => w[0].transportBytesSent + w[1].transportBytesSent;
const signalingBytes = (s: { up: number; down: number }) => s.up + s.down;
const sentKind = (w: [WireStats, WireStats], kind: string) =>
  (w[0].sent[kind]?.bytes ?? 0) + (w[1].sent[kind]?.bytes ?? 0);
const sentCount = (w: [WireStats, WireStats], kind: string) =>
  (w[0].sent[kind]?.messages ?? 0) + (w[1].sent[kind]?.messages ?? 0);
const KINDS = ['sync step 1', 'sync step 2', 'sync update', 'awareness', 'query awareness', 'other'];

async function measure(
  n: number,
  origin: string,
  dataDir: string,
  proxy: Awaited<ReturnType<typeof countingProxy>>,
): Promise<SizeResult> {
  const t0 = performance.now();
  log(`N=${label(n)}: generating the shared history in Node`);
  let t = performance.now();
  const net = generateNetwork(n);
  const generateMs = performance.now() - t;
  const state = Y.encodeStateAsUpdate(net.doc);
  const devA = deviceOf(net.doc, 'Hub 1');
  const devB = deviceOf(net.doc, 'Hub 2');
  net.doc.destroy();
  const file = `state-${n}.bin`;
  await writeFile(join(dataDir, file), state);
  log(`  ${ms(generateMs)}, ${MB(state.byteLength)}; A = ${devA.deviceName}, B = ${devB.deviceName}`);
  const selfOf = (d: Device): SelfRow => ({
    key: 'self',
    networkId: net.networkId,
    networkKey: toBase64Url(net.networkKey),
    signaling: [proxy.url],
    role: 'hub',
    hubId: d.hubId,
    deviceId: d.deviceId,
    deviceName: d.deviceName,
    nextSeq: d.nextSeq,
  });

  const dirA = await mkdtemp(join(tmpdir(), `larder-sync-a-${n}-`));
  const dirB = await mkdtemp(join(tmpdir(), `larder-sync-b-${n}-`));
  const contexts: BrowserContext[] = [];
  try {
    // Seed A as the app stores a network (update row, self row, projections), then copy the profile for
    // B: the same history byte for byte, without a second rebuild. B's self row then names B.
    log('  seeding profile A in Chromium (store, load, rebuild)…');
    let ctx = await launchRtc(dirA);
    let page = await benchPage(ctx, origin, 'A');
    const seed = await page.evaluate(
      ([url, entries, self]) => window.larderSyncBench!.seed(url, entries, self),
      [`${origin}/sync-data/${file}`, n, selfOf(devA)] as const,
    );
    await ctx.close();
    log(`  seeded: load ${ms(seed.loadMs)}, rebuild ${ms(seed.rebuildMs)} (${seed.rebuiltEntries} entries)`);
    t = performance.now();
    await rm(dirB, { recursive: true, force: true });
    await cp(dirA, dirB, { recursive: true });
    ctx = await launchRtc(dirB);
    page = await benchPage(ctx, origin, 'B');
    await page.evaluate((self) => window.larderSyncBench!.setSelf(self), selfOf(devB));
    await ctx.close();
    const copyMs = performance.now() - t;

    // Both browsers started afresh, as two hubs start the app in the morning.
    const ctxA = await launchRtc(dirA);
    contexts.push(ctxA);
    const ctxB = await launchRtc(dirB);
    contexts.push(ctxB);
    const pageA = await benchPage(ctxA, origin, 'A');
    const pageB = await benchPage(ctxB, origin, 'B');
    const pages = [pageA, pageB] as const;
    const both = <T>(f: (p: Page, i: number) => Promise<T>) =>
      Promise.all([f(pageA, 0), f(pageB, 1)]) as Promise<[T, T]>;
    if (partKb !== null)
      await both((p) => p.evaluate((bytes) => window.larderSyncBench!.partBytes(bytes), partKb * 1024));
    const opened = await both((p) => p.evaluate(() => window.larderSyncBench!.open()));
    log(`  both opened: store.ready A ${ms(opened[0].readyMs)}, B ${ms(opened[1].readyMs)}`);

    const sleep = (delay: number) => new Promise((resolve) => setTimeout(resolve, delay));
    const untilSignaling = async (p: Page) => {
      const deadline = Date.now() + 10_000;
      while (!(await p.evaluate(() => window.larderSyncBench!.signalingConnected())) && Date.now() < deadline)
        await sleep(20);
    };
    const rounds: Round[] = [];
    const failed: Failed[] = [];
    for (let r = 0; r < 2 * ROUNDS; r++) {
      // Alternately: A already online when B comes online (the usual case), and both at the same instant.
      const mode: Mode = r % 2 === 0 ? 'staggered' : 'together';
      log(`  round ${r + 1}/${2 * ROUNDS} (${mode}): each hub records ${NEW} entries offline…`);
      const record = await both((p, i) =>
        p.evaluate(([count, seed]) => window.larderSyncBench!.record(count, seed), [
          NEW,
          1000 * r + i,
        ] as const),
      );
      log(
        `    recorded: A ${ms(record[0].totalMs)} (median ${ms(median(record[0].perRecordMs))} each), B ${ms(record[1].totalMs)} (median ${ms(median(record[1].perRecordMs))})`,
      );
      const expectOf = [
        { device: devB.deviceId, length: record[1].nextSeq - 1 },
        { device: devA.deviceId, length: record[0].nextSeq - 1 },
      ];
      await both((p, i) =>
        p.evaluate(([device, length]) => window.larderSyncBench!.expect(device, length), [
          expectOf[i]!.device,
          expectOf[i]!.length,
        ] as const),
      );
      await both((p) => p.evaluate(() => window.larderSyncBench!.resetWire()));
      proxy.reset();
      const profiling = profileDir && rounds.length === 0 ? await both((p) => startProfiler(p, 200)) : null;
      if (mode === 'together') await both((p) => p.evaluate(() => window.larderSyncBench!.startSync()));
      else {
        // A is online (signaling connected, alone in the room) before B starts.
        await pageA.evaluate(() => window.larderSyncBench!.startSync());
        await untilSignaling(pageA);
        await sleep(500);
        await pageB.evaluate(() => window.larderSyncBench!.startSync());
      }
      let converge: [ConvergeResult, ConvergeResult];
      try {
        converge = await both((p) =>
          p.evaluate((timeout) => window.larderSyncBench!.converged(timeout), CONVERGE_TIMEOUT_MS),
        );
      } catch (error) {
        const [a, b] = await both((p) => p.evaluate(() => window.larderSyncBench!.debug()));
        const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        failed.push({ round: r + 1, mode, a, b });
        if (profiling) for (const cdp of profiling) await cdp.detach();
        log(`    DID NOT CONVERGE within ${CONVERGE_TIMEOUT_MS / 1000} s: ${message.slice(0, 200)}`);
        log(`    A: ${a}`);
        log(`    B: ${b}`);
        // Not measured: stop both and bring them together again, one after the other, before going on.
        for (let attempt = 1; ; attempt++) {
          await both((p) => p.evaluate(() => window.larderSyncBench!.stopSync()));
          await sleep(1000);
          await pageA.evaluate(() => window.larderSyncBench!.startSync());
          await untilSignaling(pageA);
          await sleep(500);
          await pageB.evaluate(() => window.larderSyncBench!.startSync());
          const ok = await both((p) =>
            p.evaluate((timeout) => window.larderSyncBench!.converged(timeout), CONVERGE_TIMEOUT_MS),
          ).then(
            () => true,
            () => false,
          );
          log(`    recovery attempt ${attempt}: ${ok ? 'converged' : 'did not converge'}`);
          if (ok) break;
          if (attempt === 3) throw new Error('the two hubs did not converge after 3 restarts of sync');
        }
        await both((p) => p.evaluate(() => window.larderSyncBench!.stopSync()));
        await sleep(1000);
        continue;
      }
      if (profiling) {
        await Promise.all(
          profiling.map((cdp, i) => saveProfile(cdp, `sync-${label(n)}-${i === 0 ? 'A' : 'B'}.cpuprofile`)),
        );
      }
      const wireAtConverged = await both((p) => p.evaluate(() => window.larderSyncBench!.wire()));
      const signalingAtConverged = proxy.bytes();
      await sleep(SETTLE_MS);
      const wireSettled = await both((p) => p.evaluate(() => window.larderSyncBench!.wire()));
      const signalingSettled = proxy.bytes();
      await both((p) => p.evaluate(() => window.larderSyncBench!.stopSync()));
      const round: Round = {
        index: r + 1,
        mode,
        record,
        converge,
        wireAtConverged,
        wireSettled,
        signalingAtConverged,
        signalingSettled,
      };
      rounds.push(round);
      if (trace) {
        const t0 = startOf(round);
        const events = [
          ...converge[0].events.map(([what, at]) => [`A ${what}`, at] as const),
          ...converge[1].events.map(([what, at]) => [`B ${what}`, at] as const),
        ].sort((x, y) => x[1] - y[1]);
        for (const [what, at] of events) log(`      ${(at - t0).toFixed(0).padStart(6)} ms  ${what}`);
      }
      log(
        `    converged (committed on both) ${ms(convergedMs(round, 'committedAt'))}, docs ${ms(convergedMs(round, 'docAt'))}, connected ${ms(connectedMs(round))}; data channels ${kB(dcBytes(wireSettled))}, transport ${kB(transportBytes(wireSettled))}, signaling ${kB(signalingBytes(signalingSettled))}; peer connections ${wireSettled[0].peerConnections}/${wireSettled[1].peerConnections}`,
      );
      // Let the peer connections close before the next round.
      await sleep(1000);
    }

    let joinResult: JoinResult | null = null;
    let answeringTasks: { count: number; longestMs: number } | null = null;
    if (withJoin) {
      log(
        '  a new device (an empty database, a third browser) joins over WebRTC and gets the network from A…',
      );
      const total = await pageA.evaluate(() => window.larderSyncBench!.entryCount());
      const dirC = await mkdtemp(join(tmpdir(), `larder-sync-c-${n}-`));
      const ctxC = await launchRtc(dirC);
      contexts.push(ctxC);
      const pageC = await benchPage(ctxC, origin, 'C');
      if (partKb !== null)
        await pageC.evaluate((bytes) => window.larderSyncBench!.partBytes(bytes), partKb * 1024);
      await pageA.evaluate(() => window.larderSyncBench!.startSync());
      // The answering hub's page while it answers: a hub's desk when a coordinator's new laptop joins.
      await pageA.evaluate(() => window.larderSyncBench!.watchLongTasks());
      const profilers = profileDir
        ? await Promise.all([pageA, pageC].map((p) => startProfiler(p, 1000)))
        : null;
      const joinedC: SelfRow = {
        key: 'self',
        networkId: net.networkId,
        networkKey: toBase64Url(net.networkKey),
        signaling: [proxy.url],
        role: 'coordinator',
        hubId: null,
        deviceId: 'benchjoin001',
        deviceName: 'Join bench',
        nextSeq: 1,
      };
      joinResult = await pageC.evaluate(
        ([self, entries, timeout]) => window.larderSyncBench!.joinOverWebrtc(self, entries, timeout),
        [joinedC, total, Number(option('join-timeout') ?? 900) * 1000] as const,
      );
      if (!joinResult.ok) log(`    ${await pageC.evaluate(() => window.larderSyncBench!.debug())}`);
      answeringTasks = await pageA.evaluate(() => window.larderSyncBench!.longTasks());
      if (profilers)
        for (const [i, cdp] of profilers.entries())
          await saveProfile(cdp, `join-${i === 0 ? 'answering' : 'joining'}-${label(n)}.cpuprofile`);
      log(
        `    the answering page (A): long tasks ${answeringTasks.count}, longest ${ms(answeringTasks.longestMs)}`,
      );
      log(
        `    ${joinResult.ok ? 'figures right' : 'FAILED'} after ${ms(joinResult.figuresMs)} (all ${total} entries in the doc after ${ms(joinResult.docMs)}${joinResult.caughtUpByRebuild ? ', caught up by a rebuild' : ''}; ${joinResult.parts} sync step${joinResult.parts === 1 ? '' : 's'} 2): ${joinResult.message}; page long tasks ${joinResult.longTasks}, longest ${ms(joinResult.longestTaskMs)}, a 50 ms timer waited at most ${ms(joinResult.longestTimerWaitMs)}`,
      );
      for (const line of joinResult.longestScripts) log(`      long script: ${line}`);
      await pageA.evaluate(() => window.larderSyncBench!.stopSync());
      await ctxC.close();
      contexts.splice(contexts.indexOf(ctxC), 1);
      await rm(dirC, { recursive: true, force: true });
    }

    log('  exporting a full sync file on A…');
    await pages[0].evaluate(() => window.larderSyncBench!.watchLongTasks());
    const fileResult = await pages[0].evaluate(() => window.larderSyncBench!.exportFile());
    const exportTasks = await pages[0].evaluate(() => window.larderSyncBench!.longTasks());
    log(
      `    ${MB(fileResult.bytes)} in ${ms(fileResult.exportMs)} (${fileResult.entries} entries, ${fileResult.parts} part${fileResult.parts === 1 ? '' : 's'}); long tasks ${exportTasks.count}, longest ${ms(exportTasks.longestMs)}`,
    );
    let importResult: ImportResult | null = null;
    if (withImport) {
      log('  importing it into an empty database of a joined device (in page A)…');
      const joined: SelfRow = {
        key: 'self',
        networkId: net.networkId,
        networkKey: toBase64Url(net.networkKey),
        signaling: [],
        role: 'coordinator',
        hubId: null,
        deviceId: 'benchimport1',
        deviceName: 'Import bench',
        nextSeq: 1,
      };
      const cdp = profileDir ? await startProfiler(pages[0], 1000) : null;
      importResult = await pages[0].evaluate(
        ([self, timeout]) => window.larderSyncBench!.importIntoFresh(self, timeout),
        [joined, 900_000] as const,
      );
      if (cdp) await saveProfile(cdp, `import-${label(n)}.cpuprofile`);
      log(
        `    ${importResult.ok ? 'figures right' : 'FAILED'} after ${ms(importResult.importMs)}${importResult.caughtUpByRebuild ? ' (caught up by a rebuild)' : ''}: ${importResult.message}; page long tasks ${importResult.longTasks}, longest ${ms(importResult.longestTaskMs)}, a 50 ms timer waited at most ${ms(importResult.longestTimerWaitMs)}; history written after ${ms(importResult.historyMs)}, long tasks meanwhile ${importResult.historyLongTasks}, longest ${ms(importResult.historyLongestTaskMs)}, timer waited at most ${ms(importResult.historyLongestTimerWaitMs)}`,
      );
      for (const line of importResult.longestScripts) log(`      long script (import): ${line}`);
      for (const line of importResult.historyLongestScripts) log(`      long script (history): ${line}`);
    }
    return {
      n,
      stateBytes: state.byteLength,
      generateMs,
      seed,
      copyMs,
      readyMs: [opened[0].readyMs, opened[1].readyMs],
      rounds,
      failed,
      file: fileResult,
      importResult,
      runMs: performance.now() - t0,
    };
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
    await rm(join(dataDir, file), { force: true });
  }
}

function table(results: Map<number, SizeResult>): Row[] {
  const per = (f: (r: SizeResult) => string) => sizes.map((n) => (results.has(n) ? f(results.get(n)!) : '—'));
  const check = (f: (r: SizeResult) => boolean) =>
    sizes.map((n) => (results.has(n) ? f(results.get(n)!) : null));
  const rounds = (r: SizeResult, f: (round: Round) => number) => r.rounds.map(f);
  // Bytes: every converged round (how the two started does not change what they exchange).
  const spread = (values: number[], fmt: (v: number) => string) =>
    values.length > 1
      ? `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`
      : fmt(values[0] ?? NaN);
  const rows: Row[] = [
    { metric: 'Shared history: doc state (Yjs V1)', values: per((r) => MB(r.stateBytes)), target: '—' },
    {
      metric: `Record ${NEW} entries offline, one at a time (A / B, round 1)`,
      values: per((r) => `${ms(r.rounds[0]!.record[0].totalMs)} / ${ms(r.rounds[0]!.record[1].totalMs)}`),
      target: '—',
    },
    ...(['staggered', 'together'] as const).flatMap((mode): Row[] => {
      const of = (r: SizeResult) => r.rounds.filter((x) => x.mode === mode);
      const name = mode === 'staggered' ? 'A online, then B starts' : 'both start at once';
      const n = (r: SizeResult) => `${of(r).length} of ${ROUNDS}`;
      return [
        {
          metric: `Time to converge, committed on both: ${name} (median, range; rounds)`,
          values: per(
            (r) =>
              `${spread(
                of(r).map((x) => convergedMs(x, 'committedAt')),
                ms,
              )}; ${n(r)}`,
          ),
          target: '< 1 s',
          met: check((r) => median(of(r).map((x) => convergedMs(x, 'committedAt'))) < TARGET_MS),
        },
        {
          metric: `… until both docs hold the other’s entries: ${name}`,
          values: per((r) =>
            spread(
              of(r).map((x) => convergedMs(x, 'docAt')),
              ms,
            ),
          ),
          target: '< 1 s',
          met: check((r) => median(of(r).map((x) => convergedMs(x, 'docAt'))) < TARGET_MS),
        },
        {
          metric: `… until the peer connection is up: ${name}`,
          values: per((r) => spread(of(r).map(connectedMs), ms)),
          target: '—',
        },
      ];
    }),
    {
      metric: `Rounds not converged within ${CONVERGE_TIMEOUT_MS / 1000} s (staggered / together)`,
      values: per(
        (r) =>
          `${r.failed.filter((f) => f.mode === 'staggered').length} / ${r.failed.filter((f) => f.mode === 'together').length} of ${ROUNDS} / ${ROUNDS}`,
      ),
      target: '0',
      met: check((r) => r.failed.length === 0),
    },
    {
      metric: 'Bytes over the data channels, both ways (payload)',
      values: per((r) =>
        spread(
          rounds(r, (x) => dcBytes(x.wireSettled)),
          kB,
        ),
      ),
      target: '< 100 kB',
      met: check((r) => median(rounds(r, (x) => dcBytes(x.wireSettled))) < TARGET_BYTES),
    },
    ...KINDS.map((kind) => ({
      metric: `… ${kind} (messages, bytes)`,
      values: per((r) => {
        const last = r.rounds[r.rounds.length - 1]!.wireSettled;
        return `${sentCount(last, kind)}, ${kB(sentKind(last, kind))}`;
      }),
      target: '—',
    })),
    {
      metric: 'Bytes on the loopback socket (DTLS/SCTP, ICE transport)',
      values: per((r) =>
        spread(
          rounds(r, (x) => transportBytes(x.wireSettled)),
          kB,
        ),
      ),
      target: '—',
    },
    {
      metric: 'Signaling bytes (WebSocket, both ways, via the relay)',
      values: per((r) =>
        spread(
          rounds(r, (x) => signalingBytes(x.signalingSettled)),
          kB,
        ),
      ),
      target: '—',
    },
    {
      metric: 'Everything: transport + signaling',
      values: per((r) =>
        spread(
          rounds(r, (x) => transportBytes(x.wireSettled) + signalingBytes(x.signalingSettled)),
          kB,
        ),
      ),
      target: '< 100 kB',
      met: check(
        (r) =>
          median(rounds(r, (x) => transportBytes(x.wireSettled) + signalingBytes(x.signalingSettled))) <
          TARGET_BYTES,
      ),
    },
    {
      metric: 'Full sync file (exportSyncFile)',
      values: per((r) => (r.file ? MB(r.file.bytes) : 'n/a')),
      target: '—',
    },
    { metric: '… export time', values: per((r) => (r.file ? ms(r.file.exportMs) : 'n/a')), target: '—' },
    {
      metric: '… import into an empty device (importSyncFile): figures right',
      values: per((r) =>
        r.importResult ? (r.importResult.ok ? ms(r.importResult.importMs) : 'not finished') : 'not run',
      ),
      target: '—',
    },
    {
      metric: '… its longest main-thread task (and how many over 50 ms)',
      values: per((r) =>
        r.importResult?.ok ? `${ms(r.importResult.longestTaskMs)} (${r.importResult.longTasks})` : 'n/a',
      ),
      target: '< 50 ms',
    },
    {
      metric: '… until its history is written too (saves go on meanwhile)',
      values: per((r) => (r.importResult?.ok ? ms(r.importResult.historyMs) : 'n/a')),
      target: '—',
    },
    {
      metric: '… longest main-thread task while the history is written (how many over 50 ms)',
      values: per((r) =>
        r.importResult?.ok
          ? `${ms(r.importResult.historyLongestTaskMs)} (${r.importResult.historyLongTasks})`
          : 'n/a',
      ),
      target: '< 50 ms',
    },
  ];
  return rows;
}

function details(results: Map<number, SizeResult>): string {
  return [...results.values()]
    .map((r) => {
      const lines = r.rounds.map((x) => {
        const kinds = KINDS.filter((k) => sentCount(x.wireSettled, k) > 0)
          .map((k) => `${k} ${sentCount(x.wireSettled, k)} × = ${kB(sentKind(x.wireSettled, k))}`)
          .join(', ');
        return `  - round ${x.index} (${x.mode}): committed on both ${ms(convergedMs(x, 'committedAt'))}, docs ${ms(convergedMs(x, 'docAt'))}, peer connected ${ms(connectedMs(x))}; data channels ${kB(dcBytes(x.wireAtConverged))} at convergence, ${kB(dcBytes(x.wireSettled))} ${SETTLE_MS / 1000} s later (${kinds}); transport ${kB(transportBytes(x.wireSettled))}; signaling ${kB(signalingBytes(x.signalingSettled))} (${kB(x.signalingSettled.up)} to the server, ${kB(x.signalingSettled.down)} from it); peer connections made A ${x.wireSettled[0].peerConnections}, B ${x.wireSettled[1].peerConnections}; recording ${NEW} entries took A ${ms(x.record[0].totalMs)}, B ${ms(x.record[1].totalMs)} (median ${ms(median(x.record[0].perRecordMs))} / ${ms(median(x.record[1].perRecordMs))} per record)`;
      });
      const imp = r.importResult
        ? `; import into an empty device: ${r.importResult.ok ? `figures right after ${ms(r.importResult.importMs)}${r.importResult.caughtUpByRebuild ? ' (caught up by a rebuild)' : ''}, history after ${ms(r.importResult.historyMs)}, ${r.importResult.ledgerRows.toLocaleString('en')} ledger rows, longest main-thread task ${ms(r.importResult.longestTaskMs)} (${r.importResult.longTasks} over 50 ms), while the history was written ${ms(r.importResult.historyLongestTaskMs)} (${r.importResult.historyLongTasks})` : `did not finish (${r.importResult.message})`}`
        : '';
      const failed = r.failed.map(
        (f) =>
          `  - round ${f.round} (${f.mode}) did not converge within ${CONVERGE_TIMEOUT_MS / 1000} s; A: ${f.a}; B: ${f.b}`,
      );
      lines.push(...failed);
      lines.sort((x, y) => Number(/round (\d+)/.exec(x)![1]) - Number(/round (\d+)/.exec(y)![1]));
      return `- N=${label(r.n)} (run time ${ms(r.runMs)}): generate in Node ${ms(r.generateMs)}; seed profile A: load ${ms(r.seed.loadMs)}, rebuild ${ms(r.seed.rebuildMs)}; profile copied for B in ${ms(r.copyMs)}; store.ready A ${ms(r.readyMs[0])}, B ${ms(r.readyMs[1])}; sync file ${r.file ? `${r.file.bytes.toLocaleString('en')} bytes, ${r.file.entries?.toLocaleString('en')} entries, export ${ms(r.file.exportMs)}` : 'n/a'}${imp}.\n${lines.join('\n')}`;
    })
    .join('\n');
}

function markdown(
  rows: Row[],
  results: Map<number, SizeResult>,
  failures: Map<number, string>,
  totalS: number,
  load: string,
): string {
  const failed = [...failures].map(([n, m]) => `- N=${label(n)} did not complete: ${m}\n`).join('');
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `# Benchmarks: sync between two hubs

Generated by \`npx tsx bench/sync.ts\` on ${new Date().toISOString().slice(0, 10)} (run time ${totalS.toFixed(0)} s).
Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB RAM, Node ${process.version},
${chromiumVersion()} (headless, two browsers); ${load}. One run; other work on the machine shows up in
the figures. kB = 1,000 bytes.

**Scenario**: two hubs one day apart: each recorded ${NEW.toLocaleString('en')} entries offline on top of N entries of
shared history, then both go online; time until both have converged and bytes exchanged, over real
WebRTC in Chromium. Target: under 1 s and under 100 kB.

${markdownTable(rows, sizes)}

${failed ? `\n${failed}` : ''}
${ANALYSIS_SLOT}

## Per round

${details(results)}

## How it is measured

1. **Shared history**: \`generateNetwork(N)\` (bench/generate.ts, deterministic) in Node; its state is served to
   the bench page (\`bench/sync-page/\`, built with the app's y-webrtc → guardedSync alias), which stores it in
   profile A's \`larder\` IndexedDB as the app does after \`compact()\` (one update row, the self row, the
   projection version), then runs \`DocPersistence.load()\` and \`rebuild()\`. Profile B is a copy of profile A
   (same bytes) whose self row names another device of another hub. A = "Hub 1 front desk", B = "Hub 2 front
   desk"; both self rows name the signaling server, role \`hub\`.
2. Both browsers are started afresh (\`launchPersistentContext\`, the flags of TOOLCHAIN.md:
   allow-loopback-in-peer-connection, use-fake-ui-for-media-stream, WebRtcHideLocalIpsWithMdns off; the
   microphone permission) and \`LarderStore.open\` + \`await store.ready\` in each.
3. **Offline day**: each records ${NEW.toLocaleString('en')} one-line entries, one \`store.recordDonation\` or
   \`store.recordPickup\` at a time (about half each, random catalog items), each awaited until committed.
4. **Sync**: Larder's signaling server (\`startSignalingServer\`, 127.0.0.1, random port) behind a small TCP relay
   that counts bytes; both pages call \`new SyncService(store).start()\` (y-webrtc with the network's room and
   password, no ICE servers) at the same moment. **Time to converge** runs from the earlier \`start()\` call to
   the later of the two moments each page's watcher saw the other hub's last new entry: in the Y.Doc
   (\`ledgers\` observer) and committed in IndexedDB (\`persistence.onCommitted\`). Times are
   \`performance.timeOrigin + performance.now()\` in each page (one machine, one clock).
5. **Bytes**: an init script keeps every \`RTCPeerConnection\` and wraps \`RTCDataChannel.prototype.send\`.
   "Data channels" is the sum of \`getStats()\` \`data-channel\` \`bytesSent\` of both pages (payload only);
   the breakdown by y-webrtc message kind is from the send wrapper. "Loopback socket" is the \`transport\`
   stats' \`bytesSent\` of both pages (DTLS records carrying SCTP, plus the DTLS handshake). "Signaling"
   counts what crossed the relay both ways (HTTP upgrade, WebSocket frames; the server relays each
   publish to every subscriber, the sender included). All read ${SETTLE_MS / 1000} s after convergence. Then both stop sync
   (\`SyncService.stop()\`), and the next round records again: ${ROUNDS} rounds per N, on the same two browsers.
6. **Sync file**: \`exportSyncFile(store)\` on A after the rounds (everything: no earlier file from the
   receiver); then \`importSyncFile\` of those bytes into a second, empty database in the same page, set up
   as a device that joined the network, timed from the call until it resolved (committed and projected).

## Reproduce

\`\`\`
npx tsx bench/sync.ts                       # N = 100k and 1M, ${ROUNDS} rounds each
npx tsx bench/sync.ts --entries 1000000     # one N
npx tsx bench/sync.ts --rounds 5 --no-import --no-write
\`\`\`

Needs Chromium at \`/usr/bin/chromium\`. Everything listens on 127.0.0.1 only (static server, signaling
server, relay); the browsers use no STUN or TURN server.
`;
}

async function main() {
  log(`sizes ${sizes.map(label).join(', ')}, ${ROUNDS} rounds, ${NEW} new entries per hub per round`);
  const pageDir = join(tmpdir(), 'larder-sync-bench-page');
  // Not minified: readable names in CPU profiles, and the long scripts' positions point at readable code.
  await buildBenchPage('sync-page', '/sync-bench/', pageDir, {
    plugins: [guardPeerUpdates],
    build: { minify: false },
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'larder-sync-data-'));
  await mkdir(dataDir, { recursive: true });
  const server = await serve([
    { prefix: '/sync-bench/', dir: pageDir },
    { prefix: '/sync-data/', dir: dataDir },
  ]);
  const signaling = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const proxy = await countingProxy(signaling.port);
  const results = new Map<number, SizeResult>();
  const failures = new Map<number, string>();
  try {
    for (const n of sizes) {
      try {
        results.set(n, await measure(n, server.url, dataDir, proxy));
      } catch (error) {
        const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        failures.set(n, message);
        log(`  N=${label(n)} failed: ${message}`);
      }
    }
  } finally {
    await proxy.close();
    await signaling.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
    // Kept with --profile: the profiles' and long scripts' positions point into it.
    if (!profileDir) await rm(pageDir, { recursive: true, force: true });
  }
  const rows = table(results);
  const totalS = (performance.now() - started) / 1000;
  console.log(`\n${render(rows, sizes)}\n`);
  for (const [n, message] of failures) console.log(`N=${label(n)} failed: ${message}`);
  console.log(details(results));
  const load = `load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`;
  console.log(`\nSync bench run time: ${totalS.toFixed(0)} s (${load}, ${cpus().length} cores)`);
  if (write && results.size > 0) {
    const file = join(root, 'docs', 'benchmarks-sync.md');
    await writeReport(file, markdown(rows, results, failures, totalS, load));
    console.log('Wrote docs/benchmarks-sync.md');
  }
}

await main();
