import { useLiveQuery } from 'dexie-react-hooks';
import type { ItemRow } from '../storage/db';
import type { StockRow } from '../../shared/projection';
import { useStore } from './StoreContext';

/** The catalog, sorted by name, live. */
export function useItems(): ItemRow[] | undefined {
  const store = useStore();
  return useLiveQuery(() => store.db.items.orderBy('nameKey').toArray(), []);
}

/** This hub's stock rows by item id, live. */
export function useHubStock(): Map<string, StockRow> | undefined {
  const store = useStore();
  const hub = store.self!.hubId;
  return useLiveQuery(async () => {
    const rows = await store.db.stock.where('hub').equals(hub).toArray();
    return new Map(rows.map((r) => [r.item, r]));
  }, [hub]);
}
