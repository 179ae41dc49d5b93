import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../../shared/quantity';
import { msg, word } from '../../shared/messages';

describe('parseQuantity', () => {
  it.each([
    ['0', msg('quantity.zero', { what: word('field.quantity') })],
    ['-3', msg('quantity.negative', { what: word('field.quantity') })],
    ['1.5', msg('quantity.notWhole', { what: word('field.quantity') })],
    ['1000001', msg('quantity.tooLarge', { what: word('field.quantity'), max: 1_000_000 })],
    ['abc', msg('quantity.notNumber', { what: word('field.quantity') })],
    ['', msg('quantity.empty', { what: word('field.quantity') })],
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
    ['.55', { ok: false, message: msg('quantity.notWhole', { what: word('field.quantity') }) }],
    ['1e-3', { ok: false, message: msg('quantity.notWhole', { what: word('field.quantity') }) }],
    [
      '1e10',
      { ok: false, message: msg('quantity.tooLarge', { what: word('field.quantity'), max: 1_000_000 }) },
    ],
    ['1e999', { ok: false, message: msg('quantity.notNumber', { what: word('field.quantity') }) }],
    ['1e', { ok: false, message: msg('quantity.notNumber', { what: word('field.quantity') }) }],
    ['.', { ok: false, message: msg('quantity.notNumber', { what: word('field.quantity') }) }],
    ['.x', { ok: false, message: msg('quantity.notNumber', { what: word('field.quantity') }) }],
    ['1ex3', { ok: false, message: msg('quantity.notNumber', { what: word('field.quantity') }) }],
  ])('reads %j as a person meant it', (raw, result) => {
    expect(parseQuantity(raw)).toEqual(result);
  });

  it('names the box and may allow zero', () => {
    expect(parseQuantity('0', { allowZero: true })).toEqual({ ok: true, value: 0 });
    expect(parseQuantity(' ', { field: 'packs' })).toEqual({
      ok: false,
      message: msg('quantity.empty', { what: word('field.packs') }),
    });
  });
});
