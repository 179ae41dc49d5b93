import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SyncHandle } from '../sync/control';
import type { SyncStatus } from '../sync/webrtc';

export const SyncContext = createContext<SyncHandle | null>(null);

export function useSync(): SyncHandle {
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
