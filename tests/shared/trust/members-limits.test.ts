import { describe, expect, it } from 'vitest';
import {
  evaluateMembers,
  MAX_ROTATE_CHARS,
  MAX_SEALED,
  memberStateDigest,
  opHash,
  type MemberOp,
} from '../../../shared/trust/members';
import { msg } from '../../../shared/messages';
import { approve, genesis, network, request, revoke, signed, T0 } from './fixtures';

/**
 * The member log's size bounds at their exact edges (a rotation seals the key to up to 480 devices and
 * may run to 64,000 characters; a revocation may name up to 256 old operations, past the 4,000 characters
 * of other operations), and the digest that tells a device its member list changed.
 */

const sealedTo = (count: number, length = 4) =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`dev${String(i).padStart(4, '0')}`, 'x'.repeat(length)]),
  );

describe('a rotation', () => {
  it('seals the key to at most 480 devices', async () => {
    const { net, founder } = await network();
    const g = await genesis(net, founder);
    const rotation = (count: number) =>
      signed({ t: 'rotate', net, epoch: 1, sealed: sealedTo(count), at: T0 + 1 }, founder);
    const most = await evaluateMembers(net, [g, await rotation(MAX_SEALED)]);
    expect(most.problems).toEqual([]);
    expect(Object.keys(most.rotation?.sealed ?? {})).toHaveLength(MAX_SEALED);
    const over = await evaluateMembers(net, [g, await rotation(MAX_SEALED + 1)]);
    expect(over.rotation).toBeNull();
    expect(over.problems).toEqual([{ where: 'members/1', reason: msg('member.malformed') }]);
  });

  it('counts at exactly 64,000 characters (far past other operations’ 4,000) and is malformed at one more', async () => {
    const { net, founder } = await network();
    const g = await genesis(net, founder);
    /** A rotation whose JSON is exactly `chars` long: 392 sealed copies (up to 200 characters), the last padded. */
    const rotationOf = (chars: number) => {
      const sealed = sealedTo(392, 150);
      const op: MemberOp = { t: 'rotate', net, epoch: 1, sealed, at: T0 + 1 };
      const short = chars - JSON.stringify(op).length;
      expect(short).toBeGreaterThanOrEqual(0);
      expect(short).toBeLessThanOrEqual(50);
      sealed.dev0391 = 'x'.repeat(150 + short);
      expect(JSON.stringify(op)).toHaveLength(chars);
      return signed(op, founder);
    };
    const longest = await evaluateMembers(net, [g, await rotationOf(MAX_ROTATE_CHARS)]);
    expect(longest.problems).toEqual([]);
    expect(longest.rotation).toMatchObject({ epoch: 1, by: founder.id });
    const over = await evaluateMembers(net, [g, await rotationOf(MAX_ROTATE_CHARS + 1)]);
    expect(over.rotation).toBeNull();
    expect(over.problems).toEqual([{ where: 'members/1', reason: msg('member.malformed') }]);
  });
});

describe('a grant (the current key passed on to members a rotation left out)', () => {
  it('may run past 4,000 characters and seal to at most 480 devices', async () => {
    const { net, founder } = await network();
    const g = await genesis(net, founder);
    const rotation = await signed({ t: 'rotate', net, epoch: 1, sealed: {}, at: T0 + 1 }, founder);
    const grant = (count: number) =>
      signed({ t: 'grant', net, epoch: 1, sealed: sealedTo(count), at: T0 + 2 }, founder);
    const most = await grant(MAX_SEALED);
    expect(most[0].length).toBeGreaterThan(4000);
    expect((await evaluateMembers(net, [g, rotation, most])).problems).toEqual([]);
    const over = await evaluateMembers(net, [g, rotation, await grant(MAX_SEALED + 1)]);
    expect(over.problems).toEqual([{ where: 'members/2', reason: msg('member.malformed') }]);
  });
});

describe('a revocation', () => {
  it('naming 100 old operations it keeps (over 4,000 characters) counts', async () => {
    const { net, founder, a } = await network();
    const g = await genesis(net, founder);
    const adminA = await approve(net, founder, a, { role: 'admin' });
    const old = Array.from({ length: 100 }, () => opHash(adminA[0], adminA[1]));
    const op = await signed(
      { t: 'revoke', net, dev: a.id, cut: 0, hash: null, at: T0 + 5000, keep: { n: 0, h: null, old } },
      founder,
    );
    expect(op[0].length).toBeGreaterThan(4000);
    const state = await evaluateMembers(net, [g, adminA, op]);
    expect(state.problems).toEqual([]);
    expect(state.members.get(a.id)?.revoked).toMatchObject({ by: founder.id, keep: { n: 0, old } });
  });
});

describe('the member list’s digest', () => {
  it('is the same for the same list, whatever order the log holds its operations in', async () => {
    const { net, founder, a, b, c } = await network();
    const g = await genesis(net, founder);
    const ops = [await request(net, a), await request(net, b), await approve(net, founder, c)];
    const one = await evaluateMembers(net, [g, ...ops]);
    const other = await evaluateMembers(net, [g, ...[...ops].reverse()]);
    expect([...other.keys.keys()]).not.toEqual([...one.keys.keys()]);
    expect(memberStateDigest(other)).toBe(memberStateDigest(one));
  });

  it('changes with the key of a device that only asked to join (its key verifies its heads)', async () => {
    const { net, founder, a, b } = await network();
    const g = await genesis(net, founder);
    const askedA = await evaluateMembers(net, [g, await request(net, a)]);
    const askedB = await evaluateMembers(net, [g, await request(net, b)]);
    expect(askedA.members.size).toBe(1);
    expect(memberStateDigest(askedA)).not.toBe(memberStateDigest(askedB));
  });

  it('changes with a revocation’s cut-off', async () => {
    const { net, founder, a } = await network();
    const g = await genesis(net, founder);
    const hubA = await approve(net, founder, a);
    const digestAt = async (cut: number) =>
      memberStateDigest(await evaluateMembers(net, [g, hubA, await revoke(net, founder, a.id, cut)]));
    const never = memberStateDigest(await evaluateMembers(net, [g, hubA]));
    const at3 = await digestAt(3);
    const at5 = await digestAt(5);
    expect(new Set([never, at3, at5]).size).toBe(3);
  });
});
