// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * The store's parts and sync's code load after the first view (LarderStore.loadParts, SyncControl.load). On
 * a hub's LAN the page's server may be gone for a moment when they are asked for: the load fails, and the
 * next command or screen must try again rather than fail forever until the page is reloaded.
 */
afterEach(() => {
  vi.doUnmock('../../renderer/storage/store/parts');
  vi.doUnmock('../../renderer/sync/webrtc');
  vi.resetModules();
});

describe('the code loaded after the first view', () => {
  it("the store's parts: a failed load is tried again, and then loads", async () => {
    vi.resetModules();
    let reachable = false;
    vi.doMock('../../renderer/storage/store/parts', async (importOriginal) => {
      if (!reachable) throw new Error('Failed to fetch dynamically imported module');
      return importOriginal();
    });
    const { LarderStore } = await import('../../renderer/storage/store');
    await expect(LarderStore.loadParts()).rejects.toThrow();
    reachable = true;
    await expect(LarderStore.loadParts()).resolves.toBeUndefined();
  });

  it("sync's code: a failed load is tried again, and then loads", async () => {
    vi.resetModules();
    let reachable = false;
    vi.doMock('../../renderer/sync/webrtc', async (importOriginal) => {
      if (!reachable) throw new Error('Failed to fetch dynamically imported module');
      return importOriginal();
    });
    const { SyncControl } = await import('../../renderer/sync/control');
    await expect(SyncControl.load()).rejects.toThrow();
    reachable = true;
    await expect(SyncControl.load()).resolves.toBeUndefined();
  });
});
