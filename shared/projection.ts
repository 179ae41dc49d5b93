import { idOf, ownEffect, type Entry } from './entries';

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

/** An entry as the history shows it: the entry, its id, the effect it has, and its undo if any. */
export type LedgerRow = Entry & {
  id: string;
  /** The effect this entry has on on-hand now (0 for a second undo of the same entry). */
  applied: number;
  reversedBy?: string;
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
  private readonly reversalsByTarget = new Map<string, string[]>();
  private readonly changedStock = new Set<string>();
  private readonly changedLedger = new Set<string>();
  readonly problems: ProjectionProblem[] = [];

  constructor(snapshot?: ProjectionSnapshot) {
    if (!snapshot) return;
    for (const row of snapshot.stock) this.stock.set(row.key, cloneStock(row));
    for (const row of snapshot.ledger) {
      this.ledger.set(row.id, { ...row });
      if (row.kind === 'reversal') this.indexReversal(row.target, row.id);
    }
  }

  /** Ids of rows the projector must have in its snapshot to apply these entries incrementally. */
  static lookups(entries: readonly Entry[]): {
    stockKeys: string[];
    entryIds: string[];
    reversalTargets: string[];
  } {
    const stockKeys = new Set<string>();
    const entryIds = new Set<string>();
    const reversalTargets = new Set<string>();
    for (const e of entries) {
      stockKeys.add(stockKey(e.hub, e.item));
      const id = idOf(e);
      entryIds.add(id);
      reversalTargets.add(id);
      if (e.kind === 'reversal') {
        entryIds.add(e.target);
        reversalTargets.add(e.target);
      }
    }
    return { stockKeys: [...stockKeys], entryIds: [...entryIds], reversalTargets: [...reversalTargets] };
  }

  /**
   * Stock rows the snapshot also needs once the ledger rows of `lookups` are loaded: an undo that stops
   * counting (a lower-id undo of the same entry arrived) takes its effect back from its own hub and item.
   */
  static stockKeysOf(rows: Iterable<LedgerRow>): string[] {
    const keys = new Set<string>();
    for (const r of rows) keys.add(stockKey(r.hub, r.item));
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
    const row: LedgerRow = { ...entry, id, applied: 0 };
    this.ledger.set(id, row);
    this.changedLedger.add(id);

    // Undos may arrive before what they undo: mark the entry whatever its kind.
    const reversals = this.reversalsByTarget.get(id);
    if (reversals && reversals.length > 0) row.reversedBy = canonical(reversals);
    if (entry.kind === 'reversal') this.applyReversal(row as LedgerRow & { kind: 'reversal' });
    else this.addEffect(row, ownEffect(entry));

    const stock = this.stockRow(entry.hub, entry.item);
    stock.entryCount += 1;
    stock.lastEntryAt = Math.max(stock.lastEntryAt, entry.at);
    if (entry.kind === 'count') stock.lastCountAt = Math.max(stock.lastCountAt ?? entry.at, entry.at);
    if (entry.kind === 'pickup' && entry.belowZero)
      stock.lastWarnAt = Math.max(stock.lastWarnAt ?? entry.at, entry.at);
    if (entry.kind === 'donation' && entry.expiry) addLot(stock, entry.expiry, entry.qty);
  }

  /** Only the first undo of an entry (in the replica-independent id order) counts; later ones show as repeats. */
  private applyReversal(row: LedgerRow & { kind: 'reversal' }): void {
    const previous = this.reversalsByTarget.get(row.target) ?? [];
    const before = previous.length > 0 ? canonical(previous) : undefined;
    this.indexReversal(row.target, row.id);
    const after = canonical(this.reversalsByTarget.get(row.target)!);
    if (after !== row.id) return; // a repeat undo: no effect
    if (before !== undefined) {
      const old = this.ledger.get(before)!;
      this.addEffect(old, -old.applied);
      if (old.kind === 'reversal' && old.expiry)
        addLot(this.stockRow(old.hub, old.item), old.expiry, -old.effect);
    }
    this.addEffect(row, row.effect);
    if (row.expiry) addLot(this.stockRow(row.hub, row.item), row.expiry, row.effect);
    const target = this.ledger.get(row.target);
    if (target) {
      target.reversedBy = row.id;
      this.changedLedger.add(target.id);
    }
  }

  private addEffect(row: LedgerRow, delta: number): void {
    if (delta === 0) return;
    row.applied += delta;
    this.changedLedger.add(row.id);
    this.stockRow(row.hub, row.item).onHand += delta;
  }

  private indexReversal(target: string, id: string): void {
    const list = this.reversalsByTarget.get(target);
    if (list) list.push(id);
    else this.reversalsByTarget.set(target, [id]);
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

  changes(): { stock: StockRow[]; ledger: LedgerRow[] } {
    return {
      stock: [...this.changedStock].map((k) => this.stock.get(k)!),
      ledger: [...this.changedLedger].map((k) => this.ledger.get(k)!),
    };
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

function cloneStock(row: StockRow): StockRow {
  return { ...row, lots: { ...row.lots } };
}

/** On-hand per `hub|item` for a set of entries: the whole projection in one call. */
export function onHandByKey(entries: Iterable<Entry>): Map<string, number> {
  const p = new Projector();
  for (const e of entries) p.apply(e);
  return new Map(p.allStock().map((r) => [r.key, r.onHand]));
}
