import { nextTask } from '../../shared/pace';
import { updatePieces } from './pieces';

/** Cuts a stored update into pieces (`updatePieces`), resolving with them. */
export type PieceCutter = (update: Uint8Array) => Promise<Uint8Array[]>;

/** Cuts an update into pieces (`updatePieces`), giving them a batch at a time as they are made. */
export type PieceStream = (update: Uint8Array) => AsyncIterable<Uint8Array[]>;

/** In this thread: for tests in Node, and where a page cannot start a worker. */
export const cutHere: PieceCutter = async (update) => updatePieces(update);

/** `cutHere` as a stream: one batch, the pieces after the first `skip`. */
async function* streamHere(update: Uint8Array, skip = 0): AsyncGenerator<Uint8Array[]> {
  const pieces = updatePieces(update).slice(skip);
  if (pieces.length > 0) yield pieces;
}

/** What the page sends the worker: an update in slices of its own (`sendInSlices`), each moved, not copied. */
export interface UpdateSlice {
  id: number;
  /** The whole update's bytes. */
  total: number;
  /** Where this slice goes in it. */
  at: number;
  slice: Uint8Array;
}

/**
 * Bytes per slice: a few milliseconds to copy out of the update on the page. A slice of 4 MiB took a task
 * of 53 ms at a 1M join (a new buffer's pages are touched for the first time as it is copied into).
 */
export const SLICE_BYTES = 1024 * 1024;

/**
 * Sends `update` to `worker` in slices of `sliceBytes`, each copied out of it (the page keeps its bytes: it
 * holds an update that waits, and cuts it itself should the worker stop) and moved, the page let run between
 * them. Posted whole, the update was copied in one task: 130-170 ms for a first sync's 57 MB at 1M entries,
 * and the whole buffer of a view (a sync file's, with its checkpoint) went with it.
 */
async function sendInSlices(
  worker: Worker,
  id: number,
  update: Uint8Array,
  sliceBytes: number,
): Promise<void> {
  const total = update.byteLength;
  for (let at = 0; ; at += sliceBytes) {
    const slice = update.slice(at, at + sliceBytes);
    worker.postMessage({ id, total, at, slice } satisfies UpdateSlice, [slice.buffer]);
    if (at + sliceBytes >= total) return;
    await nextTask();
  }
}

/** The worker's side of `sendInSlices`: the slices put together, each update whole once its last has come. */
export class SlicedUpdates {
  private readonly arriving = new Map<number, { bytes: Uint8Array; got: number }>();

  /** The update this slice completes, or null while some of it has not come. */
  take({ id, total, at, slice }: UpdateSlice): Uint8Array | null {
    let update = this.arriving.get(id);
    if (!update) this.arriving.set(id, (update = { bytes: new Uint8Array(total), got: 0 }));
    update.bytes.set(slice, at);
    update.got += slice.byteLength;
    if (update.got < total) return null;
    this.arriving.delete(id);
    return update.bytes;
  }
}

/** The worker stopped (it could not start, or crashed): not the update's fault. */
class WorkerBroken extends Error {}

/** What the worker has sent for one update and not yet been taken, and who waits for more. */
interface Delivery {
  batches: Uint8Array[][];
  end: { error?: Error } | null;
  wake: (() => void) | null;
}

/**
 * In a dedicated worker, started on first use and kept while updates are being cut (`done` ends it), so
 * that reading a large update never holds the page. `stream` gives the pieces as the worker makes them (the
 * page decodes the first while the rest are cut: 1M entries, 3.8 s that the page spent waiting); `cut`
 * waits for all of them. Falls back to this thread where there is no Worker, or when the worker cannot
 * start (a browser that refuses module workers) or stops halfway (the pieces it gave are not given twice).
 */
export function workerCutter(sliceBytes = SLICE_BYTES): {
  cut: PieceCutter;
  stream: PieceStream;
  done: () => void;
} {
  if (typeof Worker === 'undefined')
    return { cut: cutHere, stream: (update) => streamHere(update), done: () => undefined };
  let worker: Worker | null = null;
  let broken = false;
  let next = 0;
  const deliveries = new Map<number, Delivery>();
  const settle = (delivery: Delivery | undefined, change: (d: Delivery) => void) => {
    if (!delivery) return;
    change(delivery);
    delivery.wake?.();
    delivery.wake = null;
  };
  const start = (): Worker => {
    const w = new Worker(new URL('./pieces.worker.ts', import.meta.url), { type: 'module' });
    type Reply = { id: number; pieces?: Uint8Array[]; done?: true; error?: string };
    w.onmessage = (event: MessageEvent<Reply>) => {
      const { id, pieces, done, error } = event.data;
      settle(deliveries.get(id), (d) => {
        if (pieces) d.batches.push(pieces);
        else if (done) d.end = {};
        else d.end = { error: new Error(error ?? 'the worker gave no pieces') };
      });
    };
    w.onerror = (event) => {
      event.preventDefault();
      broken = true;
      for (const delivery of deliveries.values())
        settle(delivery, (d) => (d.end = { error: new WorkerBroken(`piece worker: ${event.message}`) }));
    };
    return w;
  };
  async function* stream(update: Uint8Array): AsyncGenerator<Uint8Array[]> {
    if (broken) return yield* streamHere(update);
    worker ??= start();
    const id = ++next;
    const delivery: Delivery = { batches: [], end: null, wake: null };
    deliveries.set(id, delivery);
    let given = 0;
    try {
      // A copy goes over, in slices: the caller's bytes stay usable.
      await sendInSlices(worker, id, update, sliceBytes);
      for (;;) {
        const batch = delivery.batches.shift();
        if (batch) {
          given += batch.length;
          yield batch;
        } else if (delivery.end) {
          if (!delivery.end.error) return;
          throw delivery.end.error;
        } else await new Promise<void>((wake) => (delivery.wake = wake));
      }
    } catch (error) {
      if (!(error instanceof WorkerBroken) && !broken) throw error;
      // The worker stopped: the rest is cut here (the same pieces, in the same order).
      yield* streamHere(update, given);
    } finally {
      deliveries.delete(id);
    }
  }
  const cut: PieceCutter = async (update) => {
    const pieces: Uint8Array[] = [];
    for await (const batch of stream(update)) pieces.push(...batch);
    return pieces;
  };
  return {
    cut,
    stream,
    done: () => {
      worker?.terminate();
      worker = null;
    },
  };
}
