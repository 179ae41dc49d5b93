import { BelowZeroWarning } from '../../shared/belowZero';
import { ValidationError } from '../../shared/errors';
import { domainText } from './domainText';
import { i18n } from '../i18n';
import { EarlierSaveFailed } from '../storage/saveErrors';

/** The browser's (or Dexie's) "no room left" on this device's storage, however deep it is wrapped. */
function isStorageFull(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if ((e as { name?: unknown }).name === 'QuotaExceededError') return true;
    e = (e as { inner?: unknown; cause?: unknown }).inner ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

export interface FormErrors {
  /** Messages by field path (`lines.0.quantity`); '' is the whole form. */
  fields: Record<string, string>;
  summary: string[];
  /** The field each summary message is about ('' for the whole form), when the error named fields. */
  summaryFields?: readonly string[];
}

export const noErrors: FormErrors = { fields: {}, summary: [] };

/**
 * Turns whatever a save threw into messages a person can act on, in the language on screen (the core's
 * codes through the `domain` catalog); unexpected errors are named as such.
 */
export function toFormErrors(error: unknown): FormErrors {
  if (error instanceof ValidationError) {
    const fields: Record<string, string> = {};
    const summary = error.issues.map((i) => domainText(i));
    error.issues.forEach((i, n) => {
      if (!(i.field in fields)) fields[i.field] = summary[n]!;
    });
    return { fields, summary, summaryFields: error.issues.map((i) => i.field) };
  }
  if (error instanceof BelowZeroWarning) return { fields: {}, summary: error.messages.map(domainText) };
  if (error instanceof EarlierSaveFailed)
    return {
      fields: {},
      summary: [i18n.t('errors.notSaved', { reason: i18n.t('errors.earlierSaveFailed') })],
    };
  if (isStorageFull(error))
    return { fields: {}, summary: [i18n.t('errors.notSaved', { reason: i18n.t('errors.storageFull') })] };
  const message = error instanceof Error ? error.message : String(error);
  return { fields: {}, summary: [i18n.t('errors.notSaved', { reason: message })] };
}

/**
 * The messages a form still has to show in its summary: those not already shown at a field, so no message
 * is said twice. `shows` says which fields the form has a control (and so an error line) for; a field shows
 * one message, the first about it.
 */
export function messagesBeyondFields(errors: FormErrors, shows: (field: string) => boolean): string[] {
  return errors.summary.filter((message, n) => {
    const field = errors.summaryFields?.[n];
    return field === undefined || !shows(field) || errors.fields[field] !== message;
  });
}

/**
 * A form's `failed` for useCommand: each field's message goes to its field (`setErrors`), and the status
 * line says the rest (`messagesBeyondFields`), e.g. a failure that names no field.
 */
export function sayBeyondFields(
  setErrors: (errors: FormErrors) => void,
  shows: (field: string) => boolean,
): (error: unknown) => string {
  return (error) => {
    const found = toFormErrors(error);
    setErrors(found);
    return messagesBeyondFields(found, shows).join(' ');
  };
}
