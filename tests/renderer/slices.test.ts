import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { afterNextFrame, firstOfGroups, firstRows } from '../../renderer/app/slices';
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
