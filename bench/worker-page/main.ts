import { liveQuery } from 'dexie';
import { LarderDB } from '../../renderer/storage/db';
import { PortHost, type Port } from '../../renderer/storage/hostPort';
import type { StoreHost } from '../../renderer/storage/host';
import { LarderStore } from '../../renderer/storage/store';
import type { StoreOpen, WorkerAnswer, WorkerBench } from './api';

/*
 * The store opened on the page, as the app does now, or in a dedicated Worker (docs/worker.md, point 1 of
 * issue 11), on the same origin as the app (its database): how long each takes, and how the page answers
 * meanwhile. Served beside the app by bench/worker-load.ts.
 */

declare global {
  interface Window {
    larderWorkerBench: WorkerBench;
  }
}

/** Watches the page while `work` runs: long tasks, and how late a 10 ms timer comes. */
async function watched<T>(work: () => Promise<T>) {
  let longTasks = 0;
  let longest = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      longTasks++;
      longest = Math.max(longest, e.duration);
    }
  });
  observer.observe({ type: 'longtask' });
  let waiting = true;
  let longestWait = 0;
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    longestWait = Math.max(longestWait, now - last - 10);
    last = now;
    if (waiting) setTimeout(tick, 10);
  };
  setTimeout(tick, 10);
  const result = await work();
  waiting = false;
  // Long tasks are reported after they end: a moment for the last one.
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  return { result, longTasks, longest, longestWait };
}

const heap = () => {
  const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
  return memory ? memory.usedJSHeapSize / 2 ** 20 : null;
};

/**
 * `n` pickups of one item recorded one after the other through `store`, each timed to its answer and to the
 * moment a live query on the page (as the stock screen's) shows its figure; the page watched.
 */
async function pickups(store: StoreHost, n: number) {
  const self = store.self;
  const first = await store.db.shelf
    .where('hub')
    .equals(self?.hubId ?? '')
    .first();
  if (!first) throw new Error('no stock row of this device’s hub to record pickups of');
  let seen = first.onHand;
  let waiting: { onHand: number; resolve: () => void } | null = null;
  const watching = liveQuery(() => store.db.shelf.get(first.key)).subscribe((row) => {
    seen = row?.onHand ?? NaN;
    if (waiting && seen === waiting.onHand) waiting.resolve();
  });
  const { result, longest } = await watched(async () => {
    const answered: number[] = [];
    const shown: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const onHand = seen - 1;
      const showing = new Promise<void>((resolve) => (waiting = { onHand, resolve }));
      if (seen === onHand) waiting!.resolve();
      await store.recordPickup({ acknowledgeBelowZero: true, lines: [{ item: first.item, quantity: '1' }] });
      answered.push(performance.now() - t);
      await showing;
      shown.push(performance.now() - t);
    }
    return { answered, shown };
  });
  watching.unsubscribe();
  return { pickupMs: result.answered, pickupShownMs: result.shown, pickupsLongestTaskMs: longest };
}

window.larderWorkerBench = {
  async open(where, n) {
    const t = performance.now();
    if (where === 'page') {
      const { result, longTasks, longest, longestWait } = await watched(async () => {
        const store = await LarderStore.open(new LarderDB());
        const openMs = performance.now() - t;
        await store.ready;
        const readyMs = performance.now() - t;
        const heapMB = heap();
        return { openMs, readyMs, heapMB, store };
      });
      const saved = await pickups(result.store, n);
      result.store.close();
      return {
        where,
        openMs: result.openMs,
        readyMs: result.readyMs,
        heapMB: result.heapMB,
        ...saved,
        pageLongTasks: longTasks,
        pageLongestTaskMs: longest,
        pageLongestWaitMs: longestWait,
      } satisfies StoreOpen;
    }
    const worker = new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' });
    const { result, longTasks, longest, longestWait } = await watched(
      () =>
        new Promise<WorkerAnswer>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<WorkerAnswer>) => resolve(event.data);
          worker.onerror = (event) => reject(new Error(event.message));
          worker.postMessage('open');
        }),
    );
    if (result.error) throw new Error(`the store did not open in the worker: ${result.error}`);
    const host = await PortHost.connect(new LarderDB(), worker as unknown as Port);
    worker.onerror = (event) => host.stop(new Error(`the store's worker stopped: ${event.message}`));
    const saved = await pickups(host, n);
    worker.terminate();
    host.db.close();
    return {
      where,
      openMs: result.openMs,
      readyMs: result.readyMs,
      pageLongTasks: longTasks,
      pageLongestTaskMs: longest,
      pageLongestWaitMs: longestWait,
      heapMB: heap(),
      ...saved,
    } satisfies StoreOpen;
  },
};
document.getElementById('status')!.textContent = 'ready';
