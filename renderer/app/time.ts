/** `datetime-local` value (local time) to ms, or null when empty. NaN when unreadable, for the core to refuse. */
export function parseLocalDateTime(value: string): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return ms;
}
