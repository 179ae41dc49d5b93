import { beforeAll, describe, expect, it } from 'vitest';
import { headMessage } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { verifyHeads } from '../../../shared/trust/heads';
import { testDevices, type TestDevice } from './fixtures';
import { msg } from '../../../shared/messages';

/** Signed heads as the doc's `heads` map holds them: [seq, hash, signature], filed under their device. */
const NET = 'net0head';
const HASH = 'h'.repeat(43);
let a: TestDevice;
let b: TestDevice;
let keys: Map<string, string>;
beforeAll(async () => {
  [a, b] = await testDevices(21, 22);
  keys = new Map([
    [a.id, a.key],
    [b.id, b.key],
  ]);
});

const signedHead = async (d: TestDevice, seq: number, hash = HASH, as = d.id, network = NET) =>
  [seq, hash, await sign(d.keys.privateKey, headMessage(network, as, seq, hash))] as const;

describe('verifying signed heads', () => {
  it('a head signed by its device’s key counts', async () => {
    const result = await verifyHeads(
      NET,
      [
        [a.id, await signedHead(a, 7)],
        [b.id, await signedHead(b, 1, 'x')],
      ],
      keys,
    );
    expect(result.problems).toEqual([]);
    expect(result.heads).toEqual(
      new Map([
        [a.id, { seq: 7, hash: HASH }],
        [b.id, { seq: 1, hash: 'x' }],
      ]),
    );
  });

  it('a head filed under another device, for another network, or with another position or hash is refused', async () => {
    const [seq, hash, sig] = await signedHead(a, 7);
    const cases: [string, unknown][] = [
      [b.id, await signedHead(a, 7, HASH, b.id)],
      [a.id, await signedHead(a, 7, HASH, a.id, 'othernet')],
      [a.id, [seq + 1, hash, sig]],
      [a.id, [seq, `${hash.slice(1)}i`, sig]],
    ];
    for (const [device, value] of cases) {
      const result = await verifyHeads(NET, [[device, value]], keys);
      expect(result.heads.size).toBe(0);
      expect(result.problems).toEqual([
        { where: `heads/${device}`, reason: msg('head.badSignature', { device }) },
      ]);
    }
    // The genuine head still verifies after its forgeries were refused.
    expect((await verifyHeads(NET, [[a.id, [seq, hash, sig]]], keys)).heads.get(a.id)).toEqual({
      seq: 7,
      hash,
    });
  });

  it('a head whose device’s key has not arrived yet waits, silently', async () => {
    const result = await verifyHeads(NET, [[a.id, await signedHead(a, 3)]], new Map());
    expect(result).toEqual({ heads: new Map(), problems: [] });
  });

  it('anything but [position ≥ 1, hash of at most 64 characters, signature] is malformed', async () => {
    const [, , sig] = await signedHead(a, 1);
    const malformed: unknown[] = [
      'text',
      null,
      [1, HASH],
      [1, HASH, sig, sig],
      [1.5, HASH, sig],
      ['1', HASH, sig],
      [0, HASH, sig],
      [-1, HASH, sig],
      [1, 7, sig],
      [1, HASH, 7],
      [1, 'h'.repeat(65), sig],
    ];
    for (const value of malformed) {
      const result = await verifyHeads(NET, [[a.id, value]], keys);
      expect(result.heads.size).toBe(0);
      expect(result.problems).toEqual([
        { where: `heads/${a.id}`, reason: msg('head.malformed', { device: a.id }) },
      ]);
    }
    const longest = await signedHead(a, 1, 'h'.repeat(64));
    expect((await verifyHeads(NET, [[a.id, longest]], keys)).heads.get(a.id)?.hash).toHaveLength(64);
  });
});
