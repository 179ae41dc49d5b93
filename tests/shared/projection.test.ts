import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { undoEntry } from '../../shared/commands';
import {
  ENTRY_KINDS,
  type Count,
  type Donation,
  type Entry,
  type Pickup,
  type Reversal,
} from '../../shared/entries';
import {
  Projector,
  compareEntryIds,
  onHandByKey,
  stockKey,
  type LedgerRow,
  type StockRow,
  type UsageRow,
} from '../../shared/projection';
import {
  DEVICES,
  fcOptions,
  ledgerArb,
  movementArb,
  plainEffect,
  reversalOf,
  smallPools,
  withUniqueIds,
} from './arbitraries';
import type { Undoable } from './arbitraries';
import { msg } from '../../shared/messages';

const idOf = (e: Entry) => `${e.device}.${e.seq}`;
const keyOf = (e: Entry) => `${e.hub}|${e.item}`;

/** Orders reversal ids the way every replica must: device id as a string, then sequence number as a number. */
function firstReversal(reversals: readonly Reversal[]): Reversal {
  return [...reversals].sort((a, b) =>
    a.device !== b.device ? (a.device < b.device ? -1 : 1) : a.seq - b.seq,
  )[0]!;
}

/** The order every replica agrees on for entry ids: device id as a string, then sequence number. */
const byId = (a: Entry, b: Entry) => (a.device !== b.device ? (a.device < b.device ? -1 : 1) : a.seq - b.seq);

/** The exclusive slot of an entry, written out from the schema's meaning (see entries.ts). */
function slotOf(e: Entry): string | undefined {
  if (e.kind === 'reversal') return `undo:${e.target}`;
  if (e.kind === 'transfer_in') return `in:${e.transfer}`;
  if (e.kind === 'transfer_out' && e.transfer) return `out:${e.transfer}`;
  return undefined;
}

/** The transfer a transfer entry belongs to. */
function rootOf(e: Entry): string | undefined {
  if (e.kind === 'transfer_request') return idOf(e);
  if (e.kind === 'transfer_out') return e.transfer ?? idOf(e);
  if (e.kind === 'transfer_in' || e.kind === 'transfer_resolve') return e.transfer;
  return undefined;
}

/**
 * The projection written out as a plain function of the SET of entries (so order cannot matter by
 * construction): an entry with an undo counts for nothing, and neither do its undos; of the live entries
 * that share a slot (concurrent receipts or sends of one transfer), only the first counts.
 */
function model(entries: readonly Entry[]): { stock: StockRow[]; ledger: LedgerRow[]; usage: UsageRow[] } {
  const byTarget = new Map<string, Reversal[]>();
  for (const e of entries)
    if (e.kind === 'reversal') byTarget.set(e.target, [...(byTarget.get(e.target) ?? []), e]);
  const undone = (e: Entry) => byTarget.has(idOf(e));
  const firstInSlot = new Map<string, Entry>();
  for (const e of [...entries].sort(byId)) {
    const slot = slotOf(e);
    if (e.kind !== 'reversal' && slot && !undone(e) && !firstInSlot.has(slot)) firstInSlot.set(slot, e);
  }
  const ledger: LedgerRow[] = entries.map((e) => {
    const undos = byTarget.get(idOf(e));
    const slot = slotOf(e);
    const root = rootOf(e);
    const counts = e.kind !== 'reversal' && !undos && (!slot || firstInSlot.get(slot) === e);
    return {
      ...e,
      id: idOf(e),
      applied: counts ? plainEffect(e as Undoable) : 0,
      ...(undos ? { reversedBy: idOf(firstReversal(undos)) } : {}),
      ...(slot ? { slot } : {}),
      ...(root ? { root } : {}),
    } as LedgerRow;
  });
  const stock = new Map<string, StockRow>();
  const usage = new Map<string, UsageRow>();
  for (const row of ledger) {
    const key = keyOf(row);
    const s = stock.get(key) ?? {
      key,
      hub: row.hub,
      item: row.item,
      onHand: 0,
      lots: {},
      lastCountAt: null,
      lastWarnAt: null,
      lastEntryAt: 0,
      entryCount: 0,
    };
    stock.set(key, s);
    s.onHand += row.applied;
    s.entryCount += 1;
    s.lastEntryAt = Math.max(s.lastEntryAt, row.at);
    if (row.kind === 'count') s.lastCountAt = Math.max(s.lastCountAt ?? -Infinity, row.at);
    if (row.kind === 'pickup' && row.belowZero) s.lastWarnAt = Math.max(s.lastWarnAt ?? -Infinity, row.at);
    if (row.kind === 'donation' && row.expiry && !row.reversedBy)
      s.lots[row.expiry] = (s.lots[row.expiry] ?? 0) + row.qty;
    // Usage: every entry a hub recorded on a day, and the units picked up (undone pickups not counted).
    const day = new Date(row.at).toISOString().slice(0, 10);
    const u = usage.get(`${row.hub}|${day}`) ?? {
      key: `${row.hub}|${day}`,
      hub: row.hub,
      day,
      entries: 0,
      pickups: {},
    };
    usage.set(u.key, u);
    u.entries += 1;
    if (row.kind === 'pickup' && !row.reversedBy) u.pickups[row.item] = (u.pickups[row.item] ?? 0) + row.qty;
  }
  for (const s of stock.values())
    for (const [day, q] of Object.entries(s.lots)) if (q === 0) delete s.lots[day];
  return sorted({ stock: [...stock.values()], ledger, usage: [...usage.values()] });
}

const byKey = <R extends { key: string }>(a: R, b: R) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function sorted(p: { stock: StockRow[]; ledger: LedgerRow[]; usage: UsageRow[] }) {
  return {
    stock: [...p.stock].sort(byKey),
    ledger: [...p.ledger].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    usage: [...p.usage].sort(byKey),
  };
}

function project(entries: readonly Entry[]) {
  const p = new Projector();
  for (const e of entries) p.apply(e);
  return {
    ...sorted({ stock: p.allStock(), ledger: p.allLedger(), usage: p.allUsage() }),
    problems: p.problems,
  };
}

const onHandOf = (map: Map<string, number>, key: string) => map.get(key) ?? 0;

/** A list together with a permutation of it. */
function withPermutation<T>(arb: fc.Arbitrary<T[]>): fc.Arbitrary<[T[], T[]]> {
  return arb.chain((xs) =>
    fc.tuple(fc.constant(xs), fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length })),
  );
}

const movementsArb = fc.array(movementArb(), { maxLength: 30 }).map((es) => withUniqueIds(es));

describe('Projector', () => {
  it('on-hand per hub|item is the sum of the effects, in any order of arrival', () => {
    fc.assert(
      fc.property(withPermutation(movementsArb), ([entries, shuffled]) => {
        const expected = new Map<string, number>();
        for (const e of entries) expected.set(keyOf(e), (expected.get(keyOf(e)) ?? 0) + plainEffect(e));
        expect(onHandByKey(shuffled)).toEqual(expected);
        const p = new Projector();
        for (const e of shuffled) p.apply(e);
        expect(new Map(p.allStock().map((r) => [r.key, r.onHand]))).toEqual(expected);
        expect(p.problems).toEqual([]);
      }),
      fcOptions(),
    );
  });

  it('gives the same stock, ledger and usage rows for any order, for every kind of entry, and matches the model', () => {
    fc.assert(
      fc.property(withPermutation(ledgerArb), ([entries, shuffled]) => {
        const a = project(entries);
        const b = project(shuffled);
        expect(b).toStrictEqual(a);
        expect({ stock: a.stock, ledger: a.ledger, usage: a.usage }).toStrictEqual(model(entries));
        expect(a.problems).toEqual([]);
      }),
      fcOptions(),
    );
  });

  it('untracked (a rebuild folding everything), then tracked: the same rows, and from then on the same changes', () => {
    fc.assert(
      fc.property(ledgerArb, fc.nat(), (entries, cut) => {
        const at = entries.length === 0 ? 0 : cut % (entries.length + 1);
        const tracked = new Projector();
        const quiet = new Projector().untracked();
        for (const e of entries.slice(0, at)) {
          tracked.apply(e);
          quiet.apply(e);
        }
        expect(quiet.takeChanges()).toEqual({ stock: [], ledger: [], usage: [] });
        tracked.takeChanges();
        quiet.trackFromHere();
        for (const e of entries.slice(at)) {
          tracked.apply(e);
          quiet.apply(e);
        }
        expect(sorted(quiet.takeChanges())).toStrictEqual(sorted(tracked.takeChanges()));
        const { problems, ...rows } = project(entries);
        expect(
          sorted({ stock: quiet.allStock(), ledger: quiet.allLedger(), usage: quiet.allUsage() }),
        ).toStrictEqual(rows);
        expect(quiet.problems).toEqual(problems);
      }),
      fcOptions(),
    );
  });

  it('the generated ledgers hold every kind of entry, concurrent receipts and undos of transfers', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(ledgerArb, (entries) => {
        for (const e of entries) {
          seen.add(e.kind);
          if (e.kind === 'reversal') seen.add(`undo of ${e.targetKind}`);
        }
        const receipts = entries.filter((e) => e.kind === 'transfer_in').map((e) => e.transfer);
        if (new Set(receipts).size < receipts.length) seen.add('concurrent receipts');
      }),
      fcOptions(),
    );
    for (const kind of [
      ...ENTRY_KINDS,
      'undo of transfer_request',
      'undo of transfer_out',
      'undo of transfer_in',
      'undo of pickup',
      'concurrent receipts',
    ])
      expect(seen, kind).toContain(kind);
  });

  it('undoing any entry restores the on-hand, expiry lots and daily pickups it had before', () => {
    fc.assert(
      fc.property(
        ledgerArb.filter((es) => es.some((e) => e.kind !== 'reversal')),
        fc.nat(),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (entries, pick, seq) => {
          // Only entries nobody undid yet can be undone.
          const undone = new Set(entries.flatMap((e) => (e.kind === 'reversal' ? [e.target] : [])));
          const candidates = entries.filter(
            (e): e is Exclude<Undoable, { kind: 'transfer_resolve' }> =>
              e.kind !== 'reversal' && e.kind !== 'transfer_resolve' && !undone.has(idOf(e)),
          );
          fc.pre(candidates.length > 0);
          const target = candidates[pick % candidates.length]!;
          const undo = undoEntry({ device: 'undodev', nextSeq: seq, now: Date.UTC(2026, 0, 1) }, target);
          const without = entries.filter((e) => e !== target);
          const after = onHandByKey([...entries, undo]);
          const before = onHandByKey(without);
          for (const key of new Set([...after.keys(), ...before.keys()]))
            expect(onHandOf(after, key), key).toBe(onHandOf(before, key));
          const lots = (es: Entry[]) => project(es).stock.find((r) => r.key === keyOf(target))?.lots ?? {};
          expect(lots([...entries, undo])).toEqual(lots(without));
          const pickups = (es: Entry[]) =>
            new Map(
              project(es)
                .usage.map((u) => [u.key, u.pickups] as const)
                .filter(([, p]) => Object.keys(p).length),
            );
          expect(pickups([...entries, undo])).toEqual(pickups(without));
          // The undo points at its target and carries the reversed effect.
          expect(undo).toMatchObject({ target: idOf(target), targetKind: target.kind });
          // `+ 0`: undoEntry writes -0 for an undo of a count that changed nothing (see commands.test.ts).
          expect(undo.effect + 0).toBe(0 - plainEffect(target));
        },
      ),
      fcOptions(),
    );
  });

  it('two concurrent undos of one entry count once, the same whichever arrives first', () => {
    fc.assert(
      fc.property(
        movementsArb.filter((es) => es.length > 0),
        fc.nat(),
        fc.uniqueArray(fc.constantFrom(...DEVICES, 'undoa', 'undob'), { minLength: 2, maxLength: 2 }),
        fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 2000 })),
        fc.nat(5),
        (entries, pick, [devA, devB], [seqA, seqB], order) => {
          const target = entries[pick % entries.length]!;
          // Sequence numbers above every used one, so the undos' ids are new.
          const r1 = reversalOf(target, devA!, 10_000 + seqA, Date.UTC(2026, 0, 1));
          const r2 = reversalOf(target, devB!, 10_000 + seqB, Date.UTC(2026, 0, 2));
          const canonicalId = compareEntryIds(idOf(r1), idOf(r2)) < 0 ? idOf(r1) : idOf(r2);
          // compareEntryIds must agree with the plain device-then-number order.
          expect(canonicalId).toBe(idOf(firstReversal([r1, r2])));
          const others = entries.filter((e) => e !== target);
          const three: Entry[] = [target, r1, r2];
          const perms = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
          ];
          const result = project([...others, ...perms[order]!.map((i) => three[i]!)]);
          const row = (id: string) => result.ledger.find((l) => l.id === id)!;
          const canonical = canonicalId === idOf(r1) ? r1 : r2;
          const repeat = canonical === r1 ? r2 : r1;
          // The target counts for nothing once undone; its undos carry no effect of their own.
          expect(row(idOf(target)).applied).toBe(0);
          expect(row(idOf(canonical)).applied).toBe(0);
          expect(row(idOf(repeat)).applied).toBe(0);
          expect(row(idOf(target)).reversedBy).toBe(canonicalId);
          const expected = onHandByKey(others);
          expect(result.stock.find((s) => s.key === keyOf(target))!.onHand).toBe(
            onHandOf(expected, keyOf(target)),
          );
          // Both arrival orders of the two undos give identical rows.
          const swapped = project([...others, target, r2, r1]);
          expect(swapped).toStrictEqual(project([...others, target, r1, r2]));
          expect(result).toStrictEqual(swapped);
        },
      ),
      fcOptions(),
    );
  });

  it('a count keeps the concurrent movements it did not see', () => {
    const scenarioArb = fc
      .record({
        start: movementsArb,
        hub: smallPools.hub,
        item: smallPools.item,
        counted: fc.integer({ min: 0, max: 500 }),
        moves: fc.array(
          fc.record({ donate: fc.boolean(), qty: fc.integer({ min: 1, max: 50 }), item: smallPools.item }),
          { maxLength: 8 },
        ),
      })
      .chain((s) => {
        const key = stockKey(s.hub, s.item);
        const at = Date.UTC(2026, 0, 1);
        const base = { hub: s.hub, at, recordedAt: at };
        // Device A counts what it saw; device B, concurrently, records movements A never saw.
        const count: Count = {
          kind: 'count',
          ...base,
          item: s.item,
          device: 'counter',
          seq: 1,
          counted: s.counted,
          seen: onHandOf(onHandByKey(s.start), key),
        };
        const xs: Entry[] = s.moves.map((m, i) =>
          m.donate
            ? {
                kind: 'donation',
                ...base,
                item: m.item,
                device: 'mover',
                seq: i + 1,
                qty: m.qty,
                source: 'other',
              }
            : { kind: 'pickup', ...base, item: m.item, device: 'mover', seq: i + 1, qty: m.qty },
        );
        const sumX = s.moves
          .filter((m) => m.item === s.item)
          .reduce((t, m) => t + (m.donate ? m.qty : -m.qty), 0);
        const later = [count, ...xs];
        return fc.record({
          start: fc.constant(s.start),
          later: fc.shuffledSubarray(later, { minLength: later.length, maxLength: later.length }),
          key: fc.constant(key),
          expected: fc.constant(s.counted + sumX),
        });
      });
    fc.assert(
      fc.property(scenarioArb, ({ start, later, key, expected }) => {
        expect(onHandOf(onHandByKey([...start, ...later]), key)).toBe(expected);
        // Interleaved with the entries of the start state, too.
        expect(onHandOf(onHandByKey([...later, ...start]), key)).toBe(expected);
      }),
      fcOptions(),
    );
  });

  it('projecting in batches on snapshots of the touched rows equals one projection of everything', () => {
    fc.assert(
      fc.property(
        withPermutation(ledgerArb),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        ([entries, shuffled], sizes) => {
          const stored = applyInBatches(shuffled, sizes);
          const whole = project(entries);
          expect(stored.problems).toEqual([]);
          expect({ stock: stored.stock, ledger: stored.ledger, usage: stored.usage }).toStrictEqual({
            stock: whole.stock,
            ledger: whole.ledger,
            usage: whole.usage,
          });
        },
      ),
      fcOptions(),
    );
  });

  it('reports an entry that arrives twice and ignores the second copy, also across batches', () => {
    const e: Donation = {
      kind: 'donation',
      hub: 'hub1',
      device: 'deva',
      seq: 1,
      item: 'itma',
      at: Date.UTC(2025, 0, 1),
      recordedAt: Date.UTC(2025, 0, 1),
      qty: 5,
      source: 'other',
    };
    const forged: Donation = { ...e, qty: 500 };
    const p = new Projector();
    p.apply(e);
    p.apply(forged);
    expect(p.problems).toEqual([{ id: 'deva.1', reason: msg('entry.duplicate', { id: 'deva.1' }) }]);
    expect(p.allStock()[0]).toMatchObject({ onHand: 5, entryCount: 1 });
    expect(p.allLedger()).toEqual([{ ...e, id: 'deva.1', applied: 5 }]);
    const later = applyInBatches([e, forged], [1]);
    expect(later.problems).toHaveLength(1);
    expect(later.stock[0]).toMatchObject({ onHand: 5, entryCount: 1 });
  });

  it('keeps lots, last count and last warning per hub|item', () => {
    const at = (day: number) => Date.UTC(2025, 0, day);
    const base = { hub: 'hub1', item: 'itma', recordedAt: at(20) };
    const entries: Entry[] = [
      {
        kind: 'donation',
        ...base,
        device: 'deva',
        seq: 1,
        at: at(1),
        qty: 5,
        source: 'other',
        expiry: '2026-01-10',
      },
      {
        kind: 'donation',
        ...base,
        device: 'deva',
        seq: 2,
        at: at(2),
        qty: 10,
        source: 'other',
        expiry: '2026-03-01',
      },
      {
        kind: 'donation',
        ...base,
        device: 'deva',
        seq: 3,
        at: at(3),
        qty: 4,
        source: 'other',
        expiry: '2026-01-10',
      },
      { kind: 'pickup', ...base, device: 'devb', seq: 1, at: at(5), qty: 30, belowZero: true },
      { kind: 'count', ...base, device: 'devb', seq: 2, at: at(4), counted: 7, seen: 3 },
      { kind: 'pickup', ...base, device: 'devb', seq: 3, at: at(6), qty: 1 },
    ];
    const undo = reversalOf(entries[0] as Donation, 'devc', 1, at(7));
    const p = new Projector();
    for (const e of [...entries, undo]) p.apply(e);
    expect(p.allStock()).toEqual([
      {
        key: 'hub1|itma',
        hub: 'hub1',
        item: 'itma',
        // 5 + 10 + 4 - 30 + (7 - 3) - 1 - 5
        onHand: -13,
        lots: { '2026-01-10': 4, '2026-03-01': 10 },
        lastCountAt: at(4),
        lastWarnAt: at(5),
        lastEntryAt: at(7),
        entryCount: 7,
      },
    ]);
  });

  it('lists the rows an incremental update needs', () => {
    const d: Donation = {
      kind: 'donation',
      hub: 'hub1',
      device: 'deva',
      seq: 3,
      item: 'itma',
      at: Date.UTC(2025, 0, 1),
      recordedAt: Date.UTC(2025, 0, 1),
      qty: 5,
      source: 'other',
    };
    const r = reversalOf({ ...d, seq: 1 }, 'devb', 9, d.at);
    const need = Projector.lookups([d, r]);
    expect(new Set(need.stockKeys)).toEqual(new Set(['hub1|itma']));
    expect(new Set(need.entryIds)).toEqual(new Set(['deva.3', 'devb.9', 'deva.1']));
    expect(new Set(need.slots)).toEqual(new Set(['undo:deva.3', 'undo:devb.9', 'undo:deva.1']));
  });
});

describe('compareEntryIds', () => {
  it.each([
    ['deva.9', 'deva.10', -1],
    ['deva.10', 'deva.9', 1],
    ['deva.100', 'devb.1', -1],
    ['devb.1', 'deva.100', 1],
    ['dev1.5', 'deva.5', -1],
    ['deva.5', 'deva.5', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareEntryIds(a, b))).toBe(sign);
  });

  it('is a total order consistent with device-then-number', () => {
    const idArb = fc
      .tuple(fc.constantFrom(...DEVICES, 'dev', 'deva0', 'zzzz'), fc.integer({ min: 1, max: 2 ** 31 - 1 }))
      .map(([d, n]) => ({ d, n, id: `${d}.${n}` }));
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        const expected = a.d !== b.d ? (a.d < b.d ? -1 : 1) : Math.sign(a.n - b.n);
        expect(Math.sign(compareEntryIds(a.id, b.id))).toBe(expected);
        expect(Math.sign(compareEntryIds(b.id, a.id))).toBe(-expected || 0);
      }),
      fcOptions(),
    );
  });
});

// Entries no honest device writes (undoEntry copies hub and item from its target, and refuses to undo an
// undo), but a faulty or hostile peer can: replicas then disagree, or the incremental path differs from a
// rebuild. Flip `it.fails` to `it` once fixed; see the report.
describe('regressions with forged entries', () => {
  const at = Date.UTC(2025, 0, 1);
  const d: Donation = {
    kind: 'donation',
    hub: 'hub1',
    device: 'deva',
    seq: 1,
    item: 'itma',
    at,
    recordedAt: at,
    qty: 5,
    source: 'other',
  };

  it('an undo of an undo marks its target the same way in every arrival order', () => {
    const r1 = reversalOf(d, 'devb', 1, at);
    const r2: Reversal = { ...reversalOf(d, 'devc', 1, at), target: 'devb.1' };
    expect(project([r2, d, r1]).ledger).toStrictEqual(project([d, r1, r2]).ledger);
  });

  it('an undo recorded for another hub or item never counts, and is reported', () => {
    for (const other of [{ hub: 'hub2' }, { item: 'itmb' }]) {
      const cross: Reversal = { ...reversalOf(d, 'devb', 1, at), ...other };
      for (const order of [
        [d, cross],
        [cross, d],
      ]) {
        const result = project(order);
        expect(result.stock.find((r) => r.key === 'hub1|itma')!.onHand).toBe(5);
        expect(result.ledger.find((r) => r.id === 'deva.1')!.reversedBy).toBeUndefined();
        expect(result.problems).toEqual([
          { id: 'devb.1', reason: msg('entry.undoesOther', { id: 'devb.1', target: 'deva.1' }) },
        ]);
      }
    }
  });

  it('an undo of an undo changes nothing, and is reported', () => {
    const r1 = reversalOf(d, 'devb', 1, at);
    const r2: Reversal = { ...reversalOf(d, 'devc', 1, at), target: 'devb.1' };
    const result = project([d, r1, r2]);
    expect(result.stock[0]!.onHand).toBe(0);
    expect(result.problems).toEqual([{ id: 'devc.1', reason: msg('entry.undoesUndo', { id: 'devc.1' }) }]);
  });

  it('an incremental update matches a rebuild when two undos of one entry name different items', () => {
    const r1 = reversalOf(d, 'devb', 1, at);
    const r2: Reversal = { ...reversalOf(d, 'devc', 1, at), hub: 'hub2', item: 'itmb' };
    const stored = applyInBatches([d, r2, r1], [2, 1]);
    expect(stored.stock).toStrictEqual(project([d, r2, r1]).stock);
  });
});

/**
 * Projects entries batch by batch the way persistence.ts does: each batch gets a fresh Projector seeded with
 * only the stored rows `Projector.lookups` asks for (ledger rows by id and by slot, then the other members
 * of those rows' slots, and the stock and usage rows they touch), and the rows it reports as changed are
 * written back (cloned, as IndexedDB would).
 */
function applyInBatches(entries: readonly Entry[], sizes: readonly number[]) {
  const stock = new Map<string, StockRow>();
  const ledger = new Map<string, LedgerRow>();
  const usage = new Map<string, UsageRow>();
  const problems: unknown[] = [];
  const inSlots = (slots: readonly string[]) => {
    const wanted = new Set(slots);
    return [...ledger.values()].filter((row) => row.slot !== undefined && wanted.has(row.slot));
  };
  for (let i = 0, k = 0; i < entries.length; k++) {
    const batch = entries.slice(i, i + sizes[k % sizes.length]!);
    i += batch.length;
    const need = Projector.lookups(batch);
    const snapshotLedger = new Map<string, LedgerRow>();
    for (const id of need.entryIds) {
      const row = ledger.get(id);
      if (row) snapshotLedger.set(id, structuredClone(row));
    }
    for (const row of inSlots(need.slots)) snapshotLedger.set(row.id, structuredClone(row));
    const asked = new Set(need.slots);
    const moreSlots = Projector.slotsOf(snapshotLedger.values()).filter((slot) => !asked.has(slot));
    for (const row of inSlots(moreSlots)) snapshotLedger.set(row.id, structuredClone(row));
    const stockKeys = new Set([...need.stockKeys, ...Projector.stockKeysOf(snapshotLedger.values())]);
    const usageKeys = new Set([...need.usageKeys, ...Projector.usageKeysOf(snapshotLedger.values())]);
    const load = <R>(map: Map<string, R>, keys: Set<string>) =>
      [...keys].flatMap((key) => (map.has(key) ? [structuredClone(map.get(key)!)] : []));
    const projector = new Projector({
      stock: load(stock, stockKeys),
      ledger: snapshotLedger.values(),
      usage: load(usage, usageKeys),
    });
    for (const e of batch) projector.apply(e);
    const changes = projector.changes();
    for (const row of changes.stock) stock.set(row.key, structuredClone(row));
    for (const row of changes.ledger) ledger.set(row.id, structuredClone(row));
    for (const row of changes.usage) usage.set(row.key, structuredClone(row));
    problems.push(...projector.problems);
  }
  return {
    ...sorted({ stock: [...stock.values()], ledger: [...ledger.values()], usage: [...usage.values()] }),
    problems,
  };
}

describe('the rows an incremental update loads from what is stored', () => {
  const day = (d: number) => Date.UTC(2026, 2, d, 12);
  const base = { hub: 'hub1', item: 'itma', recordedAt: day(1) };
  const pickup: Pickup = { kind: 'pickup', ...base, device: 'deva', seq: 1, at: day(1), qty: 3 };
  const donation: Donation = {
    kind: 'donation',
    ...base,
    device: 'deva',
    seq: 2,
    at: day(1),
    qty: 9,
    source: 'other',
  };

  it('undoing yesterday’s pickup today takes it out of yesterday’s use, keeping yesterday’s entries', () => {
    const undo = reversalOf(pickup, 'devb', 1, day(2));
    const entries = [donation, pickup, undo];
    const stored = applyInBatches(entries, [2, 1]);
    const rebuilt = project(entries);
    expect(stored.usage).toStrictEqual(rebuilt.usage);
    // What days of cover reads: on the 1st two entries and no pickups left, on the 2nd the undo alone.
    expect(rebuilt.usage.map((r) => [r.day, r.entries, r.pickups])).toEqual([
      ['2026-03-01', 2, {}],
      ['2026-03-02', 1, {}],
    ]);
    expect(stored.stock).toStrictEqual(rebuilt.stock);
  });

  it('two hubs’ pickups at the same moment, one after the other, each in its own hub’s rows; a row looked up just before tracking starts is noted when looked up again', () => {
    const at = day(3);
    const here: Pickup = { ...pickup, seq: 10, at, recordedAt: at };
    const there: Pickup = { ...here, hub: 'hub2', device: 'devb' };
    const p = new Projector();
    p.apply(here);
    p.apply(there);
    expect(sorted(p.changes()).usage.map((r) => [r.hub, r.day, r.entries, r.pickups])).toEqual([
      ['hub1', '2026-03-03', 1, { itma: 3 }],
      ['hub2', '2026-03-03', 1, { itma: 3 }],
    ]);
    expect(sorted(p.changes()).stock.map((r) => [r.hub, r.onHand])).toEqual([
      ['hub1', -3],
      ['hub2', -3],
    ]);
    const q = new Projector().untracked();
    q.apply(here);
    q.trackFromHere();
    q.apply({ ...here, seq: 11 });
    const changes = q.takeChanges();
    expect(changes.usage.map((r) => [r.hub, r.day, r.entries])).toEqual([['hub1', '2026-03-03', 2]]);
    expect(changes.stock.map((r) => [r.hub, r.onHand])).toEqual([['hub1', -6]]);
  });

  it('asks the second round only for the slots a receipt or send shares, never an undo’s or a plain entry’s', () => {
    const receipt: Entry = {
      kind: 'transfer_in',
      ...base,
      device: 'deva',
      seq: 3,
      at: day(1),
      qty: 4,
      from: 'hub2',
      transfer: 'devc.1',
    };
    const undo = reversalOf(donation, 'devb', 1, day(2));
    const p = new Projector();
    for (const e of [donation, receipt, undo]) p.apply(e);
    expect(p.allLedger().find((r) => r.id === 'devb.1')?.slot).toBe('undo:deva.2');
    expect(Projector.slotsOf(p.allLedger())).toEqual(['in:devc.1']);
  });

  it('undoing a receipt hands the transfer to the other receipt even when it names another hub', () => {
    const receipt = (device: string, hub: string): Entry => ({
      kind: 'transfer_in',
      ...base,
      hub,
      device,
      seq: 1,
      at: day(1),
      qty: 4,
      from: 'hub2',
      transfer: 'devz.1',
    });
    const first = receipt('deva', 'hub1');
    const other = receipt('devc', 'hub3');
    const undo: Reversal = {
      kind: 'reversal',
      ...base,
      device: 'devb',
      seq: 1,
      at: day(2),
      target: 'deva.1',
      targetKind: 'transfer_in',
      effect: -4,
      targetAt: day(1),
    };
    const entries = [first, other, undo];
    const stored = applyInBatches(entries, [2, 1]);
    const rebuilt = project(entries);
    expect(rebuilt.stock.map((r) => [r.key, r.onHand, r.entryCount])).toEqual([
      ['hub1|itma', 0, 2],
      ['hub3|itma', 4, 1],
    ]);
    expect(stored.stock).toStrictEqual(rebuilt.stock);
  });

  it('takes a snapshot without usage rows as holding none', () => {
    const p = new Projector({ stock: [], ledger: [] });
    p.apply(donation);
    expect(p.allUsage()).toEqual([
      { key: 'hub1|2026-03-01', hub: 'hub1', day: '2026-03-01', entries: 1, pickups: {} },
    ]);
  });
});
