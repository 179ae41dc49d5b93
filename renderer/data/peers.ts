import { useLiveQuery } from 'dexie-react-hooks';
import { useSync } from '../app/SyncContext';
import type { KnownPeer } from '../sync/syncFiles';

/**
 * The devices whose sync files this device has imported, with when each made its newest, live. (Apart from
 * devices.ts, which the first screen uses: this one needs the sync files' code.)
 */
export function useKnownPeers(): KnownPeer[] | undefined {
  const sync = useSync();
  return useLiveQuery(() => sync.knownPeers(), [sync]);
}
