import { useDevices } from '../data/devices';
import { useHubsForSync } from '../data/hubs';
import { useSyncStatus } from '../app/SyncContext';
import { useFormat } from '../i18n/format';
import { LanguagePicker } from '../i18n/LanguagePicker';
import { InvitePanel } from '../components/InvitePanel';
import { RelayPanel } from '../components/RelayPanel';
import { SignalingPanel } from '../components/SignalingPanel';
import { SyncFilesPanel } from '../components/SyncFilesPanel';
import { CheckDataPanel } from '../components/DataNotice';
import { Disclosure } from '../components/Disclosure';
import { useDesktopAlertsPref } from '../app/alerts';
import { useFrontDesk } from '../app/frontDesk';
import { useCommand } from '../app/useCommand';
import { StatusMessage } from '../components/StatusMessage';
import { useTranslation } from 'react-i18next';
import { useSelf } from '../data/self';

/**
 * How this device syncs. First what a volunteer needs: who it is connected to now, when it last heard from
 * the other hubs, and the sync file (the one action most need). The rest opens on demand: inviting a
 * device, this device's settings, sync servers, relays and the data check.
 */
export function SyncScreen() {
  const { t } = useTranslation();
  const format = useFormat();
  const status = useSyncStatus();
  const ownHub = useSelf()?.hubId;
  const hubs = useHubsForSync();
  const devices = useDevices();
  const hubNames = new Map((hubs ?? []).map((h) => [h.id, h.name]));
  const onlinePeers = new Set(status.peers.map((p) => p.hub));
  const now = Date.now();
  // When this device last heard from another hub: the newest entry any other hub recorded.
  const lastHeard = Math.max(
    0,
    ...(hubs ?? []).filter((h) => h.id !== ownHub && h.newestEntryAt).map((h) => h.newestEntryAt!),
  );

  return (
    <section aria-labelledby="sync-title">
      <header className="screen-header">
        <h1 id="sync-title">{t('nav.sync')}</h1>
        <p className="muted">{t('sync.lead')}</p>
      </header>
      <div className="sync-grid">
        <section className="card sync-now" aria-labelledby="peers-title">
          <h2 id="peers-title">{t('sync.connectedNow')}</h2>
          {status.peers.length === 0 ? (
            <p className="muted">{t('sync.noneConnected')}</p>
          ) : (
            <ul className="peers" aria-label={t('sync.connectedDevices')}>
              {status.peers.map((p) => (
                <li key={p.device}>
                  <span className="dot dot-on" aria-hidden="true" /> {p.deviceName}
                  <span className="muted">
                    {' '}
                    · {p.hub ? (hubNames.get(p.hub) ?? t('sync.aHub')) : t('sync.noHubYet')}
                  </span>
                </li>
              ))}
            </ul>
          )}
          <p>{lastHeard ? t('sync.lastHeard', { age: format.age(lastHeard, now) }) : t('sync.neverHeard')}</p>
          {status.signaling.length > 0 && (
            <ul className="plain small" aria-label={t('sync.serverConnections')}>
              {status.signaling.map((s) => (
                <li key={s.url}>
                  <span className={s.connected ? 'dot dot-on' : 'dot'} aria-hidden="true" /> {s.url}:{' '}
                  {s.connected ? t('sync.reachable') : t('sync.notReachable')}
                </li>
              ))}
            </ul>
          )}
          <div className="table-scroll">
            <table className="data compact" aria-label={t('network.hubs')}>
              <thead>
                <tr>
                  <th scope="col">{t('stock.hub')}</th>
                  <th scope="col">{t('sync.newestHere')}</th>
                  <th scope="col">{t('stock.colStatus')}</th>
                </tr>
              </thead>
              <tbody>
                {(hubs ?? []).map((h) => (
                  <tr key={h.id}>
                    <th scope="row">
                      {h.name}
                      {h.id === ownHub && <span className="muted"> {t('sync.thisHub')}</span>}
                    </th>
                    <td>{h.newestEntryAt ? format.age(h.newestEntryAt, now) : t('sync.noEntries')}</td>
                    <td>
                      {h.id === ownHub ? (
                        <span className="status status-ok">{t('setup.thisDevice')}</span>
                      ) : onlinePeers.has(h.id) ? (
                        <span className="status status-ok">{t('sync.online')}</span>
                      ) : (
                        <span className="status status-unstocked">{t('sync.offline')}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="hint">{devices ? t('sync.deviceCount', { count: devices.size }) : ''}</p>
        </section>
        <SyncFilesPanel />
      </div>
      {/* What a volunteer rarely needs, each opened on demand. */}
      <h2 className="sync-more">{t('sync.more')}</h2>
      <div className="sync-grid">
        <InvitePanel />
        <DeviceCard />
        <SignalingPanel />
        <RelayPanel />
        <CheckDataPanel />
      </div>
    </section>
  );
}

/** This device: its role, its language and its opt-in desktop alerts (settings of this device, not synced). */
function DeviceCard() {
  const { t } = useTranslation();
  const self = useSelf()!;
  const [on, setOn] = useDesktopAlertsPref();
  const [, setFrontDesk] = useFrontDesk();
  const command = useCommand();
  return (
    <Disclosure name="device" title={t('setup.thisDevice')} summary={t('sync.deviceSummary')}>
      <p>
        {self.deviceName} · {self.role === 'coordinator' ? t('sync.roleCoordinator') : t('sync.roleHub')}
      </p>
      <LanguagePicker />
      {self.hubId && (
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={on}
            disabled={command.busy}
            onChange={(e) => {
              const next = e.target.checked;
              command.clear();
              // Switching on asks for the browser's permission; why it did not switch on is said below.
              void command.run(() => setOn(next), {
                done: (refused) => (refused ? { text: refused, error: true } : null),
              });
            }}
          />{' '}
          {t('sync.desktopAlert')}
        </label>
      )}
      <StatusMessage message={command.message} />
      {self.hubId && self.role === 'hub' && (
        <div className="front-desk-choice">
          <button type="button" onClick={() => setFrontDesk(true)} aria-describedby="front-desk-hint">
            {t('frontDesk.use')}
          </button>
          <p className="hint" id="front-desk-hint">
            {t('frontDesk.useHint')}
          </p>
        </div>
      )}
    </Disclosure>
  );
}
