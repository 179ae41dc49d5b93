import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEntries, appendMemberOp, headsOf, itemsOf, ledgersOf, membersOf } from '../../../shared/doc';
import { headCheckFor, headKeyOf, type HeadCheck } from '../../../shared/sync/headCheck';
import { guardHeads, ingestUpdate, INGEST_MESSAGES as M } from '../../../shared/sync/ingest';
import { headKey, headMessage, type Restart } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { signSetting, type SignedSetting } from '../../../shared/trust/settings';
import { genesis, network as trustNetwork, request, revoke, type TestDevice } from '../trust/fixtures';
import { T, donation } from './donations';
import { diff, expectRefused } from './door';

/**
 * Ingest on a signed network (guardHeads registered, as DocPersistence does): a device's head may only be
 * replaced by a newer one its own key signed, and a setting only by a signed envelope. Each refusal sits
 * next to the legitimate case it must not catch.
 */

let net: string;
let founder: TestDevice;
let other: TestDevice;
let stranger: TestDevice;
let check: HeadCheck;

beforeAll(async () => {
  const n = await trustNetwork();
  net = n.net;
  founder = n.founder;
  other = n.a;
  stranger = n.b;
  check = headCheckFor(net);
});

async function head(d: TestDevice, seq: number, hash = 'h'.repeat(43), by = d, network = net) {
  const sig = await sign(by.keys.privateKey, headMessage(network, d.id, seq, hash));
  return [seq, hash, sig] as const;
}

async function setting(d: TestDevice, key: string, value: unknown, at = T): Promise<SignedSetting> {
  return signSetting(net, 'items', key, value, d.id, at, d.keys.privateKey);
}

function replica(clientID: number, guarded = true): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientID;
  if (guarded) guardHeads(doc, check);
  return doc;
}

/** A signed network on replica 1: the founder's genesis and request of `other`, founder's entry and head. */
async function signedNetwork(): Promise<Y.Doc> {
  const doc = replica(1);
  appendMemberOp(doc, await genesis(net, founder));
  appendMemberOp(doc, await request(net, other));
  appendEntries(doc, founder.id, [donation(founder.id, 1)], await head(founder, 1));
  itemsOf(doc).set('itma', await setting(founder, 'itma', { name: 'Rice' }));
  return doc;
}

function copyOf(from: Y.Doc, clientID: number, guarded = true): Y.Doc {
  const doc = replica(clientID, guarded);
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(from));
  return doc;
}

const headSeq = (doc: Y.Doc, device: string) => (headsOf(doc).get(device) as [number] | undefined)?.[0];

describe('headCheckFor: the synchronous check of a signed head', () => {
  it('accepts a head its device signed, newer than the one held', async () => {
    const value = await head(founder, 3);
    expect(check.verify(founder.id, founder.key, [...value], 2)).toBe(true);
    expect(check.verify(founder.id, founder.key, [...value], 0)).toBe(true);
    // Asked again (the cache answers), the same verdict.
    expect(check.verify(founder.id, founder.key, [...value], 2)).toBe(true);
  });

  it('refuses a head that is not newer, signed by another key, for another network or device', async () => {
    const value = [...(await head(founder, 3))];
    expect(check.verify(founder.id, founder.key, value, 3)).toBe(false); // not newer
    expect(check.verify(founder.id, founder.key, value, 4)).toBe(false);
    expect(check.verify(founder.id, other.key, value, 0)).toBe(false); // another key
    expect(check.verify(other.id, founder.key, value, 0)).toBe(false); // another device's message
    expect(headCheckFor('othernet').verify(founder.id, founder.key, value, 0)).toBe(false);
    expect(check.verify(founder.id, founder.key, [...(await head(founder, 3, 'x', other))], 0)).toBe(false);
  });

  it('refuses malformed heads without throwing', async () => {
    const [seq, hash, sig] = await head(founder, 5);
    const malformed: unknown[] = [
      null,
      'a head',
      [seq, hash],
      [seq, hash, sig, 1],
      [5.5, hash, sig],
      ['5', hash, sig],
      [2 ** 31 + 1, hash, sig],
      [seq, 7, sig],
      [seq, 'h'.repeat(65), sig],
      [seq, hash, 12],
      [seq, hash, sig.slice(0, 40)], // too short to be a signature
      [seq, hash, `${sig.slice(0, -1)}*`], // not base64url
      [seq, hash, `${sig.slice(0, -2)}AA`], // a valid encoding, a wrong signature
    ];
    for (const value of malformed)
      expect(check.verify(founder.id, founder.key, value, 0), String(value)).toBe(false);
    // A key that is not 32 bytes.
    expect(check.verify(founder.id, founder.key.slice(0, 20), [seq, hash, sig], 0)).toBe(false);
    expect(check.verify(founder.id, '!!!', [seq, hash, sig], 0)).toBe(false);
  });

  it('takes the largest sequence number a head may have', async () => {
    const top = 2 ** 31;
    expect(check.verify(founder.id, founder.key, [...(await head(founder, top))], top - 1)).toBe(true);
  });

  it('checks a setting envelope against its writer’s key', async () => {
    const env = await setting(founder, 'itma', { name: 'Rice' });
    expect(check.verifySetting('items', 'itma', env, founder.key)).toBe(true);
    expect(check.verifySetting('items', 'itma', env, other.key)).toBe(false);
    expect(check.verifySetting('items', 'itmb', env, founder.key)).toBe(false);
    expect(check.verifySetting('hubs', 'itma', env, founder.key)).toBe(false);
    expect(check.verifySetting('items', 'itma', { ...env, v: { name: 'Rye' } }, founder.key)).toBe(false);
    // A cleared setting is signed with v: null.
    const cleared = await setting(founder, 'itma', null);
    expect(check.verifySetting('items', 'itma', cleared, founder.key)).toBe(true);
    expect(check.verifySetting('items', 'itma', { ...cleared, v: undefined }, founder.key)).toBe(true);
  });
});

describe('headKeyOf: the device and key a member operation names', () => {
  it('reads them from a signed operation whose device id is its key’s hash', async () => {
    expect(headKeyOf([...(await genesis(net, founder))])).toEqual({ device: founder.id, key: founder.key });
    expect(headKeyOf([...(await request(net, other))])).toEqual({ device: other.id, key: other.key });
  });

  it('ignores anything else', async () => {
    const op = JSON.parse((await genesis(net, founder))[0]) as Record<string, unknown>;
    const cases: unknown[] = [
      null,
      'op',
      [],
      [42],
      ['not json'],
      ['null'],
      ['"a string"'],
      [JSON.stringify({ ...op, dev: other.id })], // a key that is not the device's
      [JSON.stringify({ ...op, key: 7 })],
      [JSON.stringify({ ...op, dev: 7 })],
      [JSON.stringify({ ...op, key: `${String(op.key)}A` })], // 44 characters
      [JSON.stringify({ ...op, pad: 'x'.repeat(4000) })], // too long to be an operation
    ];
    for (const value of cases) expect(headKeyOf(value), JSON.stringify(value)?.slice(0, 60)).toBeNull();
  });
});

describe('ingest on a signed network: heads', () => {
  it('accepts a device’s next entries with its newer signed head, replacing the old one', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2);
    appendEntries(b, founder.id, [donation(founder.id, 2)], await head(founder, 2));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(headSeq(a, founder.id)).toBe(2);
    expect(ledgersOf(a).get(founder.id)!.length).toBe(2);
  });

  it('takes the next sync after a head was replaced, whose delete set covers the replaced head again', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2);
    appendEntries(b, founder.id, [donation(founder.id, 2)], await head(founder, 2));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    itemsOf(b).set('itmb', await setting(founder, 'itmb', { name: 'Beans' }));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(headSeq(a, founder.id)).toBe(2);
  });

  it('takes an update overlapping the heads held here: the replaced ones merged into one deleted item', async () => {
    // Convergence seed 1080 (120 steps): a state exchange's diff, made from a state vector older than what
    // the receiver held by the time it was checked, carried a device's replaced heads as one merged item
    // starting before the receiver's live head (which lies inside it) and the newest head after it. The
    // receiver's live head and the merged item both followed the same earlier head: the walk took the live
    // one, which the update deletes, and refused the exchange as emptying the head.
    const a = await signedNetwork();
    const b = copyOf(a, 2);
    const before = Y.encodeStateVector(a);
    for (const seq of [2, 3])
      appendEntries(b, founder.id, [donation(founder.id, seq)], await head(founder, seq));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    for (const seq of [4, 5])
      appendEntries(b, founder.id, [donation(founder.id, seq)], await head(founder, seq));
    const replaced = headsOf(b)._map.get(founder.id)!.left!;
    expect(replaced.length).toBe(3); // heads 2, 3 and 4, replaced: one deleted item now
    expect(ingestUpdate(a, Y.encodeStateAsUpdate(b, before), 'peer')).toMatchObject({
      ok: true,
      changed: true,
    });
    expect(headSeq(a, founder.id)).toBe(5);
    expect(ledgersOf(a).get(founder.id)!.length).toBe(5);
  });

  it('takes such an overlap where the newest value comes from another client with a lower id', async () => {
    // The receiver's live value lies inside the sender's merged deleted run, and the value after that run
    // is from a client whose id is lower: Yjs orders values after the same one by client id, so the item
    // inside the run, if not recognised as part of it, would be taken as the value.
    const a = await signedNetwork();
    const b = copyOf(a, 50);
    const before = Y.encodeStateVector(a);
    for (const name of ['Rice 2', 'Rice 3'])
      itemsOf(b).set('itma', await setting(founder, 'itma', { name }, T + name.length));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    itemsOf(b).set('itma', await setting(founder, 'itma', { name: 'Rice 4' }, T + 20));
    const c = copyOf(b, 3);
    itemsOf(c).set('itma', await setting(founder, 'itma', { name: 'Rice 5' }, T + 30));
    expect(ingestUpdate(b, diff(c, b), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(itemsOf(b)._map.get('itma')!.left!.length).toBe(3); // b's three values, replaced: one item
    expect(ingestUpdate(a, Y.encodeStateAsUpdate(b, before), 'peer')).toMatchObject({
      ok: true,
      changed: true,
    });
    expect(itemsOf(a).get('itma')).toMatchObject({ v: { name: 'Rice 5' } });
  });

  it('accepts a first head with the member operation that names its key, in one update', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2);
    appendMemberOp(b, await request(net, stranger));
    appendEntries(b, stranger.id, [donation(stranger.id, 1)], await head(stranger, 1));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(headSeq(a, stranger.id)).toBe(1);
  });

  it('accepts a newer signed head on a network whose member log holds operations that name no key', async () => {
    const a = await signedNetwork();
    // A revocation names a device but carries no key: it must not stop the head check from finding the key.
    appendMemberOp(a, await revoke(net, founder, other.id, 0));
    const b = copyOf(a, 2);
    appendEntries(b, founder.id, [donation(founder.id, 2)], await head(founder, 2));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(headSeq(a, founder.id)).toBe(2);
    const c = copyOf(a, 3, false);
    headsOf(c).set(founder.id, [...(await head(founder, 3, 'h', other))]);
    expectRefused(a, diff(c, a), M.badHead(founder.id));
  });

  it('refuses a head signed by another key, even in the update that brings the device’s key', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2, false);
    appendMemberOp(b, await request(net, stranger));
    headsOf(b).set(stranger.id, [...(await head(stranger, 1, 'h', other))]);
    expectRefused(a, diff(b, a), M.badHead(stranger.id));
  });

  it('refuses replacing a head with an older one, or one another device signed', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2);
    appendEntries(b, founder.id, [donation(founder.id, 2)], await head(founder, 2));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true });
    for (const forged of [
      await head(founder, 1),
      await head(founder, 3, 'h', other),
      await head(founder, 2),
    ]) {
      const c = copyOf(a, 3, false);
      headsOf(c).set(founder.id, [...forged]);
      expectRefused(a, diff(c, a), M.badHead(founder.id));
    }
    expect(headSeq(a, founder.id)).toBe(2);
  });

  it('refuses a head that is not one signed value', async () => {
    const a = await signedNetwork();
    for (const write of [
      (heads: Y.Map<unknown>) => heads.set(founder.id, 'a head'),
      (heads: Y.Map<unknown>) => heads.set(founder.id, new Y.Array()),
    ]) {
      const c = copyOf(a, 3, false);
      write(headsOf(c));
      expectRefused(a, diff(c, a), M.badHead(founder.id));
    }
  });

  it('lets through a head whose device’s key is not known here yet (the gate judges it later)', async () => {
    const a = await signedNetwork();
    const c = copyOf(a, 3, false);
    headsOf(c).set(stranger.id, [...(await head(stranger, 1, 'h', other))]);
    expect(ingestUpdate(a, diff(c, a), 'peer')).toMatchObject({ ok: true, changed: true });
  });

  it('judges a head filed after a restart by its device’s key: refused when another key signed it, taken when it did', async () => {
    const a = await signedNetwork();
    const restarts: Restart[] = [[1, 'h'.repeat(43)]];
    const restarted = async (by: TestDevice) => [
      4,
      'k'.repeat(43),
      await sign(by.keys.privateKey, headMessage(net, founder.id, 4, 'k'.repeat(43), restarts)),
      restarts,
    ];
    const key = headKey(founder.id, 1);
    const forged = copyOf(a, 3, false);
    headsOf(forged).set(key, await restarted(other));
    expectRefused(a, diff(forged, a), M.badHead(key));
    const real = copyOf(a, 4, false);
    headsOf(real).set(key, await restarted(founder));
    expect(ingestUpdate(a, diff(real, a), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(headSeq(a, key)).toBe(4);
  });

  it('refuses deleting a head bare; without the guard (an unsigned network) it is only a setting', async () => {
    const a = await signedNetwork();
    const c = copyOf(a, 3, false);
    headsOf(c).delete(founder.id);
    expectRefused(a, diff(c, a), M.badHead(founder.id));
    const unsigned = copyOf(a, 4, false);
    expect(ingestUpdate(unsigned, diff(c, unsigned), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(headsOf(unsigned).has(founder.id)).toBe(false);
  });

  it('refuses deleting a head bare even with a replaced head of the same device arriving beside it', async () => {
    const a = await signedNetwork();
    // The sender replaces the founder's head with a newer one it signed, then deletes that one too: the
    // update holds the newer head as deleted content and deletes the head this device holds.
    const c = copyOf(a, 3, false);
    headsOf(c).set(founder.id, [...(await head(founder, 2))]);
    headsOf(c).delete(founder.id);
    expectRefused(a, diff(c, a), M.badHead(founder.id));
    expect(headSeq(a, founder.id)).toBe(1);
  });

  it('refuses a new head that arrives already deleted, unless it is an earlier head already replaced', async () => {
    const a = await signedNetwork();
    // A sender that keeps deleted content (gc off) sends the head's value with a delete set covering it.
    const d = new Y.Doc({ gc: false });
    d.clientID = 5;
    Y.applyUpdate(d, Y.encodeStateAsUpdate(a));
    headsOf(d).set(stranger.id, [...(await head(stranger, 1))]);
    headsOf(d).delete(stranger.id);
    expectRefused(a, diff(d, a), M.badHead(stranger.id));
    // A sender that collects garbage sends the replaced head as deleted content: nothing to judge.
    const e = copyOf(a, 6, false);
    headsOf(e).set(founder.id, [...(await head(founder, 2))]);
    headsOf(e).set(founder.id, [...(await head(founder, 3))]);
    expect(ingestUpdate(a, diff(e, a), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(headSeq(a, founder.id)).toBe(3);
  });
});

describe('ingest on a signed network: settings', () => {
  it('accepts a new signed value and a signed replacement by its writer', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2);
    itemsOf(b).set('itmb', await setting(other, 'itmb', { name: 'Beans' }));
    itemsOf(b).set('itma', await setting(founder, 'itma', { name: 'Brown rice' }, T + 1));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    expect((itemsOf(a).get('itma') as SignedSetting).v).toEqual({ name: 'Brown rice' });
    expect((itemsOf(a).get('itmb') as SignedSetting).v).toEqual({ name: 'Beans' });
  });

  it('accepts a signed tombstone (a cleared setting) in place of a value', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2);
    itemsOf(b).set('itma', await setting(other, 'itma', null, T + 1));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    expect((itemsOf(a).get('itma') as SignedSetting).v).toBeNull();
  });

  it('refuses an unsigned value, bare or among signed ones', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2, false);
    itemsOf(b).set('itmz', { name: 'Unsigned' });
    expectRefused(a, diff(b, a), M.badSetting('items/itmz'));
    const c = copyOf(a, 3, false);
    itemsOf(c).set('itmz', new Y.Map());
    expectRefused(a, diff(c, a), M.badSetting('items/itmz'));
    // On an unsigned network the same value is fine.
    const plain = copyOf(a, 4, false);
    expect(ingestUpdate(plain, diff(b, plain), 'peer')).toMatchObject({ ok: true, changed: true });
  });

  it('refuses replacing a held value with one its writer did not sign', async () => {
    const a = await signedNetwork();
    const good = await setting(founder, 'itma', { name: 'Brown rice' }, T + 1);
    for (const forged of [
      { ...good, v: { name: 'Forged' } }, // altered after signing
      { ...good, by: other.id }, // claims another writer
      { ...good, by: 'nobody1' }, // a writer with no known key
    ]) {
      const b = copyOf(a, 2, false);
      itemsOf(b).set('itma', forged);
      expectRefused(a, diff(b, a), M.badSetting('items/itma'));
    }
    // Nor under a key this device has no value for yet: a known writer's forged value could take the
    // genuine one's place (Yjs orders concurrent values by client id) and poison every later sync.
    const b = copyOf(a, 2, false);
    itemsOf(b).set('itmn', { ...good, v: { name: 'Forged' } });
    expectRefused(a, diff(b, a), M.badSetting('items/itmn'));
    // A first value from a writer whose key has not arrived yet is let through: it counts for nothing
    // until the key comes (judged when projected).
    const c = copyOf(a, 3, false);
    itemsOf(c).set('itmn', { ...good, by: 'nobody1' });
    expect(ingestUpdate(a, diff(c, a), 'peer')).toMatchObject({ ok: true, changed: true });
  });

  it('refuses a forged value that arrives with the genuine one it replaced, deleted (a new device)', async () => {
    const a = await signedNetwork();
    const fresh = new Y.Doc({ gc: true });
    fresh.clientID = 9;
    guardHeads(fresh, headCheckFor(net));
    const b = copyOf(a, 2, false);
    const current = itemsOf(b).get('itma') as SignedSetting;
    itemsOf(b).set('itma', { ...current, v: { name: 'Forged' }, at: current.at + 1 });
    expectRefused(fresh, Y.encodeStateAsUpdate(b), M.badSetting('items/itma'));
  });

  it('takes a setting changed twice elsewhere: the value it replaced arrives as deleted content', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2);
    itemsOf(b).set('itmb', await setting(founder, 'itmb', { name: 'Beans' }, T + 1));
    itemsOf(b).set('itmb', await setting(founder, 'itmb', { name: 'Black beans' }, T + 2));
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    expect((itemsOf(a).get('itmb') as SignedSetting).v).toEqual({ name: 'Black beans' });
  });

  it('refuses deleting a signed setting bare', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2, false);
    itemsOf(b).delete('itma');
    expectRefused(a, diff(b, a), M.badSetting('items/itma'));
    expect((itemsOf(a).get('itma') as SignedSetting).v).toEqual({ name: 'Rice' });
  });

  it('still refuses deleting the member list', async () => {
    const a = await signedNetwork();
    const b = copyOf(a, 2, false);
    membersOf(b).delete(1, 1);
    expectRefused(a, diff(b, a), M.deletesLedger);
  });
});
