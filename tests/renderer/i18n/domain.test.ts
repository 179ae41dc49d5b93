import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_CODES, WORD_CODES, msg, word } from '../../../shared/messages';
import { FILE_PROBLEM_CODES, ROW_NOTE_CODES, ROW_PROBLEM_CODES } from '../../../shared/import';
import { NEEDS_CSV_COLUMNS, URGENCIES } from '../../../shared/needs';
import { i18n } from '../../../renderer/i18n';
import { LANGUAGES, PLURAL_LOCALE } from '../../../renderer/i18n/languages';
import { domainTextWith, importTextWith, needsWordsWith } from '../../../renderer/app/domainText';

/**
 * The `domain` catalog against the core's codes: every code shared/ can return has words in every shipped
 * language (with the plural forms the language needs when English has plurals), and the catalog holds
 * nothing but those codes. catalogs.test.ts checks placeholders and empty strings across languages.
 */
const LOCALES = join(import.meta.dirname, '../../../renderer/i18n/locales');
type Tree = { [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (!prefix && k === '_meta') continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}
const catalog = (language: string) =>
  flatten(JSON.parse(readFileSync(join(LOCALES, language, 'domain.json'), 'utf8')) as Tree);

const PLURAL = /_(zero|one|two|few|many|other)$/;
const KEYS = [
  ...MESSAGE_CODES,
  ...WORD_CODES.map((w) => `word.${w}`),
  ...[...ROW_PROBLEM_CODES, ...ROW_NOTE_CODES, ...FILE_PROBLEM_CODES].map((c) => `import.${c}`),
  ...NEEDS_CSV_COLUMNS.map((c) => `needs.csv.${c}`),
  ...URGENCIES.map((u) => `needs.urgency.${u}`),
];

describe('the domain catalog', () => {
  const en = catalog('en');
  const enPlural = new Set([...en.keys()].filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, '')));

  for (const { code: language } of LANGUAGES) {
    it(`${language}: every code has a non-empty message, in each plural form the language has`, () => {
      const own = catalog(language);
      const forms = new Intl.PluralRules(PLURAL_LOCALE[language]).resolvedOptions().pluralCategories;
      const missing: string[] = [];
      for (const key of KEYS) {
        const needed = enPlural.has(key) ? forms.map((f) => `${key}_${f}`) : [key];
        for (const k of needed) if (!own.get(k)?.trim()) missing.push(k);
      }
      expect(missing).toEqual([]);
    });
  }

  it('holds no key that is not a code (every message in it can be shown)', () => {
    const known = new Set(KEYS);
    expect([...en.keys()].filter((k) => !known.has(k.replace(PLURAL, '')))).toEqual([]);
  });
});

describe('messages in words', () => {
  // Languages other than English load when first shown (renderer/i18n/catalogs.ts): these tests read them all.
  beforeAll(() => i18n.loadLanguages(LANGUAGES.map((l) => l.code)));
  const t = i18n.t.bind(i18n);
  const inLanguage = (language: 'en' | 'es' | 'so' | 'hmn') => (m: Parameters<typeof domainTextWith>[2]) =>
    domainTextWith(i18n.getFixedT(language), language, m);

  it('puts the parameters in, translates words, formats numbers for the language', () => {
    const tooLarge = msg('quantity.tooLarge', { what: word('field.quantity'), max: 1_000_000 });
    expect(inLanguage('en')(tooLarge)).toBe('Quantity must be at most 1,000,000');
    expect(inLanguage('es')(tooLarge)).toBe('Cantidad: debe ser como máximo 1.000.000');
    expect(inLanguage('hmn')(tooLarge)).toBe('Tus naj npawb: yuav tsum tsis pub ntau dua 1,000,000');
    const notSendable = msg('transfer.notSendable', { status: word('status.cancelled') });
    expect(inLanguage('en')(notSendable)).toBe('This transfer is already cancelled; it cannot be sent again');
  });

  it('chooses the plural form by count', () => {
    const imported = (count: number) => msg('syncFile.imported', { count, from: 'Front desk' });
    expect(inLanguage('en')(imported(1))).toBe('Imported 1 new entry from Front desk');
    expect(inLanguage('en')(imported(3))).toBe('Imported 3 new entries from Front desk');
    expect(inLanguage('hmn')(imported(1))).toContain('1 ');
  });

  it('shows a reason stored as text by an earlier version as it was stored', () => {
    expect(domainTextWith(t, 'en', 'Hub settings are invalid')).toBe('Hub settings are invalid');
  });

  it('puts an import problem into words, cutting a long value from the sheet', () => {
    const long = 'x'.repeat(100);
    const text = importTextWith(i18n.getFixedT('en'), 'en', { code: 'quantity-not-a-number', value: long });
    expect(text).toBe(`Quantity “${'x'.repeat(40)}…” is not a number: write it in figures, such as 12`);
    expect(
      importTextWith(i18n.getFixedT('en'), 'en', {
        code: 'file-too-large',
        bytes: 12_345_678,
        max: 5_000_000,
      }),
    ).toBe(
      'The file is too large to import at once (12,346 kB, at most 5 MB): split it into smaller sheets.',
    );
  });

  it('gives the needs CSV its words in the language', () => {
    const es = needsWordsWith(i18n.getFixedT('es'));
    expect(es.headers.item).toBe('Artículo');
    expect(es.urgency.out).toBe('Agotado');
  });
});
