import Dexie from 'dexie';
import { appendAll } from '../../shared/arrays';
import type { LedgerRow } from '../../shared/projection';
import { isOpenTransfer, lastChangeOf, transferView } from '../../shared/transfers';
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
  /**
   * When the transfer last changed (`lastChangeOf` its rows), on every link of it; indexed, so the table of
   * all transfers reads the newest ones only.
   */
  last?: number;
  /** The row as its block holds it (absent in links written before the rows were packed). */
  row?: LedgerRow;
}

/**
 * A transfer still open (`isOpenTransfer`: asked for, on its way, or a difference to settle), in a table of
 * its own: a row while it is open, deleted once it closes. (A mark on the links, indexed, was tried first:
 * Chromium leaves an index entry in place when its value changes, to be swept later, and every transfer opens
 * and closes once, so at 10M entries reading the 745 open links walked every link ever marked: 600 ms.)
 */
export interface OpenTransferRow {
  root: string;
}

/** What `markTransfers` found: links whose `last` changed, and the transfers open and not. */
export interface TransferMarks {
  links: LedgerLink[];
  open: string[];
  closed: string[];
}

/**
 * Judges the transfers `links` name, which hold every link of each (a transfer is judged from all its rows:
 * `transferView`): sets `last` on their links, and says which are open. A transfer with a link written
 * before links held their row is left out (its projection is rebuilt: PROJECTION_VERSION 8).
 */
export function markTransfers(links: Iterable<LedgerLink>): TransferMarks {
  const byRoot = new Map<string, LedgerLink[]>();
  for (const link of links) {
    if (link.root === undefined) continue;
    const list = byRoot.get(link.root);
    if (list) list.push(link);
    else byRoot.set(link.root, [link]);
  }
  const marks: TransferMarks = { links: [], open: [], closed: [] };
  for (const [root, list] of byRoot) {
    if (list.some((link) => link.row === undefined)) continue;
    const rows = list.map((link) => link.row!);
    const view = transferView(rows);
    (view !== null && isOpenTransfer(view.status) ? marks.open : marks.closed).push(root);
    const last = lastChangeOf(rows);
    for (const link of list) {
      if (link.last === last) continue;
      link.last = last;
      marks.links.push(link);
    }
  }
  return marks;
}

/** Writes which transfers are open, in a transaction that holds `openTransfers`. */
export function writeOpenTransfers(db: LarderDB, marks: Pick<TransferMarks, 'open' | 'closed'>) {
  return Promise.all([
    marks.open.length > 0 && db.openTransfers.bulkPut(marks.open.map((root) => ({ root }))),
    marks.closed.length > 0 && db.openTransfers.bulkDelete(marks.closed),
  ]);
}

/**
 * Every link of the transfers `roots` (their ids), for a screen: a request per transfer, LINK_READS_AT_ONCE at
 * once. Dexie's `anyOf` walks the index with a cursor, a round trip to the database per link: the 347 open
 * transfers of a year at a million entries took 300 ms that way, 165 ms with every request at once (the
 * Network screen's first view waited for them). But the answers to requests made at once come back in one
 * task: at ten million entries, 582 open transfers were a task of 145-244 ms on the page. Not inside a
 * transaction: Dexie keeps one open only across awaits of its own requests.
 */
async function linksOfTransfers(db: LarderDB, roots: readonly string[]): Promise<LedgerLink[]> {
  const links: LedgerLink[] = [];
  // One transaction for them all (a transaction each cost Dexie and the database about 0.2 ms per transfer):
  // it stays open across the awaits, which are of its own requests only.
  await db.transaction('r', db.links, async () => {
    for (let i = 0; i < roots.length; i += LINK_READS_AT_ONCE) {
      const lists = await Promise.all(
        roots.slice(i, i + LINK_READS_AT_ONCE).map((root) => db.links.where('root').equals(root).toArray()),
      );
      for (const list of lists) appendAll(links, list);
    }
  });
  return links;
}

/** Requests `linksOfTransfers` makes at once: their answers come back in one task. */
const LINK_READS_AT_ONCE = 50;

/**
 * Before `written` links are put (new rows, or new versions of rows): judges their transfers with the stored
 * links of each, and returns the marks (`links`: the stored links whose `last` changed, to be put with them).
 * In the same transaction as the write (it reads `links`).
 */
export async function markWrittenLinks(db: LarderDB, written: readonly LedgerLink[]): Promise<TransferMarks> {
  // The transfers they are of now, and were of before (a rewritten row that left one leaves it to judge).
  const before = await db.links.bulkGet(written.map((link) => link.id));
  const roots = [...new Set([...written, ...before].flatMap((link) => link?.root ?? []))];
  if (roots.length === 0) return { links: [], open: [], closed: [] };
  const ids = new Set(written.map((link) => link.id));
  const stored = (await db.links.where('root').anyOf(roots).toArray()).filter((link) => !ids.has(link.id));
  const marks = markTransfers([...stored, ...written]);
  const changed = new Set(marks.links);
  // A transfer none of whose links is left (a rewritten row left it) is not open.
  const judged = new Set([...marks.open, ...marks.closed]);
  return {
    links: stored.filter((link) => changed.has(link)),
    open: marks.open,
    closed: [...marks.closed, ...roots.filter((root) => !judged.has(root))],
  };
}

/**
 * Deletes the links of `ids`; the transfers they belonged to are judged again from the links left. In a
 * transaction that holds the ledger tables, called with some ids only (in Dexie, an awaited async function
 * that touches no table inside a transaction can end it early: PrematureCommitError).
 */
export async function deleteLinks(db: LarderDB, ids: readonly string[]): Promise<void> {
  const gone = (await db.links.bulkGet([...ids])).filter((link) => link !== undefined);
  const roots = [...new Set(gone.flatMap((link) => link.root ?? []))];
  await db.links.bulkDelete([...ids]);
  if (roots.length === 0) return;
  const left = await db.links.where('root').anyOf(roots).toArray();
  const marks = markTransfers(left);
  const judged = new Set([...marks.open, ...marks.closed]);
  // A transfer with no link left is not open.
  marks.closed.push(...roots.filter((root) => !judged.has(root)));
  await Promise.all([marks.links.length > 0 && db.links.bulkPut(marks.links), writeOpenTransfers(db, marks)]);
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

/**
 * The rows of the open transfers (`isOpenTransfer`): what the Network screen and the Transfers screen's cards
 * show. Their number follows what is under way now, not the history (every transfer ever made was a 136 ms
 * task of the Network screen's first view at a million entries).
 */
export async function openTransferLedgerRows(db: LarderDB): Promise<LedgerRow[]> {
  const roots = (await db.openTransfers.toCollection().primaryKeys()) as string[];
  return rowsOfLinks(db, await linksOfTransfers(db, roots));
}

/**
 * The rows of the `count` transfers that changed last (`last`, newest first), and whether older ones exist:
 * the table of all transfers a page at a time. Reads those transfers' links only.
 */
export async function newestTransferLedgerRows(
  db: LarderDB,
  count: number,
): Promise<{ rows: LedgerRow[]; more: boolean }> {
  const roots = new Set<string>();
  await db.links
    .orderBy('last')
    .reverse()
    .until(() => roots.size > count)
    .each((link) => {
      if (link.root !== undefined) roots.add(link.root);
    });
  const more = roots.size > count;
  const newest = [...roots].slice(0, count);
  if (newest.length === 0) return { rows: [], more };
  return { rows: await rowsOfLinks(db, await linksOfTransfers(db, newest)), more };
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
