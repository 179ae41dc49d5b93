/**
 * The languages Larder ships, each named in itself (a volunteer looks for their own language's name).
 * `pseudo` is for tests only: English with every catalog string transformed, never offered to users.
 */
export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' },
  { code: 'so', name: 'Soomaali' },
  { code: 'hmn', name: 'Hmoob' },
] as const;

export type Language = (typeof LANGUAGES)[number]['code'];
export const PSEUDO = 'pseudo';
export type UiLanguage = Language | typeof PSEUDO;

export const DEFAULT_LANGUAGE: Language = 'en';

export function isLanguage(value: unknown): value is Language {
  return LANGUAGES.some((l) => l.code === value);
}

/**
 * The locale whose plural rules a language follows. CLDR has no data for Hmong ('hmn'), so
 * `Intl.PluralRules('hmn')` silently falls back to the host's default locale (en-US in Node, the browser's
 * own language in Chromium): the forms would change with the machine. Hmong marks no plural on nouns
 * (number comes from a numeral and classifier, "3 lub thawv"), like its neighbours Lao and Vietnamese, so
 * it follows Lao's rule: one form, `_other`, for every count.
 */
export const PLURAL_LOCALE: Record<UiLanguage, string> = {
  en: 'en',
  es: 'es',
  so: 'so',
  hmn: 'lo',
  pseudo: 'en',
};

/**
 * The locale numbers and dates are formatted in. Intl has no Hmong data either (it would fall back to the
 * host's language), so Hmong formats as US English does (Hmong speakers here read US numbers), with
 * numeric dates and a 24-hour clock so that no English month name or AM/PM shows (format.ts).
 * The pseudo-locale formats in Japanese: any date or number formatted without the chosen locale then
 * shows up in the pseudo-locale test as English.
 */
export const FORMAT_LOCALE: Record<UiLanguage, string> = {
  en: 'en',
  es: 'es',
  so: 'so',
  hmn: 'en-US',
  pseudo: 'ja',
};

/** The value of `<html lang>` for a language. */
export const HTML_LANG: Record<UiLanguage, string> = {
  en: 'en',
  es: 'es',
  so: 'so',
  hmn: 'hmn',
  pseudo: 'en-XA',
};
