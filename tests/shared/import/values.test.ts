import { describe, expect, it } from 'vitest';
import {
  readNumberCell,
  readQuantityCell,
  singularUnit,
  textCell,
  unitKey,
} from '../../../shared/import/values';
import { MAX_QUANTITY } from '../../../shared/quantity';

/**
 * How the import reads one cell, as a volunteer typed it into a spreadsheet: each number a sheet may write
 * next to the look-alikes it must not take, and the exact bounds.
 */

describe('readNumberCell', () => {
  it('reads whole numbers as spreadsheets write them', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['1200', 1200],
      ['1,200', 1200],
      ['1.200', 1200],
      ['1.000.000', 1_000_000],
      ['1.000.000', 1_000_000],
      ['12.0', 12],
      ['12,00', 12],
      [' 1 200 ', 1200],
      ['1\u00a0200', 1200],
      ['1\u202f200', 1200],
      ["1'200", 1200],
      ['+7', 7],
      ['-0', 0],
      ['007', 7],
    ];
    for (const [raw, value] of cases) expect(readNumberCell(raw), raw).toEqual({ ok: true, value });
  });

  it('never reads a decimal or a mixed grouping as a larger whole number', () => {
    expect(readNumberCell('12,5')).toEqual({ ok: false, reason: 'not-whole' });
    expect(readNumberCell('12.5')).toEqual({ ok: false, reason: 'not-whole' });
    expect(readNumberCell('-12.5')).toEqual({ ok: false, reason: 'negative' });
    // Groups of three after 1-3 digits only, with one separator throughout.
    for (const raw of ['1,200.300', '1.200,300', '12,00,000', '1234,567,890', '1,2000'])
      expect(readNumberCell(raw).ok, raw).toBe(false);
    expect(readNumberCell('1,2000')).toEqual({ ok: false, reason: 'not-whole' });
    expect(readNumberCell('1,200.300')).toEqual({ ok: false, reason: 'not-a-number' });
  });

  it('refuses what is not a number, a negative, and a number past the largest quantity', () => {
    for (const raw of ['', 'a dozen', '12 cans', '1e3', '0x10', '--1', '+-1', '1-2', '.5', '5.', '1,,200'])
      expect(readNumberCell(raw), raw).toEqual({ ok: false, reason: 'not-a-number' });
    expect(readNumberCell('-4')).toEqual({ ok: false, reason: 'negative' });
    expect(readNumberCell('-1,200')).toEqual({ ok: false, reason: 'negative' });
    expect(readNumberCell(String(MAX_QUANTITY))).toEqual({ ok: true, value: MAX_QUANTITY });
    expect(readNumberCell(String(MAX_QUANTITY + 1))).toEqual({ ok: false, reason: 'too-large' });
    expect(readNumberCell('9'.repeat(20))).toEqual({ ok: false, reason: 'too-large' });
    expect(readNumberCell('-9'.repeat(1) + '0'.repeat(20))).toEqual({ ok: false, reason: 'negative' });
  });
});

describe('readQuantityCell', () => {
  it('reads a number, or a number and its unit word', () => {
    expect(readQuantityCell('12')).toEqual({ ok: true, value: 12 });
    expect(readQuantityCell('  12  ')).toEqual({ ok: true, value: 12 });
    expect(readQuantityCell('12 cans')).toEqual({ ok: true, value: 12, unit: 'cans' });
    expect(readQuantityCell('12cans')).toEqual({ ok: true, value: 12, unit: 'cans' });
    expect(readQuantityCell('1,200 bags')).toEqual({ ok: true, value: 1200, unit: 'bags' });
    expect(readQuantityCell('3 pcs.')).toEqual({ ok: true, value: 3, unit: 'pcs' });
    expect(readQuantityCell('2 tins of beans')).toEqual({ ok: true, value: 2, unit: 'tins of beans' });
    expect(readQuantityCell('4 latas')).toEqual({ ok: true, value: 4, unit: 'latas' });
  });

  it('takes a unit word of 30 characters, and nothing longer', () => {
    const word = `b${'x'.repeat(29)}`;
    expect(readQuantityCell(`5 ${word}`)).toEqual({ ok: true, value: 5, unit: word });
    expect(readQuantityCell(`5 ${word}x`)).toEqual({ ok: false, reason: 'not-a-number' });
  });

  it('refuses words without a number, a number after the word, and passes on the number’s reason', () => {
    for (const raw of ['a dozen', 'cans 12', '', '12 - cans', 'twelve'])
      expect(readQuantityCell(raw), raw).toEqual({ ok: false, reason: 'not-a-number' });
    expect(readQuantityCell('-3 cans')).toEqual({ ok: false, reason: 'negative' });
    expect(readQuantityCell('2,5 kg')).toEqual({ ok: false, reason: 'not-whole' });
    expect(readQuantityCell(`${MAX_QUANTITY + 1} cans`)).toEqual({ ok: false, reason: 'too-large' });
  });
});

describe('units', () => {
  it('fold case, accents, a final dot, spaces and the common plurals', () => {
    expect(unitKey('Cans')).toBe('can');
    expect(unitKey('can.')).toBe('can');
    expect(unitKey('  Tin   Can ')).toBe('tin can');
    expect(unitKey('Boxes')).toBe('box');
    expect(unitKey('pouches')).toBe('pouch');
    expect(unitKey('dishes')).toBe('dish');
    expect(unitKey('glasses')).toBe('glass');
    expect(unitKey('Bolsas')).toBe('bolsa');
    expect(unitKey('Café')).toBe('cafe');
  });

  it('leave short words, words ending in ss and other -es endings as written', () => {
    expect(unitKey('kg')).toBe('kg');
    expect(unitKey('gs')).toBe('gs'); // two letters: not folded
    expect(unitKey('lbs')).toBe('lb');
    expect(unitKey('ss')).toBe('ss');
    expect(unitKey('glass')).toBe('glass');
    expect(unitKey('xes')).toBe('xe'); // three letters: the -es rule needs four
    expect(unitKey('boxes')).toBe('box');
    expect(unitKey('tubes')).toBe('tube');
    expect(unitKey('bottles')).toBe('bottle');
    expect(unitKey('bus')).toBe('bu');
  });

  it('give the singular of a quantity’s unit word as written', () => {
    expect(singularUnit('cans')).toBe('can');
    expect(singularUnit('Cans')).toBe('Can');
    expect(singularUnit(' boxes ')).toBe('box');
    expect(singularUnit('tin   cans')).toBe('tin can');
    expect(singularUnit('can')).toBe('can');
    expect(singularUnit('kg')).toBe('kg');
  });
});

describe('textCell', () => {
  it('takes off the apostrophe an export put before a formula-like start, and only that', () => {
    expect(textCell("'=SUM(A1)")).toBe('=SUM(A1)');
    expect(textCell("'+1")).toBe('+1');
    expect(textCell("'-5")).toBe('-5');
    expect(textCell("'@cmd")).toBe('@cmd');
    expect(textCell("'\tx")).toBe('\tx');
    expect(textCell("'\rx")).toBe('\rx');
    expect(textCell("''=x")).toBe("'=x");
    expect(textCell("'rice")).toBe("'rice");
    expect(textCell("rice'=")).toBe("rice'=");
    expect(textCell('=x')).toBe('=x');
    expect(textCell(undefined)).toBe('');
    expect(textCell('')).toBe('');
  });
});
