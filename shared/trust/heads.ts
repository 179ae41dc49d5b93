import { verify } from './crypto';
import { headMessage } from './chain';
import type { VerifiedHead } from './gate';

/**
 * Reads and verifies the devices' signed heads (the doc's `heads` map). A head counts only when it is
 * signed by the key of the device it is filed under; anything else is set aside. Verified signatures are
 * cached, so a head is checked once however often the map is read.
 */
const cache = new Map<string, boolean>();

export interface HeadsResult {
  heads: Map<string, VerifiedHead>;
  problems: { where: string; reason: string }[];
}

export async function verifyHeads(
  network: string,
  raw: Iterable<[string, unknown]>,
  keys: ReadonlyMap<string, string>,
): Promise<HeadsResult> {
  const heads = new Map<string, VerifiedHead>();
  const problems: HeadsResult['problems'] = [];
  await Promise.all(
    [...raw].map(async ([device, value]) => {
      const where = `heads/${device}`;
      if (
        !Array.isArray(value) ||
        value.length !== 3 ||
        !Number.isInteger(value[0]) ||
        (value[0] as number) < 1 ||
        typeof value[1] !== 'string' ||
        typeof value[2] !== 'string' ||
        value[1].length > 64
      ) {
        problems.push({ where, reason: `The signed head of device ${device} is malformed` });
        return;
      }
      const [seq, hash, sig] = value as [number, string, string];
      const key = keys.get(device);
      if (!key) return; // the device's key has not arrived yet: look again when it has
      const message = headMessage(network, device, seq, hash);
      const cacheKey = `${key}|${sig}|${message}`;
      let ok = cache.get(cacheKey);
      if (ok === undefined) {
        ok = await verify(key, message, sig);
        if (cache.size > 10_000) cache.clear();
        cache.set(cacheKey, ok);
      }
      if (ok) heads.set(device, { seq, hash });
      else problems.push({ where, reason: `The head of device ${device} is not signed by its key` });
    }),
  );
  return { heads, problems };
}
