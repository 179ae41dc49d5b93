import { useSyncExternalStore } from 'react';
import { useStore } from './StoreContext';

/** Entries of a very large update not yet added to the figures (0 almost always), live. */
export function useUnprojected(): number {
  const persistence = useStore().persistence;
  return useSyncExternalStore(
    (listener) => persistence.onBacklog(listener),
    () => persistence.unprojected,
  );
}

/**
 * How far a rebuild has written the history (usage and ledger rows), in whole percent, live; null when no
 * rebuild runs. A number, so the snapshot stays the same between changes.
 */
export function useRebuildPercent(): number | null {
  const persistence = useStore().persistence;
  return useSyncExternalStore(
    (listener) => persistence.onBacklog(listener),
    () => {
      const progress = persistence.rebuildProgress;
      if (!progress) return null;
      return progress.total === 0 ? 100 : Math.floor((100 * progress.written) / progress.total);
    },
  );
}
