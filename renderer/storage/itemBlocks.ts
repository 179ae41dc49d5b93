import { nextTask } from '../../shared/pace';
import type { LedgerRow } from '../../shared/projection';
import type { LarderDB } from './db';
import type { BlockKey, StoredBlock } from './ledgerIndex';

/**
 * Which blocks hold a hub's entries of an item (ledgerRows.ts packs a device's entries 128 to a block), so
 * that History filtered by an item seldom recorded reads those blocks only. Without it, such a filter read
 * every block of the hub, newest first, until it had a page: the least recorded item at a million entries
 * took 0.65-0.9 s, at ten million 1.2 s, reading from IndexedDB, not unpacking, being the cost
 * (docs/benchmarks.md, "Stop 46" and "Stop 48").
 *
 * A row per hub, item, device and part of that device's blocks (PART_BUCKETS blocks in a row), keyed
 * `[hub+item+device+part]`: the buckets of the part that hold the item at the hub, sorted. No secondary
 * index: a multi-entry index of `[hub, item]` on the blocks would be written again, every pair of the
 * block, at each save (a block is written again as it fills, and Chromium writes every index entry of a
 * record it puts), and would cost more on disk than the blocks themselves. In parts, so that a save writes
 * a row of a few kilobytes at most however long the item's list (one row per hub and item, capped at 512
 * blocks, left the items past the cap to be read as before: at ten million entries, the least recorded).
 *
 * - Lists only grow. A row taken out of a block (an entry set aside, a rebuild's rows replacing an earlier
 *   projection's) leaves its block listed: History filters the rows it reads anyway, so a list may name more
 *   blocks than hold the item, never fewer.
 * - A small write of rows (a save, a peer's few entries) lists its blocks in the same transaction
 *   (`putLedgerRows`): a row read per item and part, written back when a block is new to it or its newest
 *   minute moved. A large one (a rebuild's piece, a first sync's) would write every item's growing lists
 *   again at each piece, gigabytes at ten million entries: it marks the lists unfinished instead, and
 *   `fillItemBlocks` lists every block in the background, a part at a time, each row written once. A
 *   database that had blocks before the table is marked so too.
 * - While marked unfinished (the row PENDING), History reads the hub's blocks as it did before the lists.
 */
export interface ItemListRow {
  hub: string;
  item: string;
  device: string;
  /** The part of the device's blocks: buckets from `part * PART_BUCKETS`, PART_BUCKETS of them. */
  part: number;
  /** The buckets of the part that hold the item at the hub, sorted. */
  buckets?: number[];
  /**
   * `newest[j]`: the minute (rounded up: `minuteOf`) of the newest entry of the item at the hub in the
   * block `buckets[j]`, as far as it was written: History reads the blocks newest first and stops once none
   * left can hold a newer entry than its page's last. Only grows.
   */
  newest?: number[];
  /**
   * On the row PENDING only: some blocks may not be listed. Changed each time it is set, so that a fill
   * that began before knows to begin again.
   */
  pending?: number;
  /**
   * On the row PENDING only: a fill for this `pending` listed every block up to the end of this part (the
   * device's, then every device before it in key order): the next fill goes on from there.
   */
  after?: [device: string, part: number];
}

export type ItemListKey = [hub: string, item: string, device: string, part: number];

/** The key of the row that says some blocks are not listed (no hub or item has an empty id). */
export const PENDING: ItemListKey = ['', '', '', 0];

/**
 * Blocks of a device in a part, the most a row lists: 65,536 entries of the device; a row listing them all
 * is about 4 kB, which a save that touches it writes again.
 */
export const PART_BUCKETS = 512;

/**
 * The most rows a write lists at once; a larger write marks the lists unfinished (a save writes one row a
 * line, a peer's batch a few dozen; a rebuild's or a first sync's pieces thousands).
 */
export const NOTE_ROWS_MAX = 256;

/**
 * A time as the lists keep it: its minute, rounded up (a small integer, which the structured clone writes
 * in a few bytes; a time in milliseconds takes nine). An upper bound is all History needs to stop reading.
 */
export const minuteOf = (at: number) => Math.ceil(at / 60_000);

export const partOf = (bucket: number) => Math.floor(bucket / PART_BUCKETS);

const keyOf = (row: { hub: string; item: string; device: string; part: number }): ItemListKey => [
  row.hub,
  row.item,
  row.device,
  row.part,
];

/** A hub, item, device and part's blocks, bucket -> the minute of the newest entry of the item. */
interface Part {
  hub: string;
  item: string;
  device: string;
  part: number;
  blocks: Map<number, number>;
}

/** Each hub, item and part's blocks among `written`. */
function partsOf(
  written: readonly { key: BlockKey; rows: readonly { hub: string; item: string; at: number }[] }[],
): Part[] {
  const parts = new Map<string, Part>();
  for (const {
    key: [device, bucket],
    rows,
  } of written) {
    const part = partOf(bucket);
    for (const row of rows) {
      const text = `${row.hub}\u0000${row.item}\u0000${device}\u0000${part}`;
      let found = parts.get(text);
      if (!found)
        parts.set(text, (found = { hub: row.hub, item: row.item, device, part, blocks: new Map() }));
      const minute = minuteOf(row.at);
      if (!(minute <= (found.blocks.get(bucket) ?? -Infinity))) found.blocks.set(bucket, minute);
    }
  }
  return [...parts.values()];
}

/** Where `value` is, or would go, in the sorted `list`. */
function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `before` (a stored row, or none) with `blocks` (bucket, minute) added, or their newest minutes raised:
 * the row to put, or null if it had them all as they are.
 */
function withBlocks(
  key: ItemListKey,
  before: ItemListRow | undefined,
  blocks: Iterable<readonly [bucket: number, minute: number]>,
): ItemListRow | null {
  const buckets = [...(before?.buckets ?? [])];
  const newest = [...(before?.newest ?? [])];
  let changed = false;
  for (const [bucket, minute] of blocks) {
    const j = lowerBound(buckets, bucket);
    if (buckets[j] !== bucket) {
      buckets.splice(j, 0, bucket);
      newest.splice(j, 0, minute);
      changed = true;
    } else if (minute > newest[j]!) {
      newest[j] = minute;
      changed = true;
    }
  }
  if (!changed) return null;
  const [hub, item, device, part] = key;
  return { hub, item, device, part, buckets, newest };
}

/**
 * Lists the blocks `written` (each block's key and the rows written to it) under the hub and item of each
 * row; more than NOTE_ROWS_MAX rows in all mark the lists unfinished instead (`fillItemBlocks` lists them),
 * and it returns true. Inside a transaction that holds `itemLists` (`db.ledgerTables`).
 */
export async function noteItemBlocks(
  db: LarderDB,
  written: readonly { key: BlockKey; rows: readonly LedgerRow[] }[],
): Promise<boolean> {
  const rows = written.reduce((n, block) => n + block.rows.length, 0);
  if (rows === 0) return false;
  if (rows > NOTE_ROWS_MAX) {
    await markUnlisted(db);
    return true;
  }
  const parts = partsOf(written);
  const stored = await db.itemLists.bulkGet(parts.map(keyOf));
  const put = parts.flatMap((part, i) => withBlocks(keyOf(part), stored[i], part.blocks) ?? []);
  if (put.length > 0) await db.itemLists.bulkPut(put);
  return false;
}

/** Marks the lists unfinished (anew, if they were already: a fill under way begins again, from the start). */
export async function markUnlisted(db: LarderDB): Promise<void> {
  const before = await db.itemLists.get(PENDING);
  const [hub, item, device, part] = PENDING;
  await db.itemLists.put({ hub, item, device, part, pending: (before?.pending ?? 0) + 1 });
}

/** A block listed for a hub and item, and the latest its newest entry of the item can be (ms). */
export interface ListedBlock {
  key: BlockKey;
  newest: number;
}

/**
 * The blocks that may hold a hub's entries of an item, newest first (then the higher key first): `[]`
 * when it has none; null when some blocks are not listed yet, and the hub's blocks must be read.
 */
export async function listedItemBlocks(
  db: LarderDB,
  hub: string,
  item: string,
): Promise<ListedBlock[] | null> {
  const [pending, rows] = await Promise.all([
    db.itemLists.get(PENDING),
    db.itemLists
      .where(':id')
      // Every key that begins with the hub and item: a shorter array sorts before those it begins, and an
      // array after every string.
      .between([hub, item], [hub, item, []])
      .toArray(),
  ]);
  if (pending) return null;
  const listed = rows.flatMap((row) =>
    (row.buckets ?? []).map((bucket, j): ListedBlock => ({
      key: [row.device, bucket],
      newest: (row.newest?.[j] ?? Infinity) * 60_000,
    })),
  );
  return listed.sort(
    (a, b) =>
      b.newest - a.newest || (a.key[0] < b.key[0] ? 1 : a.key[0] > b.key[0] ? -1 : b.key[1] - a.key[1]),
  );
}

/** Whether some blocks are not listed yet. */
export async function itemBlocksUnfinished(db: LarderDB): Promise<boolean> {
  return (await db.itemLists.get(PENDING)) !== undefined;
}

/** Rows written per transaction by a fill. */
const FILL_WRITE = 100;

/**
 * A hub and item's blocks in the part a fill is reading, in key order: the shape of a stored row, appended
 * to. Plain arrays of small integers (a map and an object per block took about 150 B each).
 */
interface Gathered {
  hub: string;
  item: string;
  buckets: number[];
  newest: number[];
}

/** Adds a block's rows to the gathered lists of its part; blocks must come in key order. */
function gather(
  pairs: Map<string, Gathered>,
  bucket: number,
  rows: readonly { hub: string; item: string; at: number }[],
): void {
  for (const row of rows) {
    const text = `${row.hub}\u0000${row.item}`;
    let pair = pairs.get(text);
    if (!pair) pairs.set(text, (pair = { hub: row.hub, item: row.item, buckets: [], newest: [] }));
    const minute = minuteOf(row.at);
    const last = pair.buckets.length - 1;
    if (pair.buckets[last] === bucket) {
      if (minute > pair.newest[last]!) pair.newest[last] = minute;
    } else {
      pair.buckets.push(bucket);
      pair.newest.push(minute);
    }
  }
}

export interface FillOptions {
  /** Checked before each step: true stops the fill (the lists stay unfinished). */
  stopped?: () => boolean;
  /** Blocks read per step. */
  perStep?: number;
  /**
   * Awaited before each step: what must go first (the device's saves: each step holds the blocks or the
   * lists for a moment, and a save would wait behind it). By default the page's other tasks.
   */
  before?: () => Promise<void>;
}

/**
 * While the lists are unfinished: reads every block, `perStep` at a time in key order (`rowsOf` unpacks
 * one), gathers each hub and item's blocks of a device's part in memory and, at the end of the part, writes
 * its rows, joined with what saves listed meanwhile, and notes on the mark how far it got (a fill stopped by
 * the app closing goes on from there at the next start). Once past the last block it says the lists are
 * finished, unless a large write marked them unfinished again since it began: then it begins again, from the
 * first block. Resolves when done or `stopped`.
 */
export async function fillItemBlocks(
  db: LarderDB,
  rowsOf: (block: StoredBlock) => readonly { hub: string; item: string; at: number }[],
  { stopped = () => false, perStep = 32, before = () => nextTask() }: FillOptions = {},
): Promise<void> {
  for (;;) {
    const mark = await db.itemLists.get(PENDING);
    if (!mark || stopped()) return;
    /** Whether the mark is still the one this fill began with (no large write since). */
    const markHolds = async () => (await db.itemLists.get(PENDING))?.pending === mark.pending;
    let pairs = new Map<string, Gathered>();
    let reading: [device: string, part: number] | null = null;
    /** Writes the part read, and notes it on the mark; false if a large write marked the lists since. */
    const writePart = async (): Promise<boolean> => {
      if (!reading) return true;
      const [device, part] = reading;
      const list = [...pairs.values()];
      pairs = new Map();
      for (let i = 0; i < list.length; i += FILL_WRITE) {
        await before();
        if (stopped()) return false;
        const keys = list
          .slice(i, i + FILL_WRITE)
          .map((pair): ItemListKey => [pair.hub, pair.item, device, part]);
        await db.transaction('rw', db.itemLists, async () => {
          const stored = await db.itemLists.bulkGet(keys);
          const put = keys.flatMap((key, j) => {
            const { buckets, newest } = list[i + j]!;
            return (
              withBlocks(
                key,
                stored[j],
                buckets.map((bucket, k) => [bucket, newest[k]!] as const),
              ) ?? []
            );
          });
          if (put.length > 0) await db.itemLists.bulkPut(put);
        });
      }
      return db.transaction('rw', db.itemLists, async () => {
        if (!(await markHolds())) return false;
        await db.itemLists.put({ ...mark, after: [device, part] });
        return true;
      });
    };
    // Where the last fill for this mark got to: the block after the end of that part.
    let after: BlockKey | null = mark.after ? [mark.after[0], (mark.after[1] + 1) * PART_BUCKETS - 1] : null;
    let whole = true;
    for (;;) {
      await before();
      if (stopped()) return;
      const page: StoredBlock[] = await (
        after ? db.blocks.where(':id').above(after) : db.blocks.toCollection()
      )
        .limit(perStep)
        .toArray();
      for (const block of page) {
        const part = partOf(block.bucket);
        if (reading && (reading[0] !== block.device || reading[1] !== part)) {
          if (!(await writePart())) {
            whole = false;
            break;
          }
        }
        reading = [block.device, part];
        gather(pairs, block.bucket, rowsOf(block));
      }
      const last = page[page.length - 1];
      if (!whole || page.length < perStep || !last) break;
      after = [last.device, last.bucket];
    }
    if (stopped()) return;
    if (whole && !(await writePart())) whole = false;
    if (stopped()) return;
    const finished =
      whole &&
      (await db.transaction('rw', db.itemLists, async () => {
        if (!(await markHolds())) return false;
        await db.itemLists.delete(PENDING);
        return true;
      }));
    if (finished) return;
  }
}
