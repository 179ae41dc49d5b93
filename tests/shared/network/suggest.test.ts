import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMoves, arrivingFrom, suggestMoves, type Move, type Position } from '../../../shared/network';
import { compareIds, movesToShow } from '../../../shared/network/suggest';
import { fcOptions } from './fc';

const L = (min: number, target: number) => ({ min, target });
const pos = (hub: string, onHand: number, levels?: { min: number; target: number }, more = {}): Position => ({
  hub,
  item: 'rice',
  onHand,
  ...(levels ? { levels } : {}),
  stale: false,
  ...more,
});

describe('suggestMoves: examples', () => {
  it('brings a short hub up to its minimum from a hub above target', () => {
    expect(suggestMoves([pos('a', 2, L(10, 20)), pos('b', 50, L(5, 30))])).toEqual([
      { item: 'rice', from: 'b', to: 'a', qty: 8 },
    ]);
  });

  it('takes a giver no lower than its target, even if the shortage stays', () => {
    expect(suggestMoves([pos('a', 0, L(10, 20)), pos('b', 33, L(5, 30))])).toEqual([
      { item: 'rice', from: 'b', to: 'a', qty: 3 },
    ]);
  });

  it('serves the largest need first, then takes from the largest surplus first', () => {
    const moves = suggestMoves([
      pos('small', 8, L(10, 20)), // needs 2
      pos('big', 1, L(10, 20)), // needs 9
      pos('g1', 24, L(5, 20)), // spares 4
      pos('g2', 26, L(5, 20)), // spares 6
    ]);
    expect(moves).toEqual([
      { item: 'rice', from: 'g2', to: 'big', qty: 6 },
      { item: 'rice', from: 'g1', to: 'big', qty: 3 },
      { item: 'rice', from: 'g1', to: 'small', qty: 1 },
    ]);
  });

  it('breaks ties by hub id', () => {
    const moves = suggestMoves([
      pos('hubd', 5, L(10, 10)),
      pos('hubc', 5, L(10, 10)),
      pos('hubb', 15, L(0, 10)),
      pos('huba', 15, L(0, 10)),
    ]);
    expect(moves).toEqual([
      { item: 'rice', from: 'huba', to: 'hubc', qty: 5 },
      { item: 'rice', from: 'hubb', to: 'hubd', qty: 5 },
    ]);
  });

  it('leaves stale hubs out, as givers and as receivers', () => {
    expect(suggestMoves([pos('a', 0, L(10, 20)), pos('b', 90, L(5, 30), { stale: true })])).toEqual([]);
    expect(suggestMoves([pos('a', 0, L(10, 20), { stale: true }), pos('b', 90, L(5, 30))])).toEqual([]);
  });

  it('does not take from a hub that will run out within 3 days', () => {
    const short = pos('a', 0, L(10, 20));
    expect(suggestMoves([short, pos('b', 90, L(5, 30), { cover: 2 })])).toEqual([]);
    expect(suggestMoves([short, pos('b', 90, L(5, 30), { cover: 4 })])).toHaveLength(1);
  });

  it('sends a hub with a negative figure its minimum, not more', () => {
    expect(suggestMoves([pos('a', -7, L(10, 20)), pos('b', 90, L(5, 30))])).toEqual([
      { item: 'rice', from: 'b', to: 'a', qty: 10 },
    ]);
  });

  it('ignores hubs without levels and keeps at least the minimum when levels are inverted', () => {
    expect(suggestMoves([pos('a', 0, L(10, 20)), pos('b', 90)])).toEqual([]);
    expect(suggestMoves([pos('a', 0, L(10, 20)), pos('b', 14, L(12, 8))])).toEqual([
      { item: 'rice', from: 'b', to: 'a', qty: 2 },
    ]);
  });

  it('moves whole units only', () => {
    expect(suggestMoves([pos('a', 2.5, L(10, 20)), pos('b', 30.9, L(5, 20))])).toEqual([
      { item: 'rice', from: 'b', to: 'a', qty: 7 },
    ]);
  });

  it('lists items in id order and never moves stock between items', () => {
    const moves = suggestMoves([
      { ...pos('a', 0, L(4, 4)), item: 'soap' },
      { ...pos('b', 10, L(4, 4)), item: 'soap' },
      pos('a', 20, L(4, 4)),
      pos('b', 0, L(4, 4)),
    ]);
    expect(moves).toEqual([
      { item: 'rice', from: 'a', to: 'b', qty: 4 },
      { item: 'soap', from: 'b', to: 'a', qty: 4 },
    ]);
  });

  it('counts stock already on its way to a short hub: no second move for the same shortage', () => {
    const positions = [pos('a', 2, L(10, 20)), pos('b', 50, L(5, 30))];
    const sent = (qty: number, to = 'a') => arrivingFrom([{ item: 'rice', qty, from: 'b', to }]);
    expect(suggestMoves(positions, sent(8))).toEqual([]);
    expect(suggestMoves(positions, sent(20))).toEqual([]);
    expect(suggestMoves(positions, sent(5))).toEqual([{ item: 'rice', from: 'b', to: 'a', qty: 3 }]);
    // Stock on its way elsewhere, or of another item, changes nothing here.
    expect(suggestMoves(positions, sent(8, 'c'))).toEqual([{ item: 'rice', from: 'b', to: 'a', qty: 8 }]);
    expect(
      suggestMoves(
        positions,
        arrivingFrom([
          { item: 'bean', qty: 8, to: 'a' },
          { item: 'rice', qty: 3 },
        ]),
      ),
    ).toEqual([{ item: 'rice', from: 'b', to: 'a', qty: 8 }]);
  });

  it('counts only what is really on its way: not a transfer without a destination, nor one received in full or over', () => {
    const positions = [pos('a', 2, L(10, 20)), pos('b', 50, L(5, 30))];
    // Two transfers to a: 5 still on the way, and one received 3 over what was sent (−3 in transit).
    const transit = [
      { item: 'rice', qty: 5, from: 'b', to: 'a' },
      { item: 'rice', qty: -3, from: 'c', to: 'a' },
      { item: 'rice', qty: 0, from: 'c', to: 'a' },
      { item: 'rice', qty: 4, from: 'b' },
    ];
    expect(arrivingFrom(transit)).toEqual(new Map([['a|rice', 5]]));
    expect(suggestMoves(positions, arrivingFrom(transit))).toEqual([
      { item: 'rice', from: 'b', to: 'a', qty: 3 },
    ]);
    expect(arrivingFrom([...transit, { item: 'rice', qty: 2, from: 'c', to: 'a' }])).toEqual(
      new Map([['a|rice', 7]]),
    );
  });

  it('rejects two positions for the same hub and item', () => {
    expect(() => suggestMoves([pos('a', 1, L(4, 4)), pos('a', 2, L(4, 4))])).toThrow(/Two positions/);
  });

  it('applyMoves moves the stock and rejects unknown positions', () => {
    const after = applyMoves(
      [pos('a', 2, L(10, 20)), pos('b', 50)],
      [{ item: 'rice', from: 'b', to: 'a', qty: 8 }],
    );
    expect(after.map((p) => p.onHand)).toEqual([10, 42]);
    expect(() => applyMoves([pos('a', 2)], [{ item: 'rice', from: 'z', to: 'a', qty: 1 }])).toThrow(
      'No position for hub z and item rice',
    );
  });

  it('orders ids by code unit whatever the locale, and gives 0 only for the same id', () => {
    expect([compareIds('hub2', 'hub10'), compareIds('hub10', 'hub2'), compareIds('hub2', 'hub2')]).toEqual([
      1, -1, 0,
    ]);
    expect(compareIds('Z', 'a')).toBe(-1);
  });
});

const HUBS = ['hub1', 'hub2', 'hub3', 'hub4', 'hub5', 'hub6'];
const ITEMS = ['itma', 'itmb', 'itmc'];

const levelsArb = fc
  .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 40 }))
  .map(([min, extra]) => ({ min, target: min + extra }));

/**
 * Mostly with levels (a hub without levels neither gives nor receives), on hand spread around the
 * levels so hubs are often short or in surplus, a quarter stale, cover often unknown.
 */
const positionArb: fc.Arbitrary<Position> = fc
  .record({
    hub: fc.constantFrom(...HUBS),
    item: fc.constantFrom(...ITEMS),
    levels: levelsArb,
    hasLevels: fc.integer({ min: 0, max: 5 }).map((n) => n > 0),
    offset: fc.integer({ min: -50, max: 60 }),
    stale: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    cover: fc.option(fc.option(fc.integer({ min: 0, max: 300 }).map((n) => n / 10)), { nil: undefined }),
  })
  .map(({ hub, item, levels, hasLevels, offset, stale, cover }) => ({
    hub,
    item,
    onHand: Math.max(-10, (offset < 0 ? levels.min : levels.target) + offset),
    stale,
    ...(hasLevels ? { levels } : {}),
    ...(cover !== undefined ? { cover } : {}),
  }));

const positionsArb = fc.uniqueArray(positionArb, {
  selector: (p) => `${p.hub}|${p.item}`,
  minLength: 2,
  maxLength: 18,
  size: 'max',
});

const key = (hub: string, item: string) => `${hub}|${item}`;
const received = (moves: readonly Move[], hub: string, item: string) =>
  moves.filter((m) => m.to === hub && m.item === item).reduce((s, m) => s + m.qty, 0);
const given = (moves: readonly Move[], hub: string, item: string) =>
  moves.filter((m) => m.from === hub && m.item === item).reduce((s, m) => s + m.qty, 0);

describe('suggestMoves: properties', () => {
  it('never takes a giver below its target', () => {
    fc.assert(
      fc.property(positionsArb, (positions) => {
        const moves = suggestMoves(positions);
        const after = new Map(applyMoves(positions, moves).map((p) => [key(p.hub, p.item), p.onHand]));
        for (const p of positions) {
          if (given(moves, p.hub, p.item) === 0) continue;
          expect(p.levels).toBeDefined();
          expect(after.get(key(p.hub, p.item))).toBeGreaterThanOrEqual(p.levels!.target);
        }
      }),
      fcOptions,
    );
  });

  it('never fills a hub beyond its minimum, and only a hub below it receives', () => {
    fc.assert(
      fc.property(positionsArb, (positions) => {
        const moves = suggestMoves(positions);
        for (const p of positions) {
          const r = received(moves, p.hub, p.item);
          if (r === 0) continue;
          expect(p.onHand).toBeLessThan(p.levels!.min);
          expect(r).toBeLessThanOrEqual(p.levels!.min - p.onHand);
          expect(given(moves, p.hub, p.item)).toBe(0);
        }
      }),
      fcOptions,
    );
  });

  it('never sends a hub more than its minimum minus what is already on its way to it', () => {
    const arrivingArb = fc.array(
      fc.record({
        item: fc.constantFrom(...ITEMS),
        qty: fc.integer({ min: 1, max: 40 }),
        to: fc.constantFrom(...HUBS),
      }),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(positionsArb, arrivingArb, (positions, inTransit) => {
        const arriving = arrivingFrom(inTransit);
        const moves = suggestMoves(positions, arriving);
        for (const p of positions) {
          const r = received(moves, p.hub, p.item);
          if (r === 0) continue;
          const onItsWay = arriving.get(key(p.hub, p.item)) ?? 0;
          expect(r).toBeLessThanOrEqual(p.levels!.min - Math.max(0, p.onHand) - onItsWay);
        }
      }),
      fcOptions,
    );
  });

  it('conserves stock: per item, the total on hand is the same after the moves', () => {
    fc.assert(
      fc.property(positionsArb, (positions) => {
        const after = applyMoves(positions, suggestMoves(positions));
        for (const item of ITEMS) {
          const total = (ps: readonly Position[]) =>
            ps.filter((p) => p.item === item).reduce((s, p) => s + p.onHand, 0);
          expect(total(after)).toBe(total(positions));
        }
      }),
      fcOptions,
    );
  });

  it('never involves a stale hub, nor a giver running out within 3 days', () => {
    fc.assert(
      fc.property(positionsArb, (positions) => {
        const byKey = new Map(positions.map((p) => [key(p.hub, p.item), p]));
        for (const m of suggestMoves(positions)) {
          const from = byKey.get(key(m.from, m.item))!;
          const to = byKey.get(key(m.to, m.item))!;
          expect(from.stale).toBe(false);
          expect(to.stale).toBe(false);
          expect(from.cover == null || from.cover > 3).toBe(true);
          expect(m.from).not.toBe(m.to);
        }
      }),
      fcOptions,
    );
  });

  it('moves positive whole units', () => {
    fc.assert(
      fc.property(positionsArb, (positions) => {
        for (const m of suggestMoves(positions)) {
          expect(Number.isInteger(m.qty)).toBe(true);
          expect(m.qty).toBeGreaterThan(0);
        }
      }),
      fcOptions,
    );
  });

  it('leaves no shortage that a remaining surplus could cover', () => {
    fc.assert(
      fc.property(positionsArb, (positions) => {
        const moves = suggestMoves(positions);
        const after = applyMoves(positions, moves);
        for (const item of ITEMS) {
          const fresh = (ps: readonly Position[]) =>
            ps.filter((p) => p.item === item && !p.stale && p.levels);
          // A negative figure counts as an empty shelf: the hub is owed its minimum.
          const stillShort = fresh(positions).some(
            (p) => received(moves, p.hub, item) < p.levels!.min - Math.max(0, p.onHand),
          );
          const canSpare = fresh(after).some(
            (p) => (p.cover == null || p.cover > 3) && p.onHand > Math.max(p.levels!.target, p.levels!.min),
          );
          expect(stillShort && canSpare).toBe(false);
        }
      }),
      fcOptions,
    );
  });

  it('is deterministic: the same positions in any order give the same moves', () => {
    const shuffled = positionsArb.chain((ps) =>
      fc.tuple(fc.constant(ps), fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length })),
    );
    fc.assert(
      fc.property(shuffled, ([positions, reordered]) => {
        expect(suggestMoves(reordered)).toEqual(suggestMoves(positions));
      }),
      fcOptions,
    );
  });
});

describe('suggestMoves: the generated networks', () => {
  it('often need moves, so the properties above are not vacuous', () => {
    const samples = fc.sample(positionsArb, fcOptions);
    const withMoves = samples.filter((ps) => suggestMoves(ps).length > 0).length;
    expect(withMoves / samples.length).toBeGreaterThan(0.4);
  });
});

describe('movesToShow', () => {
  const m = (item: string, from: string, to: string, qty = 1): Move => ({ item, from, to, qty });
  const order = [{ item: 'soap' }, { item: 'rice' }, { item: 'beans' }];

  it('puts the moves in the items table’s order, keeping each item’s own order', () => {
    const moves = [m('rice', 'a', 'b', 5), m('beans', 'a', 'c'), m('soap', 'c', 'b'), m('rice', 'c', 'd', 2)];
    expect(movesToShow(moves, order, [])).toEqual([
      m('soap', 'c', 'b'),
      m('rice', 'a', 'b', 5),
      m('rice', 'c', 'd', 2),
      m('beans', 'a', 'c'),
    ]);
  });

  it('puts an item the table does not list last', () => {
    expect(movesToShow([m('tea', 'a', 'b'), m('beans', 'a', 'b')], order, [])).toEqual([
      m('beans', 'a', 'b'),
      m('tea', 'a', 'b'),
    ]);
  });

  it('leaves out a move of an item already asked for or on its way to that hub, from anywhere', () => {
    const moves = [m('rice', 'a', 'b'), m('rice', 'a', 'c'), m('soap', 'a', 'b'), m('beans', 'c', 'b')];
    const transfers = [
      { item: 'rice', to: 'b', status: 'requested' },
      { item: 'soap', to: 'b', status: 'in transit' },
      // Done, cancelled or to settle: the move is suggested again.
      { item: 'beans', to: 'b', status: 'received' },
      { item: 'beans', to: 'b', status: 'cancelled' },
      { item: 'beans', to: 'b', status: 'discrepancy' },
      { item: 'rice', to: 'c', status: 'settled' },
    ];
    expect(movesToShow(moves, order, transfers)).toEqual([m('rice', 'a', 'c'), m('beans', 'c', 'b')]);
  });

  it('does not reorder the moves it was given', () => {
    const moves = [m('beans', 'a', 'b'), m('soap', 'a', 'b')];
    movesToShow(moves, order, []);
    expect(moves).toEqual([m('beans', 'a', 'b'), m('soap', 'a', 'b')]);
  });
});
