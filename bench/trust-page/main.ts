import { Gate } from '../../shared/trust/gate';
import { prehashBlocks } from '../../shared/trust/prehash';
import { loadFastSha256 } from '../../shared/trust/crypto';
import type { MemberState } from '../../shared/trust/members';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { signedHistory } from '../trust-history';

/**
 * The trust bench page (served on 127.0.0.1, a secure context for WebCrypto): verifies a whole signed
 * history with the real gate, and records pickups through the real store on a signed network.
 */
/**
 * 'js': the gate alone, hashing with @noble/hashes (in a page where the WebAssembly SHA-256 has not been
 * loaded: once loaded, a page keeps it); 'wasm': the gate alone, hashing with hash-wasm; 'ahead': as the store does,
 * blocks hashed ahead in slices, then the gate.
 */
export type VerifyHow = 'js' | 'wasm' | 'ahead';

declare global {
  interface Window {
    larderTrust: {
      verify(
        n: number,
        how: VerifyHow,
      ): Promise<{
        verifyMs: number;
        aheadMs: number;
        gateMs: number;
        longestAheadTaskMs: number;
        /** The store's way only: the longest task while the gate steps its groups of devices. */
        longestGateTaskMs: number;
        released: number;
      }>;
      pickups(count: number): Promise<number[]>;
    };
  }
}

window.larderTrust = {
  async verify(n, how) {
    if (how !== 'js' && !(await loadFastSha256())) throw new Error('WebAssembly SHA-256 did not load');
    const history = await signedHistory(n, { realSignatures: false, docs: false });
    const members: MemberState = {
      network: history.network,
      members: new Map(
        [...history.keys.keys()].map((device) => [
          device,
          {
            device,
            key: '',
            name: device,
            hub: null,
            role: 'coordinator',
            approvedBy: device,
            approvedAt: 0,
          },
        ]),
      ),
      requests: new Map(),
      keys: new Map(),
      rotation: null,
      signed: new Map(),
      problems: [],
    };
    const gate = new Gate(history.network);
    // Building the history above was one long task: let it end, and collect its garbage (the bench
    // starts Chromium with --expose-gc), before timing and watching for long tasks.
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Main-thread tasks over 50 ms while the blocks are hashed ahead (the page is otherwise idle).
    let longestAheadTaskMs = 0;
    const observer = new PerformanceObserver((list) => {
      for (const task of list.getEntries()) longestAheadTaskMs = Math.max(longestAheadTaskMs, task.duration);
    });
    observer.observe({ type: 'longtask' });
    const t = performance.now();
    // As the store does: blocks hashed ahead in slices (or not), then the gate.
    const blocks = await prehashBlocks(
      gate,
      history.entries,
      history.heads,
      how === 'ahead' ? {} : { hash: null },
    );
    const aheadMs = performance.now() - t;
    await new Promise((resolve) => setTimeout(resolve, 0));
    observer.disconnect();
    const input = { entries: history.entries, heads: history.heads, members, membersChanged: true, blocks };
    let longestGateTaskMs = 0;
    const gateObserver = new PerformanceObserver((list) => {
      for (const task of list.getEntries()) longestGateTaskMs = Math.max(longestGateTaskMs, task.duration);
    });
    const g = performance.now();
    // The store's way steps the gate in groups of devices (TrustLayer.plan); the gate alone in one step.
    let result;
    if (how === 'ahead') {
      gateObserver.observe({ type: 'longtask' });
      result = await gate.stepInGroups(input);
    } else {
      result = gate.step(input);
    }
    const gateMs = performance.now() - g;
    if (how === 'ahead') {
      await new Promise((resolve) => setTimeout(resolve, 0));
      for (const task of gateObserver.takeRecords())
        longestGateTaskMs = Math.max(longestGateTaskMs, task.duration);
      gateObserver.disconnect();
    }
    history.signed.destroy();
    history.unsigned.destroy();
    return {
      verifyMs: aheadMs + gateMs,
      aheadMs,
      gateMs,
      longestAheadTaskMs,
      longestGateTaskMs,
      released: result.release.length,
    };
  },

  async pickups(count) {
    const store = await LarderStore.open(new LarderDB(`larder-trust-bench-${Date.now()}`));
    await store.ready;
    await store.createNetwork({ hubName: 'Bench hub', deviceName: 'Bench laptop' });
    const item = await store.saveItem({
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    await store.recordDonation({ source: 'individual', lines: [{ item: item.id, quantity: '100000' }] });
    // Ten first, not counted: the page is fresh, and its code not yet compiled for speed.
    for (let i = 0; i < 10; i++) await store.recordPickup({ lines: [{ item: item.id, quantity: '1' }] });
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      await store.recordPickup({ lines: [{ item: item.id, quantity: '1' }] });
      times.push(performance.now() - t);
    }
    store.close();
    return times;
  },
};
document.getElementById('status')!.textContent = 'ready';
