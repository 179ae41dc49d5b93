import { MAX_QUANTITY } from '../quantity';

export type NumberReading =
  | { ok: true; value: number }
  | { ok: false; reason: 'not-a-number' | 'negative' | 'not-whole' | 'too-large' };

const GROUPED = /^\d{1,3}([,.])\d{3}(?:\1\d{3})*$/;
const DECIMAL = /^\d+[.,]\d+$/;

/**
 * Reads a whole number the way spreadsheets write one: "1200", "1,200", "1.200" (thousands), "12.0". A
 * decimal such as "12,5" is not a whole number, never 125.
 */
export function readNumberCell(raw: string): NumberReading {
  let text = raw.replace(/[\s\u00a0\u202f']/g, '');
  let negative = false;
  if (/^[+-]/.test(text)) {
    negative = text[0] === '-';
    text = text.slice(1);
  }
  let value: number;
  if (/^\d+$/.test(text)) value = Number(text);
  else if (GROUPED.test(text)) value = Number(text.replace(/[,.]/g, ''));
  else if (DECIMAL.test(text)) {
    value = Number(text.replace(',', '.'));
    if (!Number.isInteger(value)) return { ok: false, reason: negative ? 'negative' : 'not-whole' };
  } else return { ok: false, reason: 'not-a-number' };
  if (negative && value !== 0) return { ok: false, reason: 'negative' };
  if (!Number.isSafeInteger(value) || value > MAX_QUANTITY) return { ok: false, reason: 'too-large' };
  return { ok: true, value };
}

export type QuantityReading =
  | { ok: true; value: number; unit?: string }
  | { ok: false; reason: 'not-a-number' | 'negative' | 'not-whole' | 'too-large' };

// A number, then perhaps a word: "12", "12 cans", "1,200 bags", "3 x"? no: the word starts with a letter.
const WITH_WORD = /^([+-]?[\d.,\s\u00a0\u202f']*\d)\s*(\p{L}[\p{L} .-]{0,29})?$/u;

/** Reads a quantity cell: a whole number, or a number and a unit ("12 cans"), never "a dozen". */
export function readQuantityCell(raw: string): QuantityReading {
  const m = WITH_WORD.exec(raw.trim());
  if (!m) return { ok: false, reason: 'not-a-number' };
  const n = readNumberCell(m[1]!);
  if (!n.ok) return n;
  const word = m[2]?.replace(/\.$/, '').trim();
  return word ? { ok: true, value: n.value, unit: word } : { ok: true, value: n.value };
}

/**
 * Units compared as a person reads them: "Cans", "can" and "can." are one unit. Only the common English
 * plural endings are folded; anything else must match as written.
 */
export function unitKey(unit: string): string {
  const u = unit
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (u.length > 3 && /(ch|sh|x|ss)es$/.test(u)) return u.slice(0, -2);
  if (u.length > 2 && /[^s]s$/.test(u)) return u.slice(0, -1);
  return u;
}

/** The singular of a unit word read from a quantity ("12 cans" makes an item counted in "can"). */
export function singularUnit(word: string): string {
  const w = word.trim().replace(/\s+/g, ' ');
  const key = unitKey(w);
  return w.toLowerCase() === key ? w : w.slice(0, key.length);
}

// Cells exported as text that a spreadsheet would run as a formula carry an apostrophe (see needs.ts).
const ESCAPED_FORMULA = /^'+[=+\-@\t\r]/;

/** A text cell as written, less the apostrophe an export put before a formula-like start. */
export function textCell(raw: string | undefined): string {
  const v = raw ?? '';
  return ESCAPED_FORMULA.test(v) ? v.slice(1) : v;
}
