import { useLiveQuery } from 'dexie-react-hooks';
import Dexie from 'dexie';
import { useMemo, useState } from 'react';
import { freshness } from '../../shared/network/freshness';
import {
  needsCsv,
  needsList,
  publishedAddress,
  urgencyRank,
  type NeedLine,
  type NeedsPosition,
  type NeedsScope,
  type Urgency,
} from '../../shared/needs';
import { useStore } from '../app/StoreContext';
import { effectiveLevels } from '../app/levels';
import { HubSettings } from '../components/HubSettings';
import { fileService } from '../platform/files';
import type { HubRow, ItemRow } from '../storage/db';
import '../needs.css';
import { useNeedsWords } from '../app/domainText';

const NETWORK = '';

interface NeedsData {
  hubs: (HubRow & { newestEntryAt: number | null })[];
  items: ItemRow[];
  positions: NeedsPosition[];
}

/**
 * Every hub's stock in every item it has levels for, with its effective levels (the item's own, else
 * its category's). An item with levels and no entry yet at a hub is a position with nothing on hand:
 * the hub needs all of its target.
 */
function useNeedsData(): NeedsData | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    const db = store.db;
    const [hubs, items, stock, levels, categoryLevels] = await Promise.all([
      db.hubs.toArray(),
      db.items.orderBy('nameKey').toArray(),
      db.stock.toArray(),
      db.levels.toArray(),
      db.categoryLevels.toArray(),
    ]);
    const own = new Map(levels.map((l) => [l.key, l]));
    const byCategory = new Map(categoryLevels.map((l) => [l.key, l]));
    const onHand = new Map(stock.map((s) => [`${s.hub}|${s.item}`, s.onHand]));
    const positions: NeedsPosition[] = [];
    for (const hub of hubs) {
      for (const item of items) {
        const l = effectiveLevels(hub.id, item, own, byCategory);
        if (l)
          positions.push({
            hub: hub.id,
            item: item.id,
            onHand: onHand.get(`${hub.id}|${item.id}`) ?? 0,
            levels: l,
          });
      }
    }
    const withNewest = await Promise.all(
      hubs.map(async (h) => {
        const newest = await db.ledger
          .where('[hub+at]')
          .between([h.id, Dexie.minKey], [h.id, Dexie.maxKey])
          .last();
        return { ...h, newestEntryAt: newest?.at ?? null };
      }),
    );
    return { hubs: withNewest, items, positions };
  }, []);
}

/** "12 bags", "1 box", "3 boxes": the unit as a person would say it. */
function quantityWithUnit(n: number, unit: string): string {
  const count = n.toLocaleString();
  if (n === 1) return `${count} ${unit}`;
  if (/(s|x|z|ch|sh)$/i.test(unit)) return `${count} ${unit}es`;
  if (/[^aeiou]y$/i.test(unit)) return `${count} ${unit.slice(0, -1)}ies`;
  return `${count} ${unit}s`;
}

function localDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

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
  const store = useStore();
  const self = store.self!;
  const ownHub = self.role === 'hub' ? self.hubId : null;
  const [scope, setScope] = useState<string>(ownHub ?? NETWORK);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const data = useNeedsData();
  const needsWords = useNeedsWords();
  const now = Date.now();

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

  const who = scopeHub ? scopeHub.name : 'Across our network';
  const today = new Date(now).toLocaleDateString(undefined, { dateStyle: 'long' });

  const download = async () => {
    if (!lines) return;
    const name = `larder-needs-${scopeHub ? slug(scopeHub.name) : 'network'}-${localDay(Date.now())}.csv`;
    try {
      // A byte-order mark, so spreadsheet programs read accented names as UTF-8.
      const bytes = new TextEncoder().encode(`\uFEFF${needsCsv(lines, needsScope, needsWords)}`);
      const where = await fileService().save(
        name,
        bytes,
        { name: 'CSV file', extensions: ['csv'] },
        'text/csv',
      );
      if (where) setMessage({ text: `Needs list saved: ${name}.`, error: false });
    } catch (e) {
      setMessage({ text: `Could not save: ${e instanceof Error ? e.message : String(e)}`, error: true });
    }
  };

  return (
    <section aria-labelledby="needs-title" className="needs-screen">
      <header className="screen-header no-print">
        <h1 id="needs-title">Needs list</h1>
        <p className="muted">
          What to ask donors for: the units that bring each hub up to its target. Print it to post, or
          download a CSV to share.
        </p>
      </header>
      <div className="toolbar no-print">
        <div className="field">
          <label htmlFor="needs-scope">For</label>
          <select id="needs-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value={NETWORK}>The whole network</option>
            {hubs.map((h) => (
              <option key={h.id} value={h.id}>
                {h.id === ownHub ? `${h.name} (this hub)` : h.name}
              </option>
            ))}
          </select>
        </div>
        <div className="actions needs-actions">
          <button type="button" className="primary" disabled={!lines?.length} onClick={() => window.print()}>
            Print
          </button>
          <button type="button" disabled={!lines?.length} onClick={() => void download()}>
            Download CSV
          </button>
        </div>
      </div>
      <p role="status" className={`no-print ${message?.error ? 'form-error' : 'saved'}`}>
        {message?.text}
      </p>
      {staleHubs.length > 0 && (
        <p className="notice no-print">
          {staleHubs.length === 1
            ? `The figures from ${staleHubs[0]!.name} are more than a day old, or none have arrived yet: what it needs may have changed.`
            : `The figures from ${staleHubs.map((h) => h.name).join(', ')} are more than a day old, or none have arrived yet: what they need may have changed.`}
        </p>
      )}

      {!lines ? (
        <p>Loading the needs list…</p>
      ) : lines.length === 0 ? (
        <p className="empty needs-empty">
          {!anyLevels
            ? `No levels are set yet${scopeHub ? ` for ${scopeHub.name}` : ''}, so nothing can be worked out as needed. Set a minimum and a target for each item under Levels, or with the Levels button on the Stock screen.`
            : scopeHub
              ? `Nothing is needed right now: ${scopeHub.name} is at or above its target for every item.`
              : 'Nothing is needed right now: every hub is at or above its target.'}
        </p>
      ) : (
        <article className="needs-sheet" aria-labelledby="needs-sheet-title">
          <header className="needs-sheet-header">
            <h2 id="needs-sheet-title">What we need</h2>
            <p className="needs-who">{who}</p>
            <p className="needs-date">Updated {today}</p>
            {scopeHub && dropOffs[0] && (
              <p className="needs-address">
                Bring donations to: <strong>{dropOffs[0].address}</strong>
              </p>
            )}
          </header>
          {groups.map((g) => (
            <section key={g.category} className="needs-group" aria-label={g.category}>
              <h3>{g.category}</h3>
              <table
                className={scopeHub ? 'data needs-table' : 'data needs-table with-where'}
                aria-label={`Needed: ${g.category}`}
              >
                <thead>
                  <tr>
                    <th scope="col" className="col-item">
                      Item
                    </th>
                    <th scope="col" className="col-needed num">
                      Needed
                    </th>
                    <th scope="col" className="col-urgency">
                      Urgency
                    </th>
                    {!scopeHub && (
                      <th scope="col" className="col-where">
                        Where
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {g.lines.map((l) => (
                    <tr key={l.item}>
                      <th scope="row">{l.name}</th>
                      <td className="num strong">{quantityWithUnit(l.needed, l.unit)}</td>
                      <td>
                        <span className={URGENCY_CLASS[l.urgency]}>{needsWords.urgency[l.urgency]}</span>
                      </td>
                      {!scopeHub && (
                        <td className="needs-where">
                          {l.hubs.map((h) => `${h.name} (${h.needed.toLocaleString()})`).join(', ')}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
          {!scopeHub && dropOffs.length > 0 && (
            <section className="needs-dropoffs" aria-labelledby="needs-dropoffs-title">
              <h3 id="needs-dropoffs-title">Where to bring donations</h3>
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
          <h2 id="needs-settings-title">Your hub on the needs list</h2>
          <p className="muted">
            Your address stays on this network’s devices unless you choose to show it on needs lists.
          </p>
          <HubSettings />
        </section>
      )}
    </section>
  );
}
