import { useMemo, useState } from 'react';
import { DEFAULT_CATEGORIES } from '../../shared/catalog';
import type { Move, Severity } from '../../shared/network';
import { useStore } from '../app/StoreContext';
import { useNetworkData } from '../app/networkData';
import { toFormErrors } from '../app/errors';
import { formatAge } from '../app/time';

const SEVERITY_LABEL: Record<Severity, string> = {
  out: 'Out',
  short: 'Short',
  'running-out': 'Runs out soon',
  ok: 'OK',
  surplus: 'Surplus',
};
const SEVERITY_CLASS: Record<Severity, string> = {
  out: 'status-out',
  short: 'status-low',
  'running-out': 'status-expiring',
  ok: 'status-ok',
  surplus: 'status-count',
};

function cover(days: number | null): string {
  if (days === null) return '—';
  if (days <= 0) return '0 days';
  if (days < 1) return 'under a day';
  const d = Math.floor(days);
  return `${d} ${d === 1 ? 'day' : 'days'}`;
}

/**
 * What a coordinator opens every morning: what is short where, who has surplus to move, how long stock
 * will last, and how fresh each hub's figures are. Stale hubs (no entry seen here for 24 hours) are
 * listed apart and never added to the fresh figures.
 */
export function NetworkScreen() {
  const store = useStore();
  const [category, setCategory] = useState('');
  const [hub, setHub] = useState('');
  const filter = useMemo(
    () => ({ ...(category ? { category } : {}), ...(hub ? { hub } : {}) }),
    [category, hub],
  );
  const data = useNetworkData(filter);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const hubName = (id: string) => data?.hubs.find((h) => h.id === id)?.name ?? id;
  const itemName = (id: string) => data?.itemsById.get(id)?.name ?? id;
  const unit = (id: string) => data?.itemsById.get(id)?.unit ?? 'unit';
  const categories = useMemo(
    () => [...new Set([...DEFAULT_CATEGORIES, ...(data?.items ?? []).map((i) => i.category)])].sort(),
    [data?.items],
  );
  // A move already asked for (or on its way) to that hub is not suggested again.
  const open = useMemo(
    () =>
      new Set(
        (data?.transfers ?? [])
          .filter((t) => t.status === 'requested' || t.status === 'in transit')
          .map((t) => `${t.item}|${t.to}`),
      ),
    [data?.transfers],
  );
  const moves = (data?.view.moves ?? []).filter((m) => !open.has(`${m.item}|${m.to}`));

  const createTransfer = async (m: Move) => {
    try {
      await store.requestTransfer({ item: m.item, from: m.from, to: m.to, quantity: String(m.qty) });
      setMessage({
        text: `Transfer requested: ${m.qty} ${itemName(m.item)} from ${hubName(m.from)} to ${hubName(m.to)}. ${hubName(m.from)} sees it under Transfers.`,
        error: false,
      });
    } catch (e) {
      setMessage({ text: toFormErrors(e).summary.join(' '), error: true });
    }
  };

  return (
    <section aria-labelledby="network-title">
      <header className="screen-header">
        <h1 id="network-title">Network</h1>
        <p className="muted">
          Shortages across every hub, from the figures that reached this device. Hubs with no entry for 24
          hours are stale and kept apart.
        </p>
      </header>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="network-category">Category</label>
          <select id="network-category" value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">All categories</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="network-hub">Hub</label>
          <select id="network-hub" value={hub} onChange={(e) => setHub(e.target.value)}>
            <option value="">All hubs</option>
            {(data?.hubs ?? []).map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {!data ? (
        <p>Loading the network…</p>
      ) : (
        <>
          <div className="sync-grid">
            <section className="card" aria-labelledby="fresh-title">
              <h2 id="fresh-title">Hubs</h2>
              <table className="data compact" aria-label="Hub freshness">
                <thead>
                  <tr>
                    <th scope="col">Hub</th>
                    <th scope="col">Newest entry</th>
                    <th scope="col">Figures</th>
                    <th scope="col" className="num">
                      Needs
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.view.hubs.map((h) => (
                    <tr key={h.hub}>
                      <th scope="row">{h.name}</th>
                      <td>{h.ageMs === null ? 'nothing yet' : formatAge(data.now - h.ageMs, data.now)}</td>
                      <td>
                        {h.stale ? (
                          <span className="status status-low">Stale</span>
                        ) : (
                          <span className="status status-ok">Fresh</span>
                        )}
                      </td>
                      <td className="num">{h.stale ? '—' : h.shortages.length}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="card" aria-labelledby="moves-title">
              <h2 id="moves-title">Suggested moves</h2>
              {moves.length === 0 ? (
                <p className="muted">
                  No move to suggest: no fresh hub is short of something another fresh hub has above its
                  target.
                </p>
              ) : (
                <ul className="plain moves" aria-label="Suggested moves">
                  {moves.map((m) => {
                    const text = `${m.qty} ${itemName(m.item)} from ${hubName(m.from)} to ${hubName(m.to)}`;
                    return (
                      <li key={`${m.item}|${m.from}|${m.to}`}>
                        <span>
                          Send <strong>{m.qty}</strong> {unit(m.item)}s of <strong>{itemName(m.item)}</strong>{' '}
                          from {hubName(m.from)} to {hubName(m.to)}
                        </span>
                        <button
                          type="button"
                          className="primary"
                          aria-label={`Create transfer: ${text}`}
                          onClick={() => void createTransfer(m)}
                        >
                          Create transfer
                        </button>
                      </li>
                    );
                  })}
                </ul>
              )}
              <p role="status" className={message?.error ? 'form-error' : 'saved'}>
                {message?.text}
              </p>
            </section>
          </div>
          <h2 className="section-title">Items</h2>
          {data.view.items.length === 0 ? (
            <p className="empty">No items match.</p>
          ) : (
            <table className="data network" aria-label="Network stock">
              <thead>
                <tr>
                  <th scope="col">Item</th>
                  <th scope="col">Worst</th>
                  <th scope="col" className="num">
                    On hand
                  </th>
                  <th scope="col" className="num">
                    In transit
                  </th>
                  <th scope="col">Out or short at</th>
                  <th scope="col">Surplus at</th>
                  <th scope="col">Shortest cover</th>
                </tr>
              </thead>
              <tbody>
                {data.view.items.map((i) => (
                  <tr key={i.item}>
                    <th scope="row">
                      {i.name}
                      <span className="muted unit-note"> · {i.category ?? '—'}</span>
                    </th>
                    <td>
                      {i.worst ? (
                        <span className={`status ${SEVERITY_CLASS[i.worst]}`}>{SEVERITY_LABEL[i.worst]}</span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td className="num">
                      <strong>{i.freshTotal.toLocaleString()}</strong>
                      {i.staleTotal !== 0 && (
                        <span className="muted stale-figure"> + {i.staleTotal.toLocaleString()} stale</span>
                      )}
                    </td>
                    <td className="num">{i.inTransit ? i.inTransit.toLocaleString() : '—'}</td>
                    <td>
                      {[...i.outHubs.map((h) => `${hubName(h)} (out)`), ...i.shortHubs.map(hubName)].join(
                        ', ',
                      ) || (i.runningOutHubs.length ? '' : '—')}
                      {i.runningOutHubs.length > 0 && (
                        <span className="muted">
                          {' '}
                          runs out soon: {i.runningOutHubs.map(hubName).join(', ')}
                        </span>
                      )}
                    </td>
                    <td>{i.surplusHubs.map((s) => `${hubName(s.hub)} (+${s.surplus})`).join(', ') || '—'}</td>
                    <td>{cover(i.minCover)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2 className="section-title">Shortages by hub</h2>
          <div className="sync-grid">
            {data.view.hubs.map((h) => (
              <section className="card" key={h.hub} aria-label={`Shortages at ${h.name}`}>
                <h3>
                  {h.name} {h.stale && <span className="status status-low">Stale</span>}
                </h3>
                {h.stale ? (
                  <p className="muted">
                    No entry from this hub for{' '}
                    {h.ageMs === null ? 'ever' : formatAge(data.now - h.ageMs, data.now).replace(' ago', '')}:
                    its figures are not trusted for shortages.
                  </p>
                ) : h.shortages.length === 0 ? (
                  <p className="muted">Nothing short.</p>
                ) : (
                  <ul className="plain">
                    {h.shortages.map((s) => (
                      <li key={s.item}>
                        <span className={`status ${SEVERITY_CLASS[s.severity]}`}>
                          {SEVERITY_LABEL[s.severity]}
                        </span>
                        {itemName(s.item)}: {s.onHand} on hand{s.min !== null ? `, minimum ${s.min}` : ''}
                        {s.cover !== null && s.cover > 0 ? `, ${cover(s.cover)} of cover` : ''}
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
