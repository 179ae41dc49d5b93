import { useLiveQuery } from 'dexie-react-hooks';
import Dexie from 'dexie';
import { useMemo } from 'react';
import { networkView, ratesFromUsage, utcDay, windowDays, type NetworkFilter } from '../../shared/network';
import { inTransitOf } from '../../shared/network/transit';
import { transferViews, type TransferView } from '../../shared/transfers';
import type { HubRow, ItemRow } from '../storage/db';
import { effectiveLevels } from './levels';
import { useStore } from './StoreContext';

export interface HubWithFreshness extends HubRow {
  newestEntryAt: number | null;
}

/**
 * Everything the coordinator's screens need, read from the projected tables: hubs with the time of
 * their newest entry seen here, the catalog, every hub's stock with its effective levels and pickup
 * rate, and the transfers.
 */
export function useNetworkData(filter: NetworkFilter = {}) {
  const store = useStore();
  const now = Date.now();
  const today = utcDay(now);
  const raw = useLiveQuery(async () => {
    const db = store.db;
    const since = windowDays(today)[0]!;
    const [hubs, items, stock, levels, categoryLevels, usage, transferRows] = await Promise.all([
      db.hubs.toArray(),
      db.items.orderBy('nameKey').toArray(),
      db.stock.toArray(),
      db.levels.toArray(),
      db.categoryLevels.toArray(),
      db.usage.where('day').aboveOrEqual(since).toArray(),
      db.ledger.where('root').above('').toArray(),
    ]);
    const withNewest: HubWithFreshness[] = await Promise.all(
      hubs.map(async (h) => {
        const newest = await db.ledger
          .where('[hub+at]')
          .between([h.id, Dexie.minKey], [h.id, Dexie.maxKey])
          .last();
        return { ...h, newestEntryAt: newest?.at ?? null };
      }),
    );
    return { hubs: withNewest, items, stock, levels, categoryLevels, usage, transferRows };
  }, [today]);

  return useMemo(() => {
    if (!raw) return undefined;
    const itemsById = new Map<string, ItemRow>(raw.items.map((i) => [i.id, i]));
    const own = new Map(raw.levels.map((l) => [l.key, l]));
    const byCategory = new Map(raw.categoryLevels.map((l) => [l.key, l]));
    const rates = ratesFromUsage(raw.usage, today);
    const positions = raw.stock.map((s) => {
      const item = itemsById.get(s.item);
      return {
        hub: s.hub,
        item: s.item,
        onHand: s.onHand,
        levels: item ? effectiveLevels(s.hub, item, own, byCategory) : undefined,
        rate: rates.get(s.key) ?? 0,
      };
    });
    // Items with levels but no entry yet at a hub are short there too: they need a position.
    const seen = new Set(raw.stock.map((s) => s.key));
    for (const hub of raw.hubs) {
      for (const item of raw.items) {
        const key = `${hub.id}|${item.id}`;
        if (seen.has(key)) continue;
        const levels = effectiveLevels(hub.id, item, own, byCategory);
        if (levels && levels.min > 0)
          positions.push({ hub: hub.id, item: item.id, onHand: 0, levels, rate: 0 });
      }
    }
    const transfers: TransferView[] = transferViews(raw.transferRows);
    const view = networkView({
      now,
      hubs: raw.hubs.map((h) => ({ id: h.id, name: h.name, newestEntryAt: h.newestEntryAt })),
      items: raw.items,
      positions,
      inTransit: inTransitOf(transfers),
      filter,
    });
    return { now, hubs: raw.hubs, items: raw.items, itemsById, positions, transfers, view };
    // `now` moves every render; the figures only need it when the data changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [raw, today, filter.category, filter.hub]);
}
