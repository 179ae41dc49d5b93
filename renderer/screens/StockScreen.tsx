import { memo, useCallback, useDeferredValue, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useNow } from '../app/useNow';
import { useFirstView } from '../app/firstView';
import { firstRows, useShownRows } from '../app/slices';
import type { Item } from '../../shared/catalog';
import { searchItems } from '../../shared/search';
import { countNeeded, expiresWithin, stockStatus, type Levels, type StockStatus } from '../../shared/status';
import { useHubStock, useItems } from '../data/catalog';
import { useHubChoice } from '../data/hubs';
import { useHubLevels } from '../data/levels';
import { useEarlyStock } from '../data/earlyStock';
import { daysUntil } from '../../shared/days';
import { useFormat, type Format } from '../i18n/format';
import { useCategoryName } from '../i18n/categories';
import { unitWord } from '../i18n/units';
import { LevelsEditor } from '../components/LevelsEditor';
import { useSelf } from '../data/self';

type SortKey = 'name' | 'category' | 'onHand' | 'status' | 'expiry';
type Filter = 'all' | 'attention' | StockStatus;

interface Row {
  item: Item;
  onHand: number;
  levels?: Levels;
  status: StockStatus | 'unstocked';
  countNeeded: boolean;
  expiry: string | null;
  expiringSoon: boolean;
}

const STATUS_ORDER: Record<Row['status'], number> = { out: 0, low: 1, ok: 2, unstocked: 3 };
/** The same words as the Network screen and the needs list use for a state (catalog keys). */
export const STATUS_LABEL = {
  out: 'status.out',
  low: 'status.low',
  ok: 'status.ok',
  unstocked: 'status.unstocked',
} as const satisfies Record<Row['status'], string>;

/**
 * What this hub has, read from the projected tables: it shows before the ledger itself has loaded. At the
 * front desk (`frontDesk`) it is for reading only: no levels to set, and no column for them. Each cell carries
 * its column's name (`data-label`) for the front desk's phone layout, which shows a row as a card.
 */
export function StockScreen({ frontDesk = false }: { frontDesk?: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const categoryName = useCategoryName();
  // Handed to every row rather than asked for by each: a hub's catalog is hundreds of rows, and each row's
  // own useTranslation (three with the format and category hooks) subscribed it to i18next: rendering 500
  // rows took 296-529 ms of the first stock view at 1M, 231-280 ms since.
  // The words every row repeats are looked up once here too (i18next took 0.1 ms a lookup: 500 rows
  // asked it 4,000 times).
  const words = useMemo<RowWords>(
    () => ({
      t,
      format,
      categoryName,
      same: {
        category: t('stock.colCategory'),
        onHand: t('stock.colOnHand'),
        status: t('stock.colStatus'),
        expiry: t('stock.colExpiry'),
        levels: t('stock.levels'),
        countNeeded: t('stock.countNeeded'),
        states: {
          out: t(STATUS_LABEL.out),
          low: t(STATUS_LABEL.low),
          ok: t(STATUS_LABEL.ok),
          unstocked: t(STATUS_LABEL.unstocked),
        },
        unitNote: byUnit((unit) => t('stock.unitNote', { unit: unitWord(format.language, 2, unit) })),
      },
    }),
    [t, format, categoryName],
  );
  const self = useSelf();
  const ownHub = self?.hubId ?? null;
  const coordinator = self?.role === 'coordinator';
  // A coordinator has no hub of its own: it starts on the first hub by name.
  // The first render takes the rows read as the page opened, while the app's code loaded (earlyStock.ts):
  // the first rows come with it instead of after four reads. The live queries replace them once they have read.
  const early = useEarlyStock(ownHub ?? '');
  const { hubs, hub, choose: setHub } = useHubChoice(ownHub, early?.hubs);
  const items = useItems(early?.items);
  const stock = useHubStock(hub, early?.shelf);
  const levels = useHubLevels(hub, early ?? undefined);
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; asc: boolean }>({ key: 'status', asc: true });
  const [filter, setFilter] = useState<Filter>('all');
  const [editing, setEditing] = useState<string | null>(null);
  const now = useNow();

  const current = useMemo(() => {
    if (!items || !stock || !levels) return null;
    const found = query.trim() ? searchItems(query, items) : items;
    const out: Row[] = found.map((item) => {
      const row = stock.get(item.id);
      const lv = levels.get(item);
      const onHand = row?.onHand ?? 0;
      const expiry = row?.expiry ?? null;
      return {
        item,
        onHand,
        levels: lv,
        status: !row && !lv ? 'unstocked' : stockStatus(onHand, lv),
        countNeeded: row ? countNeeded(row) : false,
        expiry,
        expiringSoon: expiresWithin(expiry, now),
      };
    });
    const filtered = out.filter((r) =>
      filter === 'all'
        ? true
        : filter === 'attention'
          ? r.status === 'out' || r.status === 'low' || r.countNeeded || r.expiringSoon
          : r.status === filter,
    );
    const dir = sort.asc ? 1 : -1;
    const byName = (a: Row, b: Row) => a.item.name.localeCompare(b.item.name);
    const cmp: Record<SortKey, (a: Row, b: Row) => number> = {
      name: byName,
      category: (a, b) => a.item.category.localeCompare(b.item.category) || byName(a, b),
      onHand: (a, b) => a.onHand - b.onHand || byName(a, b),
      status: (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byName(a, b),
      expiry: (a, b) => (a.expiry ?? '9999').localeCompare(b.expiry ?? '9999') || byName(a, b),
    };
    // Sorting by name keeps ties stable; query results keep their relevance order when sorted by name.
    return query.trim() && sort.key === 'name'
      ? filtered
      : filtered.sort((a, b) => dir * cmp[sort.key](a, b));
  }, [items, stock, levels, query, sort, filter, now]);
  // A hub's whole catalog is hundreds of rows (150 ms to render 500 at once on an old laptop): React
  // renders them in the background, in slices that leave the page free for clicks and keys, and shows
  // them once done; meanwhile the rows shown before (or "Loading") stay.
  const rows = useDeferredValue(current);
  // The first view shows a screenful of rows, then the rest a slice at a time, each step rendered in the
  // background as above (renderer/app/slices.ts): 500 rows in the first commit took 110 ms of layout before
  // the first row showed, and the other 440 in one commit a layout of 180-210 ms after.
  // Another list starts again from its first rows: another hub's, a search's, a filter's or a sort's (its
  // rows new ones, or all of them moved).
  const shown = useShownRows(
    rows ? rows.length : null,
    undefined,
    `${hub}|${query}|${filter}|${sort.key}|${sort.asc}`,
  );
  useFirstView(rows !== null);
  // Stable, so that rows already shown are not rendered again at each step (StockRowView is memo).
  const toggleEditing = useCallback((id: string) => setEditing((was) => (was === id ? null : id)), []);
  const stopEditing = useCallback(() => setEditing(null), []);

  const header = (key: SortKey, label: string, numeric = false) => (
    <th
      scope="col"
      aria-sort={sort.key === key ? (sort.asc ? 'ascending' : 'descending') : 'none'}
      className={numeric ? `col-${key} num` : `col-${key}`}
    >
      <button
        type="button"
        className="sort"
        onClick={() => setSort((s) => ({ key, asc: s.key === key ? !s.asc : true }))}
      >
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.asc ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );

  const counts = useMemo(() => {
    const c = { out: 0, low: 0, attention: 0 };
    for (const r of rows ?? []) {
      if (r.status === 'out') c.out++;
      if (r.status === 'low') c.low++;
    }
    return c;
  }, [rows]);

  return (
    <section aria-labelledby="stock-title">
      <header className="screen-header">
        <h1 id="stock-title">{t('stock.title')}</h1>
        <p className="muted">{t('stock.lead')}</p>
      </header>
      <div className="toolbar">
        {hubs && (hubs.length > 1 || coordinator) && (
          <div className="field">
            <label htmlFor="stock-hub">{t('stock.hub')}</label>
            <select id="stock-hub" value={hub} onChange={(e) => setHub(e.target.value)}>
              {[...hubs]
                .sort((a, b) => (a.id === ownHub ? -1 : b.id === ownHub ? 1 : a.name.localeCompare(b.name)))
                .map((h) => (
                  <option key={h.id} value={h.id}>
                    {h.id === ownHub ? t('stock.thisHub', { name: h.name }) : h.name}
                  </option>
                ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="stock-search">{t('stock.search')}</label>
          <input
            id="stock-search"
            type="search"
            placeholder={t('stock.searchPlaceholder')}
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="stock-filter">{t('stock.show')}</label>
          <select id="stock-filter" value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
            <option value="all">{t('stock.filterAll')}</option>
            <option value="attention">{t('stock.filterAttention')}</option>
            <option value="out">{t(STATUS_LABEL.out)}</option>
            <option value="low">{t(STATUS_LABEL.low)}</option>
            <option value="ok">{t(STATUS_LABEL.ok)}</option>
          </select>
        </div>
        {rows && (
          <p className="summary" aria-live="polite">
            {t('stock.itemCount', { count: rows.length, n: format.number(rows.length) })} ·{' '}
            {/* A pill only when there is something to see: "0 out" is good news, not an alarm. */}
            <span className={counts.out > 0 ? 'status status-out' : undefined}>
              {t('stock.outCount', { count: counts.out })}
            </span>{' '}
            ·{' '}
            <span className={counts.low > 0 ? 'status status-low' : undefined}>
              {t('stock.lowCount', { count: counts.low })}
            </span>
          </p>
        )}
      </div>
      {!rows ? (
        <p>{t('stock.loading')}</p>
      ) : rows.length === 0 ? (
        <p className="empty">{items && items.length === 0 ? t('stock.noItems') : t('stock.noMatch')}</p>
      ) : (
        <div className="table-scroll">
          <table className="data stock long" aria-label={t('stock.title')}>
            <thead>
              <tr>
                {header('name', t('stock.colItem'))}
                {header('category', t('stock.colCategory'))}
                {header('onHand', t('stock.colOnHand'), true)}
                {!frontDesk && (
                  <th scope="col" className="col-levels num">
                    {t('stock.colLevels')}
                  </th>
                )}
                {header('status', t('stock.colStatus'))}
                {header('expiry', t('stock.colExpiry'))}
                {!frontDesk && (
                  <th scope="col" className="col-actions">
                    <span className="visually-hidden">{t('stock.colActions')}</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {firstRows(rows, shown).map((r) => (
                <StockRowView
                  key={r.item.id}
                  row={r}
                  words={words}
                  now={now}
                  editable={hub === ownHub || coordinator}
                  readOnly={frontDesk}
                  hub={hub}
                  editing={editing === r.item.id}
                  onEdit={toggleEditing}
                  onDone={stopEditing}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** What a row says things with: the screen's, handed down (see `words` in StockScreen). */
interface RowWords {
  t: TFunction;
  format: Format;
  categoryName: (category: string) => string;
  /** The words that are the same in every row. */
  same: {
    category: string;
    onHand: string;
    status: string;
    expiry: string;
    levels: string;
    countNeeded: string;
    states: Record<Row['status'], string>;
    /** "boxes" after an item's name: a catalog has a few units for hundreds of items. */
    unitNote: (unit: string) => string;
  };
}

/** `say(unit)`, worked out once per unit. */
function byUnit(say: (unit: string) => string): (unit: string) => string {
  const said = new Map<string, string>();
  return (unit) => {
    let words = said.get(unit);
    if (words === undefined) said.set(unit, (words = say(unit)));
    return words;
  };
}

/**
 * Whether two renders of a row would show the same: its figures and its item's fields, not the objects.
 * The live queries answer with new objects each time they read (after every save, and after the first
 * render's early rows), and a row rendered again for nothing is 500 rows rendered again.
 */
export function sameRow(a: Row, b: Row): boolean {
  return (
    a.onHand === b.onHand &&
    a.status === b.status &&
    a.countNeeded === b.countNeeded &&
    a.expiry === b.expiry &&
    a.expiringSoon === b.expiringSoon &&
    sameFields(a.levels, b.levels) &&
    sameFields(a.item, b.item)
  );
}

/** Same own fields: values compared with `===`, arrays (an item's barcodes) element by element. */
function sameFields<T extends object>(a: T | undefined, b: T | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a) as (keyof T)[];
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && (a[k] === b[k] || sameArray(a[k], b[k])))
  );
}

const sameArray = (a: unknown, b: unknown) =>
  Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);

type RowProps = Parameters<typeof StockRow>[0];

const StockRowView = memo(StockRow, (before: RowProps, after: RowProps) =>
  (Object.keys(after) as (keyof RowProps)[]).every((k) =>
    k === 'row' ? sameRow(before.row, after.row) : before[k] === after[k],
  ),
);

function StockRow({
  row,
  words: { t, format, categoryName, same },
  now,
  hub,
  editable,
  readOnly,
  editing,
  onEdit,
  onDone,
}: {
  row: Row;
  words: RowWords;
  now: number;
  hub: string;
  editable: boolean;
  /** The front desk's view: no levels column and no button to set them. */
  readOnly: boolean;
  editing: boolean;
  /** Opens or closes this row's levels editor (called with its item's id). */
  onEdit: (item: string) => void;
  onDone: () => void;
}) {
  const days = row.expiry ? daysUntil(row.expiry, now) : null;
  return (
    <>
      <tr>
        <th scope="row" className="col-name">
          {row.item.name}
          <span className="muted unit-note"> · {same.unitNote(row.item.unit)}</span>
        </th>
        <td className="col-category" data-label={same.category}>
          {categoryName(row.item.category)}
        </td>
        <td className="col-onHand num strong" data-label={same.onHand}>
          {format.number(row.onHand)}
        </td>
        {!readOnly && (
          <td className="col-levels num muted">
            {row.levels ? `${format.number(row.levels.min)} / ${format.number(row.levels.target)}` : '—'}
          </td>
        )}
        <td className="col-status" data-label={same.status}>
          <span className={`status status-${row.status}`}>{same.states[row.status]}</span>
          {row.countNeeded && <span className="status status-count">{same.countNeeded}</span>}
        </td>
        <td className="col-expiry" data-label={same.expiry}>
          {row.expiry ? (
            <span className={row.expiringSoon ? 'status status-expiring' : undefined}>
              {row.expiringSoon
                ? days! < 0
                  ? t('stock.expired', { day: format.day(row.expiry) })
                  : t('stock.expiresIn', { count: days! })
                : format.day(row.expiry)}
            </span>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        {!readOnly && (
          <td className="col-actions">
            {editable && (
              <button
                type="button"
                className="link"
                onClick={() => onEdit(row.item.id)}
                aria-expanded={editing}
                aria-label={t('stock.setLevelsFor', { name: row.item.name })}
              >
                {same.levels}
              </button>
            )}
          </td>
        )}
      </tr>
      {editing && !readOnly && (
        <tr className="editor-row">
          <td colSpan={7}>
            <LevelsEditor item={row.item} levels={row.levels} hub={hub} onDone={onDone} />
          </td>
        </tr>
      )}
    </>
  );
}
