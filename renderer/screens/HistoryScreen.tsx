import { useLiveQuery } from 'dexie-react-hooks';
import Dexie from 'dexie';
import { useMemo, useState } from 'react';
import { ENTRY_KINDS, ownEffect, type EntryKind } from '../../shared/entries';
import type { LedgerRow } from '../../shared/projection';
import { useStore } from '../app/StoreContext';
import { useItems } from '../app/hooks';
import { toFormErrors } from '../app/errors';
import { formatDateTime } from '../app/time';

const KIND_LABEL: Record<EntryKind, string> = {
  donation: 'Donation',
  pickup: 'Pickup',
  count: 'Count',
  discard: 'Discard',
  reversal: 'Undo',
  transfer_request: 'Transfer asked',
  transfer_out: 'Sent',
  transfer_in: 'Received',
  transfer_resolve: 'Difference settled',
};
const PAGE = 100;

function details(row: LedgerRow, hubNames: ReadonlyMap<string, string>): string {
  const parts: string[] = [];
  switch (row.kind) {
    case 'donation':
      parts.push(`from ${row.source}`);
      if (row.packs) parts.push(`${row.packs} packs`);
      if (row.expiry) parts.push(`expires ${row.expiry}`);
      break;
    case 'pickup':
      if (row.households) parts.push(`${row.households} households`);
      if (row.packs) parts.push(`${row.packs} packs`);
      if (row.belowZero) parts.push('went below zero');
      break;
    case 'count':
      parts.push(`counted ${row.counted}, record showed ${row.seen}`);
      break;
    case 'discard':
      parts.push(row.reason);
      break;
    case 'reversal':
      parts.push(`undoes ${row.target}`);
      break;
    case 'transfer_request':
      parts.push(`${row.qty} asked for ${hubNames.get(row.to) ?? row.to}`);
      break;
    case 'transfer_out':
      parts.push(`to ${hubNames.get(row.to) ?? row.to}`);
      if (row.applied === 0 && !row.reversedBy) parts.push('recorded twice, counted once');
      break;
    case 'transfer_in':
      parts.push(`from ${hubNames.get(row.from) ?? row.from}`);
      if (row.qty > 0 && row.applied === 0 && !row.reversedBy) parts.push('recorded twice, counted once');
      break;
    case 'transfer_resolve':
      break;
  }
  if (row.note) parts.push(`“${row.note}”`);
  return parts.join(' · ');
}

/**
 * The change an entry stands for, as a person reads the history: an undone donation still shows +20 (struck
 * through) and its undo -20, though neither counts any more.
 */
function change(row: LedgerRow): number {
  return row.kind === 'reversal' ? row.effect : ownEffect(row);
}

/** Every entry at this hub, newest first. Undo adds a reversal entry; both stay in the history. */
export function HistoryScreen() {
  const store = useStore();
  const self = store.self!;
  const hubs = useLiveQuery(() => store.db.hubs.toArray(), []);
  const [chosen, setChosen] = useState<string | null>(self.hubId);
  // A coordinator has no hub of its own: it reads any hub's history, starting with the first by name.
  const hub = chosen ?? [...(hubs ?? [])].sort((a, b) => a.name.localeCompare(b.name))[0]?.id ?? '';
  // Undo is for the hub's own devices, and for entries a coordinator recorded for it.
  const canUndo = (row: LedgerRow) => self.hubId === hub || row.device === self.deviceId;
  const items = useItems();
  const names = useMemo(() => new Map((items ?? []).map((i) => [i.id, i.name])), [items]);
  const devices = useLiveQuery(
    async () => new Map((await store.db.devices.toArray()).map((d) => [d.id, d.name])),
    [],
  );
  const hubNames =
    useLiveQuery(async () => new Map((await store.db.hubs.toArray()).map((h) => [h.id, h.name])), []) ??
    new Map<string, string>();
  const [item, setItem] = useState('');
  const [kind, setKind] = useState<'' | EntryKind>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const fromMs = from ? new Date(`${from}T00:00:00`).getTime() : Dexie.minKey;
  const toMs = to ? new Date(`${to}T23:59:59.999`).getTime() : Dexie.maxKey;
  const rows = useLiveQuery(() => {
    const db = store.db;
    // Use the index that narrows most; the other filter, if any, runs on what it returns.
    const query = item
      ? db.ledger.where('[hub+item+at]').between([hub, item, fromMs], [hub, item, toMs], true, true)
      : kind
        ? db.ledger.where('[hub+kind+at]').between([hub, kind, fromMs], [hub, kind, toMs], true, true)
        : db.ledger.where('[hub+at]').between([hub, fromMs], [hub, toMs], true, true);
    const filtered = item && kind ? query.filter((r) => r.kind === kind) : query;
    return filtered.reverse().limit(limit).toArray();
  }, [hub, item, kind, fromMs, toMs, limit]);

  const undo = async (row: LedgerRow) => {
    try {
      const reversal = await store.undo(row.id);
      setMessage({
        text: `Saved: undid ${KIND_LABEL[row.kind].toLowerCase()} of ${names.get(row.item) ?? row.item} (${reversal.effect > 0 ? '+' : ''}${reversal.effect}).`,
        error: false,
      });
    } catch (e) {
      setMessage({ text: toFormErrors(e).summary.join(' '), error: true });
    } finally {
      setConfirming(null);
    }
  };

  return (
    <section aria-labelledby="history-title">
      <header className="screen-header">
        <h1 id="history-title">History</h1>
        <p className="muted">
          Every entry at this hub, newest first. Nothing is ever erased: an undo is an entry too.
        </p>
      </header>
      <div className="toolbar">
        {self.role === 'coordinator' && (
          <div className="field">
            <label htmlFor="history-hub">Hub</label>
            <select id="history-hub" value={hub} onChange={(e) => setChosen(e.target.value)}>
              {(hubs ?? []).map((h) => (
                <option key={h.id} value={h.id}>
                  {h.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="history-item">Item</label>
          <select id="history-item" value={item} onChange={(e) => setItem(e.target.value)}>
            <option value="">All items</option>
            {(items ?? []).map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="history-kind">Kind</label>
          <select id="history-kind" value={kind} onChange={(e) => setKind(e.target.value as EntryKind | '')}>
            <option value="">All kinds</option>
            {ENTRY_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="history-from">From</label>
          <input id="history-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="history-to">To</label>
          <input id="history-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
      </div>
      <p role="status" className={message?.error ? 'form-error' : 'saved'}>
        {message?.text}
      </p>
      {!rows ? (
        <p>Loading history…</p>
      ) : rows.length === 0 ? (
        <p className="empty">No entries match.</p>
      ) : (
        <table className="data history" aria-label="History">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Item</th>
              <th scope="col" className="num">
                Change
              </th>
              <th scope="col">Details</th>
              <th scope="col">Recorded on</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} className={row.reversedBy ? 'reversed' : undefined}>
                <td>{formatDateTime(row.at)}</td>
                <td>
                  <span className={`kind kind-${row.kind}`}>{KIND_LABEL[row.kind]}</span>
                </td>
                <th scope="row">{names.get(row.item) ?? row.item}</th>
                <td className={`num strong ${change(row) < 0 ? 'neg' : change(row) > 0 ? 'pos' : ''}`}>
                  {change(row) > 0 ? '+' : ''}
                  {change(row)}
                </td>
                <td>
                  {details(row, hubNames)}
                  {row.reversedBy && <span className="status status-count"> Undone</span>}
                </td>
                <td className="muted">
                  {devices?.get(row.device) ?? row.device}
                  {row.recordedAt - row.at > 60_000 ? ` · typed in ${formatDateTime(row.recordedAt)}` : ''}
                </td>
                <td>
                  {row.kind !== 'reversal' &&
                    row.kind !== 'transfer_resolve' &&
                    canUndo(row) &&
                    !row.reversedBy &&
                    confirming !== row.id && (
                      <button
                        type="button"
                        className="link"
                        aria-label={`Undo ${KIND_LABEL[row.kind].toLowerCase()} of ${names.get(row.item) ?? row.item}`}
                        onClick={() => setConfirming(row.id)}
                      >
                        Undo
                      </button>
                    )}
                  {confirming === row.id && (
                    <span className="confirm">
                      <button type="button" className="danger" onClick={() => void undo(row)}>
                        Confirm undo
                      </button>
                      <button type="button" className="link" onClick={() => setConfirming(null)}>
                        Keep
                      </button>
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows && rows.length === limit && (
        <button type="button" onClick={() => setLimit(limit + PAGE)}>
          Show older entries
        </button>
      )}
    </section>
  );
}
