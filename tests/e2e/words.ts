import en from '../../renderer/i18n/locales/en/app.json';

/** English words the specs look for, from the catalog the app shows them from. */
export const EN = en;

/** Shown under every free-text note field (renderer: t('notes.privacy')). */
export const NOTE_PRIVACY = en.notes.privacy;
