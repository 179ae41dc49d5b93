import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors';
import { pageDutiesOverPort, servePageDuties } from '../../renderer/platform/pageDuties';
import type { LarderDB } from '../../renderer/storage/db';
import type { SyncHandle } from '../../renderer/sync/control';
import { serveSync, SyncPort } from '../../renderer/sync/controlPort';
import type { SyncStatus } from '../../renderer/sync/webrtc';

/** A sync handle that records what it was asked (the Worker's `SyncControl` stands here). */
function fakeSync() {
  const listeners = new Set<() => void>();
  let status: SyncStatus = { running: false, signaling: [], connected: 0, peers: [] };
  const asked: string[] = [];
  const handle: SyncHandle = {
    start: async () => {
      asked.push('start');
      status = { ...status, running: true };
      for (const l of listeners) l();
    },
    restart: async () => void asked.push('restart'),
    stop: () => void asked.push('stop'),
    status: () => status,
    subscribe: (l) => (listeners.add(l), () => listeners.delete(l)),
    exportFile: async () => ({ bytes: new Uint8Array([1, 2, 3]), fileName: 'x.larder', since: false }),
    importFile: async (bytes, options) => {
      options?.onCheckpoint?.({ from: 'Hub A', covered: 9 });
      if (bytes[0] === 0) throw new ValidationError([{ field: '', code: 'syncFile.damaged' } as never]);
      return { ok: true, newEntries: bytes.length, from: 'Hub A', message: { code: 'ok' } as never };
    },
    knownPeers: async () => [{ device: 'd1', name: 'Laptop', exportedAt: 1, importedAt: 2 }],
    relay: {
      status: () => [],
      subscribe: () => () => undefined,
      syncNow: async () => void asked.push('syncNow'),
    },
  };
  return { handle, asked };
}

const fakeDb = {
  meta: { where: () => ({ startsWith: () => ({ toArray: async () => [] }) }) },
} as unknown as LarderDB;

describe('sync over a port (controlPort.ts)', () => {
  it('calls the Worker’s sync, tells its status, moves file bytes and passes errors and checkpoints back', async () => {
    const { port1, port2 } = new MessageChannel();
    const { handle, asked } = fakeSync();
    const stop = serveSync(handle, port2);
    const sync = new SyncPort(fakeDb, port1);
    const told = new Promise<void>((resolve) => sync.subscribe(() => sync.status().running && resolve()));
    await sync.start();
    await told;
    expect(sync.status().running).toBe(true);
    expect(asked).toEqual(['start']);

    const file = await sync.exportFile();
    expect([...file.bytes]).toEqual([1, 2, 3]);
    const bytes = new Uint8Array([5, 6]);
    const checkpoints: unknown[] = [];
    const result = await sync.importFile(bytes, { onCheckpoint: (c) => checkpoints.push(c) });
    expect(result).toMatchObject({ ok: true, newEntries: 2 });
    expect(checkpoints).toEqual([{ from: 'Hub A', covered: 9 }]);
    // Moved to the Worker, not copied.
    expect(bytes.byteLength).toBe(0);
    await expect(sync.importFile(new Uint8Array([0]))).rejects.toBeInstanceOf(ValidationError);
    expect(await sync.knownPeers()).toEqual([{ device: 'd1', name: 'Laptop', exportedAt: 1, importedAt: 2 }]);
    await sync.relay.syncNow();
    expect(asked).toContain('syncNow');

    sync.stopAll(new Error('worker gone'));
    await expect(sync.restart()).rejects.toThrow('worker gone');
    stop();
    port1.close();
  });
});

describe('what the page does for its Worker (pageDuties.ts)', () => {
  it('seals and opens with the page’s keychain, allows servers, and refuses without a keychain', async () => {
    const { port1, port2 } = new MessageChannel();
    const allowed: string[][] = [];
    servePageDuties(port1, {
      secrets: { seal: async (t) => `sealed:${t}`, open: async (s) => s.replace('sealed:', '') },
      allowServers: async (urls) => (allowed.push([...urls]), urls.length > 1 ? 'reload' : 'ok'),
      reload: () => undefined,
    });
    const duties = pageDutiesOverPort(port2, true);
    expect(await duties.secrets!.seal('key')).toBe('sealed:key');
    expect(await duties.secrets!.open('sealed:key')).toBe('key');
    expect(await duties.allowServers(['ws://a'])).toBe('ok');
    expect(await duties.allowServers(['ws://a', 'ws://b'])).toBe('reload');
    expect(allowed).toEqual([['ws://a'], ['ws://a', 'ws://b']]);
    expect(pageDutiesOverPort(port2, false).secrets).toBeNull();
    port1.close();
    port2.close();

    const bare = new MessageChannel();
    servePageDuties(bare.port1, { secrets: null, allowServers: async () => 'ok', reload: () => undefined });
    const asked = pageDutiesOverPort(bare.port2, true);
    await expect(asked.secrets!.open('x')).rejects.toThrow('no keychain');
    bare.port1.close();
    bare.port2.close();
  });
});
