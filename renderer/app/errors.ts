import { BelowZeroWarning } from '../../shared/commands';
import { ValidationError } from '../../shared/errors';

export interface FormErrors {
  /** Messages by field path (`lines.0.quantity`); '' is the whole form. */
  fields: Record<string, string>;
  summary: string[];
}

export const noErrors: FormErrors = { fields: {}, summary: [] };

/** Turns whatever a save threw into messages a person can act on; unexpected errors are named as such. */
export function toFormErrors(error: unknown): FormErrors {
  if (error instanceof ValidationError) {
    const fields: Record<string, string> = {};
    for (const i of error.issues) if (!(i.field in fields)) fields[i.field] = i.message;
    return { fields, summary: error.issues.map((i) => i.message) };
  }
  if (error instanceof BelowZeroWarning) return { fields: {}, summary: [error.message] };
  const message = error instanceof Error ? error.message : String(error);
  return { fields: {}, summary: [`Not saved: ${message}`] };
}
