import { exclusiveSlot, idOf, isTransfer, ownEffect, transferOf, type Entry } from './entries';
import { DAY_MS, utcDay as dayOf } from './days';
import { hubKey as stockKey } from './keys';
import { compareEntryIds } from './ids';
import { msg, type DomainMessage } from './messages';
import { RowMap } from './rowMap';

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

/** The UTC day an entry counts in (usage rows). */
export { dayOf };

/** An entry as the history shows it: the entry, its id, the effect it has, and its undo if any. */
export type LedgerRow = Entry & {
  id: string;
  /** The effect this entry has on on-hand now: 0 once undone, 0 for an undo, 0 for a repeat in a slot. */
  applied: number;
  reversedBy?: string;
  /** At most one entry per slot counts (see `exclusiveSlot`); indexed so the incremental path finds the others. */
  slot?: string;
  /** For transfer entries: the transfer they belong to, indexed to list a transfer's entries. */
  root?: string;
};

/** A stock row's key, `hub|item`. */
export { stockKey };

// In ids.ts, without zod: the transfers' logic uses it in a coordinator's first view (the Network screen).
export { compareEntryIds };

/** What the projector may need to know about rows already projected. */
export interface ProjectionSnapshot {
  stock: Iterable<StockRow>;
  ledger: Iterable<LedgerRow>;
  usage?: Iterable<UsageRow>;
}

export interface ProjectionProblem {
  id: string;
  reason: DomainMessage;
}

/**
 * Applies entries to a snapshot of the rows they touch and reports which rows changed. The same class
 * rebuilds everything (empty snapshot, all entries) and updates incrementally (the touched rows, new
 * entries): both paths run the same code, so they cannot drift apart.
 *
 * The rules, all functions of the SET of entries (so arrival order cannot matter):
 * - an entry that has an undo counts for nothing, and neither does the undo (however many devices
 *   undid it); the history still shows both;
 * - of the entries that share an exclusive slot (two devices recording the receipt of one transfer
 *   while apart), only the first, in an order every replica agrees on, among those not undone counts;
 * - every other entry counts its own effect.
 */
export class Projector {
  private readonly stock = new Map<string, StockRow>();
  private readonly ledger = new RowMap<LedgerRow>();
  /** Members of each exclusive slot (`in:<transfer>`, `out:<request>`). */
  private readonly slots = new Map<string, string[]>();
  /** Undos of each entry, by the entry's id. */
  private readonly undos = new Map<string, string[]>();
  private readonly changedStock = new Set<string>();
  private readonly changedLedger = new Set<string>();
  private readonly usage = new Map<string, UsageRow>();
  private readonly changedUsage = new Set<string>();
  readonly problems: ProjectionProblem[] = [];
  /** Undos already reported as undoing another hub's entry (reported once per projector). */
  private readonly reported = new Set<string>();
  /**
   * Whether what changes is noted for `takeChanges`. A rebuild writes every row, so its projector notes
   * nothing until it has folded the history (`untracked`, then `trackFromHere`): at a million entries,
   * a million ids noted and listed only to be dropped.
   */
  private tracking = true;
  /**
   * The stock row and usage row last looked up: an entry looks up its own several times, and entries come
   * mostly in a device's order, one day of a hub after another (the usage row's hub and UTC day number).
   */
  private lastStock: StockRow | null = null;
  private lastUsage: UsageRow | null = null;
  private lastUsageHub = '';
  private lastUsageDay = NaN;

  constructor(snapshot?: ProjectionSnapshot) {
    if (!snapshot) return;
    for (const row of snapshot.stock) this.stock.set(row.key, cloneStock(row));
    for (const row of snapshot.usage ?? []) this.usage.set(row.key, { ...row, pickups: { ...row.pickups } });
    for (const row of snapshot.ledger) {
      this.ledger.set(row.id, { ...row });
      this.index(row);
    }
  }

  /** What the projector must have in its snapshot to apply these entries incrementally (first round). */
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
      usageKeys.add(stockKey(e.hub, dayOf(e.at)));
      const id = idOf(e);
      entryIds.add(id);
      slots.add(`undo:${id}`);
      const slot = exclusiveSlot(e);
      if (slot) slots.add(slot);
      if (e.kind === 'reversal') {
        entryIds.add(e.target);
        slots.add(`undo:${e.target}`);
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
   * Second round: the other members of the slots of loaded rows (an undo of a transfer receipt hands
   * the effect to the next receipt of that transfer).
   */
  static slotsOf(rows: Iterable<LedgerRow>): string[] {
    const slots = new Set<string>();
    for (const r of rows) if (r.slot && r.kind !== 'reversal') slots.add(r.slot);
    return [...slots];
  }

  /** Stock rows whose figures loaded ledger rows may change. */
  static stockKeysOf(rows: Iterable<LedgerRow>): string[] {
    const keys = new Set<string>();
    for (const r of rows) keys.add(stockKey(r.hub, r.item));
    return [...keys];
  }

  /** Usage rows loaded rows may change: an undone pickup no longer counts as use on its day. */
  static usageKeysOf(rows: Iterable<LedgerRow>): string[] {
    const keys = new Set<string>();
    // Stryker disable next-line ConditionalExpression: loading the usage rows of other entries' days too changes nothing (only changed rows are written)
    for (const r of rows) if (r.kind === 'pickup') keys.add(stockKey(r.hub, dayOf(r.at)));
    return [...keys];
  }

  apply(entry: Entry): void {
    const id = idOf(entry);
    if (this.ledger.has(id)) {
      this.problems.push({ id, reason: msg('entry.duplicate', { id }) });
      return;
    }
    // One object, its fields set in place: conditional spreads made and copied two more objects an entry
    // (a fold of a million entries spent a fifth of its time in this function).
    const row = { ...entry, id, applied: 0 } as LedgerRow;
    const slot = exclusiveSlot(entry);
    if (slot) row.slot = slot;
    if (isTransfer(entry)) row.root = transferOf(entry);
    this.ledger.set(id, row);
    if (this.tracking) this.changedLedger.add(id);
    this.index(row);

    if (row.kind === 'reversal') this.applyUndo(row);
    else {
      // Undos may arrive before what they undo: the entry is then born undone.
      const undos = this.validUndos(row);
      if (undos.length > 0) row.reversedBy = canonical(undos);
      if (row.slot) this.resolveSlot(row.slot);
      else if (!row.reversedBy) this.count(row);
    }

    const stock = this.stockRow(entry.hub, entry.item);
    stock.entryCount += 1;
    stock.lastEntryAt = Math.max(stock.lastEntryAt, entry.at);
    if (entry.kind === 'count') stock.lastCountAt = Math.max(stock.lastCountAt ?? entry.at, entry.at);
    if (entry.kind === 'pickup' && entry.belowZero)
      stock.lastWarnAt = Math.max(stock.lastWarnAt ?? entry.at, entry.at);
    this.usageRow(entry.hub, entry.at).entries += 1;
  }

  private index(row: LedgerRow): void {
    if (row.kind === 'reversal') push(this.undos, row.target, row.id);
    else if (row.slot) push(this.slots, row.slot, row.id);
  }

  /** An undo neutralises its target the first time; later undos of it only show in the history. */
  private applyUndo(row: LedgerRow & { kind: 'reversal' }): void {
    const target = this.ledger.get(row.target);
    if (!target) return; // it will be born undone when it arrives
    if (target.kind === 'reversal') {
      this.problems.push({ id: row.id, reason: msg('entry.undoesUndo', { id: row.id }) });
      return;
    }
    if (!undoes(row, target)) {
      this.problems.push({ id: row.id, reason: crossUndo(row.id, target) });
      return;
    }
    const wasUndone = target.reversedBy !== undefined;
    target.reversedBy = canonical(this.validUndos(target));
    if (this.tracking) this.changedLedger.add(target.id);
    if (wasUndone) return;
    if (target.slot) this.resolveSlot(target.slot);
    else this.uncount(target);
  }

  /**
   * The undos of an entry that may undo it: recorded for its own hub and item (a device may undo only what
   * its hub, or a coordinator for that hub, recorded; the gate checks who may write for which hub).
   */
  private validUndos(target: LedgerRow): string[] {
    const valid: string[] = [];
    const undos = this.undos.get(target.id);
    if (!undos) return valid;
    for (const id of undos) {
      const undo = this.ledger.get(id);
      // Stryker disable next-line ConditionalExpression,OptionalChaining: only undos are filed in `undos`, each with its ledger row
      if (undo?.kind !== 'reversal') continue;
      if (undoes(undo, target)) valid.push(id);
      else if (target.kind !== 'reversal' && !this.reported.has(id)) {
        this.reported.add(id);
        this.problems.push({ id, reason: crossUndo(id, target) });
      }
    }
    return valid;
  }

  /** The first member of a slot that is not undone counts; every other member counts for nothing. */
  private resolveSlot(slot: string): void {
    // Stryker disable next-line ArrayDeclaration: a slot is resolved only once a member is filed under it
    const members = (this.slots.get(slot) ?? []).map((id) => this.ledger.get(id)!);
    const live = members.filter((m) => !m.reversedBy).map((m) => m.id);
    const first = live.length > 0 ? canonical(live) : undefined;
    for (const m of members) {
      const want = m.id === first ? ownEffect(m) : 0;
      // Stryker disable next-line ConditionalExpression: addEffect does nothing for a change of 0
      if (m.applied !== want) this.addEffect(m, want - m.applied);
    }
  }

  private count(row: LedgerRow): void {
    this.addEffect(row, ownEffect(row));
    if (row.kind === 'donation' && row.expiry) addLot(this.stockRow(row.hub, row.item), row.expiry, row.qty);
    if (row.kind === 'pickup') addPickups(this.usageRow(row.hub, row.at), row.item, row.qty);
  }

  private uncount(row: LedgerRow): void {
    this.addEffect(row, -row.applied);
    if (row.kind === 'donation' && row.expiry) addLot(this.stockRow(row.hub, row.item), row.expiry, -row.qty);
    if (row.kind === 'pickup') addPickups(this.usageRow(row.hub, row.at), row.item, -row.qty);
  }

  private addEffect(row: LedgerRow, delta: number): void {
    // Stryker disable next-line ConditionalExpression: a change of 0 only writes the same rows again
    if (delta === 0) return;
    row.applied += delta;
    if (this.tracking) this.changedLedger.add(row.id);
    this.stockRow(row.hub, row.item).onHand += delta;
  }

  /** The usage row of `hub` on the day of `at`. */
  private usageRow(hub: string, at: number): UsageRow {
    const dayNumber = Math.floor(at / DAY_MS);
    const last = this.lastUsage;
    if (last && this.lastUsageHub === hub && this.lastUsageDay === dayNumber) {
      if (this.tracking) this.changedUsage.add(last.key);
      return last;
    }
    const day = dayOf(at);
    const key = stockKey(hub, day);
    let row = this.usage.get(key);
    if (!row) {
      row = { key, hub, day, entries: 0, pickups: {} };
      this.usage.set(key, row);
    }
    if (this.tracking) this.changedUsage.add(key);
    this.lastUsage = row;
    this.lastUsageHub = hub;
    this.lastUsageDay = dayNumber;
    return row;
  }

  private stockRow(hub: string, item: string): StockRow {
    const last = this.lastStock;
    if (last && last.hub === hub && last.item === item) {
      if (this.tracking) this.changedStock.add(last.key);
      return last;
    }
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
    if (this.tracking) this.changedStock.add(key);
    this.lastStock = row;
    return row;
  }

  /** Notes nothing that changes until `trackFromHere` (a rebuild's projector, while it folds everything). */
  untracked(): this {
    this.tracking = false;
    return this;
  }

  /** Forgets what changed so far, without listing it, and notes what changes from now on. */
  trackFromHere(): void {
    this.changedStock.clear();
    this.changedLedger.clear();
    this.changedUsage.clear();
    this.tracking = true;
  }

  changes(): { stock: StockRow[]; ledger: LedgerRow[]; usage: UsageRow[] } {
    return {
      stock: [...this.changedStock].map((k) => this.stock.get(k)!),
      ledger: [...this.changedLedger].map((k) => this.ledger.get(k)!),
      usage: [...this.changedUsage].map((k) => this.usage.get(k)!),
    };
  }

  /**
   * The rows changed since the last call (or since it was made), and forgets they changed: a projector
   * that holds everything (a rebuild's) goes on projecting new entries, and each batch writes only what
   * it changed.
   */
  takeChanges(): { stock: StockRow[]; ledger: LedgerRow[]; usage: UsageRow[] } {
    const changes = this.changes();
    this.changedStock.clear();
    this.changedLedger.clear();
    this.changedUsage.clear();
    return changes;
  }

  /** The ledger rows of these ids as they stand now (an id it does not hold is left out). */
  ledgerRows(ids: readonly string[]): LedgerRow[] {
    return ids.flatMap((id) => this.ledger.get(id) ?? []);
  }

  /** The usage rows of these keys as they stand now (a key it does not hold is left out). */
  usageRows(keys: readonly string[]): UsageRow[] {
    return keys.flatMap((key) => this.usage.get(key) ?? []);
  }

  /** The ledger row of this id as it stands now, if it holds one. */
  ledgerRow(id: string): LedgerRow | undefined {
    return this.ledger.get(id);
  }

  /** Whether it holds a ledger row of this id / a usage row of this key. */
  holdsLedger(id: string): boolean {
    return this.ledger.has(id);
  }

  holdsUsage(key: string): boolean {
    return this.usage.has(key);
  }

  allStock(): StockRow[] {
    return [...this.stock.values()];
  }

  allLedger(): LedgerRow[] {
    return [...this.ledger.values()];
  }

  /** The ledger rows one by one (a caller that gathers millions can pause between them). */
  ledgerValues(): IterableIterator<LedgerRow> {
    return this.ledger.values();
  }

  allUsage(): UsageRow[] {
    return [...this.usage.values()];
  }
}

/** An undo counts only for an entry of the same hub and item. */
function undoes(undo: LedgerRow & { kind: 'reversal' }, target: LedgerRow): boolean {
  return undo.hub === target.hub && undo.item === target.item;
}

function crossUndo(id: string, target: LedgerRow): DomainMessage {
  return msg('entry.undoesOther', { id, target: target.id });
}

function push(map: Map<string, string[]>, key: string, id: string): void {
  const list = map.get(key);
  if (list) list.push(id);
  else map.set(key, [id]);
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
