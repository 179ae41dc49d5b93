import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useState } from 'react';
import { useStore } from './StoreContext';
import { useHubId } from './hooks';
import { StockScreen } from '../screens/StockScreen';
import { HistoryScreen } from '../screens/HistoryScreen';
import { ItemsScreen } from '../screens/ItemsScreen';
import { MovementScreen } from '../screens/MovementScreen';
import { CountScreen } from '../screens/CountScreen';
import { ProblemsScreen } from '../screens/ProblemsScreen';
import { SyncScreen } from '../screens/SyncScreen';
import { useSyncStatus } from './SyncContext';
import { stockStatus } from '../../shared/status';

const SCREENS = {
  stock: 'Stock',
  donation: 'Record donation',
  pickup: 'Record pickup',
  count: 'Count stock',
  discard: 'Discard stock',
  history: 'History',
  items: 'Items',
  sync: 'Sync',
  problems: 'Problems',
} as const;
export type ScreenId = keyof typeof SCREENS;

function screenFromHash(): ScreenId {
  const id = location.hash.replace(/^#\/?/, '');
  return id in SCREENS ? (id as ScreenId) : 'stock';
}

/** The app frame: hub and device at the top of the navigation, one screen at a time, kept in the URL hash. */
export function Shell() {
  const store = useStore();
  const self = store.self!;
  const hubId = useHubId();
  const [screen, setScreen] = useState<ScreenId>(screenFromHash);
  useEffect(() => {
    const onHash = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.title = `${SCREENS[screen]} · Larder`;
  }, [screen]);

  const hub = useLiveQuery(() => store.db.hubs.get(hubId), [hubId]);
  const device = useLiveQuery(() => store.db.devices.get(self.deviceId), [self.deviceId]);
  const problems = useLiveQuery(() => store.db.problems.count(), []) ?? 0;
  const alerts = useLiveQuery(async () => {
    const [rows, levels] = await Promise.all([
      store.db.stock.where('hub').equals(hubId).toArray(),
      store.db.levels.where('hub').equals(hubId).toArray(),
    ]);
    const byItem = new Map(levels.map((l) => [l.item, l]));
    return rows.filter((r) => stockStatus(r.onHand, byItem.get(r.item)) !== 'ok' && byItem.has(r.item))
      .length;
  }, [hubId]);

  const go = (id: ScreenId) => {
    location.hash = `#/${id}`;
  };

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-name">Larder</span>
          <span className="brand-hub">{hub?.name ?? '…'}</span>
          <span className="brand-device">{device?.name ?? ''}</span>
        </div>
        <ul>
          {(Object.keys(SCREENS) as ScreenId[]).map((id) => (
            <li key={id}>
              <a
                href={`#/${id}`}
                aria-current={screen === id ? 'page' : undefined}
                onClick={(e) => {
                  e.preventDefault();
                  go(id);
                }}
              >
                {SCREENS[id]}
                {id === 'stock' && alerts ? (
                  <span className="badge badge-low" aria-label={`${alerts} items below minimum`}>
                    {alerts}
                  </span>
                ) : null}
                {id === 'problems' && problems > 0 ? (
                  <span className="badge badge-out" aria-label={`${problems} problems`}>
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
        {screen === 'stock' && <StockScreen />}
        {screen === 'donation' && <MovementScreen kind="donation" key="donation" />}
        {screen === 'pickup' && <MovementScreen kind="pickup" key="pickup" />}
        {screen === 'discard' && <MovementScreen kind="discard" key="discard" />}
        {screen === 'count' && <CountScreen />}
        {screen === 'history' && <HistoryScreen />}
        {screen === 'items' && <ItemsScreen />}
        {screen === 'sync' && <SyncScreen />}
        {screen === 'problems' && <ProblemsScreen />}
      </main>
    </div>
  );
}

/** Online or offline at a glance; never blocking, never a spinner. */
function SyncIndicator() {
  const status = useSyncStatus();
  const n = status.peers.length;
  return (
    <p className="sync-indicator" role="status" aria-label="Sync status">
      <span className={n > 0 ? 'dot dot-on' : 'dot'} aria-hidden="true" />
      {n > 0
        ? `Online · ${n} ${n === 1 ? 'device' : 'devices'} connected`
        : 'Offline · working on this device'}
    </p>
  );
}
