import { CHECKPOINT_REUSE_MS } from '../../shared/checkpoint/reuse';
import { msg } from '../../shared/messages';
import type { LarderStore } from '../storage/store';
import type { CheckpointCarrier } from './guardedSync';

/** How long "this device makes none now" holds before it is asked again (its entries may be signed since). */
export const NO_CHECKPOINT_REUSE_MS = 60_000;
/**
 * How long a new device's answer waits for the checkpoint being made (a few seconds at a million entries);
 * past it the answer goes without one, and the checkpoint, once made, goes to the next new device.
 */
export const CHECKPOINT_WAIT_MS = 15_000;
/**
 * Checkpoints from peers that did not verify before this device stops asking for one (until sync starts
 * again): verifying one costs seconds at a million entries, and a key holder could send one after another.
 */
export const MAX_REFUSED_CHECKPOINTS = 2;

/**
 * What live sync asks the store about checkpoints (guardedSync.ts): whether this device would start from one
 * (joined, no entry yet), the one it sends a new device (made when first asked, then kept a while; none from
 * a hub's device), and starting from a peer's, which is verified first; one that does not verify is reported
 * under Problems, and the device takes the whole history instead.
 */
export function checkpointCarrier(
  store: LarderStore,
  now: () => number = Date.now,
  waitMs = CHECKPOINT_WAIT_MS,
): CheckpointCarrier {
  let made: { at: number; bundle: Promise<Uint8Array | null>; none?: true } | null = null;
  let refused = 0;
  const module = () => import('../storage/checkpoint');
  return {
    wants: () =>
      refused < MAX_REFUSED_CHECKPOINTS && !!store.self && store.persistence.mayStartFromCheckpoint,
    bundle: () => {
      const at = now();
      if (!made || at - made.at > (made.none ? NO_CHECKPOINT_REUSE_MS : CHECKPOINT_REUSE_MS)) {
        // Figures still being written (a rebuild, a backlog): a checkpoint would wait for them (minutes, for
        // a rebuild), and the new device's answer with it. None now; the next new device asks again.
        const persistence = store.persistence;
        if (persistence.rebuildProgress !== null || persistence.unprojected > 0) {
          console.info(
            'Larder sends a new device no checkpoint while entries are being added to the figures',
          );
          return Promise.resolve(null);
        }
        const current: NonNullable<typeof made> = {
          at,
          bundle: module()
            .then(({ storeCheckpointBundle }) => storeCheckpointBundle(store, at))
            .then((bundle) => {
              if (!bundle) current.none = true;
              return bundle?.bytes ?? null;
            })
            .catch((error: unknown) => {
              console.warn('Larder could not make a checkpoint for a new device', error);
              current.none = true;
              return null;
            }),
        };
        made = current;
      }
      const bundle = made.bundle;
      return new Promise<Uint8Array | null>((resolve) => {
        const timer = setTimeout(() => {
          console.info(
            `Larder answers a new device without a checkpoint: none was made within ${waitMs / 1000} s`,
          );
          resolve(null);
        }, waitMs);
        void bundle.then((bytes) => {
          clearTimeout(timer);
          resolve(bytes);
        });
      });
    },
    start: async (bytes) => {
      const { startFromBundle } = await module();
      const started = await startFromBundle(store, bytes);
      if (started.ok) {
        console.info(
          `Larder started from ${started.byName}'s checkpoint (${started.covered} entries counted in it)`,
        );
        return;
      }
      refused++;
      console.warn('A peer’s checkpoint was not used:', started.refusal);
      await store.recordProblem(
        `peer update received ${new Date(now()).toISOString()}`,
        msg('update.checkpointRefused'),
      );
    },
  };
}
