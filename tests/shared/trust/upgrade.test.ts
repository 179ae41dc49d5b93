import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idOf, type Entry } from '../../../shared/entries';
import { chainStart, extendChain, entryLine, headHash } from '../../../shared/trust/chain';
import { Gate } from '../../../shared/trust/gate';
import { evaluateMembers, networkIdOf, type MemberState } from '../../../shared/trust/members';
import { carryOver, firstGenesis, legacyCuts } from '../../../shared/trust/upgrade';
import { fcOptions } from '../arbitraries';
import { genesis, request, signed, T0, testDevices } from './fixtures';

/**
 * Moving a network made before signing to signed entries (shared/trust/upgrade.ts): where each old device
 * is frozen, how a device records again what it saved after its cut, and which genesis a device follows.
 */
const NET = 'oldnet01';

const donation = (device: string, seq: number, options: { hub?: string; qty?: number } = {}): Entry => ({
  kind: 'donation',
  hub: options.hub ?? 'hub1',
  device,
  seq,
  item: 'rice',
  at: T0 + seq * 1000,
  recordedAt: T0 + seq * 1000,
  qty: options.qty ?? seq,
  source: 'individual',
});

const hashOver = (device: string, entries: readonly Entry[]) =>
  headHash(extendChain(chainStart(NET, device), entries.map(entryLine)));

describe('legacyCuts: where the upgrade freezes each device from before signing', () => {
  it('every device, in id order, up to its last entry, with the chain hash over them', () => {
    const a = [1, 2, 3].map((s) => donation('deva0001', s));
    const b = [1, 2].map((s) => donation('devb0001', s));
    expect(legacyCuts(NET, [...b, ...a])).toEqual([
      { device: 'deva0001', seq: 3, hash: hashOver('deva0001', a) },
      { device: 'devb0001', seq: 2, hash: hashOver('devb0001', b) },
    ]);
  });

  it('stops before a gap, and takes the first of two entries at one position', () => {
    const first = donation('deva0001', 2, { qty: 7 });
    const copy = donation('deva0001', 2, { qty: 700 });
    const entries = [donation('deva0001', 1), first, copy, donation('deva0001', 4)];
    const [cut] = legacyCuts(NET, entries);
    expect(cut).toEqual({
      device: 'deva0001',
      seq: 2,
      hash: hashOver('deva0001', [entries[0]!, first]),
    });
  });

  it('a device whose first entry is missing is frozen at nothing', () => {
    expect(legacyCuts(NET, [donation('deva0001', 2)])).toEqual([{ device: 'deva0001', seq: 0, hash: null }]);
    expect(legacyCuts(NET, [])).toEqual([]);
  });

  it('the gate, given the cut as an admin signed it, counts exactly the entries up to it, for any hub', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 150 }), fc.integer({ min: 0, max: 20 }), (before, after) => {
        const entries = Array.from({ length: before + after }, (_, i) =>
          donation('deva0001', i + 1, { hub: i % 2 ? 'hub1' : 'hub2' }),
        );
        const [cut] = legacyCuts(NET, entries.slice(0, before));
        const members: MemberState = {
          network: NET,
          members: new Map([
            [
              'deva0001',
              {
                device: 'deva0001',
                key: '',
                name: 'Old laptop',
                hub: 'hub1',
                role: 'hub',
                approvedBy: 'admin001',
                approvedAt: T0,
                revoked: { cut: cut!.seq, hash: cut!.hash, by: 'admin001', at: T0 },
                legacy: true,
              },
            ],
          ]),
          requests: new Map(),
          keys: new Map(),
          rotation: null,
          signed: new Map(),
          problems: [],
        };
        const result = new Gate(NET).step({ entries, heads: new Map(), members, membersChanged: true });
        expect(result.release.map(idOf)).toEqual(entries.slice(0, before).map(idOf));
        expect(result.problems).toHaveLength(after);
        for (const p of result.problems) expect(p.reason.code).toBe('gate.unsignedAfterUpgrade');
      }),
      fcOptions(0.3),
    );
  });
});

describe('carryOver: what a device saved after its cut, recorded again under its new id', () => {
  it('renumbers from the new id’s next position, in the order they were recorded', () => {
    const saved = [donation('olddev01', 5, { qty: 3 }), donation('olddev01', 4, { qty: 9 })];
    const copies = carryOver(saved, 'newdev01', 3);
    expect(copies.map((e) => [e.device, e.seq, (e as { qty: number }).qty])).toEqual([
      ['newdev01', 3, 9],
      ['newdev01', 4, 3],
    ]);
    // The facts stay: hub, item, times.
    expect(copies[0]).toMatchObject({
      hub: 'hub1',
      item: 'rice',
      at: saved[1]!.at,
      recordedAt: saved[1]!.recordedAt,
    });
  });

  it('an undo of a moved entry follows it; an undo of anything else keeps its target', () => {
    const pickup: Entry = {
      kind: 'pickup',
      hub: 'hub1',
      device: 'olddev01',
      seq: 4,
      item: 'rice',
      at: T0,
      recordedAt: T0,
      qty: 2,
    };
    const undoMoved: Entry = {
      kind: 'reversal',
      hub: 'hub1',
      device: 'olddev01',
      seq: 5,
      item: 'rice',
      at: T0,
      recordedAt: T0,
      target: 'olddev01.4',
      targetKind: 'pickup',
      effect: 2,
    };
    const undoOther: Entry = {
      ...undoMoved,
      seq: 6,
      target: 'olddev01.1',
      effect: -1,
      targetKind: 'donation',
    };
    const pickup2: Entry = { ...pickup, seq: 7, qty: 3 };
    const undo2: Entry = { ...undoMoved, seq: 8, target: 'olddev01.7', effect: 3 };
    const [p, u1, u2, , u3] = carryOver([pickup, undoMoved, undoOther, pickup2, undo2], 'newdev01', 1);
    expect(idOf(p!)).toBe('newdev01.1');
    expect(u1).toMatchObject({ device: 'newdev01', seq: 2, target: 'newdev01.1' });
    expect(u2).toMatchObject({ device: 'newdev01', seq: 3, target: 'olddev01.1' });
    expect(u3).toMatchObject({ device: 'newdev01', seq: 5, target: 'newdev01.4' });
  });

  it('a transfer’s later steps follow its moved request', () => {
    const request: Entry = {
      kind: 'transfer_request',
      hub: 'hub1',
      device: 'olddev01',
      seq: 7,
      item: 'rice',
      at: T0,
      recordedAt: T0,
      qty: 5,
      to: 'hub2',
    };
    const send: Entry = {
      kind: 'transfer_out',
      hub: 'hub1',
      device: 'olddev01',
      seq: 8,
      item: 'rice',
      at: T0,
      recordedAt: T0,
      qty: 5,
      to: 'hub2',
      transfer: 'olddev01.7',
    };
    expect(carryOver([request, send], 'newdev01', 10)[1]).toMatchObject({ seq: 11, transfer: 'newdev01.10' });
  });

  it('nothing to carry gives nothing', () => {
    expect(carryOver([], 'newdev01', 1)).toEqual([]);
  });
});

describe('firstGenesis: the upgrade a device from before signing follows', () => {
  it('the first genesis its own key signed, for this network; anchored on that key', async () => {
    const [admin, other] = await testDevices(31, 32);
    const ops = [await genesis(NET, admin), await genesis(NET, other)];
    expect(await firstGenesis(NET, ops)).toEqual({ anchor: networkIdOf(admin.key), device: admin.id });
    expect(await firstGenesis(NET, [ops[1]!, ops[0]!])).toMatchObject({ device: other.id });
  });

  it('skips what is malformed, for another network, signed by someone else, or not a genesis', async () => {
    const [admin, thief] = await testDevices(33, 34);
    const real = await genesis(NET, admin);
    const [payload] = real;
    const junk: unknown[] = [
      null,
      'genesis',
      { 0: 'x' },
      ['null', admin.id, real[2]],
      ['"genesis"', admin.id, real[2]],
      [payload, admin.id],
      [payload, admin.id, 42],
      ['{not json', admin.id, real[2]],
      ['x'.repeat(4001), admin.id, real[2]],
      await genesis('othernet', thief),
      // Signed by a key other than the one it names.
      await signed(
        { t: 'genesis', net: NET, dev: admin.id, key: admin.key, name: 'Founder', hub: 'hub1', at: T0 },
        thief,
        admin.id,
      ),
      // Names a device id that is not its key's.
      await signed(
        { t: 'genesis', net: NET, dev: admin.id, key: thief.key, name: 'Founder', hub: 'hub1', at: T0 },
        thief,
        admin.id,
      ),
      // Filed by another device than the one it names.
      [payload, thief.id, real[2]],
      // A payload changed after signing.
      [payload.replace('Founder', 'Foundex'), admin.id, real[2]],
      await signed({ t: 'revoke', net: NET, dev: thief.id, cut: 0, hash: null, at: T0 }, admin),
    ];
    expect(await firstGenesis(NET, junk)).toBeNull();
    expect(await firstGenesis(NET, [...junk, real])).toMatchObject({ device: admin.id });
    // A member list is read for its first 10,000 operations: a genesis past them is not followed.
    const padded = Array.from({ length: 10_000 }, () => null as unknown);
    expect(await firstGenesis(NET, [...padded.slice(1), real])).toMatchObject({ device: admin.id });
    expect(await firstGenesis(NET, [...padded, real])).toBeNull();
  });

  it('the member list anchored on it makes that device admin, and a second founder is refused', async () => {
    const [admin, thief] = await testDevices(35, 36);
    const ops = [await genesis(NET, admin), await genesis(NET, thief)];
    const anchor = (await firstGenesis(NET, ops))!.anchor;
    const state = await evaluateMembers(NET, ops, anchor);
    expect(state.members.get(admin.id)?.role).toBe('admin');
    expect(state.members.has(thief.id)).toBe(false);
    expect(state.problems.map((p) => p.reason.code)).toContain('member.falseFounder');
  });

  it('adopting an old device: only an admin can, once, and only for an id no key claims', async () => {
    const [admin, member] = await testDevices(37, 38);
    const adopt = (dev: string, by = admin) =>
      signed(
        { t: 'adopt', net: NET, dev, name: 'Old laptop', hub: 'hub1', cut: 4, hash: 'h'.repeat(43), at: T0 },
        by,
      );
    const ops = [
      await genesis(NET, admin),
      // A device that asked to join (its key is known) but is no admin.
      await request(NET, member),
      await adopt('olddev01', member),
      await adopt('olddev01'),
      await signed(
        { t: 'adopt', net: NET, dev: 'olddev01', name: 'Again', hub: null, cut: 9, hash: null, at: T0 },
        admin,
      ),
      await adopt(admin.id),
      await signed(
        { t: 'adopt', net: NET, dev: 'olddev02', name: 'Coordinator', hub: null, cut: 0, hash: null, at: T0 },
        admin,
      ),
    ];
    const state = await evaluateMembers(NET, ops, networkIdOf(admin.key));
    expect(state.members.get('olddev01')).toMatchObject({
      legacy: true,
      role: 'hub',
      name: 'Old laptop',
      revoked: { cut: 4, hash: 'h'.repeat(43), by: admin.id },
    });
    expect(state.members.get('olddev02')).toMatchObject({ legacy: true, role: 'coordinator', hub: null });
    expect(state.members.get(admin.id)).toMatchObject({ role: 'admin' });
    expect(state.members.get(admin.id)?.legacy).toBeUndefined();
    expect(state.problems.map((p) => p.reason.code)).toContain('member.adoptNotAdmin');
  });
});
