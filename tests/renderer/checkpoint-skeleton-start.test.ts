// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { LarderStore } from '../../renderer/storage/store';
import { startFromBundle, storeCheckpointBundle } from '../../renderer/storage/checkpoint';
import { decodeBundle } from '../../shared/checkpoint/bundle';
import { ledgersOf, readAllEntries } from '../../shared/doc';
import { encodeAppliedState } from '../../shared/sync/ingest';
import { docHolding, HistoryLeftOutError, skeletonOf, stateVectorToAsk } from '../../shared/sync/skeleton';
import { projectedFigures, testStores } from './stores';

/**
 * A new device that starts its doc from a checkpoint's skeleton (docs/checkpoints.md, "The compacted state to
 * continue syncing from"; DocPersistence `seed` with one): its doc holds the settings and each ledger's last
 * value, not the history, from the moment the checkpoint's figures are in; the history it lacks goes to its
 * disk as peers send it, without the doc; a start meanwhile starts from the skeleton again; once the history
 * is all on disk it is a device on a skeleton like any other. Peers are asked as the app asks them
 * (`stateVectorToAsk`: from the first clock of the history not on disk) and answer as the app answers
 * (`docHolding`, `encodeAppliedState`).
 */
const { clock, device, sync, twoHubsWithHistory, reopen } = testStores('cpskel', 50);

/** `to` asks `from` for what it lacks, and takes the answer, as over live sync. */
async function ask(from: LarderStore, to: LarderStore): Promise<void> {
  const sv = stateVectorToAsk(to.persistence.doc);
  const answer = encodeAppliedState(await docHolding(from.persistence.doc, sv), sv);
  const result = await to.applyRemoteUpdate(answer, 'peer');
  expect(result.ok, JSON.stringify(result)).toBe(true);
}

/**
 * A new device started from the admin's bundle, with its skeleton. `requestFirst`: it makes its hub, which
 * reaches the admin before the bundle is made (so the skeleton holds structs of the device's own, which its
 * disk already holds).
 */
async function joinedFromBundle(a: LarderStore, requestFirst = false) {
  const c = await device();
  await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Community centre tablet' });
  if (requestFirst) {
    // Its hub, made before it started, in its doc and on its disk; and in the admin's, before the bundle.
    await c.chooseHub({ newHubName: 'Community Centre' });
    await sync(c, a);
  }
  const bundle = await storeCheckpointBundle(a, clock.now());
  expect(bundle).not.toBeNull();
  expect(decodeBundle(bundle!.bytes).skeleton).toBeDefined();
  const own = Y.decodeStateVector(Y.encodeStateVector(c.persistence.doc));
  expect(await startFromBundle(c, bundle!.bytes)).toMatchObject({ ok: true });
  // It asks for history from where its disk lacks it: not for what it held before (its own hub).
  if (requestFirst) expect(own.size).toBeGreaterThan(0);
  const asked = Y.decodeStateVector(stateVectorToAsk(c.persistence.doc));
  for (const [client, clock] of own) expect(asked.get(client)).toBe(clock);
  return { c };
}

describe('a new device started from a checkpoint’s skeleton', () => {
  it('holds no history in its doc, restarts on the skeleton, takes the history to disk when asked, and is whole', async () => {
    const { a, rice } = await twoHubsWithHistory();
    const { c } = await joinedFromBundle(a, true);
    expect(c.persistence.historyArriving).toBe(true);
    expect(c.persistence.behindCheckpoint).toBe(true);
    // The admin's figures, from a doc holding each ledger's last value.
    expect(await projectedFigures(c)).toEqual(await projectedFigures(a));
    ledgersOf(c.persistence.doc).forEach((array) => expect(array.length).toBe(1));
    expect(skeletonOf(c.persistence.doc)).toBeDefined();
    // It answers no peer short of the history it lacks, and has none to give.
    await expect(docHolding(c.persistence.doc, Uint8Array.of(0))).rejects.toBeInstanceOf(HistoryLeftOutError);
    await expect(c.persistence.historyDoc()).rejects.toBeInstanceOf(HistoryLeftOutError);
    // It asks for that history: from the first clock of it not on its disk.
    expect(stateVectorToAsk(c.persistence.doc)).not.toEqual(Y.encodeStateVector(c.persistence.doc));

    // Started again before any of the history came: from the skeleton it stored, its figures as they were.
    const figuresBefore = await projectedFigures(c);
    const c2 = await reopen(c);
    await c2.ready;
    expect(c2.persistence.startedOn).toBe('stored skeleton');
    expect(c2.persistence.historyArriving).toBe(true);
    expect(await projectedFigures(c2)).toEqual(figuresBefore);

    // The admin records after the checkpoint; the new device asks it: the history to disk, the donation counted.
    clock.advance(60_000);
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '7' }] });
    await ask(a, c2);
    await c2.persistence.flush();
    expect(c2.persistence.historyArriving).toBe(false);
    expect(c2.persistence.behindCheckpoint).toBe(false);
    expect(await projectedFigures(c2)).toEqual(await projectedFigures(a));
    expect(await c2.db.problems.toArray()).toEqual([]);
    // Its history is on its disk: a doc of it holds every entry, and Check data finds nothing to repair.
    expect(readAllEntries(await c2.persistence.historyDoc()).entries).toHaveLength(
      readAllEntries(a.persistence.doc).entries.length,
    );
    expect((await c2.persistence.checkData()).differences).toEqual([]);
    // And it now answers a device that has nothing, from that history.
    const fresh = await device();
    await fresh.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Back room laptop' });
    await ask(c2, fresh);
    expect(await projectedFigures(fresh)).toEqual(await projectedFigures(a));

    // Started again: as any device with its history on disk.
    const c3 = await reopen(c2);
    await c3.ready;
    expect(c3.persistence.historyArriving).toBe(false);
    expect(c3.persistence.behindCheckpoint).toBe(false);
    expect(await projectedFigures(c3)).toEqual(await projectedFigures(a));
  });

  it('takes history that arrives in several answers, whole only once all of it is on disk, through a restart', async () => {
    const { a } = await twoHubsWithHistory();
    const { c } = await joinedFromBundle(a);
    // One client's part of the history first (a peer's answer cut short), then a restart, then the rest.
    const all = encodeAppliedState(a.persistence.doc, stateVectorToAsk(c.persistence.doc));
    const clients = [...Y.decodeStateVector(Y.encodeStateVectorFromUpdate(all)).keys()];
    expect(clients.length).toBeGreaterThan(1);
    const firstPart = Y.diffUpdate(
      all,
      Y.encodeStateVector(new Map(clients.slice(1).map((k) => [k, 2 ** 30]))),
    );
    expect((await c.applyRemoteUpdate(firstPart, 'peer')).ok).toBe(true);
    await c.persistence.flush();
    // The same part again (a peer repeating itself): nothing more on the disk.
    const rows = await c.db.updates.count();
    expect((await c.applyRemoteUpdate(firstPart, 'peer')).ok).toBe(true);
    await c.persistence.flush();
    expect(await c.db.updates.count()).toBeLessThanOrEqual(rows);
    const c2 = await reopen(c);
    await c2.ready;
    expect(c2.persistence.historyArriving).toBe(true);
    await ask(a, c2);
    await c2.persistence.flush();
    expect(c2.persistence.historyArriving).toBe(false);
    expect(c2.persistence.behindCheckpoint).toBe(false);
    expect(await projectedFigures(c2)).toEqual(await projectedFigures(a));
    expect((await c2.persistence.checkData()).differences).toEqual([]);
  });

  it('writes the settings its checkpoint brought once, and the network view’s levels: judged again with its member log, none is put again', async () => {
    const { a } = await twoHubsWithHistory();
    const c = await device();
    await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Community centre tablet' });
    const bundle = await storeCheckpointBundle(a, clock.now());
    // Every items, levels and hub levels row put, by key, as the seed and the member list's judgement put them.
    const put: string[] = [];
    for (const table of [c.db.items, c.db.levels, c.db.hubLevels] as const) {
      const bulkPut = table.bulkPut.bind(table) as (rows: unknown[]) => Promise<unknown>;
      vi.spyOn(table, 'bulkPut').mockImplementation(((rows: { id?: string; key?: string }[]) => {
        put.push(...rows.map((r) => `${table.name}/${r.id ?? r.key}`));
        return bulkPut(rows);
      }) as never);
    }
    expect(await startFromBundle(c, bundle!.bytes)).toMatchObject({ ok: true });
    await c.persistence.flush();
    const settings = [
      ...(await c.db.items.toArray()).map((r) => `items/${r.id}`),
      ...(await c.db.levels.toArray()).map((r) => `levels/${r.key}`),
      ...(await c.db.hubLevels.toArray()).map((r) => `hubLevels/${r.key}`),
    ];
    expect(settings.length).toBeGreaterThan(1);
    expect(put.sort()).toEqual(settings.sort());
    expect(await projectedFigures(c)).toEqual(await projectedFigures(a));
  });
});
