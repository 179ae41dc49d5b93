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

  it.each([
    ['1,000,000', { ok: true, value: 1_000_000 }],
    ['1e3', { ok: true, value: 1000 }],
    ['1E+3', { ok: true, value: 1000 }],
    ['2.0', { ok: true, value: 2 }],
    [7, { ok: true, value: 7 }],
    ['.55', { ok: false, message: 'Quantity must be a whole number' }],
    ['1e-3', { ok: false, message: 'Quantity must be a whole number' }],
    ['1e10', { ok: false, message: 'Quantity must be at most 1,000,000' }],
    ['1e999', { ok: false, message: 'Quantity must be a number' }],
    ['1e', { ok: false, message: 'Quantity must be a number' }],
    ['.', { ok: false, message: 'Quantity must be a number' }],
    ['.x', { ok: false, message: 'Quantity must be a number' }],
    ['1ex3', { ok: false, message: 'Quantity must be a number' }],
  ])('reads %j as a person meant it', (raw, result) => {
    expect(parseQuantity(raw)).toEqual(result);
  });

  it('names the box and may allow zero', () => {
    expect(parseQuantity('0', { allowZero: true })).toEqual({ ok: true, value: 0 });
    expect(parseQuantity(' ', { label: 'Number of packs' })).toEqual({
      ok: false,
      message: 'Enter a number of packs',
    });
  });
});
