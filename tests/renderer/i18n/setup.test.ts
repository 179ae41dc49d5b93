import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FORMAT_LOCALE, LANGUAGES } from '../../../renderer/i18n/languages';
import { i18n, loadPseudoLocale } from '../../../renderer/i18n';
import { formatFor, hasDateWords, warmFormats } from '../../../renderer/i18n/format';
import { pseudoString } from '../../../renderer/i18n/pseudo';

describe('i18n setup', () => {
  // Languages other than English load when first shown (renderer/i18n/catalogs.ts): these tests read them all.
  beforeAll(() => i18n.loadLanguages(LANGUAGES.map((l) => l.code)));
  it('Hmong follows one plural form whatever the host language (CLDR has no hmn rules)', () => {
    const resolver = i18n.services.pluralResolver as { getSuffixes: (code: string) => string[] };
    expect(resolver.getSuffixes('hmn')).toEqual(['_other']);
    expect(resolver.getSuffixes('es')).toEqual(['_one', '_many', '_other']);
    expect(i18n.t('format.minutesAgo', { lng: 'hmn', count: 1 })).toBe('1 feeb dhau los');
    expect(i18n.t('format.minutesAgo', { lng: 'en', count: 1 })).toBe('1 minute ago');
    expect(i18n.t('format.minutesAgo', { lng: 'so', count: 3 })).toBe('3 daqiiqo ka hor');
  });

  it('makes the first view’s formatters ahead, in a task of its own, for every language, the same as made when used', () => {
    vi.useFakeTimers();
    try {
      for (const { code } of LANGUAGES) {
        warmFormats(code);
        expect(vi.getTimerCount()).toBe(1);
        vi.runAllTimers();
        expect(formatFor(code, i18n.getFixedT(code)).number(1234.5)).toBe(
          new Intl.NumberFormat(FORMAT_LOCALE[code]).format(1234.5),
        );
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('falls back to English for a key a catalog lacks, and defaults to the app namespace', () => {
    expect(i18n.options.defaultNS).toBe('app');
    expect(i18n.t('language.label', { lng: 'es' })).toBe('Idioma');
  });

  it('lowercases a catalog word inside a sentence where the language asks for it', () => {
    const kind = i18n.t('kind.pickup');
    expect(i18n.t('history.undid', { kind, item: 'Rice', change: '+5' })).toBe(
      'Saved: undid pickup of Rice (+5).',
    );
    expect(
      i18n.t('history.undoOf', { lng: 'es', kind: i18n.t('kind.pickup', { lng: 'es' }), item: 'Arroz' }),
    ).toBe('Deshacer recogida de Arroz');
  });

  it('makes a pseudo-locale from English, keeping placeholders and tags', () => {
    expect(pseudoString('Saved {{count}} items')).toBe('⟦Šáṽéð {{count}} íţéɱš~~~~⟧');
    expect(pseudoString('Open <1>Members</1>')).toMatch(/^⟦Óþéñ <1>Ṁéɱƀéŕš<\/1>~+⟧$/);
    // Made only when asked for (a page opened with ?lng=pseudo), not at every start.
    expect(i18n.hasResourceBundle('pseudo', 'app')).toBe(false);
    loadPseudoLocale();
    expect(i18n.t('language.label', { lng: 'pseudo' })).toMatch(/^⟦Ľáñĝúáĝé~+⟧$/);
    expect(i18n.t('domain:word.kind.pickup', { lng: 'pseudo' })).toMatch(/^⟦.+⟧$/);
  });

  it('formats numbers and dates in the language chosen; Hmong without English words', () => {
    const day = Date.UTC(2026, 10, 30, 15, 4);
    expect(formatFor('es', i18n.getFixedT('es')).number(1234.5)).toBe('1234,5');
    expect(formatFor('en', i18n.getFixedT('en')).number(1234.5)).toBe('1,234.5');
    expect(formatFor('hmn', i18n.getFixedT('hmn')).dateTime(day)).not.toMatch(/[A-Za-z]/);
    expect(formatFor('hmn', i18n.getFixedT('hmn')).day('2026-11-30')).toBe('11/30/2026');
    loadPseudoLocale();
    expect(formatFor('pseudo', i18n.getFixedT('pseudo')).day('2026-11-30')).not.toMatch(/[A-Za-z]/);
    expect(formatFor('hmn', i18n.getFixedT('hmn')).age(day - 3 * 3_600_000, day)).toBe('3 teev dhau los');
  });

  it('knows when the runtime has no month names for a language (then dates are written in figures)', () => {
    expect(hasDateWords('es')).toBe(true);
    expect(hasDateWords('en')).toBe(true);
    expect(hasDateWords('ja')).toBe(true);
    // A locale the runtime has no data for comes back as English, which is what trimmed ICU does for Somali.
    expect(hasDateWords('zz')).toBe(false);
  });
});
