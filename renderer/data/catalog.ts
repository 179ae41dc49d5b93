import { useLiveQuery } from 'dexie-react-hooks';
import type { ShelfRow } from '../../shared/shelf';
import { useStore } from '../app/StoreContext';
import type { ItemRow } from '../storage/db';
import { useSelf } from './self';

/** The catalog, sorted by name, live; `first` until it has read (rows read as the page opened: earlyStock.ts). */
export function useItems(first?: ItemRow[]): ItemRow[] | undefined {
  const store = useStore();
  return useLiveQuery(() => store.db.items.orderBy('nameKey').toArray(), [], first);
}

/**
 * A hub's stock by item id, live (this device's hub unless another is given): its shelf rows, the stock rows
 * without their expiry lots (shared/shelf.ts), so that what a screen reads does not grow with history.
 */
export function useHubStock(hubId?: string, first?: readonly ShelfRow[]): Map<string, ShelfRow> | undefined {
  const store = useStore();
  const ownHub = useSelf()?.hubId;
  const hub = hubId ?? ownHub ?? '';
  return useLiveQuery(
    async () => byItem(await store.db.shelf.where('hub').equals(hub).toArray()),
    [hub],
    // `first`: the hub's rows read as the page opened (earlyStock.ts), until the query has read.
    first && byItem(first),
  );
}

const byItem = (rows: readonly ShelfRow[]) => new Map(rows.map((r) => [r.item, r]));
