import { openSyncFile, type OpenedSyncFile } from '../../shared/sync/syncfile';
import type { CryptoKey } from '../../shared/sync/keys';
import { pacer } from '../../shared/pace';
import { buffersOf, type WorkerAnswer } from '../platform/oneShotWorker';

/**
 * Opens a sync file (shared/sync/syncfile.ts `openSyncFile`: decrypts, inflates and checks it) off the page,
 * in syncFile.worker.ts (syncFiles.ts `openOffPage`): a full file of a million entries inflates to some 60 MB,
 * seconds of work and copies the page would otherwise hold and collect. The file's bytes go to the worker as
 * a copy (the caller may open them again with another key); what comes back (the update's parts, the
 * checkpoint) is moved, not copied.
 */

export interface OpenRequest {
  bytes: Uint8Array;
  networkId: string;
  fileKey: CryptoKey;
}

/** On this thread, letting the page run while the file inflates: tests in Node, and pages with no worker. */
export const openHere = ({ bytes, networkId, fileKey }: OpenRequest): Promise<OpenedSyncFile> =>
  openSyncFile(bytes, { networkId, fileKey }, pacer());

/** The sync file worker's work (syncFile.worker.ts), with the buffers to move back rather than copy. */
export async function answerOpen(
  request: OpenRequest,
): Promise<{ answer: WorkerAnswer<OpenedSyncFile>; transfer: ArrayBuffer[] }> {
  try {
    const { bytes, networkId, fileKey } = request;
    const opened = await openSyncFile(bytes, { networkId, fileKey });
    const parts = opened.ok ? [...opened.updates, ...(opened.checkpoint ? [opened.checkpoint] : [])] : [];
    // The file's own buffer stays: a part may be a view of it (a file whose update is not deflated).
    const transfer = buffersOf(parts).filter((buffer) => buffer !== bytes.buffer);
    return { answer: { reply: opened }, transfer };
  } catch (error) {
    return { answer: { error: error instanceof Error ? error.message : String(error) }, transfer: [] };
  }
}
