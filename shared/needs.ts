import Papa from 'papaparse';
import type { Item } from './catalog';
import type { Levels } from './status';
import {
  NEEDS_CSV_COLUMNS,
  URGENCIES,
  type NeedsCsvColumn,
  type NeedsCsvWords,
  type Urgency,
} from './needsWords';

export { NEEDS_CSV_COLUMNS, URGENCIES, type NeedsCsvColumn, type NeedsCsvWords, type Urgency };

/**
 * The needs list: what the network, or one hub, should ask donors for. Pure: it reads positions and
 * settings the caller has already gathered, and knows nothing of time, storage or the DOM.
 *
 * A hub needs an item when it has levels for it and holds less than its target: it needs
 * `target - max(onHand, 0)` units (a negative figure, waiting for a count, counts as nothing on hand).
 * Hubs without levels for an item never appear: nobody has said how much they want.
 *
 * Stale hubs (figures older than a day) are included, unlike in the coordinator's network view: a needs
 * list is what to ask donors for, and a hub's last known shortfall is the best figure there is. The screen
 * says which hubs are stale; the list itself does not depend on the clock.
 *
 * Nothing internal reaches a line's text: positions of hubs or items this device does not know (by name)
 * are left out until their settings arrive, and a hub's address is on a line only when that hub chose to
 * publish it. Hub and item ids stay in the `hub`/`item` fields, for keys, never for display.
 */

export interface NeedsScope {
  /** One hub's needs; the whole network's when absent. */
  hub?: string;
}

export interface NeedsHub {
  id: string;
  name: string;
  address?: string;
  publishAddress?: boolean;
}

export interface NeedsPosition {
  hub: string;
  item: string;
  onHand: number;
  levels?: Levels;
}

export interface NeedsInput {
  positions: readonly NeedsPosition[];
  items: readonly Pick<Item, 'id' | 'name' | 'category' | 'unit'>[];
  hubs: readonly NeedsHub[];
  scope: NeedsScope;
}

export interface HubNeed {
  hub: string;
  name: string;
  needed: number;
  urgency: Urgency;
  /** Only when the hub chose to publish its address. */
  address?: string;
}

export interface NeedLine {
  item: string;
  name: string;
  category: string;
  unit: string;
  /** Units to bring every hub in scope up to its target. Always above zero. */
  needed: number;
  /** The most urgent among the hubs that need it. */
  urgency: Urgency;
  /** The hubs that need it: most urgent first, then most needed, then by name. */
  hubs: HubNeed[];
}

/** The hub's address if it chose to publish it (and has one); never otherwise. */
export function publishedAddress(hub: Pick<NeedsHub, 'address' | 'publishAddress'>): string | undefined {
  const address = hub.address?.trim();
  return hub.publishAddress === true && address ? address : undefined;
}

/** How many units bring a hub up to its target; 0 when it has no levels or is at or above it. */
export function unitsNeeded(onHand: number, levels: Levels | undefined): number {
  if (!levels) return 0;
  return Math.max(0, levels.target - Math.max(onHand, 0));
}

/** Out when nothing is on hand, low below the minimum, else below target. Only for a hub that needs some. */
export function urgencyOf(onHand: number, levels: Levels): Urgency {
  if (onHand <= 0) return 'out';
  if (onHand < levels.min) return 'low';
  return 'below target';
}

export const urgencyRank = (u: Urgency): number => URGENCIES.indexOf(u);

const byText = new Intl.Collator('en').compare;
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Most urgent first, then by category, then by item name (then id, for a stable order). */
export function compareNeedLines(a: NeedLine, b: NeedLine): number {
  return (
    urgencyRank(a.urgency) - urgencyRank(b.urgency) ||
    byText(a.category, b.category) ||
    byText(a.name, b.name) ||
    byId(a.item, b.item)
  );
}

/**
 * Each item some hub in scope needs, with how many units in all and which hubs need them. Two positions
 * for the same hub and item throw: the caller's data is broken, and adding them would double a need.
 */
export function needsList(input: NeedsInput): NeedLine[] {
  const { scope } = input;
  const items = new Map(input.items.map((i) => [i.id, i]));
  const hubs = new Map(input.hubs.map((h) => [h.id, h]));
  // By hub, then item: not a `hub|item` key made for each of 100,000 positions (50 hubs by 2,000 items).
  const seen = new Map<string, Set<string>>();
  const byItem = new Map<string, HubNeed[]>();

  for (const p of input.positions) {
    let atHub = seen.get(p.hub);
    if (!atHub) seen.set(p.hub, (atHub = new Set()));
    if (atHub.has(p.item)) throw new Error(`two positions for hub ${p.hub} and item ${p.item}`);
    atHub.add(p.item);
    if (scope.hub !== undefined && p.hub !== scope.hub) continue;
    const hub = hubs.get(p.hub);
    if (!hub || !items.has(p.item) || !p.levels) continue;
    const needed = unitsNeeded(p.onHand, p.levels);
    if (needed <= 0) continue;
    const address = publishedAddress(hub);
    const need: HubNeed = {
      hub: hub.id,
      name: hub.name,
      needed,
      urgency: urgencyOf(p.onHand, p.levels),
      ...(address ? { address } : {}),
    };
    const list = byItem.get(p.item);
    if (list) list.push(need);
    else byItem.set(p.item, [need]);
  }

  const lines: NeedLine[] = [];
  for (const [id, needs] of byItem) {
    const item = items.get(id)!;
    needs.sort(
      (a, b) =>
        urgencyRank(a.urgency) - urgencyRank(b.urgency) ||
        b.needed - a.needed ||
        byText(a.name, b.name) ||
        byId(a.hub, b.hub),
    );
    lines.push({
      item: id,
      name: item.name,
      category: item.category,
      unit: item.unit,
      needed: needs.reduce((s, n) => s + n.needed, 0),
      urgency: needs[0]!.urgency,
      hubs: needs,
    });
  }
  return lines.sort(compareNeedLines);
}

export const NETWORK_CSV_FIELDS = ['item', 'category', 'unit', 'needed', 'urgency', 'hubs'] as const;
export const HUB_CSV_FIELDS = ['item', 'category', 'unit', 'needed', 'urgency', 'hub'] as const;

/** The CSV's columns for these lines: a hub's list has an address column only when the hub publishes one. */
export function needsCsvFields(lines: readonly NeedLine[], scope: NeedsScope): NeedsCsvColumn[] {
  if (scope.hub === undefined) return [...NETWORK_CSV_FIELDS];
  const published = lines.some((l) => l.hubs.some((h) => h.hub === scope.hub && h.address));
  return published ? [...HUB_CSV_FIELDS, 'address'] : [...HUB_CSV_FIELDS];
}

// Papaparse's own pattern (`escapeFormulae: true`) misses a cell that starts with `=` and holds a line break.
const FORMULA = /^[=+\-@\t\r]/;

/**
 * The needs list as CSV, for a spreadsheet or a donor, in the words given (the volunteer's language): one
 * row per item, with names, never ids. The
 * whole network's list names the hubs that need each item with their share ("North: 12; South: 4");
 * one hub's list names the hub, and its address only when published. Cells a spreadsheet would run as
 * a formula (starting with =, +, -, @) are prefixed with an apostrophe.
 */
export function needsCsv(lines: readonly NeedLine[], scope: NeedsScope, words: NeedsCsvWords): string {
  const columns = needsCsvFields(lines, scope);
  const withAddress = columns.includes('address');
  const fields = columns.map((c) => words.headers[c]);
  const data = lines.map((l) => {
    const category = words.category ? words.category(l.category) : l.category;
    const row: (string | number)[] = [l.name, category, l.unit, l.needed, words.urgency[l.urgency]];
    if (scope.hub === undefined) row.push(l.hubs.map((h) => `${h.name}: ${h.needed}`).join('; '));
    else {
      const hub = l.hubs.find((h) => h.hub === scope.hub);
      row.push(hub?.name ?? '');
      if (withAddress) row.push(hub?.address ?? '');
    }
    return row;
  });
  // With no rows, unparse would still end the header with a line break: write the header as a row instead.
  return Papa.unparse(data.length > 0 ? { fields, data } : [fields], {
    escapeFormulae: FORMULA,
    newline: '\r\n',
  });
}
