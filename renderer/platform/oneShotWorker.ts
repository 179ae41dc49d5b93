/**
 * A dedicated worker started for one request and ended with its answer (its heap goes with it): for work
 * that would hold the page for seconds and that needs nothing of the page's but what it is sent (a
 * checkpoint's tables encoded, a sync file opened). The worker answers `{ reply }`, or `{ error }` with the
 * message of what went wrong.
 */
export type WorkerAnswer<Reply> = { reply: Reply } | { error: string };

/** Sends `request` to the worker `start` starts (copied, or moved for `transfer`); resolves with its reply. */
export function askOwnWorker<Request, Reply>(
  start: () => Worker,
  name: string,
  request: Request,
  transfer: Transferable[] = [],
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const worker = start();
    worker.onmessage = (event: MessageEvent<WorkerAnswer<Reply>>) => {
      worker.terminate();
      const answer = event.data;
      if ('reply' in answer) resolve(answer.reply);
      else reject(new Error(`${name}: ${answer.error}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`${name}: ${event.message}`));
    };
    worker.onmessageerror = () => {
      worker.terminate();
      reject(new Error(`${name}: its answer could not be read`));
    };
    worker.postMessage(request, transfer);
  });
}

/**
 * `inWorker` where the page can start workers, and `here` where it cannot (tests in Node) or when the worker
 * fails (it cannot start, or stops): then what it did is done again here, and the console says so.
 */
export function offPage<Request, Reply>(
  what: string,
  inWorker: (request: Request) => Promise<Reply>,
  here: (request: Request) => Promise<Reply>,
): (request: Request) => Promise<Reply> {
  return async (request) => {
    if (typeof Worker === 'undefined') return here(request);
    try {
      return await inWorker(request);
    } catch (error) {
      console.warn(`Larder could not ${what} in a worker; doing it on the page`, error);
      return here(request);
    }
  };
}

/** The buffers under `arrays`, once each (a buffer listed twice cannot be transferred). */
export function buffersOf(arrays: readonly Uint8Array[]): ArrayBuffer[] {
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}
