import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../../../renderer/i18n';
import { toFormErrors } from '../../../renderer/app/errors';
import { EarlierSaveFailed } from '../../../renderer/storage/persistence';

/** "Not saved: ..." in the language on screen, with the two storage failures a volunteer can act on worded. */
describe('toFormErrors', () => {
  afterEach(() => i18n.changeLanguage('en'));

  it('names a full disk and an earlier failed save in words, in the language on screen', async () => {
    const full = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    // Dexie wraps the browser's error; the name is found however deep it sits.
    const wrapped = Object.assign(new Error('Transaction aborted'), { name: 'AbortError', inner: full });
    expect(toFormErrors(full).summary).toEqual([
      'Not saved: this device’s storage is full. Free some space (or close other tabs), then save again',
    ]);
    expect(toFormErrors(wrapped).summary).toEqual(toFormErrors(full).summary);
    await i18n.changeLanguage('so');
    expect(toFormErrors(new EarlierSaveFailed()).summary).toEqual([
      'Lama kaydin: kaydin hore ayaa fashilantay, sidaas darteed kanna lama kaydin; isku day mar kale',
    ]);
  });

  it('keeps an unexpected error’s own message after the translated words', async () => {
    await i18n.changeLanguage('es');
    expect(toFormErrors(new Error('boom')).summary).toEqual(['No se guardó: boom']);
  });
});
