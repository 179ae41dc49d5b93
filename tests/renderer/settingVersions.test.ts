// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, expect, it, vi } from 'vitest';
import { hubsOf, itemsOf, settingCopiesOf, settingVersionsOf } from '../../shared/doc';
import { copyKey, versionKey, type SignedSetting } from '../../shared/trust/settings';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { itemForm } from './faults';

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

it('a setting this device signed before versions gets its version at the next start, once', async () => {
  const name = `larder-setting-versions-${process.pid}`;
  const store = await open(name);
  await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  await store.updateHub({ name: 'Eastside Pantry', address: '1 Main Street', publishAddress: true });
  const device = store.self!.deviceId;
  const hub = store.self!.hubId!;
  const doc = () => store.persistence.doc;
  const env = hubsOf(doc()).get(hub) as SignedSetting;
  const where = versionKey('hubs', device, env.at, hub);
  expect(settingVersionsOf(doc()).get(where)).toEqual(env);

  // As an older Larder left it: values in the maps, no versions, and an old-style copy of the item.
  const item = await store.saveItem(itemForm('Rice'));
  const itemEnv = itemsOf(doc()).get(item.id) as SignedSetting;
  const itemVersion = versionKey('items', device, itemEnv.at, item.id);
  doc().transact(() => {
    for (const k of [...settingVersionsOf(doc()).keys()]) settingVersionsOf(doc()).delete(k);
    settingCopiesOf(doc()).set(copyKey('items', device, item.id), itemEnv);
  });
  await store.persistence.flush();
  expect(settingVersionsOf(doc()).size).toBe(0);
  store.close();
  opened = [];

  const again = await open(name);
  await vi.waitFor(() => expect(settingVersionsOf(again.persistence.doc).get(where)).toEqual(env));
  await vi.waitFor(() => expect(settingVersionsOf(again.persistence.doc).get(itemVersion)).toEqual(itemEnv));
  // Written to disk, and only once: a third start finds nothing to write.
  await again.persistence.flush();
  again.close();
  opened = [];
  const third = await open(name);
  expect(settingVersionsOf(third.persistence.doc).get(where)).toEqual(env);
  const ctx = (third as unknown as { ctx: { keepOwnVersions(): Promise<number> } }).ctx;
  expect(await ctx.keepOwnVersions()).toBe(0);
});

it('a device keeps one version of each setting it writes: the newest', async () => {
  const store = await open(`larder-setting-versions-2-${process.pid}`);
  await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  for (const address of ['1 Main Street', '2 Main Street', '3 Main Street'])
    await store.updateHub({ name: 'Eastside Pantry', address, publishAddress: true });
  const hub = store.self!.hubId!;
  const mine = [...settingVersionsOf(store.persistence.doc).entries()].filter(([k]) =>
    k.startsWith(`hubs/${store.self!.deviceId}/`),
  );
  expect(mine).toHaveLength(1);
  expect(mine[0]![1]).toEqual(hubsOf(store.persistence.doc).get(hub));
  expect((mine[0]![1] as SignedSetting).v).toMatchObject({ address: '3 Main Street' });
});

it("a setting whose value another writer replaced gets its version from this device's old-style copy", async () => {
  const name = `larder-setting-versions-3-${process.pid}`;
  const store = await open(name);
  await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const device = store.self!.deviceId;
  const doc = () => store.persistence.doc;
  const item = await store.saveItem(itemForm('Rice'));
  const mine = itemsOf(doc()).get(item.id) as SignedSetting;
  // As an older Larder left it, after another device's change of the item: the map holds theirs, this
  // device's value is in its old-style copy only, and there are no versions.
  doc().transact(() => {
    for (const k of [...settingVersionsOf(doc()).keys()]) settingVersionsOf(doc()).delete(k);
    itemsOf(doc()).set(item.id, { ...mine, by: 'other0001', at: mine.at + 1 });
    settingCopiesOf(doc()).set(copyKey('items', device, item.id), mine);
  });
  await store.persistence.flush();
  store.close();
  opened = [];
  const again = await open(name);
  const version = versionKey('items', device, mine.at, item.id);
  await vi.waitFor(() => expect(settingVersionsOf(again.persistence.doc).get(version)).toEqual(mine));
  expect([...settingVersionsOf(again.persistence.doc).keys()].filter((k) => k.includes('other0001'))).toEqual(
    [],
  );
});
