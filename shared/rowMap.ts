/**
 * A map from string keys to many values (a rebuild's million ledger rows), iterated in the order keys were
 * first set, as a Map is. A Map of a million keys copies all of them into a new table each time it doubles:
 * folding a history, the 524,288th row held a page 106 ms (and at ten million, the 8,388,608th far longer).
 * Here the keys are spread over 2^SHARD_BITS maps (64), each a sixty-fourth as large when it grows, and the
 * values are kept in an array (an array that doubles copies pointers only, without hashing).
 */
const SHARD_BITS = 6;

export class RowMap<V> {
  private readonly shards: Map<string, number>[] = Array.from({ length: 1 << SHARD_BITS }, () => new Map());
  private readonly rows: V[] = [];

  private shard(key: string): Map<string, number> {
    // The last characters of an entry id (`device.seq`) are its sequence number's, mixed (Fibonacci
    // hashing) so that digits spread evenly.
    const n = key.length;
    const h = Math.imul(
      key.charCodeAt(n - 1) | (key.charCodeAt(n - 2) << 8) | (key.charCodeAt(n - 3) << 16),
      0x9e3779b1,
    );
    return this.shards[h >>> (32 - SHARD_BITS)]!;
  }

  get size(): number {
    return this.rows.length;
  }

  get(key: string): V | undefined {
    const at = this.shard(key).get(key);
    return at === undefined ? undefined : this.rows[at];
  }

  has(key: string): boolean {
    return this.shard(key).has(key);
  }

  set(key: string, value: V): this {
    const shard = this.shard(key);
    const at = shard.get(key);
    if (at === undefined) {
      shard.set(key, this.rows.length);
      this.rows.push(value);
    } else this.rows[at] = value;
    return this;
  }

  values(): IterableIterator<V> {
    return this.rows.values();
  }
}
