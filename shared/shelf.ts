import type { StockRow } from './projection';
import { nextExpiry } from './status';

/**
 * A stock row as the screens read it: its figures and its next expiry, without the expiry lots it comes
 * from. The lots grow with history (one per expiry day ever donated, for as long as the hub keeps that
 * item), so a screen that read the stock rows read them all back from IndexedDB and sorted them again on
 * every render: at 10M entries that was most of the first stock view's longest task. These rows stay the
 * same size whatever the history.
 *
 * Derived from the stock row and nothing else (the projection's fold gives the same stock row for any
 * order of arrival, so every device derives the same shelf row): a save writes the shelf rows of the stock
 * rows it changed, in the same transaction; a rebuild and a checkpoint's seed write them from their stock
 * rows; Check data compares them.
 */
export interface ShelfRow {
  /** `hub|item`, as the stock row's. */
  key: string;
  hub: string;
  item: string;
  onHand: number;
  /** The soonest expiry among the units on hand (`nextExpiry`), null when nothing dated is left. */
  expiry: string | null;
  lastCountAt: number | null;
  lastWarnAt: number | null;
}

/** A stock row's shelf row. */
export function shelfRow(row: StockRow): ShelfRow {
  return {
    key: row.key,
    hub: row.hub,
    item: row.item,
    onHand: row.onHand,
    expiry: nextExpiry(row),
    lastCountAt: row.lastCountAt,
    lastWarnAt: row.lastWarnAt,
  };
}

/** The shelf rows of these stock rows, in their order. */
export function shelfRows(rows: Iterable<StockRow>): ShelfRow[] {
  const out: ShelfRow[] = [];
  for (const row of rows) out.push(shelfRow(row));
  return out;
}
