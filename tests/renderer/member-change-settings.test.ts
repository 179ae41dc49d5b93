// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, expect, it } from 'vitest';
import * as Y from 'yjs';
import { levelsOf } from '../../shared/doc';
import type { SignedSetting } from '../../shared/trust/settings';
import type { LarderStore } from '../../renderer/storage/store';
import { FakeClock, Prng, openReplica, projectionJson, reopenReplica } from './replicas';

/**
 * A changed member list judges again only the settings of the devices whose standing changed (persistence
 * `settingsBy`): what counts must still be what a rebuild from the doc gives, whether the list changed
 * while the app ran or since its last commit before a restart (then compared with the list on disk).
 */
let open: LarderStore[] = [];
afterEach(() => {
  for (const s of open) s.close();
  open = [];
});

/** Peer to peer: what `from` has that `to` lacks, applied and committed. */
async function send(from: LarderStore, to: LarderStore): Promise<void> {
  const update = Y.encodeStateAsUpdate(from.persistence.doc, Y.encodeStateVector(to.persistence.doc));
  expect((await to.applyRemoteUpdate(update, 'peer')).ok).toBe(true);
  await to.persistence.flush();
}

/**
 * `count` replicas: the first starts a network (Eastside Pantry, with Rice), the second joins it as a
 * coordinator's laptop (no hub of its own), pre-approved, and both have each other's state.
 */
async function network(tag: string, seed: number, count: number) {
  const clock = new FakeClock();
  const rng = new Prng(seed);
  const replicas = [];
  for (let i = 0; i < count; i++) replicas.push(await openReplica(i, clock, rng, tag));
  const [a, b] = replicas.map((r) => r.store) as [LarderStore, LarderStore];
  open.push(...replicas.map((r) => r.store));
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  await b.joinNetwork({
    invite: await a.preApprovedInvite(),
    deviceName: 'Coordinator',
    asCoordinator: true,
  });
  await send(b, a);
  await send(a, b);
  return { clock, rng, replicas, a, b, rice, hubA: a.self!.hubId! };
}

it('a coordinator made a hub device, then coordinator again (across a restart), has its levels for a hub count, then not, then again; as a rebuild has them', async () => {
  const { clock, rng, replicas, a, b, rice, hubA } = await network('member-settings', 5, 3);
  let c = replicas[2]!.store;
  // C: a hub device of a new hub.
  await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Church hall' });
  await send(c, a);
  await send(a, c);
  await c.chooseHub({ newHubName: 'Church hall' });
  const hubC = c.self!.hubId!;
  for (const store of [b, c]) await send(store, a);
  for (const store of [b, c]) await send(a, store);
  const bDevice = b.self!.deviceId;
  const levelsAt = async (store: LarderStore, hub: string) =>
    (await store.db.levels.get(`${hub}|${rice.id}`)) ?? null;
  const rebuildAgrees = async (store: LarderStore) => {
    const before = await projectionJson(store);
    await store.rebuildProjections();
    expect(await projectionJson(store)).toEqual(before);
  };

  // B sets Eastside's levels; C its own hub's (its standing never changes).
  clock.advance(1_000);
  await b.setLevels(rice.id, { min: '4', target: '12' }, hubA);
  await c.setLevels(rice.id, { min: '1', target: '3' });
  for (const store of [b, c]) await send(store, a);
  await send(a, c);
  for (const store of [a, c]) {
    expect(await levelsAt(store, hubA)).toMatchObject({ min: 4, target: 12 });
    expect(await levelsAt(store, hubC)).toMatchObject({ min: 1, target: 3 });
  }

  // B is made a hub device (of no hub), while A and C run: its levels for Eastside no longer count.
  clock.advance(1_000);
  await a.approveDevice(bDevice, 'hub');
  await send(a, c);
  for (const store of [a, c]) {
    expect(await levelsAt(store, hubA)).toBeNull();
    expect(await levelsAt(store, hubC)).toMatchObject({ min: 1, target: 3 });
  }
  await rebuildAgrees(a);

  // A coordinator again, while C was closed: C's first commit after its restart compares the member list
  // with the one on disk, and judges B's settings again.
  c.close();
  clock.advance(1_000);
  await a.approveDevice(bDevice, 'coordinator');
  c = (await reopenReplica(replicas[2]!, clock, rng)).store;
  open.push(c);
  await send(a, c);
  for (const store of [a, c]) {
    expect(await levelsAt(store, hubA)).toMatchObject({ min: 4, target: 12 });
    expect(await levelsAt(store, hubC)).toMatchObject({ min: 1, target: 3 });
  }
  await rebuildAgrees(c);
  await rebuildAgrees(a);
});

it("a writer's newer version behind an older value put back in the map is judged again when the writer's standing changes", async () => {
  const { clock, a, b, rice, hubA } = await network('member-versions', 9, 2);
  const key = `${hubA}|${rice.id}`;
  // A sets the levels, then B (a coordinator) sets them again.
  clock.advance(1_000);
  await a.setLevels(rice.id, { min: '1', target: '5' });
  const older = levelsOf(a.persistence.doc).get(key) as SignedSetting;
  await send(a, b);
  clock.advance(1_000);
  await b.setLevels(rice.id, { min: '4', target: '12' }, hubA);
  await send(b, a);
  // A key holder puts A's older value back in the map: B's newer version still counts.
  const holder = new Y.Doc();
  Y.applyUpdate(holder, Y.encodeStateAsUpdate(a.persistence.doc));
  levelsOf(holder).set(key, older);
  expect(
    (await a.applyRemoteUpdate(Y.encodeStateAsUpdate(holder, Y.encodeStateVector(a.persistence.doc)), 'peer'))
      .ok,
  ).toBe(true);
  await a.persistence.flush();
  expect((levelsOf(a.persistence.doc).get(key) as SignedSetting).by).toBe(a.self!.deviceId);
  expect(await a.db.levels.get(key)).toMatchObject({ min: 4, target: 12 });
  // B is made a hub device: its version no longer counts, A's value in the map does.
  clock.advance(1_000);
  await a.approveDevice(b.self!.deviceId, 'hub');
  expect(await a.db.levels.get(key)).toMatchObject({ min: 1, target: 5 });
  const before = await projectionJson(a);
  await a.rebuildProjections();
  expect(await projectionJson(a)).toEqual(before);
});
