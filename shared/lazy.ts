/**
 * `make()` the first time it is called, the same value after.
 */
export function once<T>(make: () => T): () => T {
  let made: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      made = make();
      done = true;
    }
    return made as T;
  };
}

/**
 * Like `once` for a promise (a module loaded when first asked for): one load however many ask, and the same
 * result after; but a load that failed is not kept, so the next ask tries again.
 */
export function onceUntilFailed<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = null;
      throw error;
    }));
}

/**
 * A schema (any object) made the first time it is used rather than when its module loads: it stands for
 * the made object in every way (its properties, methods bound to it, `in`, its keys, `instanceof`). Making
 * Larder's zod schemas was most of the script the page ran before its first stock view (about 80 ms of a
 * 144 ms task at the start of a 1M-entry hub, on a 2-core laptop), and that view uses none of them.
 */
export function lazySchema<T extends object>(make: () => T): T {
  const made = once(make);
  // Methods handed out bound to the made object, once each (a parse per entry must not bind each time).
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy({} as T, {
    get(_target, key) {
      const schema = made();
      const value: unknown = Reflect.get(schema, key, schema);
      if (typeof value !== 'function') return value;
      let fn = bound.get(key);
      if (fn === undefined || (fn as { raw?: unknown }).raw !== value) {
        const wrapped = (value as (...args: unknown[]) => unknown).bind(schema) as { raw?: unknown };
        wrapped.raw = value;
        bound.set(key, (fn = wrapped));
      }
      return fn;
    },
    has: (_target, key) => Reflect.has(made(), key),
    ownKeys: () => Reflect.ownKeys(made()),
    getOwnPropertyDescriptor(_target, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(made(), key);
      // The stand-in holds none of them itself: each must be reported as one that may change.
      if (descriptor) descriptor.configurable = true;
      return descriptor;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(made()),
    // Stryker disable ArrowFunction: a trap's result is read as a boolean, so `undefined` refuses as `false` does
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    // Stryker restore ArrowFunction
  });
}

/** How long to wait after each failure of a load tried until it succeeds: the last is repeated. */
export const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000] as const;

/**
 * Runs `task` until it succeeds, waiting `delays[n]` after its n-th failure (the last delay repeated), and
 * telling `onFailure` of each failure. Resolves true once it succeeded, false if `stopped()` said so first
 * (checked before each try). Meant for a load nothing can go on without, on a network that may be away for
 * a moment (a hub's LAN server).
 */
export async function untilDone(
  task: () => Promise<unknown>,
  options: {
    stopped: () => boolean;
    onFailure?: (error: unknown, tries: number) => void;
    delays?: readonly number[];
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<boolean> {
  const delays = options.delays ?? RETRY_DELAYS_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let tries = 0; !options.stopped();) {
    try {
      await task();
      return true;
    } catch (error) {
      tries += 1;
      options.onFailure?.(error, tries);
      await sleep(delays[Math.min(tries, delays.length) - 1] ?? 0);
    }
  }
  return false;
}
