/**
 * A list of names that stays one line's worth however long it is: the first `shown` of them, then how many
 * more ("Hub 24, Hub 01, Hub 40, Hub 35, Hub 29, and 44 more hubs"). '' for none. `list` joins them as the
 * language does (Format.list); `more` says "and N more" in it.
 */
export function namedFirst(
  names: readonly string[],
  shown: number,
  list: (items: readonly string[]) => string,
  more: (count: number) => string,
): string {
  if (names.length <= shown) return list(names);
  return list([...names.slice(0, shown), more(names.length - shown)]);
}
