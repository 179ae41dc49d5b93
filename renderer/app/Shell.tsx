import { useDevice } from '../data/devices';
import { useHub } from '../data/hubs';
import { useProblemCount } from '../data/problems';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';
import { useStore } from './StoreContext';
import type { SelfRow } from '../storage/db';
import type { StoreHost } from '../storage/host';
import {
  useCheckpointPercent,
  useFiguresPercent,
  useLoadPercent,
  useRebuildPercent,
  useUnprojected,
} from './hooks';
import { useSyncStatus } from './SyncContext';
import { useDesktopAlerts, useDesktopAlertsPref } from './alerts';
import { useBelowMinimum } from '../data/levels';
import { StockScreen } from '../screens/StockScreen';
import { lazyScreen, preloadScreens } from './lazyScreen';
import { useEarlyStockPeek } from '../data/earlyStock';
import { firstViewShown, useFirstView } from './firstView';
import { useMyStatus } from '../data/members';
import { ScreenBoundary } from '../components/ScreenBoundary';
import { DataNotice } from '../components/DataNotice';
import { useSelf } from '../data/self';
import { startNetworkReads } from '../data/networkReads';

// Every screen but the stock view loads when first shown (lazyScreen.ts).
/**
 * The screens that say when their rows are painted (`useFirstView`): the ledger's load, started then, must not
 * delay their reads (History's rows came 0.6 s later behind it at 50 hubs and 100k entries).
 */
const SAY_WHEN_PAINTED: ReadonlySet<ScreenId> = new Set([
  'stock',
  'network',
  'history',
  'items',
  'levels',
  'needs',
]);

const HistoryScreen = lazyScreen(() => import('../screens/HistoryScreen'), 'HistoryScreen');
const ItemsScreen = lazyScreen(() => import('../screens/ItemsScreen'), 'ItemsScreen');
const MovementScreen = lazyScreen(() => import('../screens/MovementScreen'), 'MovementScreen');
const CountScreen = lazyScreen(() => import('../screens/CountScreen'), 'CountScreen');
const ProblemsScreen = lazyScreen(() => import('../screens/ProblemsScreen'), 'ProblemsScreen');
const SyncScreen = lazyScreen(() => import('../screens/SyncScreen'), 'SyncScreen');
// A coordinator's first view: its module loads alone, the rest once its figures are painted.
const NetworkScreen = lazyScreen(() => import('../screens/NetworkScreen'), 'NetworkScreen', {
  withTheRest: false,
});
const TransfersScreen = lazyScreen(() => import('../screens/TransfersScreen'), 'TransfersScreen');
const LevelsScreen = lazyScreen(() => import('../screens/LevelsScreen'), 'LevelsScreen');
const NeedsScreen = lazyScreen(() => import('../screens/NeedsScreen'), 'NeedsScreen');
const MembersScreen = lazyScreen(() => import('../screens/MembersScreen'), 'MembersScreen');
const ImportScreen = lazyScreen(() => import('../screens/ImportScreen'), 'ImportScreen');
const LAZY_SCREENS = [
  HistoryScreen,
  ItemsScreen,
  MovementScreen,
  CountScreen,
  ProblemsScreen,
  SyncScreen,
  NetworkScreen,
  TransfersScreen,
  LevelsScreen,
  NeedsScreen,
  MembersScreen,
  ImportScreen,
];

/** Each screen's name in the navigation (a catalog key). */
const SCREENS = {
  stock: 'nav.stock',
  donation: 'nav.donation',
  pickup: 'nav.pickup',
  count: 'nav.count',
  discard: 'nav.discard',
  transfers: 'nav.transfers',
  network: 'nav.network',
  needs: 'nav.needs',
  levels: 'nav.levels',
  history: 'nav.history',
  items: 'nav.items',
  spreadsheet: 'nav.spreadsheet',
  sync: 'nav.sync',
  members: 'nav.members',
  problems: 'nav.problems',
} as const;
export type ScreenId = keyof typeof SCREENS;

/** A coordinator's device holds no stock: it records nothing of its own, and opens on the network view. */
const HUB_ONLY: readonly ScreenId[] = ['donation', 'pickup', 'count', 'discard', 'spreadsheet'];

function screenFromHash(allowed: readonly ScreenId[], fallback: ScreenId): ScreenId {
  const id = location.hash.replace(/^#\/?/, '') as ScreenId;
  return allowed.includes(id) ? id : fallback;
}

/** The screens a device may open, and the one it opens on when the URL names none of them. */
function screensOf(role: SelfRow['role']): { allowed: ScreenId[]; fallback: ScreenId } {
  const coordinator = role === 'coordinator';
  return {
    allowed: (Object.keys(SCREENS) as ScreenId[]).filter((id) => !coordinator || !HUB_ONLY.includes(id)),
    fallback: coordinator ? 'network' : 'stock',
  };
}

/**
 * Starts what a first Network screen needs before the frame renders it, instead of after: its module as soon
 * as the URL names it (before the store is open), and its figures' reads once the store is open and the
 * device opens on it (a coordinator's, or the URL's). The first view then waits for neither in turn.
 * Resolves once its module is loaded (at once when the first screen is another): the frame is shown then,
 * not before. A frame shown first showed the screen's fallback while the module came, and React reveals a
 * screen no sooner than 300 ms after a fallback was shown: the saved view (networkPreview.ts) painted at
 * 690-730 ms at a 1M start instead of 550-570. (A module that does not come kept the app on its "Opening"
 * fallback before too, its one Suspense boundary: App.tsx. One that fails resolves this, and the screen's
 * error boundary says so.)
 */
export function prepareFirstScreen(store: StoreHost | null): Promise<void> {
  const self = store?.self;
  // Before the store is open, only the URL tells; once open, the frame is shown to a device set up only.
  const opensOn = (role: SelfRow['role']) => {
    const { allowed, fallback } = screensOf(role);
    return screenFromHash(allowed, fallback);
  };
  const network = !store
    ? location.hash.replace(/^#\/?/, '') === 'network'
    : !!self && (!!self.hubId || self.role === 'coordinator') && opensOn(self.role) === 'network';
  if (!network) return Promise.resolve();
  // A failure here is the screen's own to show when it renders (lazyScreen.ts). Its figures' module is
  // fetched from the start too: asked for only once the store is open, it came 40-65 ms after.
  const module = NetworkScreen.preload().then(
    () => undefined,
    () => undefined,
  );
  // Its reads start now, not once its module is here: they need only the database (networkReads.ts).
  if (store) startNetworkReads(store);
  const data = import('../data/networkData');
  void data.then(
    (m) => store && m.prepareNetworkData(store),
    () => undefined,
  );
  return module;
}

/** The app frame: hub and device at the top of the navigation, one screen at a time, kept in the URL hash. */
export function Shell() {
  const store = useStore();
  const { t } = useTranslation();
  const self = useSelf()!;
  const hubId = self.hubId;
  const coordinator = self.role === 'coordinator';
  const { allowed, fallback } = screensOf(self.role);
  const [screen, setScreen] = useState<ScreenId>(() => screenFromHash(allowed, fallback));
  useEffect(() => {
    const onHash = () => setScreen(screenFromHash(allowed, fallback));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  });
  useEffect(() => {
    document.title = `${t(SCREENS[screen])} · Larder`;
  }, [screen, t]);
  // The screens that read rows say when they are painted; any other first screen (a page opened again on
  // the sync screen, say) has none to wait for: the ledger loads once it is drawn.
  useFirstView(!SAY_WHEN_PAINTED.has(screen));
  // The other screens' modules, once the first screen's figures are painted (not `store.ready`: asking
  // for it starts the ledger's load).
  useEffect(() => {
    let left = false;
    void firstViewShown().then(() => !left && preloadScreens(LAZY_SCREENS));
    return () => {
      left = true;
    };
  }, []);

  // Named from the rows read as the page opened, when there are (earlyStock.ts): not "…" in the first frame.
  const early = useEarlyStockPeek(store, screen === 'stock');
  const hub = useHub(
    hubId,
    early?.hubs.find((h) => h.id === hubId),
  );
  const device = useDevice(self.deviceId);
  const problems = useProblemCount();
  const below = useBelowMinimum(hubId);
  const [alertsOn] = useDesktopAlertsPref();
  useDesktopAlerts(below, alertsOn);

  // The screen, made again only when another is chosen (or the language changes): the frame renders again
  // at each change of its badges, its hub's name or its device's, and with it, a whole screen did (the stock
  // screen of a 500-item hub: a task of 45-71 ms right after its first view, as those were first read).
  const shown = useMemo(
    () => (
      <ScreenBoundary key={screen} screen={t(SCREENS[screen])}>
        {screen === 'stock' && <StockScreen />}
        {screen === 'donation' && <MovementScreen kind="donation" key="donation" />}
        {screen === 'pickup' && <MovementScreen kind="pickup" key="pickup" />}
        {screen === 'discard' && <MovementScreen kind="discard" key="discard" />}
        {screen === 'count' && <CountScreen />}
        {screen === 'transfers' && <TransfersScreen />}
        {screen === 'network' && <NetworkScreen />}
        {screen === 'needs' && <NeedsScreen />}
        {screen === 'levels' && <LevelsScreen />}
        {screen === 'history' && <HistoryScreen />}
        {screen === 'items' && <ItemsScreen />}
        {screen === 'spreadsheet' && <ImportScreen />}
        {screen === 'sync' && <SyncScreen />}
        {screen === 'members' && <MembersScreen />}
        {screen === 'problems' && <ProblemsScreen />}
      </ScreenBoundary>
    ),
    [screen, t],
  );

  return (
    <div className="shell">
      <nav className="sidebar" aria-label={t('nav.main')}>
        <div className="brand">
          <span className="brand-name">Larder</span>
          <span className="brand-hub">
            {coordinator ? t('nav.coordinator') : (hub?.name ?? store.ownHubName() ?? '…')}
          </span>
          <span className="brand-device">{device?.name ?? self.deviceName}</span>
        </div>
        <ul>
          {allowed.map((id) => (
            <li key={id}>
              <a
                href={`#/${id}`}
                aria-current={screen === id ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  location.hash = `#/${id}`;
                }}
              >
                {t(SCREENS[id])}
                {id === 'stock' && below && below.length > 0 ? (
                  <span
                    className="badge badge-low"
                    aria-label={t('nav.belowMinimum', { count: below.length })}
                  >
                    {below.length}
                  </span>
                ) : null}
                {id === 'problems' && problems > 0 ? (
                  <span className="badge badge-out" aria-label={t('nav.problemCount', { count: problems })}>
                    {problems}
                  </span>
                ) : null}
              </a>
            </li>
          ))}
        </ul>
        <SyncIndicator />
      </nav>
      <main className="content">
        <DataNotice />
        {shown}
        {/* Held at the foot of the window, over the screen, where the volunteer sees it without anything moving
            (at the foot of the menu it was below the fold of a small laptop's screen): why a save waits, what the
            figures lack, what this device's entries count for. */}
        <div className="notices">
          <ApprovalIndicator />
          <LoadIndicator />
          <FiguresIndicator />
          <BacklogIndicator />
          <RebuildIndicator />
          <CheckpointIndicator />
        </div>
      </main>
    </div>
  );
}

/**
 * While the history loads behind the first screen (seconds at millions of entries): how far it is, and what
 * can be saved meanwhile. Donations, pickups, counts, discards, transfers and undos are saved at once
 * (DocPersistence `reserveEarly`); when the figures are to be worked out again after the load (after an
 * update of Larder), only donations, pickups, discards, transfers and undos
 * (`reserveWhileRebuilding`); when this device is not an approved member, nothing: saves wait for it (and are
 * kept once it is open).
 */
function LoadIndicator() {
  const { t } = useTranslation();
  const format = useFormat();
  const store = useStore();
  const percent = useLoadPercent();
  if (percent === null) return null;
  const message = store.takesEarlySaves
    ? 'shell.loading'
    : store.takesSavesWhileRebuilding
      ? 'shell.loadingRebuild'
      : 'shell.loadingWaits';
  return (
    <p className="backlog-indicator" role="status" aria-label={t('shell.loadingLabel')}>
      {t(message, { percent: format.number(percent / 100, { style: 'percent' }) })}
    </p>
  );
}

/**
 * While a rebuild works out the figures again from the history (after an update of Larder, a revocation, a
 * repair: seconds at a million entries, a minute at ten million): how far it is, and that saves wait for it.
 */
function FiguresIndicator() {
  const { t } = useTranslation();
  const format = useFormat();
  const store = useStore();
  const percent = useFiguresPercent();
  if (percent === null) return null;
  // Read at each percent (the bar renders again then): whether some saves go meanwhile (`loadingRebuild`).
  const message = store.takesSavesWhileRebuilding ? 'shell.figuresSaves' : 'shell.figures';
  return (
    <p className="backlog-indicator" role="status" aria-label={t('shell.figuresLabel')}>
      {t(message, { percent: format.number(percent / 100, { style: 'percent' }) })}
    </p>
  );
}

/**
 * While a very large update (a new device's first sync, a whole-history sync file) is being added to the
 * figures a chunk at a time: how much is left, and that the figures are incomplete until then.
 */
function BacklogIndicator() {
  const { t } = useTranslation();
  const format = useFormat();
  const left = useUnprojected();
  if (left === 0) return null;
  return (
    <p className="backlog-indicator" role="status" aria-label={t('shell.backlogLabel')}>
      {t('shell.backlog', { count: left, n: format.number(left) })}
    </p>
  );
}

/**
 * While a rebuild (after an update of Larder, a revocation, or a first sync caught up by one) writes the
 * history a piece at a time between saves: how far it is. Stock figures are right already.
 */
function RebuildIndicator() {
  return (
    <PercentIndicator percent={useRebuildPercent()} label="shell.rebuildLabel" text="shell.rebuilding" />
  );
}

/** A status saying how far something is, in whole percent; nothing while `percent` is null. */
function PercentIndicator({
  percent,
  label,
  text,
}: {
  percent: number | null;
  label: 'shell.rebuildLabel' | 'shell.checkpointLabel';
  text: 'shell.rebuilding' | 'shell.checkpointHistory';
}) {
  const { t } = useTranslation();
  const format = useFormat();
  if (percent === null) return null;
  return (
    <p className="backlog-indicator" role="status" aria-label={t(label)}>
      {t(text, { percent: format.number(percent / 100, { style: 'percent' }) })}
    </p>
  );
}

/**
 * While this device is behind the checkpoint it started from: its figures are right, the history behind them
 * (History, what an undo of an older entry needs) still arriving, and how much of it is in.
 */
function CheckpointIndicator() {
  return (
    <PercentIndicator
      percent={useCheckpointPercent()}
      label="shell.checkpointLabel"
      text="shell.checkpointHistory"
    />
  );
}

/** A device waiting for approval, or revoked: what it records is saved, but does not count (yet). */
function ApprovalIndicator() {
  const { t } = useTranslation();
  const status = useMyStatus();
  if (status !== 'waiting' && status !== 'revoked') return null;
  return (
    <p className="backlog-indicator" role="status" aria-label={t('shell.approvalLabel')}>
      {status === 'waiting' ? t('shell.waitingApproval') : t('shell.revoked')}
    </p>
  );
}

/** Online or offline at a glance; never blocking, never a spinner. */
function SyncIndicator() {
  const { t } = useTranslation();
  const status = useSyncStatus();
  const n = status.connected;
  return (
    <p className="sync-indicator" role="status" aria-label={t('shell.syncLabel')}>
      <span className={n > 0 ? 'dot dot-on' : 'dot'} aria-hidden="true" />
      {n > 0 ? t('shell.online', { count: n }) : t('shell.offline')}
    </p>
  );
}
