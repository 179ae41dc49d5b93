// Shared by the storage-fault tests: a store on fake-indexeddb, and a disk that fills up on demand.
import 'fake-indexeddb/auto';
import type { ItemForm } from '../../shared/catalog';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore, type StoreDeps } from '../../renderer/storage/store';

export const START = Date.UTC(2025, 2, 1, 9, 0, 0);

/** A clock that only moves when told, and a seeded PRNG (mulberry32) for ids and bytes. */
export function testDeps(seed = 1) {
  let t = START;
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) & 0xff;
  };
  const deps: StoreDeps = { now: () => t, randomBytes: (n) => Uint8Array.from({ length: n }, next) };
  return {
    deps,
    advance: (ms: number) => (t += ms),
    bytes: (n: number) => Uint8Array.from({ length: n }, next),
  };
}

let dbCount = 0;
export const uniqueName = (prefix = 'faults') => `larder-${prefix}-${process.pid}-${++dbCount}`;

const opened: LarderStore[] = [];
export async function open(name: string, deps: StoreDeps): Promise<LarderStore> {
  const store = await LarderStore.open(new LarderDB(name), deps);
  opened.push(store);
  await store.ready;
  return store;
}

export function closeAll(): void {
  for (const s of opened.splice(0)) {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
}

export const itemForm = (name: string): ItemForm => ({
  name,
  category: 'Food',
  unit: 'bag',
  packSize: '',
  barcodes: '',
});

/**
 * A full disk, as IndexedDB reports it: while on, every add or put fails with QuotaExceededError, which
 * aborts the transaction. Reads still work. Returns the switch off.
 */
export function fillDisk(): () => void {
  const proto = globalThis.IDBObjectStore.prototype as unknown as Record<'add' | 'put', unknown>;
  const saved = { add: proto.add, put: proto.put };
  const full = () => {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
  proto.add = full;
  proto.put = full;
  return () => {
    proto.add = saved.add;
    proto.put = saved.put;
  };
}
