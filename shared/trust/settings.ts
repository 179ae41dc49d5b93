import { z } from 'zod';
import { lazySchema } from '../lazy';
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
 * it took the place of the one that did. It could also put back an older envelope a writer signed (its
 * signature is still valid), or place an item after a value that leaves the key empty. So every signed
 * write also goes into a version of its own, `settingVersions` keyed `map/device/at/key`, which holds
 * that one envelope and nothing else: a key holder can add a version its writer signed, never change or
 * hide one, and a writer removes its own older versions only once a newer one is in (ingest checks all
 * this). What counts is the newest, by the time its writer signed it, of the map's value and the
 * versions that count (`judgeSetting`), so neither a value put back nor a value hidden changes anything.
 *
 * `settingCopies` (keyed `map/device/key`, one per writer) is what Larder wrote before versions: still
 * read, no longer written.
 */
export const SETTING_MAPS = ['items', 'hubs', 'devices', 'levels', 'categoryLevels', 'network'] as const;
export type SettingMap = (typeof SETTING_MAPS)[number];

export interface SignedSetting {
  v: unknown;
  by: string;
  at: number;
  s: string;
}

const envelopeSchema = lazySchema(() =>
  z.object({
    v: z.unknown(),
    by: z.string().regex(/^[0-9a-z]{4,16}$/),
    at: z.number().int().min(0),
    s: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
  }),
);

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

/** The map of every writer's versions of the settings it wrote (see the top). */
export const SETTING_VERSIONS = 'settingVersions';

/** Where a device's version of a setting, signed at `at`, lives in `settingVersions`. */
export const versionKey = (map: SettingMap, device: string, at: number, key: string) =>
  `${map}/${device}/${at}/${key}`;

/** The parts of a `settingVersions` key, or null for a key no honest device writes. */
export function parseVersionKey(
  version: string,
): { map: SettingMap; device: string; at: number; key: string } | null {
  // Stryker disable next-line Regex: `.+` with the s flag runs to the end anyway
  const m = /^([A-Za-z]+)\/([0-9a-z]{4,16})\/(0|[1-9][0-9]{0,15})\/(.+)$/s.exec(version);
  if (!m || !(SETTING_MAPS as readonly string[]).includes(m[1]!)) return null;
  const at = Number(m[3]);
  if (!Number.isSafeInteger(at)) return null;
  return { map: m[1] as SettingMap, device: m[2]!, at, key: m[4]! };
}

/**
 * What each writer wrote of each setting, besides the map's value: every version and old-style copy, by
 * setting (`map/key`), as [the device whose place it is in, the value there] (for `judgeSetting`).
 */
export function writtenBySetting(
  versions: Iterable<[string, unknown]>,
  copies: Iterable<[string, unknown]>,
): Map<string, [device: string, raw: unknown][]> {
  const out = new Map<string, [string, unknown][]>();
  const add = (map: SettingMap, key: string, device: string, raw: unknown) => {
    const at = `${map}/${key}`;
    const list = out.get(at);
    if (list) list.push([device, raw]);
    else out.set(at, [[device, raw]]);
  };
  for (const [k, raw] of versions) {
    const parsed = parseVersionKey(k);
    if (parsed) add(parsed.map, parsed.key, parsed.device, raw);
  }
  for (const [k, raw] of copies) {
    const parsed = parseCopyKey(k);
    if (parsed) add(parsed.map, parsed.key, parsed.device, raw);
  }
  return out;
}

export type SettingVerdict =
  /**
   * `setAside`: the map's value did not count (why), and this is the newest of its writers' versions
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
 * What `verifySetting` reads of a member (its key, role and hub, and when it was revoked), as text: two
 * member lists that give a device the same standing judge every setting it wrote alike. Kept beside
 * `verifySetting`: what one reads, the other names.
 */
export const memberStanding = (key: string, role: string, hub: string | null, revokedAt?: number) =>
  `m|${key}|${role}|${hub ?? ''}|${revokedAt ?? ''}`;

/** The standing of a device that is not a member, known by its key alone (a request to join, say). */
export const keyStanding = (key: string) => `k|${key}`;

/** A device's standing as a writer of settings in `members` (`memberStanding`; a key alone for a non-member). */
export function writerStanding(members: MemberState, device: string): string {
  const member = members.members.get(device);
  if (member) return memberStanding(member.key, member.role, member.hub, member.revoked?.at);
  const key = members.keys.get(device);
  return key === undefined ? '' : keyStanding(key);
}

/**
 * The devices whose standing as writers differs between a member list before (each device's standing, as
 * `writerStanding` gave it) and `after`: only settings one of them wrote may be judged otherwise now.
 */
export function writersChanged(before: ReadonlyMap<string, string>, after: MemberState): Set<string> {
  const changed = new Set<string>();
  const devices = new Set([...before.keys(), ...after.members.keys(), ...after.keys.keys()]);
  for (const device of devices)
    if ((before.get(device) ?? '') !== writerStanding(after, device)) changed.add(device);
  return changed;
}

/** Every device's standing as a writer in `members` (`writerStanding`). */
export function writerStandings(members: MemberState): Map<string, string> {
  const out = new Map<string, string>();
  for (const device of new Set([...members.members.keys(), ...members.keys.keys()]))
    out.set(device, writerStanding(members, device));
  return out;
}

/** Whether envelope `a` was signed after `b`: by its writer's time, and of two at once, the larger device id. */
// Stryker disable next-line EqualityOperator: one writer signs one value of a setting at a time
const later = (a: SignedSetting, b: SignedSetting) => a.at > b.at || (a.at === b.at && a.by > b.by);

/**
 * The value a setting counts as: the newest, by the time its writer signed it (of two at once, the larger
 * device id), of the map's value and the writers' versions (and old-style copies), among those that
 * count. Writers sign a time past every value they hold (`nextSettingTime`), so a later change is newer
 * wherever clocks stand. Newest rather than the map's value: a key holder can put back in the map an
 * older envelope a writer signed, or hide the map's value; the versions still hold the writer's newest.
 *
 * When the map's value does not count (`setAside`: why), a problem is shown; a value held for a device
 * waiting for approval is none. `written`: what each writer wrote of this setting, as [the device whose
 * place it is in, the value there] (`writtenBySetting`).
 */
export async function judgeSetting(
  network: string,
  map: SettingMap,
  key: string,
  raw: unknown,
  written: Iterable<readonly [device: string, raw: unknown]>,
  members: MemberState,
): Promise<SettingVerdict> {
  const verdict = await verifySetting(network, map, key, raw, members);
  // The versions newer than the map's value when it counts (all of them otherwise), newest first.
  const floor = verdict.ok && isEnvelope(raw) ? raw : null;
  // Stryker disable next-line ArrayDeclaration: anything not an envelope there does not count
  const newer: SignedSetting[] = [];
  for (const [device, copy] of written)
    // A version or copy counts only as its own device's: no other key may fill its place.
    if (isEnvelope(copy) && copy.by === device && (!floor || later(copy, floor))) newer.push(copy);
  newer.sort((a, b) => (later(a, b) ? -1 : 1));
  for (const copy of newer) {
    const v = await verifySetting(network, map, key, copy, members);
    if (!v.ok) continue;
    return verdict.ok || verdict.held
      ? { ok: true, value: v.value }
      : { ok: true, value: v.value, setAside: verdict.reason };
  }
  return verdict;
}

/**
 * The time a device signs a change of a setting with: now, or just past the newest value of it that the
 * device holds (the map's, and every writer's versions) when its clock is behind, so that the change is
 * the newest wherever it goes (`judgeSetting`).
 */
export function nextSettingTime(now: number, held: Iterable<unknown>): number {
  let at = now;
  for (const raw of held) if (isEnvelope(raw) && raw.at >= at) at = raw.at + 1;
  return at;
}
