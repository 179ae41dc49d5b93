import { servePageDuties } from '../platform/pageDuties';
import { secretBox } from '../platform/secrets';
import { LarderDB, type SelfRow } from '../storage/db';
import { KeySealer } from '../storage/sealedKey';
import type { SecretBox } from '../platform/secrets';
import { PortHost } from '../storage/hostPort';
import { allowSyncServers } from '../sync/connectPolicy';
import { answers as serverAnswers } from './lazyScreen';
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
  /** Its script ran: it takes its ports. */
  | { ready: true }
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
  if (failedInThisTab()) return false;
  if (typeof Worker === 'undefined' || typeof MessageChannel === 'undefined') return false;
  if (typeof RTCPeerConnection === 'undefined') return false;
  // The probe makes a peer connection (17-21 ms of the page's start, profiled): its answer is kept for this
  // browser's version, and asked again when the browser changes.
  const known = rememberedProbe();
  if (known !== null) return known;
  const can = channelsMoveToWorkers();
  rememberProbe(can);
  return can;
}

/** Whether a data channel can be handed to a Worker here (probed: a transfer throws where it cannot). */
function channelsMoveToWorkers(): boolean {
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

/** Where the probe's answer is kept, with the browser it was asked in (`navigator.userAgent`). */
export const PROBE_KEY = 'larder.channelsMoveToWorkers';

function rememberedProbe(): boolean | null {
  try {
    const kept = localStorage.getItem(PROBE_KEY);
    if (!kept) return null;
    const { browser, can } = JSON.parse(kept) as { browser?: unknown; can?: unknown };
    return browser === navigator.userAgent && typeof can === 'boolean' ? can : null;
  } catch {
    return null;
  }
}

function rememberProbe(can: boolean): void {
  try {
    localStorage.setItem(PROBE_KEY, JSON.stringify({ browser: navigator.userAgent, can }));
  } catch {
    // No local storage (a private window may refuse it): probed again at the next start.
  }
}

/** Whether this tab's Worker failed after the app had its store (`openDeviceWorker`). */
function failedInThisTab(): boolean {
  try {
    return sessionStorage.getItem(STORE_ON_PAGE_AFTER_FAILURE) !== null;
  } catch {
    return false;
  }
}

export interface DeviceWorker {
  host: PortHost;
  sync: SyncPort;
  /** The store's parts and sync's code, loaded in the Worker (after the first view, as on the page). */
  loadTheRest(): Promise<void>;
  close(): void;
}

/**
 * Starts the device's Worker, and resolves as soon as the app can show its first screen: once the page has
 * read this device's settings itself (its own database connection, which its screens read anyway), with a
 * store whose state is that read until the Worker's comes (`PortHost.provisional`); or once the Worker has
 * opened its store, if that comes first or the page could not read them (a key sealed in a keychain the page
 * cannot open: the Worker says why). The first view no longer waits for the Worker's script to load and run
 * and for its store to open (70-170 ms at 100k entries, stop 66).
 *
 * Rejects if the Worker could not start before that (the app opens the store on the page). If it fails
 * after, once the app may already show the store, the page is opened again with its store on the page
 * (`STORE_ON_PAGE_AFTER_FAILURE`): a call made meanwhile was never answered, so no save was said to be done.
 */
export function openDeviceWorker(dbVersion: number | undefined): Promise<DeviceWorker> {
  /** The Worker, once started (`start`). */
  let worker: Worker | null = null;
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
  // The store's and sync's ports start the Worker at their first message (a command before the first view).
  const storePort = startingAtFirstMessage(channels.store.port1, start);
  const sync = new SyncPort(db, startingAtFirstMessage(channels.sync.port1, start));
  // A page hidden for good says goodbye to its peers (webrtc.ts); one kept in the back-forward cache
  // joins again when it is shown. The Worker hears no page events: they are passed on.
  let resume = false;
  addEventListener('pagehide', (event) => {
    if (!worker) return;
    resume = event.persisted && sync.status().running;
    sync.stop();
  });
  addEventListener('pageshow', () => {
    if (resume) void sync.start();
    resume = false;
  });

  let rest = 0;
  const restWaiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  /** The Worker's script has run, and has its ports. */
  let ready = false;
  /** The Worker's store is open. */
  let opened = false;
  /** Workers whose script failed while the page's server answered, since one last ran (`scriptFailed`). */
  let failedWhileAnswering = 0;
  /** The app has the store (the page's read or the Worker's state). */
  let given: PortHost | null = null;
  /** Resolved once the app can have the store (`give`); rejected if the Worker fails before (`failed`). */
  let resolveDevice: (device: DeviceWorker) => void = () => undefined;
  let rejectDevice: (error: Error) => void = () => undefined;
  const device = new Promise<DeviceWorker>((resolve, reject) => {
    resolveDevice = resolve;
    rejectDevice = reject;
  });
  const give = (host: PortHost) => {
    if (given) return;
    given = host;
    resolveDevice({
      host,
      sync,
      loadTheRest: () =>
        new Promise<void>((done, refuse) => {
          const id = ++rest;
          restWaiting.set(id, { resolve: done, reject: refuse });
          start().postMessage({ rest: id } satisfies ToDeviceWorker);
        }),
      close: () => {
        stopLending();
        worker?.postMessage({ close: true } satisfies ToDeviceWorker);
      },
    });
  };
  const failed = (error: Error) => {
    worker?.terminate();
    stopLending();
    if (!given) return rejectDevice(error);
    // The app may show the store already: every call waiting is refused, and the page opens again with
    // its store on the page. (The rest's loads wait for the reload: refused, they would be tried again.)
    given.stop(error);
    console.warn(
      'Larder: its storage stopped in its worker; the page opens again with it on the page',
      error,
    );
    storeOnPageAfterFailure(error.message);
  };
  /** Its ports, with the message that opens its store: once its script has run (`ready`). */
  const handOver = () => {
    const { store, sync: syncChannel, rtc, duties } = channels;
    const open: ToDeviceWorker = {
      open: {
        store: store.port2,
        sync: syncChannel.port2,
        rtc: rtc.port2,
        duties: duties.port2,
        dbVersion,
        hasKeychain: !!secrets,
      },
    };
    worker?.postMessage(open, [store.port2, syncChannel.port2, rtc.port2, duties.port2]);
  };
  /**
   * Its script could not be fetched or run. Before the app has the store, the app opens it on the page.
   * After, if the page's server does not answer either (away for a moment on a hub's LAN), the view stays:
   * the loads of the rest waiting for this Worker fail, and the app tries them again, each with a new
   * Worker, until one runs (its ports were never handed to this one). Reloading then would have lost the
   * page. If the server answers for a second Worker in a row, the Worker failed for another reason: the
   * page opens again with its store on the page (`failed`).
   */
  const scriptFailed = (why: string) => {
    const error = new Error(`Larder's storage could not start: ${why || 'its worker’s code did not load'}`);
    if (!given) return failed(error);
    worker?.terminate();
    worker = null;
    void serverAnswers(location.href.split('#')[0]!).then((answering) => {
      // A server answering now may just be back (the script's fetch failed a moment before its return: CI
      // saw it, and the page reopened with its store on the page for nothing): a new Worker is tried as
      // when it is away, and only a second script failing while the server answers is the Worker's own.
      if (answering && ++failedWhileAnswering > 1) return failed(error);
      for (const { reject: refuse } of restWaiting.values()) refuse(error);
      restWaiting.clear();
    });
  };
  const heard = (event: MessageEvent) => {
    const message = event.data as FromDeviceWorker;
    if ('ready' in message) {
      ready = true;
      failedWhileAnswering = 0;
      handOver();
    } else if ('mark' in message)
      performance.mark?.(message.mark, {
        startTime: Math.max(0, message.at - performance.timeOrigin),
      });
    else if ('opened' in message) {
      opened = true;
      if (given) return;
      void Promise.all([PortHost.connect(db, storePort), dbOpen]).then(([host, dbFailed]) => {
        if (dbFailed) return failed(dbFailed);
        give(host);
      });
    } else if ('openFailed' in message) failed(new Error(message.openFailed));
    else if ('restLoaded' in message) {
      restWaiting.get(message.restLoaded)?.resolve();
      restWaiting.delete(message.restLoaded);
      // The store's state reads its parts once they are in (whether it signs, its hub's name).
      given?.refresh();
    } else if ('restFailed' in message) {
      restWaiting.get(message.restFailed)?.reject(new Error(message.message));
      restWaiting.delete(message.restFailed);
    }
  };
  function start(): Worker {
    if (worker) return worker;
    const started = (worker = new Worker(new URL('./device.worker.ts', import.meta.url), {
      type: 'module',
      name: 'larder-device',
    }));
    started.addEventListener('error', (event) => {
      event.preventDefault();
      if (!ready) return scriptFailed(event.message);
      // Its script ran, but its store did not open.
      if (!opened)
        return failed(
          new Error(`Larder's storage could not start: ${event.message || 'its worker stopped'}`),
        );
      // An exception nothing caught in the Worker: it goes on running, as a page does after one.
      console.error(
        `Larder: uncaught in the device's worker: ${event.message} (${event.filename}:${event.lineno})`,
      );
    });
    started.addEventListener('message', heard);
    return started;
  }
  // This device's settings as the page reads them: the first screen is drawn from them, and the Worker
  // starts once it is painted (the app then asks for the rest: `loadTheRest`), or at the first command.
  // Started beside it, it took the cores the first view needed on a 2-core machine. Where the page cannot
  // read them, the Worker starts at once and its store says why.
  void dbOpen
    .then((dbFailed) => (dbFailed ? undefined : ownSettings(db, secrets)))
    .then((self) => {
      if (self === undefined) start();
      else if (!given) give(PortHost.provisional(db, storePort, self));
    });
  return device;
}

/** `port`, calling `first` before its first message is sent (the Worker at its other end starts then). */
function startingAtFirstMessage(port: MessagePort, first: () => void): MessagePort {
  let started = false;
  const postMessage = port.postMessage.bind(port) as (message: unknown, transfer?: Transferable[]) => void;
  return Object.assign(port, {
    postMessage(message: unknown, transfer: Transferable[] = []) {
      if (!started) {
        started = true;
        first();
      }
      postMessage(message, transfer);
    },
  });
}

/**
 * This device's settings as the page reads them from its own connection (null: not set up), their keys
 * opened as the store opens them; undefined if the page cannot (the Worker's store then tells why).
 */
async function ownSettings(db: LarderDB, secrets: SecretBox | null): Promise<SelfRow | null | undefined> {
  try {
    const row = await db.meta.get('self');
    if (row?.key !== 'self') return null;
    return await new KeySealer(secrets).open(row);
  } catch {
    return undefined;
  }
}

/** Set for this tab when its device's Worker failed after the app had its store: the page keeps it then. */
export const STORE_ON_PAGE_AFTER_FAILURE = 'larder.storeOnPage';

function storeOnPageAfterFailure(reason: string): void {
  try {
    sessionStorage.setItem(STORE_ON_PAGE_AFTER_FAILURE, reason);
  } catch {
    // No session storage: the reload tries the Worker again, and falls back before the first view if it fails.
  }
  location.reload();
}
