/**
 * Appends `source` to `target` in place. `target.push(...source)` passes every element as an argument
 * and overflows the call stack past about 120,000 elements (a new device's first sync of a year of
 * history); this does not.
 */
export function appendAll<T>(target: T[], source: readonly T[]): T[] {
  for (const value of source) target.push(value);
  return target;
}
