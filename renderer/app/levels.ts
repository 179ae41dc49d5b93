import type { CategoryLevelsRow, LevelsRow } from '../storage/db';
import type { Levels } from '../../shared/status';

/** An item's own levels at a hub, else its category's default there, else none. */
export function effectiveLevels(
  hub: string,
  item: { id: string; category: string },
  own: ReadonlyMap<string, LevelsRow>,
  byCategory: ReadonlyMap<string, CategoryLevelsRow>,
): Levels | undefined {
  const l = own.get(`${hub}|${item.id}`) ?? byCategory.get(`${hub}|${item.category}`);
  return l ? { min: l.min, target: l.target } : undefined;
}
