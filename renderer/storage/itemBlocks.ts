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
 * A row per hub and item, keyed `[hub+item]`, listing its blocks as the hub's devices and each one's
 * buckets, sorted. No secondary index: a multi-entry index of `[hub, item]` on the blocks would be written
 * again, every pair of the block, at each save (a block is written again as it fills, and Chromium writes
 * every index entry of a record it puts), and would cost more on disk than the blocks themselves.
 *
 * - Lists only grow. A row taken out of a block (an entry set aside, a rebuild's rows replacing an earlier
 *   projection's) leaves its block listed: History filters the rows it reads anyway, so a list may name more
 *   blocks than hold the item, never fewer.
 * - Past ITEM_BLOCKS_MAX blocks a row is `dense` and lists nothing: such an item is recorded often enough
 *   that reading the hub's blocks newest first finds a page soon, and the row stops being written.
 * - A small write of rows (a save, a peer's few entries) lists its blocks in the same transaction
 *   (`putLedgerRows`): a row read per item, written back when a block is new to it or its newest minute
 *   moved (a save's, mostly: a few kilobytes at most). A large one (a rebuild's
 *   piece, a first sync's) would write every item's growing list again at each piece, gigabytes at ten
 *   million entries: it marks the lists unfinished instead, and `fillItemBlocks` lists every block once,
 *   in the background, each list written once. A database that had blocks before the table is marked so too.
 * - While marked unfinished (the row PENDING), History reads the hub's blocks as it did before the lists.
 */
export interface ItemBlocksRow {
  hub: string;
  item: string;
  /** The devices whose blocks are listed, sorted; `buckets[i]` are the buckets of `devices[i]`, sorted. */
  devices?: string[];
  buckets?: number[][];
  /**
   * `newest[i][j]`: the minute (rounded up: `minuteOf`) of the newest entry of the item at the hub in the
   * block `buckets[i][j]` of `devices[i]`, as far as it was written: History reads the blocks newest first
   * and stops once none left can hold a newer entry than its page's last. Only grows.
   */
  newest?: number[][];
  /** Listed in more than ITEM_BLOCKS_MAX blocks: no list is kept. */
  dense?: true;
  /**
   * On the row PENDING only: some blocks may not be listed. Changed each time it is set, so that a fill
   * that began before knows to begin again.
   */
  pending?: number;
}

/** The key of the row that says some blocks are not listed (no hub or item has an empty id). */
export const PENDING: [string, string] = ['', ''];

/**
 * The most blocks listed for one hub and item (a list of them all is about 3 kB). Reading blocks costs
 * about 0.13-0.3 ms each: a page of an item in that many blocks, read newest first, takes at most some
 * 150 ms; an item in more blocks is found soon among the hub's newest blocks.
 */
export const ITEM_BLOCKS_MAX = 512;

/**
 * The most rows a write lists at once; a larger write marks the lists unfinished (a save writes one row a
 * line, a peer's batch a few dozen; a rebuild's or a first sync's pieces thousands).
 */
export const NOTE_ROWS_MAX = 256;

const pairText = (hub: string, item: string) => `${hub}\u0000${item}`;

/**
 * A time as the lists keep it: its minute, rounded up (a small integer, which the structured clone writes
 * in a few bytes; a time in milliseconds takes nine). An upper bound is all History needs to stop reading.
 */
export const minuteOf = (at: number) => Math.ceil(at / 60_000);

/** A hub and item's blocks, each with the minute of its newest entry of the item. */
interface Pair {
  hub: string;
  item: string;
  blocks: Map<string, { key: BlockKey; minute: number }>;
}

/** Each hub and item's blocks among `written`, by `pairText`. */
function pairsOf(
  written: readonly { key: BlockKey; rows: readonly { hub: string; item: string; at: number }[] }[],
  into = new Map<string, Pair>(),
) {
  for (const { key, rows } of written) {
    const keyText = `${key[0]}\u0000${key[1]}`;
    for (const row of rows) {
      const text = pairText(row.hub, row.item);
      let pair = into.get(text);
      if (!pair) into.set(text, (pair = { hub: row.hub, item: row.item, blocks: new Map() }));
      const minute = minuteOf(row.at);
      const block = pair.blocks.get(keyText);
      if (!block) pair.blocks.set(keyText, { key, minute });
      else if (minute > block.minute) block.minute = minute;
    }
  }
  return into;
}

/** Where `value` is, or would go, in the sorted `list`. */
function lowerBound<T>(list: readonly T[], value: T): number {
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
 * `before` (a stored row, or none) with `blocks` added, or their newest minutes raised: the row to put, or
 * null if it had them all as they are (or is dense).
 */
function withBlocks(
  hub: string,
  item: string,
  before: ItemBlocksRow | undefined,
  blocks: Iterable<{ key: BlockKey; minute: number }>,
  max: number,
): ItemBlocksRow | null {
  if (before?.dense) return null;
  const devices = [...(before?.devices ?? [])];
  const buckets = (before?.buckets ?? []).map((list) => [...list]);
  const newest = (before?.newest ?? []).map((list) => [...list]);
  let count = buckets.reduce((n, list) => n + list.length, 0);
  let changed = false;
  for (const {
    key: [device, bucket],
    minute,
  } of blocks) {
    const at = lowerBound(devices, device);
    if (devices[at] !== device) {
      devices.splice(at, 0, device);
      buckets.splice(at, 0, []);
      newest.splice(at, 0, []);
    }
    const mine = buckets[at]!;
    const times = newest[at]!;
    const j = lowerBound(mine, bucket);
    if (mine[j] !== bucket) {
      mine.splice(j, 0, bucket);
      times.splice(j, 0, minute);
      changed = true;
      count++;
    } else if (minute > times[j]!) {
      times[j] = minute;
      changed = true;
    }
  }
  if (!changed) return null;
  return count > max ? { hub, item, dense: true } : { hub, item, devices, buckets, newest };
}

/**
 * Lists the blocks `written` (each block's key and the rows written to it) under the hub and item of each
 * row; more than NOTE_ROWS_MAX rows in all mark the lists unfinished instead (`fillItemBlocks` lists them),
 * and it returns true. Inside a transaction that holds `itemBlocks` (`db.ledgerTables`).
 */
export async function noteItemBlocks(
  db: LarderDB,
  written: readonly { key: BlockKey; rows: readonly LedgerRow[] }[],
  max = ITEM_BLOCKS_MAX,
): Promise<boolean> {
  const rows = written.reduce((n, block) => n + block.rows.length, 0);
  if (rows === 0) return false;
  if (rows > NOTE_ROWS_MAX) {
    await markUnlisted(db);
    return true;
  }
  const list = [...pairsOf(written).values()];
  const stored = await db.itemBlocks.bulkGet(list.map((pair) => [pair.hub, pair.item]));
  const put = list.flatMap(
    (pair, i) => withBlocks(pair.hub, pair.item, stored[i], pair.blocks.values(), max) ?? [],
  );
  if (put.length > 0) await db.itemBlocks.bulkPut(put);
  return false;
}

/** Marks the lists unfinished (anew, if they were already: a fill under way begins again). */
export async function markUnlisted(db: LarderDB): Promise<void> {
  const before = await db.itemBlocks.get(PENDING);
  await db.itemBlocks.put({ hub: PENDING[0], item: PENDING[1], pending: (before?.pending ?? 0) + 1 });
}

/** A block listed for a hub and item, and the latest its newest entry of the item can be (ms). */
export interface ListedBlock {
  key: BlockKey;
  newest: number;
}

/**
 * The blocks that may hold a hub's entries of an item, newest first (then the higher key first): `[]`
 * when it has none; null when they are not listed (the item is `dense`, or some blocks are not listed yet),
 * and the hub's blocks must be read.
 */
export async function listedItemBlocks(
  db: LarderDB,
  hub: string,
  item: string,
): Promise<ListedBlock[] | null> {
  const [pending, row] = await db.itemBlocks.bulkGet([PENDING, [hub, item]]);
  if (pending || row?.dense) return null;
  if (!row) return [];
  const listed = (row.devices ?? []).flatMap((device, i) =>
    (row.buckets?.[i] ?? []).map((bucket, j): ListedBlock => ({
      key: [device, bucket],
      newest: (row.newest?.[i]?.[j] ?? Infinity) * 60_000,
    })),
  );
  return listed.sort(
    (a, b) =>
      b.newest - a.newest || (a.key[0] < b.key[0] ? 1 : a.key[0] > b.key[0] ? -1 : b.key[1] - a.key[1]),
  );
}

/** Whether some blocks are not listed yet. */
export async function itemBlocksUnfinished(db: LarderDB): Promise<boolean> {
  return (await db.itemBlocks.get(PENDING)) !== undefined;
}

/** Lists written per transaction by a fill. */
const FILL_WRITE = 100;

/**
 * A hub and item's blocks as a fill gathers them, in the blocks' key order (device, then bucket): the shape
 * of a stored list, appended to. Plain arrays of small integers: at ten million entries a fill holds up to
 * ITEM_BLOCKS_MAX blocks for each of about 10,000 hubs and items (a map and an object per block took about
 * 150 B each, 0.75 GB at that size).
 */
interface Gathered {
  hub: string;
  item: string;
  devices: string[];
  buckets: number[][];
  newest: number[][];
  count: number;
  dense: boolean;
}

/** Adds a block's rows to the gathered lists; blocks must come in key order. */
function gather(
  pairs: Map<string, Gathered>,
  [device, bucket]: BlockKey,
  rows: readonly { hub: string; item: string; at: number }[],
  max: number,
): void {
  for (const row of rows) {
    const text = pairText(row.hub, row.item);
    let pair = pairs.get(text);
    if (!pair) {
      pair = { hub: row.hub, item: row.item, devices: [], buckets: [], newest: [], count: 0, dense: false };
      pairs.set(text, pair);
    }
    if (pair.dense) continue;
    const minute = minuteOf(row.at);
    let d = pair.devices.length - 1;
    if (pair.devices[d] !== device) {
      pair.devices.push(device);
      pair.buckets.push([]);
      pair.newest.push([]);
      d++;
    }
    const buckets = pair.buckets[d]!;
    const newest = pair.newest[d]!;
    const last = buckets.length - 1;
    if (buckets[last] === bucket) {
      if (minute > newest[last]!) newest[last] = minute;
      continue;
    }
    buckets.push(bucket);
    newest.push(minute);
    if (++pair.count > max) {
      // Dense: nothing of it is kept in memory either.
      pair.dense = true;
      pair.devices = [];
      pair.buckets = [];
      pair.newest = [];
    }
  }
}

/** The blocks of a gathered list (not dense), as `withBlocks` takes them. */
function* gatheredBlocks(pair: Gathered): Generator<{ key: BlockKey; minute: number }> {
  for (let d = 0; d < pair.devices.length; d++)
    for (let j = 0; j < pair.buckets[d]!.length; j++)
      yield { key: [pair.devices[d]!, pair.buckets[d]![j]!], minute: pair.newest[d]![j]! };
}

export interface FillOptions {
  /** Checked before each step: true stops the fill (the lists stay unfinished). */
  stopped?: () => boolean;
  /** Blocks read per step. */
  perStep?: number;
  max?: number;
  /**
   * Awaited before each step: what must go first (the device's saves: each step holds the blocks or the
   * lists for a moment, and a save would wait behind it). By default the page's other tasks.
   */
  before?: () => Promise<void>;
}

/**
 * While the lists are unfinished: reads every block, `perStep` at a time in key order (`rowsOf` unpacks
 * one), gathers each hub and item's blocks in memory, then writes each list once, joined with what saves
 * listed meanwhile, and says the lists are finished, unless a large write marked them unfinished again since
 * it began (then it begins again). Resolves when done or `stopped` (the next start begins again).
 */
export async function fillItemBlocks(
  db: LarderDB,
  rowsOf: (block: StoredBlock) => readonly { hub: string; item: string; at: number }[],
  { stopped = () => false, perStep = 32, max = ITEM_BLOCKS_MAX, before = () => nextTask() }: FillOptions = {},
): Promise<void> {
  for (;;) {
    const mark = await db.itemBlocks.get(PENDING);
    if (!mark || stopped()) return;
    const pairs = new Map<string, Gathered>();
    let after: BlockKey | null = null;
    for (;;) {
      await before();
      if (stopped()) return;
      const page: StoredBlock[] = await (
        after ? db.blocks.where(':id').above(after) : db.blocks.toCollection()
      )
        .limit(perStep)
        .toArray();
      for (const block of page) gather(pairs, [block.device, block.bucket], rowsOf(block), max);
      const last = page[page.length - 1];
      if (page.length < perStep || !last) break;
      after = [last.device, last.bucket];
    }
    const list = [...pairs.values()];
    for (let i = 0; i < list.length; i += FILL_WRITE) {
      await before();
      if (stopped()) return;
      const part = list.slice(i, i + FILL_WRITE);
      await db.transaction('rw', db.itemBlocks, async () => {
        const stored = await db.itemBlocks.bulkGet(part.map((pair) => [pair.hub, pair.item]));
        const put = part.flatMap((pair, j): ItemBlocksRow[] => {
          if (!pair.dense) {
            const row = withBlocks(pair.hub, pair.item, stored[j], gatheredBlocks(pair), max);
            return row ? [row] : [];
          }
          return stored[j]?.dense ? [] : [{ hub: pair.hub, item: pair.item, dense: true }];
        });
        if (put.length > 0) await db.itemBlocks.bulkPut(put);
      });
    }
    const finished = await db.transaction('rw', db.itemBlocks, async () => {
      const now = await db.itemBlocks.get(PENDING);
      if (now?.pending !== mark.pending) return false;
      await db.itemBlocks.delete(PENDING);
      return true;
    });
    if (finished) return;
  }
}
