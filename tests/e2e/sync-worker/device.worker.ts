import { LarderDB } from '../../../renderer/storage/db';
import { serveStore, type Port } from '../../../renderer/storage/hostPort';
import { LarderStore } from '../../../renderer/storage/store';
import { rtcOverPort } from '../../../renderer/sync/rtcStandIn';
import { SyncService } from '../../../renderer/sync/webrtc';

/*
 * A device as step 3 of docs/worker.md would have it: its store, and the store's sync over y-webrtc, in a
 * Worker; the page lends it WebRTC (renderer/sync/rtcLender.ts) and has the store through the port.
 */
let sync: SyncService | null = null;
self.addEventListener('error', (e) =>
  self.postMessage({ failed: `${e.message} at ${e.filename}:${e.lineno}` }),
);
self.addEventListener('unhandledrejection', (e) =>
  self.postMessage({
    failed: `unhandled: ${e.reason instanceof Error ? (e.reason.stack ?? e.reason.message) : String(e.reason)}`,
  }),
);
self.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as { open?: { rtc: MessagePort }; startSync?: true };
  if (m.open) {
    const rtc = m.open.rtc;
    LarderStore.open(new LarderDB()).then(
      (store) => {
        serveStore(store, self as unknown as Port);
        sync = new SyncService(store, { wrtc: rtcOverPort(rtc) });
        sync.subscribe(() => self.postMessage({ sync: sync!.status() }));
      },
      (error: unknown) => self.postMessage({ failed: String(error) }),
    );
  }
  if (m.startSync)
    void sync?.start().catch((error: unknown) => self.postMessage({ failed: `sync: ${String(error)}` }));
});
