import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import {
  HUB_CSV_FIELDS,
  NETWORK_CSV_FIELDS,
  needsCsv,
  needsList,
  unitsNeeded,
  urgencyRank,
  type NeedLine,
  type NeedsCsvColumn,
  type NeedsCsvWords,
  type NeedsInput,
  type NeedsScope,
} from '../../shared/needs';
import { fcOptions } from './arbitraries';

/** The words the renderer gives a needs CSV (here, English; the catalog's are tested in tests/renderer). */
const WORDS: NeedsCsvWords = {
  headers: {
    item: 'Item',
    category: 'Category',
    unit: 'Unit',
    needed: 'Needed',
    urgency: 'Urgency',
    hubs: 'Hubs',
    hub: 'Hub',
    address: 'Address',
  },
  urgency: { out: 'Out', low: 'Low', 'below target': 'Below target' },
};
const header = (columns: readonly NeedsCsvColumn[]) => columns.map((c) => WORDS.headers[c]);

const L = (min: number, target: number) => ({ min, target });

const fixture: Omit<NeedsInput, 'scope'> = {
  hubs: [
    { id: 'hubn', name: 'North', address: '1 Main St', publishAddress: true },
    { id: 'hubs', name: 'South', address: '9 Back Lane, flat 2', publishAddress: false },
    { id: 'hube', name: 'East' },
  ],
  items: [
    { id: 'rice', name: 'Rice 2 lb', category: 'Food', unit: 'bag' },
    { id: 'bean', name: 'Beans', category: 'Food', unit: 'can' },
    { id: 'diap', name: 'Diapers size 4', category: 'Baby', unit: 'pack' },
    { id: 'soap', name: 'Soap', category: 'Hygiene', unit: 'bar' },
    { id: 'salt', name: 'Salt', category: 'Food', unit: 'box' },
  ],
  positions: [
    { hub: 'hubn', item: 'rice', onHand: 0, levels: L(10, 30) }, // out: 30
    { hub: 'hubs', item: 'rice', onHand: 80, levels: L(10, 30) }, // surplus: not needed
    { hub: 'hube', item: 'rice', onHand: 25, levels: L(10, 30) }, // below target: 5
    { hub: 'hubn', item: 'bean', onHand: 12, levels: L(10, 20) }, // below target: 8
    { hub: 'hubs', item: 'bean', onHand: 5, levels: L(10, 20) }, // low: 15
    { hub: 'hubn', item: 'diap', onHand: -3, levels: L(20, 40) }, // negative counts as none: out, 40
    { hub: 'hubs', item: 'diap', onHand: 40, levels: L(20, 40) }, // at target: not needed
    { hub: 'hubn', item: 'soap', onHand: 3 }, // no levels: never needed
    { hub: 'hubs', item: 'salt', onHand: 2, levels: L(0, 6) }, // below target with min 0: 4
    { hub: 'hubx', item: 'soap', onHand: 0, levels: L(5, 10) }, // a hub this device does not know
    { hub: 'hube', item: 'ghst', onHand: 0, levels: L(5, 10) }, // an item not in the catalog
  ],
};

describe('needsList', () => {
  it('lists what the whole network needs, most urgent first, then by category and name', () => {
    const lines = needsList({ ...fixture, scope: {} });
    expect(lines.map((l) => [l.name, l.urgency, l.needed])).toEqual([
      ['Diapers size 4', 'out', 40],
      ['Rice 2 lb', 'out', 35],
      ['Beans', 'low', 23],
      ['Salt', 'below target', 4],
    ]);
    expect(lines[1]).toEqual({
      item: 'rice',
      name: 'Rice 2 lb',
      category: 'Food',
      unit: 'bag',
      needed: 35,
      urgency: 'out',
      hubs: [
        { hub: 'hubn', name: 'North', needed: 30, urgency: 'out', address: '1 Main St' },
        { hub: 'hube', name: 'East', needed: 5, urgency: 'below target' },
      ],
    });
  });

  it('shows an address only for a hub that publishes it', () => {
    const lines = needsList({ ...fixture, scope: {} });
    const hubs = lines.flatMap((l) => l.hubs);
    expect(hubs.filter((h) => h.hub === 'hubn').every((h) => h.address === '1 Main St')).toBe(true);
    expect(hubs.filter((h) => h.hub !== 'hubn').every((h) => !('address' in h))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('Back Lane');
  });

  it('narrows to one hub', () => {
    const south = needsList({ ...fixture, scope: { hub: 'hubs' } });
    expect(south.map((l) => [l.item, l.needed, l.hubs.map((h) => h.hub)])).toEqual([
      ['bean', 15, ['hubs']],
      ['salt', 4, ['hubs']],
    ]);
    expect(needsList({ ...fixture, scope: { hub: 'nope' } })).toEqual([]);
  });

  it('leaves out hubs and items this device cannot name', () => {
    const text = JSON.stringify(needsList({ ...fixture, scope: {} }));
    expect(text).not.toContain('hubx');
    expect(text).not.toContain('ghst');
  });

  it('refuses two positions for the same hub and item', () => {
    const p = { hub: 'hubn', item: 'rice', onHand: 0, levels: L(1, 2) };
    expect(() => needsList({ ...fixture, positions: [p, p], scope: {} })).toThrow(/two positions/);
  });

  it('needs nothing when a hub is at or above its target, or when the target is 0', () => {
    expect(unitsNeeded(30, L(10, 30))).toBe(0);
    expect(unitsNeeded(31, L(10, 30))).toBe(0);
    expect(unitsNeeded(0, L(0, 0))).toBe(0);
    expect(unitsNeeded(-5, L(0, 0))).toBe(0);
    expect(unitsNeeded(-5, L(1, 3))).toBe(3);
    expect(unitsNeeded(0, undefined)).toBe(0);
  });
});

describe('needsCsv', () => {
  const parse = (csv: string) => Papa.parse<string[]>(csv, { header: false, delimiter: ',' }).data;

  it('writes the network list with names, never ids or unpublished addresses', () => {
    const csv = needsCsv(needsList({ ...fixture, scope: {} }), {}, WORDS);
    expect(parse(csv)).toEqual([
      header(NETWORK_CSV_FIELDS),
      ['Diapers size 4', 'Baby', 'pack', '40', 'Out', 'North: 40'],
      ['Rice 2 lb', 'Food', 'bag', '35', 'Out', 'North: 30; East: 5'],
      ['Beans', 'Food', 'can', '23', 'Low', 'South: 15; North: 8'],
      ['Salt', 'Food', 'box', '4', 'Below target', 'South: 4'],
    ]);
    for (const id of ['hubn', 'hubs', 'hube', 'rice', 'bean', 'diap', 'salt,', 'Back Lane'])
      expect(csv).not.toContain(id);
  });

  it('adds the Address column to a hub’s list only when the hub publishes one', () => {
    const north = needsCsv(needsList({ ...fixture, scope: { hub: 'hubn' } }), { hub: 'hubn' }, WORDS);
    expect(parse(north)).toEqual([
      header([...HUB_CSV_FIELDS, 'address']),
      ['Diapers size 4', 'Baby', 'pack', '40', 'Out', 'North', '1 Main St'],
      ['Rice 2 lb', 'Food', 'bag', '30', 'Out', 'North', '1 Main St'],
      ['Beans', 'Food', 'can', '8', 'Below target', 'North', '1 Main St'],
    ]);
    const south = needsCsv(needsList({ ...fixture, scope: { hub: 'hubs' } }), { hub: 'hubs' }, WORDS);
    expect(parse(south)[0]).toEqual(header(HUB_CSV_FIELDS));
    expect(south).not.toContain('Back Lane');
  });

  it('writes its headers and urgencies in the words it is given', () => {
    const es: NeedsCsvWords = {
      headers: { ...WORDS.headers, item: 'Artículo', needed: 'Se necesita', hubs: 'Centros' },
      urgency: { out: 'Agotado', low: 'Bajo', 'below target': 'Bajo el objetivo' },
    };
    const rows = parse(needsCsv(needsList({ ...fixture, scope: {} }), {}, es));
    expect(rows[0]).toEqual(['Artículo', 'Category', 'Unit', 'Se necesita', 'Urgency', 'Centros']);
    expect(rows.slice(1).map((r) => r[4])).toEqual(['Agotado', 'Agotado', 'Bajo', 'Bajo el objetivo']);
  });

  it('writes each category as the reader says it when given the words, and as stored otherwise', () => {
    const so: NeedsCsvWords = { ...WORDS, category: (c) => (c === 'Food' ? 'Cunto' : c) };
    const rows = parse(needsCsv(needsList({ ...fixture, scope: {} }), {}, so));
    expect(rows.slice(1).map((r) => r[1])).toEqual(['Baby', 'Cunto', 'Cunto', 'Cunto']);
    const asStored = parse(needsCsv(needsList({ ...fixture, scope: {} }), {}, WORDS));
    expect(asStored.slice(1).map((r) => r[1])).toEqual(['Baby', 'Food', 'Food', 'Food']);
  });

  it('writes just the header when nothing is needed', () => {
    expect(parse(needsCsv([], {}, WORDS))).toEqual([header(NETWORK_CSV_FIELDS)]);
    expect(parse(needsCsv([], { hub: 'hubn' }, WORDS))).toEqual([header(HUB_CSV_FIELDS)]);
  });

  it('keeps commas, quotes and new lines in a cell, and defuses spreadsheet formulas', () => {
    const line: NeedLine = {
      item: 'x1',
      name: '=HYPERLINK("http://x")',
      category: '=1+\n2',
      unit: 'bag, "large"',
      needed: 3,
      urgency: 'low',
      hubs: [{ hub: 'h1', name: 'St Anne\nKitchen', needed: 3, urgency: 'low' }],
    };
    expect(parse(needsCsv([line], {}, WORDS))[1]).toEqual([
      `'=HYPERLINK("http://x")`,
      "'=1+\n2",
      'bag, "large"',
      '3',
      'Low',
      'St Anne\nKitchen: 3',
    ]);
  });
});

describe('needsList and needsCsv: properties', () => {
  const HUBS = ['h001', 'h002', 'h003', 'h004'];
  const ITEMS = ['i001', 'i002', 'i003', 'i004', 'i005'];
  // Names from a small alphabet that includes CSV-hostile characters and formula starters.
  const text = fc.string({
    unit: fc.constantFrom('a', 'B', ' ', ',', '"', ';', '=', '-', 'é', '\n'),
    minLength: 1,
    maxLength: 8,
  });
  const levels = fc
    .tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }))
    .map(([a, b]) => L(Math.min(a, b), Math.max(a, b)));
  const input = fc.record({
    hubs: fc.tuple(
      ...HUBS.map((id) =>
        fc.record({
          id: fc.constant(id),
          name: text,
          address: fc.option(text, { nil: undefined }),
          publishAddress: fc.option(fc.boolean(), { nil: undefined }),
        }),
      ),
    ),
    items: fc.tuple(
      ...ITEMS.map((id) => fc.record({ id: fc.constant(id), name: text, category: text, unit: text })),
    ),
    positions: fc.uniqueArray(
      fc.record({
        hub: fc.constantFrom(...HUBS, 'h999'),
        item: fc.constantFrom(...ITEMS, 'i999'),
        onHand: fc.integer({ min: -20, max: 80 }),
        levels: fc.option(levels, { nil: undefined }),
      }),
      { selector: (p) => `${p.hub}|${p.item}`, maxLength: 25 },
    ),
    scope: fc
      .option(fc.constantFrom(...HUBS), { nil: undefined })
      .map((hub): NeedsScope => (hub === undefined ? {} : { hub })),
  });

  const escapeFormula = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

  it('never needs a negative amount, never lists a hub at or above target, publishes only published addresses', () => {
    fc.assert(
      fc.property(input, (inp) => {
        const lines = needsList(inp);
        const hubs = new Map(inp.hubs.map((h) => [h.id, h]));
        const positions = new Map(inp.positions.map((p) => [`${p.hub}|${p.item}`, p]));
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i]!;
          expect(line.needed).toBeGreaterThan(0);
          expect(line.needed).toBe(line.hubs.reduce((s, h) => s + h.needed, 0));
          expect(line.urgency).toBe(line.hubs[0]!.urgency);
          if (i > 0)
            expect(urgencyRank(lines[i - 1]!.urgency)).toBeLessThanOrEqual(urgencyRank(line.urgency));
          for (const h of line.hubs) {
            const p = positions.get(`${h.hub}|${line.item}`)!;
            expect(p.levels).toBeDefined();
            expect(Math.max(p.onHand, 0)).toBeLessThan(p.levels!.target);
            expect(h.needed).toBe(p.levels!.target - Math.max(p.onHand, 0));
            if (inp.scope.hub !== undefined) expect(h.hub).toBe(inp.scope.hub);
            const hub = hubs.get(h.hub)!;
            if (h.address !== undefined) {
              expect(hub.publishAddress).toBe(true);
              expect(h.address).toBe(hub.address!.trim());
            } else expect(hub.publishAddress === true && !!hub.address?.trim()).toBe(false);
          }
        }
        // Every hub below target with levels, known by name, in scope, is on the list.
        for (const p of inp.positions) {
          const listed = lines.some((l) => l.item === p.item && l.hubs.some((h) => h.hub === p.hub));
          const expected =
            hubs.has(p.hub) &&
            ITEMS.includes(p.item) &&
            (inp.scope.hub === undefined || p.hub === inp.scope.hub) &&
            p.levels !== undefined &&
            Math.max(p.onHand, 0) < p.levels.target;
          expect(listed).toBe(expected);
        }
      }),
      fcOptions(),
    );
  });

  it('writes a CSV that parses back to the same rows under exactly the expected header', () => {
    fc.assert(
      fc.property(input, (inp) => {
        const lines = needsList(inp);
        const rows = Papa.parse<string[]>(needsCsv(lines, inp.scope, WORDS), {
          header: false,
          delimiter: ',',
        }).data;
        const hub = inp.scope.hub === undefined ? undefined : inp.hubs.find((h) => h.id === inp.scope.hub)!;
        const address = hub && hub.publishAddress === true ? hub.address?.trim() || undefined : undefined;
        const expected =
          hub === undefined
            ? header(NETWORK_CSV_FIELDS)
            : address !== undefined && lines.length > 0
              ? header([...HUB_CSV_FIELDS, 'address'])
              : header(HUB_CSV_FIELDS);
        expect(rows[0]).toEqual(expected);
        expect(rows.slice(1)).toEqual(
          lines.map((l) => {
            const base = [l.name, l.category, l.unit].map(escapeFormula);
            base.push(String(l.needed), WORDS.urgency[l.urgency]);
            if (hub === undefined)
              base.push(escapeFormula(l.hubs.map((h) => `${h.name}: ${h.needed}`).join('; ')));
            else {
              base.push(escapeFormula(hub.name));
              if (expected.length === 7) base.push(escapeFormula(address!));
            }
            return base;
          }),
        );
      }),
      fcOptions(),
    );
  });
});

describe('the order and the urgency a volunteer sees', () => {
  const hubs = [
    { id: 'hubq', name: 'Depot' },
    { id: 'hubp', name: 'Depot' },
    { id: 'hubw', name: 'West' },
    { id: 'hubx', name: 'Annex' },
    { id: 'huby', name: 'Yard' },
  ];
  const items = [{ id: 'rice', name: 'Rice', category: 'Food', unit: 'bag' }];
  const at = (hub: string, onHand: number) => ({ hub, item: 'rice', onHand, levels: L(10, 30) });
  const parse = (csv: string) => Papa.parse<string[]>(csv, { header: false, delimiter: ',' }).data;

  it('a hub at exactly its minimum is below target, one under it is low', () => {
    const lines = needsList({ hubs, items, positions: [at('hubw', 10), at('hubx', 9)], scope: {} });
    expect(lines[0]!.hubs.map((h) => [h.name, h.urgency])).toEqual([
      ['Annex', 'low'],
      ['West', 'below target'],
    ]);
    expect(needsList({ hubs, items, positions: [at('hubw', 10)], scope: {} })[0]!.urgency).toBe(
      'below target',
    );
  });

  it('lists the hubs that need an item most urgent first, then most needed, then by name, then by id', () => {
    const positions = [at('huby', 25), at('hubq', 20), at('hubw', 0), at('hubp', 20), at('hubx', 28)];
    // West is out (needs 30); the others are below target: Depot and Depot need 10, Yard 5, Annex 2.
    const [line] = needsList({ hubs, items, positions, scope: {} });
    expect(line!.hubs.map((h) => [h.hub, h.needed])).toEqual([
      ['hubw', 30],
      ['hubp', 10],
      ['hubq', 10],
      ['huby', 5],
      ['hubx', 2],
    ]);
    // Urgency before amount: a low hub needing less comes before one below target needing more.
    const [other] = needsList({ hubs, items, positions: [at('huby', 5), at('hubx', 11)], scope: {} });
    expect(other!.hubs.map((h) => [h.hub, h.urgency, h.needed])).toEqual([
      ['huby', 'low', 25],
      ['hubx', 'below target', 19],
    ]);
  });

  it('a hub’s CSV made from the whole network’s lines names that hub, and leaves the cells empty where it needs nothing', () => {
    const network = needsList({
      hubs: [{ id: 'hubp', name: 'Depot', address: '2 Dock Rd', publishAddress: true }, ...hubs.slice(2)],
      items: [...items, { id: 'bean', name: 'Beans', category: 'Food', unit: 'can' }],
      positions: [at('hubw', 0), at('hubp', 20), { hub: 'hubw', item: 'bean', onHand: 0, levels: L(1, 4) }],
      scope: {},
    });
    expect(parse(needsCsv(network, { hub: 'hubp' }, WORDS))).toEqual([
      header([...HUB_CSV_FIELDS, 'address']),
      ['Beans', 'Food', 'can', '4', 'Out', '', ''],
      ['Rice', 'Food', 'bag', '40', 'Out', 'Depot', '2 Dock Rd'],
    ]);
    // West publishes no address: no Address column, even though another hub on the same line does.
    expect(parse(needsCsv(network, { hub: 'hubw' }, WORDS))[0]).toEqual(header(HUB_CSV_FIELDS));
  });
});
