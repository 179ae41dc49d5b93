import { LarderDB } from '../../../renderer/storage/db';
import { showsOnHand } from '../showsOnHand';
import { PortHost, type Port } from '../../../renderer/storage/hostPort';
import { lendRtc } from '../../../renderer/sync/rtcLender';

/*
 * The page's side of tests/e2e/sync-worker.spec.ts: a device whose store and sync run in a Worker. The page
 * lends the Worker WebRTC, has the store through the port, and reads the same database itself.
 */
export interface SyncWorkerTest {
  open(): Promise<void>;
  host: PortHost;
  startSync(): void;
  /** Peers connected, as the Worker's sync says. */
  connected: number;
  failures: string[];
  /** Resolves once a live query on the page shows `onHand` for this hub and item. */
  shows(hub: string, item: string, onHand: number): Promise<void>;
}

declare global {
  interface Window {
    larderSyncWorkerTest: SyncWorkerTest;
  }
}

let worker: Worker | null = null;
const test: Partial<SyncWorkerTest> = {
  connected: 0,
  failures: [],
  async open() {
    worker = new Worker(new URL('./device.worker.ts', import.meta.url), { type: 'module' });
    worker.addEventListener('message', (e: MessageEvent) => {
      const m = e.data as { sync?: { connected: number }; failed?: string };
      if (m.sync) test.connected = m.sync.connected;
      if (m.failed) test.failures!.push(m.failed);
    });
    const { port1, port2 } = new MessageChannel();
    lendRtc(port1);
    worker.postMessage({ open: { rtc: port2 } }, [port2]);
    test.host = await PortHost.connect(new LarderDB(), worker as unknown as Port);
  },
  startSync() {
    worker?.postMessage({ startSync: true });
  },
  shows(hub, item, onHand) {
    return showsOnHand(test.host!.db, hub, item, onHand);
  },
};
window.larderSyncWorkerTest = test as SyncWorkerTest;
document.getElementById('status')!.textContent = 'ready';
