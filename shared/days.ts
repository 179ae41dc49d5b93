/**
 * Calendar days as YYYY-MM-DD keys. The ledger, usage and rooms count days in UTC, the same on every
 * device; what a person reads (a file's date, "expires in 3 days") is in this device's own time zone.
 */
const pad = (n: number) => String(n).padStart(2, '0');

export const DAY_MS = 86_400_000;
/** The last day asked for: a history is read in time order, so most instants fall on the same day. */
let lastDay = NaN;
let lastIso = '';

/** The UTC calendar day of an instant. */
export function utcDay(ms: number): string {
  // The Unix epoch is a UTC midnight: whole multiples of a day are the days' starts.
  const day = Math.floor(ms / DAY_MS);
  // Stryker disable next-line ConditionalExpression: making the day again each time gives the same day, slower
  if (day !== lastDay) {
    lastIso = new Date(day * DAY_MS).toISOString().slice(0, 10);
    lastDay = day;
  }
  return lastIso;
}

/** The calendar day of an instant in this device's time zone. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The local day and minute of an instant, "YYYY-MM-DD HH:MM", as a spreadsheet reads it. */
export function localDateTime(ms: number): string {
  const d = new Date(ms);
  return `${localDay(ms)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Whole local calendar days from the day of `now` to the day `iso` (negative once it has passed). */
export function daysUntil(iso: string, now: number): number {
  const startOfToday = new Date(now);
  startOfToday.setHours(0, 0, 0, 0);
  return Math.round((new Date(`${iso}T00:00:00`).getTime() - startOfToday.getTime()) / 86_400_000);
}
