import { updatePieces } from './pieces';

/** Cuts a stored update into pieces (`updatePieces`), resolving with them. */
export type PieceCutter = (update: Uint8Array) => Promise<Uint8Array[]>;

/** In this thread: for tests in Node, and where a page cannot start a worker. */
export const cutHere: PieceCutter = async (update) => updatePieces(update);

/**
 * In a dedicated worker, started on first use and kept while rows are being cut (`done` ends it), so
 * that reading a large row never holds the page. Falls back to this thread where there is no Worker, or
 * when the worker cannot start (a browser that refuses module workers).
 */
export function workerCutter(): { cut: PieceCutter; done: () => void } {
  if (typeof Worker === 'undefined') return { cut: cutHere, done: () => undefined };
  let worker: Worker | null = null;
  let broken = false;
  let next = 0;
  const waiting = new Map<number, { resolve: (p: Uint8Array[]) => void; reject: (e: Error) => void }>();
  const start = (): Worker => {
    const w = new Worker(new URL('./pieces.worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (event: MessageEvent<{ id: number; pieces?: Uint8Array[]; error?: string }>) => {
      const { id, pieces, error } = event.data;
      const promise = waiting.get(id);
      waiting.delete(id);
      if (pieces) promise?.resolve(pieces);
      else promise?.reject(new Error(error ?? 'the worker gave no pieces'));
    };
    w.onerror = (event) => {
      event.preventDefault();
      broken = true;
      for (const promise of waiting.values()) promise.reject(new Error(`piece worker: ${event.message}`));
      waiting.clear();
    };
    return w;
  };
  const cut: PieceCutter = (update) => {
    if (broken) return cutHere(update);
    worker ??= start();
    const id = ++next;
    return new Promise<Uint8Array[]>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      // A copy goes over: the caller's bytes stay usable.
      worker!.postMessage({ id, update });
    }).catch(() => cutHere(update));
  };
  return {
    cut,
    done: () => {
      worker?.terminate();
      worker = null;
    },
  };
}
