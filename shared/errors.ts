/**
 * Typed validation errors of the domain core. Each issue names the field a person can fix and says how,
 * in words a volunteer can act on ("Quantity must be a whole number above 0").
 */
export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `lines.2.quantity`; empty for the whole form. */
  readonly field: string;
  readonly message: string;
}

export class ValidationError extends Error {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super(issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '));
    this.name = 'ValidationError';
    this.issues = issues;
  }

  /** The message for one field, if any. */
  messageFor(field: string): string | undefined {
    return this.issues.find((i) => i.field === field)?.message;
  }
}

/** Collects issues while a form is checked, then throws them all at once. */
export class IssueCollector {
  private readonly list: ValidationIssue[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  get count(): number {
    return this.list.length;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}
