/**
 * How fresh a hub's figures are, as seen on this device: the age of the newest entry from that hub that
 * has arrived here. Figures older than a day are stale; a hub we have never heard from is stale too
 * (there is nothing to vouch for), with an unknown age.
 */
export const HOUR_MS = 3_600_000;
export const STALE_AFTER_MS = 24 * HOUR_MS;

export interface Freshness {
  stale: boolean;
  /** Milliseconds since the hub's newest entry seen here; null when none has been seen. */
  ageMs: number | null;
}

/**
 * `ageMs` is never negative: an entry stamped in the future (a fast clock on the hub's laptop) counts as
 * just made. Exactly `STALE_AFTER_MS` old is still fresh; one millisecond more is stale.
 */
export function freshness(newestEntryAt: number | null, now: number): Freshness {
  if (newestEntryAt === null || !Number.isFinite(newestEntryAt)) return { stale: true, ageMs: null };
  const ageMs = Math.max(0, now - newestEntryAt);
  return { stale: ageMs > STALE_AFTER_MS, ageMs };
}
