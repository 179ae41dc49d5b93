import { IssueCollector } from './errors';
import { hubKey } from './keys';
import { msg } from './messages';
import { parseQuantity } from './quantity';
import type { Levels } from './status';

export interface LevelsForm {
  min: string;
  target: string;
}

/** Parses a hub's minimum and target for an item; both empty clears them. */
export function parseLevelsForm(form: LevelsForm): Levels | null {
  if (!form.min.trim() && !form.target.trim()) return null;
  const issues = new IssueCollector();
  const min = parseQuantity(form.min, { field: 'minimum', allowZero: true });
  const target = parseQuantity(form.target, { field: 'target', allowZero: true });
  if (!min.ok) issues.add('min', min.message);
  if (!target.ok) issues.add('target', target.message);
  if (min.ok && target.ok && target.value < min.value)
    issues.add('target', msg('levels.targetBelowMinimum', { minimum: min.value }));
  issues.throwIfAny();
  return { min: (min as { value: number }).value, target: (target as { value: number }).value };
}

/** Levels rows as they are kept: an item's own keyed `hub|item`, a category's default keyed `hub|category`. */
export type LevelsByKey = ReadonlyMap<string, Levels>;

/** Rows by their key, for `effectiveLevels`. */
export function byKey<T extends { key: string }>(rows: Iterable<T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const row of rows) out.set(row.key, row);
  return out;
}

/** An item's own levels at a hub, else its category's default there, else none. */
export function effectiveLevels(
  hub: string,
  item: { id: string; category: string },
  own: LevelsByKey,
  byCategory: LevelsByKey,
): Levels | undefined {
  const l = own.get(hubKey(hub, item.id)) ?? byCategory.get(hubKey(hub, item.category));
  return l ? { min: l.min, target: l.target } : undefined;
}

/**
 * `effectiveLevels` for many lookups: the rows by hub, then by item or category, so that a lookup builds no
 * `hub|item` key (the network view looks up every hub and item: 100,000 pairs at 50 hubs and 2,000 items).
 */
export class LevelsIndex {
  private readonly own = new Map<string, Map<string, Levels>>();
  private readonly byCategory = new Map<string, Map<string, Levels>>();

  constructor(
    own: Iterable<Levels & { hub: string; item: string }>,
    byCategory: Iterable<Levels & { hub: string; category: string }>,
  ) {
    this.addOwn(own);
    for (const row of byCategory) LevelsIndex.put(this.byCategory, row.hub, row.category, row);
  }

  /** Adds items' own levels: for a caller that spreads 30,000 of them over several tasks. */
  addOwn(own: Iterable<Levels & { hub: string; item: string }>): void {
    for (const row of own) LevelsIndex.put(this.own, row.hub, row.item, row);
  }

  private static put(into: Map<string, Map<string, Levels>>, hub: string, thing: string, row: Levels): void {
    let at = into.get(hub);
    if (!at) into.set(hub, (at = new Map()));
    at.set(thing, row);
  }

  /** The levels lookup of one hub: an item's own, else its category's default there, else none. */
  at(hub: string): (item: { id: string; category: string }) => Levels | undefined {
    const own = this.own.get(hub);
    const byCategory = this.byCategory.get(hub);
    return (item) => {
      const l = own?.get(item.id) ?? byCategory?.get(item.category);
      return l ? { min: l.min, target: l.target } : undefined;
    };
  }
}

/** A hub's holding of an item with its effective levels (what the needs list and alerts read). */
export interface LevelledPosition {
  hub: string;
  item: string;
  onHand: number;
  levels: Levels;
}

/**
 * Every hub's position in every item it has levels for (own or its category's). An item with levels and
 * nothing recorded at a hub yet is a position with nothing on hand: the hub needs all of its target.
 * `onHand` is by hub, then item; the levels are looked up hub by hub (`LevelsIndex`): at 50 hubs and 2,000
 * items, 100,000 lookups by `hub|item` keys (three each) took most of the needs list's 0.4-0.5 s of reading.
 */
export function levelledPositions(
  hubs: readonly string[],
  items: readonly { id: string; category: string }[],
  onHand: ReadonlyMap<string, ReadonlyMap<string, number>>,
  levels: LevelsIndex,
): LevelledPosition[] {
  const out: LevelledPosition[] = [];
  for (const hub of hubs) {
    const at = levels.at(hub);
    const figures = onHand.get(hub);
    for (const item of items) {
      const l = at(item);
      if (l) out.push({ hub, item: item.id, onHand: figures?.get(item.id) ?? 0, levels: l });
    }
  }
  return out;
}
