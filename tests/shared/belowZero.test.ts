import { describe, expect, it } from 'vitest';
import { BelowZeroWarning } from '../../shared/belowZero';
import { BelowZeroWarning as FromCommands } from '../../shared/commands';

// Made in each test, not once for the file: mutation testing switches the code under test per test.
const warningOf = () =>
  new BelowZeroWarning([
    { item: 'i-rice', name: 'Rice 1kg', onHand: 2, taking: 5 },
    { item: 'i-oil', name: 'Oil', onHand: 0, taking: 1 },
  ]);

describe('the below-zero warning', () => {
  it('says each item in the volunteer’s words (a message each), and in a log line by id', () => {
    const warning = warningOf();
    expect(warning.messages).toEqual([
      { code: 'pickup.belowZero', params: { item: 'Rice 1kg', taking: 5, onHand: 2 } },
      { code: 'pickup.belowZero', params: { item: 'Oil', taking: 1, onHand: 0 } },
    ]);
    expect(warning.message).toBe('i-rice: taking 5, 2 on hand; i-oil: taking 1, 0 on hand');
    expect(warning.name).toBe('BelowZeroWarning');
    expect(warning).toBeInstanceOf(Error);
  });

  it('says a record already below zero as how far below it is, not as a negative on hand', () => {
    const warning = new BelowZeroWarning([
      { item: 'i-rice', name: 'Rice 1kg', onHand: -13, taking: 1 },
      { item: 'i-oil', name: 'Oil', onHand: 0, taking: 2 },
    ]);
    expect(warning.messages).toEqual([
      { code: 'pickup.alreadyBelowZero', params: { item: 'Rice 1kg', taking: 1, below: 13 } },
      { code: 'pickup.belowZero', params: { item: 'Oil', taking: 2, onHand: 0 } },
    ]);
  });

  it('is the class the commands throw (one class, wherever it is imported from)', () => {
    expect(FromCommands).toBe(BelowZeroWarning);
  });
});
