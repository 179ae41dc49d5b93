import { createContext, useContext, useSyncExternalStore } from 'react';
import type { SyncControl } from '../sync/control';
import type { SyncStatus } from '../sync/webrtc';

export const SyncContext = createContext<SyncControl | null>(null);

export function useSync(): SyncControl {
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
