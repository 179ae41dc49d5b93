import { use, useEffect } from 'react';
import type { ShelfRow } from '../../shared/shelf';
import { useStore } from '../app/StoreContext';
import type { CategoryLevelsRow, HubRow, ItemRow, LevelsRow } from '../storage/db';
import type { LarderStore } from '../storage/store';
import { EARLY_STOCK_MARK } from '../storage/marks';

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

/**
 * How long the stock view waits for the early reads before it reads for itself. They are the database's
 * first requests, and the view's own would be answered after them anyway: only a fault keeps them longer.
 */
export const EARLY_STOCK_WAIT_MS = 2_000;

export interface Early {
  promise: Promise<void>;
  settled: boolean;
  rows: EarlyStock | null;
  /** The store that took them: they were read for this page's start, and stand for no other store. */
  store: LarderStore | null;
  /** Taken by a first render already: a view mounted later reads for itself (these rows may be old by then). */
  used: boolean;
}

let early: Early | null | undefined;

/**
 * Takes the page's early reads, if open-early.js started any (once per page): called as the app starts to
 * open its store (App.tsx), so that they have settled by the stock view's first render when they were read
 * in time. (Taken only at that render, a promise already resolved still made the view wait a turn: React
 * `use` cannot see that it has, and the frame was rendered twice.)
 */
export function watchEarlyStock(): void {
  if (early !== undefined) return;
  const reads = typeof window === 'undefined' ? undefined : window.larderEarlyStock;
  if (typeof window !== 'undefined') delete window.larderEarlyStock;
  if (!reads || typeof reads.then !== 'function') {
    early = null;
    return;
  }
  const taking: Early = { promise: Promise.resolve(), settled: false, rows: null, store: null, used: false };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), EARLY_STOCK_WAIT_MS)));
  taking.promise = Promise.race([reads.catch(() => null), late]).then((rows) => {
    clearTimeout(timer);
    taking.rows = rows;
    taking.settled = true;
  });
  early = taking;
}

/** The page's early reads, for the first store that asks (null for any other, and when there are none). */
export function takeEarlyStock(store: LarderStore): Early | null {
  watchEarlyStock();
  if (!early) return null;
  early.store ??= store;
  return early.store === store ? early : null;
}

/** Whether rows read before the store opened stand for its projections: the same database and hub. */
export function fits(rows: EarlyStock, store: LarderStore): boolean {
  const self = store.self;
  let version: number;
  try {
    version = store.db.backendDB().version;
  } catch {
    return false;
  }
  return (
    !!self &&
    self.role === 'hub' &&
    self.hubId === rows.hub &&
    rows.version === version &&
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
export function rowsFor(early: Early, store: LarderStore, hub: string): EarlyStock | null {
  const rows = early.rows;
  return rows && rows.hub === hub && fits(rows, store) ? rows : null;
}

/**
 * The early rows, if they have settled and stand for `store`, without taking them: for the frame around the
 * stock view, which names the hub from them in the same first render (it showed "…" until its own read).
 */
export function peekEarlyStock(store: LarderStore): EarlyStock | null {
  const mine = takeEarlyStock(store);
  if (!mine?.settled || mine.used || !mine.rows) return null;
  return fits(mine.rows, store) ? mine.rows : null;
}
