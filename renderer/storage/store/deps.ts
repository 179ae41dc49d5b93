import type { RandomBytes } from '../../../shared/ids';

export interface StoreDeps {
  now: () => number;
  randomBytes: RandomBytes;
  /** Entries projected per transaction when a very large update arrives (tests make it small). */
  projectChunk?: number;
  /** A backlog at least this long (and longer than the history) is caught up by a rebuild (tests make it small). */
  catchUpAt?: number;
}

export const browserDeps: StoreDeps = {
  now: () => Date.now(),
  randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};
