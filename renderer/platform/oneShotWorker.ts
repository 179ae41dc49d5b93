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
 * fails (it cannot start, or stops): then what it did is done again here, and the console says so. An error
 * `answers` says is the work's own answer (bad input, found in the worker) is not the worker failing: it is
 * passed on, not done again.
 */
export function offPage<Request, Reply>(
  what: string,
  inWorker: (request: Request) => Promise<Reply>,
  here: (request: Request) => Promise<Reply>,
  answers: (error: unknown) => boolean = () => false,
): (request: Request) => Promise<Reply> {
  return async (request) => {
    if (typeof Worker === 'undefined') return here(request);
    try {
      return await inWorker(request);
    } catch (error) {
      if (answers(error)) throw error;
      console.warn(`Larder could not ${what} in a worker; doing it on the page`, error);
      return here(request);
    }
  };
}

/** The buffers under `arrays`, once each (a buffer listed twice cannot be transferred). */
export function buffersOf(arrays: readonly Uint8Array[]): ArrayBuffer[] {
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

/**
 * A dedicated worker kept for a piece of work of several requests (a checkpoint's rows read once, then
 * written a transaction at a time), asked one request at a time, each answered as `askOwnWorker`'s is. Once
 * it has failed (it stopped, or its answer could not be read) every later request fails; `close` ends it.
 */
export interface WorkerSession<Request, Reply> {
  ask(request: Request, transfer?: Transferable[]): Promise<Reply>;
  close(): void;
}

export function workerSession<Request, Reply>(
  start: () => Worker,
  name: string,
): WorkerSession<Request, Reply> {
  const worker = start();
  let failed: Error | null = null;
  let waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  const fail = (error: Error) => {
    failed ??= error;
    worker.terminate();
    waiting?.reject(error);
    waiting = null;
  };
  worker.onmessage = (event: MessageEvent<WorkerAnswer<Reply>>) => {
    const answer = event.data;
    const asked = waiting;
    waiting = null;
    if ('reply' in answer) asked?.resolve(answer.reply);
    else asked?.reject(new Error(`${name}: ${answer.error}`));
  };
  worker.onerror = (event) => {
    event.preventDefault();
    fail(new Error(`${name}: ${event.message}`));
  };
  worker.onmessageerror = () => fail(new Error(`${name}: its answer could not be read`));
  return {
    ask(request, transfer = []) {
      if (failed) return Promise.reject(failed);
      if (waiting) return Promise.reject(new Error(`${name}: asked again before it answered`));
      return new Promise<Reply>((resolve, reject) => {
        waiting = { resolve, reject };
        worker.postMessage(request, transfer);
      });
    },
    close() {
      fail(new Error(`${name}: closed`));
    },
  };
}
