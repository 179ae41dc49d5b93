// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  deviceWorkerPossible,
  PROBE_KEY,
  STORE_ON_PAGE_AFTER_FAILURE,
} from '../../renderer/app/deviceWorker';

/** A Storage held in a Map (Node has none). */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

/** A browser whose data channels can (or cannot) be handed to a Worker; counts the probe's connections. */
function browser(version: string, channelsMove: boolean) {
  const made = { connections: 0 };
  class Channel {}
  vi.stubGlobal(
    'RTCPeerConnection',
    class {
      constructor() {
        made.connections++;
      }
      createDataChannel() {
        return channelsMove ? new MessageChannel().port1 : new Channel();
      }
      close() {}
    },
  );
  vi.stubGlobal('navigator', { userAgent: `Chromium/${version}` });
  return made;
}

beforeEach(() => {
  vi.stubGlobal('location', { search: '' });
  vi.stubGlobal('Worker', class {});
  vi.stubGlobal('localStorage', memoryStorage());
  vi.stubGlobal('sessionStorage', memoryStorage());
});
afterEach(() => vi.unstubAllGlobals());

describe('whether the page holds its device in a Worker', () => {
  it('probes once per browser version, and again when the browser changes', () => {
    const first = browser('150', true);
    expect(deviceWorkerPossible()).toBe(true);
    expect(deviceWorkerPossible()).toBe(true);
    expect(first.connections).toBe(1);
    // A browser updated to one that cannot hand a channel over: probed again, and the answer kept.
    const updated = browser('151', false);
    expect(deviceWorkerPossible()).toBe(false);
    expect(deviceWorkerPossible()).toBe(false);
    expect(updated.connections).toBe(1);
  });

  it('probes again when what was kept cannot be read, and keeps the store on the page when asked', () => {
    const made = browser('150', true);
    localStorage.setItem(PROBE_KEY, '{not json');
    expect(deviceWorkerPossible()).toBe(true);
    expect(made.connections).toBe(1);
    vi.stubGlobal('location', { search: '?store=page' });
    expect(deviceWorkerPossible()).toBe(false);
    vi.stubGlobal('location', { search: '' });
    // A tab whose Worker failed once the app had its store keeps its store on the page.
    sessionStorage.setItem(STORE_ON_PAGE_AFTER_FAILURE, 'its worker did not run');
    expect(deviceWorkerPossible()).toBe(false);
  });

  it('keeps the store on the page where there is no WebRTC (nothing to lend the Worker)', () => {
    vi.stubGlobal('navigator', { userAgent: 'Chromium/150' });
    vi.stubGlobal('RTCPeerConnection', undefined);
    expect(deviceWorkerPossible()).toBe(false);
  });
});
