import type { LedgerRow } from '../../shared/projection';
import type { LarderDB } from '../../renderer/storage/db';
import {
  allLedgerRows,
  countLedgerRows,
  deleteLedgerRows,
  getLedgerRow,
  getLedgerRows,
  hubLedgerRows,
  putLedgerRows,
} from '../../renderer/storage/ledgerRows';

/** The ledger rows of a device's database, read and written as the tests need them (ledgerRows.ts). */
export function ledgerOf(db: LarderDB) {
  const write = (fn: () => Promise<unknown>) => db.transaction('rw', db.ledgerTables, fn);
  return {
    get: (id: string) => getLedgerRow(db, id),
    bulkGet: (ids: readonly string[]) => getLedgerRows(db, ids),
    toArray: () => allLedgerRows(db),
    count: () => countLedgerRows(db),
    /** A hub's rows, oldest first. */
    ofHub: async (hub: string) => (await hubLedgerRows(db, hub, -Infinity, Infinity, Infinity)).reverse(),
    put: (row: LedgerRow) => write(() => putLedgerRows(db, [row])),
    delete: (id: string) => write(() => deleteLedgerRows(db, [id])),
    clear: () => write(() => Promise.all([db.blocks.clear(), db.links.clear()])),
  };
}
