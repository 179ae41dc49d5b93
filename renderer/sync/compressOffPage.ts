import { askOwnWorker, offPage } from '../platform/oneShotWorker';
import { packHere, type PackRequest } from './compressWork';

/** Deflates or inflates in a worker of its own, or here where there is none. */
const packOffPage = offPage(
  'inflate or deflate a sync message',
  (request: PackRequest) =>
    askOwnWorker<PackRequest, Uint8Array | null>(
      () => new Worker(new URL('./compress.worker.ts', import.meta.url), { type: 'module' }),
      'compression worker',
      request,
    ),
  packHere,
);

/** `deflate`, off the page where it can be (a large message). */
export const deflateOffPage = (bytes: Uint8Array): Promise<Uint8Array> =>
  packOffPage({ kind: 'deflate', bytes }) as Promise<Uint8Array>;

/** `inflateExactly`, off the page where it can be (a large message): null unless it inflates to `length`. */
export const inflateExactlyOffPage = (packed: Uint8Array, length: number): Promise<Uint8Array | null> =>
  packOffPage({ kind: 'inflate', packed, length });
