import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../../shared/quantity';

describe('parseQuantity', () => {
  it.each([
    ['0', 'Quantity must be at least 1'],
    ['-3', "Quantity can't be negative"],
    ['1.5', 'Quantity must be a whole number'],
    ['1000001', 'Quantity must be at most 1,000,000'],
    ['abc', 'Quantity must be a number'],
    ['', 'Enter a quantity'],
  ])('refuses %j with a specific message', (raw, message) => {
    expect(parseQuantity(raw)).toEqual({ ok: false, message });
  });
  it('accepts whole numbers', () => {
    expect(parseQuantity(' 12 ')).toEqual({ ok: true, value: 12 });
  });
});
