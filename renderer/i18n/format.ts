import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { FORMAT_LOCALE, PSEUDO, isLanguage, type UiLanguage } from './languages';
import { once } from '../../shared/lazy';

/**
 * Numbers, dates and lists in the chosen language, through Intl. Hmong has no Intl data, so it is
 * formatted as US English with numeric dates and a 24-hour clock (no English month names or AM/PM).
 */
const DATE_TIME: Partial<Record<UiLanguage, Intl.DateTimeFormatOptions>> = {
  hmn: {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  },
};
const DAY: Partial<Record<UiLanguage, Intl.DateTimeFormatOptions>> = {
  hmn: { year: 'numeric', month: 'numeric', day: 'numeric' },
};

/**
 * Whether this runtime has month names for the locale. A browser built with trimmed ICU data (Debian's
 * Chromium for Somali) formats the locale as English ("Nov 30, 2026") without saying so: then a date is
 * written in figures, day first (as in Somalia and most of the world), with a 24-hour clock.
 */
export function hasDateWords(locale: string): boolean {
  if (locale === 'en' || locale.startsWith('en-')) return true;
  const month = (l: string) => new Intl.DateTimeFormat(l, { month: 'long' }).format(new Date(2026, 10, 30));
  return month(locale) !== month('en');
}
const NUMERIC_LOCALE = 'en-GB';
const NUMERIC_DAY: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' };
const NUMERIC_DATE_TIME: Intl.DateTimeFormatOptions = {
  ...NUMERIC_DAY,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
};

export interface Format {
  language: UiLanguage;
  number(n: number, options?: Intl.NumberFormatOptions): string;
  /** A moment, date and time (an entry's time). */
  dateTime(ms: number): string;
  /** A calendar day, `YYYY-MM-DD` (an expiry date), as that local day. */
  day(iso: string): string;
  /** "a, b and c". */
  list(items: readonly string[]): string;
  /** "just now", "5 minutes ago", "2 days ago". */
  age(ms: number, now: number): string;
}

/**
 * The Intl formatters of a language, each made once, when first used: a screen of 10,000 stock rows asks
 * for them per row, and making all four at start took 20-40 ms of the first view (the stock view formats
 * numbers and days, not times or lists).
 */
interface Formatters {
  numbers: () => Intl.NumberFormat;
  dateTimes: () => Intl.DateTimeFormat;
  days: () => Intl.DateTimeFormat;
  lists: () => Intl.ListFormat;
  /** Number formats with options, by their options. */
  withOptions: Map<string, Intl.NumberFormat>;
}
const formatters = new Map<UiLanguage, Formatters>();

function formattersFor(language: UiLanguage): Formatters {
  const known = formatters.get(language);
  if (known) return known;
  const locale = FORMAT_LOCALE[language];
  const words = once(() => language === 'hmn' || hasDateWords(locale));
  const made: Formatters = {
    numbers: once(() => new Intl.NumberFormat(locale)),
    dateTimes: once(() =>
      words()
        ? new Intl.DateTimeFormat(locale, DATE_TIME[language] ?? { dateStyle: 'medium', timeStyle: 'short' })
        : new Intl.DateTimeFormat(NUMERIC_LOCALE, NUMERIC_DATE_TIME),
    ),
    days: once(() =>
      words()
        ? new Intl.DateTimeFormat(locale, DAY[language] ?? { dateStyle: 'medium' })
        : new Intl.DateTimeFormat(NUMERIC_LOCALE, NUMERIC_DAY),
    ),
    lists: once(() => new Intl.ListFormat(locale, { type: 'conjunction' })),
    withOptions: new Map(),
  };
  formatters.set(language, made);
  return made;
}

/**
 * Makes the language's number and day formatters (the stock view's) and formats with each once, in a task of
 * its own while the first view waits for its rows (main.tsx): that view's render was a task of 80-100 ms at a
 * 1M-entry hub, 40% of it their first use (ICU's data loaded); with this, under 40 ms, and this task 32-53 ms.
 */
export function warmFormats(language: UiLanguage): void {
  const { numbers, days } = formattersFor(language);
  setTimeout(() => {
    numbers().format(1234.5);
    days().format(Date.UTC(2026, 10, 30));
  }, 0);
}

export function formatFor(language: UiLanguage, t: TFunction): Format {
  const locale = FORMAT_LOCALE[language];
  const { numbers, dateTimes, days, lists, withOptions } = formattersFor(language);
  const numberWith = (options: Intl.NumberFormatOptions) => {
    const key = JSON.stringify(options);
    let format = withOptions.get(key);
    if (!format) withOptions.set(key, (format = new Intl.NumberFormat(locale, options)));
    return format;
  };
  return {
    language,
    number: (n, options) => (options ? numberWith(options) : numbers()).format(n),
    dateTime: (ms) => dateTimes().format(ms),
    day: (iso) => days().format(new Date(`${iso}T00:00:00`)),
    list: (items) => lists().format(items),
    age: (ms, now) => {
      const s = Math.max(0, Math.round((now - ms) / 1000));
      if (s < 60) return t('format.justNow');
      const m = Math.round(s / 60);
      if (m < 60) return t('format.minutesAgo', { count: m });
      const h = Math.round(m / 60);
      if (h < 48) return t('format.hoursAgo', { count: h });
      return t('format.daysAgo', { count: Math.round(h / 24) });
    },
  };
}

/** The formatter for the language on screen; re-renders when it changes. */
export function useFormat(): Format {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? i18n.language;
  const language: UiLanguage = lng === PSEUDO || isLanguage(lng) ? lng : 'en';
  return useMemo(() => formatFor(language, t), [language, t]);
}
