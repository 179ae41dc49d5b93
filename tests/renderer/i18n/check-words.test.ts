import { beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../../renderer/i18n/languages';
import { i18n } from '../../../renderer/i18n';
import { formatFor } from '../../../renderer/i18n/format';
import { differenceText } from '../../../renderer/components/DataNotice';
import type { TableDifference } from '../../../renderer/storage/check';

/** Sync › Check data: what differs comes out of storage as counts and named rows, worded by the panel. */
const stock: TableDifference = {
  table: 'stock',
  wrong: 1,
  missing: 2,
  extra: 0,
  examples: [
    { row: { is: 'at', item: 'Rice 2 lb', hub: 'North' }, problem: 'wrong', shows: 1094, says: 52 },
    { row: { is: 'at', item: null, hub: null }, problem: 'missing' },
  ],
};
const ledger: TableDifference = {
  table: 'ledger',
  wrong: 0,
  missing: 0,
  extra: 1,
  examples: [
    {
      row: { is: 'entry', kind: 'pickup', item: 'Beans', hub: 'South', at: Date.UTC(2026, 10, 30, 12) },
      problem: 'extra',
    },
  ],
};

describe('Check data in words', () => {
  // Languages other than English load when first shown (renderer/i18n/catalogs.ts): these tests read them all.
  beforeAll(() => i18n.loadLanguages(LANGUAGES.map((l) => l.code)));
  it('says in English how many rows differ and names a few', () => {
    const t = i18n.getFixedT('en');
    const text = differenceText(t, formatFor('en', t), stock);
    expect(text.summary).toBe('Stock figures: 1 wrong; 2 missing');
    expect(text.examples).toEqual([
      'Rice 2 lb at North: shows 1,094, the ledger says 52',
      'an item no longer in the catalog at a hub: missing',
    ]);
    expect(differenceText(t, formatFor('en', t), ledger).examples[0]).toMatch(
      /^Pickup of Beans at South on .*2026.*: should not be there$/,
    );
  });

  it('says it in the language on screen, plurals and numbers included', () => {
    const es = i18n.getFixedT('es');
    const text = differenceText(es, formatFor('es', es), stock);
    expect(text.summary).toBe('Cifras de existencias: 1 incorrecto; 2 faltan');
    expect(text.examples[0]).toBe('Rice 2 lb en North: muestra 1094, el registro dice 52');
    const hmn = i18n.getFixedT('hmn');
    const hmong = differenceText(hmn, formatFor('hmn', hmn), ledger);
    expect(hmong.summary).toBe('Keeb kwm: 1 uas tsis yog nyob ntawd');
    expect(hmong.examples[0]).not.toMatch(/Nov|PM|AM/);
  });
});
