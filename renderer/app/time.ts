/** `datetime-local` value (local time) to ms, or null when empty. NaN when unreadable, for the core to refuse. */
export function parseLocalDateTime(value: string): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return ms;
}

export function daysUntil(iso: string, now: number): number {
  const startOfToday = new Date(now);
  startOfToday.setHours(0, 0, 0, 0);
  return Math.round((new Date(`${iso}T00:00:00`).getTime() - startOfToday.getTime()) / 86_400_000);
}
