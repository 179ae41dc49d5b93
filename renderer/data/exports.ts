import { localDateTime } from '../../shared/days';
import { ownEffect } from '../../shared/entries';
import type { HistoryCsvRow, StockCsvRow } from '../../shared/import';
import { byKey, effectiveLevels } from '../../shared/levels';
import type { StoreHost } from '../storage/host';
import { hubLedgerRows } from '../storage/ledgerRows';

/** A hub's name (or undefined) and its stock, one row per catalog item, as the stock CSV writes it. */
export async function stockForExport(
  store: StoreHost,
  hub: string,
): Promise<{ hubName: string | undefined; rows: StockCsvRow[] }> {
  const db = store.db;
  const [hubRow, items, stock, own, byCategory] = await Promise.all([
    db.hubs.get(hub),
    db.items.orderBy('nameKey').toArray(),
    db.shelf.where('hub').equals(hub).toArray(),
    db.levels.where('hub').equals(hub).toArray(),
    db.categoryLevels.where('hub').equals(hub).toArray(),
  ]);
  const onHand = new Map(stock.map((r) => [r.item, r.onHand]));
  const ownMap = byKey(own);
  const catMap = byKey(byCategory);
  return {
    hubName: hubRow?.name,
    rows: items.map((i) => ({
      name: i.name,
      category: i.category,
      unit: i.unit,
      onHand: onHand.get(i.id) ?? 0,
      levels: effectiveLevels(hub, i, ownMap, catMap),
      packSize: i.packSize,
      barcodes: i.barcodes,
    })),
  };
}

/** A hub's name (or undefined) and every entry at it, oldest first, as the history CSV writes them. */
export async function historyForExport(
  store: StoreHost,
  hub: string,
): Promise<{ hubName: string | undefined; rows: HistoryCsvRow[] }> {
  const db = store.db;
  const [hubRow, items, entries] = await Promise.all([
    db.hubs.get(hub),
    db.items.orderBy('nameKey').toArray(),
    hubLedgerRows(db, hub, -Infinity, Infinity, Infinity).then((rows) => rows.reverse()),
  ]);
  const byId = new Map(items.map((i) => [i.id, i]));
  return {
    hubName: hubRow?.name,
    rows: entries.map((r) => {
      const item = byId.get(r.item);
      return {
        date: localDateTime(r.at),
        entry: r.kind,
        name: item?.name ?? r.item,
        category: item?.category ?? '',
        unit: item?.unit ?? '',
        change: r.kind === 'reversal' ? r.effect : ownEffect(r),
        counted: r.kind === 'count' ? r.counted : undefined,
        note: r.note,
      };
    }),
  };
}
