import { pageDutiesOverPort } from '../platform/pageDuties';
import { LarderDB } from '../storage/db';
import { serveStore, type Port } from '../storage/hostPort';
import { browserDeps, LarderStore } from '../storage/store';
import { SyncControl } from '../sync/control';
import { serveSync } from '../sync/controlPort';
import { guardSockets } from '../sync/socketGuard';
import { rtcOverPort } from '../sync/rtcStandIn';
import type { FromDeviceWorker, ToDeviceWorker } from './deviceWorker';

/*
 * The device's Worker (docs/worker.md): its store (the doc, its persistence, the trust gate, the projections'
 * writes) and its sync (y-webrtc, the relay, sync files), off the page's thread and heap. The page has the
 * store and sync through ports (hostPort.ts, controlPort.ts), lends the Worker WebRTC (rtcLender.ts) and
 * does what only a page can (pageDuties.ts). Its screens read the database themselves, as before.
 */

/** What this Worker uses of its global scope (the renderer's types are the page's). */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  close(): void;
  WebSocket: typeof WebSocket;
}
const scope = self as unknown as WorkerScope;
const tell = (message: FromDeviceWorker) => scope.postMessage(message);

// Its WebSockets go only to the servers the page allowed in its policy (socketGuard.ts): none until sync
// first starts.
const sockets = guardSockets(scope);

// The store's and sync's User Timing marks (storage/marks.ts), set again on the page's timeline: profilers,
// the benchmark and the tests read them there.
if (typeof PerformanceObserver !== 'undefined')
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if (entry.name.startsWith('larder:'))
        tell({ mark: entry.name, at: performance.timeOrigin + entry.startTime });
  }).observe({ type: 'mark' });

let store: LarderStore | null = null;
let sync: SyncControl | null = null;
let syncPort: MessagePort | null = null;
let duties: ReturnType<typeof pageDutiesOverPort> | null = null;
let rtc: MessagePort | null = null;
/**
 * The store's opening. The page may ask for the rest before the message that opens the store has come (it
 * hands the ports over once this Worker says it is ready, and asks for the rest when its first view is
 * painted, whichever comes first), so the rest waits for this, not for a message already here.
 */
let opensWith: (opening: Promise<void>) => void = () => undefined;
const opening = new Promise<void>((resolve, reject) => {
  opensWith = (started) => started.then(resolve, reject);
});
// A store that did not open is told to the page as such ('openFailed'), not as an uncaught rejection.
opening.catch(() => undefined);

async function open(message: Extract<ToDeviceWorker, { open: unknown }>['open']): Promise<void> {
  duties = pageDutiesOverPort(message.duties, message.hasKeychain);
  rtc = message.rtc;
  syncPort = message.sync;
  const db = new LarderDB(undefined, message.dbVersion);
  store = await LarderStore.open(db, browserDeps, duties.secrets, { partsLater: true });
  serveStore(store, message.store as unknown as Port);
}

/** The store's parts and sync's code, once the page's first view is painted; then sync is served. */
async function loadTheRest(): Promise<void> {
  // The page may ask before the store is open: its first view is drawn from its own read (deviceWorker.ts).
  await Promise.all([LarderStore.loadParts(), SyncControl.load(), opening]);
  if (sync || !store || !duties || !rtc || !syncPort) return;
  const pageDuties = duties;
  sync = new SyncControl(store, {
    wrtc: rtcOverPort(rtc),
    allowServers: async (urls) => {
      const answer = await pageDuties.allowServers(urls);
      if (answer === 'ok') sockets.allow(urls);
      return answer;
    },
    reload: () => pageDuties.reload(),
  });
  sync.followStore();
  serveSync(sync, syncPort);
}

// Its code is in: the page hands it its ports now (one that never gets here, its script not fetched, leaves
// them with the page for the next Worker: deviceWorker.ts).
tell({ ready: true });

scope.addEventListener('message', (event: MessageEvent) => {
  const message = event.data as ToDeviceWorker;
  if ('open' in message) {
    const started = open(message.open);
    opensWith(started);
    started.then(
      () => tell({ opened: true }),
      (error: unknown) => tell({ openFailed: describe(error) }),
    );
  } else if ('rest' in message)
    loadTheRest().then(
      () => tell({ restLoaded: message.rest }),
      (error: unknown) => tell({ restFailed: message.rest, message: describe(error) }),
    );
  else if ('close' in message) {
    sync?.stop();
    store?.close();
    tell({ closed: true });
    scope.close();
  }
});

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
