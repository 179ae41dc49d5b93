import { appendAll } from '../../shared/arrays';
import { utcDay } from '../../shared/days';
import { windowDays } from '../../shared/network/cover';
import type { OnHandRow } from '../../shared/onHand';
import type { LedgerRow, UsageRow } from '../../shared/projection';
import { openTransferLedgerRows } from '../storage/ledgerIndex';
import type { CategoryLevelsRow, ItemRow, LarderDB } from '../storage/db';
import type { HubLevelsRow } from '../../shared/hubLevels';
import type { StoreHost } from '../storage/host';
import { hubsWithNewest, type HubWithFreshness } from './newest';
import { NETWORK_READ_MARK, NETWORK_READING_MARK } from '../storage/marks';

/** Everything the network view is built from, as read from the projections at one moment. */
export interface NetworkRows {
  /** When they were read: the view's "now" (days of cover, freshness). */
  now: number;
  hubs: HubWithFreshness[];
  items: ItemRow[];
  onHand: OnHandRow[];
  /** Every hub's own levels, in few rows (shared/hubLevels.ts). */
  levels: HubLevelsRow[];
  categoryLevels: CategoryLevelsRow[];
  usage: UsageRow[];
  /** The ledger rows of the open transfers (asked for, on their way, or a difference to settle). */
  transfers: LedgerRow[];
  /** How long the reads took, in ms: the rows, then the hubs' newest entries. */
  readMs: number;
  newestMs: number;
}

/**
 * Reads every row the network view needs. Small and in the app's first module on purpose: a coordinator's
 * device that opens on the Network screen starts these reads as the database opens (`startNetworkReads`),
 * beside the store's opening and the screen's module, instead of after both.
 */
export async function readNetworkRows(db: LarderDB, first = false): Promise<NetworkRows> {
  const now = Date.now();
  const t0 = performance.now();
  if (first) performance.mark(NETWORK_READING_MARK);
  const [hubs, items, onHand, levels, categoryLevels, usage, transfers] = await Promise.all([
    db.hubs.toArray(),
    db.items.orderBy('nameKey').toArray(),
    // The figures in few rows (shared/onHand.ts), not a stock row per hub and item.
    db.onHand.toArray(),
    // Likewise the levels: 30,000 levels rows (50 hubs, 600 items each) took 460 ms to read, these 3,200 far less.
    db.hubLevels.toArray(),
    db.categoryLevels.toArray(),
    usageInWindow(db, now),
    openTransferLedgerRows(db),
  ]);
  const t1 = performance.now();
  const withNewest = await hubsWithNewest(db, hubs);
  const t2 = performance.now();
  if (first) performance.mark(NETWORK_READ_MARK);
  return {
    now,
    hubs: withNewest,
    items,
    onHand,
    levels,
    categoryLevels,
    usage,
    transfers,
    readMs: t1 - t0,
    newestMs: t2 - t1,
  };
}

/**
 * The usage rows of the days the pickup rates count (`windowDays`), a day at a time. In one request, at ten
 * million entries (260 rows of 500 items each), IndexedDB's answer was turned into objects in one task of
 * 90-110 ms before the screen's first rows; a request per day, all at once, did not help (their answers came
 * in one task too). A day's rows take 6-10 ms, each in a task of its own; the database answers requests one
 * after another anyway. Three days at a time took 40 ms off the reads at a million entries but added 130 ms
 * to the first view at ten million, with a task of 142 ms (their answers came together). (Rows of later
 * days, a device's clock ahead, never count: `ratesFromUsage`.)
 */
export async function usageInWindow(db: LarderDB, now: number): Promise<UsageRow[]> {
  const rows: UsageRow[] = [];
  for (const day of windowDays(utcDay(now)))
    appendAll(rows, await db.usage.where('day').equals(day).toArray());
  return rows;
}

/** Reads started before a network model was made for the store (at most one per store). */
const early = new WeakMap<StoreHost, Promise<NetworkRows>>();

/**
 * Starts the network view's reads now, for the model made moments later to take (`takeNetworkReads`).
 * Nothing is written to the projections before the store's parts are loaded (after the first view), so
 * the rows read here are the ones the model would read itself (the model checks: NetworkModel `early`).
 */
export function startNetworkReads(store: StoreHost): void {
  if (early.has(store)) return;
  const reads = readNetworkRows(store.db, true);
  // Not waited for if the screen is not shown after all; the model reads again if they failed.
  reads.catch(() => undefined);
  early.set(store, reads);
}

/** The reads `startNetworkReads` started for `store`, once: null if none were started (or already taken). */
export function takeNetworkReads(store: StoreHost): Promise<NetworkRows> | null {
  const reads = early.get(store) ?? null;
  early.delete(store);
  return reads;
}
