import { useLiveQuery } from 'dexie-react-hooks';
import { useState } from 'react';
import { useStore } from '../app/StoreContext';
import type { DataCheck } from '../storage/check';

const when = (at: number) =>
  new Date(at).toLocaleString('en-US', {
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });

/**
 * Shown above every screen when this device found part of its saved data damaged at startup: what is
 * missing, that nothing was deleted, and the two ways to get it back.
 */
export function DataNotice() {
  const store = useStore();
  const notice = useLiveQuery(async () => {
    const damage = await store.db.meta.get('damage');
    if (damage?.key !== 'damage') return null;
    const back = await store.db.ledger.bulkGet(damage.missing.map((m) => m.id));
    const items = new Map((await store.db.items.toArray()).map((i) => [i.id, i.name]));
    const still = damage.missing.filter((_, i) => !back[i]);
    return { damage, still, items };
  }, []);
  if (!notice) return null;
  const { damage, still, items } = notice;
  const dismiss = () => void store.db.meta.delete('damage');
  if (still.length === 0)
    return (
      <section className="card notice" role="status" aria-label="Data notice">
        <p>
          Everything that was missing from this device’s data is back.{' '}
          <button type="button" onClick={dismiss}>
            Dismiss
          </button>
        </p>
      </section>
    );
  const count = damage.missingCount;
  return (
    <section className="warning" role="alert" aria-labelledby="data-notice-title">
      <h2 id="data-notice-title">Some saved data could not be read</h2>
      <p>
        When Larder started on {when(damage.at)}, part of this device’s saved data was damaged.{' '}
        {count === 1 ? '1 entry is' : `${count.toLocaleString('en-US')} entries are`} missing from the figures
        {damage.rows > 0 ? ' (the damaged data is kept aside, nothing was deleted)' : ''}. Entries recorded on
        this device since then may not count until the missing ones are back.
      </p>
      <ul className="plain small" aria-label="Missing entries">
        {still.slice(0, 8).map((m) => (
          <li key={m.id}>
            {m.kind[0]!.toUpperCase() + m.kind.slice(1)} · {items.get(m.item) ?? 'an item'} ·{' '}
            {new Date(m.at).toLocaleDateString('en-US')}
          </li>
        ))}
        {still.length > 8 && <li>and {(still.length - 8).toLocaleString('en-US')} more</li>}
      </ul>
      <p>To get them back from another device of the network:</p>
      <ul className="plain">
        <li>
          <a href="#/sync">Sync with another device</a>
          {': connect'} to a device that has them.
        </li>
        <li>
          <a href="#/sync">Import a sync file</a> from another device (Sync › Sync files).
        </li>
      </ul>
    </section>
  );
}

/** "Check data": compares every figure with the ledger, says what differs, and repairs it. */
export function CheckDataPanel() {
  const store = useStore();
  const [result, setResult] = useState<{ check: DataCheck; repaired: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (repair: boolean) => {
    setBusy(true);
    setError(null);
    try {
      await store.ready;
      const check = repair ? await store.persistence.repairData() : await store.persistence.checkData();
      setResult({ check, repaired: repair });
    } catch (e) {
      setError(`The check could not finish: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };
  const differences = result?.check.differences ?? [];
  return (
    <section className="card" aria-labelledby="check-title">
      <h2 id="check-title">Check data</h2>
      <p className="muted">
        Compares every figure, list and setting on this device with its ledger, and repairs what differs.
      </p>
      <button type="button" onClick={() => void run(false)} disabled={busy}>
        {busy ? 'Checking…' : 'Check data'}
      </button>
      {error && <p role="alert">{error}</p>}
      {result && (
        <div role="status" aria-label="Check data result">
          {differences.length === 0 ? (
            <p>
              {result.repaired ? 'Repaired. ' : ''}Everything matches the ledger (
              {result.check.rows.toLocaleString('en-US')} rows checked).
            </p>
          ) : (
            <>
              <p>Some of what this device shows differs from its ledger:</p>
              <ul>
                {differences.map((d) => (
                  <li key={d.table}>
                    {d.summary}
                    {d.examples.length > 0 && (
                      <ul className="plain small">
                        {d.examples.map((e) => (
                          <li key={e}>{e}</li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
              </ul>
              <button type="button" onClick={() => void run(true)} disabled={busy}>
                Repair from the ledger
              </button>
            </>
          )}
        </div>
      )}
    </section>
  );
}
