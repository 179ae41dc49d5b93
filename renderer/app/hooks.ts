import { useSyncExternalStore } from 'react';
import { useStore } from './StoreContext';

/** Entries of a very large update not yet added to the figures (0 almost always), live. */
export function useUnprojected(): number {
  const store = useStore();
  return useSyncExternalStore(
    (listener) => store.onBacklog(listener),
    () => store.unprojected,
  );
}

/**
 * How far a rebuild has written the history (usage and ledger rows), in whole percent, live; null when no
 * rebuild runs. A number, so the snapshot stays the same between changes.
 */
/** A load shorter than this is not mentioned (most hubs' take a fraction of a second). */
export const LOAD_SHOWN_AFTER_MS = 1_000;

/**
 * How far the history's load is (the doc, which saves and sync wait for), in whole percent, live; null
 * when none runs, or while it has run for less than LOAD_SHOWN_AFTER_MS.
 */
export function useLoadPercent(): number | null {
  const store = useStore();
  return useSyncExternalStore(
    (listener) => store.onBacklog(listener),
    () => {
      const progress = store.loadProgress;
      if (!progress || performance.now() - progress.startedAt < LOAD_SHOWN_AFTER_MS) return null;
      return Math.floor((100 * progress.done) / Math.max(1, progress.total));
    },
  );
}

export function useRebuildPercent(): number | null {
  const store = useStore();
  return useSyncExternalStore(
    (listener) => store.onBacklog(listener),
    () => {
      const progress = store.rebuildProgress;
      if (!progress) return null;
      return progress.total === 0 ? 100 : Math.floor((100 * progress.written) / progress.total);
    },
  );
}
