import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendEntries,
  appendMemberOp,
  headsOf,
  settingVersionsOf,
  itemsOf,
  ledgersOf,
  levelsOf,
  membersOf,
  readAllEntries,
  settingCopiesOf,
} from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { changesStaging, plannedHeads, stagingDoc, stagingDocInSlices } from '../../renderer/storage/staging';
import { fcOptions } from '../shared/arbitraries';

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
  const doc = stagingDoc(live, ownDevice);
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
      return settingCopiesOf(stagingDoc(live, ownDevice)).toJSON();
    };
    expect(copies('mine')).toEqual({ 'items/mine/rice': null, 'levels/mine/h1|rice': null });
    expect(copies(null)).toEqual({
      'items/peer/rice': null,
      'items/mine/rice': null,
      'levels/mine/h1|rice': null,
    });
    // The settings themselves keep their values: the trust layer judges them in the staging doc.
    const doc = stagingDoc(live, 'mine');
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
    expect(Y.encodeStateAsUpdate(stagingDoc(live)).byteLength).toBeLessThan(3_000);
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

/**
 * A live doc whose member list has another device's item inside one of this device's (two operations in one
 * struct, split by a key holder's insert), and an entry of this device.
 */
function splitMembers(): Y.Doc {
  const live = new Y.Doc();
  appendEntries(live, 'me', [entry('me', 1, 1)], [1, 'h', 's']);
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
  return live;
}

describe('a member list with another device’s item inside one of this device’s', () => {
  it.each([
    ['a member operation', (d: Y.Doc) => appendMemberOp(d, ['revoke', 'e', 'f'])],
    ['entries and a head', (d: Y.Doc) => appendEntries(d, 'me', [entry('me', 2, 4)], [2, 'h', 's'])],
  ])('makes the update the live doc would make, and the save reaches the live doc: %s', (_, change) => {
    const live = splitMembers();
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

/**
 * A staging doc is kept across what the live doc takes from peers unless `changesStaging` says it changed
 * what a local change reads or builds on (persistence.ts `kept`). Whatever peers send, the kept doc's next
 * change must be the update the live doc itself would make, and the heads a change is planned against must
 * be the live doc's, with this device's own from the staging doc.
 */
describe('a staging doc kept across what peers send', () => {
  const OWN = 'mine';
  type PeerChange =
    | { t: 'entries'; device: 'peer1' | 'peer2'; n: number }
    | { t: 'version'; device: 'peer1' | typeof OWN }
    | { t: 'setting' }
    | { t: 'member' }
    | { t: 'restart'; device: 'peer1' | typeof OWN }
    | { t: 'forged' };
  type LocalChange =
    { t: 'entries'; n: number } | { t: 'setting' } | { t: 'member' } | { t: 'version' } | { t: 'restart' };
  const peerChange: fc.Arbitrary<PeerChange> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        t: fc.constant('entries' as const),
        device: fc.constantFrom('peer1' as const, 'peer2' as const),
        n: fc.integer({ min: 1, max: 3 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('version' as const),
        device: fc.constantFrom('peer1' as const, OWN),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ t: 'setting' as const }) },
    { weight: 1, arbitrary: fc.constant({ t: 'member' as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('restart' as const),
        device: fc.constantFrom('peer1' as const, OWN),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ t: 'forged' as const }) },
  );
  const localChange: fc.Arbitrary<LocalChange> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ t: fc.constant('entries' as const), n: fc.integer({ min: 1, max: 3 }) }),
    },
    fc.constant({ t: 'setting' as const }),
    fc.constant({ t: 'member' as const }),
    fc.constant({ t: 'version' as const }),
    // A head under the key of a chain that restarted (after this device lost entries of its own).
    fc.constant({ t: 'restart' as const }),
  );

  it("makes the update the live doc would make, after any peers' changes it was kept across", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ peers: fc.array(peerChange, { maxLength: 4 }), local: localChange }), {
          minLength: 1,
          maxLength: 8,
        }),
        (rounds) => {
          const { live } = liveDoc();
          const seqs = new Map<string, number>([
            [OWN, 0],
            ['peer1', 0],
            ['peer2', 0],
          ]);
          const nextSeq = (device: string) => {
            const seq = seqs.get(device)! + 1;
            seqs.set(device, seq);
            return seq;
          };
          let n = 0;
          // A peer: a doc with what the live doc has, its change, sent as an update.
          const fromPeer = (change: PeerChange): Uint8Array => {
            const peer = new Y.Doc();
            Y.applyUpdate(peer, Y.encodeStateAsUpdate(live));
            const updates: Uint8Array[] = [];
            peer.on('update', (u: Uint8Array) => updates.push(u));
            n++;
            if (change.t === 'entries') {
              const entries = Array.from({ length: change.n }, () =>
                entry(change.device, nextSeq(change.device), 1),
              );
              appendEntries(peer, change.device, entries, [entries.at(-1)!.seq, `h${n}`, `s${n}`]);
            } else if (change.t === 'version') {
              settingVersionsOf(peer).set(`levels/${change.device}/${n}/h1|rice`, { min: n, target: n });
            } else if (change.t === 'setting') itemsOf(peer).set('rice', { name: `Rice ${n}` });
            else if (change.t === 'restart')
              headsOf(peer).set(`${change.device}/1`, [n, `h${n}`, `s${n}`, []]);
            else if (change.t === 'member') appendMemberOp(peer, ['approve', `p${n}`, 'x']);
            // A key holder writing into this device's own ledger.
            else appendEntries(peer, OWN, [entry(OWN, 1000 + n, 1)]);
            return Y.mergeUpdates(updates);
          };
          const local = (doc: Y.Doc, change: LocalChange) => {
            n++;
            if (change.t === 'entries') {
              const entries = Array.from({ length: change.n }, () => entry(OWN, nextSeq(OWN), 2));
              appendEntries(doc, OWN, entries, [entries.at(-1)!.seq, `h${n}`, `s${n}`]);
            } else if (change.t === 'setting') levelsOf(doc).set('h1|rice', { min: n, target: n + 1 });
            else if (change.t === 'member') appendMemberOp(doc, ['revoke', `q${n}`, 'y']);
            else if (change.t === 'version') settingVersionsOf(doc).set(`levels/${OWN}/${n}/h1|rice`, null);
            else headsOf(doc).set(`${OWN}/1`, [n, `h${n}`, `s${n}`, []]);
          };
          let kept: Y.Doc | null = null;
          const watch = (tr: Y.Transaction) => {
            if (kept && tr.origin !== 'staged' && changesStaging(tr, OWN)) kept = null;
          };
          live.on('afterTransaction', watch);
          for (const round of rounds) {
            for (const change of round.peers) Y.applyUpdate(live, fromPeer(change), 'peer');
            const staging: Y.Doc = kept ?? stagingDoc(live, OWN);
            staging.clientID = live.clientID;
            kept = staging;
            // The same change made in the live doc as it is now (a copy), and in the staging doc.
            const twin = new Y.Doc();
            Y.applyUpdate(twin, Y.encodeStateAsUpdate(live));
            twin.clientID = live.clientID;
            const direct: Uint8Array[] = [];
            twin.on('update', (u: Uint8Array) => direct.push(u));
            const made: Uint8Array[] = [];
            const take = (u: Uint8Array) => made.push(u);
            staging.on('update', take);
            const seqsBefore = new Map(seqs);
            local(staging, round.local);
            seqs.clear();
            for (const [k, v] of seqsBefore) seqs.set(k, v);
            n--;
            local(twin, round.local);
            staging.off('update', take);
            expect(Y.decodeUpdate(Y.mergeUpdates(made))).toEqual(Y.decodeUpdate(Y.mergeUpdates(direct)));
            // The heads it is planned against: the live doc's as the change leaves them.
            expect(new Map(plannedHeads(live, staging, OWN).entries())).toEqual(
              new Map(headsOf(twin).entries()),
            );
            const id = live.clientID;
            Y.applyUpdate(live, Y.mergeUpdates(made), 'staged');
            live.clientID = id;
            expect(live.store.pendingStructs).toBeNull();
          }
        },
      ),
      fcOptions(),
    );
  });

  it("is built again after a setting, the member list or anything of this device's own changed, not after another device's entries, head or versions", () => {
    const changed = (change: (d: Y.Doc) => void) => {
      const { live } = liveDoc();
      let seen = false;
      live.on('afterTransaction', (tr: Y.Transaction) => (seen ||= changesStaging(tr, OWN)));
      const peer = new Y.Doc();
      Y.applyUpdate(peer, Y.encodeStateAsUpdate(live));
      const updates: Uint8Array[] = [];
      peer.on('update', (u: Uint8Array) => updates.push(u));
      change(peer);
      Y.applyUpdate(live, Y.mergeUpdates(updates), 'peer');
      return seen;
    };
    expect(changed((d) => appendEntries(d, 'peer', [entry('peer', 3, 1)], [3, 'h', 's']))).toBe(false);
    expect(changed((d) => appendEntries(d, 'newcomer', [entry('newcomer', 1, 1)], [1, 'h', 's']))).toBe(
      false,
    );
    expect(changed((d) => settingVersionsOf(d).set('levels/peer1/5/h1|rice', { min: 1, target: 2 }))).toBe(
      false,
    );
    expect(changed((d) => settingCopiesOf(d).set('items/peer1/rice', { name: 'Rice' }))).toBe(false);
    expect(changed((d) => itemsOf(d).set('rice', { name: 'Rice 5 lb' }))).toBe(true);
    expect(changed((d) => itemsOf(d).delete('rice'))).toBe(true);
    expect(changed((d) => levelsOf(d).set('h1|oats', { min: 1, target: 2 }))).toBe(true);
    expect(changed((d) => appendMemberOp(d, ['revoke', 'e', 'f']))).toBe(true);
    expect(changed((d) => appendEntries(d, OWN, [entry(OWN, 9, 1)]))).toBe(true);
    expect(changed((d) => headsOf(d).set(OWN, [9, 'h', 's']))).toBe(true);
    expect(changed((d) => headsOf(d).set(`${OWN}/2`, [9, 'h', 's', []]))).toBe(true);
    expect(changed((d) => headsOf(d).set('peer1/2', [9, 'h', 's', []]))).toBe(false);
    expect(changed((d) => settingVersionsOf(d).set(`levels/${OWN}/5/h1|rice`, null))).toBe(true);
    expect(changed((d) => d.getMap('network').set('name', 'x'))).toBe(true);
    // Before this device has an id, anything.
    const { live } = liveDoc();
    let seen = false;
    live.on('afterTransaction', (tr: Y.Transaction) => (seen ||= changesStaging(tr, null)));
    appendEntries(live, 'peer', [entry('peer', 3, 1)]);
    expect(seen).toBe(true);
  });
});

describe('a staging doc built in slices', () => {
  /** A live doc with many settings (their base takes several parts) and the history of `liveDoc`. */
  const bigLive = () => {
    const { live } = liveDoc();
    live.transact(() => {
      for (let i = 0; i < 5_000; i++) levelsOf(live).set(`h${i % 7}|item${i}`, { min: i % 9, target: 9 });
      for (let i = 0; i < 3_000; i++) settingVersionsOf(live).set(`levels/mine/${i}/h1|item${i}`, i);
    });
    return live;
  };
  const changes: [string, (d: Y.Doc) => void][] = [
    ['entries and a head', (d) => appendEntries(d, 'me', [entry('me', 4, 4)], [4, 'h', 's'])],
    ['a setting replaced', (d) => levelsOf(d).set('h3|item3', { min: 1, target: 2 })],
    ['a member operation', (d) => appendMemberOp(d, ['revoke', 'e', 'f'])],
    ['its own version of a setting', (d) => settingVersionsOf(d).set('levels/mine/9/h1|item9', null)],
  ];

  it.each(changes)(
    'is the doc built at once: a change made in it is the same update (%s)',
    async (_, change) => {
      const live = bigLive();
      let slices = 0;
      const sliced = await stagingDocInSlices(
        live,
        'mine',
        async () => {
          slices++;
        },
        () => false,
      );
      expect(slices).toBeGreaterThan(3);
      const made = (doc: Y.Doc) => {
        doc.clientID = live.clientID;
        const updates: Uint8Array[] = [];
        doc.on('update', (u: Uint8Array) => updates.push(u));
        change(doc);
        return Y.decodeUpdate(Y.mergeUpdates(updates));
      };
      expect(Y.encodeStateVector(sliced!)).toEqual(Y.encodeStateVector(stagingDoc(live, 'mine')));
      expect(sliced!.toJSON()).toEqual(stagingDoc(live, 'mine').toJSON());
      expect(made(sliced!)).toEqual(made(stagingDoc(live, 'mine')));
    },
  );

  it('gives nothing once the live doc changed what it would hold, or when its base does not place', async () => {
    const live = bigLive();
    let slices = 0;
    expect(
      await stagingDocInSlices(
        live,
        'mine',
        async () => {
          slices++;
        },
        () => slices > 2,
      ),
    ).toBeNull();
    expect(slices).toBe(3);
    // A member list with another device's item inside one of this device's: staged whole at a save.
    const split = splitMembers();
    const whole = stagingDoc(split, 'me');
    expect(membersOf(whole).toJSON()).toEqual(membersOf(split).toJSON());
    expect(
      await stagingDocInSlices(
        split,
        'me',
        async () => undefined,
        () => false,
      ),
    ).toBeNull();
  });
});
