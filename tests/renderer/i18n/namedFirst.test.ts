import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { namedFirst } from '../../../renderer/i18n/namedFirst';

const list = (items: readonly string[]) => items.join(', ');
const more = (count: number) => `${count} more`;

describe('namedFirst', () => {
  it('names every one of a short list, and nothing for none', () => {
    expect(namedFirst([], 5, list, more)).toBe('');
    expect(namedFirst(['A', 'B'], 5, list, more)).toBe('A, B');
    expect(namedFirst(['A', 'B', 'C', 'D', 'E'], 5, list, more)).toBe('A, B, C, D, E');
  });

  it('names the first ones of a long list, in order, then how many more', () => {
    expect(namedFirst(['A', 'B', 'C', 'D', 'E', 'F'], 5, list, more)).toBe('A, B, C, D, E, 1 more');
    expect(namedFirst(['A', 'B', 'C'], 1, list, more)).toBe('A, 2 more');
  });

  it('always accounts for every name: those named plus the count of the rest', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { maxLength: 60 }), fc.nat(10), (names, shown) => {
        const parts: (readonly string[])[] = [];
        namedFirst(names, shown, (items) => (parts.push(items), ''), more);
        const [given] = parts;
        const named = names.length <= shown ? given! : given!.slice(0, -1);
        expect(named).toEqual(names.slice(0, shown));
        if (names.length > shown) expect(given!.at(-1)).toBe(more(names.length - shown));
      }),
      { seed: 20261206, numRuns: 200 },
    );
  });
});
