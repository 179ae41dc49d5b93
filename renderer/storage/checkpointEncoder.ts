import { pacer } from '../../shared/pace';
import {
  encodeFromTables,
  type CheckpointReply,
  type CheckpointRequest,
  type WorkerAnswer,
} from './checkpointTables';
import type { LarderDB } from './db';

/** Encodes a checkpoint from a device's tables (checkpointTables.ts `encodeFromTables`). */
export type CheckpointEncoder = (request: CheckpointRequest) => Promise<CheckpointReply>;

/** On this thread, letting the page run between steps: for tests in Node, and where a page has no worker. */
export const encodeHere =
  (db: LarderDB): CheckpointEncoder =>
  (request) =>
    encodeFromTables(db, request, pacer());

/**
 * In a dedicated worker started for this one checkpoint (checkpoint.worker.ts), so that reading and encoding
 * a million rows never holds the page nor grows its heap; on this thread where there is no Worker, or when
 * the worker fails (it cannot start, or stops): what it did is done again here.
 */
export function checkpointEncoder(db: LarderDB): CheckpointEncoder {
  const here = encodeHere(db);
  if (typeof Worker === 'undefined') return here;
  return async (request) => {
    try {
      return await inWorker(request);
    } catch (error) {
      console.warn('Larder could not make the checkpoint in a worker; making it on the page', error);
      return here(request);
    }
  };
}

function inWorker(request: CheckpointRequest): Promise<CheckpointReply> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./checkpoint.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<WorkerAnswer>) => {
      worker.terminate();
      const answer = event.data;
      if ('reply' in answer) resolve(answer.reply);
      else reject(new Error(`checkpoint worker: ${answer.error}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject(new Error(`checkpoint worker: ${event.message}`));
    };
    worker.onmessageerror = () => {
      worker.terminate();
      reject(new Error('checkpoint worker: its answer could not be read'));
    };
    worker.postMessage(request);
  });
}
