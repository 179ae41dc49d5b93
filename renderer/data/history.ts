import Dexie from 'dexie';
import { useLiveQuery } from 'dexie-react-hooks';
import type { EntryKind } from '../../shared/entries';
import type { LedgerRow } from '../../shared/projection';
import { useStore } from '../app/StoreContext';

export interface HistoryFilter {
  hub: string;
  item: string;
  kind: '' | EntryKind;
  /** Local day YYYY-MM-DD, or '' for no bound. */
  from: string;
  to: string;
  limit: number;
}

/** A hub's entries, newest first, narrowed by item, kind and days, up to `limit`, live. */
export function useHistory({ hub, item, kind, from, to, limit }: HistoryFilter): LedgerRow[] | undefined {
  const store = useStore();
  const fromMs = from ? new Date(`${from}T00:00:00`).getTime() : Dexie.minKey;
  const toMs = to ? new Date(`${to}T23:59:59.999`).getTime() : Dexie.maxKey;
  return useLiveQuery(() => {
    const db = store.db;
    // Use the index that narrows most; the other filter, if any, runs on what it returns.
    const query = item
      ? db.ledger.where('[hub+item+at]').between([hub, item, fromMs], [hub, item, toMs], true, true)
      : kind
        ? db.ledger.where('[hub+kind+at]').between([hub, kind, fromMs], [hub, kind, toMs], true, true)
        : db.ledger.where('[hub+at]').between([hub, fromMs], [hub, toMs], true, true);
    const filtered = item && kind ? query.filter((r) => r.kind === kind) : query;
    return filtered.reverse().limit(limit).toArray();
  }, [hub, item, kind, fromMs, toMs, limit]);
}

/** Entries by id (those the shown undos undid, to name them), live. */
export function useEntries(ids: readonly string[]): Map<string, LedgerRow> | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    const found = await store.db.ledger.bulkGet([...ids]);
    return new Map(found.flatMap((r) => (r ? [[r.id, r] as const] : [])));
  }, [ids]);
}

/** Every transfer's entries (those with a root), live. */
export function useTransferEntries(): LedgerRow[] | undefined {
  const store = useStore();
  return useLiveQuery(() => store.db.ledger.where('root').above('').toArray(), []);
}
