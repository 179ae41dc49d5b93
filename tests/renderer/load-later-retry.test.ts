// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

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

describe('the rest of the code, tried again after the first view (loadTheRestAgain)', () => {
  const CHUNK = 'http://127.0.0.1:5173/assets/parts-abc.js';
  beforeEach(() => vi.stubGlobal('location', { href: 'http://127.0.0.1:5173/#/stock' }));
  afterEach(() => vi.unstubAllGlobals());
  const fetchFailed = () =>
    Promise.reject(new TypeError(`Failed to fetch dynamically imported module: ${CHUNK}`));

  async function attempt(
    load: () => Promise<void>,
    { answers = false, reloadedAt = null as string | null, now = 1_000_000 } = {},
  ) {
    const { loadTheRestAgain } = await import('../../renderer/app/lazyScreen');
    const probed: string[] = [];
    const stored = new Map<string, string>(
      reloadedAt === null ? [] : [['larder.reloadedForCode', reloadedAt]],
    );
    const reload = vi.fn();
    const result = loadTheRestAgain(
      load,
      (url) => {
        probed.push(url);
        return Promise.resolve(answers);
      },
      reload,
      { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => void stored.set(k, v) },
      () => now,
    );
    return { result, probed, reload, stored };
  }

  it('loads it when it can, asking for nothing else', async () => {
    const { result, probed, reload } = await attempt(() => Promise.resolve());
    await expect(result).resolves.toBeUndefined();
    expect(probed).toEqual([]);
    expect(reload).not.toHaveBeenCalled();
  });

  it('fails as before while the file it could not fetch does not answer either', async () => {
    const { result, probed, reload } = await attempt(fetchFailed);
    await expect(result).rejects.toThrow('Failed to fetch');
    expect(probed).toEqual([CHUNK]);
    expect(reload).not.toHaveBeenCalled();
  });

  it('reloads the page once that file answers (a browser may keep the failed module for the page’s life)', async () => {
    const { result, probed, reload, stored } = await attempt(fetchFailed, { answers: true });
    await vi.waitFor(() => expect(reload).toHaveBeenCalledTimes(1));
    expect(probed).toEqual([CHUNK]);
    expect(stored.get('larder.reloadedForCode')).toBe('1000000');
    // The page is going: the attempt neither succeeds nor fails.
    expect(await Promise.race([result.then(() => 'settled'), Promise.resolve('pending')])).toBe('pending');
  });

  it('reloads at most once a minute, and never for a failure other than a fetch', async () => {
    const recent = await attempt(fetchFailed, { answers: true, reloadedAt: String(1_000_000 - 59_000) });
    await expect(recent.result).rejects.toThrow('Failed to fetch');
    expect(recent.reload).not.toHaveBeenCalled();
    const later = await attempt(fetchFailed, { answers: true, reloadedAt: String(1_000_000 - 60_000) });
    await vi.waitFor(() => expect(later.reload).toHaveBeenCalledTimes(1));
    const broken = await attempt(() => Promise.reject(new SyntaxError('Unexpected token')), {
      answers: true,
    });
    await expect(broken.result).rejects.toThrow('Unexpected token');
    expect(broken.probed).toEqual([]);
    expect(broken.reload).not.toHaveBeenCalled();
  });

  it('asks only the page’s own server: a file the error names elsewhere is not asked for', async () => {
    const { result, probed } = await attempt(() =>
      Promise.reject(
        new TypeError('Failed to fetch dynamically imported module: https://elsewhere.example/x.js'),
      ),
    );
    await expect(result).rejects.toThrow();
    expect(probed).toEqual(['http://127.0.0.1:5173/']);
  });

  it('asks the page’s own address when the browser does not name the file', async () => {
    const { result, probed } = await attempt(() =>
      Promise.reject(new TypeError('Importing a module script failed.')),
    );
    await expect(result).rejects.toThrow();
    expect(probed).toEqual(['http://127.0.0.1:5173/']);
  });
});
