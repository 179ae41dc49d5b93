import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LANGUAGES, PLURAL_LOCALE } from '../../../renderer/i18n/languages';

/**
 * The catalogs against each other and against the code: every shipped language has every English key
 * (with the plural forms its own rules need), no key is empty, placeholders agree, and every key of the
 * `app` namespace is used somewhere in renderer/ (keys built at run time are listed in DYNAMIC_PREFIXES).
 */
const ROOT = join(import.meta.dirname, '../../..');
const LOCALES = join(ROOT, 'renderer/i18n/locales');
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

/** Keys the code builds from a value (`t(\`nav.${id}\`)`): a key under one of these counts as used. */
const DYNAMIC_PREFIXES: Record<string, string[]> = {
  app: [],
};

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

function catalog(language: string, ns: string): Map<string, string> {
  return flatten(JSON.parse(readFileSync(join(LOCALES, language, `${ns}.json`), 'utf8')) as Tree);
}

const namespaces = readdirSync(join(LOCALES, 'en'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

const base = (key: string) => key.replace(PLURAL_SUFFIX, '');
const placeholders = (text: string) =>
  [...text.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]).sort();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'locales' ? [] : sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

describe('catalogs', () => {
  it('has an app namespace in English', () => {
    expect(namespaces).toContain('app');
  });

  for (const ns of namespaces) {
    const en = catalog('en', ns);
    const enBases = new Map<string, string>();
    for (const [k, v] of en) enBases.set(base(k), v);

    it(`${ns}: no empty English string`, () => {
      expect([...en].filter(([, v]) => v.trim() === '').map(([k]) => k)).toEqual([]);
    });

    for (const { code } of LANGUAGES.filter((l) => l.code !== 'en')) {
      const forms = new Intl.PluralRules(PLURAL_LOCALE[code]).resolvedOptions().pluralCategories;
      it(`${ns}: ${code} has every English key, its own plural forms, no empty string, the same placeholders`, () => {
        const own = catalog(code, ns);
        const enPlural = new Set([...en.keys()].filter((k) => PLURAL_SUFFIX.test(k)).map(base));
        const problems: string[] = [];
        for (const key of enBases.keys()) {
          const needed = enPlural.has(key) ? forms.map((f) => `${key}_${f}`) : [key];
          for (const k of needed) {
            const text = own.get(k);
            if (text === undefined) problems.push(`missing ${k}`);
            else if (text.trim() === '') problems.push(`empty ${k}`);
            else {
              const want = placeholders(enBases.get(key)!).filter((p) => p !== 'count');
              const got = placeholders(text).filter((p) => p !== 'count');
              if (want.join() !== got.join()) problems.push(`${k}: placeholders ${got} instead of ${want}`);
            }
          }
        }
        for (const k of own.keys()) {
          if (!enBases.has(base(k))) problems.push(`not in English: ${k}`);
          else if (
            enPlural.has(base(k)) &&
            !forms.includes(k.match(PLURAL_SUFFIX)?.[1] as Intl.LDMLPluralRule)
          )
            problems.push(`plural form ${k} that ${code} does not use`);
        }
        expect(problems).toEqual([]);
      });
    }
  }

  it('every t() key of the app namespace is in the English catalog', () => {
    const en = new Set([...catalog('en', 'app').keys()].map(base));
    const missing: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'renderer'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*(['"])([\w.-]+)\1/g)) {
        if (m[2] && !en.has(m[2])) missing.push(`${relative(ROOT, file)}: ${m[2]}`);
      }
      for (const m of text.matchAll(/\bi18nKey=(['"])([\w.-]+)\1/g)) {
        if (m[2] && !en.has(m[2])) missing.push(`${relative(ROOT, file)}: ${m[2]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every key of the app namespace is used in renderer/', () => {
    const code = sourceFiles(join(ROOT, 'renderer'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = [...new Set([...catalog('en', 'app').keys()].map(base))].filter(
      (key) =>
        !new RegExp(`['"\`]${key.replace(/\./g, '\\.')}['"\`]`).test(code) &&
        !(DYNAMIC_PREFIXES.app ?? []).some((p) => key.startsWith(p)),
    );
    expect(unused).toEqual([]);
  });

  it('never makes a typed unit plural by adding an "s" (the code passes unitWord: "boxes", not "boxs")', () => {
    const naive = namespaces.flatMap((ns) =>
      [...catalog('en', ns)]
        .filter(([, text]) => /\{\{\s*unit\s*\}\}s\b/.test(text))
        .map(([key]) => `${ns}:${key}`),
    );
    expect(naive).toEqual([]);
  });
});
