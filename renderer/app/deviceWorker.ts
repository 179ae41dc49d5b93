import { servePageDuties } from '../platform/pageDuties';
import { secretBox } from '../platform/secrets';
import { LarderDB } from '../storage/db';
import { PortHost, type Port } from '../storage/hostPort';
import { allowSyncServers } from '../sync/connectPolicy';
import { SyncPort } from '../sync/controlPort';
import { lendRtc } from '../sync/rtcLender';

/*
 * The page's side of the device's Worker (device.worker.ts; docs/worker.md): starts it, hands it its ports,
 * and gives the app the store and sync as the page has them (`PortHost`, `SyncPort`).
 */

export type ToDeviceWorker =
  | {
      open: {
        store: MessagePort;
        sync: MessagePort;
        rtc: MessagePort;
        duties: MessagePort;
        dbVersion: number | undefined;
        hasKeychain: boolean;
      };
    }
  | { rest: number }
  | { close: true };

export type FromDeviceWorker =
  | { opened: true }
  | { openFailed: string }
  | { restLoaded: number }
  | { restFailed: number; message: string }
  | { closed: true }
  /** A mark the Worker set (its time on the common clock: `timeOrigin` + `startTime`). */
  | { mark: string; at: number };

/** Set in the page's address (`?store=page`) to keep the store on the page (the benches compare the two). */
export const STORE_ON_PAGE = 'page';

/**
 * Whether this page can hold its device in a Worker: module Workers, and WebRTC data channels the page can
 * hand to one (Chromium 150 has no RTCPeerConnection in a Worker; rtcLender.ts). Where either is missing, or
 * the page's address asks for it, the store stays on the page, as it was before the Worker.
 */
export function deviceWorkerPossible(): boolean {
  if (new URLSearchParams(location.search).get('store') === STORE_ON_PAGE) return false;
  if (typeof Worker === 'undefined' || typeof MessageChannel === 'undefined') return false;
  if (typeof RTCPeerConnection === 'undefined') return false;
  let pc: RTCPeerConnection | null = null;
  const { port1, port2 } = new MessageChannel();
  try {
    pc = new RTCPeerConnection({ iceServers: [] });
    const channel = pc.createDataChannel('probe');
    port1.postMessage(channel, [channel as unknown as Transferable]);
    return true;
  } catch {
    return false;
  } finally {
    pc?.close();
    port1.close();
    port2.close();
  }
}

export interface DeviceWorker {
  host: PortHost;
  sync: SyncPort;
  /** The store's parts and sync's code, loaded in the Worker (after the first view, as on the page). */
  loadTheRest(): Promise<void>;
  close(): void;
}

/** Starts the device's Worker and resolves once its store is open; rejects if it could not start. */
export function openDeviceWorker(dbVersion: number | undefined): Promise<DeviceWorker> {
  const worker = new Worker(new URL('./device.worker.ts', import.meta.url), {
    type: 'module',
    name: 'larder-device',
  });
  const post = (message: ToDeviceWorker, transfer: Transferable[] = []) =>
    worker.postMessage(message, transfer);
  const channels = {
    store: new MessageChannel(),
    sync: new MessageChannel(),
    rtc: new MessageChannel(),
    duties: new MessageChannel(),
  };
  const secrets = secretBox();
  servePageDuties(channels.duties.port1, {
    secrets,
    allowServers: allowSyncServers,
    reload: () => location.reload(),
  });
  const stopLending = lendRtc(channels.rtc.port1);
  // The page's own connection for its reads, opened beside the Worker's: the first view's early rows are
  // taken only for the database open at their version (earlyStock.ts `fits`).
  const db = new LarderDB(undefined, dbVersion);
  const dbOpen = db.open().then(
    () => null,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  const sync = new SyncPort(db, channels.sync.port1);
  const hostReady = PortHost.connect(db, channels.store.port1 as unknown as Port);
  // A page hidden for good says goodbye to its peers (webrtc.ts); one kept in the back-forward cache
  // joins again when it is shown. The Worker hears no page events: they are passed on.
  let resume = false;
  addEventListener('pagehide', (event) => {
    resume = event.persisted && sync.status().running;
    sync.stop();
  });
  addEventListener('pageshow', () => {
    if (resume) void sync.start();
    resume = false;
  });

  let rest = 0;
  const restWaiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let opened = false;
  return new Promise<DeviceWorker>((resolve, reject) => {
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      if (!opened) {
        // Its script did not load or run: no store was opened there; the app opens one on the page.
        worker.terminate();
        stopLending();
        return reject(
          new Error(`Larder's storage could not start: ${event.message || 'its worker did not run'}`),
        );
      }
      // An exception nothing caught in the Worker: it goes on running, as a page does after one.
      console.error(
        `Larder: uncaught in the device's worker: ${event.message} (${event.filename}:${event.lineno})`,
      );
    });
    worker.addEventListener('message', (event: MessageEvent) => {
      const message = event.data as FromDeviceWorker;
      if ('mark' in message)
        performance.mark?.(message.mark, {
          startTime: Math.max(0, message.at - performance.timeOrigin),
        });
      else if ('opened' in message)
        void Promise.all([hostReady, dbOpen]).then(([host, dbFailed]) => {
          if (dbFailed) {
            worker.terminate();
            return reject(dbFailed);
          }
          opened = true;
          resolve({
            host,
            sync,
            loadTheRest: () =>
              new Promise<void>((done, refuse) => {
                const id = ++rest;
                restWaiting.set(id, { resolve: done, reject: refuse });
                post({ rest: id });
              }),
            close: () => {
              stopLending();
              post({ close: true });
            },
          });
        });
      else if ('openFailed' in message) {
        reject(new Error(message.openFailed));
        worker.terminate();
      } else if ('restLoaded' in message) {
        restWaiting.get(message.restLoaded)?.resolve();
        restWaiting.delete(message.restLoaded);
        // The store's state reads its parts once they are in (whether it signs, its hub's name).
        void hostReady.then((host) => host.refresh());
      } else if ('restFailed' in message) {
        restWaiting.get(message.restFailed)?.reject(new Error(message.message));
        restWaiting.delete(message.restFailed);
      }
    });
    const { store, sync: syncChannel, rtc, duties } = channels;
    post(
      {
        open: {
          store: store.port2,
          sync: syncChannel.port2,
          rtc: rtc.port2,
          duties: duties.port2,
          dbVersion,
          hasKeychain: !!secrets,
        },
      },
      [store.port2, syncChannel.port2, rtc.port2, duties.port2],
    );
  });
}
