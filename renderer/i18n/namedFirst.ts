/**
 * A list of names that stays one line's worth however long it is: the first `shown` of them, then how many
 * more ("Hub 24, Hub 01, Hub 40, Hub 35, Hub 29, and 44 more hubs"). '' for none. `list` joins them as the
 * language does (Format.list); `more` says "and N more" in it. `name` names a thing: only the ones shown are
 * named (the needs sheet names a hub with its share, a translation each: at 2,000 items needed at 47 hubs,
 * naming them all was most of 3 s of rendering).
 */
export function namedFirst<T = string>(
  things: readonly T[],
  shown: number,
  list: (items: readonly string[]) => string,
  more: (count: number) => string,
  name: (thing: T) => string = String,
): string {
  const named = things.slice(0, shown).map((thing) => name(thing));
  return things.length <= shown ? list(named) : list([...named, more(things.length - shown)]);
}
