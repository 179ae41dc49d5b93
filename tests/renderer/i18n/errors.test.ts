import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../../../renderer/i18n';
import { messagesBeyondFields, toFormErrors } from '../../../renderer/app/errors';
import { ValidationError } from '../../../shared/errors';
import { msg, word } from '../../../shared/messages';
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

/** A form says each message once: at its field when it shows that field, else in the summary below the form. */
describe('messagesBeyondFields', () => {
  const error = new ValidationError([
    { field: 'households', ...msg('form.householdsTooMany', { max: 100000 }) },
    { field: 'lines.0.quantity', ...msg('form.noPackSize', { item: 'Rice', unit: 'bag' }) },
    { field: 'lines.0.quantity', ...msg('form.itemUnknown') },
    { field: '', ...msg('form.itemUnknown') },
    { field: 'somewhereElse', ...msg('form.noLines', { kind: word('kind.donation') }) },
  ]);
  const errors = toFormErrors(error);
  const shows = (f: string) => f === 'households' || f.startsWith('lines.');

  it('leaves out what a field shows and keeps the whole form’s, a field the form lacks, and a second about one field', () => {
    const summary = errors.summary;
    expect(summary).toHaveLength(5);
    expect(errors.fields.households).toBe(summary[0]);
    expect(messagesBeyondFields(errors, shows)).toEqual([summary[2], summary[3], summary[4]]);
  });

  it('keeps every message of an error that named no field', () => {
    const other = toFormErrors(new Error('boom'));
    expect(messagesBeyondFields(other, () => true)).toEqual(other.summary);
  });
});
