import { afterEach, describe, expect, it, vi } from 'vitest';
import { afterQuiet, BATCH, inBatches, nextTask, ownBytes, copyBytes, pacer } from '../../shared/pace';

afterEach(() => {
  vi.restoreAllMocks();
  delete (globalThis as { scheduler?: unknown }).scheduler;
});

describe('pacer', () => {
  it('pauses only once the slice has lasted sliceMs, then starts a new slice', async () => {
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    let pauses = 0;
    const breathe = pacer({ sliceMs: 20, pause: async () => void pauses++ });
    now += 19;
    await breathe();
    expect(pauses).toBe(0);
    now += 1;
    await breathe();
    expect(pauses).toBe(1);
    // The slice starts again after the pause.
    now += 19;
    await breathe();
    expect(pauses).toBe(1);
    now += 1;
    await breathe();
    expect(pauses).toBe(2);
  });

  it('slices of 20 ms by default', async () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    let pauses = 0;
    const breathe = pacer({ pause: async () => void pauses++ });
    now = 19.9;
    await breathe();
    expect(pauses).toBe(0);
    now = 20;
    await breathe();
    expect(pauses).toBe(1);
  });
});

describe('nextTask', () => {
  it("posts a task to the page's scheduler where there is one (at its default priority, behind what is queued)", async () => {
    const posted = vi.fn((task: () => void) => Promise.resolve(task()));
    (globalThis as { scheduler?: unknown }).scheduler = { postTask: posted, yield: vi.fn() };
    try {
      await nextTask();
      expect(posted).toHaveBeenCalledTimes(1);
      // No options: the default priority, the one timers and IndexedDB's answers have.
      expect(posted.mock.calls[0]).toHaveLength(1);
    } finally {
      delete (globalThis as { scheduler?: unknown }).scheduler;
    }
  });

  it('else waits for a timer: other tasks run first', async () => {
    const order: string[] = [];
    setTimeout(() => order.push('other task'), 0);
    await nextTask();
    order.push('after the pause');
    expect(order).toEqual(['other task', 'after the pause']);
  });
});

describe('afterQuiet', () => {
  /** A fake clock: `sleep` moves it on, and runs what the test planned for that moment (a commit). */
  function clock(commits: number[]) {
    let now = 0;
    let last = -Infinity;
    const log: string[] = [];
    const planned = [...commits].sort((a, b) => a - b);
    const commitUpTo = (t: number) => {
      while (planned.length > 0 && planned[0]! <= t) last = planned.shift()!;
    };
    commitUpTo(0);
    return {
      log,
      get now() {
        return now;
      },
      quiet: {
        settled: async () => void log.push(`settled@${now}`),
        lastCommitAt: () => last,
        quietMs: 500,
        now: () => now,
        sleep: async (ms: number) => {
          log.push(`sleep ${ms}@${now}`);
          now += ms;
          commitUpTo(now);
        },
      },
    };
  }

  it('goes on at once when nothing was committed for the quiet time', async () => {
    const c = clock([]);
    await afterQuiet(c.quiet);
    expect(c.now).toBe(0);
    expect(c.log).toEqual(['settled@0']);
  });

  it('waits until the quiet time after the last commit, exactly', async () => {
    const c = clock([-200]);
    await afterQuiet(c.quiet);
    expect(c.now).toBe(300);
    expect(c.log).toEqual(['settled@0', 'sleep 300@0', 'settled@300']);
  });

  it('starts the wait again from each commit that comes while it waits', async () => {
    // A volunteer saving pickups 400 ms apart: the background work waits for 500 ms without one.
    const c = clock([0, 400, 800, 1_200]);
    await afterQuiet(c.quiet);
    expect(c.now).toBe(1_700);
    expect(c.log).toEqual([
      'settled@0',
      'sleep 500@0',
      'settled@500',
      'sleep 400@500',
      'settled@900',
      'sleep 400@900',
      'settled@1300',
      'sleep 400@1300',
      'settled@1700',
    ]);
  });

  it('waits for the queued writes first, each time round', async () => {
    const order: string[] = [];
    let now = 0;
    let last = 0;
    await afterQuiet({
      settled: async () => {
        order.push(`settled@${now}`);
        // A save queued before the step commits as the writes settle.
        if (now === 0) last = 100;
      },
      lastCommitAt: () => last,
      quietMs: 500,
      now: () => now,
      sleep: async (ms) => {
        order.push(`sleep ${ms}`);
        now += ms;
      },
    });
    expect(order).toEqual(['settled@0', 'sleep 600', 'settled@600']);
  });
});

describe('inBatches', () => {
  it('checks `size` at a time, in order, other tasks let run between two batches only', async () => {
    let inFlight = 0;
    let most = 0;
    let pauses = 0;
    const seen: number[] = [];
    const check = async (n: number, i: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      seen.push(i);
      await Promise.resolve();
      inFlight--;
      return n * 2;
    };
    const pause = async () => {
      // Every check of the batch before has ended.
      expect(inFlight).toBe(0);
      pauses++;
    };
    const items = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(await inBatches(items, check, 4, pause)).toEqual(items.map((n) => n * 2));
    expect(most).toBe(4);
    expect(pauses).toBe(2);
    expect(seen).toEqual(items.map((_, i) => i));
    // One batch or less: no pause at all (a save's few settings wait for nothing).
    pauses = 0;
    expect(await inBatches([1, 2, 3, 4], check, 4, pause)).toEqual([2, 4, 6, 8]);
    expect(await inBatches([], check, 4, pause)).toEqual([]);
    expect(pauses).toBe(0);
    expect(BATCH).toBe(64);
  });
});

describe('ownBytes', () => {
  it('copies a view into a buffer of its own, a part at a time, breathing after each part', async () => {
    const whole = Uint8Array.from({ length: 100 }, (_, i) => i);
    const view = whole.subarray(10, 35);
    let breaths = 0;
    const own = await ownBytes(view, async () => void breaths++, 10);
    expect([...own]).toEqual([...view]);
    expect(own.buffer.byteLength).toBe(25);
    // 25 bytes in parts of 10: three parts.
    expect(breaths).toBe(3);
    // Its own: the source changing after does not change it.
    whole[10] = 99;
    expect(own[0]).toBe(10);
  });

  it('keeps a view that is its buffer whole, without copying (copyBytes copies it)', async () => {
    const whole = Uint8Array.from([1, 2, 3]);
    expect(await ownBytes(whole, () => Promise.resolve())).toBe(whole);
    const copy = await copyBytes(whole, () => Promise.resolve());
    expect(copy).not.toBe(whole);
    expect(copy.buffer).not.toBe(whole.buffer);
    expect([...copy]).toEqual([1, 2, 3]);
  });
});
