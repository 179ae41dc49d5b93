// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { membersOf } from '../../shared/doc';
import { msg } from '../../shared/messages';
import {
  evaluateMembers,
  linkAfter,
  nextLink,
  signOp,
  type Link,
  type MemberOp,
  type SignedOp,
} from '../../shared/trust/members';
import type { LarderStore } from '../../renderer/storage/store';
import { START } from './replicas';
import { SignedDevice } from './signedDevice';
import { testStores } from './stores';

/**
 * A laptop of a second admin is taken. The founder revokes it; the thief, holding its key, signs an
 * approval of a device of its own and a revocation of the founder, and places them early in the member
 * log, where the log's order would still find it an admin. No honest replica, old or new, counts them.
 */
const { device, sync } = testStores('revoked-admin', 11);

const statusOf = async (store: LarderStore, id: string) => (await store.db.members.get(id))?.status;

function copyOf(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

/** Signs as `by` and inserts the operation at `index` of the doc's member log (Yjs lets anyone). */
async function insertOp(doc: Y.Doc, index: number, op: MemberOp, by: SignedDevice): Promise<SignedOp> {
  const signed = await signOp(op, by.id, by.keys.privateKey);
  doc.transact(() => membersOf(doc).insert(index, [[...signed]]));
  return signed;
}

describe('a revoked admin cannot backdate member operations', () => {
  it('its approval and its revocation of the founder, placed before its own revocation, never count', async () => {
    const founder = await device();
    await founder.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const net = founder.self!.networkId;
    const other = await device();
    await other.joinNetwork({ invite: await founder.preApprovedInvite(), deviceName: 'Church laptop' });
    await sync(founder, other);
    await sync(other, founder);

    // A second admin (its key is what the thief will hold) approves a volunteer's device, honestly.
    const taken = await SignedDevice.approvedBy(founder, { role: 'admin', name: 'Second admin' });
    const volunteer = await SignedDevice.create(net);
    const laptop = copyOf(founder.persistence.doc);
    await volunteer.ask(laptop, founder.self!.hubId!);
    const state = await evaluateMembers(net, membersOf(laptop).toArray());
    let link: Link = nextLink(state.signed.get(taken.id));
    const approve = (d: SignedDevice, role: 'admin' | 'hub', at: number): MemberOp => ({
      t: 'approve',
      net,
      dev: d.id,
      key: d.keys.publicKey,
      name: 'Device',
      hub: founder.self!.hubId!,
      role,
      at,
      ...link,
    });
    const honest = await insertOp(laptop, membersOf(laptop).length, approve(volunteer, 'hub', START), taken);
    link = linkAfter(honest);
    await sync(laptop, founder);
    await sync(founder, other);
    expect(await statusOf(other, volunteer.id)).toBe('member');

    // The laptop is lost: the founder revokes it.
    await founder.revokeDevice(taken.id);
    await sync(founder, other);

    // The thief signs on, as if it had not seen the revocation, and puts its operations right after its
    // own approval as an admin: where the log's order would find it an admin, before its revocation.
    const own = await SignedDevice.create(net);
    await own.ask(laptop, founder.self!.hubId!);
    const early =
      (membersOf(laptop).toArray() as SignedOp[]).findIndex(
        ([payload]) => payload.includes('"t":"approve"') && payload.includes(taken.id),
      ) + 1;
    expect(early).toBeGreaterThan(0);
    const stolen = await insertOp(laptop, early, approve(own, 'admin', START + 5), taken);
    link = linkAfter(stolen);
    await insertOp(
      laptop,
      early + 1,
      { t: 'revoke', net, dev: founder.self!.deviceId, cut: 0, hash: null, at: START + 6, ...link },
      taken,
    );
    // And one in the format from before chains, without a number.
    const { n: _n, p: _p, ...unlinked } = approve(own, 'admin', START + 7);
    await insertOp(laptop, early, unlinked as MemberOp, taken);

    const fresh = await device();
    await fresh.joinNetwork({ invite: await founder.inviteCode(), deviceName: 'Newcomer' });
    await sync(founder, fresh);
    for (const store of [founder, other, fresh]) {
      await sync(laptop, store);
      expect(await statusOf(store, own.id)).toBe('requested');
      expect(await statusOf(store, volunteer.id)).toBe('member');
      expect(await statusOf(store, taken.id)).toBe('revoked');
      expect(await store.db.members.get(founder.self!.deviceId)).toMatchObject({
        status: 'member',
        role: 'admin',
      });
      const reasons = (await store.db.problems.toArray()).map((p) => p.reason);
      expect(
        reasons.filter((r) => JSON.stringify(r) === JSON.stringify(msg('member.afterRevocation'))),
      ).toHaveLength(3);
    }
  });

  it('the app links each of its member operations to the one before, and its revocation keeps what it saw', async () => {
    const founder = await device();
    await founder.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const net = founder.self!.networkId;
    const a = await SignedDevice.approvedBy(founder);
    const b = await SignedDevice.approvedBy(founder, { role: 'admin' });
    await founder.revokeDevice(a.id);
    const log = membersOf(founder.persistence.doc).toArray() as SignedOp[];
    const mine = log.filter((op) => op[1] === founder.self!.deviceId).map((op) => JSON.parse(op[0]));
    expect(mine.map((op) => [op.t, op.n])).toEqual([
      ['genesis', 1],
      ['approve', 2],
      ['approve', 3],
      ['revoke', 4],
      ['rotate', 5],
    ]);
    const state = await evaluateMembers(net, log);
    expect(state.signed.get(founder.self!.deviceId)?.n).toBe(5);
    // A signed only its request (before chains' numbers: SignedDevice writes none): the revocation lists it.
    expect(mine[3].keep).toEqual(state.signed.get(a.id));
    expect(mine[3].keep.old).toHaveLength(1);
    expect(state.members.get(b.id)?.role).toBe('admin');
    expect(state.problems).toEqual([]);
  });
});
