// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendMemberOp, ledgersOf } from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { encodeEntry } from '../../shared/wire';
import { randomId } from '../../shared/ids';
import { toBase64Url } from '../../shared/sync/encoding';
import { newNetworkKey } from '../../shared/sync/keys';
import { parseInvite } from '../../shared/sync/invite';
import { deviceIdOf, generateDeviceKeys } from '../../shared/trust/crypto';
import { signOp } from '../../shared/trust/members';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { FakeClock, Prng, START } from './replicas';
import type { DomainMessage, MessageCode } from '../../shared/messages';

/**
 * A network made before signing came (anyone with its key could write as anyone) is moved to signed
 * entries by one admin: the history counts as it did, the other devices follow, and from then on the old
 * key alone no longer decides what counts.
 */
let opened: LarderStore[] = [];
let n = 0;
const clock = new FakeClock(START);
const rng = new Prng(11);

async function device(name = `larder-upgrade-${process.pid}-${++n}`): Promise<LarderStore> {
  const random = rng.fork();
  const store = await LarderStore.open(new LarderDB(name), {
    now: clock.now,
    randomBytes: (k) => random.bytes(k),
  });
  await store.ready;
  opened.push(store);
  return store;
}

afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

async function sync(from: Y.Doc | LarderStore, to: LarderStore): Promise<void> {
  const doc = from instanceof Y.Doc ? from : from.persistence.doc;
  const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(to.persistence.doc));
  const r = await to.applyRemoteUpdate(update, 'peer');
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

const onHand = async (store: LarderStore, hub: string, item: string) =>
  (await store.db.stock.get(`${hub}|${item}`))?.onHand ?? 0;
/** The set-aside problems' messages (a string would be a reason stored before codes: none here). */
const problems = async (store: LarderStore): Promise<DomainMessage[]> =>
  (await store.db.problems.toArray()).map((p) => {
    if (typeof p.reason === 'string') throw new Error(`a problem stored as text: ${p.reason}`);
    return p.reason;
  });
const has = (code: MessageCode) => (m: DomainMessage) => m.code === code;

/**
 * A device of a network from before signing, as such a device's database holds it: its own row without a
 * chain or key, its hub and itself in unsigned settings.
 */
async function legacyFounder(): Promise<LarderStore> {
  const name = `larder-upgrade-${process.pid}-${++n}`;
  const setup = await device(name);
  const random = rng.fork();
  const hubId = randomId((k) => random.bytes(k));
  const deviceId = randomId((k) => random.bytes(k));
  const doc = setup.persistence.doc;
  doc.transact(() => {
    doc.getMap('hubs').set(hubId, { name: 'Eastside Pantry', createdAt: START });
    doc.getMap('devices').set(deviceId, { name: 'Front desk', hub: hubId, createdAt: START });
  }, 'local');
  await setup.persistence.flush(() =>
    setup.db.meta.put({
      key: 'self',
      networkId: randomId((k) => random.bytes(k)),
      networkKey: toBase64Url(newNetworkKey((k) => random.bytes(k))),
      signaling: [],
      role: 'hub',
      hubId,
      deviceId,
      deviceName: 'Front desk',
      nextSeq: 1,
    }),
  );
  setup.close();
  return device(name);
}

/** Hub East (the future admin, 500 rice) and hub West (100 rice), on a network from before signing. */
async function legacyNetwork() {
  const a = await legacyFounder();
  expect(a.signed).toBe(false);
  const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '500' }] });
  const invite = await a.inviteCode();
  const parsed = parseInvite(invite);
  expect(parsed.ok && !parsed.invite.signed).toBe(true);
  const b = await device();
  await b.joinNetwork({ invite, deviceName: 'Church laptop' });
  await sync(a, b);
  await b.chooseHub({ newHubName: 'Westside Church' });
  await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '100' }] });
  await sync(b, a);
  const east = a.self!.hubId!;
  const west = b.self!.hubId!;
  expect(await onHand(a, west, rice.id)).toBe(100);
  return { a, b, rice, east, west, oldA: a.self!.deviceId, oldB: b.self!.deviceId };
}

describe('moving a network made before signing to signed entries', () => {
  it('keeps every figure, makes the upgrading device admin and freezes the old device ids at their cut', async () => {
    const { a, rice, east, west, oldA, oldB } = await legacyNetwork();
    await a.upgradeToSigned();
    expect(a.signed).toBe(true);
    expect(a.self!.deviceId).not.toBe(oldA);
    expect(a.self!.anchor).toBeDefined();
    expect(await onHand(a, east, rice.id)).toBe(500);
    expect(await onHand(a, west, rice.id)).toBe(100);
    // The catalog and hubs were signed again: the item is still in the catalog.
    expect(await a.db.items.get(rice.id)).toMatchObject({ name: 'Rice' });
    const members = await a.db.members.toArray();
    expect(members.find((m) => m.device === a.self!.deviceId)).toMatchObject({
      role: 'admin',
      status: 'member',
    });
    expect(members.find((m) => m.device === oldA)).toMatchObject({ legacy: true, cut: 1 });
    expect(members.find((m) => m.device === oldB)).toMatchObject({
      legacy: true,
      cut: 1,
      name: 'Church laptop',
    });
    // The new admin records as usual, signed.
    await a.recordPickup({ lines: [{ item: rice.id, quantity: '20' }] });
    expect(await onHand(a, east, rice.id)).toBe(480);
    // Invites now make signing devices, anchored on the admin.
    const invite = parseInvite(await a.inviteCode());
    expect(invite).toMatchObject({ ok: true, invite: { signed: true, anchor: a.self!.anchor } });
  });

  it('another device follows: what it recorded offline after the upgrade counts once, when it is approved', async () => {
    const { a, b, rice, east, west, oldB } = await legacyNetwork();
    await a.upgradeToSigned();
    // West records a pickup before it has heard of the upgrade.
    await b.recordPickup({ lines: [{ item: rice.id, quantity: '10' }] });
    expect(await onHand(b, west, rice.id)).toBe(90);
    await sync(a, b);
    await b.followUpgrade();
    expect(b.signed).toBe(true);
    expect(b.self!.deviceId).not.toBe(oldB);
    expect(b.self!.anchor).toBe(a.self!.anchor);
    // Held until an admin approves the new key: the unsigned pickup never counts, its copy not yet.
    expect(await onHand(b, west, rice.id)).toBe(100);
    expect((await problems(b)).some(has('gate.unsignedAfterUpgrade'))).toBe(true);
    await sync(b, a);
    expect(await onHand(a, west, rice.id)).toBe(100);
    expect((await a.db.members.get(b.self!.deviceId))?.status).toBe('requested');
    await a.approveDevice(b.self!.deviceId);
    await sync(a, b);
    for (const store of [a, b]) {
      expect(await onHand(store, west, rice.id)).toBe(90);
      expect(await onHand(store, east, rice.id)).toBe(500);
    }
    // West keeps recording, signed; and a later restart changes nothing.
    await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    await sync(b, a);
    expect(await onHand(a, west, rice.id)).toBe(95);
    await a.rebuildProjections();
    expect(await onHand(a, west, rice.id)).toBe(95);
  });

  it('the old key alone no longer counts: an unsigned entry under an old device id, or a second founder', async () => {
    const { a, b, rice, west, oldB } = await legacyNetwork();
    await a.upgradeToSigned();
    await sync(a, b);
    await b.followUpgrade();
    await a.approveDevice(b.self!.deviceId).catch(() => undefined);
    // Someone holding the old invite writes as the old West laptop, and claims to found the network.
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(a.persistence.doc));
    const forged: Entry = {
      kind: 'donation',
      hub: west,
      device: oldB,
      seq: 2,
      item: rice.id,
      at: START,
      recordedAt: START,
      qty: 1000,
      source: 'other',
    };
    ledgersOf(doc)
      .get(oldB)!
      .push([encodeEntry(forged)]);
    const random = rng.fork();
    const thief = await generateDeviceKeys((k) => random.bytes(k));
    const thiefId = deviceIdOf(thief.publicKey);
    appendMemberOp(
      doc,
      await signOp(
        {
          t: 'genesis',
          net: a.self!.networkId,
          dev: thiefId,
          key: thief.publicKey,
          name: 'Totally the admin',
          hub: west,
          at: START,
        },
        thiefId,
        thief.privateKey,
      ),
    );
    await sync(doc, a);
    await sync(doc, b);
    for (const store of [a, b]) {
      expect(await onHand(store, west, rice.id)).toBe(100);
      expect(await store.db.members.get(thiefId)).toBeUndefined();
      expect((await problems(store)).some(has('member.falseFounder'))).toBe(true);
    }
  });
});
