/**
 * Days of cover: how long a hub's stock of an item lasts at the rate it has been handed out lately.
 * The rate is averaged over the days the hub was open (recorded anything at all) in the last two weeks,
 * so a hub that opens twice a week is not credited with five idle days of zero pickups.
 */
import { utcDay } from '../days';

export const DAYS_WINDOW = 14;
/** Items that will run out within this many days are flagged before they cross the minimum. */
export const RUNNING_OUT_DAYS = 3;

const DAY_MS = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayNumber(day: string): number {
  const ms = ISO_DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms)) throw new Error(`not a date (YYYY-MM-DD): ${day}`);
  return ms / DAY_MS;
}

/** The calendar day (UTC) of a time, as YYYY-MM-DD. */
export { utcDay };

/** The `days` calendar days ending with `today` (included), oldest first. */
export function windowDays(today: string, days = DAYS_WINDOW): string[] {
  const last = dayNumber(today);
  const out: string[] = [];
  for (let d = last - days + 1; d <= last; d++) out.push(utcDay(d * DAY_MS));
  return out;
}

/**
 * Average units picked up per active day over the last `DAYS_WINDOW` days, today included. A day is
 * active if the hub recorded anything that day; a day with pickups is active by definition, so the two
 * inputs cannot contradict each other. Days outside the window are ignored. 0 when no day was active.
 */
export function pickupRate(
  pickupsByDay: ReadonlyMap<string, number>,
  activeDays: ReadonlySet<string>,
  today: string,
  /** `windowDays(today)`, when the caller works out many rates for one day (making it is most of the work). */
  window: readonly string[] = windowDays(today),
): number {
  let total = 0;
  let active = 0;
  for (const day of window) {
    const units = pickupsByDay.get(day) ?? 0;
    if (!activeDays.has(day) && units === 0) continue;
    active += 1;
    total += units;
  }
  return active === 0 ? 0 : total / active;
}

/**
 * Days until the stock runs out at `ratePerDay`: 0 when already out (on hand 0 or less), null when
 * nothing is being handed out (it never runs out at the current use). Not rounded: 10 units at 4 a day
 * is 2.5 days.
 */
export function daysOfCover(onHand: number, ratePerDay: number): number | null {
  if (onHand <= 0) return 0;
  if (!(ratePerDay > 0)) return null;
  return onHand / ratePerDay;
}

export function runsOutSoon(cover: number | null): boolean {
  return cover !== null && cover <= RUNNING_OUT_DAYS;
}
