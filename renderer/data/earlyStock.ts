import { use, useEffect } from 'react';
import type { ShelfRow } from '../../shared/shelf';
import { useStore } from '../app/StoreContext';
import type { CategoryLevelsRow, HubRow, ItemRow, LevelsRow } from '../storage/db';
import type { StoreHost } from '../storage/host';
import { EARLY_STOCK_MARK } from '../storage/marks';
import { EARLY_WAIT_MS, earlyReads, type Early } from './earlyReads';

/**
 * The stock view's rows as renderer/public/open-early.js read them while the page was parsed: this hub's
 * shelf, levels and category levels, the catalog by name, and the hubs. The database answers one request
 * after another; read by the view once the app's modules had run and its store was open, they came 100-150 ms
 * before the first rows at 100k entries, with the database idle before that.
 */
export interface EarlyStock {
  /** The database's version when read: rows of an older version are not the app's (it has upgraded them). */
  version: number;
  hub: string;
  items: ItemRow[];
  shelf: ShelfRow[];
  levels: LevelsRow[];
  categoryLevels: CategoryLevelsRow[];
  hubs: HubRow[];
}

declare global {
  interface Window {
    /** Set by open-early.js on a page that opens on the stock view; null once it has read nothing. */
    larderEarlyStock?: Promise<EarlyStock | null>;
  }
}

/** How long the stock view waits for the early reads before it reads for itself (earlyReads.ts). */
export const EARLY_STOCK_WAIT_MS = EARLY_WAIT_MS;

const early = earlyReads<EarlyStock>('larderEarlyStock');

/** Takes the page's early reads, if open-early.js started any: as the app starts to open its store (App.tsx). */
export const watchEarlyStock = early.watch;

/** The page's early reads, for the first store that asks (null for any other, and when there are none). */
export const takeEarlyStock = early.take;

/** Whether rows read before the store opened stand for its projections: the same database and hub. */
export function fits(rows: EarlyStock, store: StoreHost): boolean {
  const self = store.self;
  return (
    !!self &&
    self.role === 'hub' &&
    self.hubId === rows.hub &&
    rows.version === store.db.openVersion() &&
    [rows.items, rows.shelf, rows.levels, rows.categoryLevels, rows.hubs].every(Array.isArray)
  );
}

/**
 * For the stock view's first render: the rows open-early.js read for `hub`, as the live queries' first
 * results (they replace them as soon as they have read). Suspends the view (React `use`) while they are
 * still being read; null when there are none for this store and hub, or a view has taken them already.
 */
export function useEarlyStock(hub: string): EarlyStock | null {
  const store = useStore();
  const mine = takeEarlyStock(store);
  const first = !!mine && !mine.used;
  if (first && !mine.settled) use(mine.promise);
  const rows = first ? rowsFor(mine, store, hub) : null;
  useEffect(() => {
    if (!mine || mine.used) return;
    mine.used = true;
    if (rows) performance.mark?.(EARLY_STOCK_MARK);
  }, [mine, rows]);
  return rows;
}

/** The settled early reads' rows, if they stand for `store`'s projections and show `hub`. */
export function rowsFor(early: Early<EarlyStock>, store: StoreHost, hub: string): EarlyStock | null {
  const rows = early.rows;
  return rows && rows.hub === hub && fits(rows, store) ? rows : null;
}

/**
 * The early rows, if they stand for `store`, without taking them: for the frame around the stock view, which
 * names the hub from them in the same first render (it showed "…" until its own read). When `view` (the frame
 * shows the stock view), it waits for them as the view does (`useEarlyStock`): the two commit together anyway
 * (App.tsx has the one Suspense boundary), and React replays only the component that suspended, so a frame
 * rendered before they settled kept "…" beside the view's first rows.
 */
export function useEarlyStockPeek(store: StoreHost, view: boolean): EarlyStock | null {
  const mine = takeEarlyStock(store);
  if (view && mine && !mine.used && !mine.settled) use(mine.promise);
  return peekEarlyStock(store);
}

/** The early rows, if they have settled and stand for `store`, without taking them or waiting for them. */
export function peekEarlyStock(store: StoreHost): EarlyStock | null {
  const mine = takeEarlyStock(store);
  if (!mine?.settled || mine.used || !mine.rows) return null;
  return fits(mine.rows, store) ? mine.rows : null;
}
