import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chainStart,
  entryLine,
  extendChain,
  extendChainWithEntries,
  headHash,
  headMessage,
  MAX_RESTARTS,
  parseHeadKey,
  parseRestarts,
  restartBase,
  type Restart,
} from '../../../shared/trust/chain';
import { entryArb, fcOptions } from '../arbitraries';

/**
 * A device's chain at its edges (chain.ts): the fast way of extending it, in pieces of any size, gives the
 * chain the reference way gives; restarts and their keys are read exactly up to their bounds; a head's
 * signed text names its restarts so that no other list verifies with it.
 */
describe('extending a chain with entries, the fast way', () => {
  it('in pieces of any size, from a partial block or a full one, gives the reference chain', () => {
    fc.assert(
      fc.property(
        // Past a block at least, so that a piece starting inside a block runs on into the next one.
        fc.array(entryArb(), { minLength: 70, maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 140 }), { minLength: 1, maxLength: 5 }),
        (entries, cuts) => {
          const reference = extendChain(chainStart('net1', 'dev1'), entries.map(entryLine));
          let state = chainStart('net1', 'dev1');
          let at = 0;
          for (const cut of [...cuts, entries.length]) {
            const end = Math.min(entries.length, at + cut);
            state = extendChainWithEntries(state, entries.slice(at, end));
            at = end;
          }
          expect(state).toEqual(reference);
          expect(headHash(state)).toBe(headHash(reference));
        },
      ),
      fcOptions(0.5),
    );
  });
});

describe('restarts at their bounds', () => {
  it(`a head key names up to ${MAX_RESTARTS} restarts, in digits only`, () => {
    expect(parseHeadKey(`abc/${MAX_RESTARTS}`)).toEqual({ device: 'abc', restarts: MAX_RESTARTS });
    expect(parseHeadKey('abc/12')).toEqual({ device: 'abc', restarts: 12 });
    for (const bad of ['abc/1x', 'abc/12 ', 'abc/x1', `abc/${MAX_RESTARTS + 1}`])
      expect(parseHeadKey(bad)).toBeNull();
  });

  it(`a head lists up to ${MAX_RESTARTS} restarts, each a position up to 2^31 and a hash of up to 64 characters`, () => {
    const many = Array.from({ length: MAX_RESTARTS }, (_, i): Restart => [i + 1, `h${i}`]);
    expect(parseRestarts(many)).toEqual(many);
    expect(parseRestarts([...many, [MAX_RESTARTS + 1, 'h']])).toBeNull();
    expect(parseRestarts([[2 ** 31, 'h'.repeat(64)]])).toEqual([[2 ** 31, 'h'.repeat(64)]]);
    expect(parseRestarts([[2 ** 31 + 1, 'h']])).toBeNull();
    // Each restart is a pair: a third part is not read past.
    expect(parseRestarts([[3, 'h', 'x']])).toBeNull();
    expect(parseRestarts([[3], [5, 'h']])).toBeNull();
    // A hash is text: a number, or nothing, is not one.
    expect(parseRestarts([[3, 5]])).toBeNull();
    expect(parseRestarts([[3, '']])).toBeNull();
  });

  it('a restart continues from the head hash signed at its position', () => {
    const base = restartBase(8, 'H8');
    expect(headHash(base)).toBe('H8');
    const lines = ['a', 'b'];
    expect(extendChain(base, lines)).toEqual(extendChain({ seq: 8, block: 'H8', partial: [] }, lines));
  });

  it('a head’s signed text names each of its restarts, so another list never verifies with it', () => {
    const restarts: Restart[] = [
      [5, 'H5'],
      [9, 'H9'],
    ];
    expect(headMessage('net1', 'dev1', 12, 'H12', restarts)).toBe(
      'larder head v2|net1|dev1|12|H12|5:H5,9:H9',
    );
    expect(headMessage('net1', 'dev1', 12, 'H12', [[5, 'H5']])).not.toBe(
      headMessage('net1', 'dev1', 12, 'H12', [[6, 'H5']]),
    );
  });
});
