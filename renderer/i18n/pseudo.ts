/**
 * A pseudo-locale made from the English catalog: every letter accented and every string bracketed, so a
 * screen shown in it reveals, at a glance or to a test, any text that did not come from the catalog (it
 * stays plain ASCII) and any layout that cannot take longer words (the strings grow by about a third).
 * Interpolations (`{{count}}`), nesting (`$t(...)`) and tags (`<1>`) are kept as they are.
 */
const ACCENTED: Record<string, string> = {
  a: 'á',
  b: 'ƀ',
  c: 'ç',
  d: 'ð',
  e: 'é',
  f: 'ƒ',
  g: 'ĝ',
  h: 'ĥ',
  i: 'í',
  j: 'ĵ',
  k: 'ķ',
  l: 'ľ',
  m: 'ɱ',
  n: 'ñ',
  o: 'ó',
  p: 'þ',
  q: 'ǫ',
  r: 'ŕ',
  s: 'š',
  t: 'ţ',
  u: 'ú',
  v: 'ṽ',
  w: 'ŵ',
  x: 'ẋ',
  y: 'ý',
  z: 'ž',
  A: 'Á',
  B: 'Ɓ',
  C: 'Ç',
  D: 'Ð',
  E: 'É',
  F: 'Ƒ',
  G: 'Ĝ',
  H: 'Ĥ',
  I: 'Í',
  J: 'Ĵ',
  K: 'Ķ',
  L: 'Ľ',
  M: 'Ṁ',
  N: 'Ñ',
  O: 'Ó',
  P: 'Þ',
  Q: 'Ǫ',
  R: 'Ŕ',
  S: 'Š',
  T: 'Ţ',
  U: 'Ú',
  V: 'Ṽ',
  W: 'Ŵ',
  X: 'Ẋ',
  Y: 'Ý',
  Z: 'Ž',
};

export const PSEUDO_OPEN = '⟦';
export const PSEUDO_CLOSE = '⟧';

/** Kept untouched: `{{interpolation}}`, `$t(nesting)` and `<tag>` / `</tag>` / `<1/>`. */
const PROTECTED = /(\{\{[^}]*\}\}|\$t\([^)]*\)|<\/?[\w-]+\s*\/?>)/;

export function pseudoString(text: string): string {
  const parts = text.split(PROTECTED);
  const out = parts.map((part, i) =>
    i % 2 === 1 ? part : part.replace(/[A-Za-z]/g, (c) => ACCENTED[c] ?? c),
  );
  // Lengthen by about a third (long German/Somali words are the usual overflow).
  const letters = text.replace(PROTECTED, '').replace(/[^A-Za-z]/g, '').length;
  const pad = '~'.repeat(Math.ceil(letters / 3));
  return `${PSEUDO_OPEN}${out.join('')}${pad}${PSEUDO_CLOSE}`;
}

type Tree = { [key: string]: string | Tree };

/** The whole catalog transformed; `_meta` (notes for translators) is left out. */
export function pseudoCatalog(catalog: Tree): Tree {
  const out: Tree = {};
  for (const [key, value] of Object.entries(catalog)) {
    if (key === '_meta') continue;
    out[key] = typeof value === 'string' ? pseudoString(value) : pseudoCatalog(value);
  }
  return out;
}
