import { exclusiveSlot, idOf, isTransfer, ownEffect, transferOf, type Entry } from './entries';

/**
 * The projection from ledger entries to stock. It is a fold over entries that gives the same result for
 * any order of arrival, so replicas that saw the same entries show the same figures. Rows here are caches
 * of that fold, kept in Dexie for fast reads and always rebuildable from the doc.
 */
export interface StockRow {
  /** `hub|item` */
  key: string;
  hub: string;
  item: string;
  onHand: number;
  /** Units donated per expiry day (ISO date), less undone donations: input to the expiry estimate. */
  lots: Record<string, number>;
  lastCountAt: number | null;
  /** Newest pickup recorded after a below-zero warning. */
  lastWarnAt: number | null;
  lastEntryAt: number;
  entryCount: number;
}

/**
 * What a hub did on one day (UTC): how many entries it recorded, and units picked up per item. Days of
 * cover come from these: the pickups of the last 14 days on which the hub recorded anything.
 */
export interface UsageRow {
  /** `hub|YYYY-MM-DD` */
  key: string;
  hub: string;
  day: string;
  entries: number;
  pickups: Record<string, number>;
}

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** An entry as the history shows it: the entry, its id, the effect it has, and its undo if any. */
export type LedgerRow = Entry & {
  id: string;
  /** The effect this entry has on on-hand now (0 for a second undo of the same entry). */
  applied: number;
  reversedBy?: string;
  /** At most one entry per slot counts (see `exclusiveSlot`); indexed so the incremental path finds the others. */
  slot?: string;
  /** For transfer entries: the transfer they belong to, indexed to list a transfer's entries. */
  root?: string;
};

export function stockKey(hub: string, item: string): string {
  return `${hub}|${item}`;
}

/** A total order on entry ids, the same on every replica: device, then sequence number. */
export function compareEntryIds(a: string, b: string): number {
  const [da = '', sa = '0'] = a.split('.');
  const [db = '', sb = '0'] = b.split('.');
  if (da !== db) return da < db ? -1 : 1;
  return Number(sa) - Number(sb);
}

/** What the projector may need to know about rows already projected. */
export interface ProjectionSnapshot {
  stock: Iterable<StockRow>;
  ledger: Iterable<LedgerRow>;
  usage?: Iterable<UsageRow>;
}

export interface ProjectionProblem {
  id: string;
  reason: string;
}

/**
 * Applies entries to a snapshot of the rows they touch and reports which rows changed. The same class
 * rebuilds everything (empty snapshot, all entries) and updates incrementally (the touched rows, new
 * entries): both paths run the same code, so they cannot drift apart.
 */
export class Projector {
  private readonly stock = new Map<string, StockRow>();
  private readonly ledger = new Map<string, LedgerRow>();
  /** Entries by exclusive slot: `undo:<target>`, `in:<transfer>`, `out:<request>`. */
  private readonly slots = new Map<string, string[]>();
  private readonly changedStock = new Set<string>();
  private readonly changedLedger = new Set<string>();
  private readonly usage = new Map<string, UsageRow>();
  private readonly changedUsage = new Set<string>();
  readonly problems: ProjectionProblem[] = [];

  constructor(snapshot?: ProjectionSnapshot) {
    if (!snapshot) return;
    for (const row of snapshot.stock) this.stock.set(row.key, cloneStock(row));
    for (const row of snapshot.usage ?? []) this.usage.set(row.key, { ...row, pickups: { ...row.pickups } });
    for (const row of snapshot.ledger) {
      this.ledger.set(row.id, { ...row });
      if (row.slot) this.indexSlot(row.slot, row.id);
    }
  }

  /** What the projector must have in its snapshot to apply these entries incrementally. */
  static lookups(entries: readonly Entry[]): {
    stockKeys: string[];
    entryIds: string[];
    slots: string[];
    usageKeys: string[];
  } {
    const usageKeys = new Set<string>();
    const stockKeys = new Set<string>();
    const entryIds = new Set<string>();
    const slots = new Set<string>();
    for (const e of entries) {
      stockKeys.add(stockKey(e.hub, e.item));
      const id = idOf(e);
      entryIds.add(id);
      slots.add(`undo:${id}`);
      const slot = exclusiveSlot(e);
      if (slot) slots.add(slot);
      usageKeys.add(stockKey(e.hub, dayOf(e.at)));
      if (e.kind === 'reversal') {
        entryIds.add(e.target);
        if (e.targetAt !== undefined) usageKeys.add(stockKey(e.hub, dayOf(e.targetAt)));
      }
    }
    return {
      stockKeys: [...stockKeys],
      entryIds: [...entryIds],
      slots: [...slots],
      usageKeys: [...usageKeys],
    };
  }

  /**
   * Stock rows the snapshot also needs once the ledger rows of `lookups` are loaded: an entry that stops
   * counting (a lower-id entry of the same slot arrived) takes its effect back from its own hub and item.
   */
  static stockKeysOf(rows: Iterable<LedgerRow>): string[] {
    const keys = new Set<string>();
    for (const r of rows) keys.add(stockKey(r.hub, r.item));
    return [...keys];
  }

  /** Likewise for usage rows: an undo of a pickup that stops counting gives its day's pickups back. */
  static usageKeysOf(rows: Iterable<LedgerRow>): string[] {
    const keys = new Set<string>();
    for (const r of rows)
      if (r.kind === 'reversal' && r.targetAt !== undefined) keys.add(stockKey(r.hub, dayOf(r.targetAt)));
    return [...keys];
  }

  apply(entry: Entry): void {
    const id = idOf(entry);
    if (this.ledger.has(id)) {
      this.problems.push({
        id,
        reason: `Entry ${id} appears twice in the ledger; the second copy is ignored`,
      });
      return;
    }
    const slot = exclusiveSlot(entry) ?? undefined;
    const row: LedgerRow = {
      ...entry,
      id,
      applied: 0,
      ...(slot ? { slot } : {}),
      ...(isTransfer(entry) ? { root: transferOf(entry) } : {}),
    };
    this.ledger.set(id, row);
    this.changedLedger.add(id);

    // Undos may arrive before what they undo: mark the entry whatever its kind.
    const undos = this.slots.get(`undo:${id}`);
    if (undos && undos.length > 0) row.reversedBy = canonical(undos);
    if (slot) this.applyExclusive(row, slot);
    else this.addEffect(row, ownEffect(entry));

    const stock = this.stockRow(entry.hub, entry.item);
    stock.entryCount += 1;
    stock.lastEntryAt = Math.max(stock.lastEntryAt, entry.at);
    if (entry.kind === 'count') stock.lastCountAt = Math.max(stock.lastCountAt ?? entry.at, entry.at);
    if (entry.kind === 'pickup' && entry.belowZero)
      stock.lastWarnAt = Math.max(stock.lastWarnAt ?? entry.at, entry.at);
    if (entry.kind === 'donation' && entry.expiry) addLot(stock, entry.expiry, entry.qty);
    const usage = this.usageRow(entry.hub, dayOf(entry.at));
    usage.entries += 1;
    if (entry.kind === 'pickup') addPickups(usage, entry.item, entry.qty);
  }

  /**
   * Only the first entry of a slot (in the replica-independent id order) counts; later ones show as
   * repeats with no effect. When a lower id arrives late, the effect moves to it.
   */
  private applyExclusive(row: LedgerRow, slot: string): void {
    const previous = this.slots.get(slot) ?? [];
    const before = previous.length > 0 ? canonical(previous) : undefined;
    this.indexSlot(slot, row.id);
    const after = canonical(this.slots.get(slot)!);
    if (after !== row.id) return; // a repeat: no effect
    if (before !== undefined) {
      const old = this.ledger.get(before)!;
      this.addEffect(old, -old.applied);
      if (old.kind === 'reversal' && old.expiry)
        addLot(this.stockRow(old.hub, old.item), old.expiry, -old.effect);
      if (old.kind === 'reversal') this.undoPickups(old, -1);
    }
    this.addEffect(row, ownEffect(row));
    if (row.kind === 'reversal') {
      if (row.expiry) addLot(this.stockRow(row.hub, row.item), row.expiry, row.effect);
      this.undoPickups(row, 1);
      const target = this.ledger.get(row.target);
      if (target) {
        target.reversedBy = row.id;
        this.changedLedger.add(target.id);
      }
    }
  }

  private addEffect(row: LedgerRow, delta: number): void {
    if (delta === 0) return;
    row.applied += delta;
    this.changedLedger.add(row.id);
    this.stockRow(row.hub, row.item).onHand += delta;
  }

  /** An undone pickup no longer counts as use on its day; sign -1 puts it back. */
  private undoPickups(row: LedgerRow & { kind: 'reversal' }, sign: 1 | -1): void {
    if (row.targetKind !== 'pickup' || row.targetAt === undefined) return;
    addPickups(this.usageRow(row.hub, dayOf(row.targetAt)), row.item, -sign * row.effect);
  }

  private usageRow(hub: string, day: string): UsageRow {
    const key = stockKey(hub, day);
    let row = this.usage.get(key);
    if (!row) {
      row = { key, hub, day, entries: 0, pickups: {} };
      this.usage.set(key, row);
    }
    this.changedUsage.add(key);
    return row;
  }

  private indexSlot(slot: string, id: string): void {
    const list = this.slots.get(slot);
    if (list) list.push(id);
    else this.slots.set(slot, [id]);
  }

  private stockRow(hub: string, item: string): StockRow {
    const key = stockKey(hub, item);
    let row = this.stock.get(key);
    if (!row) {
      row = {
        key,
        hub,
        item,
        onHand: 0,
        lots: {},
        lastCountAt: null,
        lastWarnAt: null,
        lastEntryAt: 0,
        entryCount: 0,
      };
      this.stock.set(key, row);
    }
    this.changedStock.add(key);
    return row;
  }

  changes(): { stock: StockRow[]; ledger: LedgerRow[]; usage: UsageRow[] } {
    return {
      stock: [...this.changedStock].map((k) => this.stock.get(k)!),
      ledger: [...this.changedLedger].map((k) => this.ledger.get(k)!),
      usage: [...this.changedUsage].map((k) => this.usage.get(k)!),
    };
  }

  allUsage(): UsageRow[] {
    return [...this.usage.values()];
  }

  allStock(): StockRow[] {
    return [...this.stock.values()];
  }

  allLedger(): LedgerRow[] {
    return [...this.ledger.values()];
  }
}

function canonical(ids: readonly string[]): string {
  return ids.reduce((min, id) => (compareEntryIds(id, min) < 0 ? id : min));
}

function addLot(row: StockRow, day: string, qty: number): void {
  const next = (row.lots[day] ?? 0) + qty;
  if (next === 0) delete row.lots[day];
  else row.lots[day] = next;
}

function addPickups(row: UsageRow, item: string, qty: number): void {
  const next = (row.pickups[item] ?? 0) + qty;
  if (next === 0) delete row.pickups[item];
  else row.pickups[item] = next;
}

function cloneStock(row: StockRow): StockRow {
  return { ...row, lots: { ...row.lots } };
}

/** On-hand per `hub|item` for a set of entries: the whole projection in one call. */
export function onHandByKey(entries: Iterable<Entry>): Map<string, number> {
  const p = new Projector();
  for (const e of entries) p.apply(e);
  return new Map(p.allStock().map((r) => [r.key, r.onHand]));
}
