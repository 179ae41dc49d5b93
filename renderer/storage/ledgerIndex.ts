import Dexie from 'dexie';
import type { LedgerRow } from '../../shared/projection';
import type { LarderDB } from './db';

/**
 * What can be read of the ledger rows without unpacking a block (ledgerRows.ts packs them): how fresh a
 * hub's figures are (the blocks' `spans` index) and the transfers' rows (kept whole in their `links` rows).
 * The Network screen's first view reads these and loads this module only, not the packing, lib0 or the
 * entries' schemas (tests/renderer/first-view-imports.test.ts).
 */

export type BlockKey = [device: string, bucket: number];

/** A block as IndexedDB holds it. */
export interface StoredBlock {
  device: string;
  bucket: number;
  /** `[hub, newest at]` for each hub the block's entries are at. */
  spans: [string, number][];
  /** Its rows, sorted by sequence number, packed (shared/checkpoint/rows.ts). */
  packed?: Uint8Array;
  /** Its rows as objects, in a block written before they were packed (PROJECTION_VERSION 8). */
  rows?: LedgerRow[];
}

/** The slot and the transfer of an entry that has either (an index over the blocks), and its row. */
export interface LedgerLink {
  id: string;
  slot?: string;
  root?: string;
  /** The row as its block holds it (absent in links written before the rows were packed). */
  row?: LedgerRow;
}

/**
 * The rows of `links`. A link written before links held their row (PROJECTION_VERSION 8's rebuild puts
 * them again) is read from its block, with the module that unpacks blocks loaded for it.
 */
export async function rowsOfLinks(db: LarderDB, links: readonly LedgerLink[]): Promise<LedgerRow[]> {
  const without = links.filter((link) => link.row === undefined).map((link) => link.id);
  const older = new Map<string, LedgerRow>();
  if (without.length > 0) {
    const { getLedgerRows } = await import('./ledgerRows');
    for (const row of await getLedgerRows(db, without)) if (row) older.set(row.id, row);
  }
  return links.flatMap((link) => link.row ?? older.get(link.id) ?? []);
}

/** The rows of one transfer (their root is its id). */
export async function transferLedgerRows(db: LarderDB, root: string): Promise<LedgerRow[]> {
  return rowsOfLinks(db, await db.links.where('root').equals(root).toArray());
}

/** The rows of every transfer. */
export async function allTransferLedgerRows(db: LarderDB): Promise<LedgerRow[]> {
  return rowsOfLinks(db, await db.links.where('root').above('').toArray());
}

/** The time of the newest entry at a hub, or null when there is none. */
export async function newestAtHub(db: LarderDB, hub: string): Promise<number | null> {
  const span = (await db.blocks
    .where('spans')
    .between([hub, Dexie.minKey], [hub, Dexie.maxKey], true, true)
    .reverse()
    .limit(1)
    .keys()) as unknown as [string, number][];
  return span[0]?.[1] ?? null;
}
