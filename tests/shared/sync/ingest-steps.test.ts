import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendEntries,
  appendMemberOp,
  itemsOf,
  ledgersOf,
  levelsOf,
  readAllEntries,
} from '../../../shared/doc';
import { msg } from '../../../shared/messages';
import type { LedgerWire } from '../../../shared/doc';
import { headCheckFor, type HeadCheck } from '../../../shared/sync/headCheck';
import {
  guardHeads,
  ingestBusy,
  ingestIdle,
  ingestLarge,
  ingestUpdate,
  INGEST_MESSAGES as M,
  waitingUpdates,
  type LargeIngest,
} from '../../../shared/sync/ingest';
import { signSetting } from '../../../shared/trust/settings';
import { updatePieces } from '../../../renderer/storage/pieces';
import { genesis, network as trustNetwork, request, type TestDevice } from '../trust/fixtures';
import { T, donation, donations } from './donations';
import { varUint } from './crafted';

/**
 * The steps of a large update (`ingestLarge`) and of the check (`Checker.steps`), next to what they must
 * keep: the check runs to its end however many steps it takes; the page is let run exactly as often as
 * promised (every `checkStep` structs or delete ranges, between pieces); a change by another client during
 * the check, or a device's first entry, starts it again, this device's own later saves do not; what waits (an update held meanwhile, Yjs's pending data) is neither lost nor taken
 * when it would do harm; no listener is left on the doc; Yjs failing halfway is reported as for a whole
 * update. Mostly on an unsigned network (no head check); the settings' part on a signed one.
 */

const STEP = 4;

function replica(clientID: number): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientID;
  return doc;
}

/**
 * A device's ledger of `n` entries in six appends, and ten values of an unsigned map of which every
 * other one is deleted again (five delete ranges).
 */
function peerState(n = 600, clientID = 1, device = 'deva'): Y.Doc {
  const doc = replica(clientID);
  for (let s = 0; s < 6; s++) appendEntries(doc, device, donations(device, s * (n / 6) + 1, n / 6));
  const other = doc.getMap('other');
  for (let i = 0; i < 10; i++) other.set(`k${i}`, i);
  for (let i = 0; i < 10; i += 2) other.delete(`k${i}`);
  return doc;
}

const cut = async (update: Uint8Array) => updatePieces(update, 8_192, 64);

/** Pauses counted; `onPause(n)` runs at the n-th (from 1). */
function steps(onPause: (n: number) => void = () => undefined) {
  let pauses = 0;
  const large: LargeIngest = {
    cut,
    checkStep: STEP,
    pause: async () => {
      pauses++;
      onPause(pauses);
    },
  };
  return { large, pauses: () => pauses };
}

/** The update's pieces, and the structs and delete ranges the check counts its steps by. */
function shape(update: Uint8Array) {
  const pieces = updatePieces(update, 8_192, 64);
  let structs = 0;
  let deletes = 0;
  for (const piece of pieces) {
    const d = Y.decodeUpdate(piece);
    structs += d.structs.filter((s) => !(s instanceof Y.Skip)).length;
    for (const ranges of d.ds.clients.values()) deletes += ranges.length;
  }
  return { pieces: pieces.length, structs, deletes };
}

const observers = (doc: Y.Doc) =>
  (doc as unknown as { _observers: Map<string, Set<unknown>> })._observers.get('update')?.size ?? 0;

describe('the check runs to its end', () => {
  it('an update refused only after its first 4,096 structs is refused, taken whole', () => {
    const a = replica(1);
    appendEntries(a, 'deva', donations('deva', 1, 5));
    // 5,000 harmless values first, then another ledger under deva's key (struct 5,001 and on).
    const p = replica(9);
    const other = p.getMap('other');
    for (let i = 0; i < 5000; i++) other.set(`k${i}`, i);
    ledgersOf(p).set('deva', new Y.Array<LedgerWire>());
    const update = Y.encodeStateAsUpdate(p);
    expect(Y.decodeUpdate(update).structs.length).toBeGreaterThan(5000);
    expect(ingestUpdate(a, update, 'peer')).toEqual({ ok: false, message: M.replacesLedger('deva') });
    expect(ledgersOf(a).get('deva')!.length).toBe(5);
    expect(other.size).toBe(5000);
    expect(a.getMap('other').size).toBe(0);
  });
});

describe('a large update on an unsigned network', () => {
  it('gives the doc the whole update gives, pausing after each piece decoded, every 4 structs or delete ranges of the check, and between pieces applied', async () => {
    const update = Y.encodeStateAsUpdate(peerState(900));
    const { pieces, structs, deletes } = shape(update);
    expect(pieces).toBeGreaterThan(3);
    expect(deletes).toBeGreaterThanOrEqual(STEP);
    const whole = replica(5);
    expect(ingestUpdate(whole, update, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    const doc = replica(6);
    const before = observers(doc);
    const s = steps();
    expect(await ingestLarge(doc, update, 'peer', s.large)).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect(Y.encodeStateAsUpdate(doc)).toEqual(Y.encodeStateAsUpdate(whole));
    expect(doc.getMap('other').toJSON()).toEqual({ k1: 1, k3: 3, k5: 5, k7: 7, k9: 9 });
    // pieces decoded, one before the check, the check's, pieces - 1 between pieces applied.
    expect(s.pauses()).toBe(pieces + 1 + Math.floor((structs + deletes) / STEP) + pieces - 1);
    // Neither the check's listener nor the pieces' is left on the doc.
    expect(observers(doc)).toBe(before);
  });

  it('checks again when the doc changed during the check: a ledger this device started meanwhile is not replaced', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const { pieces } = shape(update);
    const doc = replica(11);
    const before = observers(doc);
    // The first pause of the check: everything is decoded, no head check verifies settings ahead.
    const s = steps((n) => {
      if (n === pieces + 2) appendEntries(doc, 'deva', [donation('deva', 1)]);
    });
    expect(await ingestLarge(doc, update, 'peer', s.large)).toEqual({
      ok: false,
      message: M.replacesLedger('deva'),
    });
    expect(ledgersOf(doc).get('deva')!.length).toBe(1);
    expect(observers(doc)).toBe(before);
  });

  it('a doc that changes at every pause is checked twice paused, then once in one go', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const { pieces, structs, deletes } = shape(update);
    const doc = replica(12);
    // Another peer's small updates, taken at every pause: each a new value, deleting none.
    const other = replica(99);
    let changes = 0;
    const s = steps((n) => {
      if (n <= pieces + 1) return;
      other.getMap('unrelated').set(`n${++changes}`, changes);
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)));
    });
    expect(await ingestLarge(doc, update, 'peer', s.large)).toMatchObject({ ok: true, changed: true });
    expect(readAllEntries(doc).entries).toHaveLength(600);
    expect(s.pauses()).toBe(pieces + 1 + 2 * Math.floor((structs + deletes) / STEP) + pieces - 1);
  });

  it('a doc from which another client’s values are deleted at every pause: the same', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const { pieces, structs, deletes } = shape(update);
    const doc = replica(17);
    const other = replica(98);
    for (let i = 0; i < 200; i++) other.getMap('unrelated').set(`k${i}`, i);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
    let deleted = 0;
    const s = steps((n) => {
      if (n <= pieces + 1) return;
      // A peer's update that only deletes.
      const before = Y.encodeStateVector(other);
      other.getMap('unrelated').delete(`k${deleted++}`);
      expect(Y.encodeStateVector(other)).toEqual(before);
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)));
    });
    expect(await ingestLarge(doc, update, 'peer', s.large)).toMatchObject({ ok: true, changed: true });
    expect(doc.getMap('unrelated').size).toBe(200 - deleted);
    expect(s.pauses()).toBe(pieces + 1 + 2 * Math.floor((structs + deletes) / STEP) + pieces - 1);
  });

  it('does not start again for this device’s own saves during the check, each with its signed head', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const { pieces, structs, deletes } = shape(update);
    const doc = replica(16);
    appendEntries(doc, 'devb', [donation('devb', 1)], [1, 'hash', 'sig']);
    let seq = 1;
    const s = steps((n) => {
      if (n <= pieces + 1) return;
      seq++;
      appendEntries(doc, 'devb', [donation('devb', seq)], [seq, 'hash', 'sig']);
    });
    expect(await ingestLarge(doc, update, 'peer', s.large)).toMatchObject({ ok: true, changed: true });
    expect(readAllEntries(doc).entries).toHaveLength(600 + seq);
    // One try, paused as promised: no second one, none in one go.
    expect(s.pauses()).toBe(pieces + 1 + Math.floor((structs + deletes) / STEP) + pieces - 1);
    expect(seq).toBeGreaterThan(3);
  });

  it('refuses a piece that does not read as an update, and applies nothing', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const doc = replica(13);
    const large: LargeIngest = {
      cut: async (u) => [...(await cut(u)).slice(0, 2), new Uint8Array([0xff, 0xff, 0xff])],
      pause: async () => undefined,
    };
    expect(await ingestLarge(doc, update, 'peer', large)).toEqual({ ok: false, message: M.malformed });
    expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(replica(13)));
  });

  it('pieces given a batch at a time (as the worker makes them): the same doc, the same pauses', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const whole = steps();
    const inBatches = steps();
    inBatches.large.cut = async function* (u) {
      for (const piece of await cut(u)) yield [piece];
    };
    const a = replica(14);
    const b = replica(14);
    expect(await ingestLarge(a, update, 'peer', whole.large)).toMatchObject({ ok: true, changed: true });
    expect(await ingestLarge(b, update, 'peer', inBatches.large)).toMatchObject({ ok: true, changed: true });
    expect(Y.encodeStateAsUpdate(b)).toEqual(Y.encodeStateAsUpdate(a));
    expect(inBatches.pauses()).toBe(whole.pauses());
  });

  it('a cut that fails after giving some batches: refused, nothing applied', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const doc = replica(15);
    const large: LargeIngest = {
      cut: async function* (u) {
        yield (await cut(u)).slice(0, 2);
        throw new Error('the worker could not read the rest');
      },
      pause: async () => undefined,
    };
    expect(await ingestLarge(doc, update, 'peer', large)).toEqual({ ok: false, message: M.malformed });
    expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(replica(15)));
  });

  it('holds whole an update that builds on changes not here yet, and takes it once they arrive', async () => {
    const p = peerState(60);
    const first = Y.encodeStateAsUpdate(p);
    const sv = Y.encodeStateVector(p);
    appendEntries(p, 'deva', donations('deva', 61, 540));
    const rest = Y.encodeStateAsUpdate(p, sv);
    const doc = replica(14);
    expect(await ingestLarge(doc, rest, 'peer', steps().large)).toEqual({
      ok: true,
      changed: false,
      pending: true,
    });
    expect(ledgersOf(doc).size).toBe(0);
    expect(waitingUpdates(doc)).toBe(1);
    expect(ingestUpdate(doc, first, 'peer')).toMatchObject({ ok: true, changed: true });
    expect(readAllEntries(doc).entries).toHaveLength(600);
    expect(waitingUpdates(doc)).toBe(0);
  });

  it('holds an unrelated update arriving meanwhile, says so, and takes it after', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const b = replica(30);
    appendEntries(b, 'devb', donations('devb', 1, 2));
    const fromB = Y.encodeStateAsUpdate(b);
    const doc = replica(15);
    let meanwhile: unknown = null;
    const s = steps((n) => {
      if (n === 2) {
        meanwhile = ingestUpdate(doc, fromB, 'peer');
        expect(ledgersOf(doc).has('devb')).toBe(false);
      }
    });
    const taking = ingestLarge(doc, update, 'peer', s.large);
    expect(ingestBusy(doc)).toBe(true);
    // The large update reports what still waits.
    expect(await taking).toEqual({ ok: true, changed: true, pending: true });
    expect(meanwhile).toEqual({ ok: true, changed: false, pending: true });
    expect(ingestBusy(doc)).toBe(false);
    expect(waitingUpdates(doc)).toBe(0);
    expect(readAllEntries(doc).entries).toHaveLength(602);
  });

  it('takes large updates one after the other: busy until the last is in, idle after', async () => {
    const first = peerState(60);
    const second = replica(2);
    appendEntries(second, 'devb', donations('devb', 1, 300));
    const doc = replica(16);
    const one = ingestLarge(doc, Y.encodeStateAsUpdate(first), 'peer', steps().large);
    const two = ingestLarge(doc, Y.encodeStateAsUpdate(second), 'peer', steps().large);
    expect(ingestBusy(doc)).toBe(true);
    expect(await one).toMatchObject({ ok: true, changed: true });
    expect(ingestBusy(doc)).toBe(true);
    // Something arriving now still waits for the second.
    const c = replica(31);
    appendEntries(c, 'devc', donations('devc', 1, 1));
    expect(ingestUpdate(doc, Y.encodeStateAsUpdate(c), 'peer')).toEqual({
      ok: true,
      changed: false,
      pending: true,
    });
    await ingestIdle(doc);
    expect(ingestBusy(doc)).toBe(false);
    expect(readAllEntries(doc).entries).toHaveLength(361);
    expect(await two).toMatchObject({ ok: true, changed: true });
    await ingestIdle(doc);
  });

  it('drops what Yjs holds back when it would do harm with the large update, and keeps what would not', async () => {
    const a = replica(1);
    appendEntries(a, 'deva', donations('deva', 1, 5));
    itemsOf(a).set('itma', { name: 'Rice' });
    const slot = ledgersOf(a)._map.get('deva')!;
    // Right of deva's ledger, before client 60's first struct (not here): once that arrives, it would
    // become the value under 'deva' and delete the ledger (as in ingest.test.ts).
    // Held by Yjs itself (ingest holds such an update whole; an older Larder let Yjs park it).
    Y.applyUpdate(a, craftParked(slot.id.client, slot.id.clock));
    expect(a.store.pendingStructs).not.toBeNull();
    const unlock = replica(60);
    unlock.getMap('items').set('itmq', 'y');
    appendEntries(unlock, 'devq', donations('devq', 1, 300));
    expect(await ingestLarge(a, Y.encodeStateAsUpdate(unlock), 'peer', steps().large)).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect(ledgersOf(a).get('deva')!.length).toBe(5);
    expect(Y.getState(a.store, 61)).toBe(0);
  });

  it('keeps a delete Yjs holds back for a value not here yet, through a large update, and applies it when the value arrives', async () => {
    const a = replica(1);
    appendEntries(a, 'deva', donations('deva', 1, 5));
    const c = replica(3);
    Y.applyUpdate(c, Y.encodeStateAsUpdate(a));
    const b = replica(2);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    const fromC: Uint8Array[] = [];
    c.on('update', (u: Uint8Array) => fromC.push(u));
    levelsOf(c).set('hub1|itmb', { min: 2, target: 4 });
    Y.applyUpdate(b, fromC[0]!);
    const fromB: Uint8Array[] = [];
    b.on('update', (u: Uint8Array) => fromB.push(u));
    levelsOf(b).delete('hub1|itmb');
    expect(ingestUpdate(a, fromB[0]!, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    expect(a.store.pendingDs).not.toBeNull();
    // An unrelated large update: the held delete stays held, and the result says something is pending.
    expect(
      await ingestLarge(a, Y.encodeStateAsUpdate(peerState(600, 4, 'devd')), 'peer', steps().large),
    ).toEqual({
      ok: true,
      changed: true,
      pending: true,
    });
    expect(a.store.pendingDs).not.toBeNull();
    expect(ingestUpdate(a, fromC[0]!, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(levelsOf(a).has('hub1|itmb')).toBe(false);
  });

  it('keeps structs Yjs holds back that do no harm, and says they are pending', async () => {
    const a = replica(1);
    itemsOf(a).set('itma', { name: 'Rice' });
    const rice = itemsOf(a)._map.get('itma')!;
    // Next to Rice, before client 60's first struct (not here): waits, harmless.
    Y.applyUpdate(a, craftParked(rice.id.client, rice.id.clock));
    expect(a.store.pendingStructs).not.toBeNull();
    expect(a.store.pendingDs).toBeNull();
    expect(
      await ingestLarge(a, Y.encodeStateAsUpdate(peerState(600, 4, 'devd')), 'peer', steps().large),
    ).toEqual({
      ok: true,
      changed: true,
      pending: true,
    });
    expect(a.store.pendingStructs).not.toBeNull();
  });

  it('Yjs throwing while a piece is applied: failed before anything changed, failed after applying part once something did', async () => {
    const update = Y.encodeStateAsUpdate(peerState());
    const refused = replica(17);
    const noRoom = () => {
      throw 'no room left';
    };
    refused.on('beforeTransaction', noRoom);
    expect(await ingestLarge(refused, update, 'peer', steps().large)).toEqual({
      ok: false,
      message: msg('update.failed'),
      detail: 'no room left',
    });
    refused.off('beforeTransaction', noRoom);
    expect(Y.encodeStateVector(refused)).toEqual(Y.encodeStateVector(replica(17)));

    const part = replica(18);
    const before = observers(part);
    const failing = () => {
      throw new Error('observer failed');
    };
    ledgersOf(part).observeDeep(failing);
    expect(await ingestLarge(part, update, 'peer', steps().large)).toEqual({
      ok: false,
      applied: true,
      message: msg('update.failedAfter'),
      detail: 'observer failed',
    });
    ledgersOf(part).unobserveDeep(failing);
    expect(ledgersOf(part).has('deva')).toBe(true);
    expect(observers(part)).toBe(before);
  });
});

/**
 * One struct of client 61 whose left neighbour is (client, clock) and whose right neighbour is client
 * 60's first struct, which has not arrived: Yjs parks it (hand-written, as no Yjs API makes it).
 */
function craftParked(client: number, clock: number): Uint8Array {
  // Yjs update v1: 1 client, 1 struct, client 61 from clock 0; info = ContentAny (8) | origin | rightOrigin.
  const bytes = [1, 1, 61, 0, 8 | 128 | 64, ...varUint(client), ...varUint(clock), 60, 0, 1, 119, 1, 120, 0];
  return new Uint8Array(bytes);
}

describe('a large update on a signed network', () => {
  let net: string;
  let founder: TestDevice;
  let other: TestDevice;
  beforeAll(async () => {
    const n = await trustNetwork();
    net = n.net;
    founder = n.founder;
    other = n.a;
  });

  const rice = (by: TestDevice, name = 'Rice', at = T) =>
    signSetting(net, 'items', 'itma', { name }, by.id, at, by.keys.privateKey);

  async function signedPeer(): Promise<Y.Doc> {
    const doc = peerState(600, 1);
    appendMemberOp(doc, await genesis(net, founder));
    appendMemberOp(doc, await request(net, other));
    itemsOf(doc).set('itma', await rice(founder));
    return doc;
  }

  function counting(): { check: HeadCheck; prepared: () => number } {
    const real = headCheckFor(net);
    let prepared = 0;
    return {
      check: {
        ...real,
        prepareSettings: async (items) => {
          prepared += items.length;
          await real.prepareSettings(items);
        },
      },
      prepared: () => prepared,
    };
  }

  it('pauses every 4 structs while it lists the settings to verify ahead, and again in the check', async () => {
    const update = Y.encodeStateAsUpdate(await signedPeer());
    const { pieces, structs, deletes } = shape(update);
    const doc = replica(20);
    guardHeads(doc, headCheckFor(net));
    const s = steps();
    expect(await ingestLarge(doc, update, 'peer', s.large)).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect(s.pauses()).toBe(
      pieces + 1 + Math.floor(structs / STEP) + Math.floor((structs + deletes) / STEP) + pieces - 1,
    );
  });

  it('verifies ahead only new settings values whose writer’s key is known', async () => {
    const peer = await signedPeer();
    // A value from a device not in the member list (counts for nothing until its key arrives), and an
    // envelope outside the settings: neither is verified ahead.
    const stranger = { ...(await rice(founder, 'Beans')), by: 'stranger' };
    itemsOf(peer).set('itmb', stranger);
    peer.getMap('other').set('env', await rice(founder, 'Lentils'));
    // Rice edited: its first value arrives deleted (no values of its own to verify).
    itemsOf(peer).set('itma', await rice(founder, 'Rice 2 lb', T + 1));
    const doc = replica(21);
    const c = counting();
    guardHeads(doc, c.check);
    const update = Y.encodeStateAsUpdate(peer);
    expect(await ingestLarge(doc, update, 'peer', steps().large)).toMatchObject({ ok: true, changed: true });
    expect(c.prepared()).toBe(1);
    expect(itemsOf(doc).get('itmb')).toEqual(stranger);
    // The same again: nothing new, nothing verified ahead.
    expect(await ingestLarge(doc, update, 'peer', steps().large)).toMatchObject({ ok: true, changed: false });
    expect(c.prepared()).toBe(1);
  });

  it('verifies ahead no value that is not an envelope (refused at the door), though it names a known writer', async () => {
    const peer = await signedPeer();
    itemsOf(peer).set('itmb', { by: founder.id, v: { name: 'Beans' } });
    const doc = replica(25);
    const c = counting();
    guardHeads(doc, c.check);
    expect(await ingestLarge(doc, Y.encodeStateAsUpdate(peer), 'peer', steps().large)).toEqual({
      ok: false,
      message: M.badSetting('items/itmb'),
    });
    expect(c.prepared()).toBe(1);
  });

  it('refuses a setting whose one item holds its writer’s envelope and then a forged one (the map reads the last)', async () => {
    const both = async (values: unknown[]) => {
      const peer = await signedPeer();
      itemsOf(peer).delete('itma');
      const items = itemsOf(peer);
      peer.transact((tr) => {
        const id = Y.createID(peer.clientID, Y.getState(peer.store, peer.clientID));
        new Y.Item(id, null, null, null, null, items, 'itmz', new Y.ContentAny(values)).integrate(tr, 0);
      });
      return peer;
    };
    const genuine = await signSetting(
      net,
      'items',
      'itmz',
      { name: 'Rice' },
      founder.id,
      T,
      founder.keys.privateKey,
    );
    const forged = await both([genuine, { ...genuine, v: { name: 'Poison' } }]);
    expect(itemsOf(forged).get('itmz')).toMatchObject({ v: { name: 'Poison' } });
    for (const large of [false, true]) {
      const doc = replica(22);
      guardHeads(doc, headCheckFor(net));
      const update = Y.encodeStateAsUpdate(forged);
      const r = large
        ? await ingestLarge(doc, update, 'peer', steps().large)
        : ingestUpdate(doc, update, 'peer');
      expect(r).toEqual({ ok: false, message: M.badSetting('items/itmz') });
      expect(itemsOf(doc).size).toBe(0);
    }
    const own = await both([genuine, genuine]);
    const doc = replica(23);
    guardHeads(doc, headCheckFor(net));
    expect(ingestUpdate(doc, Y.encodeStateAsUpdate(own), 'peer')).toMatchObject({ ok: true });
  });

  it('refuses absurd nesting in steps as at once, with settings verified ahead or not, and applies nothing', async () => {
    const d = replica(11);
    d.transact(() => {
      let parent: Y.Array<unknown> = d.getArray('other');
      for (let i = 0; i < 80; i++) {
        const child = new Y.Array<unknown>();
        parent.push([child]);
        parent = child;
      }
      parent.push(['leaf']);
    });
    const update = Y.encodeStateAsUpdate(d);
    for (const guarded of [true, false]) {
      const doc = replica(24);
      if (guarded) guardHeads(doc, headCheckFor(net));
      expect(await ingestLarge(doc, update, 'peer', steps().large)).toEqual({
        ok: false,
        message: M.malformed,
      });
      expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(replica(24)));
    }
  });
});
