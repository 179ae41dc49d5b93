import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import resourcesToBackend from 'i18next-resources-to-backend';
import { bundledNamespaces, englishResources, loadCatalog, pseudoResources } from './catalogs';
import {
  DEFAULT_LANGUAGE,
  HTML_LANG,
  PLURAL_LOCALE,
  PSEUDO,
  isLanguage,
  type Language,
  type UiLanguage,
} from './languages';

/**
 * The app's one i18next instance: catalogs bundled (renderer/i18n/locales/<language>/<namespace>.json),
 * namespace `app` by default (screens' words), other namespaces (`domain`: the words for codes that come
 * out of shared/) loaded the same way and addressed as `t('domain:...')` or `useTranslation('domain')`.
 * English is the fallback for a key a catalog lacks (the catalog test keeps that from shipping).
 */
/** Where this device keeps its language choice (declared before the init below reads it). */
const STORAGE_KEY = 'larder.language';

export const i18n: I18n = i18next.createInstance();

const english = englishResources();
const firstLanguage = initialLanguage();

/**
 * Resolves once the first language's catalogs are loaded (at once for English): the app renders after it,
 * so a Spanish device never shows English words first. Other languages load when chosen
 * (`changeLanguage` waits for them).
 */
export const i18nReady: Promise<unknown> = i18n
  .use(initReactI18next)
  .use(resourcesToBackend(loadCatalog))
  .init({
    resources: { en: english, ...(firstLanguage === PSEUDO ? { [PSEUDO]: pseudoResources(english) } : {}) },
    // English (and the pseudo-locale) are given; the rest come from the backend.
    partialBundledLanguages: true,
    ns: bundledNamespaces(),
    defaultNS: 'app',
    lng: firstLanguage,
    fallbackLng: DEFAULT_LANGUAGE,
    supportedLngs: false,
    initAsync: false,
    returnEmptyString: false,
    // React escapes what it renders; escaping here too would show `&amp;` in item names.
    interpolation: { escapeValue: false },
    react: { useSuspense: false },
  });
followPluralLocale(i18n);
// `{{kind, lowercase}}`: a word of the catalog inside a sentence ("Undo pickup of rice"), in the language's case rules.
i18n.services.formatter?.add('lowercase', (value: unknown, lng: string | undefined) =>
  String(value).toLocaleLowerCase(lng === PSEUDO ? 'en' : lng),
);

/** Makes the pseudo-locale's catalogs if this page has not (a page opened with `?lng=pseudo` has). */
export function loadPseudoLocale(): void {
  if (i18n.hasResourceBundle(PSEUDO, 'app')) return;
  for (const [ns, catalog] of Object.entries(pseudoResources(english)))
    i18n.addResourceBundle(PSEUDO, ns, catalog);
}

/** The plural rules a language follows (PLURAL_LOCALE: Hmong has no CLDR data of its own). */
function followPluralLocale(instance: I18n) {
  const resolver = instance.services.pluralResolver as {
    getRule: (code: string, options?: object) => Intl.PluralRules | undefined;
  };
  const getRule = resolver.getRule.bind(resolver);
  resolver.getRule = (code, options) => getRule(PLURAL_LOCALE[code as UiLanguage] ?? code, options);
}

/**
 * `?lng=` (a shipped language, or `pseudo` for tests) for this page only; otherwise this device's choice;
 * otherwise English. The choice is per device (localStorage), not synced: two volunteers at different
 * hubs of one network read different languages.
 */
function initialLanguage(): UiLanguage {
  if (typeof window === 'undefined') return DEFAULT_LANGUAGE;
  const asked = new URLSearchParams(window.location.search).get('lng');
  if (asked === PSEUDO || isLanguage(asked)) return asked;
  return storedLanguage() ?? DEFAULT_LANGUAGE;
}

export function storedLanguage(): Language | null {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return isLanguage(stored) ? stored : null;
  } catch {
    return null; // storage refused (private mode): the choice lasts for this page only
  }
}

/** Switches the whole app at once and remembers the choice on this device. */
export async function chooseLanguage(language: Language): Promise<void> {
  try {
    localStorage.setItem(STORAGE_KEY, language);
  } catch {
    // Storage refused: still switch for this page.
  }
  await i18n.changeLanguage(language);
}

export function currentLanguage(): UiLanguage {
  const lng = i18n.resolvedLanguage ?? i18n.language;
  return lng === PSEUDO || isLanguage(lng) ? lng : DEFAULT_LANGUAGE;
}

function followHtmlLang() {
  if (typeof document === 'undefined') return;
  document.documentElement.lang = HTML_LANG[currentLanguage()];
}
followHtmlLang();
i18n.on('languageChanged', followHtmlLang);
