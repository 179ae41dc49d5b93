import {
  openSyncFile,
  sealSyncFile,
  type OpenedSyncFile,
  type SyncFileInput,
} from '../../shared/sync/syncfile';
import type { CryptoKey } from '../../shared/sync/keys';
import type { RandomBytes } from '../../shared/ids';
import { pacer } from '../../shared/pace';
import { buffersOf, type WorkerAnswer } from '../platform/oneShotWorker';

/**
 * A sync file opened (decrypted, inflated, checked: shared/sync/syncfile.ts `openSyncFile`) or sealed
 * (deflated, encrypted: `sealSyncFile`) off the page, in syncFile.worker.ts (syncFiles.ts asks it): a full
 * file of a million entries inflates to some 60 MB, seconds of work and copies the page would otherwise hold
 * and collect. A file to open goes to the worker as a copy (the page may open it again with another key); an
 * update to seal is moved there (syncFiles.ts writes it again should the worker fail); what comes back is
 * moved, not copied.
 */

export interface OpenRequest {
  kind: 'open';
  bytes: Uint8Array;
  networkId: string;
  fileKey: CryptoKey;
}

export interface SealRequest {
  kind: 'seal';
  input: SyncFileInput;
  fileKey: CryptoKey;
}

/** The random bytes of a file's nonces, from the platform's generator. */
export const systemRandom: RandomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/** On this thread, letting the page run while the file inflates: tests in Node, and pages with no worker. */
export const openHere = ({ bytes, networkId, fileKey }: OpenRequest): Promise<OpenedSyncFile> =>
  openSyncFile(bytes, { networkId, fileKey }, pacer());

/** On this thread, letting the page run while the file deflates; `random` gives its nonces. */
export const sealHere =
  (random: RandomBytes = systemRandom) =>
  ({ input, fileKey }: SealRequest): Promise<Uint8Array> =>
    sealSyncFile(input, fileKey, random, pacer());

type Answer<Reply> = Promise<{ answer: WorkerAnswer<Reply>; transfer: ArrayBuffer[] }>;

const failed = (error: unknown) => ({
  answer: { error: error instanceof Error ? error.message : String(error) },
  transfer: [],
});

/** The sync file worker's work (syncFile.worker.ts), with the buffers to move back rather than copy. */
export async function answerOpen(request: OpenRequest): Answer<OpenedSyncFile> {
  try {
    const { bytes, networkId, fileKey } = request;
    const opened = await openSyncFile(bytes, { networkId, fileKey });
    const parts = opened.ok ? [...opened.updates, ...(opened.checkpoint ? [opened.checkpoint] : [])] : [];
    // The file's own buffer stays: a part may be a view of it (a file whose update is not deflated).
    const transfer = buffersOf(parts).filter((buffer) => buffer !== bytes.buffer);
    return { answer: { reply: opened }, transfer };
  } catch (error) {
    return failed(error);
  }
}

/** The same for a file to seal: its bytes. */
export async function answerSeal(request: SealRequest): Answer<Uint8Array> {
  try {
    const bytes = await sealSyncFile(request.input, request.fileKey, systemRandom);
    return { answer: { reply: bytes }, transfer: buffersOf([bytes]) };
  } catch (error) {
    return failed(error);
  }
}
