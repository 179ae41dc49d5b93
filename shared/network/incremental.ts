import type { Item } from '../catalog';
import { hubKey as stockKey } from '../keys';
import { freshness, type Freshness } from './freshness';
import { arrivingFrom, compareIds, suggestMoves, type Arriving, type Move } from './suggest';
import {
  compareHubSummaries,
  compareItemSummaries,
  summarizeHub,
  summarizeItem,
  type AssessedPosition,
  type HubSummary,
  type ItemSummary,
} from './summaries';
import {
  assess,
  networkView,
  UNKNOWN_HUB,
  type HubPosition,
  type NetworkFilter,
  type NetworkHub,
  type NetworkView,
} from './view';
import type { InTransit } from './transit';

type CatalogItem = Pick<Item, 'id' | 'name' | 'category'>;

/**
 * The network view kept up to date incrementally. Every item's summary and suggested moves depend only
 * on that item's positions, and every hub's only on that hub's: a new entry at one hub for one item
 * recomputes one item and one hub, not the 100,000 positions of a large network. Its output is exactly
 * `networkView` of the same input (a property test holds it to that); filtered views, which
 * coordinators open by hand, are computed in full.
 */
export class NetworkViewModel {
  /**
   * Positions by item, then hub; the items each hub has a position in; positions as their item last
   * assessed them, by item, then hub. Nested maps, not maps keyed by `hub|item`: the first view of 50 hubs by
   * 2,000 items made 100,000 such keys and looked each up in three maps (about a quarter of its time in Node).
   */
  private readonly byItem = new Map<string, Map<string, HubPosition>>();
  private readonly itemsByHub = new Map<string, Set<string>>();
  private readonly assessed = new Map<string, Map<string, AssessedPosition>>();
  private hubs = new Map<string, NetworkHub>();
  private items = new Map<string, CatalogItem>();
  /** `itemNames()`, made once per catalog. */
  private names: Map<string, string> | null = null;
  // Stryker disable next-line ArrayDeclaration: the constructor sets it before any use
  private transit: InTransit[] = [];
  private transitByItem = new Map<string, number>();
  /** Units in transit to each hub, by `hub|item`: they count towards its minimum in the moves. */
  private arriving: Arriving = new Map();
  // Stryker disable next-line ArrayDeclaration: the constructor sets it before any use
  private transitBefore: readonly InTransit[] = [];
  private freshnessOf = new Map<string, Freshness>();
  private now: number;

  private readonly itemSummaries = new Map<string, ItemSummary>();
  private readonly itemMoves = new Map<string, Move[]>();
  private readonly hubSummaries = new Map<string, HubSummary>();
  /** Item summaries in view order, kept sorted by insertion: re-sorting 2,000 names per entry is the slow part. */
  // Stryker disable next-line ArrayDeclaration: the constructor's full refresh sets it before any use
  private sortedItems: ItemSummary[] = [];
  // Stryker disable next-line ArrayDeclaration: the constructor's refresh marks the moves stale, so this is replaced
  private moves: Move[] = [];
  // Stryker disable next-line BooleanLiteral: the constructor's refresh marks the moves stale whenever there are items
  private movesStale = true;
  private readonly dirtyItems = new Set<string>();
  private readonly dirtyHubs = new Set<string>();
  // Stryker disable next-line BooleanLiteral: the constructor sets it
  private everything = true;
  /** Items were worked out ahead (refreshSome) without their place in `sortedItems`: sort them all again. */
  private resort = false;

  constructor(input: {
    now: number;
    hubs: readonly NetworkHub[];
    items: readonly CatalogItem[];
    positions: readonly HubPosition[];
    inTransit: readonly InTransit[];
  }) {
    this.now = input.now;
    this.setHubs(input.hubs);
    this.setItems(input.items);
    this.setInTransit(input.inTransit);
    this.setPositions(input.positions);
    this.everything = true;
  }

  /** Adds or replaces positions (by hub and item). */
  setPositions(positions: readonly HubPosition[]): void {
    for (const p of positions) {
      let hubs = this.byItem.get(p.item);
      if (!hubs) this.byItem.set(p.item, (hubs = new Map()));
      hubs.set(p.hub, p);
      add(this.itemsByHub, p.hub, p.item);
      this.dirtyItems.add(p.item);
      this.dirtyHubs.add(p.hub);
    }
  }

  setHubs(hubs: readonly NetworkHub[]): void {
    const before = this.hubs;
    this.hubs = new Map(hubs.map((h) => [h.id, h]));
    for (const id of new Set([...before.keys(), ...this.hubs.keys()])) {
      const a = before.get(id);
      const b = this.hubs.get(id);
      // Stryker disable next-line ConditionalExpression,OptionalChaining: only decides how much is recomputed (more is the same view, slower); a hub added or removed already differs by name
      if (a?.name !== b?.name || a?.newestEntryAt !== b?.newestEntryAt) this.dirtyHubs.add(id);
    }
    this.refreshFreshness();
  }

  /** A new clock reading: hubs may turn stale as time passes. */
  setNow(now: number): void {
    this.now = now;
    this.refreshFreshness();
  }

  setItems(items: readonly CatalogItem[]): void {
    this.items = new Map(items.map((i) => [i.id, i]));
    this.names = null;
    // Names appear in every hub's shortages and categories in every summary: a rare, full refresh.
    this.everything = true;
  }

  setInTransit(inTransit: readonly InTransit[]): void {
    this.transit = [...inTransit];
    const next = new Map<string, number>();
    for (const t of inTransit) next.set(t.item, (next.get(t.item) ?? 0) + t.qty);
    for (const item of new Set([...next.keys(), ...this.transitByItem.keys()]))
      // Stryker disable next-line ConditionalExpression: only decides how much is recomputed (more is the same view, slower)
      if (next.get(item) !== this.transitByItem.get(item)) this.dirtyItems.add(item);
    this.transitByItem = next;
    // What is arriving where changes the item's moves even when its total in transit does not.
    const arriving = arrivingFrom(inTransit);
    const itemOf = new Map<string, string>();
    for (const t of [...inTransit, ...this.transitBefore])
      if (t.to !== undefined) itemOf.set(stockKey(t.to, t.item), t.item);
    for (const key of new Set([...arriving.keys(), ...this.arriving.keys()]))
      // Stryker disable next-line ConditionalExpression: only decides how much is recomputed (more is the same view, slower)
      if (arriving.get(key) !== this.arriving.get(key)) this.dirtyItems.add(itemOf.get(key)!);
    this.arriving = arriving;
    this.transitBefore = this.transit;
  }

  view(filter: NetworkFilter = {}): NetworkView {
    // Stryker disable next-line ConditionalExpression: the full computation gives the same unfiltered view, slower
    if (filter.category !== undefined || filter.hub !== undefined)
      return networkView({
        now: this.now,
        hubs: [...this.hubs.values()],
        items: [...this.items.values()],
        positions: [...this.byItem.values()].flatMap((hubs) => [...hubs.values()]),
        inTransit: this.transit,
        filter,
      });
    this.refresh();
    const hubs = [...this.hubSummaries.values()].sort(compareHubSummaries);
    // Stryker disable next-line ConditionalExpression: only decides how much is recomputed (more is the same view, slower)
    if (this.movesStale) {
      this.moves = [...this.itemMoves.keys()].sort(compareIds).flatMap((item) => this.itemMoves.get(item)!);
      // Stryker disable next-line BooleanLiteral: only decides how much is recomputed (more is the same view, slower)
      this.movesStale = false;
    }
    return { items: [...this.sortedItems], hubs, moves: [...this.moves] };
  }

  private refreshFreshness(): void {
    const next = new Map<string, Freshness>();
    for (const h of this.hubs.values()) next.set(h.id, freshness(h.newestEntryAt, this.now));
    for (const id of new Set([...next.keys(), ...this.freshnessOf.keys(), ...this.itemsByHub.keys()])) {
      const a = this.freshnessOf.get(id) ?? UNKNOWN_HUB;
      const b = next.get(id) ?? UNKNOWN_HUB;
      // Stryker disable next-line ConditionalExpression: only decides how much is recomputed (more is the same view, slower)
      if (a.ageMs !== b.ageMs) this.dirtyHubs.add(id);
      // Stryker disable next-line ConditionalExpression: only decides how much is recomputed (more is the same view, slower)
      if (a.stale !== b.stale) {
        this.dirtyHubs.add(id);
        for (const item of this.itemsByHub.get(id) ?? []) this.dirtyItems.add(item);
      }
    }
    this.freshnessOf = next;
  }

  /**
   * Works out ahead up to about `limit` positions' worth of what changed (items first, then hubs), for a
   * caller that spreads a large first view over several tasks (50 hubs by 2,000 items: 330 ms at once in
   * Node); `view()` does whatever is left. True while something is left.
   */
  refreshSome(limit: number): boolean {
    this.startOver();
    let done = 0;
    for (const item of this.dirtyItems) {
      if (done >= limit) return true;
      this.refreshItem(item);
      this.dirtyItems.delete(item);
      this.resort = true;
      this.movesStale = true;
      done += this.byItem.get(item)?.size ?? 1;
    }
    // A hub's summary reads its positions as their items assessed them: after every item.
    let names: Map<string, string> | null = null;
    for (const hub of this.dirtyHubs) {
      if (done >= limit) return true;
      names ??= this.itemNames();
      this.refreshHub(hub, names);
      this.dirtyHubs.delete(hub);
      done += this.itemsByHub.get(hub)?.size ?? 1;
    }
    return false;
  }

  /** After a change to everything (the catalog, the first load): every item and hub is worked out again. */
  private startOver(): void {
    if (!this.everything) return;
    this.itemSummaries.clear();
    this.itemMoves.clear();
    this.hubSummaries.clear();
    for (const id of [...this.items.keys(), ...this.byItem.keys()]) this.dirtyItems.add(id);
    for (const id of [...this.hubs.keys(), ...this.itemsByHub.keys()]) this.dirtyHubs.add(id);
    // Stryker disable next-line BooleanLiteral: only decides how much is recomputed (more is the same view, slower)
    this.everything = false;
    this.resort = true;
  }

  /**
   * The catalog's names by item id, kept until the catalog changes: a hub's summary sorts its shortages by
   * them, ranked once per map (`summarizeHub`).
   */
  private itemNames(): Map<string, string> {
    return (this.names ??= new Map([...this.items.values()].map((i) => [i.id, i.name])));
  }

  private refresh(): void {
    this.startOver();
    // Stryker disable next-line ConditionalExpression,EqualityOperator: only decides how much is recomputed (more is the same view, slower)
    if (this.dirtyItems.size > 0) this.movesStale = true;
    // Past 64 changed items one full sort is faster than one insertion each; both give the same order.
    // Stryker disable next-line EqualityOperator: only decides how much is recomputed (more is the same view, slower)
    if (this.resort || this.dirtyItems.size > 64) {
      for (const item of this.dirtyItems) this.refreshItem(item);
      this.sortedItems = [...this.itemSummaries.values()].sort(compareItemSummaries);
      // Stryker disable next-line BooleanLiteral: only decides how much is recomputed (more is the same view, slower)
      this.resort = false;
    } else {
      for (const item of this.dirtyItems) {
        const before = this.itemSummaries.get(item);
        if (before) this.sortedItems.splice(this.sortedItems.indexOf(before), 1);
        this.refreshItem(item);
        const after = this.itemSummaries.get(item);
        // Stryker disable next-line ConditionalExpression: an item leaves only on a catalog change, which refreshes in full
        if (after) this.sortedItems.splice(insertionPoint(this.sortedItems, after), 0, after);
      }
    }
    this.dirtyItems.clear();
    let names: Map<string, string> | null = null;
    for (const hub of this.dirtyHubs) this.refreshHub(hub, (names ??= this.itemNames()));
    this.dirtyHubs.clear();
  }

  private refreshItem(id: string): void {
    const assessed: AssessedPosition[] = [];
    const byHub = new Map<string, AssessedPosition>();
    for (const p of this.byItem.get(id)?.values() ?? []) {
      const a = assess(p, (this.freshnessOf.get(p.hub) ?? UNKNOWN_HUB).stale);
      byHub.set(p.hub, a);
      assessed.push(a);
      // No need to mark the hub: a hub's summary changes only when its own position or freshness does,
      // and both already mark it. (Marking all 50 hubs of the item was 90% of an update.)
    }
    this.assessed.set(id, byHub);
    const known = this.items.get(id);
    if (!known && assessed.length === 0) {
      this.itemSummaries.delete(id);
      this.itemMoves.delete(id);
      return;
    }
    this.itemSummaries.set(
      id,
      summarizeItem(known ?? { id, name: id, category: null }, assessed, this.transitByItem.get(id) ?? 0),
    );
    const moves = suggestMoves(assessed, this.arriving);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: an empty list adds no move to the view
    if (moves.length > 0) this.itemMoves.set(id, moves);
    else this.itemMoves.delete(id);
  }

  private refreshHub(id: string, itemNames: ReadonlyMap<string, string>): void {
    const items = this.itemsByHub.get(id);
    const known = this.hubs.get(id);
    if (!known && !items?.size) {
      this.hubSummaries.delete(id);
      return;
    }
    const assessed = [...(items ?? [])].map((item) => this.assessed.get(item)!.get(id)!);
    this.hubSummaries.set(
      id,
      summarizeHub(
        { id, name: known?.name ?? id, ...(this.freshnessOf.get(id) ?? UNKNOWN_HUB) },
        assessed,
        itemNames,
      ),
    );
  }
}

/** Where `value` goes in `sorted` (by view order), by binary search. */
function insertionPoint(sorted: readonly ItemSummary[], value: ItemSummary): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // Stryker disable next-line EqualityOperator: two summaries compare equal only if they are the same item, never both here
    if (compareItemSummaries(sorted[mid]!, value) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}
