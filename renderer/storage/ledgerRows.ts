import { appendAll } from '../../shared/arrays';
import Dexie, { cmp } from 'dexie';
import { decodeLedgerRows, encodeRows, ledgerRowPlaces } from '../../shared/checkpoint/rows';
import type { LedgerRow } from '../../shared/projection';
import type { LarderDB } from './db';
import {
  deleteLinks,
  markWrittenLinks,
  writeOpenTransfers,
  rowsOfLinks,
  type BlockKey,
  type LedgerLink,
  type StoredBlock,
} from './ledgerIndex';
import {
  fillItemBlocks,
  itemBlocksUnfinished,
  listedItemBlocks,
  minuteOf,
  noteItemBlocks,
  partOf,
  type FillOptions,
} from './itemBlocks';

export type { BlockKey, LedgerLink, StoredBlock } from './ledgerIndex';
export {
  newestAtHub,
  newestTransferLedgerRows,
  openTransferLedgerRows,
  transferLedgerRows,
} from './ledgerIndex';

/**
 * The ledger rows (what the History, the exports and the projection read back) stored a block of a
 * device's consecutive entries to an IndexedDB row, not one row per entry, each block's rows packed.
 *
 * A row per entry cost about 185 B on disk at 100,000 entries: 110 B for the row (its LevelDB key, the
 * "exists" entry beside it, the value) and 75 B for its three compound index entries, each repeating the
 * hub, the item, the time and the entry id. The same rows in blocks of 128 took 52 B per entry written at
 * once, 70 B as the app writes them (a block is written again as it fills) (`npx tsx bench/cold-open.ts
 * --variants=ledger-rows,ledger-blocks`; docs/benchmarks.md, "Ledger rows in blocks"). Kept as objects, a
 * block's rows were about 200 B per entry before LevelDB compressed them (each row's field names and ids
 * written out again); packed in the checkpoints' columnar form (shared/checkpoint/rows.ts: the block's ids
 * once, then each field a column of small integers, times as differences) they are about 21 B.
 *
 * - A block is keyed by its device and `bucket` (the entry's sequence number divided by BLOCK_ENTRIES), so
 *   an entry is found from its id alone.
 * - `spans` lists, for each hub the block's entries are at, the time of the newest of them: a multi-entry
 *   index on it gives a hub's blocks newest first (History, the exports, how fresh a hub's figures are).
 * - Entries in an exclusive slot or a transfer (about 1 in 100) also get a row in `links` (id, slot, root
 *   and the row itself), indexed by slot and root: the projection finds the other members of a slot, the
 *   transfers screen and the Network screen a transfer's entries, without unpacking a block
 *   (ledgerIndex.ts: the Network screen's first view loads neither the packing nor what it needs).
 * - Blocks written before the rows were packed (PROJECTION_VERSION 8) hold them as objects in `rows`; they
 *   are read as they are until the rebuild that version asks for writes them packed.
 *
 * - Which blocks hold a hub's entries of an item is listed in `itemLists` (itemBlocks.ts), for History
 *   filtered by an item seldom recorded.
 *
 * Every function here that writes must run inside a transaction holding the ledger tables (`db.ledgerTables`:
 * blocks, links, the open transfers and the item lists): a block is read, changed and put back, which must
 * not interleave with another write of the same block.
 */

/** Entries of one device per block. */
export const BLOCK_ENTRIES = 128;

/** One block as read: up to BLOCK_ENTRIES ledger rows of one device, by sequence number. */
export interface LedgerBlock {
  device: string;
  bucket: number;
  /** `[hub, newest at]` for each hub the block's entries are at. */
  spans: [string, number][];
  /** Sorted by sequence number. */
  rows: LedgerRow[];
}

function parseId(id: string): { device: string; seq: number } {
  const dot = id.lastIndexOf('.');
  return { device: id.slice(0, dot), seq: Number(id.slice(dot + 1)) };
}

/** The block an entry id is in. */
export function blockKeyOf(id: string): BlockKey {
  const { device, seq } = parseId(id);
  return [device, Math.floor(seq / BLOCK_ENTRIES)];
}

/** A block key as one string (for sets and maps). */
export const blockKeyText = ([device, bucket]: BlockKey) => `${device}\u0000${bucket}`;

/** A block holding `rows` (sorted by sequence number), its spans worked out. */
export function makeBlock(device: string, bucket: number, rows: LedgerRow[]): LedgerBlock {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq);
  const newest = new Map<string, number>();
  for (const row of sorted) newest.set(row.hub, Math.max(newest.get(row.hub) ?? -Infinity, row.at));
  return { device, bucket, spans: [...newest], rows: sorted };
}

/** `ids` grouped by their block, each block's ids in the order given. */
function byBlock(ids: readonly string[]): Map<string, { key: BlockKey; ids: string[] }> {
  const groups = new Map<string, { key: BlockKey; ids: string[] }>();
  for (const id of ids) {
    const key = blockKeyOf(id);
    const text = blockKeyText(key);
    const group = groups.get(text);
    if (group) group.ids.push(id);
    else groups.set(text, { key, ids: [id] });
  }
  return groups;
}

/** A block's rows, unpacked (or as they are, in a block written before they were packed). */
function rowsOf(block: StoredBlock): LedgerRow[] {
  return block.packed ? decodeLedgerRows(block.packed) : (block.rows ?? []);
}

function unpacked(block: StoredBlock): LedgerBlock {
  return { device: block.device, bucket: block.bucket, spans: block.spans, rows: rowsOf(block) };
}

/** A block as stored: its rows packed. */
function packed({ device, bucket, spans, rows }: LedgerBlock): StoredBlock {
  return { device, bucket, spans, packed: encodeRows(rows) };
}

async function blocksOf(db: LarderDB, keys: BlockKey[]): Promise<(LedgerBlock | undefined)[]> {
  if (keys.length === 0) return [];
  return (await db.blocks.bulkGet(keys)).map((block) => block && unpacked(block));
}

/** The rows of `ids`, in that order (undefined where there is none). */
export async function getLedgerRows(
  db: LarderDB,
  ids: readonly string[],
): Promise<(LedgerRow | undefined)[]> {
  const groups = [...byBlock(ids).values()];
  const blocks = await blocksOf(
    db,
    groups.map((g) => g.key),
  );
  const found = new Map<string, LedgerRow>();
  blocks.forEach((block) => {
    for (const row of block?.rows ?? []) found.set(row.id, row);
  });
  return ids.map((id) => found.get(id));
}

/** One entry's row, or undefined. */
export async function getLedgerRow(db: LarderDB, id: string): Promise<LedgerRow | undefined> {
  return (await getLedgerRows(db, [id]))[0];
}

function linkOf(row: LedgerRow): LedgerLink | null {
  if (row.slot === undefined && row.root === undefined) return null;
  const link: LedgerLink = { id: row.id, row };
  if (row.slot !== undefined) link.slot = row.slot;
  if (row.root !== undefined) link.root = row.root;
  return link;
}

/**
 * Puts `rows` (new ones, or new versions of rows already there) into their blocks, and their links, and
 * lists their blocks by item (itemBlocks.ts). With `keep`, a block's rows that `keep` refuses are dropped as
 * it is written (a rebuild's rows replace what an earlier projection left there). True when the write was
 * too large to list by item and marked the lists unfinished (`fillItemBlocks` then lists them).
 */
export async function putLedgerRows(
  db: LarderDB,
  rows: readonly LedgerRow[],
  keep?: (id: string) => boolean,
): Promise<boolean> {
  if (rows.length === 0) return false;
  const byId = new Map(rows.map((row) => [row.id, row]));
  const groups = [...byBlock([...byId.keys()]).values()];
  const blocks = await blocksOf(
    db,
    groups.map((g) => g.key),
  );
  const put: LedgerBlock[] = [];
  const dropped: string[] = [];
  groups.forEach(({ key: [device, bucket], ids }, i) => {
    const merged = new Map<string, LedgerRow>();
    for (const row of blocks[i]?.rows ?? [])
      if (!keep || keep(row.id)) merged.set(row.id, row);
      else dropped.push(row.id);
    for (const id of ids) {
      // A row that had a link and has none now (never so for a row the projection wrote: its slot and
      // root come from its entry) loses its link row too.
      const before = merged.get(id);
      if (before && linkOf(before) && !linkOf(byId.get(id)!)) dropped.push(id);
      merged.set(id, byId.get(id)!);
    }
    put.push(makeBlock(device, bucket, [...merged.values()]));
  });
  const links = [...byId.values()].flatMap((row) => linkOf(row) ?? []);
  // Their transfers judged again (open or not), with the other links of each. (Only called with something
  // to do: an awaited async function that touches no table inside a transaction ends it early, in Dexie.)
  const marks = links.length > 0 ? await markWrittenLinks(db, links) : null;
  const [, unlisted] = await Promise.all([
    db.blocks.bulkPut(put.map(packed)),
    noteItemBlocks(
      db,
      groups.map(({ key, ids }) => ({ key, rows: ids.map((id) => byId.get(id)!) })),
    ),
    links.length > 0 && db.links.bulkPut([...links, ...(marks?.links ?? [])]),
    marks && writeOpenTransfers(db, marks),
    dropped.length > 0 && deleteLinks(db, dropped),
  ]);
  return unlisted;
}

/** Removes the rows of `ids` (and their links); a block left empty goes. */
export async function deleteLedgerRows(db: LarderDB, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const groups = [...byBlock(ids).values()];
  const blocks = await blocksOf(
    db,
    groups.map((g) => g.key),
  );
  const put: LedgerBlock[] = [];
  const gone: BlockKey[] = [];
  groups.forEach(({ key, ids: remove }, i) => {
    const block = blocks[i];
    if (!block) return;
    const drop = new Set(remove);
    const rows = block.rows.filter((row) => !drop.has(row.id));
    if (rows.length === block.rows.length) return;
    if (rows.length === 0) gone.push(key);
    else put.push(makeBlock(key[0], key[1], rows));
  });
  await Promise.all([
    db.blocks.bulkPut(put.map(packed)),
    db.blocks.bulkDelete(gone),
    ids.length > 0 && deleteLinks(db, ids),
  ]);
}

/** The rows in any of `slots`. */
export async function ledgerRowsInSlots(db: LarderDB, slots: readonly string[]): Promise<LedgerRow[]> {
  if (slots.length === 0) return [];
  return rowsOfLinks(
    db,
    await db.links
      .where('slot')
      .anyOf([...slots])
      .toArray(),
  );
}

/** Every row, by device and sequence number. */
export async function allLedgerRows(db: LarderDB): Promise<LedgerRow[]> {
  const blocks = await db.blocks.toArray();
  return blocks.flatMap(rowsOf);
}

/** Every block as stored, its rows still packed (`unpackPaced` gives them, outside a transaction). */
export function storedBlocks(db: LarderDB): Promise<StoredBlock[]> {
  return db.blocks.toArray();
}

/**
 * The rows of `blocks`, by device and sequence number, as `allLedgerRows` gives them, letting other tasks run
 * between blocks (`pause`: shared/pace.ts `pacer`): a million rows decoded at once held the page 0.9 s.
 */
export async function unpackPaced(blocks: StoredBlock[], pause: () => Promise<void>): Promise<LedgerRow[]> {
  const rows: LedgerRow[] = [];
  for (const block of blocks) {
    appendAll(rows, rowsOf(block));
    await pause();
  }
  return rows;
}

/** How many rows there are (reads every block: for tests and checks, not for a running app at scale). */
export async function countLedgerRows(db: LarderDB): Promise<number> {
  let n = 0;
  await db.blocks.each((block) => {
    n += rowsOf(block).length;
  });
  return n;
}

/** At most how many rows there are, from the number of blocks alone (no block is read). */
export async function ledgerRowsAtMost(db: LarderDB): Promise<number> {
  return (await db.blocks.count()) * BLOCK_ENTRIES;
}

/** Every entry id there is a row for. */
export async function ledgerIds(db: LarderDB): Promise<string[]> {
  return (await allLedgerRows(db)).map((row) => row.id);
}

/** Newest first, then the higher id first: the order History lists entries in. */
export function newestFirst(a: LedgerRow, b: LedgerRow): number {
  return b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

interface HubSpan {
  key: BlockKey;
  /** The time of the block's newest entry at the hub. */
  newest: number;
}

/**
 * The next `count` of a hub's blocks as the `spans` index lists them (newest entry first; at one time, the
 * higher block key first), after those `read` already (in that order). A page at a time: History's first
 * page needs the newest few, and a cursor step is a round trip to the database (walking all of a hub's
 * blocks, 8,000 at ten million entries, took 75 s while a rebuild's slices ran between the steps).
 */
async function hubBlocksAfter(
  db: LarderDB,
  hub: string,
  fromMs: number,
  read: readonly HubSpan[],
  count: number,
): Promise<HubSpan[]> {
  const last = read[read.length - 1];
  // From the last one's time down, inclusive: blocks at that time not read yet come after it.
  const upper = last ? [hub, last.newest] : [hub, Dexie.maxKey];
  const ties = last ? read.filter((span) => span.newest === last.newest).length : 0;
  const page: HubSpan[] = [];
  await db.blocks
    .where('spans')
    .between([hub, fromMs], upper, true, true)
    .reverse()
    .limit(count + ties)
    .eachKey((span, cursor) => {
      const key = cursor.primaryKey as unknown as BlockKey;
      const newest = (span as [string, number])[1];
      if (last && newest === last.newest && cmp(key, last.key) >= 0) return;
      page.push({ key, newest });
    });
  return page;
}

/** Blocks read at a time while looking for a page of History. */
const BLOCKS_PER_READ = 8;

/** Reads `keys`' blocks and adds the rows `wanted` accepts to `found`, kept newest first and cut at `limit`. */
async function addToPage(
  db: LarderDB,
  keys: BlockKey[],
  wanted: (row: LedgerRow) => boolean,
  found: LedgerRow[],
  limit: number,
): Promise<void> {
  for (const block of await blocksOf(db, keys))
    for (const row of block?.rows ?? []) if (wanted(row)) found.push(row);
  found.sort(newestFirst);
  if (found.length > limit) found.length = limit;
}

/**
 * A hub's entries from `fromMs` to `toMs` (both included) that `match` accepts, newest first, up to
 * `limit` (Infinity: all). Blocks are read newest first and reading stops as soon as no block left can
 * hold an entry newer than the last of the page.
 */
export async function hubLedgerRows(
  db: LarderDB,
  hub: string,
  fromMs: number,
  toMs: number,
  limit: number,
  match: (row: LedgerRow) => boolean = () => true,
  perRead = BLOCKS_PER_READ,
): Promise<LedgerRow[]> {
  const spans: HubSpan[] = [];
  let next = await hubBlocksAfter(db, hub, fromMs, spans, perRead);
  const found: LedgerRow[] = [];
  while (next.length > 0) {
    spans.push(...next);
    await addToPage(
      db,
      next.map((s) => s.key),
      (row) => row.hub === hub && row.at >= fromMs && row.at <= toMs && match(row),
      found,
      limit,
    );
    next = await hubBlocksAfter(db, hub, fromMs, spans, perRead);
    // Every entry in a later block is at or before its newest: none can enter a full page ending later.
    if (next.length === 0 || (found.length === limit && found[found.length - 1]!.at > next[0]!.newest)) break;
  }
  return found;
}

/**
 * Listed blocks of an item read in the first step (about 0.13-0.3 ms a block); each later step reads
 * twice as many as the one before.
 */
const LISTED_FIRST_READ = 32;

/**
 * A hub's entries of `item` from `fromMs` to `toMs` that `match` accepts, newest first, up to `limit`: the
 * blocks `itemLists` lists for them, newest first, until no block left can hold an entry newer than the
 * page's last; or, while some blocks are not listed yet, the hub's blocks newest first (`hubLedgerRows`).
 */
export async function hubItemLedgerRows(
  db: LarderDB,
  hub: string,
  item: string,
  fromMs: number,
  toMs: number,
  limit: number,
  match: (row: LedgerRow) => boolean = () => true,
  firstRead = LISTED_FIRST_READ,
): Promise<LedgerRow[]> {
  const listed = await listedItemBlocks(db, hub, item);
  const wanted = (row: LedgerRow) =>
    row.hub === hub && row.item === item && row.at >= fromMs && row.at <= toMs && match(row);
  if (listed === null) return hubLedgerRows(db, hub, fromMs, toMs, limit, wanted);
  // A block whose newest entry of the item is before `fromMs` holds none of the page.
  const blocks = listed.filter((block) => block.newest >= fromMs);
  const found: LedgerRow[] = [];
  let at = 0;
  let step = Math.max(1, firstRead);
  while (at < blocks.length) {
    const part = blocks.slice(at, at + step);
    at += part.length;
    step *= 2;
    await addToPage(
      db,
      part.map((b) => b.key),
      wanted,
      found,
      limit,
    );
    // Every entry of the item in a later block is at or before its newest: none can enter a full page.
    const next = blocks[at];
    if (!next || (found.length === limit && found[found.length - 1]!.at > next.newest)) break;
  }
  return found;
}

/**
 * While some blocks are not listed by item (a large write, or a database from before the lists), lists
 * them all (itemBlocks.ts `fillItemBlocks`): of each block, its rows' hub, item and time alone.
 */
export function listItemBlocks(db: LarderDB, options: FillOptions = {}): Promise<void> {
  return fillItemBlocks(
    db,
    (block) => (block.packed ? ledgerRowPlaces(block.packed) : (block.rows ?? [])),
    options,
  );
}

/**
 * The rows among `rows` (ledger rows this device keeps) whose block is not listed under their hub and item,
 * or is listed with a newest minute before theirs (History by item would miss them): none while the lists
 * are whole, and none while they are unfinished (History reads the hub's blocks then). Reads every list once.
 */
export async function unlistedLedgerRows(db: LarderDB, rows: readonly LedgerRow[]): Promise<LedgerRow[]> {
  if (await itemBlocksUnfinished(db)) return [];
  const lists = new Map<string, { buckets?: number[]; newest?: number[] }>();
  for (const list of await db.itemLists.toArray())
    lists.set(`${list.hub}\u0000${list.item}\u0000${list.device}\u0000${list.part}`, list);
  return rows.filter((row) => {
    const [device, bucket] = blockKeyOf(row.id);
    const list = lists.get(`${row.hub}\u0000${row.item}\u0000${device}\u0000${partOf(bucket)}`);
    const at = list?.buckets?.indexOf(bucket) ?? -1;
    return at < 0 || !(list!.newest![at]! >= minuteOf(row.at));
  });
}

/**
 * The ids of `rows` with each block's together, blocks in the order they first appear (a rebuild's
 * pieces then write each block once). One pass, pausing with `breathe` (a million ids sorted by
 * `compareEntryIds` held the page about a second).
 */
export async function inBlockOrder(
  rows: readonly { id: string }[],
  breathe: () => Promise<void>,
): Promise<string[]> {
  const groups = new Map<string, string[]>();
  for (let i = 0; i < rows.length; i++) {
    const id = rows[i]!.id;
    const key = blockKeyText(blockKeyOf(id));
    const group = groups.get(key);
    if (group) group.push(id);
    else groups.set(key, [id]);
    if ((i & 0x3ff) === 0x3ff) await breathe();
  }
  const out: string[] = [];
  for (const group of groups.values()) {
    for (const id of group) out.push(id);
    await breathe();
  }
  return out;
}

/** Blocks read per transaction when sweeping. */
const SWEEP_BLOCKS = 64;
/**
 * Link keys read, and judged, per step when sweeping: all at once, a rebuild's sweep at a million entries was
 * one task of 100-150 ms (the keys in one IndexedDB callback, then each judged); 20,000 a step still made a
 * busy stretch of 68-80 ms.
 */
const SWEEP_LINK_KEYS = 5_000;

/**
 * After a rebuild: drops every row `keep` refuses from the blocks not in `written` (blocks the rebuild
 * wrote with the same `keep` hold no such row), and every link but those of the rows `linked` names
 * (rows with a slot or a root: the rebuild put their links). Block keys are read first, without their
 * rows; only the blocks not written are read.
 */
export async function sweepLedger(
  db: LarderDB,
  keep: (id: string) => boolean,
  written: ReadonlySet<string>,
  linked: (id: string) => boolean = keep,
  linkKeysPerStep = SWEEP_LINK_KEYS,
): Promise<void> {
  const keys = (await db.blocks.toCollection().primaryKeys()) as unknown as BlockKey[];
  const others = keys.filter((key) => !written.has(blockKeyText(key)));
  for (let i = 0; i < others.length; i += SWEEP_BLOCKS)
    await db.transaction('rw', db.ledgerTables, async () => {
      const blocks = await blocksOf(db, others.slice(i, i + SWEEP_BLOCKS));
      const stale = blocks.flatMap((block) => (block?.rows ?? []).filter((row) => !keep(row.id)));
      await deleteLedgerRows(
        db,
        stale.map((row) => row.id),
      );
    });
  // The links a page of keys at a time, in key order (those deleted are behind the next page's start).
  let after: string | null = null;
  for (;;) {
    const page = after === null ? db.links.toCollection() : db.links.where(':id').above(after);
    const ids = (await page.limit(linkKeysPerStep).primaryKeys()) as string[];
    const stale = ids.filter((id) => !linked(id));
    for (let i = 0; i < stale.length; i += SWEEP_BLOCKS * BLOCK_ENTRIES)
      await db.transaction('rw', [db.links, db.openTransfers], () =>
        deleteLinks(db, stale.slice(i, i + SWEEP_BLOCKS * BLOCK_ENTRIES)),
      );
    if (ids.length < linkKeysPerStep) return;
    after = ids[ids.length - 1]!;
  }
}
