import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { headCheckFor, type SettingToVerify } from '../../../shared/sync/headCheck';
import { signSetting } from '../../../shared/trust/settings';
import { headMessage } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { network, type TestDevice } from '../trust/fixtures';

/**
 * `HeadCheck.prepareSettings`: a large update's settings verified ahead with WebCrypto, so that the door's
 * synchronous `verifySetting` finds them in its cache. Which signatures WebCrypto verified is seen by
 * watching `crypto.subtle.verify`; that the door takes its cache from them, by a WebCrypto that vouches
 * for anything (the door's verdict is then WebCrypto's, as promised: only what it finds valid is kept).
 */

const T = Date.UTC(2025, 0, 1);
let net: string;
let founder: TestDevice;
beforeAll(async () => {
  ({ net, founder } = await network());
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function settings(n: number): Promise<SettingToVerify[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => ({
      map: 'items' as const,
      key: `itm${i}`,
      envelope: await signSetting(
        net,
        'items',
        `itm${i}`,
        { name: `Item ${i}` },
        founder.id,
        T,
        founder.keys.privateKey,
      ),
      publicKey: founder.key,
    })),
  );
}

const forge = (s: SettingToVerify): SettingToVerify => ({
  ...s,
  envelope: { ...s.envelope, v: { name: 'Forged' } },
});

describe('settings verified ahead', () => {
  it('keeps what WebCrypto found valid, and the door takes it from there without checking it again', async () => {
    const [genuine] = await settings(1);
    const forged = forge(genuine!);
    // A WebCrypto that vouches for anything: the forged value, verified ahead, is then taken.
    vi.spyOn(globalThis.crypto.subtle, 'verify').mockResolvedValue(true);
    const check = headCheckFor(net);
    await check.prepareSettings([forged]);
    expect(check.verifySetting('items', forged.key, forged.envelope, forged.publicKey)).toBe(true);
    // Not verified ahead: the door's own check refuses it.
    expect(headCheckFor(net).verifySetting('items', forged.key, forged.envelope, forged.publicKey)).toBe(
      false,
    );
  });

  it('checks again what WebCrypto refused: a genuine value stays genuine, a forged one forged', async () => {
    const [genuine] = await settings(1);
    vi.spyOn(globalThis.crypto.subtle, 'verify').mockResolvedValue(false);
    const check = headCheckFor(net);
    await check.prepareSettings([genuine!, forge(genuine!)]);
    expect(check.verifySetting('items', genuine!.key, genuine!.envelope, genuine!.publicKey)).toBe(true);
    const forged = forge(genuine!);
    expect(check.verifySetting('items', forged.key, forged.envelope, forged.publicKey)).toBe(false);
  });

  it('verifies each signature once, in batches, and none it already holds as valid', async () => {
    const items = await settings(300);
    items[290] = forge(items[290]!);
    const verify = vi.spyOn(globalThis.crypto.subtle, 'verify');
    const check = headCheckFor(net);
    await check.prepareSettings(items);
    expect(verify).toHaveBeenCalledTimes(300);
    // Again: only the forged one, which was not kept.
    await check.prepareSettings(items);
    expect(verify).toHaveBeenCalledTimes(301);
    for (const [i, s] of items.entries())
      expect(check.verifySetting('items', s.key, s.envelope, s.publicKey), String(i)).toBe(i !== 290);
  });
});

describe('heads verified ahead', () => {
  const hash = 'h'.repeat(43);
  const signedHead = async (seq: number) => ({
    device: founder.id,
    key: founder.key,
    value: [seq, hash, await sign(founder.keys.privateKey, headMessage(net, founder.id, seq, hash))],
  });

  it('keeps what WebCrypto found valid, and the door takes it from there, still above what it holds', async () => {
    const genuine = await signedHead(5);
    const forged = { ...genuine, value: [6, hash, (genuine.value as unknown[])[2]] };
    vi.spyOn(globalThis.crypto.subtle, 'verify').mockResolvedValue(true);
    const check = headCheckFor(net);
    await check.prepareHeads([forged]);
    expect(check.verify(forged.device, forged.key, forged.value, 0)).toBe(true);
    // Verified ahead, but not newer than the head held here: refused all the same.
    expect(check.verify(forged.device, forged.key, forged.value, 6)).toBe(false);
    expect(headCheckFor(net).verify(forged.device, forged.key, forged.value, 0)).toBe(false);
  });

  it('checks again what WebCrypto refused, and verifies only well-formed heads, each once', async () => {
    const genuine = await signedHead(5);
    const forged = { ...genuine, value: [6, hash, (genuine.value as unknown[])[2]] };
    const verify = vi.spyOn(globalThis.crypto.subtle, 'verify').mockResolvedValue(false);
    const check = headCheckFor(net);
    await check.prepareHeads([
      genuine,
      forged,
      { ...genuine, value: ['5', hash, 'x'] },
      { ...genuine, device: '' },
    ]);
    expect(verify).toHaveBeenCalledTimes(2);
    expect(check.verify(genuine.device, genuine.key, genuine.value, 0)).toBe(true);
    expect(check.verify(forged.device, forged.key, forged.value, 0)).toBe(false);
    verify.mockRestore();
    const counted = vi.spyOn(globalThis.crypto.subtle, 'verify');
    const fresh = headCheckFor(net);
    await fresh.prepareHeads([genuine]);
    await fresh.prepareHeads([genuine]);
    expect(counted).toHaveBeenCalledTimes(1);
    expect(fresh.verify(genuine.device, genuine.key, genuine.value, 0)).toBe(true);
  });
});
