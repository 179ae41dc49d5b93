import { useLiveQuery } from 'dexie-react-hooks';
import { useStore } from '../app/StoreContext';
import type { DeviceRow } from '../storage/db';
import { knownPeers, type KnownPeer } from '../sync/syncFiles';

/** Every device the network knows, by id, live. */
export function useDevices(): Map<string, DeviceRow> | undefined {
  const store = useStore();
  return useLiveQuery(async () => new Map((await store.db.devices.toArray()).map((d) => [d.id, d])), []);
}

/** Device names by id, live. */
export function useDeviceNames(): Map<string, string> | undefined {
  const store = useStore();
  return useLiveQuery(async () => new Map((await store.db.devices.toArray()).map((d) => [d.id, d.name])), []);
}

/** One device, live. */
export function useDevice(id: string): DeviceRow | undefined {
  const store = useStore();
  return useLiveQuery(() => store.db.devices.get(id), [id]);
}

/** The devices whose sync files this device has imported, with when each made its newest, live. */
export function useKnownPeers(): KnownPeer[] | undefined {
  const store = useStore();
  return useLiveQuery(() => knownPeers(store), []);
}
