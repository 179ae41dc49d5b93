import { createElement, lazy, useState, type ComponentType } from 'react';
import { LarderStore } from '../storage/store';
import { SyncControl } from '../sync/control';

/**
 * The rest of the app's code: the store's parts (the doc, its persistence, signatures, sealing) and sync's.
 * The first views (the stock screen, a coordinator's Network screen) need none of it; every other screen
 * loaded by `lazyScreen` has it loaded first, so it may use the store's and sync's members that answer at
 * once (see LarderStore).
 */
export function loadTheRest(): Promise<void> {
  return restLoader();
}

let restLoader = (): Promise<void> =>
  Promise.all([LarderStore.loadParts(), SyncControl.load()]).then(() => undefined);

/** Where the store and sync run in the device's Worker, the rest of their code loads there (deviceWorker.ts). */
export function loadTheRestWith(load: () => Promise<void>): void {
  restLoader = load;
}

/** How a browser says a module's file could not be fetched (Chromium, Firefox, Safari), and its address. */
const FETCH_FAILED =
  /(?:Failed to fetch dynamically imported module|error loading dynamically imported module|Importing a module script failed)[:\s]*((?:https?|file):\/\/\S+)?/i;

/** At most one reload for the code in this long (a file that answers but will not load must not loop). */
const RELOAD_GUARD_MS = 60_000;
const RELOADED_AT = 'larder.reloadedForCode';

/** Whether `url` answers now, from its server and not from a cache. */
export async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { cache: 'no-store' })).ok;
  } catch {
    return false;
  }
}

/**
 * `loadTheRest` once more, for the retries after the first view: `loadAgain` of it.
 */
export function loadTheRestAgain(
  load: () => Promise<void> = () => loadTheRest(),
  probe?: (url: string) => Promise<boolean>,
  reload?: () => void,
  storage?: Pick<Storage, 'getItem' | 'setItem'>,
  now?: () => number,
): Promise<void> {
  return loadAgain(load, probe, reload, storage, now);
}

/**
 * Loads code (`load`) that may have failed to load before. A browser may keep a module whose file could
 * not be fetched as failed for as long as the page lives (Chromium 150 does, as the HTML standard's module
 * map did; Chromium 156 fetches it again): then no retry can load it. So when a load fails because a file
 * could not be fetched, the file (or, unnamed, the page) is asked for again directly; if it answers, the
 * page reloads, at most once a minute, and loads it whole.
 */
export async function loadAgain<T>(
  load: () => Promise<T>,
  probe: (url: string) => Promise<boolean> = answers,
  reload: () => void = () => location.reload(),
  storage: Pick<Storage, 'getItem' | 'setItem'> = sessionStorage,
  now: () => number = Date.now,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const fetchFailed = FETCH_FAILED.exec(error instanceof Error ? error.message : String(error));
    if (!fetchFailed) throw error;
    // Only the page's own server is asked: a name in an error is never a reason to reach another host.
    const page = location.href.split('#')[0]!;
    const named = fetchFailed[1];
    const url = named && new URL(named, page).origin === new URL(page).origin ? named : page;
    const last = Number(storage.getItem(RELOADED_AT) ?? 0);
    if (now() - last < RELOAD_GUARD_MS || !(await probe(url))) throw error;
    storage.setItem(RELOADED_AT, String(now()));
    console.warn('Larder: reloading the page to load its code, which could not be fetched', error);
    reload();
    // The page is going: nothing after this runs.
    return new Promise<T>(() => undefined);
  }
}

const failedLoads = new Set<() => unknown>();

/**
 * Lets every screen whose load failed load again the next time it is shown. Called by the screen's error
 * boundary once it shows the failure, not when the load fails: React renders a failed screen again at once
 * before showing its error, and a new load then would start a loop of loads instead of showing it.
 */
export function forgetFailedLoads(): void {
  for (const renew of failedLoads) renew();
  failedLoads.clear();
}

/**
 * A screen whose module loads when it is first shown (a chunk of its own, from the app's own files:
 * nothing is fetched from elsewhere), with the rest of the app's code (`loadTheRest`) unless it can be a
 * first view. The first view needs only its own screen, and the browser compiles and runs a smaller bundle
 * before it. `preload` loads the module ahead (see `preloadScreens`).
 *
 * Once the module is loaded (ahead, or by a first visit), the screen renders it directly: React.lazy alone
 * would suspend on its first render even with the module in hand, and React holds a revealed boundary back
 * for about 300 ms (its Suspense throttling): every first visit of a screen took that much longer.
 */
export type LazyScreen<P> = ComponentType<P> & { preload: () => Promise<unknown> };

export function lazyScreen<M, K extends keyof M>(
  load: () => Promise<M>,
  name: K,
  /**
   * False for a screen that can be a first view: it reads the projections only and subscribes through
   * the store's members that work before its parts (`onCommitted`, `onBacklog`); its commands load them.
   * Its own module then loads alone, and the rest after it is painted, as for the stock screen.
   */
  { withTheRest = true }: { withTheRest?: boolean } = {},
): LazyScreen<M[K] extends ComponentType<infer P> ? P : never> {
  type P = M[K] extends ComponentType<infer Q> ? Q : never;
  let loaded: ComponentType<P> | null = null;
  const take = (m: M): ComponentType<P> => (loaded = m[name] as ComponentType<P>);
  const loadWithRest = withTheRest ? () => Promise.all([load(), loadTheRest()]).then(([m]) => m) : load;
  // React.lazy keeps a failed load's error for good: after one (the page's server away for a moment), the
  // screen gets a new one once the failure is shown (forgetFailedLoads), which loads again when next shown.
  // A screen whose module failed as it loaded ahead (preloadScreens), while the server was away, would fail
  // again when opened, the server back or not, where the browser keeps a failed module (`loadAgain`): the
  // page then reloads, on that screen.
  const makeLazy = () =>
    lazy(() =>
      loadAgain(loadWithRest).then(
        (m) => ({ default: take(m) }),
        (error: unknown) => {
          failedLoads.add(() => (Lazy = makeLazy()));
          throw error;
        },
      ),
    );
  let Lazy = makeLazy();
  const Screen = (props: P) => {
    // Chosen once per mounted screen: one first drawn through the lazy component keeps it (it renders at
    // once when its module is in). Switching to the loaded component on a later render changes the element's
    // type, and React mounts the screen afresh: a form being filled in loses what was typed. (An end-to-end
    // run saw a donation form replaced half a second after it showed, on the same screen, as the rest of the
    // app's code came in and the frame drew again; that this switch was the cause is likely, not proven.)
    const [type] = useState(() => loaded ?? Lazy);
    return createElement(type as ComponentType<Record<string, unknown>>, props as Record<string, unknown>);
  };
  return Object.assign(Screen, { preload: () => loadWithRest().then(take) });
}

/**
 * Loads every screen's module once the page is idle, so that moving between screens later waits for
 * nothing (and an installed app's screens are all in memory before its files could change under it).
 */
export function preloadScreens(screens: readonly { preload: () => Promise<unknown> }[]): void {
  const idle = window.requestIdleCallback ?? ((cb: () => void) => setTimeout(cb, 0));
  // One screen per idle moment: all of them asked for in one task was a task of 83-86 ms at a 1M start (Vite's
  // helper then added a preload link for every file they import; now only for their styles: vite.config.ts).
  const next = (i: number) => {
    if (i >= screens.length) return;
    idle(() => {
      screens[i]!.preload().catch((error: unknown) =>
        console.warn('Larder could not load a screen ahead', error),
      );
      next(i + 1);
    });
  };
  next(0);
}
