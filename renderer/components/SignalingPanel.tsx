import { useEffect, useState, type FormEvent } from 'react';
import { Disclosure } from './Disclosure';
import { Field } from './Field';
import { CommandStatus, StatusMessage } from './StatusMessage';
import { useCommand } from '../app/useCommand';
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
  const command = useCommand();
  const bridge = (window as LarderWindow).larder;

  /** Saves the list and restarts sync with it (the page may reload to allow a new server). */
  const save = (next: string[], done: string) =>
    command.run(
      async () => {
        await store.setSignaling(next);
        setUrls(next);
        await sync.restart();
      },
      { done: () => done },
    );

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const url = draft.trim();
    const parsed = signalingUrlSchema.safeParse(url);
    if (!url) return setError(t('signaling.empty', { example: t('signaling.placeholder') }));
    if (!parsed.success) return setError(t('signaling.invalid', { example: t('signaling.placeholder') }));
    if (urls.includes(url)) return setError(t('signaling.duplicate'));
    if (urls.length >= 10) return setError(t('signaling.tooMany', { max: 10 }));
    setError(null);
    if (await save([...urls, url], t('signaling.added', { url }))) setDraft('');
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
                disabled={command.busy}
                onClick={() =>
                  void save(
                    urls.filter((x) => x !== u),
                    t('signaling.removed', { url: u }),
                  )
                }
              >
                {t('lines.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="inline-form" onSubmit={(e) => void add(e)} noValidate>
        <Field label={t('signaling.address')} error={error ?? undefined}>
          {(props) => (
            <input
              {...props}
              value={draft}
              placeholder={t('signaling.placeholder')}
              onChange={(e) => {
                setDraft(e.target.value);
                if (error) setError(null);
              }}
            />
          )}
        </Field>
        <button type="submit" disabled={command.busy}>
          {t('signaling.add')}
        </button>
      </form>
      <CommandStatus command={command} />
      {bridge && (
        <>
          <Discover
            onPick={(url) => {
              if (!urls.includes(url)) void save([...urls, url], t('signaling.added', { url }));
            }}
          />
          <HostSwitch
            onUrls={(hostUrls) =>
              void save(
                [...new Set([...urls, ...hostUrls])],
                t('signaling.added', { url: hostUrls.join(', ') }),
              )
            }
          />
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
  const command = useCommand();
  useEffect(() => {
    void bridge.hostSync
      .status()
      .then((s) => setHosting({ running: s.running, urls: s.urls.filter((u) => u !== s.localUrl) }));
  }, [bridge]);
  const toggle = () =>
    command.run(async () => {
      command.clear();
      if (hosting.running) {
        await bridge.hostSync.stop();
        setHosting({ running: false, urls: [] });
      } else {
        const result = await bridge.hostSync.start({});
        setHosting({ running: true, urls: result.urls.filter((u) => u !== result.localUrl) });
        // This computer reaches its own server on loopback; invites carry the LAN addresses.
        if (result.localUrl) onUrls([result.localUrl]);
      }
    });
  return (
    <div className="host">
      <label className="switch">
        <input
          type="checkbox"
          role="switch"
          checked={hosting.running}
          disabled={command.busy}
          onChange={() => void toggle()}
        />{' '}
        {t('signaling.host')}
      </label>
      {hosting.running && (
        <p className="hint">
          {t('signaling.hosted', {
            urls: hosting.urls.filter((u) => !u.includes('127.0.0.1')).join(', ') || t('signaling.noAddress'),
          })}
        </p>
      )}
      <StatusMessage message={command.message} />
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
  const command = useCommand();
  return (
    <div className="discover">
      <button
        type="button"
        disabled={command.busy}
        onClick={() =>
          void command.run(async () => setFound((await bridge.hostSync.discover({ durationMs: 2000 })).urls))
        }
      >
        {command.busy ? t('signaling.looking') : t('signaling.find')}
      </button>
      <StatusMessage message={command.message} />
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
