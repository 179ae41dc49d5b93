import Dexie from 'dexie';
import type { LedgerRow } from '../../shared/projection';
import { isOpenTransfer, lastChangeOf, transferView } from '../../shared/transfers';
import type { LarderDB } from './db';

/**
 * What can be read of the ledger rows without unpacking a block (ledgerRows.ts packs them): how fresh a
 * hub's figures are (the blocks' `spans` index), the transfers' and the slots' rows (kept whole in a record
 * per transfer and per slot).
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

/**
 * A transfer's rows (every entry whose `root` is its id, whole, sorted by id) and when it last changed
 * (`lastChangeOf` its rows, indexed: the table of all transfers reads the newest ones only). One IndexedDB
 * row per transfer, not one per entry: a row per entry with three indexes (id, slot, root, last) was four or
 * five LevelDB keys per entry of a transfer or an undo, each written again (with an undo record of its own
 * in Chromium's undo log, which the next opens walk past until LevelDB compacts it away) whenever the
 * transfer changed: 1.1 million keys at ten million entries (docs/benchmarks.md, "Stop 44").
 */
export interface TransferRecord {
  root: string;
  last: number;
  rows: LedgerRow[];
}

/**
 * The members of the exclusive slots (`undo:<entry>`, `in:<transfer>`, `out:<request>`) about the entries of
 * one bucket (`slotBucket`), whole, by id: most slots have one member (an undo, a receipt), and a record per
 * slot was two LevelDB keys for each.
 */
export interface SlotRecord {
  bucket: string;
  rows: LedgerRow[];
}

/** Entries per bucket of slots: the slots about `SLOT_BUCKET` consecutive entries of a device share a record. */
const SLOT_BUCKET = 128;

/**
 * The record a slot's members are kept in: that of the entry the slot is about (what is undone, received or
 * sent against), by its device and its sequence number divided by SLOT_BUCKET.
 */
export function slotBucket(slot: string): string {
  const about = slot.slice(slot.indexOf(':') + 1);
  const dot = about.lastIndexOf('.');
  const seq = Number(about.slice(dot + 1));
  // (An entry's slot is always `<kind>:<device>.<seq>`; anything else is a record of its own.)
  if (dot < 0 || !Number.isSafeInteger(seq)) return slot;
  return `${about.slice(0, dot)}.${Math.floor(seq / SLOT_BUCKET)}`;
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

/** A row written (`after`) or deleted (`after` undefined), and the row it replaced, if any (`before`). */
export interface RowChange {
  before?: LedgerRow | undefined;
  after?: LedgerRow | undefined;
}

const byEntryId = (a: LedgerRow, b: LedgerRow) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A transfer's record made of its rows, and whether the transfer is open (`isOpenTransfer`). */
export function transferRecord(root: string, rows: LedgerRow[]): { record: TransferRecord; open: boolean } {
  const sorted = [...rows].sort(byEntryId);
  const view = transferView(sorted);
  return {
    record: { root, last: lastChangeOf(sorted), rows: sorted },
    open: view !== null && isOpenTransfer(view.status),
  };
}

/** The records of the transfers and slots `rows` are in, made afresh (a database upgrade, a test). */
export function recordsOf(rows: Iterable<LedgerRow>): {
  transfers: TransferRecord[];
  slots: SlotRecord[];
  open: string[];
} {
  const byRoot = new Map<string, LedgerRow[]>();
  const bySlot = new Map<string, LedgerRow[]>();
  const add = (map: Map<string, LedgerRow[]>, key: string, row: LedgerRow) => {
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  };
  for (const row of rows) {
    if (row.root !== undefined) add(byRoot, row.root, row);
    if (row.slot !== undefined) add(bySlot, slotBucket(row.slot), row);
  }
  const transfers: TransferRecord[] = [];
  const open: string[] = [];
  for (const [root, list] of byRoot) {
    const made = transferRecord(root, list);
    transfers.push(made.record);
    if (made.open) open.push(root);
  }
  const slots = [...bySlot].map(([bucket, list]) => ({ bucket, rows: list.sort(byEntryId) }));
  return { transfers, slots, open };
}

/** Writes which transfers are open, in a transaction that holds `openTransfers`. */
export function writeOpenTransfers(db: LarderDB, marks: { open: string[]; closed: string[] }) {
  return Promise.all([
    marks.open.length > 0 && db.openTransfers.bulkPut(marks.open.map((root) => ({ root }))),
    marks.closed.length > 0 && db.openTransfers.bulkDelete(marks.closed),
  ]);
}

/**
 * `rows` without those of `ids`, with `added` (those of them in this record) in their place; null when none
 * is left.
 */
function replaced(rows: readonly LedgerRow[], ids: ReadonlySet<string>, added: readonly LedgerRow[]) {
  const left = rows.filter((row) => !ids.has(row.id));
  const all = [...left, ...added].sort(byEntryId);
  return all.length > 0 ? all : null;
}

/**
 * Brings the transfers' and slots' records in line with `changes` to the ledger rows: each changed row
 * leaves the records it was in (`before`, and any record it is found in among those touched) and joins
 * those of its new version (`after`); a transfer left with no row goes, and every transfer touched is
 * judged again (open or not). In a transaction that holds the ledger tables, called with some changes only
 * (in Dexie, an awaited async function that touches no table inside a transaction can end it early).
 */
export async function indexRowChanges(db: LarderDB, changes: readonly RowChange[]): Promise<void> {
  const roots = new Set<string>();
  const slots = new Set<string>();
  const ids = new Set<string>();
  const addedTo = { roots: new Map<string, LedgerRow[]>(), slots: new Map<string, LedgerRow[]>() };
  for (const { before, after } of changes) {
    for (const row of [before, after]) {
      if (row?.root !== undefined) roots.add(row.root);
      if (row?.slot !== undefined) slots.add(slotBucket(row.slot));
    }
    const id = (after ?? before)?.id;
    if (id !== undefined) ids.add(id);
    if (after?.root !== undefined)
      addedTo.roots.set(after.root, [...(addedTo.roots.get(after.root) ?? []), after]);
    if (after?.slot !== undefined) {
      const bucket = slotBucket(after.slot);
      addedTo.slots.set(bucket, [...(addedTo.slots.get(bucket) ?? []), after]);
    }
  }
  if (roots.size === 0 && slots.size === 0) return;
  const rootList = [...roots];
  const slotList = [...slots];
  const [transfers, slotRecords] = await Promise.all([
    rootList.length > 0 ? db.transfers.bulkGet(rootList) : [],
    slotList.length > 0 ? db.slots.bulkGet(slotList) : [],
  ]);
  const putTransfers: TransferRecord[] = [];
  const goneTransfers: string[] = [];
  const open: string[] = [];
  rootList.forEach((root, i) => {
    const rows = replaced(transfers[i]?.rows ?? [], ids, addedTo.roots.get(root) ?? []);
    if (rows === null) return void goneTransfers.push(root);
    const made = transferRecord(root, rows);
    putTransfers.push(made.record);
    if (made.open) open.push(root);
  });
  const putSlots: SlotRecord[] = [];
  const goneSlots: string[] = [];
  slotList.forEach((bucket, i) => {
    const rows = replaced(slotRecords[i]?.rows ?? [], ids, addedTo.slots.get(bucket) ?? []);
    if (rows === null) goneSlots.push(bucket);
    else putSlots.push({ bucket, rows });
  });
  const openSet = new Set(open);
  await Promise.all([
    putTransfers.length > 0 && db.transfers.bulkPut(putTransfers),
    goneTransfers.length > 0 && db.transfers.bulkDelete(goneTransfers),
    putSlots.length > 0 && db.slots.bulkPut(putSlots),
    goneSlots.length > 0 && db.slots.bulkDelete(goneSlots),
    writeOpenTransfers(db, { open, closed: rootList.filter((root) => !openSet.has(root)) }),
  ]);
}

/** Records read at a time by `sweepRecords`. */
const SWEEP_RECORDS = 2000;

/**
 * After a rebuild: takes out of the transfers' and slots' records every row that `linkOf` (the rebuilt
 * projection's row of an id: its root and slot) does not put there: rows left over from an earlier
 * projection or a damaged write. A few thousand records per transaction.
 */
export async function sweepRecords(
  db: LarderDB,
  linkOf: (id: string) => { root?: string | undefined; slot?: string | undefined } | undefined,
): Promise<void> {
  const roots = (await db.transfers.toCollection().primaryKeys()) as string[];
  for (let i = 0; i < roots.length; i += SWEEP_RECORDS)
    await db.transaction('rw', [db.transfers, db.openTransfers], async () => {
      const records = (await db.transfers.bulkGet(roots.slice(i, i + SWEEP_RECORDS))).flatMap((r) => r ?? []);
      const changed = records.flatMap((record) => {
        const rows = record.rows.filter((row) => linkOf(row.id)?.root === record.root);
        return rows.length === record.rows.length ? [] : [{ root: record.root, rows }];
      });
      if (changed.length === 0) return;
      const gone = changed.filter((c) => c.rows.length === 0).map((c) => c.root);
      const made = changed.filter((c) => c.rows.length > 0).map((c) => transferRecord(c.root, c.rows));
      await Promise.all([
        gone.length > 0 && db.transfers.bulkDelete(gone),
        made.length > 0 && db.transfers.bulkPut(made.map((m) => m.record)),
        writeOpenTransfers(db, {
          open: made.filter((m) => m.open).map((m) => m.record.root),
          closed: [...gone, ...made.filter((m) => !m.open).map((m) => m.record.root)],
        }),
      ]);
    });
  const slots = (await db.slots.toCollection().primaryKeys()) as string[];
  for (let i = 0; i < slots.length; i += SWEEP_RECORDS)
    await db.transaction('rw', db.slots, async () => {
      const records = (await db.slots.bulkGet(slots.slice(i, i + SWEEP_RECORDS))).flatMap((r) => r ?? []);
      const changed = records.flatMap((record) => {
        const rows = record.rows.filter((row) => {
          const slot = linkOf(row.id)?.slot;
          return slot !== undefined && slot === row.slot && slotBucket(slot) === record.bucket;
        });
        return rows.length === record.rows.length ? [] : [{ bucket: record.bucket, rows }];
      });
      if (changed.length === 0) return;
      const gone = changed.filter((c) => c.rows.length === 0).map((c) => c.bucket);
      const kept = changed.filter((c) => c.rows.length > 0);
      await Promise.all([
        gone.length > 0 && db.slots.bulkDelete(gone),
        kept.length > 0 && db.slots.bulkPut(kept),
      ]);
    });
}

/** The rows of one transfer (their root is its id). */
export async function transferLedgerRows(db: LarderDB, root: string): Promise<LedgerRow[]> {
  return (await db.transfers.get(root))?.rows ?? [];
}

/** The rows in any of `slots`. */
export async function ledgerRowsInSlots(db: LarderDB, slots: readonly string[]): Promise<LedgerRow[]> {
  if (slots.length === 0) return [];
  const asked = new Set(slots);
  const records = await db.slots.bulkGet([...new Set(slots.map(slotBucket))]);
  return records.flatMap((record) => (record?.rows ?? []).filter((row) => asked.has(row.slot!)));
}

/**
 * The rows of the open transfers (`isOpenTransfer`): what the Network screen and the Transfers screen's cards
 * show. Their number follows what is under way now, not the history (every transfer ever made was a 136 ms
 * task of the Network screen's first view at a million entries).
 */
export async function openTransferLedgerRows(db: LarderDB): Promise<LedgerRow[]> {
  const roots = (await db.openTransfers.toCollection().primaryKeys()) as string[];
  if (roots.length === 0) return [];
  return (await db.transfers.bulkGet(roots)).flatMap((record) => record?.rows ?? []);
}

/**
 * The rows of the `count` transfers that changed last (`last`, newest first), and whether older ones exist:
 * the table of all transfers a page at a time. Reads those transfers only.
 */
export async function newestTransferLedgerRows(
  db: LarderDB,
  count: number,
): Promise<{ rows: LedgerRow[]; more: boolean }> {
  const newestFirst = db.transfers.orderBy('last').reverse();
  const newest = await (count === Infinity ? newestFirst : newestFirst.limit(count + 1)).toArray();
  const more = newest.length > count;
  return { rows: newest.slice(0, count).flatMap((record) => record.rows), more };
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
