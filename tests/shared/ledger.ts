import type { Item } from '../../shared/catalog';
import { recordDonation, undoEntry } from '../../shared/commands';
import { idOf, type Entry } from '../../shared/entries';
import { Projector, stockKey, type LedgerRow } from '../../shared/projection';
import type { TransferContext } from '../../shared/transferCommands';
import { transferViews, type TransferView } from '../../shared/transfers';

/**
 * A small network for scenario tests: entries recorded by named devices (each with its own sequence
 * numbers and clock), projected the way the app does (one Projector over every entry), and read back as
 * a volunteer sees them: on-hand per hub and item, and the transfers list.
 */
export const T0 = Date.UTC(2025, 2, 3, 9, 0, 0);
export const MINUTE = 60_000;

export const catalogItem = (id: string, name: string, packSize?: number): Item => ({
  id,
  name,
  category: 'Food',
  unit: 'bag',
  ...(packSize ? { packSize } : {}),
  barcodes: [],
  createdAt: T0,
  updatedAt: T0,
});

export const rice = catalogItem('rice0001', 'Rice 2 lb');
export const oats = catalogItem('oats0001', 'Oats');
export const HUB_IDS = ['north', 'south', 'east'] as const;

export class Network {
  readonly entries: Entry[] = [];
  private readonly seqs = new Map<string, number>();
  private clock = T0;

  /** A transfer context for `device`, at the network's clock (which each call moves on a minute). */
  ctx(device: string): TransferContext {
    this.clock += MINUTE;
    return {
      device,
      nextSeq: this.nextSeq(device),
      now: this.clock,
      items: new Map([rice, oats].map((i) => [i.id, i])),
      hubs: new Set(HUB_IDS),
    };
  }

  private nextSeq(device: string): number {
    return (this.seqs.get(device) ?? 0) + 1;
  }

  /** Appends entries as their devices recorded them; returns the first, for convenience. */
  record<E extends Entry>(...entries: E[]): E {
    for (const e of entries) {
      this.seqs.set(e.device, Math.max(this.seqs.get(e.device) ?? 0, e.seq));
      this.entries.push(e);
    }
    return entries[0]!;
  }

  /** `device` records a donation of `qty` units of `item` at `hub`. */
  donate(device: string, hub: string, qty: number, item: string = rice.id): void {
    const { nextSeq, now, items } = this.ctx(device);
    this.record(
      ...recordDonation(
        { hub, device, nextSeq, now, items },
        { source: 'other', lines: [{ item, quantity: String(qty) }] },
      ),
    );
  }

  /** `device` undoes the entry with id `target` (as the history's Undo button does). */
  undo(device: string, target: string): Entry {
    const row = this.rows().find((r) => r.id === target);
    if (!row) throw new Error(`no entry ${target}`);
    this.clock += MINUTE;
    return this.record(undoEntry({ device, nextSeq: this.nextSeq(device), now: this.clock }, row));
  }

  /** The ledger rows, sorted by id as the database returns them. */
  rows(order: readonly Entry[] = this.entries): LedgerRow[] {
    const p = new Projector();
    for (const e of order) p.apply(e);
    return p.allLedger().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  onHand(hub: string, item: string = rice.id): number {
    const p = new Projector();
    for (const e of this.entries) p.apply(e);
    return p.allStock().find((r) => r.key === stockKey(hub, item))?.onHand ?? 0;
  }

  transfers(order?: readonly Entry[]): TransferView[] {
    return transferViews(this.rows(order));
  }

  /** The one transfer with this id, as the transfers screen shows it. */
  transfer(id: string, order?: readonly Entry[]): TransferView {
    const view = this.transfers(order).find((t) => t.id === id);
    if (!view) throw new Error(`transfer ${id} is not listed`);
    return view;
  }
}

export { idOf };
