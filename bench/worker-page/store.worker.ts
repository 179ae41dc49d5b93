import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import type { WorkerAnswer } from './api';

/*
 * The device's store opened in a dedicated Worker, unchanged: its own Dexie connection to the page's
 * origin's database, the doc loaded and checked there (docs/worker.md). Answers once loaded, then closes.
 */
self.onmessage = async () => {
  const t = performance.now();
  let answer: WorkerAnswer;
  try {
    const store = await LarderStore.open(new LarderDB());
    const openMs = performance.now() - t;
    await store.ready;
    answer = { openMs, readyMs: performance.now() - t };
    store.close();
  } catch (error) {
    answer = {
      openMs: NaN,
      readyMs: NaN,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
  self.postMessage(answer);
};
