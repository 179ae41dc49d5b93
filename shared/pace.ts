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

interface Scheduling {
  scheduler?: { postTask?: (task: () => void) => Promise<void> };
}

/**
 * Lets other tasks run: every task queued before this pause runs before the work goes on. Where there is
 * one, a task of the page's scheduler at its default priority (`scheduler.postTask`, "user-visible": the
 * priority of timers, IndexedDB's answers and React's renders), which is not clamped as nested timers are
 * (4 ms each after the fifth); else a zero-delay timer.
 *
 * Not `scheduler.yield()`: its continuation resumes ahead of every other task of its priority, so a loop that
 * yields after each slice ran no timer, no IndexedDB answer and no React render until it ended. Measured at
 * a start that rebuilt a million entries' figures: 243 slices of about 20 ms in a row, and not one timer
 * for 5.9-6.3 s (the "Working out the figures" bar, React's, appeared only once they were done).
 */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as Scheduling).scheduler;
  if (typeof scheduler?.postTask === 'function') return scheduler.postTask(() => undefined);
  return new Promise<void>((resolve) => setTimeout(resolve, 0));
}

/**
 * How many asynchronous checks `inBatches` starts at once. 256 kept a blank page's tasks short, but in a page
 * joining a million entries one batch of 256 settings' checks still took a task of 98 ms.
 */
export const BATCH = 64;

/**
 * `check` of every item, `size` at a time, other tasks let run between two batches (`nextTask`; none for a
 * list of one batch or less): the results, in order. For many WebCrypto signature checks: started at once,
 * Chromium ran 5,000 of them in one task of 280 ms, and even in batches of 64 to 256 awaited one after the
 * other, 20,000 ran in one task of 1.1 s; 256 a batch with a task between two, no task reached 50 ms, in
 * the same total time.
 */
export async function inBatches<T, R>(
  items: readonly T[],
  check: (item: T, index: number) => Promise<R>,
  size = BATCH,
  pause: () => Promise<void> = nextTask,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    if (i > 0) await pause();
    const part = await Promise.all(items.slice(i, i + size).map((item, j) => check(item, i + j)));
    for (const r of part) out.push(r);
  }
  return out;
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

/**
 * A copy of `bytes` in a buffer of its own, a part at a time, `breathe` awaited after each part: copied at
 * once, a checkpoint's 6.4 MB of rows held a joining page 90 ms (a new buffer's pages are first touched as it
 * is copied into). Starts copying at once, in the caller's task.
 */
export async function copyBytes(
  bytes: Uint8Array,
  breathe: () => Promise<void>,
  part = 1 << 20,
): Promise<Uint8Array> {
  const out = new Uint8Array(bytes.byteLength);
  for (let at = 0; at < bytes.byteLength; at += part) {
    out.set(bytes.subarray(at, at + part), at);
    await breathe();
  }
  return out;
}

/** `bytes` in a buffer of their own: the same view when it is its buffer's whole, else `copyBytes`. */
export function ownBytes(
  bytes: Uint8Array,
  breathe: () => Promise<void>,
  part?: number,
): Promise<Uint8Array> {
  return bytes.byteLength === bytes.buffer.byteLength
    ? Promise.resolve(bytes)
    : copyBytes(bytes, breathe, part);
}

/** What `afterQuiet` waits on: injected, so that the rule runs on a fake clock in tests. */
export interface Quiet {
  /** Resolves once the writes queued now are done (saves go first). */
  settled: () => Promise<unknown>;
  /** When the last commit came (the same clock as `now`). */
  lastCommitAt: () => number;
  /** How long no commit must have come. */
  quietMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Resolves once the writes queued are done and no commit has come for `quietMs`: background work (a fill
 * of the item lists) takes its next step only then, so that a volunteer saving one pickup after another is
 * not kept waiting behind it. A commit that comes while it sleeps starts the wait again, from that commit.
 */
export async function afterQuiet({ settled, lastCommitAt, quietMs, now, sleep }: Quiet): Promise<void> {
  for (;;) {
    await settled();
    const wait = lastCommitAt() + quietMs - now();
    if (wait <= 0) return;
    await sleep(wait);
  }
}

/** Runs work written as steps (a generator that yields between them) to its end at once. */
export function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Runs work written as steps to its end, awaiting `pause` between steps (`pacer`: other tasks run). */
export async function runStepsPaced<T>(steps: Generator<void, T>, pause: () => Promise<void>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause();
  }
}
