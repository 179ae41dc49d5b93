/**
 * Rows about one thing at one hub (its stock of an item, its levels for an item or a category, a day's
 * usage, a position in the network view) are keyed `hub|thing`. A hub id never holds a `|` (ID_PATTERN),
 * so the first `|` splits a key back whatever the thing is (a category name may hold one).
 */
export function hubKey(hub: string, thing: string): string {
  return `${hub}|${thing}`;
}

/** The hub and the thing of a `hub|thing` key. */
export function splitHubKey(key: string): { hub: string; thing: string } {
  const bar = key.indexOf('|');
  if (bar < 0) throw new Error(`not a hub|thing key: ${key}`);
  return { hub: key.slice(0, bar), thing: key.slice(bar + 1) };
}
