/**
 * Long synchronous work in a page (a rebuild folding a whole history, hashing it ahead of the gate) holds
 * the page: no click, key or paint until it ends. Cut into slices of about `sliceMs`, with other tasks
 * let run between them, the page stays usable while the work goes on.
 */
export interface PaceOptions {
  /** Work for about this long, then let other tasks run (default 20 ms). */
  sliceMs?: number;
  /** How to let other tasks run (default: the scheduler's yield where there is one, else a zero-delay timer). */
  pause?: () => Promise<void>;
}

export const SLICE_MS = 20;

interface Yielding {
  scheduler?: { yield?: () => Promise<void> };
}

/**
 * Lets other tasks run. Chromium's `scheduler.yield()` resumes ahead of other queued work and is not
 * clamped as nested timers are (4 ms each after the fifth).
 */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as Yielding).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/**
 * A function to await often inside a long loop: it returns at once until the slice has lasted `sliceMs`,
 * then lets other tasks run and starts the next slice.
 */
export function pacer(options: PaceOptions = {}): () => Promise<void> {
  const sliceMs = options.sliceMs ?? SLICE_MS;
  const pause = options.pause ?? nextTask;
  let sliceStart = performance.now();
  return async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    await pause();
    sliceStart = performance.now();
  };
}
