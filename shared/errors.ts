import { messageForLog, type DomainMessage } from './messages';

/**
 * Typed validation errors of the domain core. Each issue names the field a person can fix and what is
 * wrong with it, as a message code the renderer puts into words ("Quantity must be a whole number").
 */
export type ValidationIssue = DomainMessage & {
  /** Dotted path of the offending field, e.g. `lines.2.quantity`; empty for the whole form. */
  readonly field: string;
};

export class ValidationError extends Error {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    // For logs only: what a person sees comes from the issues' codes, in their language.
    super(issues.map((i) => (i.field ? `${i.field}: ${messageForLog(i)}` : messageForLog(i))).join('; '));
    this.name = 'ValidationError';
    this.issues = issues;
  }

  /** The issue for one field, if any. */
  issueFor(field: string): ValidationIssue | undefined {
    return this.issues.find((i) => i.field === field);
  }
}

/** One issue: the field and the message about it. */
export const issue = (field: string, message: DomainMessage): ValidationIssue => ({ field, ...message });

/** Collects issues while a form is checked, then throws them all at once. */
export class IssueCollector {
  private readonly list: ValidationIssue[] = [];

  add(field: string, message: DomainMessage): void {
    this.list.push(issue(field, message));
  }

  get count(): number {
    return this.list.length;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}
