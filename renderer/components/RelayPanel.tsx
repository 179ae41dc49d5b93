import { useEffect, useState, useSyncExternalStore, type FormEvent } from 'react';
import { useStore } from '../app/StoreContext';
import { useSync } from '../app/SyncContext';
import { relayUrlProblem, relayUrls } from '../sync/relay';

/**
 * The relays this device uses: an always-on computer running `npm run relay` that keeps the network's
 * updates, sealed, so devices that are never online together still sync, and a replacement laptop gets
 * everything back. It stores only what it cannot read (docs/relay.md). None unless one is added here.
 */
export function RelayPanel() {
  const store = useStore();
  const sync = useSync();
  const [urls, setUrls] = useState<string[]>([]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const statuses = useSyncExternalStore(
    (l) => sync.relay.subscribe(l),
    () => sync.relay.status(),
  );

  useEffect(() => {
    void relayUrls(store).then(setUrls);
  }, [store]);

  const save = async (next: string[]) => {
    await store.db.meta.put({ key: 'relays', urls: next });
    setUrls(next);
    // The page must be allowed to reach the new address (a restart checks, and reloads if needed).
    await sync.restart();
  };

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const url = draft.trim();
    const problem = relayUrlProblem(url);
    if (problem) return setError(problem);
    if (urls.includes(url)) return setError('That relay is already listed');
    if (urls.length >= 5) return setError('At most 5 relays');
    setError(null);
    setDraft('');
    await save([...urls, url]);
  };

  const syncNow = async () => {
    setBusy(true);
    try {
      await sync.relay.syncNow();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="relay-title">
      <h2 id="relay-title">Relay</h2>
      {!store.signed ? (
        <p className="muted">A relay needs a network with signed entries (Members).</p>
      ) : urls.length === 0 ? (
        <p className="muted">
          None. A relay keeps this network’s changes, sealed so it cannot read them, for devices that are not
          online at the same time.
        </p>
      ) : (
        <ul className="plain" aria-label="Relays">
          {urls.map((u) => {
            const s = statuses.find((x) => x.url === u);
            return (
              <li key={u}>
                <span className={s?.ok ? 'dot dot-on' : 'dot'} aria-hidden="true" /> <code>{u}</code>{' '}
                <button
                  type="button"
                  className="link"
                  aria-label={`Remove ${u}`}
                  onClick={() => void save(urls.filter((x) => x !== u))}
                >
                  Remove
                </button>
                <div className="hint" aria-label={`Status of ${u}`}>
                  {s ? s.message : 'Not reached yet'}
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <form className="inline-form" onSubmit={add} noValidate>
        <div className={error ? 'field field-invalid' : 'field'}>
          <label htmlFor="relay-url">Relay address</label>
          <input
            id="relay-url"
            value={draft}
            placeholder="ws://192.168.1.20:4455"
            aria-invalid={error ? true : undefined}
            onChange={(e) => setDraft(e.target.value)}
          />
          {error && (
            <span className="field-error" role="alert">
              {error}
            </span>
          )}
        </div>
        <button type="submit">Add relay</button>
      </form>
      {urls.length > 0 && (
        <button type="button" onClick={() => void syncNow()} disabled={busy}>
          {busy ? 'Syncing…' : 'Sync with relay now'}
        </button>
      )}
    </section>
  );
}
