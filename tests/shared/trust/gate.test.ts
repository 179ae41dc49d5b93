import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idOf, type Entry } from '../../../shared/entries';
import { MAX_QUANTITY } from '../../../shared/quantity';
import { chainStart, entryLine, headHash } from '../../../shared/trust/chain';
import {
  Gate,
  verdict,
  type DeviceGate,
  type GateInput,
  type VerifiedHead,
} from '../../../shared/trust/gate';
import type { Member, MemberState } from '../../../shared/trust/members';
import { fcOptions } from '../arbitraries';
import { chainOf, headOf, member, stateOf, T0 } from './fixtures';
import { msg } from '../../../shared/messages';

/**
 * The gate's verdicts, driven directly: what a device's signed head, its approval, its revocation, its
 * hub and the count bounds decide, and that a copy at a taken position never hides the first.
 */
const NET = 'net0gate';
const DEV = 'dev0gate';

const donation = (seq: number, options: { hub?: string; qty?: number; device?: string } = {}): Entry => ({
  kind: 'donation',
  hub: options.hub ?? 'hub1',
  device: options.device ?? DEV,
  seq,
  item: 'item',
  at: T0 + seq * 1000,
  recordedAt: T0 + seq * 1000,
  qty: options.qty ?? seq,
  source: 'individual',
});

const count = (seq: number, counted: number, seen: number): Entry => ({
  kind: 'count',
  hub: 'hub1',
  device: DEV,
  seq,
  item: 'item',
  at: T0,
  recordedAt: T0,
  counted,
  seen,
});

const ledger = (n: number, device = DEV) => Array.from({ length: n }, (_, i) => donation(i + 1, { device }));
const head = (entries: readonly Entry[], device = DEV): VerifiedHead => headOf(NET, device, entries);
const heads = (...list: [string, VerifiedHead][]) => new Map(list);
const hubDevice = (hub = 'hub1', revoked?: Member['revoked']) =>
  stateOf(NET, [member(DEV, 'hub', hub, revoked)]);
const nobody = () => stateOf(NET, []);
const ids = (entries: readonly Entry[]) => entries.map(idOf);
const whereOf = (r: { problems: { where: string }[] }) => r.problems.map((p) => p.where);

/** One step, adopted at once, as the store does after its transaction commits. */
function run(gate: Gate, input: Partial<GateInput>) {
  const result = gate.step({
    entries: [],
    heads: new Map(),
    members: nobody(),
    membersChanged: false,
    ...input,
  });
  gate.adopt(result);
  return result;
}

describe('signed heads', () => {
  it('an entry counts only once a head its device signed covers it', () => {
    const gate = new Gate(NET);
    const entries = ledger(3);
    const first = run(gate, { entries, members: hubDevice() });
    expect(first.release).toEqual([]);
    expect(first.problems).toEqual([]);
    expect(gate.devices.get(DEV)?.pending).toHaveLength(3);
    const second = run(gate, { heads: heads([DEV, head(entries.slice(0, 2))]), members: hubDevice() });
    expect(ids(second.release)).toEqual(['dev0gate.1', 'dev0gate.2']);
    const third = run(gate, { heads: heads([DEV, head(entries)]), members: hubDevice() });
    expect(ids(third.release)).toEqual(['dev0gate.3']);
    expect(gate.devices.get(DEV)).toMatchObject({ decided: 3, held: [], pending: [] });
    expect(gate.devices.get(DEV)?.chain).toEqual(chainOf(NET, DEV, entries));
  });

  it('says whose candidates only grew, and how many they had: a history arriving in pieces', () => {
    const gate = new Gate(NET);
    const entries = ledger(5);
    const h = heads([DEV, head(entries)]);
    const other = ledger(2, 'devOther');
    const first = run(gate, { entries: [...entries.slice(0, 2), ...other], heads: h, members: hubDevice() });
    expect(first.kept).toEqual(
      new Map([
        [DEV, 0],
        ['devOther', 0],
      ]),
    );
    const second = run(gate, { entries: entries.slice(2, 4), heads: h, members: hubDevice() });
    expect(second.kept).toEqual(new Map([[DEV, 2]]));
    expect(gate.devices.get(DEV)?.pending).toEqual(entries.slice(0, 4));
    // The last arrives: the chain takes them all, and nothing is kept.
    const third = run(gate, { entries: [entries[4]!], heads: h, members: hubDevice() });
    expect(ids(third.release)).toEqual(ids(entries));
    expect(third.devices.get(DEV)?.pending).toEqual([]);
    expect(third.kept.has(DEV)).toBe(false);
  });

  it('a gap waits for what is missing, then everything up to the head counts at once', () => {
    const gate = new Gate(NET);
    const entries = ledger(4);
    const h = heads([DEV, head(entries)]);
    const first = run(gate, {
      entries: [entries[0]!, entries[2]!, entries[3]!],
      heads: h,
      members: hubDevice(),
    });
    expect(first.release).toEqual([]);
    expect(first.problems).toEqual([]);
    const second = run(gate, { entries: [entries[1]!], heads: h, members: hubDevice() });
    expect(ids(second.release)).toEqual(ids(entries));
  });

  it('entries that do not make the signed hash never count, and say so', () => {
    const gate = new Gate(NET);
    const entries = ledger(2);
    const forged = [entries[0]!, donation(2, { qty: 999 })];
    const r = run(gate, { entries: forged, heads: heads([DEV, head(entries)]), members: hubDevice() });
    expect(r.release).toEqual([]);
    expect(r.problems).toEqual([
      {
        where: `device/${DEV}`,
        reason: msg('gate.notSigned', { device: DEV, seq: 2 }),
      },
    ]);
  });

  it('a head for the same position with another hash: the device signed two histories', () => {
    const gate = new Gate(NET);
    const entries = ledger(2);
    run(gate, { entries, heads: heads([DEV, head(entries)]), members: hubDevice() });
    const other = head([entries[0]!, donation(2, { qty: 77 })]);
    const r = run(gate, { heads: heads([DEV, other]), members: hubDevice() });
    expect(r.problems).toEqual([{ where: `device/${DEV}`, reason: msg('gate.forked', { device: DEV }) }]);
    // The same head again, or an older one, is no news.
    expect(run(gate, { heads: heads([DEV, head(entries)]), members: hubDevice() }).problems).toEqual([]);
    expect(
      run(gate, { heads: heads([DEV, head(entries.slice(0, 1))]), members: hubDevice() }).problems,
    ).toEqual([]);
  });

  it('a head at position 0 is no history at all', () => {
    const gate = new Gate(NET);
    const r = run(gate, { heads: heads([DEV, { seq: 0, hash: 'x' }]), members: hubDevice() });
    expect(r.problems).toEqual([]);
    expect(r.release).toEqual([]);
  });

  it('a head across a block of 64 verifies the whole block', () => {
    const gate = new Gate(NET);
    const entries = ledger(130);
    const r = run(gate, { entries, heads: heads([DEV, head(entries.slice(0, 128))]), members: hubDevice() });
    expect(r.release).toHaveLength(128);
    expect(gate.devices.get(DEV)?.pending).toHaveLength(2);
  });
});

describe('a second entry at a taken position', () => {
  it('arriving after the signed one is set aside, and never hides it', () => {
    const gate = new Gate(NET);
    const entries = ledger(3);
    run(gate, { entries, heads: heads([DEV, head(entries)]), members: hubDevice() });
    const copy = donation(2, { qty: 500 });
    const r = run(gate, { entries: [copy], members: hubDevice() });
    expect(r.release).toEqual([]);
    expect(r.problems).toEqual([
      {
        where: `entry/${DEV}.2`,
        reason: msg('gate.positionTaken', { seq: 2, device: DEV }),
      },
    ]);
    expect(gate.devices.get(DEV)?.pending).toEqual([]);
    // At the head's own position too, with no newer head to come.
    const atHead = run(gate, { entries: [donation(3, { qty: 600 })], members: hubDevice() });
    expect(atHead.problems).toEqual([
      { where: `entry/${DEV}.3`, reason: msg('gate.positionTaken', { seq: 3, device: DEV }) },
    ]);
    expect(gate.devices.get(DEV)?.pending).toEqual([]);
  });

  it('arriving before the head, whichever comes first: the signed one counts, the copy is set aside', () => {
    const entries = ledger(3);
    const copies = [donation(2, { qty: 500 }), donation(3, { qty: 600 })];
    for (const order of [
      [...copies, ...entries],
      [...entries, ...copies],
    ]) {
      const gate = new Gate(NET);
      const r = run(gate, { entries: order, heads: heads([DEV, head(entries)]), members: hubDevice() });
      expect(ids(r.release).sort()).toEqual(ids(entries));
      expect(r.release.map(entryLine).sort()).toEqual(entries.map(entryLine).sort());
      expect([...r.problems].sort((a, b) => a.where.localeCompare(b.where))).toEqual(
        copies.map((e) => ({
          where: `entry/${idOf(e)}`,
          reason: msg('gate.positionTaken', { seq: e.seq, device: DEV }),
        })),
      );
    }
  });

  it('copies beyond the head stay waiting', () => {
    const gate = new Gate(NET);
    const entries = ledger(3);
    const r = run(gate, {
      entries: [...entries, donation(4), donation(4, { qty: 9 })],
      heads: heads([DEV, head(entries)]),
      members: hubDevice(),
    });
    expect(r.release).toHaveLength(3);
    expect(r.problems).toEqual([]);
    expect(gate.devices.get(DEV)?.pending).toHaveLength(2);
  });

  it('up to 256 combinations of copies are tried; past that the device is reported stuck', () => {
    const entries = ledger(9);
    // The signed entry is always the last candidate at its position: the search tries every combination.
    const withCopies = (n: number) => [
      ...entries.slice(0, n).map((e) => donation(e.seq, { qty: 1000 + e.seq })),
      ...entries,
    ];
    const eight = new Gate(NET);
    const ok = run(eight, {
      entries: withCopies(8),
      heads: heads([DEV, head(entries.slice(0, 8))]),
      members: hubDevice(),
    });
    expect(ids(ok.release).sort()).toEqual(ids(entries.slice(0, 8)).sort());
    expect(ok.problems).toHaveLength(8);
    const nine = new Gate(NET);
    const stuck = run(nine, {
      entries: withCopies(9),
      heads: heads([DEV, head(entries)]),
      members: hubDevice(),
    });
    expect(stuck.release).toEqual([]);
    expect(stuck.problems).toEqual([
      { where: `device/${DEV}`, reason: msg('gate.tooManyCopies', { device: DEV }) },
    ]);
  });

  it('257 copies at one position, the signed one last: the device is reported stuck, one try short', () => {
    const gate = new Gate(NET);
    const signed = donation(1);
    const copies = Array.from({ length: 256 }, (_, i) => donation(1, { qty: 1000 + i }));
    const r = run(gate, {
      entries: [...copies, signed],
      heads: heads([DEV, head([signed])]),
      members: hubDevice(),
    });
    expect(r.release).toEqual([]);
    expect(r.problems).toEqual([
      { where: `device/${DEV}`, reason: msg('gate.tooManyCopies', { device: DEV }) },
    ]);
    // With one copy fewer, the signed one is the 256th try, and counts.
    const fewer = run(new Gate(NET), {
      entries: [...copies.slice(1), signed],
      heads: heads([DEV, head([signed])]),
      members: hubDevice(),
    });
    expect(ids(fewer.release)).toEqual([`${DEV}.1`]);
  });

  it('conflicting copies none of which makes the head are left waiting, silently', () => {
    const gate = new Gate(NET);
    const entries = ledger(2);
    const r = run(gate, {
      entries: [donation(1, { qty: 50 }), donation(1, { qty: 51 }), donation(2, { qty: 52 })],
      heads: heads([DEV, head(entries)]),
      members: hubDevice(),
    });
    expect(r.release).toEqual([]);
    expect(r.problems).toEqual([]);
    expect(gate.devices.get(DEV)?.pending).toHaveLength(3);
  });

  it('256 combinations of copies none of which makes the head are all tried, silently', () => {
    const gate = new Gate(NET);
    const entries = ledger(8);
    const r = run(gate, {
      entries: [
        ...entries.map((e) => donation(e.seq, { qty: 100 + e.seq })),
        ...entries.map((e) => donation(e.seq, { qty: 200 + e.seq })),
      ],
      heads: heads([DEV, head(entries)]),
      members: hubDevice(),
    });
    expect(r.release).toEqual([]);
    expect(r.problems).toEqual([]);
  });

  it('verdicts come device by device in the order of their ids, whatever order they arrived in', () => {
    const gate = new Gate(NET);
    const [x, y] = ['dev1aaaa', 'dev2bbbb'];
    const ex = ledger(2, x);
    const ey = ledger(2, y);
    const members = stateOf(NET, [member(x, 'admin', null), member(y, 'admin', null)]);
    const r = run(gate, {
      entries: [...ey, ...ex],
      heads: heads([y, head(ey, y)], [x, head(ex, x)]),
      members,
    });
    expect(ids(r.release)).toEqual([...ids(ex), ...ids(ey)]);
  });

  it('the copy found after the first conflict is the one the head names, wherever it sits', () => {
    const entries = ledger(5);
    const copies = [donation(3, { qty: 30 }), donation(3, { qty: 31 }), donation(5, { qty: 50 })];
    const gate = new Gate(NET);
    const r = run(gate, {
      entries: [
        entries[0]!,
        entries[1]!,
        copies[0]!,
        entries[2]!,
        copies[1]!,
        copies[2]!,
        entries[3]!,
        entries[4]!,
      ],
      heads: heads([DEV, head(entries)]),
      members: hubDevice(),
    });
    expect(r.release.map(entryLine)).toEqual(entries.map(entryLine));
    expect(gate.devices.get(DEV)?.chain).toEqual(chainOf(NET, DEV, entries));
  });

  it('more than a million unsigned entries of one device are refused', () => {
    const gate = new Gate(NET);
    const filler = donation(5);
    const row = (n: number): DeviceGate => ({
      device: DEV,
      chain: chainStart(NET, DEV),
      decided: 0,
      held: [],
      pending: new Array<Entry>(n).fill(filler),
    });
    gate.load([row(1_000_000)]);
    expect(
      gate.step({ entries: [donation(6)], heads: new Map(), members: nobody(), membersChanged: false })
        .problems,
    ).toEqual([{ where: `entry/${DEV}.6`, reason: msg('gate.tooManyUnsigned') }]);
  });
});

describe('a long history of one device', () => {
  it('counts whole, however many positions its head signs; past them, the bound on unsigned ones holds', () => {
    // The bound is a million; ten here. A rebuild gives the gate a device's whole history at once.
    const gate = new Gate(NET, 10);
    const entries = ledger(25);
    const all = run(gate, { entries, heads: heads([DEV, head(entries)]), members: hubDevice() });
    expect(all.problems).toEqual([]);
    expect(ids(all.release)).toEqual(ids(entries));
    // Past its head: ten more at most wait for the next head.
    const more = ledger(40).slice(25);
    const after = run(gate, { entries: more, heads: heads([DEV, head(entries)]), members: hubDevice() });
    expect(gate.devices.get(DEV)?.pending).toEqual(more.slice(0, 10));
    expect(whereOf(after)).toEqual(more.slice(10).map((e) => `entry/${idOf(e)}`));
    expect(new Set(after.problems.map((p) => p.reason.code))).toEqual(new Set(['gate.tooManyUnsigned']));
    // With no head at all, as many.
    const stranger = new Gate(NET, 10);
    const unsigned = run(stranger, { entries: ledger(12), members: hubDevice() });
    expect(stranger.devices.get(DEV)?.pending).toHaveLength(10);
    expect(unsigned.problems).toHaveLength(2);
  });
});

describe('approval', () => {
  it('verified entries of a device not approved yet are held, and count the moment it is', () => {
    const gate = new Gate(NET);
    const entries = ledger(2);
    const h = heads([DEV, head(entries)]);
    const held = run(gate, { entries, heads: h, members: nobody() });
    expect(held.release).toEqual([]);
    expect(held.problems).toEqual([]);
    expect(gate.devices.get(DEV)).toMatchObject({ decided: 0, pending: [] });
    expect(gate.devices.get(DEV)?.held).toHaveLength(2);
    // Nothing new about the device: it is not looked at again.
    expect(run(gate, { members: hubDevice() }).release).toEqual([]);
    const approved = run(gate, { members: hubDevice(), membersChanged: true });
    expect(ids(approved.release)).toEqual(ids(entries));
    expect(approved.rebuild).toBe(false);
    expect(gate.devices.get(DEV)).toMatchObject({ decided: 2, held: [], judgedAs: 'hub|hub1' });
  });

  it('a device the gate has not seen yet is looked at when members change and its head is there', () => {
    const gate = new Gate(NET);
    const entries = ledger(1);
    run(gate, { entries, members: nobody() });
    const r = run(gate, { heads: heads([DEV, head(entries)]), members: hubDevice(), membersChanged: true });
    expect(ids(r.release)).toEqual(ids(entries));
  });

  it('the devices whose state changed are returned, and only those', () => {
    const gate = new Gate(NET);
    const entries = ledger(1);
    const other = 'dev1gate';
    run(gate, { entries: [...entries, donation(1, { device: other })], members: nobody() });
    const r = gate.step({
      entries: [],
      heads: heads([DEV, head(entries)]),
      members: nobody(),
      membersChanged: false,
    });
    expect([...r.devices.keys()]).toEqual([DEV]);
    expect(r.devices.get(DEV)?.held).toHaveLength(1);
    // step alone changes nothing: the same step gives the same result until it is adopted.
    expect(
      gate.step({
        entries: [],
        heads: heads([DEV, head(entries)]),
        members: nobody(),
        membersChanged: false,
      }),
    ).toEqual(r);
    gate.adopt(r);
    expect(
      gate.step({ entries: [], heads: heads([DEV, head(entries)]), members: nobody(), membersChanged: false })
        .devices.size,
    ).toBe(0);
  });

  it('an approval alone is a change of state, to keep', () => {
    const gate = new Gate(NET);
    run(gate, { entries: [donation(1)], members: nobody() });
    const r = gate.step({ entries: [], heads: new Map(), members: hubDevice(), membersChanged: true });
    expect(r.devices.get(DEV)?.judgedAs).toBe('hub|hub1');
    expect(r.release).toEqual([]);
  });

  it('a revoked member with nothing seen yet is kept in the gate', () => {
    const gate = new Gate(NET);
    const r = gate.step({
      entries: [],
      heads: new Map(),
      members: hubDevice('hub1', { cut: 0, hash: null, by: 'adm', at: T0 }),
      membersChanged: true,
    });
    expect(r.devices.get(DEV)?.judgedAs).toBe('hub|hub1');
    const plain = gate.step({ entries: [], heads: new Map(), members: hubDevice(), membersChanged: true });
    expect(plain.devices.size).toBe(0);
  });

  it('a state loaded after a restart is carried on from', () => {
    const entries = ledger(3);
    const before = new Gate(NET);
    run(before, {
      entries: entries.slice(0, 2),
      heads: heads([DEV, head(entries.slice(0, 2))]),
      members: hubDevice(),
    });
    const after = new Gate(NET);
    after.load(before.devices.values());
    const r = run(after, {
      entries: [entries[2]!],
      heads: heads([DEV, head(entries)]),
      members: hubDevice(),
    });
    expect(ids(r.release)).toEqual([`${DEV}.3`]);
    const late = run(after, { entries: [entries[0]!], members: hubDevice() });
    expect(late.problems[0]?.where).toBe(`entry/${DEV}.1`);
  });
});

describe('revocation', () => {
  const revoked = (cut: number, hash: string | null = null) =>
    hubDevice('hub1', { cut, hash, by: 'adm', at: T0 });

  it('nothing after the cut-off counts, whether signed or not; everything before still does', () => {
    const gate = new Gate(NET);
    const entries = ledger(4);
    const r = run(gate, {
      entries: [...entries, donation(5), donation(6)],
      heads: heads([DEV, head(entries)]),
      members: revoked(2),
      membersChanged: true,
    });
    expect(ids(r.release)).toEqual([`${DEV}.1`, `${DEV}.2`]);
    expect(r.problems).toEqual(
      [3, 4, 5, 6].map((seq) => ({
        where: `entry/${DEV}.${seq}`,
        reason: msg('gate.afterRevocation', { device: DEV }),
      })),
    );
    expect(gate.devices.get(DEV)?.pending).toEqual([]);
  });

  it('the cut-off’s chain hash verifies the entries up to it, with no head', () => {
    const gate = new Gate(NET);
    const entries = ledger(3);
    const hash = headHash(chainOf(NET, DEV, entries.slice(0, 2)));
    const r = run(gate, { entries, members: revoked(2, hash), membersChanged: true });
    expect(ids(r.release)).toEqual([`${DEV}.1`, `${DEV}.2`]);
    expect(whereOf(r)).toEqual([`entry/${DEV}.3`]);
  });

  it('a cut-off with no hash verifies nothing by itself', () => {
    const gate = new Gate(NET);
    const r = run(gate, { entries: ledger(3), members: revoked(2), membersChanged: true });
    expect(r.release).toEqual([]);
    expect(whereOf(r)).toEqual([`entry/${DEV}.3`]);
    expect(gate.devices.get(DEV)?.pending).toHaveLength(2);
  });

  it('a cut-off behind what is verified already is not checked again', () => {
    const gate = new Gate(NET);
    const entries = ledger(3);
    run(gate, { entries, heads: heads([DEV, head(entries)]), members: nobody() });
    const r = run(gate, { members: revoked(2, 'not the hash'), membersChanged: true });
    expect(ids(r.release)).toEqual([`${DEV}.1`, `${DEV}.2`]);
    expect(whereOf(r)).toEqual([`entry/${DEV}.3`]);
    // Nor one exactly at it.
    const at = new Gate(NET);
    run(at, { entries, heads: heads([DEV, head(entries)]), members: nobody() });
    const exactly = run(at, { members: revoked(3, 'not the hash'), membersChanged: true });
    expect(exactly.release).toHaveLength(3);
    expect(exactly.problems).toEqual([]);
  });

  it('a revocation behind entries already counted asks for a rebuild; one at or ahead of them does not', () => {
    const entries = ledger(3);
    const gate = () => {
      const g = new Gate(NET);
      run(g, { entries, heads: heads([DEV, head(entries)]), members: hubDevice() });
      return g;
    };
    expect(run(gate(), { members: revoked(2), membersChanged: true }).rebuild).toBe(true);
    expect(run(gate(), { members: revoked(3), membersChanged: true }).rebuild).toBe(false);
  });

  it('a role or hub change behind counted entries asks for a rebuild; before anything counted it does not', () => {
    const entries = ledger(1);
    const counted = () => {
      const g = new Gate(NET);
      run(g, {
        entries,
        heads: heads([DEV, head(entries)]),
        members: stateOf(NET, [member(DEV, 'admin', 'hub1')]),
      });
      return g;
    };
    expect(run(counted(), { members: hubDevice('hub1'), membersChanged: true }).rebuild).toBe(true);
    expect(
      run(counted(), { members: stateOf(NET, [member(DEV, 'admin', 'hub2')]), membersChanged: true }).rebuild,
    ).toBe(true);
    expect(
      run(counted(), { members: stateOf(NET, [member(DEV, 'admin', 'hub1')]), membersChanged: true }).rebuild,
    ).toBe(false);
    const nothingYet = new Gate(NET);
    run(nothingYet, { entries, members: stateOf(NET, [member(DEV, 'admin', 'hub1')]) });
    run(nothingYet, { members: stateOf(NET, [member(DEV, 'admin', 'hub1')]), membersChanged: true });
    expect(run(nothingYet, { members: hubDevice('hub2'), membersChanged: true }).rebuild).toBe(false);
    // A member that disappears from the list (strong removal left out its approval) had its entries
    // counted: they are derived again (gate-membership.test.ts). One that never counted anything is not.
    expect(run(counted(), { members: nobody(), membersChanged: true }).rebuild).toBe(true);
    expect(run(nothingYet, { members: nobody(), membersChanged: true }).rebuild).toBe(false);
  });
});

describe('verdicts on verified entries', () => {
  it('a hub device records for its own hub only; admins and coordinators for any', () => {
    const e = donation(1, { hub: 'hub2' });
    expect(verdict(e, member(DEV, 'hub', 'hub1'))).toEqual(
      msg('gate.otherHub', { device: DEV, hub: 'hub2' }),
    );
    expect(verdict(e, member(DEV, 'hub', 'hub2'))).toBeNull();
    expect(verdict(e, member(DEV, 'admin', 'hub1'))).toBeNull();
    expect(verdict(e, member(DEV, 'coordinator', null))).toBeNull();
  });

  it('a count moves stock by at most the largest quantity, either way', () => {
    const m = member(DEV, 'hub', 'hub1');
    const tooMuch = msg('gate.countTooLarge', { max: MAX_QUANTITY });
    expect(verdict(count(1, MAX_QUANTITY, 0), m)).toBeNull();
    expect(verdict(count(1, 0, MAX_QUANTITY), m)).toBeNull();
    expect(verdict(count(1, MAX_QUANTITY, -1), m)).toEqual(tooMuch);
    expect(verdict(count(1, 0, MAX_QUANTITY + 1), m)).toEqual(tooMuch);
    // A donation of the largest quantity is not a count.
    expect(verdict(donation(1, { qty: MAX_QUANTITY }), m)).toBeNull();
  });

  it('after the cut-off nothing counts, up to it everything does', () => {
    const m = member(DEV, 'admin', 'hub1', { cut: 4, hash: null, by: 'adm', at: T0 });
    expect(verdict(donation(4), m)).toBeNull();
    expect(verdict(donation(5), m)).toEqual(msg('gate.afterRevocation', { device: DEV }));
    // A device from before signing, adopted at an upgrade: what it wrote past the cut was never signed.
    expect(verdict(donation(5), { ...m, legacy: true })).toEqual(
      msg('gate.unsignedAfterUpgrade', { device: DEV }),
    );
    expect(
      verdict(donation(4, { hub: 'hub9' }), { ...member(DEV, 'hub', 'hub1', m.revoked), legacy: true }),
    ).toBeNull();
  });

  it('the gate applies them: what breaks a rule is set aside, the rest counts', () => {
    const gate = new Gate(NET);
    const entries = [donation(1), donation(2, { hub: 'hub2' }), count(3, MAX_QUANTITY + 1, 0)];
    const r = run(gate, { entries, heads: heads([DEV, head(entries)]), members: hubDevice() });
    expect(ids(r.release)).toEqual([`${DEV}.1`]);
    expect(whereOf(r)).toEqual([`entry/${DEV}.2`, `entry/${DEV}.3`]);
    expect(gate.devices.get(DEV)?.decided).toBe(3);
  });
});

/** Devices of a small network, each with its ledger, its head somewhere in it, and a role. */
const scenarioArb = fc
  .array(
    fc.record({
      length: fc.integer({ min: 0, max: 12 }),
      signedUpTo: fc.nat(),
      role: fc.constantFrom('admin', 'coordinator', 'hub', 'none', 'revoked') as fc.Arbitrary<
        'admin' | 'coordinator' | 'hub' | 'none' | 'revoked'
      >,
      hubs: fc.array(fc.constantFrom('hub1', 'hub2'), { minLength: 12, maxLength: 12 }),
      copies: fc.array(fc.record({ at: fc.nat(), qty: fc.integer({ min: 100, max: 200 }) }), {
        maxLength: 2,
      }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((devices) =>
    devices.map((d, n) => {
      const device = `dev${n}prop`;
      const entries = Array.from({ length: d.length }, (_, i) => donation(i + 1, { device, hub: d.hubs[i] }));
      const signed = d.length === 0 ? 0 : d.signedUpTo % (d.length + 1);
      const copies = d.copies
        .filter(() => d.length > 0)
        .map((c) => donation(1 + (c.at % d.length), { device, qty: c.qty, hub: 'hub1' }));
      return { ...d, device, entries, signed, copies };
    }),
  );

/** A revocation as an admin's device writes it: the cut-off and the chain hash there (none at 0). */
const revocationOf = (device: string, entries: readonly Entry[], cut: number): Member['revoked'] => ({
  cut,
  hash: cut > 0 ? headHash(chainOf(NET, device, entries.slice(0, cut))) : null,
  by: 'adm',
  at: T0,
});

function membersOf(scenario: ReturnType<typeof scenarioArb.generate>['value']): MemberState {
  return stateOf(
    NET,
    scenario.flatMap((d): Member[] =>
      d.role === 'none'
        ? []
        : d.role === 'revoked'
          ? [member(d.device, 'hub', 'hub1', revocationOf(d.device, d.entries, Math.floor(d.length / 2)))]
          : [member(d.device, d.role, 'hub1')],
    ),
  );
}

describe('verdicts do not depend on delivery order', () => {
  it('entries and heads in any order and any batches: the same entries count, the same are set aside', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (scenario, splits, shuffleSeed) => {
          const members = membersOf(scenario);
          const all = scenario.flatMap((d) => [...d.entries, ...d.copies]);
          const finalHeads = new Map(
            scenario
              .filter((d) => d.signed > 0)
              .map((d) => [d.device, head(d.entries.slice(0, d.signed), d.device)]),
          );
          const outcome = (batches: Entry[][], headsAt: (step: number) => Map<string, VerifiedHead>) => {
            const gate = new Gate(NET);
            const released: string[] = [];
            const setAside = new Set<string>();
            batches.forEach((entries, step) => {
              const r = run(gate, { entries, heads: headsAt(step), members, membersChanged: step === 0 });
              released.push(...r.release.map(entryLine));
              for (const p of r.problems) if (p.where.startsWith('entry/')) setAside.add(p.where);
            });
            return { released: released.sort(), setAside: [...setAside].sort() };
          };
          const once = outcome([all], () => finalHeads);
          // A seeded shuffle, cut into batches; heads arrive as the device signs them, one batch at a time.
          let s = shuffleSeed;
          const shuffled = all
            .map((e) => ({ e, k: (s = (Math.imul(s, 1103515245) + 12345) >>> 0) }))
            .sort((x, y) => x.k - y.k)
            .map((x) => x.e);
          const batches: Entry[][] = [];
          let at = 0;
          for (const split of splits) {
            const part = shuffled.slice(at, at + (split % (shuffled.length + 1)));
            at += part.length;
            batches.push(part);
          }
          batches.push(shuffled.slice(at));
          const headsAt = (step: number) =>
            new Map(
              scenario
                .map(
                  (d) =>
                    [d, Math.min(d.signed, Math.ceil(((step + 1) * d.signed) / batches.length))] as const,
                )
                .filter(([, upTo]) => upTo > 0)
                .map(([d, upTo]) => [d.device, head(d.entries.slice(0, upTo), d.device)]),
            );
          expect(outcome(batches, headsAt)).toEqual(once);
          // And what counts is the signed prefix of each approved device, less what breaks a rule.
          const expected = scenario.flatMap((d) => {
            const m = members.members.get(d.device);
            // A revocation's chain hash verifies up to its cut-off on its own.
            const verified = Math.max(d.signed, m?.revoked?.cut ?? 0);
            return m ? d.entries.slice(0, verified).filter((e) => verdict(e, m) === null) : [];
          });
          expect(once.released).toEqual(expected.map(entryLine).sort());
          expect(finalHeads.size).toBeLessThanOrEqual(scenario.length);
        },
      ),
      fcOptions(0.5),
    );
  });
});

describe('a long history stepped in groups of devices', () => {
  /** Problems in a stable order: grouped steps give them device by device, `step` all entries' first. */
  const sorted = (problems: readonly { where: string; reason: unknown }[]) =>
    problems.map((p) => JSON.stringify([p.where, p.reason])).sort();
  const noPause = { pause: () => Promise.resolve(), sliceMs: 0 };

  it('gives what one step gives: the same releases in order, states, problems and rebuild call', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioArb,
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('same', 'admins', 'nobody'),
        fc.nat(),
        fc.boolean(),
        async (scenario, groupEntries, cut, membersChanged, loaded, judgedOtherwise, headMask, swap) => {
          const members = membersOf(scenario);
          // Judged before as admins (a device whose role differs now asks for a rebuild), or not approved
          // before (its verified entries held until now).
          const before =
            judgedOtherwise === 'admins'
              ? stateOf(
                  NET,
                  scenario.map((d) => member(d.device, 'admin', 'hub1')),
                )
              : judgedOtherwise === 'nobody'
                ? stateOf(NET, [])
                : members;
          // Copies beside the entries, or in their place: a history in order that its head does not sign.
          const all = scenario.flatMap((d) =>
            swap
              ? d.entries.map((e) => d.copies.find((c) => c.seq === e.seq) ?? e)
              : [...d.entries, ...d.copies],
          );
          const headsOf = (upTo: (d: (typeof scenario)[number]) => number) =>
            new Map(
              scenario
                .filter((d) => upTo(d) > 0)
                .map((d) => [d.device, head(d.entries.slice(0, upTo(d)), d.device)]),
            );
          const gate = new Gate(NET);
          // A gate that already holds part of the history (a rebuild's fresh gate holds nothing).
          if (loaded) {
            const first = all.slice(0, cut % (all.length + 1));
            gate.adopt(
              gate.step({
                entries: first,
                heads: headsOf((d) => Math.floor(d.signed / 2)),
                members: before,
                membersChanged: true,
              }),
            );
          }
          const rest = loaded ? all.slice(cut % (all.length + 1)) : all;
          const input: GateInput = {
            entries: rest,
            // Some devices' heads not given: the gate still looks at what it holds of them when members change.
            heads: headsOf((d) => ((headMask >> scenario.indexOf(d)) & 1 ? d.signed : 0)),
            members,
            membersChanged,
          };
          const once = gate.step(input);
          const grouped = await gate.stepInGroups(input, { ...noPause, groupEntries });
          expect(grouped.release.map(entryLine)).toEqual(once.release.map(entryLine));
          expect(sorted(grouped.problems)).toEqual(sorted(once.problems));
          expect(grouped.rebuild).toBe(once.rebuild);
          expect(new Map([...grouped.devices].sort())).toEqual(new Map([...once.devices].sort()));
          expect(new Map([...grouped.kept].sort())).toEqual(new Map([...once.kept].sort()));
          // Nothing changed the gate: both were computed from the same state.
          expect(gate.step(input).release.length).toBe(once.release.length);
        },
      ),
      fcOptions(4),
    );
  });

  it('a device the gate holds, with nothing new, is still looked at when members change', async () => {
    // Counted as an admin's, then no longer a member: what counted must not, so a rebuild is asked for,
    // though neither its entries nor its head are in this step (a long history of other devices is).
    const gate = new Gate(NET);
    const removed = ledger(2, 'devRgrp');
    gate.adopt(
      gate.step({
        entries: removed,
        heads: heads(['devRgrp', head(removed, 'devRgrp')]),
        members: stateOf(NET, [member('devRgrp', 'admin', 'hub1')]),
        membersChanged: true,
      }),
    );
    const others = ledger(20, 'devOgrp');
    const input: GateInput = {
      entries: others,
      heads: heads(['devOgrp', head(others, 'devOgrp')]),
      members: stateOf(NET, [member('devOgrp', 'admin', 'hub1')]),
      membersChanged: true,
    };
    expect(gate.step(input).rebuild).toBe(true);
    const grouped = await gate.stepInGroups(input, { ...noPause, groupEntries: 4 });
    expect(grouped.rebuild).toBe(true);
    expect(grouped.release).toHaveLength(20);
  });

  it('steps a long device in parts, once its whole chain ends at the hash it signed', async () => {
    const entries = ledger(40, 'devLong');
    const members = stateOf(NET, [member('devLong', 'hub', 'hub1')]);
    const counting = () => {
      const seen = { pauses: 0 };
      return {
        seen,
        options: { pause: () => ((seen.pauses += 1), Promise.resolve()), sliceMs: 0, groupEntries: 8 },
      };
    };
    // Its history arrived before its head (held here), and the head comes with the last entries.
    const gate = new Gate(NET);
    gate.adopt(gate.step({ entries: entries.slice(0, 36), heads: new Map(), members, membersChanged: true }));
    expect(gate.devices.get('devLong')!.pending).toHaveLength(36);
    const input: GateInput = {
      entries: entries.slice(36),
      heads: heads(['devLong', head(entries, 'devLong')]),
      members,
      membersChanged: false,
    };
    const once = gate.step(input);
    const { seen, options } = counting();
    const parts = await gate.stepInGroups(input, options);
    expect(parts.release).toEqual(entries);
    expect(parts.devices).toEqual(once.devices);
    // Five parts of 8, the page let run after each (and after each slice of the check before them).
    expect(seen.pauses).toBeGreaterThanOrEqual(10);
    // One entry not the one signed: nothing of the device counts, as in one step, which says why.
    const forged = [...entries.slice(36, 39), donation(40, { device: 'devLong', qty: 99 })];
    const wrong = await gate.stepInGroups({ ...input, entries: forged }, counting().options);
    expect(wrong.release).toEqual([]);
    expect(wrong.problems).toEqual(gate.step({ ...input, entries: forged }).problems);
    expect(wrong.problems.map((p) => p.reason)).toEqual([
      msg('gate.notSigned', { device: 'devLong', seq: 40 }),
    ]);
  });

  it('steps each group on its own, a device never split, pausing between groups', async () => {
    const devices = ['devAgrp', 'devBgrp', 'devCgrp'];
    const entries = devices.flatMap((device, n) => ledger(3 + n, device));
    const members = stateOf(
      NET,
      devices.map((d) => member(d, 'admin', 'hub1')),
    );
    const input: GateInput = {
      entries,
      heads: new Map(devices.map((d, n) => [d, head(ledger(3 + n, d), d)] as const)),
      members,
      membersChanged: true,
    };
    const gate = new Gate(NET);
    const steps: string[][] = [];
    const step = gate.step.bind(gate);
    gate.step = (i) => {
      steps.push([...(i.only ?? [])]);
      return step(i);
    };
    let pauses = 0;
    const pause = () => {
      pauses++;
      return Promise.resolve();
    };
    const r = await gate.stepInGroups(input, { pause, sliceMs: 0, groupEntries: 7 });
    // 3 + 4 fit in 7; the third device's 5 go alone.
    expect(steps).toEqual([['devAgrp', 'devBgrp'], ['devCgrp']]);
    expect(pauses).toBeGreaterThanOrEqual(2);
    expect(r.release).toHaveLength(12);
    // A history within one group is one plain step, without `only`.
    steps.length = 0;
    await gate.stepInGroups(input, { pause, sliceMs: 0, groupEntries: 12 });
    expect(steps).toEqual([[]]);
  });
});
