import type { ResourceLanguage } from 'i18next';
import { pseudoCatalog } from './pseudo';

type Tree = { [key: string]: string | Tree };

/**
 * The catalogs, `locales/<language>/<namespace>.json`, all among the app's own files (it works offline and
 * talks to no host). English is in the first bundle: it is the fallback, and most devices show it. Each
 * other language's files are chunks of their own, loaded when that language is first shown
 * (`loadCatalog`, through i18next's backend): the first view of an English device does not wait for
 * three more languages to be compiled. A new namespace file registers itself.
 */
const english = import.meta.glob<Tree>('./locales/en/*.json', { eager: true, import: 'default' });
const others = import.meta.glob<Tree>(['./locales/*/*.json', '!./locales/en/*.json'], { import: 'default' });

/** English's catalogs, by namespace. */
export function englishResources(): ResourceLanguage {
  const language = {} as ResourceLanguage;
  for (const [path, catalog] of Object.entries(english)) {
    const namespace = /\/([^/]+)\.json$/.exec(path)?.[1];
    if (namespace) language[namespace] = withoutMeta(catalog);
  }
  return language;
}

/**
 * One namespace of a language other than English, loaded from its chunk; an empty catalog for a language
 * or namespace the app does not ship (i18next then falls back to English, key by key).
 */
export async function loadCatalog(language: string, namespace: string): Promise<Tree> {
  const load = others[`./locales/${language}/${namespace}.json`];
  return load ? withoutMeta(await load()) : {};
}

/**
 * The pseudo-locale's catalogs, made from English (tests only; never offered in the language list). Made
 * only when a page asks for it: made at every start, it took a third of the app's first task.
 */
export function pseudoResources(en: ResourceLanguage): ResourceLanguage {
  return Object.fromEntries(
    Object.entries(en).map(([ns, catalog]) => [ns, pseudoCatalog(catalog as Tree)]),
  ) as ResourceLanguage;
}

/** Namespaces found on disk, `app` first. */
export function bundledNamespaces(): string[] {
  const names = new Set<string>(['app']);
  for (const path of Object.keys(english)) {
    const name = /\/([^/]+)\.json$/.exec(path)?.[1];
    if (name) names.add(name);
  }
  return [...names];
}

/** `_meta` holds notes for translators (who wrote it, whether a native speaker reviewed it): not UI text. */
function withoutMeta(catalog: Tree): Tree {
  const { _meta: _, ...rest } = catalog;
  return rest;
}
