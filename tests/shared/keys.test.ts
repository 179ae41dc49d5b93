import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hubKey, splitHubKey } from '../../shared/keys';
import { levelsKey } from '../../shared/doc';
import { stockKey } from '../../shared/projection';
import { fcOptions, idArb } from './arbitraries';

describe('hub|thing keys', () => {
  it('splits back into the hub and the thing, whatever the thing holds (a category may hold a bar)', () => {
    fc.assert(
      fc.property(idArb, fc.string({ maxLength: 40 }), (hub, thing) => {
        expect(splitHubKey(hubKey(hub, thing))).toEqual({ hub, thing });
      }),
      fcOptions(),
    );
  });

  it('keeps two hubs or two things apart', () => {
    fc.assert(
      fc.property(
        idArb,
        idArb,
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        (h1, h2, t1, t2) => {
          fc.pre(h1 !== h2 || t1 !== t2);
          expect(hubKey(h1, t1)).not.toBe(hubKey(h2, t2));
        },
      ),
      fcOptions(),
    );
  });

  it('is the key stock rows and levels rows are stored under', () => {
    expect(hubKey('hub1', 'rice0001')).toBe('hub1|rice0001');
    expect(stockKey('hub1', 'rice0001')).toBe('hub1|rice0001');
    expect(levelsKey('hub1', 'Food')).toBe('hub1|Food');
  });

  it('refuses a key without a hub part', () => {
    expect(() => splitHubKey('rice0001')).toThrow('not a hub|thing key: rice0001');
  });
});
