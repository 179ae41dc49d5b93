/** One open of the device's store (`LarderStore.open`, then `store.ready`: the doc loaded). */
export interface StoreOpen {
  where: 'page' | 'worker';
  /** `LarderStore.open()` resolved (the device's row read), ms from the start. */
  openMs: number;
  /** `store.ready` resolved: the doc is loaded and checked. */
  readyMs: number;
  /** The page's long tasks (over 50 ms) meanwhile: how many, and the longest (0: none). */
  pageLongTasks: number;
  pageLongestTaskMs: number;
  /** The page's longest wait for a 10 ms timer meanwhile, past its 10 ms: how long it could not answer. */
  pageLongestWaitMs: number;
  /** The heap of the context that held the store, once loaded (MB; the page's own in the worker run). */
  heapMB: number | null;
  /**
   * Pickups recorded one after the other once loaded, each timed from the page's call to its answer: on the
   * page, the store's own command; in the worker run, through the port (renderer/storage/hostPort.ts).
   */
  pickupMs: number[];
  /** The same, to the moment a live query on the page showed the new figure (Dexie tells the page of a Worker's commit). */
  pickupShownMs: number[];
  /** The page's longest task while they were saved (0: none over 50 ms). */
  pickupsLongestTaskMs: number;
}

/** What the page exposes as `window.larderWorkerBench`. */
export interface WorkerBench {
  open(where: 'page' | 'worker', pickups: number): Promise<StoreOpen>;
}

/** What the worker answers. */
export interface WorkerAnswer {
  openMs: number;
  readyMs: number;
  error?: string;
}
