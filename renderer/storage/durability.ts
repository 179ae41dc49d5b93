import type { DBCore, Middleware } from 'dexie';

/**
 * How hard each commit is pressed to disk. The database asks for `strict` (LarderDB's constructor): a commit
 * completes only once it is flushed, so "Saved" survives a power cut on a hub's old laptop, not only a crash.
 * That costs a flush per transaction, and the background work writes hundreds of them: a rebuild writing a
 * million entries' history, the item lists' fill, a large update's backlog.
 *
 * What those write is derived: every projection table is worked out again from the doc (a rebuild, Check data's
 * repair, the fill's mark), and nothing in them was ever acknowledged to anyone on its own. So a transaction
 * that writes projection tables only is `relaxed`: it completes once the operating system has the bytes, and
 * a power cut may lose it. It cannot leave the database in a state no crash could: the browser keeps one
 * journal per database and writes it in order, so a power cut loses only the newest commits, never one
 * before a commit that survived; and every transaction that writes what derives the rest (the doc's rows,
 * the journal of saves, the meta rows: this device, its keys, how far the projection is) stays strict, which
 * flushes every commit before it too.
 */
export function durabilityFor(
  stores: readonly string[],
  mode: 'readonly' | 'readwrite',
  derived: ReadonlySet<string>,
): 'strict' | 'relaxed' | null {
  if (mode !== 'readwrite') return null;
  return stores.length > 0 && stores.every((name) => derived.has(name)) ? 'relaxed' : 'strict';
}

/** A Dexie middleware that makes each readwrite transaction as durable as `durabilityFor` says. */
export function durabilityMiddleware(derived: ReadonlySet<string>): Middleware<DBCore> {
  return {
    stack: 'dbcore',
    name: 'larder-durability',
    create: (down) => ({
      ...down,
      transaction: (stores, mode, options) => {
        const durability = durabilityFor(stores, mode, derived);
        return down.transaction(stores, mode, durability ? { ...options, durability } : options);
      },
    }),
  };
}
