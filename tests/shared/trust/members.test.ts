import { beforeAll, describe, expect, it } from 'vitest';
import { deviceIdOf } from '../../../shared/trust/crypto';
import {
  evaluateMembers,
  mayWriteFor,
  memberStateDigest,
  networkIdOf,
  opMessage,
  preApprovalPayload,
  PRE_APPROVAL_MS,
  type MemberState,
  type SignedOp,
} from '../../../shared/trust/members';
import { sign } from '../../../shared/trust/crypto';
import { msg } from '../../../shared/messages';
import {
  approve,
  genesis,
  member,
  network,
  preApproval,
  request,
  revoke,
  rotate,
  signed,
  stateOf,
  T0,
  testDevice,
  type TestDevice,
} from './fixtures';

/**
 * The member log replayed on its own: who may approve, revoke and rotate, pre-approved invites, and what
 * a device that is not an admin (or not the one it claims to be) can never do.
 */
let net: string;
let founder: TestDevice;
let a: TestDevice;
let b: TestDevice;
let c: TestDevice;
beforeAll(async () => {
  ({ net, founder, a, b, c } = await network());
});

const reasons = (state: MemberState) => state.problems.map((p) => `${p.where}: ${p.reason.code}`);

describe('genesis', () => {
  it('makes the device whose key anchors the network its first admin', async () => {
    const state = await evaluateMembers(net, [await genesis(net, founder, 'hubf', T0 + 7)]);
    expect(state.network).toBe(net);
    expect(state.members.get(founder.id)).toEqual({
      device: founder.id,
      key: founder.key,
      box: founder.box,
      name: 'Founder',
      hub: 'hubf',
      role: 'admin',
      approvedBy: founder.id,
      approvedAt: T0 + 7,
    });
    expect(state.problems).toEqual([]);
    expect(state.requests.size).toBe(0);
    expect(state.rotation).toBeNull();
    expect(state.keys.get(founder.id)).toBe(founder.key);
  });

  it('without a box key, the founder has none', async () => {
    const op = await signed(
      { t: 'genesis', net, dev: founder.id, key: founder.key, name: 'F', hub: 'hub1', at: T0 },
      founder,
    );
    const state = await evaluateMembers(net, [op]);
    expect(state.members.get(founder.id)).not.toHaveProperty('box');
  });

  it('from any other key is refused: nobody else can claim to have founded the network', async () => {
    const state = await evaluateMembers(net, [await genesis(net, a)]);
    expect(state.members.size).toBe(0);
    expect(reasons(state)).toEqual(['members/0: member.falseFounder']);
    // Its key is still known (its id is derived from it).
    expect(state.keys.get(a.id)).toBe(a.key);
  });

  it('a second genesis of the founder changes nothing', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder, 'hub1', T0),
      await genesis(net, founder, 'hub9', T0 + 50),
    ]);
    expect(state.members.get(founder.id)).toMatchObject({ hub: 'hub1', approvedAt: T0 });
  });

  it('filed under another device, or naming a key that is not its device’s, is a bad signature', async () => {
    const asOther = await signed(
      { t: 'genesis', net, dev: founder.id, key: founder.key, name: 'F', hub: 'hub1', at: T0 },
      founder,
      a.id,
    );
    const wrongKey = await signed(
      { t: 'genesis', net, dev: founder.id, key: a.key, name: 'F', hub: 'hub1', at: T0 },
      founder,
    );
    const state = await evaluateMembers(net, [asOther, wrongKey]);
    expect(state.members.size).toBe(0);
    expect(reasons(state)).toEqual(['members/0: member.badSignature', 'members/1: member.badSignature']);
  });
});

describe('join requests and approvals', () => {
  it('a request is listed (not a member) with what the device said, and its key is known', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, a, { hub: null, role: 'coordinator', hubName: 'New hub', at: T0 + 3 }),
    ]);
    expect(state.members.has(a.id)).toBe(false);
    expect(state.requests.get(a.id)).toEqual({
      device: a.id,
      key: a.key,
      box: a.box,
      name: `Device ${a.id.slice(0, 4)}`,
      hub: null,
      hubName: 'New hub',
      role: 'coordinator',
      at: T0 + 3,
    });
    expect(state.keys.get(a.id)).toBe(a.key);
  });

  it('a request without box key or hub name carries neither', async () => {
    const state = await evaluateMembers(net, [await request(net, a, { box: false })]);
    const r = state.requests.get(a.id)!;
    expect(r).not.toHaveProperty('box');
    expect(r).not.toHaveProperty('hubName');
  });

  it('a request signed by another key, or naming a key that is not its own, is refused', async () => {
    const forged = await signed(
      { t: 'request', net, dev: a.id, key: a.key, name: 'A', hub: 'hub2', role: 'hub', at: T0 },
      b,
    );
    const [payload, , s] = await request(net, b);
    const otherId: SignedOp = [payload, a.id, s];
    const state = await evaluateMembers(net, [forged, otherId]);
    expect(state.requests.size).toBe(0);
    expect(reasons(state)).toEqual(['members/0: member.badSignature', 'members/1: member.badSignature']);
  });

  it('an admin’s approval makes a member, with the box key of its request', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, a),
      await approve(net, founder, a, { role: 'coordinator', hub: null, name: 'Van', at: T0 + 9 }),
    ]);
    expect(state.requests.has(a.id)).toBe(false);
    expect(state.members.get(a.id)).toEqual({
      device: a.id,
      key: a.key,
      box: a.box,
      name: 'Van',
      hub: null,
      role: 'coordinator',
      approvedBy: founder.id,
      approvedAt: T0 + 9,
    });
    expect(state.problems).toEqual([]);
  });

  it('an approval before any request works; the approval’s box key wins, a role change keeps the old one', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a),
      await approve(net, founder, b, { box: c.box }),
    ]);
    expect(state.members.get(a.id)).not.toHaveProperty('box');
    expect(state.members.get(b.id)?.box).toBe(c.box);
    const changed = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, a),
      await approve(net, founder, a),
      await approve(net, founder, a, { role: 'admin', hub: 'hub3' }),
    ]);
    expect(changed.members.get(a.id)).toMatchObject({ box: a.box, role: 'admin', hub: 'hub3' });
  });

  it('a request from a device that is already a member changes nothing', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a, { hub: 'hub2' }),
      await request(net, a, { hub: 'hub7' }),
    ]);
    expect(state.requests.has(a.id)).toBe(false);
    expect(state.members.get(a.id)?.hub).toBe('hub2');
  });

  it('only an admin approves: a hub device, a coordinator, a device asking, a stranger are ignored', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a, { role: 'hub' }),
      await approve(net, founder, b, { role: 'coordinator' }),
      await request(net, c),
      await approve(net, a, c, { role: 'admin' }),
      await approve(net, b, c),
      await approve(net, c, c, { role: 'admin' }),
    ]);
    expect(state.members.has(c.id)).toBe(false);
    expect(state.requests.has(c.id)).toBe(true);
    expect(reasons(state)).toEqual([
      'members/4: member.approveNotAdmin',
      'members/5: member.approveNotAdmin',
      'members/6: member.approveNotAdmin',
    ]);
    const stranger = await evaluateMembers(net, [await approve(net, c, a)]);
    expect(stranger.members.size).toBe(0);
  });

  it('an approval naming a key that is not the device’s is refused', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await signed(
        { t: 'approve', net, dev: a.id, key: b.key, name: 'x', hub: 'hub2', role: 'admin', at: T0 },
        founder,
      ),
    ]);
    expect(state.members.has(a.id)).toBe(false);
    expect(state.members.has(b.id)).toBe(false);
    expect(reasons(state)).toEqual(['members/1: member.approveWrongKey']);
    // Nor is that key taken for the device's.
    expect(state.keys.has(a.id)).toBe(false);
  });

  it('a second admin approves; an admin made a hub device no longer does, from that point of the log', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a, { role: 'admin' }),
      await approve(net, a, b),
      await approve(net, founder, a, { role: 'hub' }),
      await approve(net, a, c),
    ]);
    expect(state.members.get(b.id)?.approvedBy).toBe(a.id);
    expect(state.members.has(c.id)).toBe(false);
    expect(reasons(state)).toEqual(['members/4: member.approveNotAdmin']);
  });
});

describe('revocation', () => {
  it('an admin cuts a member off after a sequence number; the first revocation stands', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a),
      await revoke(net, founder, a.id, 12, 'h12', T0 + 20),
      await revoke(net, founder, a.id, 40, 'h40', T0 + 30),
    ]);
    expect(state.members.get(a.id)?.revoked).toEqual({ cut: 12, hash: 'h12', by: founder.id, at: T0 + 20 });
    expect(state.problems).toEqual([]);
  });

  it('a revoked device is never approved again', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a),
      await revoke(net, founder, a.id, 3),
      await approve(net, founder, a, { role: 'admin' }),
    ]);
    expect(state.members.get(a.id)).toMatchObject({ role: 'hub', revoked: { cut: 3 } });
    expect(reasons(state)).toEqual(['members/3: member.approveRevoked']);
  });

  it('only an admin revokes: a hub device’s revocation is ignored', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a),
      await approve(net, founder, b),
      await revoke(net, a, b.id, 0),
    ]);
    expect(state.members.get(b.id)?.revoked).toBeUndefined();
    expect(reasons(state)).toEqual(['members/3: member.revokeNotAdmin']);
  });

  it('a revoked admin approves, revokes and rotates nothing after its revocation', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a, { role: 'admin' }),
      await revoke(net, founder, a.id, 0),
      await approve(net, a, b),
      await revoke(net, a, founder.id, 0),
      await rotate(net, a, 1),
    ]);
    expect(state.members.has(b.id)).toBe(false);
    expect(state.members.get(founder.id)?.revoked).toBeUndefined();
    expect(state.rotation).toBeNull();
    expect(state.problems.map((p) => p.where)).toEqual(['members/3', 'members/4', 'members/5']);
  });

  it('a device that only asked to join is kept out for good, under the name and hub it asked with', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, a, { hub: 'hub5' }),
      await revoke(net, founder, a.id, 0, null, T0 + 77),
      await approve(net, founder, a),
    ]);
    expect(state.requests.has(a.id)).toBe(false);
    expect(state.members.get(a.id)).toEqual({
      device: a.id,
      key: a.key,
      name: `Device ${a.id.slice(0, 4)}`,
      hub: 'hub5',
      role: 'hub',
      approvedBy: founder.id,
      approvedAt: T0 + 77,
      revoked: { cut: 0, hash: null, by: founder.id, at: T0 + 77 },
    });
    expect(reasons(state)).toEqual(['members/3: member.approveRevoked']);
  });

  it('a device known only by its key is kept out under its id; one with no known key is not listed', async () => {
    // `a`'s key is known from a refused genesis (it names a's key, but a does not anchor the network).
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await genesis(net, a),
      await revoke(net, founder, a.id, 2),
      await revoke(net, founder, b.id, 2),
    ]);
    expect(state.members.get(a.id)).toMatchObject({ key: a.key, name: a.id, hub: null, revoked: { cut: 2 } });
    expect(state.members.has(b.id)).toBe(false);
  });
});

describe('key rotation', () => {
  it('the newest epoch an admin signed wins; of two to one epoch, the first in the log', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a, { role: 'admin' }),
      await rotate(net, founder, 1, { [founder.id]: 'one' }),
      await rotate(net, a, 2, { [founder.id]: 'two-a' }),
      await rotate(net, founder, 2, { [founder.id]: 'two-f' }),
      await rotate(net, founder, 1, { [founder.id]: 'old' }),
    ]);
    expect(state.rotation).toEqual({ epoch: 2, sealed: { [founder.id]: 'two-a' }, by: a.id });
  });

  it('only an admin rotates the network key', async () => {
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a),
      await rotate(net, a, 5),
    ]);
    expect(state.rotation).toBeNull();
    expect(reasons(state)).toEqual(['members/2: member.rotateNotAdmin']);
  });
});

describe('pre-approved invites', () => {
  it('admit the one device that uses them, as the role the token allows, approved by its signer', async () => {
    const pre = await preApproval(net, founder, { role: 'coordinator' });
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, a, { role: 'coordinator', hub: null, pre, at: T0 + 10 }),
    ]);
    expect(state.requests.has(a.id)).toBe(false);
    expect(state.members.get(a.id)).toEqual({
      device: a.id,
      key: a.key,
      box: a.box,
      name: `Device ${a.id.slice(0, 4)}`,
      hub: null,
      role: 'coordinator',
      approvedBy: founder.id,
      approvedAt: T0 + 10,
    });
    expect(state.problems).toEqual([]);
  });

  it('the token’s role is the most it grants', async () => {
    const hubToken = await preApproval(net, founder, { id: 'tokenhub1', role: 'hub' });
    const coordToken = await preApproval(net, founder, { id: 'tokencoo1', role: 'coordinator' });
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, a, { role: 'coordinator', hub: null, pre: hubToken }),
      await request(net, b, { role: 'hub', pre: coordToken }),
    ]);
    expect(state.members.get(a.id)?.role).toBe('hub');
    expect(state.members.get(b.id)?.role).toBe('hub');
  });

  it('are single use: a second device with the same token waits for an admin', async () => {
    const pre = await preApproval(net, founder);
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, a, { pre }),
      await request(net, b, { pre }),
    ]);
    expect(state.members.has(a.id)).toBe(true);
    expect(state.members.has(b.id)).toBe(false);
    expect(state.requests.has(b.id)).toBe(true);
    expect(reasons(state)).toEqual(['members/2: member.preApprovalUsed']);
  });

  it('a member asking again with a token does not use it up', async () => {
    const pre = await preApproval(net, founder);
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, a, { hub: 'hub1' }),
      await request(net, a, { pre }),
      await request(net, b, { pre }),
    ]);
    expect(state.members.get(a.id)?.hub).toBe('hub1');
    expect(state.members.has(b.id)).toBe(true);
    expect(state.problems).toEqual([]);
  });

  it('last 24 hours up to their expiry, judged by the time of the request', async () => {
    const exp = T0 + 2 * PRE_APPROVAL_MS;
    const at = async (when: number) => {
      const pre = await preApproval(net, founder, { exp });
      const state = await evaluateMembers(net, [
        await genesis(net, founder),
        await request(net, a, { pre, at: when }),
      ]);
      return state.members.has(a.id);
    };
    expect(await at(exp)).toBe(true);
    expect(await at(exp - PRE_APPROVAL_MS)).toBe(true);
    expect(await at(exp + 1)).toBe(false);
    expect(await at(exp - PRE_APPROVAL_MS - 1)).toBe(false);
    const late = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, a, { pre: await preApproval(net, founder, { exp }), at: exp + 1 }),
    ]);
    expect(reasons(late)).toEqual(['members/1: member.preApprovalExpired']);
    expect(late.requests.has(a.id)).toBe(true);
  });

  it('count when the signer is an admin at the end of the log, even from a request placed before the genesis', async () => {
    const pre = await preApproval(net, founder);
    const state = await evaluateMembers(net, [await request(net, a, { pre }), await genesis(net, founder)]);
    expect(state.members.get(a.id)?.approvedBy).toBe(founder.id);
  });

  it('from a device that is not an admin (or no longer one), or for another network, admit nobody', async () => {
    const byHub = await preApproval(net, b, { id: 'tokenbbbb' });
    const byRevoked = await preApproval(net, c, { id: 'tokencccc' });
    const otherNet = await preApproval('othernet', founder, { id: 'tokenothr' });
    const d = await testDevice(5);
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await approve(net, founder, b),
      await approve(net, founder, c, { role: 'admin' }),
      await request(net, a, { pre: byHub }),
      await request(net, d, { pre: byRevoked }),
      await request(net, (await testDevice(6))!, { pre: otherNet }),
      await revoke(net, founder, c.id, 0),
    ]);
    expect(state.members.has(a.id)).toBe(false);
    expect(state.members.has(d.id)).toBe(false);
    expect(state.problems.map((p) => p.where)).toEqual(['members/3', 'members/4', 'members/5']);
  });

  it('a request made before the network’s operations arrived is judged once they have, not reported before', async () => {
    const pre = await preApproval(net, founder);
    const device = (await testDevice(5))!;
    const asked = await request(net, device, { pre });
    // A device that joined with the invite and asked before its first sync: its log holds its request alone.
    const before = await evaluateMembers(net, [asked]);
    expect(before.problems).toEqual([]);
    expect([...before.requests.keys()]).toEqual([device.id]);
    expect(before.members.has(device.id)).toBe(false);
    // Then the founder's operations: the pre-approval admits it, and nothing is reported.
    const after = await evaluateMembers(net, [asked, await genesis(net, founder)]);
    expect(after.problems).toEqual([]);
    expect(after.members.get(device.id)?.approvedBy).toBe(founder.id);
  });

  it('a token with a bad signature, or that is not a token, is reported and admits nobody', async () => {
    const pre = await preApproval(net, founder);
    const tampered = { ...pre, p: pre.p.replace('"role":"hub"', '"role":"coordinator"') };
    const notJson = { ...pre, p: '{not json' };
    const notToken = {
      ...pre,
      p: JSON.stringify({ t: 'pre' }),
      s: await sign(founder.keys.privateKey, opMessage('{"t":"pre"}')),
    };
    const unknownSigner = { ...pre, by: 'unknown1' };
    const devices = await Promise.all([5, 6, 7, 8].map(testDevice));
    const state = await evaluateMembers(net, [
      await genesis(net, founder),
      await request(net, devices[0]!, { pre: tampered }),
      await request(net, devices[1]!, { pre: notJson }),
      await request(net, devices[2]!, { pre: notToken }),
      await request(net, devices[3]!, { pre: unknownSigner }),
    ]);
    expect([...state.members.keys()]).toEqual([founder.id]);
    expect(state.requests.size).toBe(4);
    expect(reasons(state)).toEqual([1, 2, 3, 4].map((i) => `members/${i}: member.preApprovalInvalid`));
  });

  it('the signed text is the token’s fields in one order', () => {
    expect(preApprovalPayload({ exp: 5, role: 'hub', id: 'abcdefgh', net: 'netx', t: 'pre' })).toBe(
      '{"t":"pre","net":"netx","id":"abcdefgh","role":"hub","exp":5}',
    );
  });
});

describe('what is not a member operation', () => {
  it('malformed entries, another network’s, and bad signatures are reported where they are, and skipped', async () => {
    const [payload, by, s] = await genesis(net, founder);
    const otherNet = await genesis('othernet', founder);
    const state = await evaluateMembers(net, [
      'text',
      [payload, by],
      [payload, by, s, s],
      [payload, by, 1],
      ['{not json', by, s],
      [JSON.stringify({ t: 'genesis', net }), by, s],
      [payload, 'NOT AN ID', s],
      otherNet,
      [payload, by, (await genesis(net, founder, 'hub9'))[2]],
      [payload, by, s],
    ]);
    expect(reasons(state)).toEqual([
      ...[0, 1, 2, 3, 4, 5, 6].map((i) => `members/${i}: member.malformed`),
      'members/7: member.otherNetwork',
      'members/8: member.badSignature',
    ]);
    expect(state.members.get(founder.id)?.role).toBe('admin');
  });

  it('payloads up to 4,000 characters are read', async () => {
    const op = {
      t: 'genesis',
      net,
      dev: founder.id,
      key: founder.key,
      name: 'F',
      hub: 'hub1',
      at: T0,
    } as const;
    const padded = (length: number) => {
      const json = JSON.stringify(op);
      return json + ' '.repeat(length - json.length);
    };
    for (const [length, admitted] of [
      [4000, true],
      [4001, false],
    ] as const) {
      const payload = padded(length);
      const sig = await sign(founder.keys.privateKey, opMessage(payload));
      const state = await evaluateMembers(net, [[payload, founder.id, sig]]);
      expect(state.members.has(founder.id)).toBe(admitted);
    }
  });

  it('past 10,000 operations the rest is ignored, and said so', async () => {
    const g = await genesis(net, founder);
    const full = await evaluateMembers(net, [...Array<unknown>(9_999).fill(0), g]);
    expect(full.members.has(founder.id)).toBe(true);
    expect(full.problems.some((p) => p.where === 'members')).toBe(false);
    const over = await evaluateMembers(net, [...Array<unknown>(10_000).fill(0), g]);
    expect(over.members.has(founder.id)).toBe(false);
    expect(over.problems.at(-1)).toEqual({
      where: 'members',
      reason: msg('member.listTooLong'),
    });
    expect(over.problems).toHaveLength(10_001);
  });

  it('a signature never vouches for another text of the same length, even after it was checked once', async () => {
    const ops = [
      await genesis(net, founder),
      await approve(net, founder, a, { role: 'admin' }),
      await approve(net, founder, b, { hub: 'hub2' }),
    ];
    expect((await evaluateMembers(net, ops)).members.get(b.id)?.hub).toBe('hub2');
    // A key holder copies the admin's signature onto a text of the same length.
    const [payload, by, s] = ops[2]!;
    const moved: SignedOp = [payload.replace('"hub":"hub2"', '"hub":"hub3"'), by, s];
    const [rp, rby, rs] = await revoke(net, founder, b.id, 0);
    const otherVictim: SignedOp = [rp.replace(b.id, a.id), rby, rs];
    await evaluateMembers(net, [...ops, [rp, rby, rs]]);
    const state = await evaluateMembers(net, [...ops, moved, otherVictim]);
    expect(state.members.get(b.id)?.hub).toBe('hub2');
    expect(state.members.get(a.id)?.revoked).toBeUndefined();
    expect(reasons(state)).toEqual(['members/3: member.badSignature', 'members/4: member.badSignature']);
  });

  it('replaying the same log again gives the same state', async () => {
    const ops = [
      await genesis(net, founder),
      await request(net, a),
      await approve(net, founder, b, { role: 'admin' }),
      await approve(net, b, a, { role: 'coordinator' }),
      await revoke(net, founder, c.id, 1),
    ];
    const first = await evaluateMembers(net, ops);
    const second = await evaluateMembers(net, ops);
    expect(second).toEqual(first);
    expect(memberStateDigest(second)).toBe(memberStateDigest(first));
  });
});

describe('the member state digest', () => {
  const base = () => stateOf('net', [member('dev1', 'admin', 'hub1'), member('dev2', 'hub', 'hub2')]);

  it('is 24 hex digits, the same whatever order members and keys were listed in', () => {
    const one = base();
    one.keys.set('dev1', 'k1').set('dev2', 'k2');
    const two = stateOf('net', [member('dev2', 'hub', 'hub2'), member('dev1', 'admin', 'hub1')]);
    two.keys.set('dev2', 'k2').set('dev1', 'k1');
    expect(memberStateDigest(one)).toMatch(/^[0-9a-f]{24}$/);
    expect(memberStateDigest(two)).toBe(memberStateDigest(one));
  });

  it('changes with anything that decides verdicts', () => {
    const digest = memberStateDigest(base());
    const changed = (edit: (s: MemberState) => void) => {
      const s = base();
      edit(s);
      return memberStateDigest(s);
    };
    const variants = [
      changed((s) => (s.members.get('dev2')!.hub = 'hub3')),
      changed((s) => (s.members.get('dev2')!.hub = null)),
      changed((s) => (s.members.get('dev2')!.role = 'coordinator')),
      changed((s) => (s.members.get('dev2')!.key = 'other')),
      changed((s) => (s.members.get('dev2')!.revoked = { cut: 0, hash: null, by: 'dev1', at: 0 })),
      changed((s) => (s.members.get('dev2')!.revoked = { cut: 1, hash: null, by: 'dev1', at: 0 })),
      changed((s) => (s.members.get('dev2')!.revoked = { cut: 1, hash: 'h', by: 'dev1', at: 0 })),
      changed((s) => s.members.delete('dev2')),
      changed((s) => s.keys.set('dev3', 'k3')),
    ];
    expect(new Set([digest, ...variants]).size).toBe(variants.length + 1);
  });
});

describe('writing for a hub', () => {
  it('a hub device for its own hub only; admins and coordinators for any', () => {
    expect(mayWriteFor(member('d', 'hub', 'hub1'), 'hub1')).toBe(true);
    expect(mayWriteFor(member('d', 'hub', 'hub1'), 'hub2')).toBe(false);
    expect(mayWriteFor(member('d', 'hub', null), 'hub2')).toBe(false);
    expect(mayWriteFor(member('d', 'admin', 'hub1'), 'hub2')).toBe(true);
    expect(mayWriteFor(member('d', 'coordinator', null), 'hub2')).toBe(true);
  });
});

describe('network ids', () => {
  it('are derived from the founding key and differ from the founder’s device id', () => {
    expect(networkIdOf(founder.key)).toBe(net);
    expect(networkIdOf(founder.key)).toBe(deviceIdOf(`network|${founder.key}`));
    expect(net).not.toBe(founder.id);
  });
});
