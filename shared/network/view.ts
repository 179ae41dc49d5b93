import { groupBy } from '../arrays';
import type { Item } from '../catalog';
import type { Levels } from '../status';
import { daysOfCover } from './cover';
import { freshness, type Freshness } from './freshness';
import { classify } from './severity';
import { arrivingFrom, suggestMoves, type Move } from './suggest';
import {
  compareHubSummaries,
  compareItemSummaries,
  summarizeHub,
  summarizeItem,
  type AssessedPosition,
  type HubSummary,
  type ItemSummary,
} from './summaries';
import type { InTransit } from './transit';

export interface NetworkHub {
  id: string;
  name: string;
  /** The newest entry from this hub seen on this device; null when none has arrived. */
  newestEntryAt: number | null;
}

export interface HubPosition {
  hub: string;
  item: string;
  onHand: number;
  levels?: Levels;
  /** Units handed out per active day (see `pickupRate`). */
  rate: number;
}

export interface NetworkFilter {
  category?: string;
  hub?: string;
}

export interface NetworkInput {
  now: number;
  hubs: readonly NetworkHub[];
  items: readonly Pick<Item, 'id' | 'name' | 'category'>[];
  positions: readonly HubPosition[];
  inTransit: readonly InTransit[];
  filter?: NetworkFilter;
}

export interface NetworkView {
  items: ItemSummary[];
  hubs: HubSummary[];
  /** Suggested moves, worked out over the whole network, then kept if they match the filter. */
  moves: Move[];
}

export const UNKNOWN_HUB: Freshness = { stale: true, ageMs: null };

/** A position with its days of cover and severity worked out. */
export function assess(p: HubPosition, stale: boolean): AssessedPosition {
  const cover = daysOfCover(p.onHand, p.rate);
  const severity = classify({ onHand: p.onHand, levels: p.levels, cover });
  // Written out, not spread from a shared base: the network view assesses 100,000 positions at once.
  return p.levels
    ? { hub: p.hub, item: p.item, onHand: p.onHand, stale, levels: p.levels, cover, severity }
    : { hub: p.hub, item: p.item, onHand: p.onHand, stale, cover, severity };
}

/**
 * What a coordinator sees across the network. Stale hubs (figures older than a day, or a hub never
 * heard from) are never mixed with fresh ones: their stock is in `staleTotal` only, they are in no
 * out/short/surplus list, and they take no part in suggested moves. Positions of hubs or items this
 * device does not know are shown (the hub as stale, the item by its id), never dropped.
 * A hub filter narrows the figures to that hub; a category filter to the items of that category.
 * Positions are keyed by hub and item: two for the same pair throw (see `suggestMoves`).
 */
export function networkView(input: NetworkInput): NetworkView {
  const { now, filter = {} } = input;
  const fresh = new Map(input.hubs.map((h) => [h.id, freshness(h.newestEntryAt, now)]));
  const catalog = new Map(input.items.map((i) => [i.id, i]));
  const categoryOf = (item: string) => catalog.get(item)?.category ?? null;
  const inCategory = (item: string) => filter.category === undefined || categoryOf(item) === filter.category;
  const inHub = (hub: string) => filter.hub === undefined || hub === filter.hub;

  const assessed = input.positions.map((p) => assess(p, (fresh.get(p.hub) ?? UNKNOWN_HUB).stale));
  const moves = suggestMoves(assessed, arrivingFrom(input.inTransit)).filter(
    (m) => inCategory(m.item) && (inHub(m.from) || inHub(m.to)),
  );
  const scoped = assessed.filter((p) => inCategory(p.item) && inHub(p.hub));

  const byItem = groupBy(scoped, (p) => p.item);
  const transitByItem = new Map<string, number>();
  for (const t of input.inTransit) {
    if (!inCategory(t.item)) continue;
    if (filter.hub !== undefined && t.from !== filter.hub && t.to !== filter.hub) continue;
    transitByItem.set(t.item, (transitByItem.get(t.item) ?? 0) + t.qty);
  }
  const itemIds = new Set([...input.items.map((i) => i.id).filter(inCategory), ...byItem.keys()]);
  const items = [...itemIds]
    .map((id) => {
      const known = catalog.get(id);
      const item = known ?? { id, name: id, category: null };
      return summarizeItem(item, byItem.get(id) ?? [], transitByItem.get(id) ?? 0);
    })
    .sort(compareItemSummaries);

  const byHub = groupBy(scoped, (p) => p.hub);
  const hubInfo = new Map(input.hubs.map((h) => [h.id, h.name]));
  const hubIds = new Set([...input.hubs.map((h) => h.id).filter(inHub), ...byHub.keys()]);
  const itemNames = new Map(input.items.map((i) => [i.id, i.name]));
  const hubs = [...hubIds]
    .map((id) =>
      summarizeHub(
        { id, name: hubInfo.get(id) ?? id, ...(fresh.get(id) ?? UNKNOWN_HUB) },
        byHub.get(id) ?? [],
        itemNames,
      ),
    )
    .sort(compareHubSummaries);

  return { items, hubs, moves };
}
