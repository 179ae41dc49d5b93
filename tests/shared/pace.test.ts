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
