/**
 * Appends `source` to `target` in place. `target.push(...source)` passes every element as an argument
 * and overflows the call stack past about 120,000 elements (a new device's first sync of a year of
 * history); this does not.
 */
export function appendAll<T>(target: T[], source: readonly T[]): T[] {
  for (const value of source) target.push(value);
  return target;
}

/** `values` by `key`, each group in the order of `values`, the groups in the order their keys first appear. */
export function groupBy<T>(values: Iterable<T>, key: (v: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const v of values) {
    const k = key(v);
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}
