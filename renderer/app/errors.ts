import { BelowZeroWarning } from '../../shared/commands';
import { ValidationError } from '../../shared/errors';
import { domainText } from './domainText';
import { i18n } from '../i18n';

export interface FormErrors {
  /** Messages by field path (`lines.0.quantity`); '' is the whole form. */
  fields: Record<string, string>;
  summary: string[];
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
    return { fields, summary };
  }
  if (error instanceof BelowZeroWarning) return { fields: {}, summary: error.messages.map(domainText) };
  const message = error instanceof Error ? error.message : String(error);
  return { fields: {}, summary: [i18n.t('errors.notSaved', { reason: message })] };
}
