import { hubKey as stockKey } from '../keys';
import type { Levels } from '../status';
import { runsOutSoon } from './cover';
import type { InTransit } from './transit';

/** One hub's stock of one item, as the suggestions see it. */
export interface Position {
  hub: string;
  item: string;
  onHand: number;
  levels?: Levels;
  /** The hub's figures are older than a day: it neither gives nor receives (it is flagged instead). */
  stale: boolean;
  /** Days of cover, if known: a hub that runs out within 3 days has nothing to spare, whatever its target. */
  cover?: number | null;
}

/** Send `qty` units of `item` from hub `from` to hub `to`. */
export interface Move {
  item: string;
  from: string;
  to: string;
  qty: number;
}

/** Plain code-unit order: the same on every device, whatever its locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Units in transit to a hub, by `hub|item` (stockKey). */
export type Arriving = ReadonlyMap<string, number>;
const NOTHING_ARRIVING: Arriving = new Map();

/** What is on its way to each hub, from the transfers in transit (those with a known destination). */
export function arrivingFrom(inTransit: readonly InTransit[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of inTransit) {
    if (t.to === undefined || !(t.qty > 0)) continue;
    const key = stockKey(t.to, t.item);
    out.set(key, (out.get(key) ?? 0) + t.qty);
  }
  return out;
}

interface Party {
  hub: string;
  units: number;
}

/**
 * Whole units a short hub needs to reach its minimum, counting what is already on its way to it (sent
 * by another hub, not yet received): a shortage being filled gets no second move. A negative figure (a
 * count is needed) is taken as nothing on the shelf: the hub is sent its minimum, not its minimum plus
 * the hole in its figures.
 */
function need(p: Position, arriving: number): number {
  if (p.stale || !p.levels || !Number.isFinite(p.onHand)) return 0;
  return Math.max(0, Math.floor(p.levels.min - Math.max(0, p.onHand) - Math.max(0, arriving)));
}

/** Whole units a hub can spare while keeping its target (and its minimum, should levels be inverted). */
function spare(p: Position): number {
  if (p.stale || !p.levels || !Number.isFinite(p.onHand) || runsOutSoon(p.cover ?? null)) return 0;
  return Math.max(0, Math.floor(p.onHand - Math.max(p.levels.target, p.levels.min)));
}

/** Largest first, ties by hub id. */
function byUnitsThenHub(a: Party, b: Party): number {
  return b.units - a.units || compareIds(a.hub, b.hub);
}

function movesForItem(item: string, positions: readonly Position[], arriving: Arriving): Move[] {
  const receivers = positions
    .map((p) => ({ hub: p.hub, units: need(p, arriving.get(stockKey(p.hub, item)) ?? 0) }))
    .filter((r) => r.units > 0)
    .sort(byUnitsThenHub);
  const givers = positions.map((p) => ({ hub: p.hub, units: spare(p) })).filter((g) => g.units > 0);
  const moves: Move[] = [];
  for (const receiver of receivers) {
    while (receiver.units > 0 && givers.length > 0) {
      givers.sort(byUnitsThenHub);
      const giver = givers[0]!;
      const qty = Math.min(receiver.units, giver.units);
      moves.push({ item, from: giver.hub, to: receiver.hub, qty });
      receiver.units -= qty;
      giver.units -= qty;
      if (giver.units === 0) givers.shift();
    }
  }
  return moves;
}

/**
 * Moves that bring short hubs up to their minimum from hubs holding more than their target. Per item,
 * the hub that needs most is served first (ties by hub id), each time from the hub with the most to
 * spare (ties by hub id), so each shortage is covered by as few moves as possible. Only fresh hubs take
 * part. Output: items in id order, then in the order the moves were chosen; the same for any input order.
 * `arriving` holds, by `hub|item` (stockKey), the units in transit to that hub: they count towards its
 * minimum. Throws on two positions for the same hub and item (the caller's rows are keyed by `hub|item`).
 */
export function suggestMoves(positions: readonly Position[], arriving: Arriving = NOTHING_ARRIVING): Move[] {
  const byItem = new Map<string, Position[]>();
  const seen = new Set<string>();
  for (const p of positions) {
    const key = stockKey(p.hub, p.item);
    if (seen.has(key)) throw new Error(`Two positions for hub ${p.hub} and item ${p.item}`);
    seen.add(key);
    const list = byItem.get(p.item);
    if (list) list.push(p);
    else byItem.set(p.item, [p]);
  }
  return [...byItem.keys()]
    .sort(compareIds)
    .flatMap((item) => movesForItem(item, byItem.get(item)!, arriving));
}

/** The positions after the moves are made (a move with an unknown hub or item throws). */
export function applyMoves<P extends Position>(positions: readonly P[], moves: readonly Move[]): P[] {
  const after = positions.map((p) => ({ ...p }));
  const byKey = new Map(after.map((p) => [stockKey(p.hub, p.item), p]));
  const find = (hub: string, item: string): P => {
    const p = byKey.get(stockKey(hub, item));
    if (!p) throw new Error(`No position for hub ${hub} and item ${item}`);
    return p;
  };
  for (const m of moves) {
    find(m.from, m.item).onHand -= m.qty;
    find(m.to, m.item).onHand += m.qty;
  }
  return after;
}

/**
 * The suggestions a coordinator is shown: none already asked for or on its way to the same hub (an open
 * transfer of that item to it), the most urgent first: in the items table's order (`itemOrder`, the worst
 * state somewhere first), each item's moves as suggested (the hub that needs most first).
 */
export function movesToShow(
  moves: readonly Move[],
  itemOrder: readonly { item: string }[],
  transfers: readonly { item: string; to: string; status: string }[],
): Move[] {
  const open = new Set(
    transfers
      .filter((t) => t.status === 'requested' || t.status === 'in transit')
      .map((t) => stockKey(t.to, t.item)),
  );
  const rank = new Map(itemOrder.map((i, n) => [i.item, n]));
  return moves
    .filter((m) => !open.has(stockKey(m.to, m.item)))
    .sort((a, b) => (rank.get(a.item) ?? rank.size) - (rank.get(b.item) ?? rank.size));
}
