import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendEntries,
  appendMemberOp,
  headsOf,
  itemsOf,
  settingCopiesOf,
  settingVersionsOf,
} from '../../../shared/doc';
import { headCheckFor } from '../../../shared/sync/headCheck';
import { envelopesIn, guardHeads, ingestUpdate, INGEST_MESSAGES as M } from '../../../shared/sync/ingest';
import { headMessage } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { copyKey, signSetting, versionKey, type SignedSetting } from '../../../shared/trust/settings';
import { genesis, network as trustNetwork, request, type TestDevice } from '../trust/fixtures';
import { T, donation } from './donations';
import { collectedAfter, collectedFirst } from './crafted';
import { diff, expectRefused } from './door';

/**
 * A signed value is replaced, never removed: a key holder must not be able to empty a setting, a writer's
 * version or copy, or a head by sending an item that arrives deleted, nor change or remove a writer's
 * newest version. Each refusal sits next to the honest update it must not catch.
 */

let net: string;
let founder: TestDevice;
let other: TestDevice;

beforeAll(async () => {
  const n = await trustNetwork();
  net = n.net;
  founder = n.founder;
  other = n.a;
});

const rice = (by: TestDevice, name: string, at: number): Promise<SignedSetting> =>
  signSetting(net, 'items', 'itma', { name }, by.id, at, by.keys.privateKey);
const COPY = () => copyKey('items', founder.id, 'itma');
const COPY_PATH = () => `settingCopies/${COPY()}`;

async function head(d: TestDevice, seq: number) {
  const sig = await sign(d.keys.privateKey, headMessage(net, d.id, seq, 'h'.repeat(43)));
  return [seq, 'h'.repeat(43), sig] as const;
}

/** Replica 1 of a signed network: the founder's item `itma` (Rice, at T), its own copy, and its head. */
async function network(): Promise<Y.Doc> {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = 1;
  guardHeads(doc, headCheckFor(net));
  appendMemberOp(doc, await genesis(net, founder));
  appendMemberOp(doc, await request(net, other));
  appendEntries(doc, founder.id, [donation(founder.id, 1)], await head(founder, 1));
  const env = await rice(founder, 'Rice', T);
  doc.transact(() => {
    itemsOf(doc).set('itma', env);
    settingCopiesOf(doc).set(COPY(), env);
  });
  return doc;
}

/** What a sender makes of `a`'s state: `gc` false keeps deleted content, as no Larder device does. */
function sender(a: Y.Doc, clientID: number, gc: boolean): Y.Doc {
  const doc = new Y.Doc({ gc });
  doc.clientID = clientID;
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(a));
  return doc;
}

const expectTaken = (doc: Y.Doc, update: Uint8Array) =>
  expect(ingestUpdate(doc, update, 'peer')).toMatchObject({ ok: true, changed: true });

describe('an item that arrives deleted must not empty a key', () => {
  it('refuses a value with its content and in the update’s delete set, placed after a setting', async () => {
    // Set, then deleted by the same sender: the new item takes the key's place (the old value is
    // deleted as it integrates), then is deleted itself. Taken, the item was gone on every replica.
    for (const [where, fill] of [
      ['items/itma', (d: Y.Doc, env: SignedSetting) => itemsOf(d).set('itma', env)],
      [COPY_PATH(), (d: Y.Doc, env: SignedSetting) => settingCopiesOf(d).set(COPY(), env)],
    ] as const) {
      const a = await network();
      const b = sender(a, 5, false);
      // A genuine envelope: its signature and its writer pass every other check.
      fill(b, await rice(founder, 'Rice', T + 1));
      b.transact(() =>
        where === 'items/itma' ? itemsOf(b).delete('itma') : settingCopiesOf(b).delete(COPY()),
      );
      expectRefused(a, diff(b, a), M.badSetting(where));
    }
  });

  it('refuses a collected item placed after a setting, a writer’s copy or a head: nothing replaced it', async () => {
    const a = await network();
    const copy = settingCopiesOf(a)._map.get(COPY())!;
    expectRefused(a, collectedAfter(copy), M.badSetting(COPY_PATH()));
    const founderHead = headsOf(a)._map.get(founder.id)!;
    expectRefused(a, collectedAfter(founderHead), M.badHead(founder.id));
    expect(settingCopiesOf(a).get(COPY())).toMatchObject({ v: { name: 'Rice' } });
    expect((headsOf(a).get(founder.id) as unknown[])[0]).toBe(1);
    // In a settings map too: there the key's value after the update is worked out as Yjs places it.
    expectRefused(a, collectedAfter(itemsOf(a)._map.get('itma')!), M.badSetting('items/itma'));
    expect(itemsOf(a).get('itma')).toMatchObject({ v: { name: 'Rice' } });
  });

  it('lets through a collected item in a settings map: a value that lost to a concurrent one looks the same', async () => {
    const a = await network();
    // Two devices set the item at once; the one that loses arrives collected, with no successor.
    const b = sender(a, 5, true);
    const c = sender(a, 6, true);
    itemsOf(b).set('itma', await rice(founder, 'Rice 1', T + 1));
    itemsOf(c).set('itma', await rice(founder, 'Rice 2', T + 2));
    Y.applyUpdate(b, diff(c, b));
    Y.applyUpdate(c, diff(b, c));
    expect(itemsOf(b).toJSON()).toEqual(itemsOf(c).toJSON());
    expectTaken(a, diff(b, a));
    expect(itemsOf(a).toJSON()).toEqual(itemsOf(b).toJSON());
  });

  it('works out the value as Yjs places items: after the same item, the larger client id comes last', async () => {
    // Replica 50's item, set twice: the value follows the first (deleted) one.
    const a = await network();
    a.clientID = 50;
    const env = await rice(founder, 'Rice 2', T + 1);
    itemsOf(a).set('itma', env);
    const first = itemsOf(a)._map.get('itma')!.left!;
    expect(first.deleted).toBe(true);
    // A deleted item after the first one as well: with a smaller client id it is placed before the
    // value (harmless, taken); with a larger one, after it (the key would be empty).
    expectRefused(a, collectedAfter(first, 60), M.badSetting('items/itma'));
    expect(ingestUpdate(a, collectedAfter(first, 40), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(itemsOf(a).get('itma')).toEqual(env);
  });

  it('works out the value from the whole key when only some new items follow the current value', async () => {
    const a = await network();
    a.clientID = 50;
    itemsOf(a).set('itma', await rice(founder, 'Rice 2', T + 1));
    const first = itemsOf(a)._map.get('itma')!.left!;
    // A replacement of the value, and a deleted item after the first value with a larger client id than
    // the value's, in one update: the deleted one comes after both, and the key would be empty.
    const b = sender(a, 70, true);
    itemsOf(b).set('itma', await rice(founder, 'Rice 3', T + 2));
    const both = Y.mergeUpdates([diff(b, a), collectedAfter(first, 60)]);
    expectRefused(a, both, M.badSetting('items/itma'));
    // With a smaller client id, it comes before the value: taken, and the replacement counts.
    expectTaken(a, Y.mergeUpdates([diff(b, a), collectedAfter(first, 40)]));
    expect(itemsOf(a).get('itma')).toMatchObject({ v: { name: 'Rice 3' } });
  });

  it('places a deleted first value among the key’s first values by client id', async () => {
    // The founder's Rice is itma's first value, from client 1. Another first value, already deleted:
    // from client 99 it comes after Rice (refused); from client 0, before it (taken, harmless).
    const a = await network();
    expectRefused(a, collectedFirst('items', 'itma', 99), M.badSetting('items/itma'));
    expectTaken(a, collectedFirst('items', 'itma', 0));
    expect(itemsOf(a).get('itma')).toMatchObject({ v: { name: 'Rice' } });
  });

  it('follows items Yjs merged: a deleted item after the first of two merged ones comes after the value', async () => {
    const a = await network();
    for (const [i, name] of ['Rice 2', 'Rice 3', 'Rice 4'].entries())
      itemsOf(a).set('itma', await rice(founder, name, T + 1 + i));
    // Values set one after the other by client 1: two replaced ones in a row, deleted, are one item now.
    const merged = itemsOf(a)._map.get('itma')!.left!;
    expect(merged.length).toBe(2);
    const inner = new Y.Item(
      Y.createID(1, merged.id.clock),
      null,
      null,
      null,
      null,
      null,
      null,
      new Y.ContentDeleted(1),
    );
    expectRefused(a, collectedAfter(inner, 99), M.badSetting('items/itma'));
    expect(itemsOf(a).get('itma')).toMatchObject({ v: { name: 'Rice 4' } });
  });

  it('takes a key that has no value before or after: a setting deleted before the network was signed', async () => {
    const unsigned = new Y.Doc({ gc: true });
    unsigned.clientID = 3;
    itemsOf(unsigned).set('gone', { id: 'gone', name: 'Old item' });
    itemsOf(unsigned).delete('gone');
    const a = await network();
    Y.applyUpdate(unsigned, Y.encodeStateAsUpdate(a));
    const fresh = new Y.Doc({ gc: true });
    fresh.clientID = 9;
    guardHeads(fresh, headCheckFor(net));
    expectTaken(fresh, Y.encodeStateAsUpdate(unsigned));
    expect(itemsOf(fresh).has('gone')).toBe(false);
  });

  it('takes values replaced twice by a sender that keeps deleted content: each is followed by its successor', async () => {
    const a = await network();
    const b = sender(a, 5, false);
    for (const [i, name] of ['Rice 1', 'Rice 2'].entries()) {
      const env = await rice(founder, name, T + 1 + i);
      b.transact(() => {
        itemsOf(b).set('itma', env);
        settingCopiesOf(b).set(COPY(), env);
      });
    }
    // And the founder's head, twice.
    headsOf(b).set(founder.id, [...(await head(founder, 2))]);
    headsOf(b).set(founder.id, [...(await head(founder, 3))]);
    const update = diff(b, a);
    // What makes this case: replaced values arrive with their content, and in the delete set.
    const decoded = Y.decodeUpdate(update);
    expect(
      decoded.structs.filter((s) => s instanceof Y.Item && s.content instanceof Y.ContentAny).length,
    ).toBe(6);
    expect(decoded.ds.clients.get(5)?.length).toBeGreaterThan(0);
    expectTaken(a, update);
    expect(itemsOf(a).get('itma')).toMatchObject({ v: { name: 'Rice 2' } });
    expect(settingCopiesOf(a).get(COPY())).toMatchObject({ v: { name: 'Rice 2' } });
    expect((headsOf(a).get(founder.id) as unknown[])[0]).toBe(3);
  });

  it('takes the two halves of such a change in either order (the replacement waits for what it replaces)', async () => {
    const a = await network();
    const first = await rice(founder, 'Rice 1', T + 1);
    const updates: Uint8Array[] = [];
    const c = sender(a, 7, false);
    c.on('update', (u: Uint8Array) => updates.push(u));
    c.transact(() => settingCopiesOf(c).set(COPY(), first));
    const second = await rice(founder, 'Rice 2', T + 2);
    c.transact(() => settingCopiesOf(c).set(COPY(), second));
    expect(updates).toHaveLength(2);
    // The replacement first: it waits for the value it replaces, whose arrival brings both.
    expect(ingestUpdate(a, updates[1]!, 'peer')).toMatchObject({ ok: true, pending: true });
    expectTaken(a, updates[0]!);
    expect(settingCopiesOf(a).get(COPY())).toMatchObject({ v: { name: 'Rice 2' } });
  });
});

describe('a writer’s versions: added by anyone as signed, removed only behind a newer one', () => {
  const V = (at: number) => versionKey('items', founder.id, at, 'itma');
  const VP = (at: number) => `settingVersions/${V(at)}`;
  /** Replica 1, with the founder's version of Rice at T. */
  async function withVersion(): Promise<Y.Doc> {
    const a = await network();
    settingVersionsOf(a).set(V(T), itemsOf(a).get('itma'));
    return a;
  }

  it('holds exactly the envelope its key names', async () => {
    const a = await withVersion();
    for (const value of [
      await rice(other, 'Rice', T + 1), // another writer's, in the founder's place
      await rice(founder, 'Rice', T + 2), // the founder's, signed at another time
    ]) {
      const b = sender(a, 5, true);
      settingVersionsOf(b).set(V(T + 1), value);
      expectRefused(a, diff(b, a), M.badSetting(VP(T + 1)));
    }
    // Two envelopes in one item (no Y.Map#set writes that).
    const b = sender(a, 5, true);
    const env = await rice(founder, 'Rice 2', T + 1);
    b.transact((tr) => {
      const id = Y.createID(b.clientID, Y.getState(b.store, b.clientID));
      new Y.Item(
        id,
        null,
        null,
        null,
        null,
        settingVersionsOf(b),
        V(T + 1),
        new Y.ContentAny([env, env]),
      ).integrate(tr, 0);
    });
    expectRefused(a, diff(b, a), M.badSetting(VP(T + 1)));
    // The genuine one is taken, from anyone.
    const c = sender(a, 6, true);
    settingVersionsOf(c).set(V(T + 1), env);
    expectTaken(a, diff(c, a));
  });

  it('refuses removing the newest version of a writer, bare or by an item placed after it', async () => {
    const a = await withVersion();
    const b = sender(a, 5, true);
    settingVersionsOf(b).delete(V(T));
    expectRefused(a, diff(b, a), M.badSetting(VP(T)));
    expectRefused(a, collectedAfter(settingVersionsOf(a)._map.get(V(T))!), M.badSetting(VP(T)));
    // Nor behind a newer version that goes in the same update, or that another writer signed.
    const c = sender(a, 6, true);
    c.transact(() => {
      settingVersionsOf(c).set(V(T + 1), null as unknown as SignedSetting);
      settingVersionsOf(c).delete(V(T + 1));
      settingVersionsOf(c).delete(V(T));
    });
    expect(ingestUpdate(a, diff(c, a), 'peer')).toMatchObject({ ok: false });
    const e = sender(a, 8, true);
    const others = await rice(other, 'Rice', T + 1);
    e.transact(() => {
      settingVersionsOf(e).set(versionKey('items', other.id, T + 1, 'itma'), others);
      settingVersionsOf(e).delete(V(T));
    });
    expectRefused(a, diff(e, a), M.badSetting(VP(T)));
    expect(settingVersionsOf(a).get(V(T))).toMatchObject({ v: { name: 'Rice' } });
  });

  it('takes a writer removing its older version once a newer one is in: in the same update, or already held', async () => {
    const a = await withVersion();
    const b = sender(a, 5, true);
    const newer = await rice(founder, 'Rice 2', T + 1);
    b.transact(() => {
      settingVersionsOf(b).set(V(T + 1), newer);
      settingVersionsOf(b).delete(V(T));
    });
    expectTaken(a, diff(b, a));
    expect([...settingVersionsOf(a).keys()]).toEqual([V(T + 1)]);
    // Already held: the delete alone.
    const c = await withVersion();
    const d = sender(c, 6, true);
    d.transact(() => settingVersionsOf(d).set(V(T + 1), newer));
    expectTaken(c, diff(d, c));
    const e = sender(c, 7, true);
    e.transact(() => settingVersionsOf(e).delete(V(T)));
    expectTaken(c, diff(e, c));
    expect([...settingVersionsOf(c).keys()]).toEqual([V(T + 1)]);
  });

  it('keeps the newest of a writer’s versions whatever their order: removing one behind it is taken', async () => {
    const a = await network();
    const doc = sender(a, 5, true);
    for (const at of [T + 3, T + 1, T + 2])
      settingVersionsOf(doc).set(V(at), await rice(founder, 'Rice', at));
    expectTaken(a, diff(doc, a));
    const b = sender(a, 6, true);
    settingVersionsOf(b).delete(V(T + 2));
    expectTaken(a, diff(b, a));
    const c = sender(a, 7, true);
    settingVersionsOf(c).delete(V(T + 3));
    expectRefused(a, diff(c, a), M.badSetting(VP(T + 3)));
  });

  it('refuses a version emptied on a device that has no version yet', async () => {
    const a = await withVersion();
    const fresh = new Y.Doc({ gc: true });
    fresh.clientID = 9;
    guardHeads(fresh, headCheckFor(net));
    const hidden = Y.mergeUpdates([
      Y.encodeStateAsUpdate(a),
      collectedAfter(settingVersionsOf(a)._map.get(V(T))!),
    ]);
    expectRefused(fresh, hidden, M.badSetting(VP(T)));
  });

  it('takes an older version put back after its writer removed it: the newer one still counts', async () => {
    const a = await withVersion();
    const old = settingVersionsOf(a).get(V(T));
    const c = sender(a, 6, true);
    const newer = await rice(founder, 'Rice 2', T + 1);
    c.transact(() => {
      settingVersionsOf(c).set(V(T + 1), newer);
      settingVersionsOf(c).delete(V(T));
    });
    expectTaken(a, diff(c, a));
    const replay = sender(a, 7, true);
    settingVersionsOf(replay).set(V(T), old);
    expectTaken(a, diff(replay, a));
    expect([...settingVersionsOf(a).keys()].sort()).toEqual([V(T), V(T + 1)].sort());
  });

  it('lets an older envelope back into the settings map: many writers, and the versions decide', async () => {
    const a = await network();
    const b = sender(a, 5, true);
    itemsOf(b).set('itma', await rice(founder, 'Rice (old)', T - 10));
    expectTaken(a, diff(b, a));
  });
});

describe('envelopesIn: how many signed values an update carries (each costs the door a verification)', () => {
  it('counts envelopes wherever they go, one item holding several included, and nothing else', async () => {
    const a = await network();
    const b = sender(a, 5, true);
    const env = await rice(founder, 'Rice 2', T + 1);
    b.transact(() => {
      itemsOf(b).set('itma', env);
      settingVersionsOf(b).set(versionKey('items', founder.id, T + 1, 'itma'), env);
      itemsOf(b).set('plain', { name: 'not signed' });
    });
    expect(envelopesIn(diff(b, a))).toBe(2);
    const c = sender(a, 6, true);
    c.transact((tr) => {
      const id = Y.createID(c.clientID, 0);
      new Y.Item(id, null, null, null, null, itemsOf(c), 'two', new Y.ContentAny([env, 'x', env])).integrate(
        tr,
        0,
      );
    });
    expect(envelopesIn(diff(c, a))).toBe(2);
    // A deleted item, or an empty update, carries none; bytes Yjs cannot read count none (refused anyway).
    expect(envelopesIn(collectedAfter(itemsOf(a)._map.get('itma')!))).toBe(0);
    expect(envelopesIn(Y.encodeStateAsUpdate(new Y.Doc()))).toBe(0);
    expect(envelopesIn(new Uint8Array([1, 2, 3]))).toBe(0);
  });
});
