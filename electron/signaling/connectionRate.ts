/**
 * New connections per remote address: a token bucket per address (`burst` connections at once, then
 * `perSecond`), in a table of bounded size. Pure apart from the clock it is given.
 *
 * The table holds only addresses whose bucket is not full: an address idle for `burst / perSecond`
 * seconds has a full bucket again, the same as an address never seen, so its entry is dropped. Entries
 * are kept in the order they were last used (a Map re-inserted on use), so idle ones are at the front
 * and are swept from there at each new connection, at a cost of one step per entry dropped.
 *
 * Past `maxAddresses` busy entries (a flood from many addresses: an IPv6 attacker has 65,536 /64s in a
 * /48), addresses not in the table share one overflow bucket of the same size, instead of evicting an
 * entry that is not idle: evicting would hand a busy address a fresh bucket, and the flood would set its
 * own limits. Addresses already in the table, honest ones among them, keep their own buckets.
 */
export interface ConnectionRateOptions {
  /** Connections one address may open at once after being idle. */
  burst: number;
  /** Connections per second one address may open after its burst. */
  perSecond: number;
  /** Addresses with a bucket of their own; the rest share one. */
  maxAddresses: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export type RateVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

export class ConnectionRate {
  private readonly buckets = new Map<string, Bucket>();
  private readonly overflow: Bucket;
  /** How long an unused bucket takes to fill up again. */
  private readonly idleMs: number;

  constructor(
    private readonly options: ConnectionRateOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const [name, value] of Object.entries(options)) {
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
        throw new Error(`Connection rate: ${name} must be a positive number, got ${String(value)}`);
    }
    if (!Number.isInteger(options.maxAddresses))
      throw new Error(`Connection rate: maxAddresses must be an integer, got ${options.maxAddresses}`);
    this.idleMs = (options.burst / options.perSecond) * 1000;
    this.overflow = { tokens: options.burst, at: now() };
  }

  /** Addresses with a bucket of their own now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one connection from the address's bucket; refused when it is empty. */
  take(address: string): RateVerdict {
    const now = this.now();
    this.sweep(now);
    let bucket = this.buckets.get(address);
    if (bucket) {
      this.buckets.delete(address);
    } else if (this.buckets.size < this.options.maxAddresses) {
      bucket = { tokens: this.options.burst, at: now };
    }
    const target = bucket ?? this.overflow;
    target.tokens = Math.min(
      this.options.burst,
      target.tokens + ((now - target.at) / 1000) * this.options.perSecond,
    );
    target.at = now;
    if (bucket) this.buckets.set(address, bucket);
    if (target.tokens < 1) {
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - target.tokens) / this.options.perSecond)),
      };
    }
    target.tokens -= 1;
    return { ok: true };
  }

  /** Drops the entries at the front that have been idle long enough to be full again. */
  private sweep(now: number): void {
    for (const [address, bucket] of this.buckets) {
      if (now - bucket.at < this.idleMs) return;
      this.buckets.delete(address);
    }
  }
}
