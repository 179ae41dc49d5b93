import { useLiveQuery } from 'dexie-react-hooks';
import { useStore } from '../app/StoreContext';
import { knownPeers, type KnownPeer } from '../sync/syncFiles';

/**
 * The devices whose sync files this device has imported, with when each made its newest, live. (Apart from
 * devices.ts, which the first screen uses: this one needs the sync files' code.)
 */
export function useKnownPeers(): KnownPeer[] | undefined {
  const store = useStore();
  return useLiveQuery(() => knownPeers(store), []);
}
