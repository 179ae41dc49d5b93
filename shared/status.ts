import type { StockRow } from './projection';

export interface Levels {
  min: number;
  target: number;
}

export type StockStatus = 'out' | 'low' | 'ok';

export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export function stockStatus(onHand: number, levels?: Levels): StockStatus {
  if (onHand <= 0) return 'out';
  if (levels && onHand < levels.min) return 'low';
  return 'ok';
}

/** A pickup went below zero after the last count, or the figure is negative: someone should count. */
export function countNeeded(row: Pick<StockRow, 'onHand' | 'lastCountAt' | 'lastWarnAt'>): boolean {
  if (row.onHand < 0) return true;
  return row.lastWarnAt !== null && (row.lastCountAt === null || row.lastWarnAt > row.lastCountAt);
}

/**
 * The soonest expiry among the units still on hand, assuming the hub hands out what expires first
 * (first-expired, first-out) and that undated units last longest. Null when nothing dated is left.
 */
export function nextExpiry(row: Pick<StockRow, 'onHand' | 'lots'>): string | null {
  let remaining = row.onHand;
  if (remaining <= 0) return null;
  const dated = Object.entries(row.lots)
    .filter(([, q]) => q > 0)
    .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0)); // latest expiry first
  const datedTotal = dated.reduce((s, [, q]) => s + q, 0);
  remaining -= Math.max(0, remaining - datedTotal); // undated units: assumed to stay longest
  let soonest: string | null = null;
  for (const [day, q] of dated) {
    if (remaining <= 0) break;
    soonest = day;
    remaining -= q;
  }
  return soonest;
}

export function expiresWithin(day: string | null, now: number, days = EXPIRY_WARNING_DAYS): boolean {
  if (day === null) return false;
  return Date.parse(`${day}T00:00:00Z`) - now <= days * DAY_MS;
}
