import type { StoreHost } from '../storage/host';

/*
 * Rows renderer/public/open-early.js read while the page was parsed and the app's code loaded, left in a
 * promise on `window` for the app's first screen (earlyStock.ts, networkPreview.ts). The database answers
 * one request after another: read once the app's modules had run and its store was open, they came 100-300
 * ms later, with the database idle before.
 */

/**
 * How long a first screen waits for the early reads before it reads for itself. They are the database's
 * first requests, and the screen's own would be answered after them anyway: only a fault keeps them longer.
 */
export const EARLY_WAIT_MS = 2_000;

export interface Early<T> {
  promise: Promise<void>;
  settled: boolean;
  rows: T | null;
  /** The store that took them: they were read for this page's start, and stand for no other store. */
  store: StoreHost | null;
  /** Taken by a first render already: a screen mounted later reads for itself (these rows may be old by then). */
  used: boolean;
}

/** The window's names for open-early.js's promises. */
export type EarlyName = 'larderEarlyStock' | 'larderEarlyNetwork';

/**
 * The early reads open-early.js may have left under `name`: `watch` takes them off the window (once per
 * page), as the app starts to open its store (App.tsx), so that they have settled by the first screen's
 * first render when they were read in time (taken only at that render, a promise already resolved still
 * made it wait a turn: React `use` cannot see that it has, and the frame was rendered twice). `take` gives
 * them to the first store that asks, null to any other and when there are none.
 */
export function earlyReads<T>(name: EarlyName): {
  watch: () => void;
  take: (store: StoreHost) => Early<T> | null;
} {
  let early: Early<T> | null | undefined;
  const watch = () => {
    if (early !== undefined) return;
    const w = typeof window === 'undefined' ? undefined : (window as unknown as Record<string, unknown>);
    const reads = w?.[name] as Promise<T | null> | undefined;
    if (w) delete w[name];
    if (!reads || typeof reads.then !== 'function') {
      early = null;
      return;
    }
    const taking: Early<T> = {
      promise: Promise.resolve(),
      settled: false,
      rows: null,
      store: null,
      used: false,
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), EARLY_WAIT_MS)));
    taking.promise = Promise.race([reads.catch(() => null), late]).then((rows) => {
      clearTimeout(timer);
      taking.rows = rows;
      taking.settled = true;
    });
    early = taking;
  };
  const take = (store: StoreHost) => {
    watch();
    if (!early) return null;
    early.store ??= store;
    return early.store === store ? early : null;
  };
  return { watch, take };
}
