import { useLiveQuery } from 'dexie-react-hooks';
import Dexie from 'dexie';
import { useStore } from '../app/StoreContext';
import { useSyncStatus } from '../app/SyncContext';
import { formatAge } from '../app/time';
import { InvitePanel } from '../components/InvitePanel';
import { RelayPanel } from '../components/RelayPanel';
import { SignalingPanel } from '../components/SignalingPanel';
import { SyncFilesPanel } from '../components/SyncFilesPanel';
import { CheckDataPanel } from '../components/DataNotice';
import { useDesktopAlertsPref } from '../app/alerts';
import { useState } from 'react';

/** How this device syncs: who is connected now, how fresh each hub's figures are, and the three paths. */
export function SyncScreen() {
  const store = useStore();
  const status = useSyncStatus();
  const hubs = useLiveQuery(async () => {
    const rows = await store.db.hubs.toArray();
    const withNewest = await Promise.all(
      rows.map(async (h) => {
        const newest = await store.db.ledger
          .where('[hub+at]')
          .between([h.id, Dexie.minKey], [h.id, Dexie.maxKey])
          .last();
        const devices = await store.db.devices.where('hub').equals(h.id).count();
        return { ...h, newest: newest?.at ?? null, devices };
      }),
    );
    return withNewest.sort((a, b) => a.name.localeCompare(b.name));
  }, []);
  const devices = useLiveQuery(
    async () => new Map((await store.db.devices.toArray()).map((d) => [d.id, d])),
    [],
  );
  const hubNames = new Map((hubs ?? []).map((h) => [h.id, h.name]));
  const onlinePeers = new Set(status.peers.map((p) => p.hub));
  const now = Date.now();

  return (
    <section aria-labelledby="sync-title">
      <header className="screen-header">
        <h1 id="sync-title">Sync</h1>
        <p className="muted">
          Devices of the network exchange their entries directly, encrypted with the network’s key: on this
          network, over the internet through a sync server you choose, or with a sync file on a USB stick.
        </p>
      </header>
      <div className="sync-grid">
        <section className="card" aria-labelledby="peers-title">
          <h2 id="peers-title">Connected now</h2>
          {status.peers.length === 0 ? (
            <p className="muted">
              No other device is connected. Everything still works here; changes are exchanged when a device
              is reachable.
            </p>
          ) : (
            <ul className="peers" aria-label="Connected devices">
              {status.peers.map((p) => (
                <li key={p.device}>
                  <span className="dot dot-on" aria-hidden="true" /> {p.deviceName}
                  <span className="muted"> · {p.hub ? (hubNames.get(p.hub) ?? 'a hub') : 'no hub yet'}</span>
                </li>
              ))}
            </ul>
          )}
          {status.signaling.length > 0 && (
            <ul className="plain small" aria-label="Sync server connections">
              {status.signaling.map((s) => (
                <li key={s.url}>
                  <span className={s.connected ? 'dot dot-on' : 'dot'} aria-hidden="true" /> {s.url}:{' '}
                  {s.connected ? 'reachable' : 'not reachable'}
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="hubs-title">
          <h2 id="hubs-title">Hubs</h2>
          <table className="data compact" aria-label="Hubs">
            <thead>
              <tr>
                <th scope="col">Hub</th>
                <th scope="col">Newest entry seen here</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {(hubs ?? []).map((h) => (
                <tr key={h.id}>
                  <th scope="row">
                    {h.name}
                    {h.id === store.self?.hubId && <span className="muted"> (this hub)</span>}
                  </th>
                  <td>{h.newest ? formatAge(h.newest, now) : 'no entries yet'}</td>
                  <td>
                    {h.id === store.self?.hubId ? (
                      <span className="status status-ok">This device</span>
                    ) : onlinePeers.has(h.id) ? (
                      <span className="status status-ok">Online</span>
                    ) : (
                      <span className="status status-unstocked">Offline</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="hint">
            {devices ? `${devices.size} ${devices.size === 1 ? 'device' : 'devices'} in the network.` : ''}
          </p>
        </section>
        <DeviceCard />
        <InvitePanel />
        <SignalingPanel />
        <RelayPanel />
        <SyncFilesPanel />
        <CheckDataPanel />
      </div>
    </section>
  );
}

/** This device: its role, and its opt-in desktop alerts. */
function DeviceCard() {
  const store = useStore();
  const self = store.self!;
  const [on, setOn] = useDesktopAlertsPref();
  const [error, setError] = useState<string | null>(null);
  return (
    <section className="card" aria-labelledby="device-title">
      <h2 id="device-title">This device</h2>
      <p>
        {self.deviceName} ·{' '}
        {self.role === 'coordinator' ? 'coordinator: holds no stock, sees every hub' : 'records for its hub'}
      </p>
      {self.hubId && (
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={on}
            onChange={(e) => void setOn(e.target.checked).then(setError)}
          />{' '}
          Desktop alert when an item here drops below its minimum
        </label>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
