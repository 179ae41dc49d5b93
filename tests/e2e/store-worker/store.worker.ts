import { LarderDB } from '../../../renderer/storage/db';
import { serveStore, type Port } from '../../../renderer/storage/hostPort';
import { LarderStore } from '../../../renderer/storage/store';

/*
 * The device's store, opened in a dedicated Worker as the app's own code opens it (nothing stubbed), and
 * served to the page over the Worker's port (renderer/storage/hostPort.ts; docs/worker.md, step 2).
 */
LarderStore.open(new LarderDB()).then(
  (store) => serveStore(store, self as unknown as Port),
  (error: unknown) =>
    self.postMessage({ failed: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
