// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, expect, it, vi } from 'vitest';
import { hubsOf, settingCopiesOf } from '../../shared/doc';
import { copyKey } from '../../shared/trust/settings';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';

let opened: LarderStore[] = [];
afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

async function open(name: string): Promise<LarderStore> {
  const store = await LarderStore.open(new LarderDB(name));
  opened.push(store);
  await store.ready;
  return store;
}

it('a setting this device signed before writers kept copies gets its copy at the next start', async () => {
  const name = `larder-setting-copies-${process.pid}`;
  const store = await open(name);
  await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  await store.updateHub({ name: 'Eastside Pantry', address: '1 Main Street', publishAddress: true });
  const device = store.self!.deviceId;
  const hub = store.self!.hubId!;
  const where = copyKey('hubs', device, hub);
  expect(settingCopiesOf(store.persistence.doc).get(where)).toEqual(hubsOf(store.persistence.doc).get(hub));

  // As an older Larder left it: the value, no copy.
  store.persistence.doc.transact(() => settingCopiesOf(store.persistence.doc).delete(where));
  await store.persistence.flush();
  expect(settingCopiesOf(store.persistence.doc).has(where)).toBe(false);
  store.close();
  opened = [];

  const again = await open(name);
  await vi.waitFor(() =>
    expect(settingCopiesOf(again.persistence.doc).get(where)).toEqual(hubsOf(again.persistence.doc).get(hub)),
  );
  // Written to disk, and only once: a third start finds nothing to copy.
  await again.persistence.flush();
  again.close();
  opened = [];
  const third = await open(name);
  expect(settingCopiesOf(third.persistence.doc).get(where)).toEqual(hubsOf(third.persistence.doc).get(hub));
  expect(await (third as unknown as { ctx: { keepOwnCopies(): Promise<number> } }).ctx.keepOwnCopies()).toBe(
    0,
  );
});
