import { Suspense, useEffect, useState, startTransition } from 'react';
import { useTranslation } from 'react-i18next';
import { LarderDB } from '../storage/db';
import { browserDeps, LarderStore } from '../storage/store';
import type { StoreHost } from '../storage/host';
import type { SyncHandle } from '../sync/control';
import { deviceWorkerPossible, openDeviceWorker, type DeviceWorker } from './deviceWorker';
import { secretBox } from '../platform/secrets';
import { StoreContext } from './StoreContext';
import { prepareFirstScreen, Shell } from './Shell';
import { SyncControl } from '../sync/control';
import { SyncContext } from './SyncContext';
import { useFrontDesk } from './frontDesk';
import { useSelf } from '../data/self';
import { watchEarlyStock } from '../data/earlyStock';
import { watchEarlyNetwork } from '../data/networkPreview';
import { firstViewShown, useFirstView } from './firstView';
import { lazyScreen, loadTheRestAgain, loadTheRestWith } from './lazyScreen';
import { untilDone } from '../../shared/lazy';
import { ScreenBoundary } from '../components/ScreenBoundary';
import { STORE_OPEN_MARK, STORE_OPENING_MARK } from '../storage/marks';

// Shown once (setup, the hub's choice) or on front-desk devices only: loaded when shown (lazyScreen.ts).
const SetupScreen = lazyScreen(() => import('../screens/SetupScreen'), 'SetupScreen');
const HubChoiceScreen = lazyScreen(() => import('../screens/HubChoiceScreen'), 'HubChoiceScreen');
const FrontDesk = lazyScreen(() => import('./FrontDesk'), 'FrontDesk');

type Boot =
  | { state: 'opening' }
  | { state: 'other-tab' }
  | { state: 'failed'; message: string }
  | { state: 'open'; store: StoreHost; sync: SyncHandle };

/**
 * Opens this device's database. Only one tab may hold it at a time (a Web Lock), because a device's
 * sequence numbers must come from one place.
 */
export function App() {
  const { t } = useTranslation();
  const [boot, setBoot] = useState<Boot>({ state: 'opening' });
  /** The rest of the code failed to load after the first view and is being tried again. */
  const [restMissing, setRestMissing] = useState(false);

  useEffect(() => {
    /** The store and sync, on the page or in the device's Worker; how to close them. */
    let close: (() => void) | null = null;
    let cancelled = false;
    let releaseLock: () => void = () => undefined;
    const fail = (e: unknown) => {
      if (!cancelled) setBoot({ state: 'failed', message: e instanceof Error ? e.message : String(e) });
    };
    const open = async () => {
      if (navigator.storage?.persist) void navigator.storage.persist();
      prepareFirstScreen(null);
      // The stock rows or the network view's preview open-early.js may be reading: settled by the first
      // screen's first render if in time.
      watchEarlyStock();
      watchEarlyNetwork();
      performance.mark?.(STORE_OPENING_MARK);
      // The store's parts and sync's code load after the first screen (it reads the projections only).
      // The database's version as open-early.js found it, if it has: at the latest, declared whole (db.ts).
      const device = await openDevice(window.larderDbVersion);
      const { store: opened, sync: service } = device;
      close = device.close;
      if (cancelled) return close();
      performance.mark?.(STORE_OPEN_MARK);
      const firstScreen = prepareFirstScreen(opened);
      // A device not set up yet shows setup (or, joined, the hub's choice) first: their modules load now,
      // beside the store's opening, not after it.
      const self = opened.self;
      if (!self || (!self.hubId && self.role === 'hub'))
        await Promise.all([SetupScreen.preload(), HubChoiceScreen.preload()]).catch(() => undefined);
      // A first Network screen's module, if it is not here yet (Shell's prepareFirstScreen says why).
      else await firstScreen;
      // (Stopped meanwhile: the cleanup has closed the store.)
      if (cancelled) return;
      // As a transition: React renders the first screen in slices, letting the page run between them (an
      // urgent update was one task of 70-93 ms of code run for the first time, at 100k entries).
      startTransition(() => setBoot({ state: 'open', store: opened, sync: service }));
      // The ledger loads once the first screen's figures are painted (the screens read the projections
      // meanwhile: firstView.ts); a save before then starts it at once. Sync starts when it is loaded.
      // Not after an idle moment too: the rest of the rows and the other screens' modules come right after
      // the first view, and waiting for idle put sync off by up to 1.5 s each time a page opened.
      // On a hub's LAN the page's server may be away for a moment: the first view stays, says what waits,
      // and the load is tried again until it succeeds (a command or another screen may load it sooner).
      void firstViewShown()
        .then(() =>
          untilDone(() => loadTheRestAgain(), {
            stopped: () => cancelled,
            onFailure: (error) => {
              console.warn('Larder could not load the rest of its code; trying again', error);
              if (!cancelled) setRestMissing(true);
            },
          }),
        )
        .then((loaded) => {
          if (!loaded || cancelled) return;
          setRestMissing(false);
          opened.ready.catch(fail);
          if (opened.self) void service.start();
        })
        .catch(fail);
    };
    /** Holds the device lock for as long as this app is open; false if another tab holds it. */
    const tryLock = () =>
      new Promise<boolean>((granted) => {
        void navigator.locks
          .request('larder-device', { ifAvailable: true }, async (lock) => {
            if (!lock || cancelled) return granted(!!lock && !cancelled);
            granted(true);
            await open().catch(fail);
            await new Promise<void>((release) => (releaseLock = release));
          })
          .catch(fail);
      });
    const start = async () => {
      if (!navigator.locks) return open();
      // A reload (or React's development double start) may still hold the lock for a moment.
      for (let attempt = 0; attempt < 3 && !cancelled; attempt++) {
        if (await tryLock()) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      if (!cancelled) setBoot({ state: 'other-tab' });
    };
    start().catch(fail);
    return () => {
      cancelled = true;
      close?.();
      releaseLock();
    };
  }, []);

  if (boot.state === 'opening') return <p className="boot">{t('boot.opening')}</p>;
  if (boot.state === 'other-tab')
    return (
      <main className="boot">
        <h1>{t('boot.otherTabTitle')}</h1>
        <p>{t('boot.otherTabAdvice')}</p>
      </main>
    );
  if (boot.state === 'failed')
    return (
      <main className="boot" role="alert">
        <h1>{t('boot.failedTitle')}</h1>
        <p>{boot.message}</p>
      </main>
    );
  const { store, sync } = boot;
  return (
    <StoreContext.Provider value={store}>
      <SyncContext.Provider value={sync}>
        {restMissing && (
          <p className="warning rest-missing" role="alert">
            {t('boot.restMissing')}
          </p>
        )}
        {/* Setup, the hub's choice and the front desk have no boundary of their own (Shell gives each of its
            screens one): a module of theirs that cannot load says so, with a reload, not a blank window. */}
        <ScreenBoundary screen="Larder">
          <Suspense fallback={<p className="boot">{t('boot.opening')}</p>}>
            <Screens sync={sync} />
          </Suspense>
        </ScreenBoundary>
      </SyncContext.Provider>
    </StoreContext.Provider>
  );
}

interface OpenDevice {
  store: StoreHost;
  sync: SyncHandle;
  close(): void;
}

/**
 * Opens this device's store and sync: in the device's Worker where the page can hold one (deviceWorker.ts;
 * docs/worker.md), the doc's work then off the page's thread and heap; on the page otherwise, or if the
 * Worker could not start (the console says why).
 */
async function openDevice(dbVersion: number | undefined): Promise<OpenDevice> {
  let worker: DeviceWorker | null = null;
  if (deviceWorkerPossible())
    worker = await openDeviceWorker(dbVersion).catch((error: unknown) => {
      console.warn('Larder: its storage could not start in a worker; it runs on the page', error);
      return null;
    });
  if (worker) {
    const opened = worker;
    // The store's parts and sync's code load in the Worker: the page has none of the doc's code to load.
    loadTheRestWith(() => opened.loadTheRest());
    return {
      store: opened.host,
      sync: opened.sync,
      close: () => opened.close(),
    };
  }
  const db = new LarderDB(undefined, dbVersion);
  const store = await LarderStore.open(db, browserDeps, secretBox(), { partsLater: true });
  const sync = new SyncControl(store);
  sync.followStore();
  return {
    store,
    sync,
    close: () => {
      sync.stop();
      store.close();
    },
  };
}

/** Setup, then the hub choice, then the app: whichever this device's own settings call for now. */
function Screens({ sync }: { sync: SyncHandle }) {
  const self = useSelf();
  const [frontDesk] = useFrontDesk();
  const choosing = !self || (!self.hubId && self.role === 'hub');
  // Setup and the hub's choice show no figures: the ledger need not wait for them (firstView.ts).
  useFirstView(choosing);
  const next = () => void sync.start();
  if (!self) return <SetupScreen onDone={next} />;
  if (!self.hubId && self.role === 'hub') return <HubChoiceScreen onDone={next} />;
  // Front-desk mode is for a hub's device: a coordinator's records nothing of its own.
  if (frontDesk && self.hubId && self.role === 'hub') return <FrontDesk />;
  return <Shell />;
}
