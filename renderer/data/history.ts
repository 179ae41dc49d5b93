import { useLiveQuery } from 'dexie-react-hooks';
import type { EntryKind } from '../../shared/entries';
import type { LedgerRow } from '../../shared/projection';
import { useStore } from '../app/StoreContext';
import {
  getLedgerRows,
  hubItemLedgerRows,
  hubLedgerRows,
  newestTransferLedgerRows,
  openTransferLedgerRows,
} from '../storage/ledgerRows';

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
export function useHistory({
  hub,
  item,
  kind,
  from,
  to,
  limit,
}: HistoryFilter): { rows: LedgerRow[]; stale: boolean } | undefined {
  const store = useStore();
  const fromMs = from ? new Date(`${from}T00:00:00`).getTime() : -Infinity;
  const toMs = to ? new Date(`${to}T23:59:59.999`).getTime() : Infinity;
  // A live query keeps its last result until the new one comes: the rows say which filter they are for, and
  // rows of an earlier filter are `stale` (a hub's whole history read for a kind seldom recorded, or for an
  // item before its blocks are listed: at ten million entries, half a second and more).
  const key = JSON.stringify([hub, item, kind, from, to, limit]);
  const result = useLiveQuery(async () => {
    const ofKind = (r: LedgerRow) => !kind || r.kind === kind;
    return {
      key,
      rows: item
        ? await hubItemLedgerRows(store.db, hub, item, fromMs, toMs, limit, ofKind)
        : await hubLedgerRows(store.db, hub, fromMs, toMs, limit, ofKind),
    };
  }, [hub, item, kind, fromMs, toMs, limit]);
  return result && { rows: result.rows, stale: result.key !== key };
}

/** Entries by id (those the shown undos undid, to name them), live. */
export function useEntries(ids: readonly string[]): Map<string, LedgerRow> | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    const found = await getLedgerRows(store.db, ids);
    return new Map(found.flatMap((r) => (r ? [[r.id, r] as const] : [])));
  }, [ids]);
}

/**
 * The entries of the open transfers (asked for, on their way, or a difference to settle) and of the `count`
 * that changed last, and whether older ones exist, live: what the Transfers screen shows, read without every
 * transfer ever made (ledgerIndex.ts: `openTransfers`, `last`).
 */
export function useTransferEntries(
  count: number,
): { open: LedgerRow[]; newest: LedgerRow[]; more: boolean } | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    const open = await openTransferLedgerRows(store.db);
    const newest = await newestTransferLedgerRows(store.db, count);
    return { open, newest: newest.rows, more: newest.more };
  }, [count]);
}
