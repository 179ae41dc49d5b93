import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { chooseLanguage, currentLanguage } from './index';
import { LANGUAGES } from './languages';

/**
 * The language choice, each language named in itself, for this device only. Shown on the first screen
 * (Setup) and in this device's settings. Switching takes effect at once.
 */
export function LanguagePicker() {
  const { t } = useTranslation();
  const id = useId();
  const current = currentLanguage();
  return (
    <div className="language-picker">
      <label htmlFor={id}>{t('language.label')}</label>
      <select
        id={id}
        value={current}
        onChange={(e) => void chooseLanguage(e.target.value as (typeof LANGUAGES)[number]['code'])}
      >
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </div>
  );
}
