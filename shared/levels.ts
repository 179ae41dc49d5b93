import { IssueCollector } from './errors';
import { msg } from './messages';
import { parseQuantity } from './quantity';
import type { Levels } from './status';

export interface LevelsForm {
  min: string;
  target: string;
}

/** Parses a hub's minimum and target for an item; both empty clears them. */
export function parseLevelsForm(form: LevelsForm): Levels | null {
  if (!form.min.trim() && !form.target.trim()) return null;
  const issues = new IssueCollector();
  const min = parseQuantity(form.min, { field: 'minimum', allowZero: true });
  const target = parseQuantity(form.target, { field: 'target', allowZero: true });
  if (!min.ok) issues.add('min', min.message);
  if (!target.ok) issues.add('target', target.message);
  if (min.ok && target.ok && target.value < min.value)
    issues.add('target', msg('levels.targetBelowMinimum', { minimum: min.value }));
  issues.throwIfAny();
  return { min: (min as { value: number }).value, target: (target as { value: number }).value };
}
