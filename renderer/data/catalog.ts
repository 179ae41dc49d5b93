import { useLiveQuery } from 'dexie-react-hooks';
import type { StockRow } from '../../shared/projection';
import { useStore } from '../app/StoreContext';
import type { ItemRow } from '../storage/db';
import { useSelf } from './self';

/** The catalog, sorted by name, live. */
export function useItems(): ItemRow[] | undefined {
  const store = useStore();
  return useLiveQuery(() => store.db.items.orderBy('nameKey').toArray(), []);
}

/** A hub's stock rows by item id, live (this device's hub unless another is given). */
export function useHubStock(hubId?: string): Map<string, StockRow> | undefined {
  const store = useStore();
  const ownHub = useSelf()?.hubId;
  const hub = hubId ?? ownHub ?? '';
  return useLiveQuery(async () => {
    const rows = await store.db.stock.where('hub').equals(hub).toArray();
    return new Map(rows.map((r) => [r.item, r]));
  }, [hub]);
}
