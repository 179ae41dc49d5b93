import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendEntries,
  appendMemberOp,
  headsOf,
  itemsOf,
  ledgersOf,
  levelsOf,
  membersOf,
  readAllEntries,
  settingCopiesOf,
} from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { stagingBase } from '../../renderer/storage/staging';

const entry = (device: string, seq: number, qty: number): Entry => ({
  kind: 'donation',
  hub: 'h1',
  device,
  seq,
  item: 'rice',
  at: 1_700_000_000_000 + seq,
  recordedAt: 1_700_000_000_000 + seq,
  qty,
  source: 'other',
});

/** The change `change` makes in a staging doc built from `live`, as one update. */
function staged(live: Y.Doc, change: (doc: Y.Doc) => void, ownDevice: string | null = null): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, stagingBase(live, ownDevice));
  // Yjs gives a doc a new client id when an applied update uses its own: set it after.
  doc.clientID = live.clientID;
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  change(doc);
  return Y.mergeUpdates(updates);
}

/** A live doc with a history from three devices: this one in two sessions, and two peers. */
function liveDoc(): { live: Y.Doc; twin: Y.Doc } {
  const peer = new Y.Doc();
  appendEntries(peer, 'peer', [entry('peer', 1, 5), entry('peer', 2, 6)], [2, 'h', 's']);
  itemsOf(peer).set('rice', { name: 'Rice' });
  settingCopiesOf(peer).set('items/peer/rice', { name: 'Rice' });
  appendMemberOp(peer, ['genesis', 'a', 'b']);
  const earlier = new Y.Doc();
  Y.applyUpdate(earlier, Y.encodeStateAsUpdate(peer));
  appendEntries(earlier, 'me', [entry('me', 1, 1)], [1, 'h', 's']);
  levelsOf(earlier).set('h1|rice', { min: 1, target: 2 });
  levelsOf(earlier).delete('h1|rice');
  settingCopiesOf(earlier).set('levels/mine/h1|rice', { min: 1, target: 2 });
  const live = new Y.Doc();
  Y.applyUpdate(live, Y.encodeStateAsUpdate(earlier));
  appendEntries(live, 'me', [entry('me', 2, 2), entry('me', 3, 3)], [3, 'h', 's']);
  itemsOf(live).set('rice', { name: 'Rice 2 lb' });
  settingCopiesOf(live).set('items/mine/rice', { name: 'Rice 2 lb' });
  appendMemberOp(live, ['approve', 'c', 'd']);
  const twin = new Y.Doc();
  Y.applyUpdate(twin, Y.encodeStateAsUpdate(live));
  twin.clientID = live.clientID;
  return { live, twin };
}

describe('a staging doc', () => {
  it.each([
    ['entries and a head', (d: Y.Doc) => appendEntries(d, 'me', [entry('me', 4, 4)], [4, 'h', 's'])],
    ['a first entry of a new ledger', (d: Y.Doc) => appendEntries(d, 'new', [entry('new', 1, 9)])],
    ['a setting replaced', (d: Y.Doc) => itemsOf(d).set('rice', { name: 'Rice 5 lb' })],
    ['a cleared setting set again', (d: Y.Doc) => levelsOf(d).set('h1|rice', { min: 3, target: 4 })],
    ['a setting deleted', (d: Y.Doc) => itemsOf(d).delete('rice')],
    ['a member operation', (d: Y.Doc) => appendMemberOp(d, ['revoke', 'e', 'f'])],
    [
      'a setting and this device’s own copy of it',
      (d: Y.Doc) =>
        d.transact(() => {
          itemsOf(d).set('rice', { name: 'Rice 5 lb' });
          settingCopiesOf(d).set('items/mine/rice', { name: 'Rice 5 lb' });
          settingCopiesOf(d).set('levels/mine/h1|oats', { min: 1, target: 1 });
        }),
    ],
  ])('makes the update the live doc would make: %s', (_, change) => {
    const { live, twin } = liveDoc();
    const fromStaging = staged(live, change, 'mine');
    const direct: Uint8Array[] = [];
    twin.on('update', (u: Uint8Array) => direct.push(u));
    change(twin);
    expect(Y.decodeUpdate(fromStaging)).toEqual(Y.decodeUpdate(Y.mergeUpdates(direct)));
    // Applied to the live doc it gives the same doc as the change made there.
    const id = live.clientID;
    Y.applyUpdate(live, fromStaging);
    live.clientID = id;
    expect(Y.encodeStateAsUpdate(live)).toEqual(Y.encodeStateAsUpdate(twin));
    // The same entries and the same set-aside problems (listed in an order that follows Yjs client ids).
    const read = (doc: Y.Doc) => {
      const { entries, problems } = readAllEntries(doc);
      return { entries, problems: problems.map((p) => `${p.where}: ${JSON.stringify(p.reason)}`).sort() };
    };
    expect(read(live)).toEqual(read(twin));
    expect(membersOf(live).toJSON()).toEqual(membersOf(twin).toJSON());
    expect(headsOf(live).toJSON()).toEqual(headsOf(twin).toJSON());
    expect(ledgersOf(live).size).toBe(ledgersOf(twin).size);
  });

  it('holds only this device’s own copies of settings, without their values', () => {
    const { live } = liveDoc();
    const copies = (ownDevice: string | null) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, stagingBase(live, ownDevice));
      return settingCopiesOf(doc).toJSON();
    };
    expect(copies('mine')).toEqual({ 'items/mine/rice': null, 'levels/mine/h1|rice': null });
    expect(copies(null)).toEqual({
      'items/peer/rice': null,
      'items/mine/rice': null,
      'levels/mine/h1|rice': null,
    });
    // The settings themselves keep their values: the trust layer judges them in the staging doc.
    const doc = new Y.Doc();
    Y.applyUpdate(doc, stagingBase(live, 'mine'));
    expect(itemsOf(doc).get('rice')).toEqual({ name: 'Rice 2 lb' });
  });

  it('stays small while the ledger grows', () => {
    const live = new Y.Doc();
    for (let s = 0; s < 40; s++) {
      const session = new Y.Doc();
      Y.applyUpdate(session, Y.encodeStateAsUpdate(live));
      appendEntries(
        session,
        'me',
        Array.from({ length: 200 }, (_, i) => entry('me', s * 200 + i + 1, 1)),
      );
      Y.applyUpdate(live, Y.encodeStateAsUpdate(session));
    }
    expect(Y.encodeStateAsUpdate(live).byteLength).toBeGreaterThan(150_000);
    expect(stagingBase(live).byteLength).toBeLessThan(3_000);
  });
});

describe('a member list with items out of their writer’s own order', () => {
  it.each([
    ['a member operation', (d: Y.Doc) => appendMemberOp(d, ['revoke', 'e', 'f'])],
    ['entries and a head', (d: Y.Doc) => appendEntries(d, 'me', [entry('me', 2, 4)], [2, 'h', 's'])],
    ['a setting', (d: Y.Doc) => itemsOf(d).set('rice', { name: 'Rice 5 lb' })],
  ])(
    'still makes the update the live doc would make (a key holder can insert before its own earlier operations): %s',
    (_, change) => {
      const live = new Y.Doc();
      appendMemberOp(live, ['genesis', 'a', 'b']);
      const other = new Y.Doc();
      Y.applyUpdate(other, Y.encodeStateAsUpdate(live));
      appendMemberOp(other, ['one', 'x', 'y']); // its clock 0, at the end
      other.transact(() => membersOf(other).insert(1, [['two', 'x', 'y']])); // its clock 1, before it
      other.transact(() => membersOf(other).insert(0, [['zero', 'x', 'y']]));
      Y.applyUpdate(live, Y.encodeStateAsUpdate(other));
      appendMemberOp(live, ['approve', 'c', 'd']);
      const twin = new Y.Doc();
      Y.applyUpdate(twin, Y.encodeStateAsUpdate(live));
      twin.clientID = live.clientID;
      const fromStaging = staged(live, change);
      const direct: Uint8Array[] = [];
      twin.on('update', (u: Uint8Array) => direct.push(u));
      change(twin);
      expect(Y.decodeUpdate(fromStaging)).toEqual(Y.decodeUpdate(Y.mergeUpdates(direct)));
      const id = live.clientID;
      Y.applyUpdate(live, fromStaging);
      live.clientID = id;
      expect(
        membersOf(live)
          .toJSON()
          .map((op) => op[0])
          .slice(0, 5),
      ).toEqual(['zero', 'genesis', 'two', 'one', 'approve']);
      expect(Y.encodeStateAsUpdate(live)).toEqual(Y.encodeStateAsUpdate(twin));
    },
  );
});

describe('a member list with another device’s item inside one of this device’s', () => {
  it.each([
    ['a member operation', (d: Y.Doc) => appendMemberOp(d, ['revoke', 'e', 'f'])],
    ['entries and a head', (d: Y.Doc) => appendEntries(d, 'me', [entry('me', 2, 4)], [2, 'h', 's'])],
  ])('makes the update the live doc would make, and the save reaches the live doc: %s', (_, change) => {
    const live = new Y.Doc();
    appendEntries(live, 'me', [entry('me', 1, 1)], [1, 'h', 's']);
    // Two operations of this device in one struct; a key holder's insert splits it.
    live.transact(() =>
      membersOf(live).push([
        ['genesis', 'a', 'b'],
        ['approve', 'a', 'b'],
      ]),
    );
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(live));
    other.transact(() => membersOf(other).insert(1, [['forged', 'x', 'y']]));
    appendMemberOp(other, ['end', 'x', 'y']);
    other.transact(() => membersOf(other).insert(0, [['first', 'x', 'y']]));
    Y.applyUpdate(live, Y.encodeStateAsUpdate(other));
    const twin = new Y.Doc();
    Y.applyUpdate(twin, Y.encodeStateAsUpdate(live));
    twin.clientID = live.clientID;
    const fromStaging = staged(live, change);
    const direct: Uint8Array[] = [];
    twin.on('update', (u: Uint8Array) => direct.push(u));
    change(twin);
    expect(Y.decodeUpdate(fromStaging)).toEqual(Y.decodeUpdate(Y.mergeUpdates(direct)));
    const id = live.clientID;
    Y.applyUpdate(live, fromStaging);
    live.clientID = id;
    expect(Y.encodeStateAsUpdate(live)).toEqual(Y.encodeStateAsUpdate(twin));
    expect(readAllEntries(live).entries.length).toBe(readAllEntries(twin).entries.length);
  });
});
