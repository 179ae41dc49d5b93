import { LarderDB } from '../../renderer/storage/db';
import { serveStore, type Port } from '../../renderer/storage/hostPort';
import { LarderStore } from '../../renderer/storage/store';
import type { WorkerAnswer } from './api';

/*
 * The device's store opened in a dedicated Worker, unchanged: its own Dexie connection to the page's
 * origin's database, the doc loaded and checked there (docs/worker.md). Answers once loaded, then serves the
 * store to the page (renderer/storage/hostPort.ts) until the page ends it.
 */
self.onmessage = async () => {
  self.onmessage = null;
  const t = performance.now();
  let answer: WorkerAnswer;
  try {
    const store = await LarderStore.open(new LarderDB());
    const openMs = performance.now() - t;
    await store.ready;
    answer = { openMs, readyMs: performance.now() - t };
    self.postMessage(answer);
    serveStore(store, self as unknown as Port);
    return;
  } catch (error) {
    answer = {
      openMs: NaN,
      readyMs: NaN,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
  self.postMessage(answer);
};
