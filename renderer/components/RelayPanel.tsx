import { useEffect, useState, useSyncExternalStore, type FormEvent } from 'react';
import { Disclosure } from './Disclosure';
import { Field } from './Field';
import { StatusMessage } from './StatusMessage';
import { useCommand } from '../app/useCommand';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';
import { useNow } from '../app/useNow';
import { useStore } from '../app/StoreContext';
import { useSync } from '../app/SyncContext';
import { MAX_RELAYS } from '../../shared/sync/invite';
import { relayUrlProblem, relayUrls, saveRelayUrls, type RelayNoteCode } from '../sync/relay';
import type { TFunction } from 'i18next';

/** Why a round failed or an upload waits, in the reader's words. */
function noteText(t: TFunction, code: RelayNoteCode): string {
  switch (code) {
    case 'unreachable':
      return t('relay.notes.unreachable');
    case 'timeout':
      return t('relay.notes.timeout');
    case 'notRelay':
      return t('relay.notes.notRelay');
    case 'otherNetwork':
      return t('relay.notes.otherNetwork');
    case 'refused':
      return t('relay.notes.refused');
    case 'notMember':
      return t('relay.notes.notMember');
    case 'revoked':
      return t('relay.notes.revoked');
    case 'quota':
      return t('relay.notes.quota');
    case 'rate':
      return t('relay.notes.rate');
    case 'tooLarge':
      return t('relay.notes.tooLarge');
    case 'rejected':
      return t('relay.notes.rejected');
    case 'deviceKey':
      return t('relay.notes.deviceKey');
  }
}

/**
 * The relays this device uses: an always-on computer running `npm run relay` that keeps the network's
 * updates, sealed, so devices that are never online together still sync, and a replacement laptop gets
 * everything back. It stores only what it cannot read (docs/relay.md). None unless one is added here or
 * the invite this device joined with named one; the invites this device shows carry them.
 */
export function RelayPanel() {
  const store = useStore();
  const sync = useSync();
  const { t } = useTranslation();
  const format = useFormat();
  const [urls, setUrls] = useState<string[]>([]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const command = useCommand();
  const now = useNow();
  const statuses = useSyncExternalStore(
    (l) => sync.relay.subscribe(l),
    () => sync.relay.status(),
  );

  useEffect(() => {
    void relayUrls(store).then(setUrls);
  }, [store]);

  const save = (next: string[], done: string) =>
    command.run(
      async () => {
        await saveRelayUrls(store, next);
        setUrls(next);
        // The page must be allowed to reach the new address (a restart checks, and reloads if needed).
        await sync.restart();
      },
      { done: () => done },
    );

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const url = draft.trim();
    if (!url) return setError(t('relay.empty', { example: t('relay.placeholder') }));
    if (relayUrlProblem(url)) return setError(t('relay.invalid', { example: t('relay.placeholder') }));
    if (urls.includes(url)) return setError(t('relay.duplicate'));
    if (urls.length >= MAX_RELAYS) return setError(t('relay.tooMany', { max: MAX_RELAYS }));
    setError(null);
    if (await save([...urls, url], t('relay.added', { url }))) setDraft('');
  };

  // What a round brought shows in each relay's status line; only a failure needs saying here.
  const syncNow = () => command.run(() => sync.relay.syncNow());

  return (
    <Disclosure name="relay" title={t('relay.title')} summary={t('relay.summary')}>
      {!store.signed ? (
        <p className="muted">{t('relay.signedOnly')}</p>
      ) : urls.length === 0 ? (
        <p className="muted">{t('relay.none')}</p>
      ) : (
        <ul className="plain" aria-label={t('relay.configured')}>
          {urls.map((u) => {
            const s = statuses.find((x) => x.url === u);
            return (
              <li key={u}>
                <span className={s?.ok ? 'dot dot-on' : 'dot'} aria-hidden="true" /> <code>{u}</code>{' '}
                <button
                  type="button"
                  className="link"
                  aria-label={t('lines.removeItem', { name: u })}
                  disabled={command.busy}
                  onClick={() =>
                    void save(
                      urls.filter((x) => x !== u),
                      t('relay.removed', { url: u }),
                    )
                  }
                >
                  {t('lines.remove')}
                </button>
                <div className="hint" aria-label={t('relay.statusOf', { url: u })}>
                  {!s
                    ? t('relay.notYet')
                    : s.empty
                      ? t('relay.emptyMailbox')
                      : t('relay.status', {
                          received: format.number(s.received),
                          sent: format.number(s.sent),
                        })}
                  {s && s.refused > 0 && ` ${t('relay.refused', { count: s.refused })}`}
                  {s?.note && ` ${s.noteCode ? noteText(t, s.noteCode) : t('relay.note', { note: s.note })}`}
                </div>
                {/* A coordinator's or an admin's device: a device joining through this relay starts from it. */}
                {s?.checkpointLeftAt != null && (
                  <div className="hint">
                    {t('relay.checkpointLeft', {
                      age: format.age(s.checkpointLeftAt, Math.max(now, s.checkpointLeftAt)),
                    })}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <form className="inline-form" onSubmit={(e) => void add(e)} noValidate>
        <Field label={t('relay.address')} error={error ?? undefined}>
          {(props) => (
            <input
              {...props}
              value={draft}
              placeholder={t('relay.placeholder')}
              onChange={(e) => {
                setDraft(e.target.value);
                if (error) setError(null);
              }}
            />
          )}
        </Field>
        <button type="submit" disabled={command.busy}>
          {t('relay.add')}
        </button>
      </form>
      {urls.length > 0 && (
        <button type="button" onClick={() => void syncNow()} disabled={command.busy}>
          {command.busy ? t('relay.syncing') : t('relay.syncNow')}
        </button>
      )}
      <StatusMessage message={command.message} />
    </Disclosure>
  );
}
