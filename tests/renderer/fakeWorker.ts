import type { WorkerAnswer } from '../../renderer/platform/oneShotWorker';

/** What a stand-in worker does with what it is sent: answers, crashes, or answers with an error. */
export type FakeBehaviour = 'answer' | 'crash' | 'error';

/**
 * A stand-in for the browser's Worker, for the workers of renderer/platform/oneShotWorker.ts: it
 * does the worker's own work (`work`, the function its module calls) on a structured clone of what it is
 * sent, in this thread, and answers as the worker does; or it crashes, or answers with an error, as
 * `behaviour` says. `started` lists the workers started, with what each was sent and what it moved back.
 */
export function fakeWorkers<Request, Reply>(
  work: (
    request: Request,
    /** The worker asked: a worker kept for several requests keeps its state with it. */
    worker: { readonly url: URL },
  ) => Promise<{ answer: WorkerAnswer<Reply>; transfer: ArrayBuffer[] }>,
) {
  const started: FakeWorker[] = [];
  const state = { behaviour: 'answer' as FakeBehaviour };
  class FakeWorker {
    onmessage: ((event: { data: WorkerAnswer<Reply> }) => void) | null = null;
    onerror: ((event: { message: string; preventDefault: () => void }) => void) | null = null;
    onmessageerror: (() => void) | null = null;
    terminated = false;
    /** What it moved back, and what the page moved to it. */
    transferred: ArrayBuffer[] = [];
    given: Transferable[] = [];
    /** What the page moved with each request, in order. */
    moved: Transferable[][] = [];
    sent: Request | null = null;
    /** Everything it was sent, in order. */
    log: Request[] = [];
    constructor(
      readonly url: URL,
      readonly options: WorkerOptions,
    ) {
      started.push(this);
    }
    postMessage(request: Request, transfer: Transferable[] = []): void {
      // What crosses to a worker is a structured clone, what is transferred moved (gone from the page).
      this.given = transfer;
      this.moved.push(transfer);
      const copy = structuredClone(request, { transfer });
      this.sent = copy;
      this.log.push(copy);
      void (async () => {
        if (state.behaviour === 'crash')
          return this.onerror?.({ message: 'out of memory', preventDefault: () => {} });
        if (state.behaviour === 'error') return this.onmessage?.({ data: { error: 'no such table' } });
        const { answer, transfer } = await work(copy, this);
        this.transferred = transfer;
        this.onmessage?.({ data: answer });
      })();
    }
    terminate(): void {
      this.terminated = true;
    }
  }
  return {
    Worker: FakeWorker,
    started,
    state,
    reset: () => {
      started.length = 0;
      state.behaviour = 'answer';
    },
  };
}
