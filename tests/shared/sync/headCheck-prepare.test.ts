import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { headCheckFor, type SettingToVerify } from '../../../shared/sync/headCheck';
import { signSetting } from '../../../shared/trust/settings';
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
