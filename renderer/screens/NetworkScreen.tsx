import { memo, useCallback, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { categoryList } from '../../shared/categories';
import { movesToShow, type Move, type Severity } from '../../shared/network';
import { useStore } from '../app/StoreContext';
import { useNetworkData } from '../data/networkData';
import {
  PREVIEW_ITEMS,
  PREVIEW_MOVES,
  previewHub,
  useNetworkPreview,
  type PreviewHub,
} from '../data/networkPreview';
import { useSelf } from '../data/self';
import { useFormat } from '../i18n/format';
import { unitWord } from '../i18n/units';
import { namedFirst } from '../i18n/namedFirst';
import { useCategoryName } from '../i18n/categories';
import { useCommand } from '../app/useCommand';
import { CommandStatus } from '../components/StatusMessage';
import { FoldedList, FoldToggle } from '../components/FoldedList';
import { useFirstView } from '../app/firstView';
import { firstRows, useShownAfter, useShownRows } from '../app/slices';
import type { Format } from '../i18n/format';
import type { HubSummary, ItemSummary } from '../../shared/network/summaries';

/** A hub's state for an item; below its minimum is "low" here as on the Stock screen (catalog keys). */
const SEVERITY_LABEL = {
  out: 'status.out',
  short: 'status.low',
  'running-out': 'network.runningOut',
  ok: 'status.ok',
  surplus: 'network.surplus',
} as const satisfies Record<Severity, string>;
const SEVERITY_CLASS: Record<Severity, string> = {
  out: 'status-out',
  short: 'status-low',
  'running-out': 'status-expiring',
  ok: 'status-ok',
  surplus: 'status-count',
};

/**
 * Suggested moves and each hub's shortages shown before "Show all": the cards stay a summary beside each
 * other however large the network (every item of a 500-item catalog can be short at a hub).
 */
const MOVES_SHOWN = PREVIEW_MOVES;
const SHORTAGES_SHOWN = 6;
/**
 * Items table rows in the first view: below the hubs' and the moves' cards, a laptop's window shows about
 * ten. (The view saved for the next start holds as many: networkPreview.ts.)
 */
const NETWORK_FIRST_ROWS = PREVIEW_ITEMS;
/**
 * Items table rows shown before "Show all", the most urgent first (`compareItemSummaries`). A network's whole
 * catalog (2,000 items) in the table put each hub's shortages, below it, 2,000 rows down, and kept the page
 * adding rows for seven seconds after the figures were up: 80 slices of 50-77 ms each, most of it the
 * layout of an ever longer table (bench/profile-start.ts --screen=network on 50 hubs x 2,000 items).
 */
const ITEMS_FOLDED = 50;

/**
 * Hubs named in one cell of the items table before "and N more hubs": an item out at 47 hubs of 50 named them
 * all, a row twenty lines tall. The Hub filter above the table shows one hub's figures.
 */
const HUBS_NAMED = 5;

/** `names` as a list, the first HUBS_NAMED of them, then how many more; '' for none. */
function hubList(names: readonly string[], t: TFunction, format: Format): string {
  return namedFirst(names, HUBS_NAMED, format.list, (count) => t('network.moreHubs', { count }));
}

function cover(days: number | null, t: TFunction): string {
  if (days === null) return '—';
  if (days <= 0) return t('network.days', { count: 0 });
  if (days < 1) return t('network.underADay');
  return t('network.days', { count: Math.floor(days) });
}

/**
 * What a coordinator opens every morning: what is short where, who has surplus to move, how long stock
 * will last, and how fresh each hub's figures are. Stale hubs (no entry seen here for 24 hours) are
 * listed apart and never added to the fresh figures.
 */
export function NetworkScreen() {
  const store = useStore();
  const { t } = useTranslation();
  const format = useFormat();
  const categoryName = useCategoryName();
  const [category, setCategory] = useState('');
  const [hub, setHub] = useState('');
  const filter = useMemo(
    () => ({ ...(category ? { category } : {}), ...(hub ? { hub } : {}) }),
    [category, hub],
  );
  const data = useNetworkData(filter);
  // Until the figures are worked out at a start, the view this device saved the last time (networkPreview.ts),
  // marked as such, with nothing that acts on it: no filter, no request.
  const saved = useNetworkPreview();
  const preview = !data && !category && !hub ? saved : null;
  // Said of the live figures only: the ledger's load starts then (firstView.ts), and must not slow their reads.
  useFirstView(data !== null && data !== undefined);
  // The items table's most urgent rows, unless all were asked for (ItemRows adds them a slice at a time).
  const [allItems, setAllItems] = useState(false);
  const itemsTableId = useId();
  // Each hub's shortages, below the items table: rendered once the figures above are (20 hubs' lists were a
  // third of the first view's rendering).
  const shownByHub = useShownAfter(!!data);
  const command = useCommand();
  const self = useSelf();
  // A request is an entry of the sending hub: a coordinator's device may write it for any hub, a hub's
  // device only for its own (the store refuses the rest), so only those moves get a button here.
  const mayRequest = (m: Move) => self?.role === 'coordinator' || m.from === self?.hubId;

  const hubs = data?.hubs;
  const previewHubs = preview?.hubs;
  // Stable while the hubs are, so that the item rows already shown are not rendered again (NetworkItemRow).
  const hubName = useCallback(
    (id: string) =>
      hubs?.find((h) => h.id === id)?.name ?? previewHubs?.find((h) => h.hub === id)?.name ?? id,
    [hubs, previewHubs],
  );
  const previewNames = useMemo(() => new Map(preview?.names.map((n) => [n[0], n])), [preview]);
  const itemsById = data?.itemsById;
  // Stable while the catalog is, so that the hubs' shortage cards are not rendered again (HubShortageCards).
  const itemName = useCallback(
    (id: string) => itemsById?.get(id)?.name ?? previewNames.get(id)?.[1] ?? id,
    [itemsById, previewNames],
  );
  const unit = (id: string) =>
    data?.itemsById.get(id)?.unit ?? previewNames.get(id)?.[2] ?? t('network.unit');
  const categories = useMemo(() => categoryList(data?.items ?? []), [data?.items]);
  // Not a move already asked for (or on its way) to that hub; the most urgent first (`movesToShow`).
  const viewItems = data?.view.items;
  const viewMoves = data?.view.moves;
  const transfers = data?.transfers;
  const moves = useMemo(
    () => (viewMoves ? movesToShow(viewMoves, viewItems ?? [], transfers ?? []) : (preview?.moves ?? [])),
    [viewItems, viewMoves, transfers, preview],
  );
  // The hubs' freshness and needs, from the figures or the saved view.
  const hubRows: PreviewHub[] | undefined = useMemo(
    () => data?.view.hubs.map(previewHub) ?? preview?.hubs ?? undefined,
    [data?.view.hubs, preview],
  );
  const shown = data
    ? { now: data.now, items: data.view.items }
    : preview && { now: preview.takenAt, items: preview.items };

  // Busy while the request is saved: its button (and every other suggestion's) is disabled, so a double
  // click cannot ask twice.
  const createTransfer = (m: Move) =>
    command.run(
      () => store.requestTransfer({ item: m.item, from: m.from, to: m.to, quantity: String(m.qty) }),
      {
        done: () =>
          t('network.requested', {
            qty: format.number(m.qty),
            item: itemName(m.item),
            from: hubName(m.from),
            to: hubName(m.to),
          }),
      },
    );

  return (
    <section aria-labelledby="network-title" aria-busy={preview ? true : undefined}>
      <header className="screen-header">
        <h1 id="network-title">{t('nav.network')}</h1>
        <p className="muted">{t('network.lead')}</p>
      </header>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="network-category">{t('items.category')}</label>
          <select
            id="network-category"
            value={category}
            disabled={!!preview}
            onChange={(e) => setCategory(e.target.value)}
          >
            <option value="">{t('network.allCategories')}</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {categoryName(c)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="network-hub">{t('stock.hub')}</label>
          <select id="network-hub" value={hub} disabled={!!preview} onChange={(e) => setHub(e.target.value)}>
            <option value="">{t('network.allHubs')}</option>
            {(data?.hubs ?? []).map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {preview && (
        <p className="muted" role="status">
          {/* Its age, not its date and time: a date format's first use took 24 ms of a cold first view. */}
          {t('network.preview', { age: format.age(preview.takenAt, Date.now()) })}
        </p>
      )}
      {!shown || !hubRows ? (
        <p>{t('network.loading')}</p>
      ) : (
        <>
          <div className="sync-grid">
            <section className="card" aria-labelledby="fresh-title">
              <h2 id="fresh-title">{t('network.hubs')}</h2>
              <div className="table-scroll">
                <table className="data compact" aria-label={t('network.freshness')}>
                  <thead>
                    <tr>
                      <th scope="col">{t('stock.hub')}</th>
                      <th scope="col">{t('network.newest')}</th>
                      <th scope="col">{t('network.figures')}</th>
                      <th scope="col" className="num">
                        {t('network.needs')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {hubRows.map((h) => (
                      <tr key={h.hub}>
                        <th scope="row">{h.name}</th>
                        <td>
                          {h.ageMs === null
                            ? t('network.nothingYet')
                            : format.age(shown.now - h.ageMs, shown.now)}
                        </td>
                        <td>
                          {h.stale ? (
                            <span className="status status-low">{t('network.stale')}</span>
                          ) : (
                            <span className="status status-ok">{t('network.fresh')}</span>
                          )}
                        </td>
                        <td className="num">{h.stale ? '—' : format.number(h.shortages)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            <section className="card" aria-labelledby="moves-title">
              <h2 id="moves-title">{t('network.moves')}</h2>
              {moves.length === 0 ? (
                <p className="muted">{t('network.noMoves')}</p>
              ) : (
                <FoldedList
                  items={moves}
                  first={MOVES_SHOWN}
                  className="moves"
                  label={t('network.moves')}
                  showAll={t('network.showAllMoves', { count: moves.length })}
                  showFewer={t('network.showFewer')}
                  keyOf={(m) => `${m.item}|${m.from}|${m.to}`}
                >
                  {(m) => {
                    const words = {
                      qty: format.number(m.qty),
                      unit: unitWord(format.language, m.qty, unit(m.item)),
                      item: itemName(m.item),
                      from: hubName(m.from),
                      to: hubName(m.to),
                    };
                    return (
                      <>
                        <span>{t('network.move', words)}</span>
                        {mayRequest(m) && (
                          <button
                            type="button"
                            className="primary"
                            aria-label={t('network.createTransferLabel', words)}
                            disabled={command.busy || !!preview}
                            onClick={() => void createTransfer(m)}
                          >
                            {t('network.createTransfer')}
                          </button>
                        )}
                      </>
                    );
                  }}
                </FoldedList>
              )}
              {moves.some((m) => !mayRequest(m)) && (
                <p className="muted small">{t('network.movesByOthers')}</p>
              )}
              <CommandStatus command={command} early duringRebuild />
            </section>
          </div>
          <h2 className="section-title">{t('items.title')}</h2>
          {shown.items.length === 0 ? (
            <p className="empty">{t('network.noItems')}</p>
          ) : (
            <div className="table-scroll">
              <table id={itemsTableId} className="data network long" aria-label={t('network.stockLabel')}>
                <thead>
                  <tr>
                    <th scope="col" className="net-item">
                      {t('lines.item')}
                    </th>
                    <th scope="col" className="net-worst">
                      {t('network.worst')}
                    </th>
                    <th scope="col" className="num net-onHand">
                      {t('stock.colOnHand')}
                    </th>
                    <th scope="col" className="num net-transit">
                      {t('transferStatus.inTransit')}
                    </th>
                    <th scope="col" className="net-short">
                      {t('network.outOrLowAt')}
                    </th>
                    <th scope="col" className="net-surplus">
                      {t('network.surplusAt')}
                    </th>
                    <th scope="col" className="net-cover">
                      {t('network.shortestCover')}
                    </th>
                  </tr>
                </thead>
                <ItemRows
                  // A new body when the table is folded or unfolded: its rows are added a slice at a time again.
                  key={allItems ? 'all' : 'folded'}
                  items={shown.items}
                  all={allItems}
                  known={!!data}
                  hubName={hubName}
                />
              </table>
            </div>
          )}
          {data && data.view.items.length > ITEMS_FOLDED && (
            <FoldToggle
              open={allItems}
              controls={itemsTableId}
              onToggle={setAllItems}
              showAll={t('network.showAllItems', { count: data.view.items.length })}
              showFewer={t('network.showUrgentItems', { count: ITEMS_FOLDED })}
            />
          )}
          <h2 className="section-title">{t('network.byHub')}</h2>
          {!shownByHub || !data ? (
            <p className="muted">{t('network.loading')}</p>
          ) : (
            <HubShortageCards hubs={data.view.hubs} now={data.now} itemName={itemName} />
          )}
        </>
      )}
    </section>
  );
}

/**
 * Each hub's shortages, below the items table. Memoized: a slice of the items table added, or a filter
 * changed, renders only what changed (50 hubs' cards rendered again with each of the table's slices were
 * most of the screen's script time at 50 hubs x 2,000 items).
 */
const HubShortageCards = memo(function HubShortageCards({
  hubs,
  now,
  itemName,
}: {
  hubs: readonly HubSummary[];
  now: number;
  itemName: (id: string) => string;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <div className="sync-grid">
      {hubs.map((h) => (
        <section className="card" key={h.hub} aria-label={t('network.shortagesAt', { hub: h.name })}>
          <h3>
            {h.name} {h.stale && <span className="status status-low">{t('network.stale')}</span>}
          </h3>
          {h.stale ? (
            <p className="muted">
              {h.ageMs === null
                ? t('network.neverHeard')
                : t('network.staleSince', { age: format.age(now - h.ageMs, now) })}
            </p>
          ) : h.shortages.length === 0 ? (
            <p className="muted">{t('network.nothingShort')}</p>
          ) : (
            <FoldedList
              items={h.shortages}
              first={SHORTAGES_SHOWN}
              className="shortages"
              label={t('network.shortagesAt', { hub: h.name })}
              showAll={t('network.showAllShortages', {
                count: h.shortages.length,
              })}
              showFewer={t('network.showFewer')}
              keyOf={(s) => s.item}
            >
              {(s) => (
                <>
                  <span className={`status ${SEVERITY_CLASS[s.severity]}`}>
                    {t(SEVERITY_LABEL[s.severity])}
                  </span>
                  {s.min !== null
                    ? t('network.shortLineMin', {
                        item: itemName(s.item),
                        onHand: format.number(s.onHand),
                        min: format.number(s.min),
                      })
                    : t('network.shortLine', {
                        item: itemName(s.item),
                        onHand: format.number(s.onHand),
                      })}
                  {s.cover !== null && s.cover > 0
                    ? t('network.coverSuffix', { cover: cover(s.cover, t) })
                    : ''}
                </>
              )}
            </FoldedList>
          )}
        </section>
      ))}
    </div>
  );
});

/**
 * The items table's rows: the first few, then a slice at a time in the background as the stock table's
 * (renderer/app/slices.ts), up to ITEMS_FOLDED, or every row once all are asked for. Until the live
 * figures are known (the saved view), only the rows given.
 */
function ItemRows({
  items,
  all,
  known,
  hubName,
}: {
  items: readonly ItemSummary[];
  all: boolean;
  known: boolean;
  hubName: (hub: string) => string;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const categoryName = useCategoryName();
  const total = all ? items.length : Math.min(items.length, ITEMS_FOLDED);
  const shown = useShownRows(known ? total : null, all ? ITEMS_FOLDED : NETWORK_FIRST_ROWS);
  return (
    <tbody>
      {firstRows(items, Math.min(shown, total)).map((i) => (
        <NetworkItemRow
          key={i.item}
          i={i}
          t={t}
          format={format}
          categoryName={categoryName}
          hubName={hubName}
        />
      ))}
    </tbody>
  );
}

/** One item's row of the network's items table; memoized, so each slice added renders only its own rows. */
const NetworkItemRow = memo(function NetworkItemRow({
  i,
  t,
  format,
  categoryName,
  hubName,
}: {
  i: ItemSummary;
  t: TFunction;
  format: Format;
  categoryName: (category: string) => string;
  hubName: (hub: string) => string;
}) {
  return (
    <tr>
      <th scope="row" className="net-item">
        {i.name}
        <span className="muted unit-note"> · {i.category ? categoryName(i.category) : '—'}</span>
      </th>
      <td className="net-worst">
        {i.worst ? (
          <span className={`status ${SEVERITY_CLASS[i.worst]}`}>{t(SEVERITY_LABEL[i.worst])}</span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="net-onHand num">
        <strong>{format.number(i.freshTotal)}</strong>
        {i.staleTotal !== 0 && (
          <span className="muted stale-figure">
            {' '}
            {t('network.plusStale', { n: format.number(i.staleTotal) })}
          </span>
        )}
      </td>
      <td className="net-transit num">{i.inTransit ? format.number(i.inTransit) : '—'}</td>
      <td className="net-short">
        {hubList(
          [...i.outHubs.map((h) => t('network.hubOut', { hub: hubName(h) })), ...i.shortHubs.map(hubName)],
          t,
          format,
        ) || (i.runningOutHubs.length ? '' : '—')}
        {i.runningOutHubs.length > 0 && (
          <span className="muted">
            {' '}
            {t('network.runsOutAt', { hubs: hubList(i.runningOutHubs.map(hubName), t, format) })}
          </span>
        )}
      </td>
      <td className="net-surplus">
        {hubList(
          i.surplusHubs.map(
            (s) => `${hubName(s.hub)} (${format.number(s.surplus, { signDisplay: 'exceptZero' })})`,
          ),
          t,
          format,
        ) || '—'}
      </td>
      <td className="net-cover">{cover(i.minCover, t)}</td>
    </tr>
  );
});
