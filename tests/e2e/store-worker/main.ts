import { BelowZeroWarning } from '../../../shared/belowZero';
import { ValidationError } from '../../../shared/errors';
import { LarderDB } from '../../../renderer/storage/db';
import { showsOnHand } from '../showsOnHand';
import { PortHost, type Port } from '../../../renderer/storage/hostPort';

/*
 * The page's side of tests/e2e/store-worker.spec.ts: the store lives in a Worker, and the page has it as a
 * `StoreHost` through the port, with its own reads of the same database, as the app would have it.
 */

/** What a refused command was, as the forms tell it apart. */
export interface Refusal {
  kind: 'validation' | 'belowZero' | 'other';
  codes: string[];
  fields: string[];
}

export interface WorkerTest {
  /** Starts the Worker and connects to it; resolves with this device's name (null before it is set up). */
  start(): Promise<string | null>;
  host: PortHost;
  /** Resolves once a live query on the page shows `onHand` for this hub and item. */
  shows(hub: string, item: string, onHand: number): Promise<void>;
  /** Runs `run` and says how it was refused (null: it was not). */
  refusal(run: () => Promise<unknown>): Promise<Refusal | null>;
}

declare global {
  interface Window {
    larderWorkerTest: WorkerTest;
  }
}

const test: Partial<WorkerTest> = {
  async start() {
    const worker = new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' });
    const failed = new Promise<never>((_, reject) =>
      worker.addEventListener('message', (e: MessageEvent<{ failed?: string }>) => {
        if (e.data?.failed) reject(new Error(e.data.failed));
      }),
    );
    const host = await Promise.race([PortHost.connect(new LarderDB(), worker as unknown as Port), failed]);
    worker.onerror = (event) => host.stop(new Error(`the store's worker stopped: ${event.message}`));
    test.host = host;
    return host.self?.deviceName ?? null;
  },
  shows(hub, item, onHand) {
    return showsOnHand(test.host!.db, hub, item, onHand);
  },
  async refusal(run) {
    try {
      await run();
      return null;
    } catch (error) {
      if (error instanceof ValidationError)
        return {
          kind: 'validation',
          codes: error.issues.map((i) => i.code),
          fields: error.issues.map((i) => i.field),
        };
      if (error instanceof BelowZeroWarning)
        return { kind: 'belowZero', codes: error.messages.map((m) => m.code), fields: [] };
      return { kind: 'other', codes: [String(error)], fields: [] };
    }
  },
};
window.larderWorkerTest = test as WorkerTest;
document.getElementById('status')!.textContent = 'ready';
