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
