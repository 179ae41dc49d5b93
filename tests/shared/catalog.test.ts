import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CatalogIndex,
  findByBarcode,
  findDuplicateName,
  normalizeName,
  parseBarcodes,
  searchItems,
  validateItemForm,
  validateNewItemForms,
  type Item,
  type ItemForm,
} from '../../shared/catalog';
import { ValidationError, issue } from '../../shared/errors';
import { msg, word } from '../../shared/messages';
import { fcOptions } from './arbitraries';

const T = Date.UTC(2025, 0, 1);
const item = (id: string, name: string, category: string, barcodes: string[] = []): Item => ({
  id,
  name,
  category,
  unit: 'unit',
  barcodes,
  createdAt: T,
  updatedAt: T,
});
const rice = item('rice0001', 'Rice 2 lb', 'Food', ['0123456789012']);
const brownRice = item('rice0002', 'Brown rice', 'Food');
const riceMilk = item('milk0001', 'Rice milk', 'Food', ['4000417025005']);
const wipes = item('wipe0001', 'Baby wipes', 'Baby', ['555555']);
const creme = item('creme001', 'Crème fraîche', 'Food');
const catalog = [rice, brownRice, riceMilk, wipes, creme];

const form = (over: Partial<ItemForm> = {}): ItemForm => ({
  name: 'Lentils 1 kg',
  category: 'Food',
  unit: 'bag',
  packSize: '',
  barcodes: '',
  ...over,
});

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('validateItemForm', () => {
  it('returns the cleaned fields of a valid form', () => {
    expect(
      validateItemForm(
        form({ name: '  Lentils   1 kg ', packSize: ' 12 ', barcodes: '111222, 333444;111222' }),
        catalog,
      ),
    ).toStrictEqual({
      name: 'Lentils 1 kg',
      category: 'Food',
      unit: 'bag',
      packSize: 12,
      barcodes: ['111222', '333444'],
    });
    expect(validateItemForm(form(), catalog)).toStrictEqual({
      name: 'Lentils 1 kg',
      category: 'Food',
      unit: 'bag',
      barcodes: [],
    });
  });

  it.each([
    ['', msg('item.nameMissing')],
    ['   ', msg('item.nameMissing')],
    ['x'.repeat(10_000), msg('item.nameTooLong', { count: 10_000, max: 120 })],
    ['x'.repeat(121), msg('item.nameTooLong', { count: 121, max: 120 })],
  ])('refuses the name %#', (name, message) => {
    expect(issuesOf(() => validateItemForm(form({ name }), catalog))).toEqual([issue('name', message)]);
  });

  it('accepts a name of exactly 120 characters', () => {
    expect(validateItemForm(form({ name: 'x'.repeat(120) }), catalog).name).toHaveLength(120);
  });

  it.each([' rice  2 LB', 'RICE 2 lb', 'Rice\t2\nlb', 'Ríce 2 lb'])(
    'refuses %j as a duplicate of "Rice 2 lb"',
    (name) => {
      expect(issuesOf(() => validateItemForm(form({ name }), catalog))).toEqual([
        issue('name', msg('item.nameTaken', { name: 'Rice 2 lb' })),
      ]);
    },
  );

  it('accepts the same name when editing that item, and accent-insensitive duplicates the other way round', () => {
    expect(validateItemForm(form({ name: 'rice 2 LB' }), catalog, rice.id).name).toBe('rice 2 LB');
    expect(issuesOf(() => validateItemForm(form({ name: 'CREME FRAICHE' }), catalog))).toEqual([
      issue('name', msg('item.nameTaken', { name: 'Crème fraîche' })),
    ]);
    expect(findDuplicateName('Rice 2 lbs', catalog)).toBeUndefined();
  });

  it.each([
    ['1', msg('item.packSizeTooSmall')],
    ['0', msg('quantity.zero', { what: word('field.packSize') })],
    ['1.5', msg('quantity.notWhole', { what: word('field.packSize') })],
    ['x', msg('quantity.notNumber', { what: word('field.packSize') })],
    ['-2', msg('quantity.negative', { what: word('field.packSize') })],
    ['10001', msg('item.packSizeTooLarge', { max: 10_000 })],
  ])('refuses pack size %j', (packSize, message) => {
    expect(issuesOf(() => validateItemForm(form({ packSize }), catalog))).toEqual([
      issue('packSize', message),
    ]);
  });

  it('accepts pack sizes 2 and 10,000', () => {
    expect(validateItemForm(form({ packSize: '2' }), catalog).packSize).toBe(2);
    expect(validateItemForm(form({ packSize: '10,000' }), catalog).packSize).toBe(10_000);
  });

  it('refuses a barcode that belongs to another item, but not to the item being edited', () => {
    expect(issuesOf(() => validateItemForm(form({ barcodes: '999999 4000417025005' }), catalog))).toEqual([
      issue('barcodes', msg('item.barcodeTaken', { barcode: '4000417025005', item: 'Rice milk' })),
    ]);
    expect(
      validateItemForm(form({ name: 'Rice milk', barcodes: '4000417025005' }), catalog, riceMilk.id).barcodes,
    ).toEqual(['4000417025005']);
  });

  it('refuses malformed barcodes and more than 20', () => {
    expect(issuesOf(() => validateItemForm(form({ barcodes: '123' }), catalog))).toEqual([
      issue('barcodes', msg('item.barcodeInvalid', { value: '123' })),
    ]);
    const many = Array.from({ length: 21 }, (_, i) => `code${i}`).join(' ');
    expect(issuesOf(() => validateItemForm(form({ barcodes: many }), catalog))).toEqual([
      issue('barcodes', msg('item.tooManyBarcodes', { max: 20 })),
    ]);
  });

  it('reports every bad field at once', () => {
    const issues = issuesOf(() =>
      validateItemForm(
        { name: '', category: ' ', unit: 'u'.repeat(31), packSize: 'x', barcodes: '555555' },
        catalog,
      ),
    );
    expect(issues.map((i) => i.field)).toEqual(['name', 'category', 'unit', 'packSize', 'barcodes']);
  });
});

describe('validateNewItemForms: many new items at once (a sheet’s import)', () => {
  let n = 0;
  const make = (fields: Omit<Item, 'id' | 'createdAt' | 'updatedAt'>): Item => ({
    id: `new${String(n++).padStart(5, '0')}`,
    ...fields,
    createdAt: T,
    updatedAt: T,
  });

  it('makes every item, each checked against the catalog and the forms before it', () => {
    const made = validateNewItemForms(
      [form({ name: 'Lentils' }), form({ name: 'Oats', barcodes: '777777' })],
      catalog,
      make,
    );
    expect(made.map(({ name, barcodes }) => ({ name, barcodes }))).toEqual([
      { name: 'Lentils', barcodes: [] },
      { name: 'Oats', barcodes: ['777777'] },
    ]);
    // Two forms of one name (any case, accents, spacing), or one barcode: the second is refused.
    expect(
      issuesOf(() =>
        validateNewItemForms([form({ name: 'Lentils' }), form({ name: ' LENTÍLS ' })], [], make),
      ),
    ).toEqual([issue('name', msg('item.nameTaken', { name: 'Lentils' }))]);
    expect(
      issuesOf(() =>
        validateNewItemForms(
          [form({ name: 'Oats', barcodes: '777777' }), form({ name: 'Oat milk', barcodes: '1234 777777' })],
          [],
          make,
        ),
      ),
    ).toEqual([issue('barcodes', msg('item.barcodeTaken', { barcode: '777777', item: 'Oats' }))]);
    // A name or a barcode the catalog has.
    expect(
      issuesOf(() => validateNewItemForms([form(), form({ name: 'rice 2 LB' })], catalog, make)),
    ).toEqual([issue('name', msg('item.nameTaken', { name: 'Rice 2 lb' }))]);
    expect(validateNewItemForms([], catalog, make)).toEqual([]);
  });

  // Names and barcodes from small pools, so that forms meet each other and the catalog often.
  const formArb = fc.record({
    name: fc.constantFrom(
      'Rice 2 lb',
      'rice 2 LB',
      'Crème fraîche',
      'creme  fraiche',
      'Oats',
      'OATS',
      'Tea',
      '',
      ' ',
    ),
    category: fc.constantFrom('Food', 'Baby', '', 'x'.repeat(41)),
    unit: fc.constantFrom('bag', 'unit', ''),
    packSize: fc.constantFrom('', '12', '1', 'a dozen'),
    barcodes: fc.constantFrom('', '555555', '777777', '888888 777777', '0123456789012', 'bad!', '12'),
  });

  it('gives what one validateItemForm after another gives, against the catalog and the items made so far', () => {
    fc.assert(
      fc.property(fc.array(formArb, { maxLength: 12 }), fc.subarray(catalog), (forms, existing) => {
        let sequential: { items: Item[] } | { issues: unknown } = { items: [] };
        const made: Item[] = [];
        n = 0;
        try {
          for (const f of forms) made.push(make(validateItemForm(f, [...existing, ...made])));
          sequential = { items: made };
        } catch (error) {
          sequential = { issues: (error as ValidationError).issues };
        }
        n = 0;
        let bulk: { items: Item[] } | { issues: unknown };
        try {
          bulk = { items: validateNewItemForms(forms, existing, make) };
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          bulk = { issues: (error as ValidationError).issues };
        }
        expect(bulk).toEqual(sequential);
      }),
      fcOptions(),
    );
  });

  it('checks a form against an index as against the list it was made from, editing or not', () => {
    fc.assert(
      fc.property(
        formArb,
        fc.subarray(catalog),
        fc.constantFrom(undefined, ...catalog.map((i) => i.id)),
        (f, existing, id) => {
          const outcome = (against: readonly Item[] | CatalogIndex) => {
            try {
              return validateItemForm(f, against, id);
            } catch (error) {
              return (error as ValidationError).issues;
            }
          };
          expect(outcome(new CatalogIndex(existing))).toEqual(outcome(existing));
        },
      ),
      fcOptions(),
    );
  });
});

describe('normalizeName and parseBarcodes', () => {
  it('ignores case, accents and spacing', () => {
    expect(normalizeName('  Crème   FRAÎCHE\t')).toBe('creme fraiche');
    expect(normalizeName('Rice 2 lb')).toBe(normalizeName(' rice  2 LB'));
  });
  it('splits on spaces, commas and semicolons and drops repeats', () => {
    expect(parseBarcodes(' 1111, 2222;3333\n1111 ,, ')).toEqual(['1111', '2222', '3333']);
  });
});

describe('searchItems', () => {
  const names = (q: string) => searchItems(q, catalog).map((i) => i.name);

  it('ranks items whose first word starts with the query first', () => {
    // "Rice 2 lb" and "Rice milk" start with it; "Brown rice" only has it as a later word.
    expect(names('ric')).toEqual(['Rice 2 lb', 'Rice milk', 'Brown rice']);
    expect(names('RICE')).toEqual(['Rice 2 lb', 'Rice milk', 'Brown rice']);
  });

  it('needs every word to match, in any order', () => {
    expect(names('milk rice')).toEqual(['Rice milk']);
    expect(names('rice bread')).toEqual([]);
  });

  it('matches categories, accents-insensitively, and inside words as a last resort', () => {
    expect(names('baby')).toEqual(['Baby wipes']);
    expect(names('creme')).toEqual(['Crème fraîche']);
    expect(names('ipes')).toEqual(['Baby wipes']);
  });

  it('ranks an exact barcode match above name matches', () => {
    expect(names('4000417025005')).toEqual(['Rice milk']);
    expect(searchItems('555555', catalog)).toEqual([wipes]);
  });

  it('lists everything by name for an empty query', () => {
    expect(names('  ')).toEqual(['Baby wipes', 'Brown rice', 'Crème fraîche', 'Rice 2 lb', 'Rice milk']);
  });
});

describe('findByBarcode', () => {
  it('finds the item carrying the code, ignoring surrounding spaces', () => {
    expect(findByBarcode(' 0123456789012 ', catalog)).toBe(rice);
    expect(findByBarcode('4000417025005', catalog)).toBe(riceMilk);
    expect(findByBarcode('0123456789013', catalog)).toBeUndefined();
    expect(findByBarcode('', catalog)).toBeUndefined();
  });
});

// Each of these reproduced a bug found by review; they stay as regression tests.
describe('regressions', () => {
  it('search finds an item by a barcode that has capital letters, as typed', () => {
    // validateItemForm accepts [0-9A-Za-z-] barcodes, but searchItems lowercases the query before comparing
    // it with the stored barcodes, so a barcode with capitals can never be found by search.
    const tagged = item('tag00001', 'Soup', 'Food', ['ABC-1234']);
    expect(searchItems('ABC-1234', [tagged])).toEqual([tagged]);
  });
});

describe('the item form at its limits, as the volunteer typing it is told', () => {
  const fields = (over: Partial<ItemForm>) => issuesOf(() => validateItemForm(form(over), catalog));

  it('a category of up to 40 characters and a unit of up to 30, counted once trimmed', () => {
    const ok = validateItemForm(
      form({ category: ` ${'c'.repeat(40)} `, unit: ` ${'u'.repeat(30)} ` }),
      catalog,
    );
    expect([ok.category, ok.unit]).toEqual(['c'.repeat(40), 'u'.repeat(30)]);
    expect(fields({ category: 'c'.repeat(41), unit: 'u'.repeat(31) })).toEqual([
      issue('category', msg('item.categoryTooLong', { max: 40 })),
      issue('unit', msg('item.unitTooLong', { max: 30 })),
    ]);
  });

  it('a category or unit of spaces only is missing, not too long or taken as given', () => {
    expect(fields({ category: '   ', unit: '\t ' })).toEqual([
      issue('category', msg('item.categoryMissing')),
      issue('unit', msg('item.unitMissing')),
    ]);
  });

  it('a pack size of spaces only means no pack size', () => {
    expect(validateItemForm(form({ packSize: '   ' }), catalog)).not.toHaveProperty('packSize');
  });

  it('up to 20 barcodes; one more is refused', () => {
    const codes = (n: number) => Array.from({ length: n }, (_, i) => `code${i}`).join(' ');
    expect(validateItemForm(form({ barcodes: codes(20) }), catalog).barcodes).toHaveLength(20);
    expect(fields({ barcodes: codes(21) })).toEqual([
      issue('barcodes', msg('item.tooManyBarcodes', { max: 20 })),
    ]);
  });

  it('a barcode with anything but letters, digits and dashes at either end is refused, shown cut to 40 characters', () => {
    for (const code of ['#1234', '1234#', 'ab.cd'])
      expect(fields({ barcodes: code }), code).toEqual([
        issue('barcodes', msg('item.barcodeInvalid', { value: code })),
      ]);
    const long = `${'9'.repeat(50)}!`;
    expect(fields({ barcodes: long })).toEqual([
      issue('barcodes', msg('item.barcodeInvalid', { value: '9'.repeat(40) })),
    ]);
  });

  it('barcodes split at spaces, commas and semicolons, runs of them counting as one', () => {
    expect(parseBarcodes(' 1111 ,, 2222;;  3333\n4444 ')).toEqual(['1111', '2222', '3333', '4444']);
  });
});

describe('searching items, best match first', () => {
  it('a barcode typed whole beats the start of the name, which beats the start of another word, which beats a word inside', () => {
    const byBarcode = item('itme0001', 'Rolled grains', 'Food', ['oat']);
    const a = item('itma0001', 'Oats', 'Food', ['oat9']);
    const b = item('itmb0001', 'Oat milk', 'Drink');
    const c = item('itmc0001', 'Milk, oat', 'Drink');
    const d = item('itmd0001', 'Goats cheese', 'Food');
    const ids = (query: string, items: Item[]) => searchItems(query, items).map((i) => i.id);
    // Equal scores keep the order by name ("Oat milk" before "Oats").
    expect(ids('oat', [d, c, b, a, byBarcode])).toEqual([
      'itme0001',
      'itmb0001',
      'itma0001',
      'itmc0001',
      'itmd0001',
    ]);
    expect(ids('oat9', [d, c, b, a])).toEqual(['itma0001']);
    // Two words: the start of the name and a word inside (2 + 0.5) beat two starts of other words (1 + 1).
    const x = item('itmx0001', 'Milk goats', 'Drink');
    const z = item('itmz0001', 'Soy milk oat', 'Drink');
    expect(ids('milk oat', [z, x])).toEqual(['itmx0001', 'itmz0001']);
  });

  it('a query of spaces only lists every item by name', () => {
    expect(searchItems('   ', [wipes, rice]).map((i) => i.name)).toEqual(['Baby wipes', 'Rice 2 lb']);
  });

  it('words of a name split at any punctuation: "milk" starts a word of "Milk,oat"', () => {
    const m = item('itme0001', 'Soy,milk', 'Drink');
    const other = item('itmf0001', 'Buttermilks', 'Drink');
    expect(searchItems('milk', [other, m]).map((i) => i.id)).toEqual(['itme0001', 'itmf0001']);
  });

  it('a name of spaces only matches no other name', () => {
    expect(findDuplicateName('   ', [item('itmg0001', '', 'Food')])).toBeUndefined();
  });
});
