import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Member, MemberState, Role } from '../../../shared/trust/members';
import {
  writtenBySetting,
  parseVersionKey,
  versionKey,
  copyKey,
  isEnvelope,
  judgeSetting,
  nextSettingTime,
  mayWriteSetting,
  parseCopyKey,
  settingMessage,
  settingValue,
  signSetting,
  verifySetting,
  writersChanged,
  writerStandings,
  SETTING_MAPS,
  type SettingMap,
  type SignedSetting,
} from '../../../shared/trust/settings';
import { fcOptions } from '../arbitraries';
import { member, stateOf, T0, testDevices, type TestDevice } from './fixtures';
import { msg, word } from '../../../shared/messages';

/**
 * Signed settings: a value counts only with a valid signature of a device that had the right to write it.
 */
const NET = 'net0sett';
let admin: TestDevice;
let hub1: TestDevice;
let coordinator: TestDevice;
let waiting: TestDevice;
let stranger: TestDevice;
beforeAll(async () => {
  [admin, hub1, coordinator, waiting, stranger] = await testDevices(11, 12, 13, 14, 15);
});

const as = (d: TestDevice, role: Role, hub: string | null, revoked?: Member['revoked']): Member => ({
  ...member(d.id, role, hub, revoked),
  key: d.key,
});

function members(revokedHub1?: Member['revoked']): MemberState {
  const state = stateOf(NET, [
    as(admin, 'admin', 'hub0'),
    as(hub1, 'hub', 'hub1', revokedHub1),
    as(coordinator, 'coordinator', null),
  ]);
  state.keys.set(waiting.id, waiting.key);
  return state;
}

const signedBy = (d: TestDevice, map: SettingMap, key: string, value: unknown, at = T0) =>
  signSetting(NET, map, key, value, d.id, at, d.keys.privateKey);

describe('who may write which setting', () => {
  const cases: [Role, string | null, SettingMap, string, boolean][] = [
    ['admin', 'hub1', 'network', 'name', true],
    ['admin', null, 'hubs', 'hub7', true],
    ['admin', null, 'devices', 'other', true],
    ['hub', 'hub1', 'items', 'item1', true],
    ['coordinator', null, 'items', 'item1', true],
    ['hub', 'hub1', 'hubs', 'hub1', true],
    ['hub', 'hub1', 'hubs', 'hub2', false],
    ['coordinator', null, 'hubs', 'hub2', false],
    ['hub', 'hub1', 'levels', 'hub1|item1', true],
    ['hub', 'hub1', 'levels', 'hub2|item1', false],
    ['hub', 'hub1', 'categoryLevels', 'hub1|food', true],
    ['hub', 'hub1', 'categoryLevels', 'hub2|food', false],
    ['coordinator', null, 'levels', 'hub2|item1', true],
    ['coordinator', null, 'categoryLevels', 'hub2|food', true],
    ['hub', 'hub1', 'devices', 'me', true],
    ['hub', 'hub1', 'devices', 'other', false],
    ['coordinator', null, 'devices', 'other', false],
    ['hub', 'hub1', 'network', 'name', false],
    ['coordinator', null, 'network', 'name', false],
  ];
  it.each(cases)('a %s device of %s writing %s/%s: %s', (role, hub, map, key, allowed) => {
    expect(mayWriteSetting(member('me', role, hub), map, key)).toBe(allowed);
  });
});

describe('envelopes', () => {
  it('the signed text names the network, the map, the key, the time, the writer and the value', () => {
    expect(settingMessage('netx', 'hubs', 'hub1', { v: { name: 'A' }, by: 'dev1', at: 5 })).toBe(
      'larder setting v1|netx|hubs|hub1|5|dev1|{"name":"A"}',
    );
  });

  it('a cleared setting is a signed tombstone; reading it gives nothing, reading a plain value gives it', async () => {
    const tombstone = await signedBy(admin, 'items', 'item1', undefined);
    expect(tombstone).toMatchObject({ v: null, by: admin.id, at: T0 });
    expect(isEnvelope(tombstone)).toBe(true);
    expect(settingValue(tombstone)).toBeUndefined();
    expect(settingValue(await signedBy(admin, 'items', 'item1', { name: 'Rice' }))).toEqual({ name: 'Rice' });
    expect(settingValue({ name: 'Rice' })).toEqual({ name: 'Rice' });
    expect(settingValue(0)).toBe(0);
  });

  it('an envelope has a device id, a whole time from 0 and a signature of 86 characters', async () => {
    const good = await signedBy(admin, 'items', 'item1', 1);
    expect(isEnvelope({ ...good, at: 0 })).toBe(true);
    for (const bad of [
      { ...good, by: 'ABC' },
      { ...good, by: 'abc' },
      { ...good, by: 'a'.repeat(17) },
      { ...good, at: -1 },
      { ...good, at: 1.5 },
      { ...good, s: good.s.slice(1) },
      { ...good, s: `${good.s}A` },
      { ...good, s: `${good.s.slice(1)}+` },
      null,
      'text',
    ])
      expect(isEnvelope(bad)).toBe(false);
  });
});

describe('verifying a setting', () => {
  it('counts a value its writer signed and had the right to write', async () => {
    const raw = await signedBy(hub1, 'hubs', 'hub1', { name: 'North' });
    expect(await verifySetting(NET, 'hubs', 'hub1', raw, members())).toEqual({
      ok: true,
      value: { name: 'North' },
    });
    const item = await signedBy(coordinator, 'items', 'rice', { name: 'Rice' });
    expect(await verifySetting(NET, 'items', 'rice', item, members())).toEqual({
      ok: true,
      value: { name: 'Rice' },
    });
  });

  it('a setting never written is absent; a tombstone clears it', async () => {
    expect(await verifySetting(NET, 'items', 'rice', undefined, members())).toEqual({
      ok: true,
      value: undefined,
    });
    const tombstone = await signedBy(admin, 'items', 'rice', undefined);
    expect(await verifySetting(NET, 'items', 'rice', tombstone, members())).toEqual({
      ok: true,
      value: undefined,
    });
    // A tombstone whose `v` reads as undefined is the same tombstone.
    expect(await verifySetting(NET, 'items', 'rice', { ...tombstone, v: undefined }, members())).toEqual({
      ok: true,
      value: undefined,
    });
  });

  it('an unsigned value does not count', async () => {
    expect(await verifySetting(NET, 'items', 'rice', { name: 'Rice' }, members())).toEqual({
      ok: false,
      reason: msg('setting.unsigned', { setting: word('setting.items'), key: 'rice' }),
    });
  });

  it('a value signed by a device nobody knows does not count', async () => {
    const raw = await signedBy(stranger, 'items', 'rice', 1);
    expect(await verifySetting(NET, 'items', 'rice', raw, members())).toEqual({
      ok: false,
      reason: msg('setting.unknownSigner', { setting: word('setting.items'), key: 'rice' }),
    });
  });

  it('a device waiting for approval: its settings are held, not a problem, and count once it is approved', async () => {
    const raw = await signedBy(waiting, 'items', 'rice', { name: 'Rice' });
    expect(await verifySetting(NET, 'items', 'rice', raw, members())).toEqual({
      ok: false,
      held: true,
      reason: msg('setting.notApproved', { setting: word('setting.items'), key: 'rice' }),
    });
    const approved = members();
    approved.members.set(waiting.id, as(waiting, 'hub', 'hub1'));
    expect(await verifySetting(NET, 'items', 'rice', raw, approved)).toEqual({
      ok: true,
      value: { name: 'Rice' },
    });
  });

  it('any change to the value, time, writer, key, map or network breaks the signature', async () => {
    const raw = await signedBy(hub1, 'hubs', 'hub1', { name: 'North' });
    const bad = (map: SettingMap, key: string) => ({
      ok: false,
      reason: msg('setting.badSignature', { setting: word(`setting.${map}`), key }),
    });
    expect(await verifySetting(NET, 'hubs', 'hub1', { ...raw, v: { name: 'South' } }, members())).toEqual(
      bad('hubs', 'hub1'),
    );
    expect(await verifySetting(NET, 'hubs', 'hub1', { ...raw, at: raw.at + 1 }, members())).toEqual(
      bad('hubs', 'hub1'),
    );
    expect(await verifySetting(NET, 'hubs', 'hub1', { ...raw, by: admin.id }, members())).toEqual(
      bad('hubs', 'hub1'),
    );
    expect(await verifySetting(NET, 'hubs', 'hub2', raw, members())).toEqual(bad('hubs', 'hub2'));
    expect(await verifySetting(NET, 'levels', 'hub1', raw, members())).toEqual(bad('levels', 'hub1'));
    expect(await verifySetting('othernet', 'hubs', 'hub1', raw, members())).toEqual(bad('hubs', 'hub1'));
    // The genuine one still counts afterwards: a verdict is remembered for its exact text only.
    expect(await verifySetting(NET, 'hubs', 'hub1', raw, members())).toEqual({
      ok: true,
      value: { name: 'North' },
    });
  });

  it('any flipped byte of the signature is detected', async () => {
    const raw = await signedBy(hub1, 'items', 'rice', { name: 'Rice' });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 85 }), fc.integer({ min: 1, max: 63 }), async (at, shift) => {
        const c = alphabet[(alphabet.indexOf(raw.s[at]!) + shift) % 64]!;
        const s = raw.s.slice(0, at) + c + raw.s.slice(at + 1);
        // The last character carries only 4 bits of the signature: a change there may decode the same.
        fc.pre(at < 85 || (alphabet.indexOf(c) & 0x30) !== (alphabet.indexOf(raw.s[85]!) & 0x30));
        const verdict = await verifySetting(NET, 'items', 'rice', { ...raw, s }, members());
        expect(verdict.ok).toBe(false);
      }),
      fcOptions(0.3),
    );
  });

  it('a device without the right: its value is set aside, whatever it signed', async () => {
    const raw = await signedBy(hub1, 'hubs', 'hub2', { name: 'Taken over' });
    expect(await verifySetting(NET, 'hubs', 'hub2', raw, members())).toEqual({
      ok: false,
      reason: msg('setting.notAllowed', { setting: word('setting.hubs'), key: 'hub2', device: hub1.id }),
    });
  });

  it('a revoked device’s settings count only when signed up to its revocation', async () => {
    const revoked = members({ cut: 3, hash: null, by: admin.id, at: T0 + 10 });
    const before = await signedBy(hub1, 'hubs', 'hub1', { name: 'North' }, T0 + 10);
    const after = await signedBy(hub1, 'hubs', 'hub1', { name: 'North' }, T0 + 11);
    expect(await verifySetting(NET, 'hubs', 'hub1', before, revoked)).toEqual({
      ok: true,
      value: { name: 'North' },
    });
    expect(await verifySetting(NET, 'hubs', 'hub1', after, revoked)).toEqual({
      ok: false,
      reason: msg('setting.revoked', { setting: word('setting.hubs'), key: 'hub1' }),
    });
  });

  it('a device names itself, but never moves itself to another hub; an admin can', async () => {
    const rename = await signedBy(hub1, 'devices', hub1.id, { name: 'Laptop', hub: 'hub1' });
    expect(await verifySetting(NET, 'devices', hub1.id, rename, members())).toEqual({
      ok: true,
      value: { name: 'Laptop', hub: 'hub1' },
    });
    for (const value of [{ name: 'Laptop', hub: 'hub2' }, { name: 'Laptop' }, 'Laptop']) {
      const move = await signedBy(hub1, 'devices', hub1.id, value);
      expect(await verifySetting(NET, 'devices', hub1.id, move, members())).toEqual({
        ok: false,
        reason: msg('setting.ownHub', { device: hub1.id }),
      });
    }
    const cleared = await signedBy(hub1, 'devices', hub1.id, undefined);
    expect(await verifySetting(NET, 'devices', hub1.id, cleared, members())).toEqual({
      ok: true,
      value: undefined,
    });
    const byAdmin = await signedBy(admin, 'devices', hub1.id, { name: 'Laptop', hub: 'hub2' });
    expect(await verifySetting(NET, 'devices', hub1.id, byAdmin, members())).toEqual({
      ok: true,
      value: { name: 'Laptop', hub: 'hub2' },
    });
    // The admin's own record names the hub it was approved with, like anyone's.
    const adminMoves = await signedBy(admin, 'devices', admin.id, { name: 'Admin', hub: 'hub5' });
    expect((await verifySetting(NET, 'devices', admin.id, adminMoves, members())).ok).toBe(false);
  });

  it('every map is one of the six, each with its own signed text', () => {
    expect(SETTING_MAPS).toEqual(['items', 'hubs', 'devices', 'levels', 'categoryLevels', 'network']);
    const env: Omit<SignedSetting, 's'> = { v: 1, by: 'dev1', at: 0 };
    expect(new Set(SETTING_MAPS.map((m) => settingMessage(NET, m, 'k', env))).size).toBe(6);
  });
});

describe('a setting replaced by a value that does not count: the writers’ own copies', () => {
  const address = { name: 'North', address: '1 Main Street' };
  const copiesOf = (...envs: SignedSetting[]) => envs.map((e) => [e.by, e as unknown] as const);

  it('a device without the right hides nothing: the newest copy that counts counts, and the attempt is a problem', async () => {
    const older = await signedBy(admin, 'hubs', 'hub1', { name: 'Old' }, T0);
    const newer = await signedBy(hub1, 'hubs', 'hub1', address, T0 + 5);
    const attack = await signedBy(coordinator, 'hubs', 'hub1', { name: 'Gone' }, T0 + 9);
    // The coordinator's own copy of what it wrote does not count either.
    const verdict = await judgeSetting(
      NET,
      'hubs',
      'hub1',
      attack,
      copiesOf(older, newer, attack),
      members(),
    );
    expect(verdict).toEqual({
      ok: true,
      value: address,
      setAside: msg('setting.notAllowed', {
        setting: word('setting.hubs'),
        key: 'hub1',
        device: coordinator.id,
      }),
    });
    // In any order of the copies.
    expect(
      await judgeSetting(NET, 'hubs', 'hub1', attack, copiesOf(attack, newer, older), members()),
    ).toEqual(verdict);
  });

  it('the newest copy by its signed time, whatever the map holds; a cleared copy clears', async () => {
    const attack = await signedBy(hub1, 'hubs', 'hub2', { name: 'Taken over' }, T0 + 1);
    const named = await signedBy(admin, 'hubs', 'hub2', { name: 'South' }, T0);
    const cleared = await signedBy(admin, 'hubs', 'hub2', undefined, T0 + 2);
    expect((await judgeSetting(NET, 'hubs', 'hub2', attack, copiesOf(named), members())).ok).toBe(true);
    expect(await judgeSetting(NET, 'hubs', 'hub2', attack, copiesOf(cleared), members())).toMatchObject({
      ok: true,
      value: undefined,
    });
    // A newer copy that does not count never displaces an older one that does.
    const newerAttack = await signedBy(hub1, 'hubs', 'hub2', { name: 'Again' }, T0 + 50);
    expect(
      await judgeSetting(NET, 'hubs', 'hub2', attack, copiesOf(named, newerAttack), members()),
    ).toMatchObject({ ok: true, value: { name: 'South' } });
  });

  it('a copy counts only in its own device’s place', async () => {
    const attack = await signedBy(hub1, 'hubs', 'hub2', { name: 'Taken over' }, T0 + 1);
    const byAdmin = await signedBy(admin, 'hubs', 'hub2', { name: 'South' }, T0);
    // The admin's genuine envelope, put in the coordinator's place: not a copy of the coordinator's.
    const misplaced = [[coordinator.id, byAdmin as unknown]] as const;
    expect(await judgeSetting(NET, 'hubs', 'hub2', attack, misplaced, members())).toEqual(
      await verifySetting(NET, 'hubs', 'hub2', attack, members()),
    );
    // A copy whose signature is not its device's does not count.
    const forged = [[admin.id, { ...byAdmin, v: { name: 'Forged' } } as unknown]] as const;
    expect((await judgeSetting(NET, 'hubs', 'hub2', attack, forged, members())).ok).toBe(false);
  });

  it('a value held for a device waiting for approval: the copy that counts shows meanwhile, and is no problem', async () => {
    const held = await signedBy(waiting, 'items', 'item1', { name: 'Renamed' }, T0 + 1);
    const current = await signedBy(hub1, 'items', 'item1', { name: 'Rice' }, T0);
    expect(await judgeSetting(NET, 'items', 'item1', held, copiesOf(current), members())).toEqual({
      ok: true,
      value: { name: 'Rice' },
    });
  });

  it('a value that counts is the value unless a copy that counts is newer: an older envelope put back in the map', async () => {
    const value = await signedBy(hub1, 'hubs', 'hub1', address, T0);
    const olderCopy = await signedBy(admin, 'hubs', 'hub1', { name: 'Older' }, T0 - 9);
    expect(await judgeSetting(NET, 'hubs', 'hub1', value, copiesOf(olderCopy), members())).toEqual({
      ok: true,
      value: address,
    });
    // The hub's newest, in its copy; the map holds what it signed before (replayed by a key holder): the
    // newest shows, and it is no problem (two writers at once look the same).
    const newest = await signedBy(hub1, 'hubs', 'hub1', { name: 'Newest' }, T0 + 9);
    expect(await judgeSetting(NET, 'hubs', 'hub1', value, copiesOf(olderCopy, newest), members())).toEqual({
      ok: true,
      value: { name: 'Newest' },
    });
    // A newer copy that does not count changes nothing.
    const notAllowed = await signedBy(coordinator, 'hubs', 'hub1', { name: 'Not allowed' }, T0 + 20);
    expect(await judgeSetting(NET, 'hubs', 'hub1', value, copiesOf(notAllowed), members())).toEqual({
      ok: true,
      value: address,
    });
    // The same envelope in the map and in its writer's copy: the map's.
    expect(await judgeSetting(NET, 'hubs', 'hub1', newest, copiesOf(newest), members())).toEqual({
      ok: true,
      value: { name: 'Newest' },
    });
    const attack = await signedBy(hub1, 'hubs', 'hub2', { name: 'Taken over' });
    expect(await judgeSetting(NET, 'hubs', 'hub2', attack, [], members())).toEqual(
      await verifySetting(NET, 'hubs', 'hub2', attack, members()),
    );
  });

  it('a map whose value is hidden (no value) takes the newest copy that counts, and shows no problem', async () => {
    const named = await signedBy(admin, 'hubs', 'hub2', { name: 'South' }, T0);
    expect(await judgeSetting(NET, 'hubs', 'hub2', undefined, copiesOf(named), members())).toEqual({
      ok: true,
      value: { name: 'South' },
    });
    expect(await judgeSetting(NET, 'hubs', 'hub2', undefined, [], members())).toEqual({
      ok: true,
      value: undefined,
    });
  });

  it('nextSettingTime: now, or just past the newest envelope held', () => {
    const env = (at: number) => ({ v: 1, by: 'dev1', at, s: 'x'.repeat(86) });
    expect(nextSettingTime(100, [])).toBe(100);
    expect(nextSettingTime(100, [env(99), undefined, 'junk', { at: 500 }])).toBe(100);
    expect(nextSettingTime(100, [env(100)])).toBe(101);
    expect(nextSettingTime(100, [env(40), env(250), env(120)])).toBe(251);
  });

  it('of two copies that count signed in the same second, the larger device id’s, whatever their order', async () => {
    const attack = await signedBy(coordinator, 'hubs', 'hub1', { name: 'Gone' }, T0 + 9);
    const fromAdmin = await signedBy(admin, 'hubs', 'hub1', { name: 'By the admin' }, T0 + 3);
    const fromHub = await signedBy(hub1, 'hubs', 'hub1', { name: 'By the hub' }, T0 + 3);
    const winner = admin.id > hub1.id ? fromAdmin : fromHub;
    for (const copies of [copiesOf(fromAdmin, fromHub), copiesOf(fromHub, fromAdmin)])
      expect(await judgeSetting(NET, 'hubs', 'hub1', attack, copies, members())).toMatchObject({
        ok: true,
        value: winner.v,
      });
    // A copy signed a second later wins over both, in any place among them.
    const later = await signedBy(
      admin.id > hub1.id ? hub1 : admin,
      'hubs',
      'hub1',
      { name: 'Latest' },
      T0 + 4,
    );
    for (const copies of [copiesOf(winner, later), copiesOf(later, winner)])
      expect(await judgeSetting(NET, 'hubs', 'hub1', attack, copies, members())).toMatchObject({
        value: { name: 'Latest' },
      });
  });

  it('copy and version keys name the map, the device (and time) and the setting, and nothing else parses', () => {
    expect(parseCopyKey(copyKey('levels', 'dev1', 'hub1|item1'))).toEqual({
      map: 'levels',
      device: 'dev1',
      key: 'hub1|item1',
    });
    expect(parseCopyKey(copyKey('items', 'dev1', 'a/b'))).toEqual({
      map: 'items',
      device: 'dev1',
      key: 'a/b',
    });
    for (const bad of ['items/dev1', 'ledgers/dev1/x', 'items/DEV1/x', 'items/d1/x', 'items//x', ''])
      expect(parseCopyKey(bad)).toBeNull();
    // A key with anything before its map is no copy: read as that device's copy, an old envelope of its
    // own replayed there could take the place of its newest.
    for (const bad of ['1/hubs/dev1/hub1', ' hubs/dev1/hub1', 'x/y/hubs/dev1/hub1'])
      expect(parseCopyKey(bad)).toBeNull();
    expect(parseVersionKey(versionKey('levels', 'dev1', 1234, 'hub1|a/b'))).toEqual({
      map: 'levels',
      device: 'dev1',
      at: 1234,
      key: 'hub1|a/b',
    });
    for (const bad of [
      'levels/dev1/01/x',
      'levels/dev1/-1/x',
      'levels/dev1/1.5/x',
      'levels/dev1/12',
      'x/levels/dev1/1/k',
    ])
      expect(parseVersionKey(bad)).toBeNull();
    expect(parseVersionKey(`items/dev1/${2 ** 53}/x`)).toBeNull();
    const grouped = writtenBySetting(
      [
        [versionKey('hubs', 'dev1', 9, 'hub1'), 0],
        ['junk', 6],
      ],
      [
        [copyKey('hubs', 'dev1', 'hub1'), 1],
        [copyKey('hubs', 'dev2', 'hub1'), 2],
        [copyKey('items', 'dev1', 'hub1'), 3],
        ['junk', 4],
        [`1/${copyKey('hubs', 'dev1', 'hub1')}`, 5],
      ],
    );
    expect([...grouped.keys()]).toEqual(['hubs/hub1', 'items/hub1']);
    expect(grouped.get('hubs/hub1')).toEqual([
      ['dev1', 0],
      ['dev1', 1],
      ['dev2', 2],
    ]);
  });
});

describe('writers whose standing changed (what persistence judges again when the member list changes)', () => {
  const standingArb = fc.record({
    present: fc.constantFrom('member', 'key', 'none'),
    role: fc.constantFrom<Role>('admin', 'coordinator', 'hub'),
    hub: fc.constantFrom(null, 'hub0', 'hub1'),
    revokedAt: fc.option(fc.constantFrom(T0 - 1, T0 + 1), { nil: undefined }),
    ownKey: fc.boolean(),
  });
  type Standing = typeof standingArb extends fc.Arbitrary<infer T> ? T : never;
  const everyone = () => [admin, hub1, coordinator, waiting, stranger];
  const listOf = (standings: readonly Standing[]): MemberState => {
    const state = stateOf(NET, []);
    everyone().forEach((d, i) => {
      const s = standings[i]!;
      // A key not its own: its signatures fail.
      const key = s.ownKey ? d.key : stranger.key === d.key ? admin.key : stranger.key;
      const revoked =
        s.revokedAt === undefined ? undefined : { cut: 0, hash: null, by: admin.id, at: s.revokedAt };
      if (s.present === 'member') state.members.set(d.id, { ...as(d, s.role, s.hub, revoked), key });
      else if (s.present === 'key') state.keys.set(d.id, key);
    });
    return state;
  };

  it('a setting is judged otherwise under a new member list only when one of the devices named wrote it', async () => {
    // Each device's levels for two hubs and its own device record, signed at T0.
    const written = await Promise.all(
      everyone().flatMap((d) => [
        signedBy(d, 'levels', 'hub0|item1', { min: 1, target: 4 }).then(
          (env) => ['levels', 'hub0|item1', env] as const,
        ),
        signedBy(d, 'levels', 'hub1|item1', { min: 1, target: 4 }).then(
          (env) => ['levels', 'hub1|item1', env] as const,
        ),
        signedBy(d, 'devices', d.id, { name: d.id, hub: 'hub1', createdAt: T0 }).then(
          (env) => ['devices', d.id, env] as const,
        ),
      ]),
    );
    // The list after: each device's standing as before, or with one of its parts drawn again.
    const change = fc.constantFrom('none', 'present', 'role', 'hub', 'revokedAt', 'ownKey' as const);
    const pairs = fc
      .tuple(fc.array(fc.tuple(standingArb, standingArb, change), { minLength: 5, maxLength: 5 }))
      .map(([rows]) => ({
        was: rows.map(([was]) => was),
        is: rows.map(([was, other, part]) => (part === 'none' ? was : { ...was, [part]: other[part] })),
      }));
    await fc.assert(
      fc.asyncProperty(pairs, async ({ was, is }) => {
        const before = listOf(was);
        const after = listOf(is);
        expect(writersChanged(writerStandings(before), before).size).toBe(0);
        const named = writersChanged(writerStandings(before), after);
        for (const [map, key, env] of written) {
          const then = await verifySetting(NET, map, key, env, before);
          const now = await verifySetting(NET, map, key, env, after);
          if (!named.has(env.by)) expect(now, `${map}/${key} by ${env.by}`).toEqual(then);
        }
      }),
      fcOptions(0.5),
    );
  });
});
