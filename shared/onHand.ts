import { hubKey, splitHubKey } from './keys';

/**
 * The network view's figures, kept in few rows: every hub's on-hand per item, a hub's items spread over
 * ON_HAND_BUCKETS rows by a hash of the item id. The coordinator's first snapshot reads these instead of
 * one stock row per hub and item: at a million entries (50 hubs, 99,216 stock rows) reading the stock rows
 * alone took about half a second (IndexedDB reads back 4-5 µs a row), 3,200 of these far less. A save
 * rewrites the one row of its item (about 30 items at 2,000 items a hub), not a hub's whole list.
 *
 * Derived from the stock rows and nothing else: a rebuild writes them from its stock rows, a save patches
 * the rows of the stock rows it changed (in the same transaction), and Check data compares them.
 */
export const ON_HAND_BUCKETS = 64;

export interface OnHandRow {
  /** `hub|bucket` */
  key: string;
  hub: string;
  /** Every item with a stock row at the hub in this bucket, ordered by id (code units). */
  items: string[];
  /** On hand of each item, in the order of `items`. */
  onHand: number[];
}

/** What a row is made of: a stock row's hub, item and on-hand. */
export interface OnHandFigure {
  hub: string;
  item: string;
  onHand: number;
}

/** The bucket of an item: FNV-1a over its id's code units, so every device puts an item in the same row. */
export function onHandBucket(item: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < item.length; i++) {
    h ^= item.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % ON_HAND_BUCKETS;
}

/** The key of the row that holds an item's figure at a hub. */
export function onHandKey(hub: string, item: string): string {
  return hubKey(hub, String(onHandBucket(item)));
}

/** The keys of the rows that figures at these hubs and items are in, each once. */
export function onHandKeysOf(figures: Iterable<OnHandFigure>): string[] {
  const keys = new Set<string>();
  for (const f of figures) keys.add(onHandKey(f.hub, f.item));
  return [...keys];
}

/** Every row, from every stock row (ordered by key), as a rebuild writes them. */
export function onHandRows(stock: Iterable<OnHandFigure>): OnHandRow[] {
  const byKey = new Map<string, Map<string, number>>();
  for (const f of stock) put(byKey, f);
  // String order (UTF-16 code units, as `<`): the same on every device.
  return [...byKey.keys()].sort().map((key) => rowOf(key, byKey.get(key)!));
}

/**
 * The rows these changed figures are in, patched: `held` are those rows as stored (any order, missing ones
 * absent or undefined), `changed` the stock rows a save wrote. Returns new rows, in no particular order;
 * `held` is not changed.
 */
export function patchOnHand(
  held: Iterable<OnHandRow | undefined>,
  changed: Iterable<OnHandFigure>,
): OnHandRow[] {
  const byKey = new Map<string, Map<string, number>>();
  for (const row of held) {
    if (!row) continue;
    const figures = new Map<string, number>();
    for (let i = 0; i < row.items.length; i++) figures.set(row.items[i]!, row.onHand[i]!);
    byKey.set(row.key, figures);
  }
  const touched = new Set<string>();
  for (const f of changed) touched.add(put(byKey, f));
  return [...touched].map((key) => rowOf(key, byKey.get(key)!));
}

/** Each figure the rows hold. */
export function* figuresOf(rows: Iterable<OnHandRow>): Generator<OnHandFigure> {
  for (const row of rows)
    for (let i = 0; i < row.items.length; i++)
      yield { hub: row.hub, item: row.items[i]!, onHand: row.onHand[i]! };
}

function put(byKey: Map<string, Map<string, number>>, f: OnHandFigure): string {
  return putInBucket(byKey, f.hub, f.item, f.onHand);
}

/** Puts an item's value at a hub in its bucket's map (made if missing); returns the bucket's row key. */
export function putInBucket<V>(
  byKey: Map<string, Map<string, V>>,
  hub: string,
  item: string,
  value: V,
): string {
  const key = onHandKey(hub, item);
  let values = byKey.get(key);
  if (!values) byKey.set(key, (values = new Map()));
  values.set(item, value);
  return key;
}

function rowOf(key: string, figures: Map<string, number>): OnHandRow {
  const items = [...figures.keys()].sort();
  return {
    key,
    hub: splitHubKey(key).hub,
    items,
    onHand: items.map((item) => figures.get(item)!),
  };
}
