import { memo, useEffect, useMemo, useState } from 'react';
import { flushSync } from 'react-dom';
import { freshness } from '../../shared/network/freshness';
import {
  needsCsv,
  needsList,
  publishedAddress,
  urgencyRank,
  type HubNeed,
  type NeedLine,
  type NeedsScope,
  type Urgency,
} from '../../shared/needs';
import { useNeedsData } from '../data/levels';
import { localDay } from '../../shared/days';
import { HubSettings } from '../components/HubSettings';
import { fileService } from '../platform/files';
import '../needs.css';
import { useNeedsWords } from '../app/domainText';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useFirstView } from '../app/firstView';
import { FIRST_ROWS, firstOfGroups, useShownRows } from '../app/slices';
import { useFormat, type Format } from '../i18n/format';
import { namedFirst } from '../i18n/namedFirst';
import { useCategoryName } from '../i18n/categories';
import { unitWord } from '../i18n/units';
import { useCommand } from '../app/useCommand';
import { StatusMessage } from '../components/StatusMessage';
import { useSelf } from '../data/self';

const NETWORK = '';

/** A hub's name for a file name: "St Anne’s Kitchen" → "st-annes-kitchen". Never its id. */
function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s || 'hub';
}

/** Categories with their lines, the most urgent category first (then by name); lines keep their order. */
function byCategory(lines: readonly NeedLine[]): { category: string; worst: Urgency; lines: NeedLine[] }[] {
  const groups = new Map<string, NeedLine[]>();
  for (const l of lines) {
    const g = groups.get(l.category);
    if (g) g.push(l);
    else groups.set(l.category, [l]);
  }
  return [...groups]
    .map(([category, ls]) => ({ category, worst: ls[0]!.urgency, lines: ls }))
    .sort(
      (a, b) => urgencyRank(a.worst) - urgencyRank(b.worst) || a.category.localeCompare(b.category, 'en'),
    );
}

/**
 * Hubs named in a line's "Where" before "and N more hubs", the ones that need it most first: a line needed at
 * 47 hubs of 50 named them all (a cell twenty lines tall on the printed sheet; and at 2,000 items, 3 s of
 * rendering). The CSV names every hub, and a hub's own list its own needs.
 */
const HUBS_NAMED = 5;

function whereNeeded(hubs: readonly HubNeed[], t: TFunction, format: Format): string {
  return namedFirst(
    hubs,
    HUBS_NAMED,
    format.list,
    (count) => t('network.moreHubs', { count }),
    (h) => t('needs.hubShare', { hub: h.name, n: format.number(h.needed) }),
  );
}

interface LineWords {
  t: TFunction;
  format: Format;
  urgency: Record<Urgency, string>;
}

/** A line of the sheet: memoized, so that a slice added renders only its own lines. */
const NeedLineRow = memo(function NeedLineRow({
  line: l,
  where,
  words: { t, format, urgency },
}: {
  line: NeedLine;
  /** The network's sheet: which hubs need it. */
  where: boolean;
  words: LineWords;
}) {
  return (
    <tr>
      <th scope="row">{l.name}</th>
      <td className="num strong">
        {t('needs.quantity', {
          n: format.number(l.needed),
          unit: unitWord(format.language, l.needed, l.unit),
        })}
      </td>
      <td>
        <span className={URGENCY_CLASS[l.urgency]}>{urgency[l.urgency]}</span>
      </td>
      {where && <td className="needs-where">{whereNeeded(l.hubs, t, format)}</td>}
    </tr>
  );
});

const URGENCY_CLASS: Record<Urgency, string> = {
  out: 'status status-out',
  low: 'status status-low',
  'below target': 'status status-target',
};

/**
 * What the network, or one hub, needs: a page to print and post, and a CSV to hand to donors. Names
 * only, never ids; a hub's address only when the hub chose to publish it.
 */
export function NeedsScreen() {
  const self = useSelf()!;
  const ownHub = self.role === 'hub' ? self.hubId : null;
  const [scope, setScope] = useState<string>(ownHub ?? NETWORK);
  const command = useCommand();
  const data = useNeedsData();
  // A page opened again here: the ledger loads once the rows are painted (Shell's SAY_WHEN_PAINTED).
  useFirstView(data !== undefined);
  const needsWords = useNeedsWords();
  const { t } = useTranslation();
  const format = useFormat();
  const categoryName = useCategoryName();
  const now = Date.now();
  const words = useMemo<LineWords>(
    () => ({ t, format, urgency: needsWords.urgency }),
    [t, format, needsWords],
  );

  const hubs = useMemo(
    () =>
      [...(data?.hubs ?? [])].sort((a, b) =>
        a.id === ownHub ? -1 : b.id === ownHub ? 1 : a.name.localeCompare(b.name, 'en'),
      ),
    [data, ownHub],
  );
  const scopeHub = scope === NETWORK ? undefined : hubs.find((h) => h.id === scope);
  const needsScope: NeedsScope = useMemo(() => (scope === NETWORK ? {} : { hub: scope }), [scope]);
  const lines = useMemo(
    () =>
      data
        ? needsList({ positions: data.positions, items: data.items, hubs: data.hubs, scope: needsScope })
        : null,
    [data, needsScope],
  );
  const groups = useMemo(() => byCategory(lines ?? []), [lines]);
  // The sheet a slice of lines at a time, as the long tables are (renderer/app/slices.ts): at 2,000 items
  // needed across 50 hubs, the whole sheet at once was a task of 0.7-1.2 s and its first line came at 2.4-3.3
  // s. Printing (the button, or the browser's own command) shows every line first.
  const shownRows = useShownRows(lines ? lines.length : null, FIRST_ROWS, needsScope);
  const [printing, setPrinting] = useState(false);
  useEffect(() => {
    const showAll = () => flushSync(() => setPrinting(true));
    window.addEventListener('beforeprint', showAll);
    return () => window.removeEventListener('beforeprint', showAll);
  }, []);
  const shownGroups = useMemo(
    () => firstOfGroups(groups, printing ? Infinity : shownRows),
    [groups, printing, shownRows],
  );
  const anyLevels = !!data?.positions.some((p) => scope === NETWORK || p.hub === scope);

  // Figures this device last heard more than a day ago; this device's own hub is always current here.
  const staleHubs = useMemo(() => {
    const needing = new Set((lines ?? []).flatMap((l) => l.hubs.map((h) => h.hub)));
    return hubs.filter((h) => needing.has(h.id) && h.id !== ownHub && freshness(h.newestEntryAt, now).stale);
    // `now` moves every render; staleness only needs rechecking when the data changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hubs, lines, ownHub]);

  // Where donors can bring things: the published addresses of the hubs on this list.
  const dropOffs = useMemo(() => {
    const listed = new Set((lines ?? []).flatMap((l) => l.hubs.map((h) => h.hub)));
    return hubs
      .filter((h) => (scope === NETWORK ? listed.has(h.id) : h.id === scope))
      .map((h) => ({ id: h.id, name: h.name, address: publishedAddress(h) }))
      .filter((h): h is { id: string; name: string; address: string } => h.address !== undefined);
  }, [hubs, lines, scope]);

  const who = scopeHub ? scopeHub.name : t('needs.acrossNetwork');
  const today = format.day(localDay(now));

  const download = async () => {
    if (!lines) return;
    const name = `larder-needs-${scopeHub ? slug(scopeHub.name) : 'network'}-${localDay(Date.now())}.csv`;
    await command.run(
      () => {
        // A byte-order mark, so spreadsheet programs read accented names as UTF-8.
        const csv = needsCsv(lines, needsScope, { ...needsWords, category: categoryName });
        const bytes = new TextEncoder().encode(`\uFEFF${csv}`);
        return fileService().save(
          name,
          bytes,
          { name: t('common.csvFile'), extensions: ['csv'] },
          'text/csv',
        );
      },
      {
        done: (where) => (where ? t('needs.saved', { name }) : null),
        failed: (e) => t('common.couldNotSave', { reason: e instanceof Error ? e.message : String(e) }),
      },
    );
  };

  return (
    <section aria-labelledby="needs-title" className="needs-screen">
      <header className="screen-header no-print">
        <h1 id="needs-title">{t('nav.needs')}</h1>
        <p className="muted">{t('needs.lead')}</p>
      </header>
      <div className="toolbar no-print">
        <div className="field">
          <label htmlFor="needs-scope">{t('needs.for')}</label>
          <select id="needs-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value={NETWORK}>{t('needs.wholeNetwork')}</option>
            {hubs.map((h) => (
              <option key={h.id} value={h.id}>
                {h.id === ownHub ? t('stock.thisHub', { name: h.name }) : h.name}
              </option>
            ))}
          </select>
        </div>
        <div className="actions needs-actions">
          <button type="button" className="primary" disabled={!lines?.length} onClick={() => window.print()}>
            {t('needs.print')}
          </button>
          <button type="button" disabled={!lines?.length} onClick={() => void download()}>
            {t('needs.download')}
          </button>
        </div>
      </div>
      <StatusMessage message={command.message} className="no-print" />
      {staleHubs.length > 0 && (
        <p className="notice no-print">
          {staleHubs.length === 1
            ? t('needs.staleOne', { hub: staleHubs[0]!.name })
            : t('needs.staleMany', { hubs: format.list(staleHubs.map((h) => h.name)) })}
        </p>
      )}

      {!lines ? (
        <p>{t('needs.loading')}</p>
      ) : lines.length === 0 ? (
        <p className="empty needs-empty">
          {!anyLevels
            ? scopeHub
              ? t('needs.noLevelsAt', { hub: scopeHub.name })
              : t('needs.noLevels')
            : scopeHub
              ? t('needs.nothingAt', { hub: scopeHub.name })
              : t('needs.nothing')}
        </p>
      ) : (
        <article className="needs-sheet" aria-labelledby="needs-sheet-title">
          <header className="needs-sheet-header">
            <h2 id="needs-sheet-title">{t('needs.sheetTitle')}</h2>
            <p className="needs-who">{who}</p>
            <p className="needs-date">{t('needs.updated', { day: today })}</p>
            {scopeHub && dropOffs[0] && (
              <p className="needs-address">
                {t('needs.bringTo')} <strong>{dropOffs[0].address}</strong>
              </p>
            )}
          </header>
          {shownGroups.map((g) => (
            <section key={g.category} className="needs-group" aria-label={categoryName(g.category)}>
              <h3>{categoryName(g.category)}</h3>
              <div className="table-scroll">
                <table
                  className={scopeHub ? 'data needs-table' : 'data needs-table with-where'}
                  aria-label={t('needs.neededIn', { category: categoryName(g.category) })}
                >
                  <thead>
                    <tr>
                      <th scope="col" className="col-item">
                        {t('stock.colItem')}
                      </th>
                      <th scope="col" className="col-needed num">
                        {t('needs.colNeeded')}
                      </th>
                      <th scope="col" className="col-urgency">
                        {t('needs.colUrgency')}
                      </th>
                      {!scopeHub && (
                        <th scope="col" className="col-where">
                          {t('needs.colWhere')}
                        </th>
                      )}
                    </tr>
                  </thead>
                  <tbody>
                    {g.lines.map((l) => (
                      <NeedLineRow key={l.item} line={l} where={!scopeHub} words={words} />
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          ))}
          {!scopeHub && dropOffs.length > 0 && (
            <section className="needs-dropoffs" aria-labelledby="needs-dropoffs-title">
              <h3 id="needs-dropoffs-title">{t('needs.dropOffs')}</h3>
              <ul>
                {dropOffs.map((h) => (
                  <li key={h.id}>
                    <strong>{h.name}</strong>: {h.address}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </article>
      )}

      {ownHub && (
        <section className="card needs-settings no-print" aria-labelledby="needs-settings-title">
          <h2 id="needs-settings-title">{t('needs.settingsTitle')}</h2>
          <p className="muted">{t('needs.settingsLead')}</p>
          <HubSettings />
        </section>
      )}
    </section>
  );
}
