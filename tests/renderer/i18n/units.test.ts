import { describe, expect, it } from 'vitest';
import { englishPlural, unitWord } from '../../../renderer/i18n/units';

describe('units', () => {
  it('makes a typed unit plural by English rules', () => {
    expect(englishPlural(1, 'box')).toBe('box');
    expect(englishPlural(2, 'box')).toBe('boxes');
    expect(englishPlural(0, 'pouch')).toBe('pouches');
    expect(englishPlural(3, 'dish')).toBe('dishes');
    expect(englishPlural(3, 'glass')).toBe('glasses');
    expect(englishPlural(3, 'bag')).toBe('bags');
    expect(englishPlural(3, 'battery')).toBe('batteries');
    expect(englishPlural(3, 'tray')).toBe('trays');
  });

  it('leaves it as typed on a screen in another language', () => {
    expect(unitWord('en', 2, 'box')).toBe('boxes');
    expect(unitWord('pseudo', 2, 'box')).toBe('boxes');
    expect(unitWord('es', 2, 'caja')).toBe('caja');
    expect(unitWord('so', 2, 'sanduuq')).toBe('sanduuq');
    expect(unitWord('hmn', 2, 'thawv')).toBe('thawv');
  });
});
