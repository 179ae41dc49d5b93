import { liveQuery } from 'dexie';
import type { LarderDB } from '../../renderer/storage/db';

/**
 * For the test pages whose store is in a Worker (store-worker/, sync-worker/): resolves once a live query on
 * the page, as the stock screen's, shows `onHand` for this hub and item: the page's own read of what the
 * Worker wrote (Dexie tells every context of the origin of a commit).
 */
export function showsOnHand(db: LarderDB, hub: string, item: string, onHand: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const watching = liveQuery(() => db.shelf.get(`${hub}|${item}`)).subscribe((row) => {
      if (row?.onHand !== onHand) return;
      resolve();
      queueMicrotask(() => watching.unsubscribe());
    });
  });
}
