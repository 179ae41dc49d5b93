// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendMemberOp, membersOf } from '../../shared/doc';
import type { Donation } from '../../shared/entries';
import { evaluateMembers, nextLink, signOp } from '../../shared/trust/members';
import type { LarderStore } from '../../renderer/storage/store';
import { START } from './replicas';
import { SignedDevice } from './signedDevice';
import { testStores } from './stores';

/**
 * A second admin's laptop is taken, and the thief admits a device of its own, which records a donation.
 * The founder, who never saw that approval, revokes the laptop keeping nothing it signed since: strong
 * removal leaves the approval out, and the device is no member. A device that had already counted the
 * donation must stop counting it, as a device that sees the whole log at once never counts it.
 */
const { device, sync } = testStores('removed-member', 13);

function copyOf(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

const onHand = async (store: LarderStore, key: string) => (await store.db.stock.get(key))?.onHand ?? 0;

describe('a device whose approval strong removal leaves out', () => {
  it('stops counting on a device that had counted it, as on a device that sees everything at once', async () => {
    const founder = await device();
    await founder.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const net = founder.self!.networkId;
    const hub = founder.self!.hubId!;
    const other = await device();
    await other.joinNetwork({ invite: await founder.preApprovedInvite(), deviceName: 'Church laptop' });
    await sync(founder, other);
    await sync(other, founder);
    const taken = await SignedDevice.approvedBy(founder, { role: 'admin', name: 'Second admin' });
    await sync(founder, other);

    // On the taken laptop: an approval of the thief's device, then the device's donation with its head.
    const laptop = copyOf(founder.persistence.doc);
    const thief = await SignedDevice.create(net);
    await thief.ask(laptop, hub);
    const seen = await evaluateMembers(net, membersOf(laptop).toArray());
    const approval = await signOp(
      {
        t: 'approve',
        net,
        dev: thief.id,
        key: thief.keys.publicKey,
        name: 'Device',
        hub,
        role: 'hub',
        at: START,
        ...nextLink(seen.signed.get(taken.id)),
      },
      taken.id,
      taken.keys.privateKey,
    );
    appendMemberOp(laptop, approval);
    const donation: Donation = {
      kind: 'donation',
      hub,
      device: thief.id,
      seq: 1,
      item: 'itmrice',
      at: START,
      recordedAt: START,
      qty: 40,
      source: 'other',
    };
    await thief.append(laptop, [donation]);
    const key = `${hub}|itmrice`;
    await sync(laptop, other);
    expect(await onHand(other, key)).toBe(40);

    // The founder never saw the approval, and revokes the laptop.
    await founder.revokeDevice(taken.id);
    await sync(founder, other);
    await other.persistence.rebuilt();
    expect((await other.db.members.get(thief.id))?.status).not.toBe('member');
    expect(await onHand(other, key)).toBe(0);

    // A device that joins now and gets everything at once agrees.
    const fresh = await device();
    await fresh.joinNetwork({ invite: await founder.inviteCode(), deviceName: 'Newcomer' });
    await sync(founder, fresh);
    await sync(laptop, fresh);
    await fresh.persistence.rebuilt();
    expect(await onHand(fresh, key)).toBe(0);
  });
});
