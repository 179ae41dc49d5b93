import type { Resource, ResourceLanguage } from 'i18next';
import { pseudoCatalog } from './pseudo';

type Tree = { [key: string]: string | Tree };

/**
 * Every `locales/<language>/<namespace>.json`, bundled into the app (it works offline and talks to no
 * host, so there is no loading backend). A new namespace file registers itself.
 */
const files = import.meta.glob<Tree>('./locales/*/*.json', { eager: true, import: 'default' });

export function bundledResources(): Resource {
  const resources: Resource = {};
  for (const [path, catalog] of Object.entries(files)) {
    const match = /\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
    const [, language, namespace] = match ?? [];
    if (!language || !namespace) continue;
    (resources[language] ??= {} as ResourceLanguage)[namespace] = withoutMeta(catalog);
  }
  return resources;
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
  for (const path of Object.keys(files)) {
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
