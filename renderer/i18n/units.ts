import { PSEUDO, type UiLanguage } from './languages';

/**
 * "12 bags", "1 box", "3 boxes": an English unit as a person would say it. A unit is what a volunteer
 * typed, never translated, so only an English screen makes it plural (by English rules).
 */
export function englishPlural(n: number, unit: string): string {
  if (n === 1) return unit;
  if (/(s|x|z|ch|sh)$/i.test(unit)) return `${unit}es`;
  if (/[^aeiou]y$/i.test(unit)) return `${unit.slice(0, -1)}ies`;
  return `${unit}s`;
}

/** A typed unit for `n` of it on a screen in `language`: plural by English rules on an English screen only. */
export function unitWord(language: UiLanguage, n: number, unit: string): string {
  return language === 'en' || language === PSEUDO ? englishPlural(n, unit) : unit;
}
