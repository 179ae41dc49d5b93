import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  afterNextFrame,
  firstOfGroups,
  firstRows,
  FIRST_ROWS,
  MORE_ROWS,
  MOST_ROWS,
  nextStep,
  shownNow,
  shorter,
  stepAfter,
  type ShownRows,
} from '../../renderer/app/slices';
import { fcOptions } from '../shared/arbitraries';

const groupsArb = fc.array(
  fc.record({ name: fc.string({ maxLength: 4 }), lines: fc.array(fc.nat(99), { maxLength: 8 }) }),
  { maxLength: 8 },
);

describe('firstOfGroups', () => {
  it('shows the first rows of the groups taken in order, as firstRows shows the first of one list', () => {
    fc.assert(
      fc.property(groupsArb, fc.nat(60), (groups, shown) => {
        const kept = firstOfGroups(groups, shown);
        const all = groups.flatMap((g) => g.lines);
        expect(kept.flatMap((g) => g.lines)).toEqual(firstRows(all, shown));
        // Each kept group is a group of the list, in the list's order, with its own name.
        expect(kept.map((g) => g.name)).toEqual(groups.slice(0, kept.length).map((g) => g.name));
        // A group is cut only where the count runs out: every one but the last is whole.
        kept.slice(0, -1).forEach((g, i) => expect(g.lines).toEqual(groups[i]!.lines));
        // A group shown whole is the group itself, not a copy (its memoized rows are not rendered again).
        kept.forEach((g, i) => {
          if (g.lines.length === groups[i]!.lines.length) expect(g).toBe(groups[i]);
        });
      }),
      fcOptions(),
    );
  });

  it('shows every group as it is once all are shown', () => {
    const groups = [
      { name: 'Baby', lines: [1, 2] },
      { name: 'Food', lines: [3] },
    ];
    expect(firstOfGroups(groups, Infinity)).toBe(groups);
    expect(firstOfGroups(groups, 2)).toEqual([{ name: 'Baby', lines: [1, 2] }]);
    expect(firstOfGroups(groups, 1)).toEqual([{ name: 'Baby', lines: [1] }]);
    expect(firstOfGroups(groups, 0)).toEqual([]);
  });
});

describe('useShownRows: its steps (shownNow, nextStep)', () => {
  /**
   * A table whose list changes between its frames (`lists`: each change, the list's length and which list it
   * is), drawn as the hook draws it: each render shows `shownNow`, and each frame takes one step while not all
   * are shown. Gives how many rows each render added to the page, and whether all ended up shown.
   */
  function drawn(lists: { total: number; list: string; frames: number }[]) {
    let state: ShownRows = { shown: FIRST_ROWS, restartOn: lists[0]?.list };
    let before = 0;
    const added: number[] = [];
    /** The rows on the page before each render. */
    const onPage: number[] = [];
    let shown = 0;
    for (const { total, list, frames } of lists)
      for (let f = 0; f <= frames; f++) {
        shown = shownNow(state, total, FIRST_ROWS, list);
        const rows = Math.min(shown, total);
        // A new list's rows are new rows (another hub's); the same list's are added to those on the page.
        const same = Object.is(state.restartOn, list);
        onPage.push(same ? before : 0);
        added.push(same ? Math.max(0, rows - before) : rows);
        before = rows;
        if (shown !== Infinity) state = nextStep(shown, total, list);
        else state = shorter(state, total) ?? state;
      }
    return { added, before: onPage, allShown: shown === Infinity || shown >= lists.at(-1)!.total };
  }

  it('adds no more than a step of rows at a time, however the list grows, and shows them all in the end', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            total: fc.nat(5_000),
            list: fc.constantFrom('own hub', 'another hub'),
            frames: fc.nat(400),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (lists) => {
          const { added, before, allShown } = drawn([...lists, { ...lists.at(-1)!, frames: 400 }]);
          // A render adds the first rows, or a step after those on the page (a tenth of them, 25 at least,
          // 100 at the most),
          // and up to a step more that the list grew by meanwhile.
          added.forEach((n, i) =>
            expect(n).toBeLessThanOrEqual(Math.max(FIRST_ROWS, stepAfter(before[i]!)) + MORE_ROWS),
          );
          expect(allShown).toBe(true);
        },
      ),
      fcOptions(),
    );
  });

  it('goes on a step at a time when an empty list, all shown, becomes a new device’s 3,600 items', () => {
    const { added } = drawn([
      { total: 0, list: 'own hub', frames: 3 },
      { total: 3_600, list: 'own hub', frames: 200 },
    ]);
    const steps = added.filter((n) => n > 0);
    // 30 rows, then 25 a step up to 280 on the page, then a tenth of those on the page, 100 at the most: 51
    // renders, not 144.
    expect(steps.slice(0, 3)).toEqual([FIRST_ROWS, MORE_ROWS, MORE_ROWS]);
    expect(steps).toHaveLength(51);
    expect(Math.max(...steps)).toBe(MOST_ROWS);
    expect(steps.reduce((a, b) => a + b, 0)).toBe(3_600);
  });

  it('adds a row or a few at once to a list all shown, and starts another list from its first rows', () => {
    let state = nextStep(FIRST_ROWS, 40, 'own hub');
    expect(state).toEqual({ shown: Infinity, restartOn: 'own hub', all: 40 });
    expect(shownNow(state, 41, FIRST_ROWS, 'own hub')).toBe(Infinity);
    expect(shownNow(state, 40 + MORE_ROWS, FIRST_ROWS, 'own hub')).toBe(Infinity);
    expect(shownNow(state, 41 + MORE_ROWS, FIRST_ROWS, 'own hub')).toBe(40);
    expect(shownNow(state, 500, FIRST_ROWS, 'another hub')).toBe(FIRST_ROWS);
    state = nextStep(FIRST_ROWS, 3, 'own hub');
    expect(shownNow(state, 3_600, FIRST_ROWS, 'own hub')).toBe(FIRST_ROWS);
  });
});

describe('afterNextFrame', () => {
  /** A page whose frames are drawn when the test says: each frame runs its callbacks, then is drawn. */
  function page(visibilityState: 'visible' | 'hidden') {
    const callbacks = new Map<number, () => void>();
    let next = 0;
    const drawn: number[] = [];
    vi.useFakeTimers();
    vi.stubGlobal('document', { visibilityState });
    vi.stubGlobal('requestAnimationFrame', (cb: () => void) => (callbacks.set(++next, cb), next));
    vi.stubGlobal('cancelAnimationFrame', (id: number) => callbacks.delete(id));
    return {
      drawn,
      frame(n: number) {
        const due = [...callbacks.values()];
        callbacks.clear();
        for (const cb of due) cb();
        drawn.push(n);
      },
    };
  }
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('runs once the next frame has been drawn, not before, and never when cancelled', () => {
    const p = page('visible');
    const ran: number[] = [];
    afterNextFrame(() => ran.push(p.drawn.length));
    const cancelled = afterNextFrame(() => ran.push(-1));
    cancelled();
    vi.runAllTimers();
    expect(ran).toEqual([]); // no frame yet: nothing runs, however long the tasks wait
    p.frame(1);
    expect(ran).toEqual([]); // the frame's callbacks ran, and it was drawn: the step comes in a task after it
    vi.runAllTimers();
    expect(ran).toEqual([1]);
    // Cancelled after its frame, before its task: it does not run either.
    const late = afterNextFrame(() => ran.push(-2));
    p.frame(2);
    late();
    vi.runAllTimers();
    expect(ran).toEqual([1]);
  });

  it('runs soon on a hidden page, which draws no frames', () => {
    page('hidden');
    const ran: string[] = [];
    afterNextFrame(() => ran.push('step'));
    vi.runAllTimers();
    expect(ran).toEqual(['step']);
  });
});
