import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

/**
 * A screen whose module loads when it is first shown (a chunk of its own, from the app's own files:
 * nothing is fetched from elsewhere). The first view needs only the stock screen, and the browser
 * compiles and runs a smaller bundle before it. `preload` loads the module ahead (see `preloadScreens`).
 */
export type LazyScreen<P> = LazyExoticComponent<ComponentType<P>> & { preload: () => Promise<unknown> };

export function lazyScreen<M, K extends keyof M>(
  load: () => Promise<M>,
  name: K,
): LazyScreen<M[K] extends ComponentType<infer P> ? P : never> {
  type P = M[K] extends ComponentType<infer Q> ? Q : never;
  const component = lazy(() => load().then((m) => ({ default: m[name] as ComponentType<P> })));
  return Object.assign(component, { preload: load });
}

/**
 * Loads every screen's module once the page is idle, so that moving between screens later waits for
 * nothing (and an installed app's screens are all in memory before its files could change under it).
 */
export function preloadScreens(screens: readonly { preload: () => Promise<unknown> }[]): void {
  const idle = window.requestIdleCallback ?? ((cb: () => void) => setTimeout(cb, 0));
  idle(() => {
    for (const screen of screens)
      screen.preload().catch((error: unknown) => console.warn('Larder could not load a screen ahead', error));
  });
}
