import { hubKey } from '../keys';
import type { UsageRow } from '../projection';
import { pickupRate, windowDays } from './cover';

/**
 * Pickup rates per `hub|item` from the projected daily usage rows: units handed out per day on which
 * the hub recorded anything, over the last 14 days (see `pickupRate`).
 */
export function ratesFromUsage(rows: Iterable<UsageRow>, today: string): Map<string, number> {
  const days = windowDays(today);
  const window = new Set(days);
  const byHub = new Map<string, { active: Set<string>; pickups: Map<string, Map<string, number>> }>();
  for (const row of rows) {
    if (!window.has(row.day) || row.entries <= 0) continue;
    let hub = byHub.get(row.hub);
    if (!hub) {
      hub = { active: new Set(), pickups: new Map() };
      byHub.set(row.hub, hub);
    }
    hub.active.add(row.day);
    for (const [item, qty] of Object.entries(row.pickups)) {
      let days = hub.pickups.get(item);
      if (!days) {
        days = new Map();
        hub.pickups.set(item, days);
      }
      days.set(row.day, (days.get(row.day) ?? 0) + qty);
    }
  }
  const rates = new Map<string, number>();
  for (const [hub, { active, pickups }] of byHub) {
    for (const [item, byDay] of pickups) rates.set(hubKey(hub, item), pickupRate(byDay, active, today, days));
  }
  return rates;
}
