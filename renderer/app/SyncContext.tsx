import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SyncService, SyncStatus } from '../sync/webrtc';

export const SyncContext = createContext<SyncService | null>(null);

export function useSync(): SyncService {
  const sync = useContext(SyncContext);
  if (!sync) throw new Error('useSync outside SyncContext');
  return sync;
}

export function useSyncStatus(): SyncStatus {
  const sync = useSync();
  return useSyncExternalStore(
    (l) => sync.subscribe(l),
    () => sync.status(),
  );
}
