import { useEffect } from 'react';
import { FIRST_VIEW_MARK } from '../storage/marks';

/*
 * The ledger (the network's doc: seconds of work at a million entries) loads behind the first screen, not
 * before it. Its load runs in short steps, but the page's idle moments while the first screen waits for
 * its IndexedDB reads were enough to start it, and then the screen's own rendering waited behind its steps:
 * the first stock rows came at 0.7 s or at 2 s, depending on that race. So the app starts the load once
 * the first screen says its figures are painted (the stock and network views when their rows are; any
 * other screen once it is drawn), or after FIRST_VIEW_WAIT_MS whatever happens.
 */

/** Starts the load anyway after this long (a screen that never says, a first run with nothing to show). */
export const FIRST_VIEW_WAIT_MS = 3_000;

let shown: () => void = () => undefined;
const firstView = new Promise<void>((resolve) => (shown = resolve));

/** Resolves once the first screen's figures are painted, or after FIRST_VIEW_WAIT_MS. */
export function firstViewShown(): Promise<void> {
  return Promise.race([firstView, new Promise<void>((resolve) => setTimeout(resolve, FIRST_VIEW_WAIT_MS))]);
}

/** For the first screen: says its figures are painted, once `ready` is true (after the next paint). */
export function useFirstView(ready: boolean): void {
  useEffect(() => {
    if (!ready) return;
    // A frame, then a task: after the browser painted what this render committed.
    requestAnimationFrame(() =>
      setTimeout(() => {
        performance.mark?.(FIRST_VIEW_MARK);
        shown();
      }, 0),
    );
  }, [ready]);
}
