import { onHandKey, putInBucket } from './onHand';
import { splitHubKey } from './keys';
import type { Levels } from './status';

/**
 * Every hub's own levels per item, kept in few rows, as the network view's figures are (shared/onHand.ts):
 * a hub's items spread over the same buckets by a hash of the item id. The coordinator's first snapshot
 * reads these instead of one levels row per hub and item: at 50 hubs with 600 items' levels each, the
 * 30,000 rows took 460 ms to read back in Chromium (15 µs a row), a fifth of the Network screen's start.
 *
 * Derived from the levels rows and nothing else: a rebuild writes them from its levels rows, a change of
 * levels patches the rows of the items it changed (in the same transaction), and Check data compares them.
 */
export interface HubLevelsRow {
  /** `hub|bucket`, the bucket as onHandKey's. */
  key: string;
  hub: string;
  /** Every item with levels of its own at the hub in this bucket, ordered by id (code units). */
  items: string[];
  /** Each item's minimum and target, in the order of `items`. */
  min: number[];
  target: number[];
}

/** An item's own levels at a hub: a levels row. */
export interface ItemLevels extends Levels {
  hub: string;
  item: string;
}

/** A change of an item's own levels at a hub: its new levels, or null once it has none. */
export interface LevelsChange {
  hub: string;
  item: string;
  levels: Levels | null;
}

/** Every row, from every levels row (ordered by key), as a rebuild writes them. */
export function hubLevelsRows(levels: Iterable<ItemLevels>): HubLevelsRow[] {
  const byKey = new Map<string, Map<string, Levels>>();
  for (const l of levels) put(byKey, l.hub, l.item, l);
  // String order (UTF-16 code units, as `<`): the same on every device.
  return [...byKey.keys()].sort().map((key) => rowOf(key, byKey.get(key)!));
}

/** The keys of the rows these changes are in, each once. */
export function hubLevelsKeysOf(changes: Iterable<LevelsChange>): string[] {
  const keys = new Set<string>();
  for (const c of changes) keys.add(onHandKey(c.hub, c.item));
  return [...keys];
}

/**
 * The rows these changes are in, patched: `held` are those rows as stored (any order, missing ones absent or
 * undefined), applied in order. Returns the rows to put and the keys of rows left with no item (to delete:
 * a rebuild writes no empty row). `held` is not changed.
 */
export function patchHubLevels(
  held: Iterable<HubLevelsRow | undefined>,
  changes: Iterable<LevelsChange>,
): { put: HubLevelsRow[]; deleted: string[] } {
  const byKey = new Map<string, Map<string, Levels>>();
  for (const row of held) {
    if (!row) continue;
    const levels = new Map<string, Levels>();
    for (let i = 0; i < row.items.length; i++)
      levels.set(row.items[i]!, { min: row.min[i]!, target: row.target[i]! });
    byKey.set(row.key, levels);
  }
  const touched = new Set<string>();
  for (const c of changes) {
    if (c.levels) touched.add(put(byKey, c.hub, c.item, c.levels));
    else {
      const key = onHandKey(c.hub, c.item);
      byKey.get(key)?.delete(c.item);
      touched.add(key);
    }
  }
  const out: { put: HubLevelsRow[]; deleted: string[] } = { put: [], deleted: [] };
  for (const key of touched) {
    const levels = byKey.get(key);
    if (levels && levels.size > 0) out.put.push(rowOf(key, levels));
    else out.deleted.push(key);
  }
  return out;
}

/** Each item's levels the rows hold. */
export function* levelsOfRows(rows: Iterable<HubLevelsRow>): Generator<ItemLevels> {
  for (const row of rows)
    for (let i = 0; i < row.items.length; i++)
      yield { hub: row.hub, item: row.items[i]!, min: row.min[i]!, target: row.target[i]! };
}

function put(byKey: Map<string, Map<string, Levels>>, hub: string, item: string, levels: Levels): string {
  return putInBucket(byKey, hub, item, { min: levels.min, target: levels.target });
}

function rowOf(key: string, levels: Map<string, Levels>): HubLevelsRow {
  const items = [...levels.keys()].sort();
  return {
    key,
    hub: splitHubKey(key).hub,
    items,
    min: items.map((item) => levels.get(item)!.min),
    target: items.map((item) => levels.get(item)!.target),
  };
}
