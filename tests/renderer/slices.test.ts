import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstOfGroups, firstRows } from '../../renderer/app/slices';
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
