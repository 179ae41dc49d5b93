import { beforeAll, describe, expect, it } from 'vitest';
import { headCheckFor, headDeviceOf, headKeyOf } from '../../../shared/sync/headCheck';
import { toBase64Url } from '../../../shared/sync/encoding';
import { headKey, headMessage } from '../../../shared/trust/chain';
import { deviceIdOf, sign } from '../../../shared/trust/crypto';
import { signSetting } from '../../../shared/trust/settings';
import { genesis, network, type TestDevice } from '../trust/fixtures';

/**
 * The synchronous head check at its exact limits, with heads that really are signed: each guard before
 * the signature must refuse a value its device did sign (a signature alone does not make a head well
 * formed), and the signature check must be RFC 8032's strict one.
 */

let net: string;
let founder: TestDevice;

beforeAll(async () => {
  ({ net, founder } = await network());
});

/** [seq, hash, sig] with the founder's real signature over whatever seq and hash say. */
const signedHead = async (seq: unknown, hash: unknown, d = founder) => [
  seq,
  hash,
  await sign(d.keys.privateKey, `larder head v1|${net}|${d.id}|${String(seq)}|${String(hash)}`),
];

describe('a signed head at the limits of its shape', () => {
  it('is taken with a hash of 64 characters and refused with 65, though signed', async () => {
    const check = headCheckFor(net);
    expect(check.verify(founder.id, founder.key, await signedHead(3, 'h'.repeat(64)), 2)).toBe(true);
    expect(check.verify(founder.id, founder.key, await signedHead(3, 'h'.repeat(65)), 2)).toBe(false);
    expect(check.verify(founder.id, founder.key, await signedHead(3, ''), 2)).toBe(true);
  });

  it('is refused with a sequence number past 2^31, or not a whole number, though signed', async () => {
    const check = headCheckFor(net);
    expect(check.verify(founder.id, founder.key, await signedHead(2 ** 31, 'h'), 0)).toBe(true);
    expect(check.verify(founder.id, founder.key, await signedHead(2 ** 31 + 1, 'h'), 0)).toBe(false);
    expect(check.verify(founder.id, founder.key, await signedHead(5.5, 'h'), 0)).toBe(false);
    expect(check.verify(founder.id, founder.key, await signedHead('5', 'h'), 0)).toBe(false);
  });

  it('is refused when its hash is not a string, though the signed text reads the same', async () => {
    const check = headCheckFor(net);
    expect(check.verify(founder.id, founder.key, await signedHead(3, '7'), 0)).toBe(true);
    expect(check.verify(founder.id, founder.key, await signedHead(3, 7), 0)).toBe(false);
    expect(check.verify(founder.id, founder.key, await signedHead(3, null), 0)).toBe(false);
  });

  it('is refused, without throwing, when its signature is not a string', async () => {
    const check = headCheckFor(net);
    const [seq, hash, sig] = await signedHead(3, 'h');
    for (const bad of [null, 12, [sig], { sig }])
      expect(check.verify(founder.id, founder.key, [seq, hash, bad], 0), String(bad)).toBe(false);
  });

  it('is refused with a fifth part, though its first three are what its device signed', async () => {
    const check = headCheckFor(net);
    const value = await signedHead(3, 'h');
    expect(check.verify(founder.id, founder.key, value, 0)).toBe(true);
    expect(check.verify(founder.id, founder.key, [...value, [], 'more'], 0)).toBe(false);
    expect(check.verify(founder.id, founder.key, [...value, [[1, 'h']], 'more'], 0)).toBe(false);
  });

  it('agrees with the head message of chain.ts', () => {
    expect(headMessage(net, founder.id, 3, 'h')).toBe(`larder head v1|${net}|${founder.id}|3|h`);
  });
});

describe('the signature check is strict RFC 8032', () => {
  // The identity point, which has small order: under ZIP-215's cofactored rule, R = identity and S = 0
  // "sign" every message for this key. A device could register it and forge nothing, yet write anything.
  const identity = new Uint8Array(32);
  identity[0] = 1;
  const smallOrderKey = toBase64Url(identity);
  const anySig = toBase64Url(Uint8Array.from([...identity, ...new Uint8Array(32)]));

  it('refuses a key of small order with the signature that fits every message', async () => {
    const device = deviceIdOf(smallOrderKey);
    const check = headCheckFor(net);
    expect(check.verify(device, smallOrderKey, [1, 'h', anySig], 0)).toBe(false);
    const env = { v: { name: 'Rice' }, by: device, at: 1, s: anySig };
    expect(check.verifySetting('items', 'itma', env, smallOrderKey)).toBe(false);
  });

  it('still takes a real signature on a setting, and the cache gives the same verdict twice', async () => {
    const check = headCheckFor(net);
    const env = await signSetting(
      net,
      'items',
      'itma',
      { name: 'Rice' },
      founder.id,
      1,
      founder.keys.privateKey,
    );
    for (let i = 0; i < 2; i++) {
      expect(check.verifySetting('items', 'itma', env, founder.key)).toBe(true);
      expect(check.verifySetting('items', 'itma', env, smallOrderKey)).toBe(false);
    }
  });
});

describe('headKeyOf at its limits', () => {
  /** A member operation of exactly `length` characters naming `dev` and `key`. */
  function opOf(fields: Record<string, unknown>, length: number): [string] {
    const bare = JSON.stringify({ ...fields, pad: '' });
    return [JSON.stringify({ ...fields, pad: 'x'.repeat(length - bare.length) })];
  }

  it('reads an operation of exactly 4,000 characters, and nothing longer', async () => {
    const fields = { dev: founder.id, key: founder.key };
    expect(opOf(fields, 4000)[0]).toHaveLength(4000);
    expect(headKeyOf(opOf(fields, 4000))).toEqual({ device: founder.id, key: founder.key });
    expect(headKeyOf(opOf(fields, 4001))).toBeNull();
    // A real signed operation reads the same.
    expect(headKeyOf([...(await genesis(net, founder))])).toEqual({ device: founder.id, key: founder.key });
  });

  it('refuses a key of another length even when the device id is its hash', () => {
    for (const key of [`${founder.key}A`, founder.key.slice(0, 42), ''])
      expect(headKeyOf([JSON.stringify({ dev: deviceIdOf(key), key })]), key).toBeNull();
  });

  it('refuses a key that is not a string even when its text hashes to the device id', () => {
    const key = { length: 43 };
    expect(headKeyOf([JSON.stringify({ dev: deviceIdOf(String(key)), key })])).toBeNull();
    const list = Array.from({ length: 43 }, () => 'A');
    expect(headKeyOf([JSON.stringify({ dev: deviceIdOf(String(list)), key: list })])).toBeNull();
  });

  it('refuses JSON that is null, a number or a string, without throwing', () => {
    for (const text of ['null', '42', '"text"', 'true', '[]']) expect(headKeyOf([text]), text).toBeNull();
  });
});

describe('headDeviceOf', () => {
  it('reads the device out of a head filed after restarts, and leaves a key that names no device as it is', () => {
    expect(headDeviceOf(founder.id)).toBe(founder.id);
    expect(headDeviceOf(headKey(founder.id, 3))).toBe(founder.id);
    // Not a head key: it names no device whose key is known, so ingest lets the gate judge it.
    for (const key of [`${founder.id}/0`, `/1`, `${founder.id}/x`, ''])
      expect(headDeviceOf(key), key).toBe(key);
  });
});
