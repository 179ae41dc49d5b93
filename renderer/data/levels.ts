import { useLiveQuery } from 'dexie-react-hooks';
import type { Item } from '../../shared/catalog';
import { hubKey } from '../../shared/keys';
import { levelsOfRows } from '../../shared/hubLevels';
import { figuresOf } from '../../shared/onHand';
import {
  byKey,
  effectiveLevels,
  levelledPositions,
  LevelsIndex,
  type LevelledPosition,
} from '../../shared/levels';
import { stockStatus, type Levels } from '../../shared/status';
import { useStore } from '../app/StoreContext';
import type { CategoryLevelsRow, ItemRow, LevelsRow } from '../storage/db';
import { hubsWithNewest, type HubWithFreshness } from './newest';

/** A hub's levels: each item's effective levels there, and its own levels if it has any. */
export interface HubLevels {
  get: (item: Item) => Levels | undefined;
  own: (item: Item) => LevelsRow | undefined;
}

/**
 * A hub's levels, live; made from `first` (its rows read as the page opened: earlyStock.ts) until the query
 * has read.
 */
export function useHubLevels(
  hub: string,
  first?: { levels: readonly LevelsRow[]; categoryLevels: readonly CategoryLevelsRow[] },
): HubLevels | undefined {
  const store = useStore();
  return useLiveQuery(
    async () => {
      const [own, byCategory] = await Promise.all([
        store.db.levels.where('hub').equals(hub).toArray(),
        store.db.categoryLevels.where('hub').equals(hub).toArray(),
      ]);
      return hubLevels(hub, own, byCategory);
    },
    [hub],
    first && hubLevels(hub, first.levels, first.categoryLevels),
  );
}

function hubLevels(
  hub: string,
  own: readonly LevelsRow[],
  byCategory: readonly CategoryLevelsRow[],
): HubLevels {
  const ownMap = byKey(own);
  const categoryMap = byKey(byCategory);
  return {
    get: (item: Item) => effectiveLevels(hub, item, ownMap, categoryMap),
    own: (item: Item) => ownMap.get(hubKey(hub, item.id)),
  };
}

/** A hub's own levels by item id, live (the Levels screen's table). */
export function useItemLevelsAt(hub: string): Map<string, LevelsRow> | undefined {
  const store = useStore();
  return useLiveQuery(
    async () => new Map((await store.db.levels.where('hub').equals(hub).toArray()).map((l) => [l.item, l])),
    [hub],
  );
}

/** A hub's category defaults by category, live. */
export function useCategoryLevelsAt(hub: string): Map<string, CategoryLevelsRow> | undefined {
  const store = useStore();
  return useLiveQuery(
    async () =>
      new Map((await store.db.categoryLevels.where('hub').equals(hub).toArray()).map((l) => [l.category, l])),
    [hub],
  );
}

/** Items at a hub that are below their minimum (own levels or their category's default), live. */
export function useBelowMinimum(hub: string | null): { item: string; name: string }[] | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    if (!hub) return [];
    const db = store.db;
    const [stock, levels, categoryLevels, items] = await Promise.all([
      db.shelf.where('hub').equals(hub).toArray(),
      db.levels.where('hub').equals(hub).toArray(),
      db.categoryLevels.where('hub').equals(hub).toArray(),
      db.items.toArray(),
    ]);
    const own = byKey(levels);
    const byCategory = byKey(categoryLevels);
    const onHand = new Map(stock.map((s) => [s.item, s.onHand]));
    const out: { item: string; name: string }[] = [];
    for (const item of items) {
      const lv = effectiveLevels(hub, item, own, byCategory);
      if (lv && lv.min > 0 && stockStatus(onHand.get(item.id) ?? 0, lv) !== 'ok')
        out.push({ item: item.id, name: item.name });
    }
    return out;
  }, [hub]);
}

export interface NeedsData {
  hubs: HubWithFreshness[];
  items: ItemRow[];
  positions: LevelledPosition[];
}

/**
 * Every hub's stock in every item it has levels for, with its effective levels (the item's own, else
 * its category's), and how fresh each hub's figures are here: what the needs list is made from, live.
 */
export function useNeedsData(): NeedsData | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    const db = store.db;
    // Every hub's figures and own levels in few rows (shared/onHand.ts, shared/hubLevels.ts), as the Network
    // screen reads them: at 50 hubs and 2,000 items, 54,000 shelf rows and 30,000 levels rows took 1.4 s to
    // read, again with every save (the query is live).
    const [hubs, items, onHandRows, levelsRows, categoryLevels] = await Promise.all([
      db.hubs.toArray(),
      db.items.orderBy('nameKey').toArray(),
      db.onHand.toArray(),
      db.hubLevels.toArray(),
      db.categoryLevels.toArray(),
    ]);
    const onHand = new Map<string, Map<string, number>>();
    for (const f of figuresOf(onHandRows)) {
      const figures = onHand.get(f.hub);
      if (figures) figures.set(f.item, f.onHand);
      else onHand.set(f.hub, new Map([[f.item, f.onHand]]));
    }
    const positions = levelledPositions(
      hubs.map((h) => h.id),
      items,
      onHand,
      new LevelsIndex(levelsOfRows(levelsRows), categoryLevels),
    );
    return { hubs: await hubsWithNewest(db, hubs), items, positions };
  }, []);
}
