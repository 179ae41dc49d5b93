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

export type SettingVerdict =
  | { ok: true; value: unknown }
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
