import type { Levels } from '../status';
import { bySeverity, severityRank, compareCover, type Severity } from './severity';
import { compareIds } from './suggest';

/** A hub's position in one item, with what the view worked out about it. */
export interface AssessedPosition {
  hub: string;
  item: string;
  onHand: number;
  levels?: Levels;
  stale: boolean;
  cover: number | null;
  severity: Severity;
}

export interface ItemSummary {
  item: string;
  /** The catalog name; the item id when the item is not (yet) in this device's catalog. */
  name: string;
  /** Null when the item is not in this device's catalog (a category filter never matches it). */
  category: string | null;
  /** On hand at hubs whose figures are fresh. */
  freshTotal: number;
  /** On hand at hubs whose figures are stale: never added to the fresh total. */
  staleTotal: number;
  /** Sent by one hub, not yet received by another: in neither total. */
  inTransit: number;
  /** Fresh hubs with nothing on hand. The lists are disjoint: a hub that is out is not also short. */
  outHubs: string[];
  /** Fresh hubs below their minimum (but not out). */
  shortHubs: string[];
  /** Fresh hubs at or above their minimum that will run out within 3 days. */
  runningOutHubs: string[];
  /** Fresh hubs above their target (and not running out), with the units above target; most first. */
  surplusHubs: { hub: string; surplus: number }[];
  /** Hubs holding this item whose figures are stale: listed apart, in no count above. */
  staleHubs: string[];
  /** The most severe state among fresh hubs; null when no fresh hub holds the item. */
  worst: Severity | null;
  /** The fewest days of cover among fresh hubs; null when none runs out at the current rate. */
  minCover: number | null;
}

export interface Shortage {
  item: string;
  onHand: number;
  min: number | null;
  cover: number | null;
  severity: Severity;
}

export interface HubSummary {
  hub: string;
  /** The hub's name; its id when this device does not know the hub. */
  name: string;
  stale: boolean;
  ageMs: number | null;
  /** Items out, short or running out at this hub, most severe first (then by item name and id). */
  shortages: Shortage[];
}

const NEEDS: ReadonlySet<Severity> = new Set(['out', 'short', 'running-out']);

function hubsWith(positions: readonly AssessedPosition[], severity: Severity): string[] {
  return positions
    .filter((p) => p.severity === severity)
    .map((p) => p.hub)
    .sort(compareIds);
}

export function summarizeItem(
  item: { id: string; name: string; category: string | null },
  positions: readonly AssessedPosition[],
  inTransit: number,
): ItemSummary {
  const fresh = positions.filter((p) => !p.stale);
  const stale = positions.filter((p) => p.stale);
  const worst = fresh.reduce<Severity | null>(
    (w, p) => (w === null || severityRank(p.severity) < severityRank(w) ? p.severity : w),
    null,
  );
  const minCover = fresh.reduce<number | null>((m, p) => (compareCover(p.cover, m) < 0 ? p.cover : m), null);
  return {
    item: item.id,
    name: item.name,
    category: item.category,
    freshTotal: fresh.reduce((s, p) => s + p.onHand, 0),
    staleTotal: stale.reduce((s, p) => s + p.onHand, 0),
    inTransit,
    outHubs: hubsWith(fresh, 'out'),
    shortHubs: hubsWith(fresh, 'short'),
    runningOutHubs: hubsWith(fresh, 'running-out'),
    surplusHubs: fresh
      .filter((p) => p.severity === 'surplus')
      .map((p) => ({ hub: p.hub, surplus: p.onHand - p.levels!.target }))
      .sort((a, b) => b.surplus - a.surplus || compareIds(a.hub, b.hub)),
    staleHubs: stale.map((p) => p.hub).sort(compareIds),
    worst,
    minCover,
  };
}

/**
 * English collation, made once: `localeCompare(b, 'en')` resolves its locale at each call, about twice the
 * time of a kept collator's `compare` (the sorts of a coordinator's first view at 1M compare names
 * thousands of times).
 */
const namesOrder = new Intl.Collator('en');

export function compareNames(a: { name: string; id: string }, b: { name: string; id: string }): number {
  return namesOrder.compare(a.name, b.name) || compareIds(a.id, b.id);
}

/** Most severe first, then fewest days of cover, then most hubs out or short, then by name. */
export function compareItemSummaries(a: ItemSummary, b: ItemSummary): number {
  const rank = (s: ItemSummary) => (s.worst === null ? Infinity : severityRank(s.worst));
  return (
    rank(a) - rank(b) ||
    compareCover(a.minCover, b.minCover) ||
    b.outHubs.length + b.shortHubs.length - (a.outHubs.length + a.shortHubs.length) ||
    compareNames({ name: a.name, id: a.item }, { name: b.name, id: b.item })
  );
}

/** Each names map's items in `compareNames` order, by id: made once per map (see `byItemName`). */
const nameRanks = new WeakMap<ReadonlyMap<string, string>, Map<string, number>>();

/**
 * Items compared by name as `compareNames` does, given their catalog names (an item not in it by its id).
 * Each hub's shortages are sorted by name: 50 hubs of up to 2,000 shortages each at a coordinator's first
 * view, a million comparisons, each looking up two names, making two objects and asking the collator. The
 * catalog's items are ranked once per names map instead (a sort of its own names), and two known items
 * compare by rank: the same order, since `compareNames` is a strict total order (names, then ids).
 */
function byItemName(itemNames: ReadonlyMap<string, string>): (a: string, b: string) => number {
  let ranks = nameRanks.get(itemNames);
  if (!ranks) {
    const sorted = [...itemNames].map(([id, name]) => ({ id, name })).sort(compareNames);
    ranks = new Map(sorted.map((item, rank) => [item.id, rank]));
    nameRanks.set(itemNames, ranks);
  }
  const rank = ranks;
  const nameOf = (item: string) => ({ name: itemNames.get(item) ?? item, id: item });
  return (a, b) => {
    const ra = rank.get(a);
    const rb = rank.get(b);
    return ra !== undefined && rb !== undefined ? ra - rb : compareNames(nameOf(a), nameOf(b));
  };
}

export function summarizeHub(
  hub: { id: string; name: string; stale: boolean; ageMs: number | null },
  positions: readonly AssessedPosition[],
  itemNames: ReadonlyMap<string, string>,
): HubSummary {
  const byName = byItemName(itemNames);
  const shortages = positions
    .filter((p) => NEEDS.has(p.severity))
    .map((p) => ({
      item: p.item,
      onHand: p.onHand,
      min: p.levels?.min ?? null,
      cover: p.cover,
      severity: p.severity,
    }))
    .sort((a, b) => bySeverity(a, b) || byName(a.item, b.item));
  return { hub: hub.id, name: hub.name, stale: hub.stale, ageMs: hub.ageMs, shortages };
}

/** Fresh hubs first, stale ones after (listed apart); then by their most severe shortage, then by name. */
export function compareHubSummaries(a: HubSummary, b: HubSummary): number {
  if (a.stale !== b.stale) return a.stale ? 1 : -1;
  const [sa, sb] = [a.shortages[0], b.shortages[0]];
  if (sa && sb) {
    const c = bySeverity(sa, sb);
    if (c !== 0) return c;
  } else if (sa || sb) return sa ? -1 : 1;
  return compareNames({ name: a.name, id: a.hub }, { name: b.name, id: b.hub });
}
