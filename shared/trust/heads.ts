import { verify } from './crypto';
import { headMessage, parseHeadKey, parseRestarts } from './chain';
import type { VerifiedHead } from './gate';
import type { SetAside } from '../doc';
import { msg } from '../messages';
import { inBatches } from '../pace';

/**
 * Reads and verifies the devices' signed heads (the doc's `heads` map). A head counts only when it is
 * signed by the key of the device it is filed under; anything else is set aside. Verified signatures are
 * cached, so a head is checked once however often the map is read.
 */
const cache = new Map<string, boolean>();

export interface HeadsResult {
  heads: Map<string, VerifiedHead>;
  problems: SetAside[];
}

export async function verifyHeads(
  network: string,
  raw: Iterable<[string, unknown]>,
  keys: ReadonlyMap<string, string>,
): Promise<HeadsResult> {
  const heads = new Map<string, VerifiedHead>();
  const problems: HeadsResult['problems'] = [];
  // A device's heads after its n-th restart are under `<id>/<n>` (chain.ts): its newest is the one with the
  // most restarts, and the others (signed before a restart) verify the positions before it.
  const all = new Map<string, VerifiedHead[]>();
  const keep = (device: string, head: VerifiedHead) => {
    const list = all.get(device);
    if (list) list.push(head);
    else all.set(device, [head]);
  };
  // In batches, other tasks let run between two (pace.ts `inBatches`).
  await inBatches([...raw], async ([mapKey, value]) => {
    const where = `heads/${mapKey}`;
    const place = parseHeadKey(mapKey);
    const device = place?.device ?? mapKey;
    if (
      !place ||
      !Array.isArray(value) ||
      (value.length !== 3 && value.length !== 4) ||
      !Number.isInteger(value[0]) ||
      (value[0] as number) < 1 ||
      typeof value[1] !== 'string' ||
      typeof value[2] !== 'string' ||
      value[1].length > 64 ||
      (value.length === 4 ? !restartsBelow(value[3], value[0] as number, place.restarts) : place.restarts > 0)
    ) {
      problems.push({ where, reason: msg('head.malformed', { device }) });
      return;
    }
    const [seq, hash, sig] = value as [number, string, string];
    const restarts = value.length === 4 ? parseRestarts(value[3])! : [];
    const key = keys.get(device);
    if (!key) return; // the device's key has not arrived yet: look again when it has
    const message = headMessage(network, device, seq, hash, restarts);
    const cacheKey = `${key}|${sig}|${message}`;
    let ok = cache.get(cacheKey);
    if (ok === undefined) {
      ok = await verify(key, message, sig);
      if (cache.size > 10_000) cache.clear();
      cache.set(cacheKey, ok);
    }
    if (ok) keep(device, restarts.length > 0 ? { seq, hash, restarts } : { seq, hash });
    else problems.push({ where, reason: msg('head.badSignature', { device }) });
  });
  for (const [device, list] of all) {
    list.sort((a, b) => (a.restarts?.length ?? 0) - (b.restarts?.length ?? 0));
    const newest = list[list.length - 1]!;
    heads.set(device, list.length > 1 ? { ...newest, earlier: list.slice(0, -1) } : newest);
  }
  return { heads, problems };
}

/** A well-formed list of `count` restarts, each before the head's own position. */
function restartsBelow(value: unknown, seq: number, count: number): boolean {
  const restarts = parseRestarts(value);
  return !!restarts && restarts.length === count && restarts.every(([at]) => at < seq);
}
