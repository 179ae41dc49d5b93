import { useLiveQuery } from 'dexie-react-hooks';
import { useStore } from '../app/StoreContext';
import type { DeviceRow } from '../storage/db';

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
