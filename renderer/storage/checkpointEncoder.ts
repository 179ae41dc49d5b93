import { pacer } from '../../shared/pace';
import { encodeFromTables, type CheckpointReply, type CheckpointRequest } from './checkpointTables';
import type { LarderDB } from './db';
import { askOwnWorker, offPage } from '../platform/oneShotWorker';

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
 * the worker fails.
 */
export function checkpointEncoder(db: LarderDB): CheckpointEncoder {
  return offPage(
    'make the checkpoint',
    (request) =>
      askOwnWorker<CheckpointRequest, CheckpointReply>(
        () => new Worker(new URL('./checkpoint.worker.ts', import.meta.url), { type: 'module' }),
        'checkpoint worker',
        request,
      ),
    encodeHere(db),
  );
}
