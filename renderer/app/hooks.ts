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
