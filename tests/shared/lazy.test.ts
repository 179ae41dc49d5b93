import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { lazySchema, once, onceUntilFailed, RETRY_DELAYS_MS, untilDone } from '../../shared/lazy';
import { entrySchema } from '../../shared/entries';

describe('once', () => {
  it('makes its value the first time it is asked for, and only then (undefined too)', () => {
    let made = 0;
    const value = once(() => {
      made++;
      return undefined;
    });
    expect(made).toBe(0);
    expect(value()).toBeUndefined();
    expect(value()).toBeUndefined();
    expect(made).toBe(1);
  });
});

describe('lazySchema', () => {
  const counted = () => {
    let made = 0;
    const schema = lazySchema(() => {
      made++;
      return z.object({ name: z.string().min(1), qty: z.number().int().min(1) });
    });
    return { schema, made: () => made };
  };

  it('is not made until it is used, then once', () => {
    const { schema, made } = counted();
    expect(made()).toBe(0);
    expect(schema.safeParse({ name: 'rice', qty: 2 }).success).toBe(true);
    expect(schema.parse({ name: 'rice', qty: 2 })).toEqual({ name: 'rice', qty: 2 });
    expect(schema.safeParse({ name: '', qty: 0 }).success).toBe(false);
    expect(() => schema.parse({ name: 'rice' })).toThrow();
    expect(made()).toBe(1);
  });

  it('stands for the made schema: the same methods each time, its properties, keys, `in` and `instanceof`', () => {
    const { schema } = counted();
    expect(schema.safeParse).toBe(schema.safeParse);
    expect(Object.keys(schema.shape)).toEqual(['name', 'qty']);
    expect('safeParse' in schema).toBe(true);
    expect('nothing' in schema).toBe(false);
    expect(schema instanceof z.ZodObject).toBe(true);
    expect(Reflect.ownKeys(schema)).toContain('_zod');
    // A method taken off it still works on the made schema (it is bound).
    const { safeParse } = schema;
    expect(safeParse({ name: 'beans', qty: 1 }).success).toBe(true);
  });

  it('can be composed into other schemas, and methods that make new schemas work', () => {
    const { schema } = counted();
    const list = z.array(schema).max(2);
    expect(list.safeParse([{ name: 'a', qty: 1 }]).success).toBe(true);
    expect(list.safeParse([{ name: 'a', qty: 0 }]).success).toBe(false);
    const optional = schema.optional();
    expect(optional.safeParse(undefined).success).toBe(true);
    expect(z.object({ line: schema }).safeParse({ line: { name: 'a', qty: 1 } }).success).toBe(true);
  });

  it('hands out methods bound to the made object, the same each time until the object changes them', () => {
    class Counter {
      n = 1;
      read() {
        return this.n;
      }
      swap() {
        this.read = () => 42;
      }
    }
    const counter = lazySchema(() => new Counter());
    const { read } = counter;
    expect(read()).toBe(1);
    expect(counter.read).toBe(read);
    counter.swap();
    expect(counter.read).not.toBe(read);
    expect(counter.read()).toBe(42);
    expect(counter.n).toBe(1);
    expect(counter instanceof Counter).toBe(true);
  });

  it("reports the made object's own properties as its own, and none it does not have", () => {
    const { schema } = counted();
    const made = z.object({ name: z.string().min(1), qty: z.number().int().min(1) });
    expect(Object.keys(schema).sort()).toEqual(Object.keys(made).sort());
    expect(Object.getOwnPropertyDescriptor(schema, 'nothing')).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(schema, '_zod')).toMatchObject({ configurable: true });
    expect(Object.keys({ ...schema }).sort()).toEqual(Object.keys(made).sort());
  });

  it('cannot be changed through the stand-in', () => {
    const { schema } = counted();
    expect(Reflect.set(schema, 'extra', 1)).toBe(false);
    expect(Reflect.defineProperty(schema, 'extra', { value: 1 })).toBe(false);
    expect(Reflect.deleteProperty(schema, 'shape')).toBe(false);
    expect('extra' in schema).toBe(false);
  });

  it('the entry schema, made lazily, still refuses and accepts as before', () => {
    const entry = {
      kind: 'pickup',
      hub: 'hub00001',
      device: 'dev00001',
      seq: 1,
      item: 'item0001',
      at: Date.UTC(2026, 0, 1),
      recordedAt: Date.UTC(2026, 0, 1),
      qty: 3,
    };
    expect(entrySchema.safeParse(entry).success).toBe(true);
    expect(entrySchema.safeParse({ ...entry, qty: 0 }).success).toBe(false);
    expect(entrySchema.safeParse({ ...entry, kind: 'gift' }).success).toBe(false);
  });
});

describe('onceUntilFailed', () => {
  it('loads once however many ask, while loading and after, and gives each the same result', async () => {
    let loads = 0;
    const load = onceUntilFailed(async () => ({ n: ++loads }));
    const [a, b] = await Promise.all([load(), load()]);
    const c = await load();
    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
  });

  it('does not keep a load that failed: the next ask tries again, and its result is kept', async () => {
    let loads = 0;
    const load = onceUntilFailed(async () => {
      loads++;
      if (loads === 1) throw new Error('Failed to fetch dynamically imported module');
      return loads;
    });
    await expect(load()).rejects.toThrow('Failed to fetch');
    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
    expect(loads).toBe(2);
  });
});

describe('untilDone', () => {
  it('tries again after each failure, waiting longer each time up to the last delay, until it succeeds', async () => {
    let tries = 0;
    const waited: number[] = [];
    const heard: Array<[string, number]> = [];
    const done = await untilDone(
      async () => {
        if (++tries < 5) throw new Error(`no answer ${tries}`);
      },
      {
        stopped: () => false,
        delays: [10, 20, 50],
        sleep: async (ms) => void waited.push(ms),
        onFailure: (error, n) => heard.push([(error as Error).message, n]),
      },
    );
    expect(done).toBe(true);
    expect(tries).toBe(5);
    expect(waited).toEqual([10, 20, 50, 50]);
    expect(heard).toEqual([
      ['no answer 1', 1],
      ['no answer 2', 2],
      ['no answer 3', 3],
      ['no answer 4', 4],
    ]);
  });

  it('succeeding at once waits for nothing and hears of no failure', async () => {
    const waited: number[] = [];
    let failures = 0;
    const done = await untilDone(async () => undefined, {
      stopped: () => false,
      sleep: async (ms) => void waited.push(ms),
      onFailure: () => failures++,
    });
    expect([done, waited, failures]).toEqual([true, [], 0]);
  });

  it('stops trying once told to (the page closed), and says it did not succeed', async () => {
    let tries = 0;
    let stop = false;
    const done = await untilDone(
      async () => {
        tries++;
        throw new Error('no answer');
      },
      {
        stopped: () => stop,
        sleep: async () => {
          if (tries === 3) stop = true;
        },
      },
    );
    expect([done, tries]).toEqual([false, 3]);
    let never = 0;
    expect(await untilDone(async () => void never++, { stopped: () => true })).toBe(false);
    expect(never).toBe(0);
  });

  it('waits the default delays, a second then longer, at most half a minute, with a real timer', async () => {
    expect([...RETRY_DELAYS_MS]).toEqual([1_000, 2_000, 5_000, 10_000, 30_000]);
    vi.useFakeTimers();
    try {
      let tries = 0;
      const run = untilDone(
        async () => {
          if (++tries < 3) throw new Error('no answer');
        },
        { stopped: () => false, delays: [100, 300] },
      );
      await vi.advanceTimersByTimeAsync(99);
      expect(tries).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(tries).toBe(2);
      await vi.advanceTimersByTimeAsync(299);
      expect(tries).toBe(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(await run).toBe(true);
      expect(tries).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
