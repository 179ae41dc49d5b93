import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useFirstView } from '../app/firstView';
import type { TFunction } from 'i18next';
import { ENTRY_KINDS, ownEffect, type EntryKind } from '../../shared/entries';
import { KIND_LABEL, REASON_LABEL, SOURCE_LABEL } from '../i18n/entryWords';
import type { LedgerRow } from '../../shared/projection';
import { useStore } from '../app/StoreContext';
import { useItems } from '../data/catalog';
import { useDeviceNames } from '../data/devices';
import { useEntries, useHistory } from '../data/history';
import { useHubChoice, useHubNames } from '../data/hubs';
import { useFormat, type Format } from '../i18n/format';
import { useCommand } from '../app/useCommand';
import { CommandStatus } from '../components/StatusMessage';
import { useSelf } from '../data/self';

const PAGE = 100;

function details(
  row: LedgerRow,
  hubNames: ReadonlyMap<string, string>,
  undone: ReadonlyMap<string, LedgerRow>,
  t: TFunction,
  format: Format,
): string {
  const parts: string[] = [];
  const hub = (id: string) => hubNames.get(id) ?? id;
  switch (row.kind) {
    case 'donation':
      parts.push(t('history.from', { source: t(SOURCE_LABEL[row.source]) }));
      if (row.packs) parts.push(t('history.packs', { count: row.packs }));
      if (row.expiry) parts.push(t('history.expires', { day: format.day(row.expiry) }));
      break;
    case 'pickup':
      if (row.households) parts.push(t('history.households', { count: row.households }));
      if (row.packs) parts.push(t('history.packs', { count: row.packs }));
      if (row.belowZero) parts.push(t('history.belowZero'));
      break;
    case 'count':
      parts.push(
        t('history.counted', { counted: format.number(row.counted), seen: format.number(row.seen) }),
      );
      break;
    case 'discard':
      parts.push(t(REASON_LABEL[row.reason]));
      break;
    case 'reversal': {
      // What was undone, as a person knows it (its kind and when), not the entry's internal id.
      const target = undone.get(row.target);
      parts.push(
        target
          ? t('history.undoes', { kind: t(KIND_LABEL[target.kind]), when: format.dateTime(target.at) })
          : t('history.undoesUnknown'),
      );
      break;
    }
    case 'transfer_request':
      parts.push(t('history.askedFor', { qty: format.number(row.qty), hub: hub(row.to) }));
      break;
    case 'transfer_out':
      parts.push(t('history.to', { hub: hub(row.to) }));
      if (row.applied === 0 && !row.reversedBy) parts.push(t('history.twice'));
      break;
    case 'transfer_in':
      parts.push(t('history.fromHub', { hub: hub(row.from) }));
      if (row.qty > 0 && row.applied === 0 && !row.reversedBy) parts.push(t('history.twice'));
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
  const { t } = useTranslation();
  const format = useFormat();
  const self = useSelf()!;
  // A coordinator has no hub of its own: it reads any hub's history, starting with the first by name.
  const { hubs, hub, choose: setChosen } = useHubChoice(self.hubId);
  // Undo is for the hub's own devices, and for entries a coordinator recorded for it.
  const canUndo = (row: LedgerRow) => self.hubId === hub || row.device === self.deviceId;
  const items = useItems();
  const names = useMemo(() => new Map((items ?? []).map((i) => [i.id, i.name])), [items]);
  const devices = useDeviceNames();
  const hubNames = useHubNames() ?? new Map<string, string>();
  const [item, setItem] = useState('');
  const [kind, setKind] = useState<'' | EntryKind>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const [confirming, setConfirming] = useState<string | null>(null);
  const command = useCommand();

  const history = useHistory({ hub, item, kind, from, to, limit });
  const rows = history?.rows;
  // A page opened again on History: the ledger loads once its rows are painted, not while they are read
  // (at 50 hubs and 100k entries they came at 1.7-1.8 s behind the ledger's load, instead of 0.x s).
  useFirstView(rows !== undefined);
  // The rows shown are of the filter before, while this one's are read.
  const stale = history?.stale ?? false;
  // The entries the shown undos undid, to name them.
  const targets = useMemo(
    () => [...new Set((rows ?? []).flatMap((r) => (r.kind === 'reversal' ? [r.target] : [])))],
    [rows],
  );
  const undone = useEntries(targets) ?? new Map<string, LedgerRow>();

  const undo = async (row: LedgerRow) => {
    await command.run(() => store.undo(row.id), {
      done: (reversal) =>
        t('history.undid', {
          kind: t(KIND_LABEL[row.kind]),
          item: names.get(row.item) ?? row.item,
          change: format.number(reversal.effect, { signDisplay: 'exceptZero' }),
        }),
    });
    setConfirming(null);
  };

  return (
    <section aria-labelledby="history-title">
      <header className="screen-header">
        <h1 id="history-title">{t('nav.history')}</h1>
        <p className="muted">{t('history.lead')}</p>
      </header>
      <div className="toolbar">
        {self.role === 'coordinator' && (
          <div className="field">
            <label htmlFor="history-hub">{t('stock.hub')}</label>
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
          <label htmlFor="history-item">{t('lines.item')}</label>
          <select id="history-item" value={item} onChange={(e) => setItem(e.target.value)}>
            <option value="">{t('stock.filterAll')}</option>
            {(items ?? []).map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="history-kind">{t('history.kind')}</label>
          <select id="history-kind" value={kind} onChange={(e) => setKind(e.target.value as EntryKind | '')}>
            <option value="">{t('history.allKinds')}</option>
            {ENTRY_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(KIND_LABEL[k])}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="history-from">{t('history.fromDate')}</label>
          <input id="history-from" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="history-to">{t('history.toDate')}</label>
          <input id="history-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
      </div>
      <CommandStatus command={command} early duringRebuild />
      {(!rows || stale) && <p role="status">{t('history.loading')}</p>}
      {!rows ? null : rows.length === 0 ? (
        !stale && <p className="empty">{t('history.none')}</p>
      ) : (
        <div className="table-scroll">
          <table
            className={stale ? 'data history stale' : 'data history'}
            aria-label={t('nav.history')}
            aria-busy={stale || undefined}
          >
            <thead>
              <tr>
                <th scope="col">{t('history.when')}</th>
                <th scope="col">{t('history.kind')}</th>
                <th scope="col">{t('lines.item')}</th>
                <th scope="col" className="num">
                  {t('history.change')}
                </th>
                <th scope="col">{t('history.details')}</th>
                <th scope="col">{t('history.recordedOn')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('stock.colActions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} className={row.reversedBy ? 'reversed' : undefined}>
                  <td>{format.dateTime(row.at)}</td>
                  <td>
                    <span className={`kind kind-${row.kind}`}>{t(KIND_LABEL[row.kind])}</span>
                  </td>
                  <th scope="row">{names.get(row.item) ?? row.item}</th>
                  <td className={`num strong ${change(row) < 0 ? 'neg' : change(row) > 0 ? 'pos' : ''}`}>
                    {format.number(change(row), { signDisplay: 'exceptZero' })}
                  </td>
                  <td>
                    {details(row, hubNames, undone, t, format)}
                    {row.reversedBy && <span className="status status-count">{t('history.undone')}</span>}
                  </td>
                  <td className="muted">
                    {devices?.get(row.device) ?? row.device}
                    {row.recordedAt - row.at > 60_000
                      ? ` · ${t('history.typedIn', { when: format.dateTime(row.recordedAt) })}`
                      : ''}
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
                          aria-label={t('history.undoOf', {
                            kind: t(KIND_LABEL[row.kind]),
                            item: names.get(row.item) ?? row.item,
                          })}
                          onClick={() => setConfirming(row.id)}
                        >
                          {t('history.undo')}
                        </button>
                      )}
                    {confirming === row.id && (
                      <span className="confirm">
                        <button type="button" className="danger" onClick={() => void undo(row)}>
                          {t('history.confirmUndo')}
                        </button>
                        <button type="button" className="link" onClick={() => setConfirming(null)}>
                          {t('history.keep')}
                        </button>
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows && rows.length === limit && (
        <button type="button" onClick={() => setLimit(limit + PAGE)}>
          {t('history.older')}
        </button>
      )}
    </section>
  );
}
