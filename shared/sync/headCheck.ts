import { ed25519 } from '@noble/curves/ed25519.js';
import { fromBase64Url } from './encoding';
import { headMessage, parseHeadKey, parseRestarts } from '../trust/chain';
import { deviceIdOf, verify as verifyAsync } from '../trust/crypto';
import { settingMessage, type SettingMap, type SignedSetting } from '../trust/settings';
import { inBatches } from '../pace';

/**
 * The synchronous check of a device's signed head that ingest.ts runs before Yjs sees an update. Yjs
 * applies updates synchronously and WebCrypto verifies asynchronously, so this uses @noble/curves'
 * Ed25519 (strict RFC 8032 verification, as WebCrypto's). Results are cached by signature.
 */
export interface HeadCheck {
  /**
   * True when `value` is [seq, hash, sig] or [seq, hash, sig, restarts], signed by `key` for the device
   * whose head it is, with seq above `after`. `device` is the head's key in the `heads` map: the device id,
   * or `<id>/<n>` for heads after its n-th restart, which must carry n restarts (chain.ts).
   */
  verify(device: string, key: string, value: unknown, after: number): boolean;
  /** True when a settings envelope carries a valid signature by `publicKey` (its writer's key). */
  verifySetting(map: SettingMap, key: string, envelope: SignedSetting, publicKey: string): boolean;
  /**
   * Verifies many settings ahead, with WebCrypto (about 25 times faster than verifying here, and off the
   * page's thread): `verifySetting` then finds the ones that are valid cached. A large update brings a
   * whole network's settings, each checked before Yjs sees it.
   */
  prepareSettings(items: readonly SettingToVerify[]): Promise<void>;
  /**
   * Verifies heads ahead, with WebCrypto, as `prepareSettings` settings: `verify` then finds the valid ones
   * cached. Verified here, a page's first head built @noble's tables of the curve's base point, a task of
   * 57-74 ms in a new device's join.
   */
  prepareHeads(items: readonly HeadToVerify[]): Promise<void>;
}

/** A head as `HeadCheck.verify` takes it, but for the sequence number it must be above. */
export interface HeadToVerify {
  device: string;
  key: string;
  value: unknown;
}

export interface SettingToVerify {
  map: SettingMap;
  key: string;
  envelope: SignedSetting;
  publicKey: string;
}

/** How many verdicts the cache keeps (a large update's settings are verified ahead into it). */
const CACHE_SIZE = 40_000;

/** The device whose head a key of the `heads` map holds (the key itself when it is not well formed). */
export function headDeviceOf(key: string): string {
  return parseHeadKey(key)?.device ?? key;
}

/** The device and key an operation of the member list names, if its device id is the key's hash. */
export function headKeyOf(value: unknown): { device: string; key: string } | null {
  if (!Array.isArray(value) || typeof value[0] !== 'string' || value[0].length > 4000) return null;
  let op: unknown;
  try {
    op = JSON.parse(value[0]);
  } catch {
    return null;
  }
  if (typeof op !== 'object' || op === null) return null;
  const { dev, key } = op as { dev?: unknown; key?: unknown };
  if (typeof dev !== 'string' || typeof key !== 'string' || key.length !== 43) return null;
  return deviceIdOf(key) === dev ? { device: dev, key } : null;
}

export function headCheckFor(network: string): HeadCheck {
  const cache = new Map<string, boolean>();
  const check = (publicKey: string, sig: string, message: string): boolean => {
    const cacheKey = `${publicKey}|${sig}|${message}`;
    const hit = cache.get(cacheKey);
    // Stryker disable next-line ConditionalExpression: a cache hit only saves time (checking again gives the same verdict)
    if (hit !== undefined) return hit;
    const signature = fromBase64Url(sig);
    const raw = fromBase64Url(publicKey);
    let ok = false;
    // Stryker disable next-line ConditionalExpression,LogicalOperator: @noble throws on any other length, which the catch below turns into the same false
    if (signature?.length === 64 && raw?.length === 32) {
      try {
        ok = ed25519.verify(signature, new TextEncoder().encode(message), raw, { zip215: false });
      } catch {
        // Stryker disable next-line BooleanLiteral: unreachable past the length check (@noble returns false for a signature or key of the right length that is not valid)
        ok = false;
      }
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: when the cache is emptied changes only memory and time
    if (cache.size > CACHE_SIZE) cache.clear();
    cache.set(cacheKey, ok);
    return ok;
  };
  /**
   * Verified ahead with WebCrypto. Only what it finds valid is cached: a signature it refuses is checked
   * here again, so the door's verdict on a forged one is the same whichever way the update came. In
   * batches, other tasks let run between two (shared/pace.ts `inBatches`).
   */
  const ahead = <T>(
    items: readonly T[],
    signed: (item: T) => [publicKey: string, sig: string, message: string] | null,
  ) =>
    inBatches(items, async (item) => {
      const found = signed(item);
      if (!found) return;
      const [publicKey, sig, message] = found;
      const cacheKey = `${publicKey}|${sig}|${message}`;
      if (cache.has(cacheKey)) return;
      if (await verifyAsync(publicKey, message, sig)) cache.set(cacheKey, true);
    });
  const messageOf = (map: SettingMap, key: string, { v, by, at }: SignedSetting) =>
    settingMessage(network, map, key, { v: v ?? null, by, at });
  /** A head's signature and the message it signs, if it is well formed and above `after`. */
  const signedHead = (
    device: string,
    value: unknown,
    after: number,
  ): [sig: string, message: string] | null => {
    if (!Array.isArray(value) || (value.length !== 3 && value.length !== 4)) return null;
    const [seq, hash, sig, rawRestarts] = value as unknown[];
    if (!Number.isInteger(seq) || (seq as number) <= after || (seq as number) > 2 ** 31) return null;
    if (typeof hash !== 'string' || hash.length > 64 || typeof sig !== 'string') return null;
    const place = parseHeadKey(device);
    const restarts = value.length === 4 ? parseRestarts(rawRestarts) : [];
    if (!place || !restarts || restarts.length !== place.restarts) return null;
    if (restarts.some(([at]) => at >= (seq as number))) return null;
    return [sig, headMessage(network, place.device, seq as number, hash, restarts)];
  };
  return {
    verifySetting(map, key, envelope, publicKey) {
      return check(publicKey, envelope.s, messageOf(map, key, envelope));
    },
    async prepareSettings(items) {
      await ahead(items, ({ map, key, envelope, publicKey }) => [
        publicKey,
        envelope.s,
        messageOf(map, key, envelope),
      ]);
    },
    async prepareHeads(items) {
      await ahead(items, ({ device, key, value }) => {
        const found = signedHead(device, value, 0);
        return found && [key, ...found];
      });
    },
    verify(device, key, value, after) {
      const found = signedHead(device, value, after);
      return found ? check(key, ...found) : false;
    },
  };
}
