import { IssueCollector } from './errors';
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
  const min = parseQuantity(form.min, { label: 'Minimum', allowZero: true });
  const target = parseQuantity(form.target, { label: 'Target', allowZero: true });
  if (!min.ok) issues.add('min', min.message);
  if (!target.ok) issues.add('target', target.message);
  if (min.ok && target.ok && target.value < min.value)
    issues.add('target', `Target must be at least the minimum (${min.value})`);
  issues.throwIfAny();
  return { min: (min as { value: number }).value, target: (target as { value: number }).value };
}
