import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEntries, appendMemberOp, headsOf, itemsOf, settingCopiesOf } from '../../../shared/doc';
import { headCheckFor } from '../../../shared/sync/headCheck';
import {
  checkUpdateBytes,
  guardHeads,
  ingestUpdate,
  INGEST_MESSAGES as M,
} from '../../../shared/sync/ingest';
import { headMessage } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { copyKey, signSetting } from '../../../shared/trust/settings';
import { genesis, network as trustNetwork, request, type TestDevice } from '../trust/fixtures';
import { T, donation } from './donations';
import { expectRefused } from './door';

/**
 * Ingest on a device that has nothing yet (its doc has never defined the network's root types): a new
 * device joining a signed network takes the network's whole state in one update, and gets the same
 * protection as a device that has everything, its refusals next to the accepted case. Also the exact
 * nesting bound, and what ingest leaves behind on the doc.
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

async function head(d: TestDevice, seq: number, by = d) {
  const sig = await sign(by.keys.privateKey, headMessage(net, d.id, seq, 'h'.repeat(43)));
  return [seq, 'h'.repeat(43), sig] as const;
}

/** A new device's doc on a signed network: guarded, and no root type defined yet. */
function fresh(clientID: number): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientID;
  guardHeads(doc, headCheckFor(net));
  return doc;
}

/** The founder's network as a peer holds it: genesis, a request, an entry with its head, a setting. */
async function peerState(): Promise<Y.Doc> {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = 1;
  appendMemberOp(doc, await genesis(net, founder));
  appendMemberOp(doc, await request(net, other));
  appendEntries(doc, founder.id, [donation(founder.id, 1)], await head(founder, 1));
  itemsOf(doc).set(
    'itma',
    await signSetting(net, 'items', 'itma', { name: 'Rice' }, founder.id, T, founder.keys.privateKey),
  );
  return doc;
}

describe('a new device joining a signed network', () => {
  it('takes the whole network in one update: members, entries, signed heads and settings', async () => {
    const peer = await peerState();
    const doc = fresh(5);
    expect(ingestUpdate(doc, Y.encodeStateAsUpdate(peer), 'peer')).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect((headsOf(doc).get(founder.id) as unknown[])[0]).toBe(1);
    expect(itemsOf(doc).get('itma')).toMatchObject({ v: { name: 'Rice' }, by: founder.id });
  });

  it('refuses the whole network when a head in it was signed by another key', async () => {
    const peer = await peerState();
    headsOf(peer).set(founder.id, [...(await head(founder, 2, other))]);
    expectRefused(fresh(6), Y.encodeStateAsUpdate(peer), M.badHead(founder.id));
  });

  it('refuses the whole network when a setting in it is unsigned, naming the setting', async () => {
    const peer = await peerState();
    itemsOf(peer).set('itmz', { name: 'Unsigned' });
    expectRefused(fresh(7), Y.encodeStateAsUpdate(peer), M.badSetting('items/itmz'));
  });

  it('takes the network on an unsigned device with unsigned settings (the guard is per doc)', async () => {
    const peer = await peerState();
    itemsOf(peer).set('itmz', { name: 'Unsigned' });
    const doc = new Y.Doc({ gc: true });
    doc.clientID = 8;
    expect(ingestUpdate(doc, Y.encodeStateAsUpdate(peer), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(itemsOf(doc).get('itmz')).toEqual({ name: 'Unsigned' });
  });
});

describe('writers’ own copies of settings (settingCopies)', () => {
  const rice = (by: TestDevice, name = 'Rice', at = T) =>
    signSetting(net, 'items', 'itma', { name }, by.id, at, by.keys.privateKey);

  it('takes a device’s copy of what it signed, and its replacement by a newer one it signed', async () => {
    const peer = await peerState();
    settingCopiesOf(peer).set(copyKey('items', founder.id, 'itma'), await rice(founder));
    const doc = fresh(21);
    expect(ingestUpdate(doc, Y.encodeStateAsUpdate(peer), 'peer')).toMatchObject({ ok: true, changed: true });
    const sv = Y.encodeStateVector(peer);
    settingCopiesOf(peer).set(copyKey('items', founder.id, 'itma'), await rice(founder, 'Rice 2 lb', T + 1));
    expect(ingestUpdate(doc, Y.encodeStateAsUpdate(peer, sv), 'peer')).toMatchObject({
      ok: true,
      changed: true,
    });
    expect(settingCopiesOf(doc).get(copyKey('items', founder.id, 'itma'))).toMatchObject({
      v: { name: 'Rice 2 lb' },
    });
  });

  it('refuses another device’s envelope in a device’s copy, even where it holds none yet', async () => {
    const peer = await peerState();
    const where = copyKey('items', founder.id, 'itma');
    settingCopiesOf(peer).set(where, await rice(other, 'Poison'));
    expectRefused(fresh(22), Y.encodeStateAsUpdate(peer), M.badSetting(`settingCopies/${where}`));
  });

  it('refuses a copy holding another device’s envelope after its own (the map reads the last)', async () => {
    const where = copyKey('items', founder.id, 'itma');
    // One item holding two values, as no honest device writes it: Y.Map#set writes one.
    const both = async (values: unknown[]) => {
      const peer = await peerState();
      const copies = settingCopiesOf(peer);
      peer.transact((tr) => {
        const id = Y.createID(peer.clientID, Y.getState(peer.store, peer.clientID));
        new Y.Item(id, null, null, null, null, copies, where, new Y.ContentAny(values)).integrate(tr, 0);
      });
      return peer;
    };
    const forged = await both([await rice(founder), await rice(other, 'Poison')]);
    expect(settingCopiesOf(forged).get(where)).toMatchObject({ by: other.id, v: { name: 'Poison' } });
    expectRefused(fresh(25), Y.encodeStateAsUpdate(forged), M.badSetting(`settingCopies/${where}`));
    // Two of its own: taken.
    const own = await both([await rice(founder), await rice(founder, 'Rice 2 lb', T + 1)]);
    expect(ingestUpdate(fresh(26), Y.encodeStateAsUpdate(own), 'peer')).toMatchObject({ ok: true });
  });

  it('refuses a copy under a key no device writes, or that is not an envelope', async () => {
    for (const [key, value] of [
      ['items/itma', await rice(founder)],
      [`ledgers/${founder.id}/itma`, await rice(founder)],
      [copyKey('items', founder.id, 'itma'), { name: 'Rice' }],
    ] as const) {
      const peer = await peerState();
      settingCopiesOf(peer).set(key, value);
      expectRefused(fresh(23), Y.encodeStateAsUpdate(peer), M.badSetting(`settingCopies/${key}`));
    }
  });

  it('refuses a replacement its device did not sign, and a bare delete', async () => {
    const peer = await peerState();
    const where = copyKey('items', founder.id, 'itma');
    settingCopiesOf(peer).set(where, await rice(founder));
    const doc = fresh(24);
    ingestUpdate(doc, Y.encodeStateAsUpdate(peer), 'peer');
    const sv = Y.encodeStateVector(peer);
    const replaced = new Y.Doc();
    Y.applyUpdate(replaced, Y.encodeStateAsUpdate(peer));
    const current = settingCopiesOf(replaced).get(where) as { v: unknown };
    settingCopiesOf(replaced).set(where, { ...current, v: { name: 'Poison' } });
    expectRefused(doc, Y.encodeStateAsUpdate(replaced, sv), M.badSetting(`settingCopies/${where}`));
    const deleted = new Y.Doc();
    Y.applyUpdate(deleted, Y.encodeStateAsUpdate(peer));
    settingCopiesOf(deleted).delete(where);
    expectRefused(doc, Y.encodeStateAsUpdate(deleted, sv), M.badSetting(`settingCopies/${where}`));
  });
});

describe('bounds and leftovers', () => {
  /** An update nesting `depth` arrays under one root array, with a leaf at the bottom. */
  const nested = (depth: number) => {
    const d = new Y.Doc();
    d.clientID = 11;
    d.transact(() => {
      let parent: Y.Array<unknown> = d.getArray('other');
      for (let i = 0; i < depth; i++) {
        const child = new Y.Array<unknown>();
        parent.push([child]);
        parent = child;
      }
      parent.push(['leaf']);
    });
    return Y.encodeStateAsUpdate(d);
  };

  it('takes types nested 64 deep, and refuses 65', () => {
    expect(ingestUpdate(new Y.Doc(), nested(64), 'peer')).toMatchObject({ ok: true, changed: true });
    expectRefused(new Y.Doc(), nested(65), M.malformed);
  });

  it('refuses an update that is not bytes, even one whose numbers would decode', () => {
    const d = new Y.Doc();
    d.getArray('x').push(['a']);
    const numbers = Array.from(Y.encodeStateAsUpdate(d)) as unknown as Uint8Array;
    expect(checkUpdateBytes(numbers)).toEqual({ ok: false, message: M.malformed });
    expectRefused(new Y.Doc(), numbers, M.malformed);
  });

  it('leaves no listener on the doc behind, whatever the outcome', () => {
    const doc = new Y.Doc();
    const d = new Y.Doc();
    d.getArray('x').push(['a']);
    ingestUpdate(doc, Y.encodeStateAsUpdate(d), 'peer');
    ingestUpdate(doc, Uint8Array.of(1, 2, 3), 'peer');
    // lib0's Observable keeps its listeners by event name; none is left for 'update'.
    const observers = (doc as unknown as { _observers: Map<string, Set<unknown>> })._observers;
    expect(observers.get('update')?.size ?? 0).toBe(0);
  });
});
