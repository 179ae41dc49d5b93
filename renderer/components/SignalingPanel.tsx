import { useEffect, useState, type FormEvent } from 'react';
import { Disclosure } from './Disclosure';
import { useTranslation } from 'react-i18next';
import type { LarderWindow } from '../../electron/bridge-types';
import { signalingUrlSchema } from '../../shared/sync/invite';
import { useStore } from '../app/StoreContext';
import { useSync } from '../app/SyncContext';

/**
 * The sync servers this device uses to find its peers. Larder uses no server unless one is listed here:
 * a computer at the hub running Larder ("Host sync on this computer", desktop app) or a community server
 * (`npm run signal`). They only pass encrypted introductions between devices, never the data.
 */
export function SignalingPanel() {
  const store = useStore();
  const sync = useSync();
  const { t } = useTranslation();
  const [urls, setUrls] = useState<string[]>(store.self?.signaling ?? []);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const bridge = (window as LarderWindow).larder;

  const save = async (next: string[]) => {
    await store.setSignaling(next);
    setUrls(next);
    await sync.restart();
  };

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const url = draft.trim();
    const parsed = signalingUrlSchema.safeParse(url);
    if (!url) return setError(t('signaling.empty', { example: t('signaling.placeholder') }));
    if (!parsed.success) return setError(t('signaling.invalid', { example: t('signaling.placeholder') }));
    if (urls.includes(url)) return setError(t('signaling.duplicate'));
    if (urls.length >= 10) return setError(t('signaling.tooMany', { max: 10 }));
    setError(null);
    setDraft('');
    await save([...urls, url]);
  };

  return (
    <Disclosure name="signaling" title={t('signaling.title')} summary={t('signaling.summary')}>
      {urls.length === 0 ? (
        <p className="muted">{t('signaling.none')}</p>
      ) : (
        <ul className="plain" aria-label={t('signaling.configured')}>
          {urls.map((u) => (
            <li key={u}>
              <code>{u}</code>{' '}
              <button
                type="button"
                className="link"
                aria-label={t('lines.removeItem', { name: u })}
                onClick={() => void save(urls.filter((x) => x !== u))}
              >
                {t('lines.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={add} noValidate>
        <div className={error ? 'field field-invalid' : 'field'}>
          <label htmlFor="signaling-url">{t('signaling.address')}</label>
          <input
            id="signaling-url"
            value={draft}
            placeholder={t('signaling.placeholder')}
            aria-invalid={error ? true : undefined}
            onChange={(e) => setDraft(e.target.value)}
          />
          {error && (
            <span className="field-error" role="alert">
              {error}
            </span>
          )}
        </div>
        <button type="submit">{t('signaling.add')}</button>
      </form>
      {bridge && (
        <>
          <Discover
            onPick={(url) => {
              if (!urls.includes(url)) void save([...urls, url]);
            }}
          />
          <HostSwitch onUrls={(hostUrls) => void save([...new Set([...urls, ...hostUrls])])} />
        </>
      )}
    </Disclosure>
  );
}

/** Desktop app only: run the sync server on this computer, for the other devices on the hub's network. */
function HostSwitch({ onUrls }: { onUrls: (urls: string[]) => void }) {
  const { t } = useTranslation();
  const bridge = (window as LarderWindow).larder!;
  const [hosting, setHosting] = useState<{ running: boolean; urls: string[] }>({ running: false, urls: [] });
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void bridge.hostSync
      .status()
      .then((s) => setHosting({ running: s.running, urls: s.urls.filter((u) => u !== s.localUrl) }));
  }, [bridge]);
  const toggle = async () => {
    try {
      setError(null);
      if (hosting.running) {
        await bridge.hostSync.stop();
        setHosting({ running: false, urls: [] });
      } else {
        const result = await bridge.hostSync.start({});
        setHosting({ running: true, urls: result.urls.filter((u) => u !== result.localUrl) });
        // This computer reaches its own server on loopback; invites carry the LAN addresses.
        if (result.localUrl) onUrls([result.localUrl]);
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div className="host">
      <label className="switch">
        <input type="checkbox" role="switch" checked={hosting.running} onChange={() => void toggle()} />{' '}
        {t('signaling.host')}
      </label>
      {hosting.running && (
        <p className="hint">
          {t('signaling.hosted', {
            urls: hosting.urls.filter((u) => !u.includes('127.0.0.1')).join(', ') || t('signaling.noAddress'),
          })}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * Desktop app only: look for Larder computers hosting sync on this network (mDNS). Anything on the LAN
 * can announce itself, so found addresses are offered, never used without a click.
 */
function Discover({ onPick }: { onPick: (url: string) => void }) {
  const { t } = useTranslation();
  const bridge = (window as LarderWindow).larder!;
  const [found, setFound] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="discover">
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            setFound((await bridge.hostSync.discover({ durationMs: 2000 })).urls);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? t('signaling.looking') : t('signaling.find')}
      </button>
      {found && found.length === 0 && <p className="hint">{t('signaling.noneFound')}</p>}
      {found && found.length > 0 && (
        <ul className="plain" aria-label={t('signaling.found')}>
          {found.map((u) => (
            <li key={u}>
              <code>{u}</code>{' '}
              <button type="button" className="link" onClick={() => onPick(u)}>
                {t('signaling.use')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
