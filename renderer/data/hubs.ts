import { useLiveQuery } from 'dexie-react-hooks';
import { useState } from 'react';
import { useStore } from '../app/StoreContext';
import type { HubRow } from '../storage/db';
import { hubsWithNewest, type HubWithFreshness } from './newest';

export type { HubWithFreshness } from './newest';

/** Every hub of the network, live; `first` until it has read (rows read as the page opened: earlyStock.ts). */
export function useHubs(first?: HubRow[]): HubRow[] | undefined {
  const store = useStore();
  return useLiveQuery(() => store.db.hubs.toArray(), [], first);
}

/** One hub, live; undefined while loading (`first` until it has read) or when it has not arrived. */
export function useHub(id: string | null | undefined, first?: HubRow): HubRow | undefined {
  const store = useStore();
  return useLiveQuery(() => (id ? store.db.hubs.get(id) : undefined), [id], first);
}

/** One hub, live, wrapped so that "still loading" (undefined) differs from "no such hub" (row undefined). */
export function useHubLookup(id: string | null): { row: HubRow | undefined } | undefined {
  const store = useStore();
  return useLiveQuery(async () => ({ row: id ? await store.db.hubs.get(id) : undefined }), [id]);
}

/** Hub names by id, live. */
export function useHubNames(): Map<string, string> | undefined {
  const store = useStore();
  return useLiveQuery(async () => new Map((await store.db.hubs.toArray()).map((h) => [h.id, h.name])), []);
}

/** The hub a screen starts on: this device's own, else (a coordinator has none) the first by name. */
export function defaultHub(hubs: readonly HubRow[] | undefined, ownHub: string | null): string {
  return ownHub ?? [...(hubs ?? [])].sort((a, b) => a.name.localeCompare(b.name))[0]?.id ?? '';
}

/**
 * The hub a screen shows and the choice of it: this device's own hub to start with, or, on a
 * coordinator's device, the first by name until one is picked.
 */
export function useHubChoice(
  ownHub: string | null,
  first?: HubRow[],
): {
  hubs: HubRow[] | undefined;
  hub: string;
  choose: (hub: string) => void;
} {
  const hubs = useHubs(first);
  const [chosen, choose] = useState<string | null>(ownHub);
  return { hubs, hub: chosen ?? defaultHub(hubs, null), choose };
}

/** The Sync screen's hubs: each with its newest entry seen here and its devices, by name. */
export function useHubsForSync(): (HubWithFreshness & { devices: number })[] | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    const hubs = await hubsWithNewest(store.db);
    const withDevices = await Promise.all(
      hubs.map(async (h) => ({ ...h, devices: await store.db.devices.where('hub').equals(h.id).count() })),
    );
    return withDevices.sort((a, b) => a.name.localeCompare(b.name));
  }, []);
}
