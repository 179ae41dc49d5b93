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

  it('names only the things it shows, each as told', () => {
    const asked: number[] = [];
    const name = (n: number) => (asked.push(n), `#${n}`);
    expect(namedFirst([1, 2, 3, 4, 5, 6, 7], 3, list, more, name)).toBe('#1, #2, #3, 4 more');
    expect(asked).toEqual([1, 2, 3]);
    expect(namedFirst([8, 9], 3, list, more, name)).toBe('#8, #9');
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
