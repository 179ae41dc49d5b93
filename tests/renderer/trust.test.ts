// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { ledgerOf } from './ledgerTable';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendMemberOp, headsOf, hubsOf, itemsOf, ledgersOf, settingVersionsOf } from '../../shared/doc';
import { versionKey, type SignedSetting } from '../../shared/trust/settings';
import { idOf, type Entry } from '../../shared/entries';
import { encodeEntry } from '../../shared/wire';
import { INGEST_MESSAGES } from '../../shared/sync/ingest';
import { SYNC_FILE_MESSAGES } from '../../shared/sync/syncfile';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { signOp } from '../../shared/trust/members';
import { LarderDB } from '../../renderer/storage/db';
import type { LarderStore } from '../../renderer/storage/store';
import { PEER, START } from './replicas';
import { collectedAfter } from '../shared/sync/crafted';
import { testStores } from './stores';
import { SignedDevice } from './signedDevice';
import { msg, word, type DomainMessage, type MessageCode } from '../../shared/messages';
import { issue } from '../../shared/errors';
import { readGates } from '../../renderer/storage/gateRows';

/**
 * The attacks of the trust issue, each tried by a holder of the network key through the real store: every
 * honest replica must refuse to count what the attacker had no right to write, and all of them must agree.
 */
const { clock, device, sync } = testStores('trust', 7);

const onHand = async (store: LarderStore, hub: string, item: string) =>
  (await store.db.stock.get(`${hub}|${item}`))?.onHand ?? 0;
/** The set-aside problems' messages (a string would be a reason stored before codes: none here). */
const problems = async (store: LarderStore): Promise<DomainMessage[]> =>
  (await store.db.problems.toArray()).map((p) => {
    if (typeof p.reason === 'string') throw new Error(`a problem stored as text: ${p.reason}`);
    return p.reason;
  });
const has = (code: MessageCode) => (m: DomainMessage) => m.code === code;

/** Hub A (admin, 539 rice) and hub B (a second hub's pre-approved device, 100 beans), in sync. */
async function network() {
  const a = await device();
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '500' }] });
  await a.recordDonation({ source: 'business', lines: [{ item: rice.id, quantity: '39' }] });
  const b = await device();
  await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Church laptop' });
  await sync(a, b);
  await b.chooseHub({ newHubName: 'Westside Church' });
  await sync(b, a);
  await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '100' }] });
  await sync(b, a);
  await sync(a, b);
  const hubA = a.self!.hubId!;
  const hubB = b.self!.hubId!;
  expect(await onHand(a, hubA, rice.id)).toBe(539);
  expect(await onHand(a, hubB, rice.id)).toBe(100);
  return { a, b, rice, hubA, hubB };
}

/** A copy of a doc under another Yjs client id (what an attacker's device holds). */
function cloneDoc(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

/** A fresh device that takes in the whole network (as a new device, or the first after a rebuild). */
async function freshReplicaOf(source: LarderStore): Promise<LarderStore> {
  const c = await device();
  await c.joinNetwork({ invite: await source.inviteCode(), deviceName: 'Newcomer' });
  await sync(source, c);
  return c;
}

function forged(
  base: Partial<Entry> & Pick<Entry, 'device' | 'seq' | 'hub' | 'item'>,
  over: object = {},
): Entry {
  return {
    kind: 'donation',
    at: START,
    recordedAt: START,
    qty: 30,
    source: 'other',
    ...base,
    ...over,
  } as Entry;
}

describe('a holder of the network key cannot write what it has no right to', () => {
  it('an undo of another hub’s donation, from a device not in the network, never counts', async () => {
    const { a, b, rice, hubA } = await network();
    const [donation] = await ledgerOf(a.db).ofHub(hubA);
    const thief = await SignedDevice.create(a.self!.networkId);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    await thief.append(doc, [
      {
        kind: 'reversal',
        hub: hubA,
        device: thief.id,
        seq: 1,
        item: rice.id,
        at: START,
        recordedAt: START,
        target: donation!.id,
        targetKind: 'donation',
        effect: -30,
      },
    ]);
    await sync(doc, a);
    await sync(doc, b);
    expect(await onHand(a, hubA, rice.id)).toBe(539);
    expect(await onHand(b, hubA, rice.id)).toBe(539);
    expect(await ledgerOf(a.db).get(donation!.id)).not.toHaveProperty('reversedBy');
  });

  it('an undo of another hub’s donation by an approved device of another hub never counts', async () => {
    const { a, rice, hubA, hubB } = await network();
    const [donation] = await ledgerOf(a.db).ofHub(hubA);
    const other = await SignedDevice.approvedBy(a, { role: 'hub', hub: hubB });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    const undo = {
      kind: 'reversal' as const,
      device: other.id,
      seq: 1,
      item: rice.id,
      at: START,
      recordedAt: START,
      target: donation!.id,
      targetKind: 'donation' as const,
      effect: -500,
    };
    // Filed under the other hub (its own): the undo names an entry of hub A, so it has no effect.
    await other.append(doc, [{ ...undo, hub: hubB }]);
    // Filed under hub A: the device may not write for hub A at all.
    await other.append(doc, [{ ...undo, hub: hubA, seq: 2 }]);
    await sync(doc, a);
    expect(await onHand(a, hubA, rice.id)).toBe(539);
    const reasons = await problems(a);
    expect(reasons.some(has('entry.undoesOther'))).toBe(true);
    expect(reasons.some(has('gate.otherHub'))).toBe(true);
  });

  it('an entry that reuses an existing id, inserted before the real one: every replica counts the real one', async () => {
    const { a, b, rice, hubA } = await network();
    const real = (await ledgerOf(a.db).get(`${a.self!.deviceId}.2`))!;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    const copy = forged({ device: a.self!.deviceId, seq: real.seq, hub: hubA, item: rice.id }, { qty: 1 });
    ledgersOf(doc)
      .get(a.self!.deviceId)!
      .insert(0, [encodeEntry(copy)]);
    await sync(doc, b);
    const c = await freshReplicaOf(b);
    for (const store of [a, b, c]) expect(await onHand(store, hubA, rice.id)).toBe(539);
    await b.rebuildProjections();
    expect(await onHand(b, hubA, rice.id)).toBe(539);
    expect(await problems(c)).toContainEqual(msg('gate.positionTaken', { seq: 2, device: a.self!.deviceId }));
  });

  it('an entry that claims a device’s next sequence number does not hide the volunteer’s real entry', async () => {
    const { a, b, rice, hubA } = await network();
    const next = a.self!.nextSeq;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    ledgersOf(doc)
      .get(a.self!.deviceId)!
      .push([
        encodeEntry(forged({ device: a.self!.deviceId, seq: next, hub: hubA, item: rice.id }, { qty: 7 })),
      ]);
    await sync(doc, a);
    await sync(doc, b);
    const [saved] = await a.recordDonation({
      source: 'individual',
      lines: [{ item: rice.id, quantity: '100' }],
    });
    expect(saved!.seq).toBe(next);
    await sync(a, b);
    for (const store of [a, b]) {
      expect(await onHand(store, hubA, rice.id)).toBe(639);
      expect(await ledgerOf(store.db).get(idOf(saved!))).toMatchObject({ qty: 100, applied: 100 });
    }
  });

  it('a forged count that moves stock by ten times the largest quantity never counts', async () => {
    const { a, rice, hubB } = await network();
    const hubDevice = await SignedDevice.approvedBy(a, { role: 'hub', hub: hubB });
    const doc = new Y.Doc();
    await hubDevice.append(doc, [
      {
        kind: 'count',
        hub: hubB,
        device: hubDevice.id,
        seq: 1,
        item: rice.id,
        at: START,
        recordedAt: START,
        counted: 0,
        seen: -10_000_000,
      },
    ]);
    await sync(doc, a);
    expect(await onHand(a, hubB, rice.id)).toBe(100);
    expect(await problems(a)).toContainEqual(msg('gate.countTooLarge', { max: 1_000_000 }));
  });

  it('a head its device’s key did not sign is refused at the door, and its entries never count', async () => {
    const { a, rice, hubA } = await network();
    const dev = await SignedDevice.approvedBy(a);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    await dev.append(doc, [forged({ device: dev.id, seq: 1, hub: hubA, item: rice.id }, { qty: 1000 })]);
    const [seq, hash, sig] = headsOf(doc).get(dev.id) as [number, string, string];
    const bad = sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11);
    headsOf(doc).set(dev.id, [seq, hash, bad]);
    const r = await a.applyRemoteUpdate(
      Y.encodeStateAsUpdate(doc, Y.encodeStateVector(a.persistence.doc)),
      'peer',
    );
    expect(r).toEqual({ ok: false, message: INGEST_MESSAGES.badHead(dev.id) });
    expect(await onHand(a, hubA, rice.id)).toBe(539);
  });

  it('a key holder cannot hide another device’s signed head: a forged, replayed or deleted head is refused', async () => {
    const { a, b, rice, hubA } = await network();
    const victim = a.self!.deviceId;
    const attacker = new Y.Doc();
    Y.applyUpdate(attacker, Y.encodeStateAsUpdate(a.persistence.doc));
    const current = headsOf(attacker).get(victim) as [number, string, string];
    const before = Y.encodeStateVector(attacker);
    const refused = { ok: false, message: INGEST_MESSAGES.badHead(victim) };
    // A forged head with a later sequence number.
    const forgedHead = Y.encodeStateAsUpdate(
      ((d) => (headsOf(d).set(victim, [current[0] + 5, current[1], current[2]]), d))(cloneDoc(attacker)),
      before,
    );
    expect(await b.applyRemoteUpdate(forgedHead, 'peer')).toEqual(refused);
    // The victim's own signed head, written again (a replay does not move it forward).
    const older = Y.encodeStateAsUpdate(
      ((d) => (headsOf(d).set(victim, [...current]), d))(cloneDoc(attacker)),
      before,
    );
    expect(await b.applyRemoteUpdate(older, 'peer')).toEqual(refused);
    // Deleting the head outright.
    const deleted = Y.encodeStateAsUpdate(
      ((d) => (headsOf(d).delete(victim), d))(cloneDoc(attacker)),
      before,
    );
    expect(await b.applyRemoteUpdate(deleted, 'peer')).toEqual(refused);
    // The victim's next save still counts everywhere.
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '1' }] });
    await sync(a, b);
    expect(await onHand(b, hubA, rice.id)).toBe(540);
  });

  it('an unknown device’s entries are held apart, and count the moment an admin approves it', async () => {
    const { a, b, rice, hubA } = await network();
    const stranger = await SignedDevice.create(a.self!.networkId);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    await stranger.append(doc, [
      forged({ device: stranger.id, seq: 1, hub: hubA, item: rice.id }, { qty: 11 }),
    ]);
    await sync(doc, a);
    expect(await onHand(a, hubA, rice.id)).toBe(539);
    // Its key is not known yet (it has not asked to join): the entry waits, unverified, held apart.
    const gate = (await readGates(a.db)).gates.find((g) => g.device === stranger.id);
    expect([...gate!.held, ...gate!.pending].map((e) => ('qty' in e ? e.qty : null))).toEqual([11]);
    // It asks to join; still nothing counts until an admin approves.
    await stranger.ask(doc, hubA);
    await sync(doc, a);
    expect(await onHand(a, hubA, rice.id)).toBe(539);
    expect(await a.db.members.get(stranger.id)).toMatchObject({ status: 'requested' });
    await a.approveDevice(stranger.id);
    expect(await onHand(a, hubA, rice.id)).toBe(550);
    await sync(a, b);
    await sync(doc, b);
    expect(await onHand(b, hubA, rice.id)).toBe(550);
  });

  it('a revoked device’s entries after its cut-off never count; those before it still do', async () => {
    const { a, b, rice, hubA } = await network();
    const laptop = await SignedDevice.approvedBy(a, { role: 'hub', hub: hubA });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    await laptop.append(doc, [forged({ device: laptop.id, seq: 1, hub: hubA, item: rice.id }, { qty: 10 })]);
    await sync(doc, a);
    expect(await onHand(a, hubA, rice.id)).toBe(549);
    // The laptop records more; B sees it before the revocation, A does not.
    await laptop.append(doc, [forged({ device: laptop.id, seq: 2, hub: hubA, item: rice.id }, { qty: 200 })]);
    await sync(a, b);
    await sync(doc, b);
    expect(await onHand(b, hubA, rice.id)).toBe(749);
    expect(await a.revokeDevice(laptop.id)).toEqual({ cut: 1 });
    await sync(doc, a);
    await sync(a, b);
    for (const store of [a, b]) {
      await store.persistence.projected();
      await store.rebuildProjections(); // settles the rebuild a revocation behind counted entries starts
      expect(await onHand(store, hubA, rice.id)).toBe(549);
      expect((await problems(store)).some(has('gate.afterRevocation'))).toBe(true);
      expect(await store.db.members.get(laptop.id)).toMatchObject({ status: 'revoked', cut: 1 });
    }
    const c = await freshReplicaOf(b);
    expect(await onHand(c, hubA, rice.id)).toBe(549);
  });

  it('a member list change by a device that is not an admin never takes effect', async () => {
    const { a, b } = await network();
    const stranger = await SignedDevice.create(a.self!.networkId);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(b.persistence.doc));
    await stranger.ask(doc, b.self!.hubId);
    // B is a member but not an admin: its approval of the stranger, and its revocation of A, are refused.
    const bKey = (await b.db.meta.get('identity')) as { privateKey: CryptoKey; publicKey: string };
    const net = b.self!.networkId;
    appendMemberOp(
      doc,
      await signOp(
        {
          t: 'approve',
          net,
          dev: stranger.id,
          key: stranger.keys.publicKey,
          name: 'x',
          hub: null,
          role: 'admin',
          at: START,
        },
        b.self!.deviceId,
        bKey.privateKey,
      ),
    );
    appendMemberOp(
      doc,
      await signOp(
        { t: 'revoke', net, dev: a.self!.deviceId, cut: 0, hash: null, at: START },
        b.self!.deviceId,
        bKey.privateKey,
      ),
    );
    // And a genesis of its own, claiming to have founded the network.
    appendMemberOp(
      doc,
      await signOp(
        {
          t: 'genesis',
          net,
          dev: stranger.id,
          key: stranger.keys.publicKey,
          name: 'x',
          hub: b.self!.hubId!,
          at: START,
        },
        stranger.id,
        stranger.keys.privateKey,
      ),
    );
    await sync(doc, a);
    expect(await a.db.members.get(stranger.id)).toMatchObject({ status: 'requested' });
    expect(await a.db.members.get(a.self!.deviceId)).toMatchObject({ status: 'member', role: 'admin' });
    const reasons = await problems(a);
    expect(reasons).toContainEqual(msg('member.approveNotAdmin'));
    expect(reasons).toContainEqual(msg('member.revokeNotAdmin'));
    expect(reasons).toContainEqual(msg('member.falseFounder'));
  });
});

describe('revoking a device changes the network key', () => {
  it('the remaining devices receive the new key sealed to their own keys; the revoked one cannot open it', async () => {
    const { a, b } = await network();
    const c = await device();
    await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Lost laptop' });
    await sync(a, c);
    await c.chooseHub({ hubId: a.self!.hubId! });
    await sync(c, a);
    const before = { a: await a.secrets(), key: a.self!.networkKey };
    expect(c.self!.networkKey).toBe(before.key);

    await a.revokeDevice(c.self!.deviceId);
    expect(a.self!.networkKey).not.toBe(before.key);
    expect(a.self!.epoch).toBe(1);
    const after = await a.secrets();
    expect(after.room).not.toBe(before.a.room);
    expect(after.webrtcPassword).not.toBe(before.a.webrtcPassword);

    // B was offline: it catches up with the first update that brings the rotation.
    const changed = new Promise<void>((resolve) => b.onKeyChanged(resolve));
    await sync(a, b);
    await changed;
    expect(b.self!.networkKey).toBe(a.self!.networkKey);
    expect(b.self!.epoch).toBe(1);
    expect((await b.secrets()).room).toBe(after.room);
    expect((await new LarderDB(b.db.name).meta.get('self')) as { networkKey: string }).toMatchObject({
      networkKey: a.self!.networkKey,
    });

    // The revoked device learns of the rotation but has nothing it can open: it keeps the old key.
    await sync(a, c);
    await c.persistence.flush();
    expect(c.self!.networkKey).toBe(before.key);
    expect(c.self!.epoch ?? 0).toBe(0);
    expect(await c.db.members.get(c.self!.deviceId)).toMatchObject({ status: 'revoked' });
  });
});

describe('pre-approved invites', () => {
  it('approve one device only, and only within 24 hours', async () => {
    const { a } = await network();
    const invite = await a.preApprovedInvite();
    const first = await device();
    await first.joinNetwork({ invite, deviceName: 'First' });
    await sync(a, first);
    await first.chooseHub({ newHubName: 'Hub first' });
    const second = await device();
    await second.joinNetwork({ invite, deviceName: 'Second' });
    await sync(a, second);
    await second.chooseHub({ newHubName: 'Hub second' });
    await sync(first, a);
    await sync(second, a);
    // Which of two concurrent uses wins is decided by the log's order, the same on every replica.
    const statuses = await Promise.all(
      [first, second].map(async (d) => (await a.db.members.get(d.self!.deviceId))?.status),
    );
    expect(statuses.sort()).toEqual(['member', 'requested']);
    expect(await problems(a)).toContainEqual(msg('member.preApprovalUsed'));

    const late = await a.preApprovedInvite();
    clock.advance(24 * 3_600_000 + 60_000);
    const third = await device();
    await third.joinNetwork({ invite: late, deviceName: 'Too late' });
    await sync(a, third);
    await third.chooseHub({ newHubName: 'Hub late' });
    await sync(third, a);
    expect(await a.db.members.get(third.self!.deviceId)).toMatchObject({ status: 'requested' });
  });

  it('only an admin’s device can make one', async () => {
    const { b } = await network();
    await expect(b.preApprovedInvite()).rejects.toMatchObject({
      issues: [issue('', msg('store.adminOnly'))],
    });
  });
});

describe('a device that was away during a key rotation', () => {
  it('catches up with the first sync file made after it; the revoked device cannot open that file', async () => {
    const { a, b, rice, hubA } = await network();
    const c = await device();
    await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Lost laptop' });
    await sync(a, c);
    await c.chooseHub({ hubId: hubA });
    await sync(c, a);
    await a.revokeDevice(c.self!.deviceId);
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '7' }] });

    const file = await exportSyncFile(a, { now: START });
    // B still holds the old key: the file carries the new one sealed to B.
    const changed = new Promise<void>((resolve) => b.onKeyChanged(resolve));
    const imported = await importSyncFile(b, file.bytes, { now: START });
    expect(imported).toMatchObject({ ok: true });
    await changed;
    expect(b.self!.networkKey).toBe(a.self!.networkKey);
    expect(await onHand(b, hubA, rice.id)).toBe(546);

    // The revoked device holds the old key too, but nothing in the file is sealed to it.
    expect(await importSyncFile(c, file.bytes, { now: START })).toEqual({
      ok: false,
      message: SYNC_FILE_MESSAGES.damaged,
    });
    expect(c.self!.epoch ?? 0).toBe(0);

    // And B's own files now open on A.
    await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '1' }] });
    const back = await exportSyncFile(b, { now: START });
    expect(await importSyncFile(a, back.bytes, { now: START })).toMatchObject({ ok: true });
  });
});

describe('settings are signed, and count only from a device with the right', () => {
  // Their writes carry valid signatures of their own, so they pass the door and replace the value in the
  // map (last writer wins): that value is set aside (shown under Problems), and the newest of the
  // writers' own copies that counts counts instead. A key holder can neither change a setting nor hide it.
  it('another hub’s device cannot publish this hub’s address, nor a stranger rename an item', async () => {
    const { a, b, rice, hubA } = await network();
    await a.updateHub({ name: 'Northside', address: '1 Main Street', publishAddress: false });
    const church = await SignedDevice.approvedBy(a, { role: 'hub', hub: b.self!.hubId! });
    const stranger = await SignedDevice.create(a.self!.networkId);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    await stranger.ask(doc, hubA);
    await church.setting(doc, 'hubs', hubA, {
      name: 'Eastside Pantry',
      createdAt: START,
      address: '12 Hidden Street',
      publishAddress: true,
    });
    await stranger.setting(doc, 'items', rice.id, { ...(await a.db.items.get(rice.id))!, name: 'Poison' });
    await sync(doc, a);
    await sync(a, b);
    for (const store of [a, b]) {
      expect(await store.db.hubs.get(hubA)).toMatchObject({
        name: 'Northside',
        address: '1 Main Street',
        publishAddress: false,
      });
      expect((await store.db.items.get(rice.id))?.name).toBe('Rice');
      const reasons = await problems(store);
      expect(reasons).toContainEqual(
        msg('setting.notAllowed', { setting: word('setting.hubs'), key: hubA, device: church.id }),
      );
      // The stranger's rename waits for an approval that never comes: held, not counted, not a problem.
      expect((await store.db.problems.toArray()).some((p) => p.where === `items/${rice.id}`)).toBe(false);
    }
    // The admin approves another device: every setting is judged again, in the staging doc of that
    // change, from the writers' copies in the live doc (the staging doc holds only placeholders of them).
    await SignedDevice.approvedBy(a, { role: 'hub', hub: hubA });
    expect((await a.db.hubs.get(hubA))?.address).toBe('1 Main Street');
    // The hub's own device edits again: its new value counts, on top of the one set aside.
    await a.updateHub({ name: 'Northside Pantry', address: '2 Main Street', publishAddress: true });
    await sync(a, b);
    expect(await b.db.hubs.get(hubA)).toMatchObject({ name: 'Northside Pantry', address: '2 Main Street' });
  });

  it('a key holder cannot fill or replace another device’s version of a setting', async () => {
    const { a, b, hubA } = await network();
    await a.updateHub({ name: 'Northside', address: '1 Main Street', publishAddress: false });
    const church = await SignedDevice.approvedBy(a, { role: 'hub', hub: b.self!.hubId! });
    await sync(a, b);
    const current = hubsOf(a.persistence.doc).get(hubA) as SignedSetting;
    const mine = versionKey('hubs', a.self!.deviceId, current.at, hubA);
    expect(settingVersionsOf(a.persistence.doc).get(mine)).toEqual(current);
    const refused = (where: string) => ({
      ok: false,
      message: INGEST_MESSAGES.badSetting(`settingVersions/${where}`),
    });
    // The church's own valid envelope, put in the admin's place; then the admin's envelope, changed.
    const envelope = await church.envelope('hubs', hubA, { name: 'Taken', createdAt: START });
    for (const value of [envelope, { ...current, v: { name: 'Taken', createdAt: START } }]) {
      const doc = cloneDoc(a.persistence.doc);
      const sv = Y.encodeStateVector(doc);
      settingVersionsOf(doc).set(mine, value);
      expect(await b.applyRemoteUpdate(Y.encodeStateAsUpdate(doc, sv), 'peer')).toEqual(refused(mine));
    }
    // Nor fill the place of a version the admin never wrote (a newer time), with its own envelope.
    const vacant = versionKey('hubs', a.self!.deviceId, envelope.at, hubA);
    const fresh = cloneDoc(a.persistence.doc);
    const fsv = Y.encodeStateVector(fresh);
    settingVersionsOf(fresh).set(vacant, envelope);
    expect(await b.applyRemoteUpdate(Y.encodeStateAsUpdate(fresh, fsv), 'peer')).toEqual(refused(vacant));
    // Its own version, a device writes as it likes (it counts only where it has the right).
    const own = cloneDoc(a.persistence.doc);
    const osv = Y.encodeStateVector(own);
    settingVersionsOf(own).set(versionKey('hubs', church.id, envelope.at, hubA), envelope);
    expect(await b.applyRemoteUpdate(Y.encodeStateAsUpdate(own, osv), 'peer')).toMatchObject({ ok: true });
    expect((await b.db.hubs.get(hubA))?.address).toBe('1 Main Street');
  });

  it('a key holder can neither roll a setting back to an older value its writer signed, nor hide it', async () => {
    const { a, b, hubA } = await network();
    await a.updateHub({ name: 'Northside', address: '1 Main Street', publishAddress: true });
    const old = hubsOf(a.persistence.doc).get(hubA) as SignedSetting;
    clock.advance(60_000);
    await a.updateHub({ name: 'Northside', address: '2 Main Street', publishAddress: true });
    await sync(a, b);
    // The admin keeps one version of the setting, the newest: its first was removed as the second went in.
    const versions = () =>
      [...settingVersionsOf(b.persistence.doc).keys()].filter((k) =>
        k.startsWith(`hubs/${a.self!.deviceId}/`),
      );
    const newest = hubsOf(a.persistence.doc).get(hubA) as SignedSetting;
    expect(versions()).toEqual([versionKey('hubs', a.self!.deviceId, newest.at, hubA)]);
    // The admin's earlier envelope, put back in the map and as its version (its signature is still
    // valid): taken, and the newest version still counts, on b and after a rebuild.
    const replay = cloneDoc(a.persistence.doc);
    const sv = Y.encodeStateVector(replay);
    hubsOf(replay).set(hubA, old);
    settingVersionsOf(replay).set(versionKey('hubs', old.by, old.at, hubA), old);
    expect(await b.applyRemoteUpdate(Y.encodeStateAsUpdate(replay, sv), 'peer')).toMatchObject({ ok: true });
    expect((hubsOf(b.persistence.doc).get(hubA) as SignedSetting).v).toMatchObject({
      address: '1 Main Street',
    });
    expect(versions()).toHaveLength(2);
    expect((await b.db.hubs.get(hubA))?.address).toBe('2 Main Street');
    // The newest version cannot be removed, nor replaced by another envelope.
    const newestKey = versionKey('hubs', a.self!.deviceId, newest.at, hubA);
    const removed = cloneDoc(a.persistence.doc);
    const rsv = Y.encodeStateVector(removed);
    settingVersionsOf(removed).delete(newestKey);
    const changed = cloneDoc(a.persistence.doc);
    const csv = Y.encodeStateVector(changed);
    settingVersionsOf(changed).set(newestKey, old);
    for (const update of [Y.encodeStateAsUpdate(removed, rsv), Y.encodeStateAsUpdate(changed, csv)])
      expect(await b.applyRemoteUpdate(update, 'peer')).toEqual({
        ok: false,
        message: INGEST_MESSAGES.badSetting(`settingVersions/${newestKey}`),
      });
    // Hidden: an item placed after the map's value, already deleted: the key would be left empty. Refused
    // at the door; and if a map's value is missing all the same, the versions decide (after a rebuild too).
    const value = hubsOf(b.persistence.doc)._map.get(hubA)!;
    expect(await b.applyRemoteUpdate(collectedAfter(value), 'peer')).toEqual({
      ok: false,
      message: INGEST_MESSAGES.badSetting(`hubs/${hubA}`),
    });
    b.persistence.doc.transact(() => hubsOf(b.persistence.doc).delete(hubA), PEER);
    await b.persistence.flush();
    expect(hubsOf(b.persistence.doc).has(hubA)).toBe(false);
    expect((await b.db.hubs.get(hubA))?.address).toBe('2 Main Street');
    await b.rebuildProjections();
    expect((await b.db.hubs.get(hubA))?.address).toBe('2 Main Street');
  });

  it('a device whose clock is behind still changes a setting: it signs past the newest value it holds', async () => {
    const { a, b, hubA } = await network();
    await a.updateHub({ name: 'Northside', address: '1 Main Street', publishAddress: true });
    await sync(a, b);
    clock.advance(-3_600_000);
    await a.updateHub({ name: 'Northside', address: '2 Main Street', publishAddress: true });
    await sync(a, b);
    for (const store of [a, b]) expect((await store.db.hubs.get(hubA))?.address).toBe('2 Main Street');
    const env = hubsOf(a.persistence.doc).get(hubA) as SignedSetting;
    expect(env.at).toBeGreaterThan(clock.now());
    clock.advance(3_600_000);
  });

  it('a key holder cannot delete a catalog item, or write it unsigned', async () => {
    const { a, b, rice } = await network();
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    const before = Y.encodeStateVector(doc);
    itemsOf(doc).delete(rice.id);
    expect(await b.applyRemoteUpdate(Y.encodeStateAsUpdate(doc, before), 'peer')).toEqual({
      ok: false,
      message: INGEST_MESSAGES.badSetting(`items/${rice.id}`),
    });
    const unsigned = new Y.Doc();
    Y.applyUpdate(unsigned, Y.encodeStateAsUpdate(a.persistence.doc));
    const sv = Y.encodeStateVector(unsigned);
    itemsOf(unsigned).set(rice.id, { ...(await a.db.items.get(rice.id))!, name: 'Unsigned' });
    expect(await b.applyRemoteUpdate(Y.encodeStateAsUpdate(unsigned, sv), 'peer')).toEqual({
      ok: false,
      message: INGEST_MESSAGES.badSetting(`items/${rice.id}`),
    });
    // Nor under an admin's name with a signature the admin's key did not make.
    const forgedDoc = new Y.Doc();
    Y.applyUpdate(forgedDoc, Y.encodeStateAsUpdate(a.persistence.doc));
    const fsv = Y.encodeStateVector(forgedDoc);
    const current = itemsOf(forgedDoc).get(rice.id) as { v: object; by: string; at: number; s: string };
    itemsOf(forgedDoc).set(rice.id, { ...current, v: { ...current.v, name: 'Forged' }, at: current.at + 1 });
    expect(await b.applyRemoteUpdate(Y.encodeStateAsUpdate(forgedDoc, fsv), 'peer')).toEqual({
      ok: false,
      message: INGEST_MESSAGES.badSetting(`items/${rice.id}`),
    });
    expect((await b.db.items.get(rice.id))?.name).toBe('Rice');
  });

  it('a device cannot move itself to another hub', async () => {
    const { a, b, hubA } = await network();
    const laptop = await SignedDevice.approvedBy(a, { role: 'hub', hub: b.self!.hubId! });
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    await laptop.setting(doc, 'devices', laptop.id, { name: 'Laptop', hub: hubA, createdAt: START });
    await sync(doc, a);
    expect(await a.db.devices.get(laptop.id)).toBeUndefined();
    expect(await problems(a)).toContainEqual(msg('setting.ownHub', { device: laptop.id }));
  });
});

describe('a coordinator that joins before anything of the network reached it', () => {
  it('is approved by its invite: its request sits before the genesis in the log, yet the admin signed it', async () => {
    const { a } = await network();
    const coordinator = await device();
    // Joining as a coordinator writes the request at once, before the first sync.
    await coordinator.joinNetwork({
      invite: await a.preApprovedInvite(),
      deviceName: 'Phone',
      asCoordinator: true,
    });
    await sync(coordinator, a);
    await sync(a, coordinator);
    for (const store of [a, coordinator]) {
      expect(await store.db.members.get(coordinator.self!.deviceId)).toMatchObject({
        status: 'member',
        role: 'coordinator',
      });
      expect((await problems(store)).filter((r) => r.code.startsWith('member.preApproval'))).toEqual([]);
    }
  });
});
