import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { DomainMessage, MessageParam } from '../../shared/messages';
import type { FileProblem, RowNote, RowProblem } from '../../shared/import';
import { NEEDS_CSV_COLUMNS, URGENCIES, type NeedsCsvWords } from '../../shared/needsWords';
import { currentLanguage, i18n } from '../i18n';
import { FORMAT_LOCALE, PSEUDO, isLanguage, type UiLanguage } from '../i18n/languages';

/**
 * The core's codes in words: a message from shared/ (`{ code, params }`) becomes a sentence of the
 * `domain` catalog (`renderer/i18n/locales/<language>/domain.json`, key = code). Parameters that are
 * words of the domain (`{ word: 'kind.pickup' }`) are translated first; numbers are formatted for the
 * language by the catalog's `{{n, number}}` (with the language's formatting locale: Hmong has no Intl
 * data of its own); `count` chooses the plural form.
 *
 * In a component use `useDomainText()`, which re-renders when the language changes; `domainText()` is
 * for code outside React (it reads the language at the time it is called).
 */
export type Shown = DomainMessage | LegacyText;
/** A reason stored in English by a version of Larder from before codes (old Problems rows): shown as is. */
type LegacyText = string;

type Values = Record<string, string | number>;

/** What a quoted value from a sheet or a peer may show at most: the rest is cut with an ellipsis. */
const MAX_QUOTED = 40;
const quoted = (s: string) => (s.length > MAX_QUOTED ? `${s.slice(0, MAX_QUOTED)}…` : s);

function values(t: TFunction, params: Readonly<Record<string, MessageParam>> | undefined): Values {
  const out: Values = {};
  for (const [key, value] of Object.entries(params ?? {}))
    out[key] = typeof value === 'object' ? t(`domain:word.${value.word}`) : value;
  return out;
}

export function domainTextWith(t: TFunction, language: UiLanguage, message: Shown): string {
  if (typeof message === 'string') return message;
  return t(`domain:${message.code}`, { ...values(t, message.params), locale: FORMAT_LOCALE[language] });
}

/** What is wrong with a file or a row of a spreadsheet being imported, or what Larder did with a row. */
export function importTextWith(
  t: TFunction,
  language: UiLanguage,
  p: RowProblem | FileProblem | RowNote,
): string {
  const { code, ...params } = p;
  const shown: Values = {};
  for (const [key, value] of Object.entries(params as Values))
    shown[key] = typeof value === 'string' ? quoted(value) : value;
  // The file's size in kB and the limit in MB, as a person reads them.
  if (p.code === 'file-too-large') {
    shown.kilobytes = Math.round(p.bytes / 1000);
    shown.megabytes = p.max / 1_000_000;
  }
  return t(`domain:import.${code}`, { ...shown, locale: FORMAT_LOCALE[language] });
}

const languageOf = (lng: string | undefined): UiLanguage => (lng === PSEUDO || isLanguage(lng) ? lng : 'en');

/** For code outside React (form errors, status lines built in a handler): the language now. */
export function domainText(message: Shown): string {
  return domainTextWith(i18n.t.bind(i18n), currentLanguage(), message);
}

export function importText(p: RowProblem | FileProblem | RowNote): string {
  return importTextWith(i18n.t.bind(i18n), currentLanguage(), p);
}

/** `const text = useDomainText(); text(issue)`: re-renders when the language changes. */
export function useDomainText(): (message: Shown) => string {
  const { t, i18n: instance } = useTranslation('domain');
  const language = languageOf(instance.resolvedLanguage ?? instance.language);
  return useCallback((message: Shown) => domainTextWith(t, language, message), [t, language]);
}

export function useImportText(): (p: RowProblem | FileProblem | RowNote) => string {
  const { t, i18n: instance } = useTranslation('domain');
  const language = languageOf(instance.resolvedLanguage ?? instance.language);
  return useCallback(
    (p: RowProblem | FileProblem | RowNote) => importTextWith(t, language, p),
    [t, language],
  );
}

/** The needs list's words (CSV headers, urgencies) in the language on screen. */
export function needsWordsWith(t: TFunction): NeedsCsvWords {
  return {
    headers: Object.fromEntries(
      NEEDS_CSV_COLUMNS.map((c) => [c, t(`domain:needs.csv.${c}`)]),
    ) as NeedsCsvWords['headers'],
    urgency: Object.fromEntries(
      URGENCIES.map((u) => [u, t(`domain:needs.urgency.${u}`)]),
    ) as NeedsCsvWords['urgency'],
  };
}

export function useNeedsWords(): NeedsCsvWords {
  const { t } = useTranslation('domain');
  return useMemo(() => needsWordsWith(t), [t]);
}
