import { z } from 'zod';
import { sign, verify } from './crypto';
import type { CryptoKey } from '../sync/keys';
import type { Member, MemberState } from './members';
import { msg, word, type DomainMessage } from '../messages';

/**
 * Settings (catalog, hubs, levels, device names, the network's own record) on a signed network: each
 * value in the doc is an envelope the writing device signed, and a value counts only if that device had
 * the right to write it:
 *
 *   items                          any approved device
 *   hubs[hub]                      that hub's devices, or an admin
 *   levels / categoryLevels[hub|…] that hub's devices, a coordinator or an admin
 *   devices[device]                that device itself, or an admin
 *   network[…]                     an admin
 *
 * Clearing a setting writes a signed tombstone (`v: null`); the doc never deletes a signed value. A
 * revoked device's settings count only when signed before its revocation.
 *
 * Each map resolves concurrent writes last-writer-wins, so a key holder without the right (a member, or
 * a device asking to join) could replace a value with one it signed itself: that value never counts, but
 * it took the place of the one that did. So every signed write also goes into the writer's own copy of
 * the setting (`settingCopies`, keyed `map/device/key`), which only that device's key may replace; when
 * the value in the map does not count, the newest copy that does counts instead (`judgeSetting`).
 */
export const SETTING_MAPS = ['items', 'hubs', 'devices', 'levels', 'categoryLevels', 'network'] as const;
export type SettingMap = (typeof SETTING_MAPS)[number];

export interface SignedSetting {
  v: unknown;
  by: string;
  at: number;
  s: string;
}

const envelopeSchema = z.object({
  v: z.unknown(),
  by: z.string().regex(/^[0-9a-z]{4,16}$/),
  at: z.number().int().min(0),
  s: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});

export function isEnvelope(raw: unknown): raw is SignedSetting {
  return envelopeSchema.safeParse(raw).success;
}

/** The value a setting holds as written (unverified): what the store reads to fill in its forms. */
export function settingValue(raw: unknown): unknown {
  if (isEnvelope(raw)) return raw.v === null ? undefined : raw.v;
  return raw;
}

/** The exact text a device signs for a setting. */
export function settingMessage(
  network: string,
  map: SettingMap,
  key: string,
  env: Omit<SignedSetting, 's'>,
): string {
  return `larder setting v1|${network}|${map}|${key}|${env.at}|${env.by}|${JSON.stringify(env.v)}`;
}

export async function signSetting(
  network: string,
  map: SettingMap,
  key: string,
  value: unknown,
  by: string,
  at: number,
  privateKey: CryptoKey,
): Promise<SignedSetting> {
  const env = { v: value ?? null, by, at };
  return { ...env, s: await sign(privateKey, settingMessage(network, map, key, env)) };
}

/** Whether a member may write this setting (see the table at the top). */
export function mayWriteSetting(member: Member, map: SettingMap, key: string): boolean {
  if (member.role === 'admin') return true;
  switch (map) {
    case 'items':
      return true;
    case 'hubs':
      return member.hub === key;
    case 'levels':
    case 'categoryLevels':
      return member.role === 'coordinator' || key.split('|')[0] === member.hub;
    case 'devices':
      return member.device === key;
    case 'network':
      return false;
  }
}

/** The map of every writer's own copy of the settings it wrote. */
export const SETTING_COPIES = 'settingCopies';

/** Where a device's copy of a setting lives in `settingCopies`. */
export const copyKey = (map: SettingMap, device: string, key: string) => `${map}/${device}/${key}`;

/** The parts of a `settingCopies` key, or null for a key no honest device writes. */
export function parseCopyKey(copy: string): { map: SettingMap; device: string; key: string } | null {
  const m = /^([A-Za-z]+)\/([0-9a-z]{4,16})\/(.+)$/s.exec(copy);
  if (!m || !(SETTING_MAPS as readonly string[]).includes(m[1]!)) return null;
  return { map: m[1] as SettingMap, device: m[2]!, key: m[3]! };
}

export type SettingVerdict =
  /**
   * `setAside`: the map's value did not count (why), and this is the newest of its writers' own copies
   * that does; shown under Problems.
   */
  | { ok: true; value: unknown; setAside?: DomainMessage }
  /** `held`: its writer is waiting for approval; it counts once approved, and is not a problem. */
  | { ok: false; reason: DomainMessage; held?: true };

const verified = new Map<string, boolean>();

/** The value a setting counts as, or why it does not count. `undefined` value: cleared or absent. */
export async function verifySetting(
  network: string,
  map: SettingMap,
  key: string,
  raw: unknown,
  members: MemberState,
): Promise<SettingVerdict> {
  if (raw === undefined) return { ok: true, value: undefined };
  const about = { setting: word(`setting.${map}`), key };
  const env = envelopeSchema.safeParse(raw);
  if (!env.success) return { ok: false, reason: msg('setting.unsigned', about) };
  const { by, at, s } = env.data;
  const v = env.data.v ?? null;
  const member = members.members.get(by);
  const publicKey = member?.key ?? members.keys.get(by);
  if (!publicKey) return { ok: false, reason: msg('setting.unknownSigner', about) };
  const text = settingMessage(network, map, key, { v, by, at });
  const cacheKey = `${publicKey}|${s}|${text}`;
  let ok = verified.get(cacheKey);
  if (ok === undefined) {
    ok = await verify(publicKey, text, s);
    if (verified.size > 50_000) verified.clear();
    verified.set(cacheKey, ok);
  }
  if (!ok) return { ok: false, reason: msg('setting.badSignature', about) };
  if (!member) return { ok: false, held: true, reason: msg('setting.notApproved', about) };
  if (member.revoked && at > member.revoked.at) return { ok: false, reason: msg('setting.revoked', about) };
  if (!mayWriteSetting(member, map, key))
    return { ok: false, reason: msg('setting.notAllowed', { ...about, device: by }) };
  // A device's hub is the one its approval names: its own record cannot move it elsewhere.
  if (map === 'devices' && v !== null && key === by) {
    const approved = members.members.get(key);
    const hub = (v as { hub?: unknown }).hub;
    if (approved && hub !== approved.hub)
      return { ok: false, reason: msg('setting.ownHub', { device: key }) };
  }
  return { ok: true, value: v === null ? undefined : v };
}

/**
 * The value a setting counts as: the map's value when it counts; otherwise the newest of the writers' own
 * copies that counts (by the time its writer signed; of two at once, the larger device id), with why the
 * map's value did not. `copies`: the copies of this setting, by the device whose copy each is.
 */
export async function judgeSetting(
  network: string,
  map: SettingMap,
  key: string,
  raw: unknown,
  copies: ReadonlyMap<string, unknown>,
  members: MemberState,
): Promise<SettingVerdict> {
  const verdict = await verifySetting(network, map, key, raw, members);
  if (verdict.ok || copies.size === 0) return verdict;
  let best: { env: SignedSetting; value: unknown } | null = null;
  for (const [device, copy] of copies) {
    // A copy counts only as its own device's: no other key may fill its place.
    if (!isEnvelope(copy) || copy.by !== device) continue;
    if (best && (copy.at < best.env.at || (copy.at === best.env.at && copy.by < best.env.by))) continue;
    const v = await verifySetting(network, map, key, copy, members);
    if (v.ok) best = { env: copy, value: v.value };
  }
  if (!best) return verdict;
  return verdict.held
    ? { ok: true, value: best.value }
    : { ok: true, value: best.value, setAside: verdict.reason };
}

/** Every copy in a `settingCopies` map, by setting (`map/key`) and then by the device whose copy it is. */
export function copiesBySetting(copies: Iterable<[string, unknown]>): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const [k, raw] of copies) {
    const parsed = parseCopyKey(k);
    if (!parsed) continue;
    const at = `${parsed.map}/${parsed.key}`;
    let byDevice = out.get(at);
    if (!byDevice) out.set(at, (byDevice = new Map()));
    byDevice.set(parsed.device, raw);
  }
  return out;
}
