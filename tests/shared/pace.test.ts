import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextTask, pacer } from '../../shared/pace';

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
  it("uses the scheduler's yield where there is one", async () => {
    const yielded = vi.fn(() => Promise.resolve());
    (globalThis as { scheduler?: unknown }).scheduler = { yield: yielded };
    await nextTask();
    expect(yielded).toHaveBeenCalledTimes(1);
  });

  it('else waits for a timer: other tasks run first', async () => {
    const order: string[] = [];
    setTimeout(() => order.push('other task'), 0);
    await nextTask();
    order.push('after the pause');
    expect(order).toEqual(['other task', 'after the pause']);
  });
});
