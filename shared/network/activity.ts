import type { Entry } from '../entries';
import { hubKey as stockKey } from '../keys';
import { pickupRate, utcDay, windowDays } from './cover';

/** A ledger line as these helpers need it: `reversedBy` is set on an entry that was undone. */
export type ActivityRow = Entry & { reversedBy?: string };

export interface HubActivity {
  /** Days (YYYY-MM-DD) on which the hub recorded anything at all, undos included. */
  activeDays: Set<string>;
  /** Units picked up, per item, per day; undone pickups left out. */
  pickupsByItem: Map<string, Map<string, number>>;
}

/**
 * Per hub, the days it was active and its pickups per item and day, by when things happened (`at`,
 * which a volunteer may backdate from a paper note). `dayOf` maps a time to the hub's calendar day;
 * UTC by default.
 */
export function dailyActivity(
  rows: Iterable<ActivityRow>,
  dayOf: (ms: number) => string = utcDay,
): Map<string, HubActivity> {
  const out = new Map<string, HubActivity>();
  for (const row of rows) {
    let hub = out.get(row.hub);
    if (!hub) {
      hub = { activeDays: new Set(), pickupsByItem: new Map() };
      out.set(row.hub, hub);
    }
    const day = dayOf(row.at);
    hub.activeDays.add(day);
    if (row.kind !== 'pickup' || row.reversedBy !== undefined) continue;
    let days = hub.pickupsByItem.get(row.item);
    if (!days) {
      days = new Map();
      hub.pickupsByItem.set(row.item, days);
    }
    days.set(day, (days.get(day) ?? 0) + row.qty);
  }
  return out;
}

/** Pickup rate per `hub|item` (see `pickupRate`), for every item a hub handed out. */
export function pickupRates(
  rows: Iterable<ActivityRow>,
  today: string,
  dayOf: (ms: number) => string = utcDay,
): Map<string, number> {
  const rates = new Map<string, number>();
  const window = windowDays(today);
  for (const [hub, activity] of dailyActivity(rows, dayOf)) {
    for (const [item, days] of activity.pickupsByItem) {
      rates.set(stockKey(hub, item), pickupRate(days, activity.activeDays, today, window));
    }
  }
  return rates;
}

/**
 * The newest entry from each hub seen on this device, by when it was recorded (`recordedAt`): a hub
 * that has just typed in last week's paper notes has fresh figures.
 */
export function newestEntryByHub(rows: Iterable<Pick<Entry, 'hub' | 'recordedAt'>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of rows) out.set(row.hub, Math.max(out.get(row.hub) ?? -Infinity, row.recordedAt));
  return out;
}
