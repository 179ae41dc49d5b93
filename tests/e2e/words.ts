import { readFileSync } from 'node:fs';

/** English words the specs look for, from the catalog the app shows them from. */
export const EN = JSON.parse(
  readFileSync(new URL('../../renderer/i18n/locales/en/app.json', import.meta.url), 'utf8'),
) as { notes: { privacy: string } };

/** Shown under every free-text note field (renderer: t('notes.privacy')). */
export const NOTE_PRIVACY = EN.notes.privacy;
