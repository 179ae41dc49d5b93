import Dexie from 'dexie';
import { ledgersOf } from '../../shared/doc';
import { DONATION_SOURCES } from '../../shared/entries';
import { entryId } from '../../shared/ids';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';
import { countLedgerRows } from '../../renderer/storage/ledgerRows';
import { fetchState, seedDatabase } from '../page/seed';
import { LarderStore } from '../../renderer/storage/store';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { SyncService } from '../../renderer/sync/webrtc';
import { setSyncPartBytes } from '../../renderer/sync/guardedSync';
import { prng } from '../generate';
import type { ConvergeResult, LarderSyncBench, WireStats } from './api';
import { messageForLog } from '../../shared/messages';

/**
 * The sync bench page: served on the same origin as the other bench pages, it seeds this browser
 * profile's `larder` IndexedDB and drives the real storage and sync modules (LarderStore, SyncService
 * with y-webrtc, exportSyncFile). Nothing is re-implemented; y-webrtc's sync messages go through the
 * app's guarded ingest path, as in the app build (bench/sync.ts builds this page with the same alias).
 */
let store: LarderStore | null = null;
let sync: SyncService | null = null;
let lastFile: Uint8Array | null = null;
/** Parts' size set by the runner (`--part-kb`), or null for the app's own. */
let partBytes: number | null = null;

const now = () => performance.timeOrigin + performance.now();

interface Watch {
  device: string;
  length: number;
  startedAt: number;
  docAt: number | null;
  committedAt: number | null;
  done: () => void;
  finished: Promise<void>;
  dispose: () => void;
}
let watch: Watch | null = null;

function requireStore(): LarderStore {
  if (!store) throw new Error('open() first');
  return store;
}

interface ConnDebug {
  connected: boolean;
  synced: boolean;
  closed: boolean;
  peer: { _pc?: RTCPeerConnection; _channel?: RTCDataChannel; destroyed?: boolean };
}

/** y-webrtc's view of its connections and the browser's, for a run that did not converge. */
function connections(): string {
  const room = (sync as unknown as { provider: { room: { webrtcConns: Map<string, ConnDebug> } } | null })
    .provider?.room;
  const conns = [...(room?.webrtcConns ?? new Map<string, ConnDebug>()).entries()].map(
    ([id, c]) =>
      `${id.slice(0, 6)}: connected ${c.connected}, synced ${c.synced}, closed ${c.closed}, pc ${c.peer._pc?.connectionState}/${c.peer._pc?.signalingState}, channel ${c.peer._channel?.readyState}`,
  );
  const pcs = window.__larderRtc!.pcs.map((pc) => `${pc.connectionState}/${pc.signalingState}`);
  return `y-webrtc conns [${conns.join('; ')}], peer connections since reset [${pcs.join(', ')}], sent ${JSON.stringify(window.__larderRtc!.sent)}`;
}

function settle(w: Watch) {
  if (w.docAt !== null && w.committedAt !== null) w.done();
}

/**
 * The longest wait of a 50 ms timer while watched: a page whose work pauses between short slices but lets
 * no other task run shows no long task, yet answers nothing (shared/pace.ts). Returns how to stop and read it.
 */
function watchTimer(): () => number {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 50);
    last = now;
  }, 50);
  return () => {
    clearInterval(timer);
    return Math.max(longest, performance.now() - last - 50);
  };
}

/** The long tasks `watchLongTasks` records. */
const watched: { observer: PerformanceObserver | null; tasks: number[] } = { observer: null, tasks: [] };

/**
 * The page's longest script runs while watched, from Chromium's long-animation-frame entries (each names
 * the scripts over 5 ms in a frame: what invoked them and which function), so a long task can be told
 * apart from its neighbours. Empty where the entry type is not supported.
 */
function watchScripts(): () => string[] {
  const runs: { ms: number; at: number; what: string }[] = [];
  const t0 = performance.now();
  const take = (frames: PerformanceEntryList) => {
    for (const frame of frames as unknown as LongFrame[])
      for (const s of frame.scripts ?? [])
        if (s.duration > 50)
          runs.push({
            ms: s.duration,
            at: s.startTime - t0,
            what: `${s.invoker ?? ''} -> ${s.sourceFunctionName || '(anonymous)'} (${s.sourceURL?.split('/').pop() ?? ''}:${s.sourceCharPosition ?? '?'})`,
          });
  };
  let observer: PerformanceObserver;
  try {
    observer = new PerformanceObserver((list) => take(list.getEntries()));
    observer.observe({ type: 'long-animation-frame' });
  } catch {
    return () => [];
  }
  return () => {
    take(observer.takeRecords());
    observer.disconnect();
    return runs
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 6)
      .map((r) => `${Math.round(r.ms)} ms at ${(r.at / 1000).toFixed(1)} s: ${r.what}`);
  };
}
interface LongFrame {
  scripts?: {
    duration: number;
    startTime: number;
    invoker?: string;
    sourceFunctionName?: string;
    sourceURL?: string;
    sourceCharPosition?: number;
  }[];
}

const bench: LarderSyncBench = {
  async seed(dataUrl, entries, self) {
    const { state, fetchMs } = await fetchState(dataUrl);
    const { storeMs, loadMs, rebuildMs, rebuiltEntries, rebuildProblems } = await seedDatabase(
      state,
      entries,
      self,
    );
    return {
      stateBytes: state.byteLength,
      fetchMs,
      storeMs,
      loadMs,
      rebuildMs,
      rebuiltEntries,
      rebuildProblems,
    };
  },

  async setSelf(self) {
    const db = new LarderDB();
    await db.meta.put(self);
    db.close();
  },

  async open() {
    const t = performance.now();
    store = await LarderStore.open(new LarderDB());
    await store.ready;
    const readyMs = performance.now() - t;
    sync = new SyncService(store);
    return { readyMs, nextSeq: store.self!.nextSeq };
  },

  async record(count, seed) {
    const s = requireStore();
    const items = [...s.itemsInDoc().keys()].sort();
    const rand = prng(seed);
    const perRecordMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const item = items[Math.floor(rand() * items.length)]!;
      const t = performance.now();
      if (rand() < 0.5)
        await s.recordDonation({
          lines: [{ item, quantity: String(1 + Math.floor(rand() * 12)) }],
          source: DONATION_SOURCES[Math.floor(rand() * 3)]!,
        });
      else
        await s.recordPickup({
          lines: [{ item, quantity: String(1 + Math.floor(rand() * 4)) }],
          acknowledgeBelowZero: true,
        });
      perRecordMs.push(performance.now() - t);
    }
    return { entries: count, totalMs: performance.now() - t0, perRecordMs, nextSeq: s.self!.nextSeq };
  },

  expect(device, length) {
    const s = requireStore();
    watch?.dispose();
    let done = () => undefined as void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const ledgers = ledgersOf(s.persistence.doc);
    const lastId = entryId(device, length);
    const w: Watch = {
      device,
      length,
      startedAt: NaN,
      docAt: null,
      committedAt: null,
      done,
      finished,
      dispose: () => undefined,
    };
    const onDoc = () => {
      if (w.docAt === null && (ledgers.get(device)?.length ?? 0) >= length) {
        w.docAt = now();
        settle(w);
      }
    };
    ledgers.observeDeep(onDoc);
    // The device's entries arrive in clock order: once the last one is committed, all of them are.
    const off = s.persistence.onCommitted((commit) => {
      if (w.committedAt === null && commit.entries.some((e) => e.device === device && e.seq >= length)) {
        w.committedAt = now();
        settle(w);
      }
    });
    w.dispose = () => {
      ledgers.unobserveDeep(onDoc);
      off();
    };
    watch = w;
    if ((ledgers.get(device)?.length ?? 0) >= length) throw new Error(`already holds ${lastId}`);
  },

  async startSync() {
    if (!sync || !watch) throw new Error('open() and expect() first');
    watch.startedAt = now();
    await sync.start();
    return watch.startedAt;
  },

  signalingConnected() {
    return sync?.status().signaling.some((c) => c.connected) ?? false;
  },

  async converged(timeoutMs) {
    const w = watch;
    if (!w) throw new Error('expect() first');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `not converged after ${timeoutMs} ms (doc ${w.docAt !== null}, committed ${w.committedAt !== null}, status ${JSON.stringify(sync?.status())}; ${connections()})`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([w.finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
    // The peer connection that carried the sync: the last one to connect before the entries arrived.
    const probe = window.__larderRtc!;
    const connected = probe.connectedAt.filter((t): t is number => t !== null && t <= w.docAt!);
    const result: ConvergeResult = {
      startedAt: w.startedAt,
      connectedAt: connected.length > 0 ? Math.max(...connected) : null,
      docAt: w.docAt!,
      committedAt: w.committedAt!,
      events: [
        ...probe.events,
        ['sync started', w.startedAt],
        ['doc holds the other hub’s entries', w.docAt!],
        ['committed in IndexedDB', w.committedAt!],
      ],
    };
    return result;
  },

  async debug() {
    const stats = await Promise.all(
      window.__larderRtc!.pcs.map(async (pc) => {
        const parts: string[] = [];
        (await pc.getStats()).forEach(
          (r: { type: string; messagesSent?: number; messagesReceived?: number; state?: string }) => {
            if (r.type === 'data-channel')
              parts.push(`dc ${r.state} sent ${r.messagesSent} received ${r.messagesReceived}`);
          },
        );
        return `${pc.connectionState}: ${parts.join(', ')}`;
      }),
    );
    return `${connections()}; stats [${stats.join('; ')}]`;
  },

  stopSync() {
    sync?.stop();
  },

  resetWire() {
    const probe = window.__larderRtc!;
    for (const key of Object.keys(probe.sent)) delete probe.sent[key];
    probe.pcs.length = 0;
    probe.connectedAt.length = 0;
    probe.events.length = 0;
  },

  async wire() {
    const probe = window.__larderRtc!;
    const out: WireStats = {
      sent: structuredClone(probe.sent),
      dataChannelBytesSent: 0,
      dataChannelBytesReceived: 0,
      transportBytesSent: 0,
      transportBytesReceived: 0,
      peerConnections: probe.pcs.length,
    };
    for (const pc of probe.pcs) {
      const report = await pc.getStats();
      report.forEach((s: { type: string; bytesSent?: number; bytesReceived?: number }) => {
        if (s.type === 'data-channel') {
          out.dataChannelBytesSent += s.bytesSent ?? 0;
          out.dataChannelBytesReceived += s.bytesReceived ?? 0;
        } else if (s.type === 'transport') {
          out.transportBytesSent += s.bytesSent ?? 0;
          out.transportBytesReceived += s.bytesReceived ?? 0;
        }
      });
    }
    return out;
  },

  partBytes(bytes) {
    partBytes = bytes;
    setSyncPartBytes(bytes);
  },

  async exportFile() {
    const s = requireStore();
    // In a task of its own: what page.evaluate runs synchronously is no long task to the observer (the
    // whole doc's encoding, 1.2 s at 1M, went unseen that way).
    await new Promise((resolve) => setTimeout(resolve, 0));
    const t = performance.now();
    const file = await exportSyncFile(s, partBytes ? { partBytes } : {});
    const exportMs = performance.now() - t;
    lastFile = file.bytes;
    // Format 3 lists its parts in the header; format 2 is one.
    const parts = file.bytes[11] === 3 ? (fileHeader(file.bytes).parts as number[]).length : 1;
    return { bytes: file.bytes.byteLength, entries: file.entries, exportMs, parts };
  },

  watchLongTasks() {
    watched.observer?.disconnect();
    const tasks: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push(entry.duration);
    });
    observer.observe({ type: 'longtask' });
    watched.observer = observer;
    watched.tasks = tasks;
  },

  longTasks() {
    const tasks = watched.tasks;
    return { count: tasks.length, longestMs: tasks.length ? Math.max(...tasks) : 0 };
  },

  entryCount() {
    let n = 0;
    ledgersOf(requireStore().persistence.doc).forEach((array) => (n += array.length));
    return n;
  },

  async joinOverWebrtc(self, entries, timeoutMs) {
    const db = new LarderDB();
    await db.meta.put(self);
    db.close();
    store = await LarderStore.open(new LarderDB());
    await store.ready;
    const joined = store;
    sync = new SyncService(joined);
    const doc = joined.persistence.doc;
    const tasks: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push(entry.duration);
    });
    observer.observe({ type: 'longtask' });
    const scripts = watchScripts();
    const timerWait = watchTimer();
    const countEntries = () => {
      let n = 0;
      ledgersOf(doc).forEach((array) => (n += array.length));
      return n;
    };
    let docAt: number | null = null;
    const t = performance.now();
    const allIn = new Promise<void>((resolve) => {
      const check = () => {
        if (countEntries() < entries) return;
        docAt = performance.now();
        doc.off('afterTransaction', check);
        resolve();
      };
      doc.on('afterTransaction', check);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`not all in after ${timeoutMs / 1000} s (${countEntries()} entries)`),
        timeoutMs,
      );
    });
    await sync.start();
    const failed = await Promise.race([allIn.then(() => null), timeout]);
    let figuresAt = performance.now();
    if (!failed) {
      await joined.persistence.flush();
      await joined.persistence.projected();
      figuresAt = performance.now();
    }
    clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const entry of observer.takeRecords()) tasks.push(entry.duration);
    observer.disconnect();
    return {
      ok: !failed,
      message: failed ?? 'all in',
      docMs: (docAt ?? figuresAt) - t,
      figuresMs: figuresAt - t,
      caughtUpByRebuild: joined.persistence.rebuildProgress !== null,
      // It sends a sync step 1 on connecting, then one to ask for each part after a part.
      parts: Math.max(0, (window.__larderRtc!.sent['sync step 1']?.messages ?? 1) - 1) + 1,
      longTasks: tasks.filter((d) => d > 50).length,
      longestTaskMs: Math.max(0, ...tasks),
      longestTimerWaitMs: timerWait(),
      longestScripts: scripts(),
    };
  },

  async importIntoFresh(self: SelfRow, timeoutMs: number) {
    if (!lastFile) throw new Error('exportFile() first');
    const name = 'larder-import-bench';
    await Dexie.delete(name);
    const db = new LarderDB(name);
    await db.meta.put(self);
    const fresh = await LarderStore.open(db);
    await fresh.ready;
    const tasks: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push(entry.duration);
    });
    observer.observe({ type: 'longtask' });
    const scripts = watchScripts();
    const timerWait = watchTimer();
    const t = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      importSyncFile(fresh, lastFile),
      new Promise<{ ok: false; message: string }>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, message: `not finished after ${timeoutMs / 1000} s` }),
          timeoutMs,
        );
      }),
    ]);
    clearTimeout(timer);
    const importMs = performance.now() - t;
    const caughtUpByRebuild = fresh.persistence.rebuildProgress !== null;
    // Long tasks are reported after they end: let the last one's entry arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const entry of observer.takeRecords()) tasks.push(entry.duration);
    const importTasks = tasks.splice(0);
    const importScripts = scripts();
    const importTimerWait = timerWait();
    const historyTimerWait = watchTimer();
    const historyScripts = watchScripts();
    if (result.ok) await fresh.persistence.rebuilt();
    const historyMs = performance.now() - t;
    const historyTimerWaitMs = historyTimerWait();
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const entry of observer.takeRecords()) tasks.push(entry.duration);
    observer.disconnect();
    // Read before the count below, which decodes every block in one cursor: a long script of the bench's own.
    const historyLongestScripts = historyScripts();
    const ledgerRows = result.ok ? await countLedgerRows(db) : 0;
    if (result.ok) {
      fresh.close();
      await Dexie.delete(name);
    }
    const message = typeof result.message === 'string' ? result.message : messageForLog(result.message);
    return {
      ok: result.ok,
      message,
      importMs,
      historyMs,
      caughtUpByRebuild,
      ledgerRows,
      longTasks: importTasks.length,
      longestTaskMs: Math.max(0, ...importTasks),
      historyLongTasks: tasks.length,
      historyLongestTaskMs: Math.max(0, ...tasks),
      longestTimerWaitMs: importTimerWait,
      historyLongestTimerWaitMs: historyTimerWaitMs,
      longestScripts: importScripts,
      historyLongestScripts,
    };
  },
};

/** A sync file's header (readable without the key). */
function fileHeader(bytes: Uint8Array): Record<string, unknown> {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))) as Record<string, unknown>;
}

window.larderSyncBench = bench;
document.getElementById('status')!.textContent = 'Larder sync bench page ready';
