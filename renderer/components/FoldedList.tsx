import { useId, useState, type ReactNode } from 'react';
import { firstRows, useShownRows } from '../app/slices';

interface FoldedListProps<T> {
  items: readonly T[];
  /** How many items show while the list is folded. */
  first: number;
  /** The list's accessible name. */
  label: string;
  /** The button that unfolds it, naming what it shows ("Show all 14 suggested moves"). */
  showAll: string;
  showFewer: string;
  className?: string;
  keyOf: (item: T) => string;
  /** One item's content, inside its `<li>`. */
  children: (item: T) => ReactNode;
}

/**
 * A list that shows its first items and a button for the rest: a summary card stays a summary however many
 * items a large network gives it (a coordinator's card of one hub's shortages could hold every item of the
 * catalog). Unfolded, the rest is added a slice at a time in the background, as the long tables are
 * (renderer/app/slices.ts), so a list of thousands never blocks the page in one render.
 */
export function FoldedList<T>({
  items,
  first,
  label,
  showAll,
  showFewer,
  className,
  keyOf,
  children,
}: FoldedListProps<T>) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const foldable = items.length > first;
  const shown = useShownRows(open && foldable ? items.length : null);
  const visible = !foldable ? items : open ? firstRows(items, Math.max(first, shown)) : items.slice(0, first);
  return (
    <>
      <ul id={id} className={className ? `plain ${className}` : 'plain'} aria-label={label}>
        {visible.map((item) => (
          <li key={keyOf(item)}>{children(item)}</li>
        ))}
      </ul>
      {foldable && (
        <FoldToggle open={open} controls={id} onToggle={setOpen} showAll={showAll} showFewer={showFewer} />
      )}
    </>
  );
}

/** The button under a folded list or table that shows the rest of it, or folds it again. */
export function FoldToggle({
  open,
  controls,
  onToggle,
  showAll,
  showFewer,
}: {
  open: boolean;
  /** The id of the list or table it folds. */
  controls: string;
  onToggle: (open: boolean) => void;
  showAll: string;
  showFewer: string;
}) {
  return (
    <button
      type="button"
      className="link fold-toggle"
      aria-expanded={open}
      aria-controls={controls}
      onClick={() => onToggle(!open)}
    >
      {open ? showFewer : showAll}
    </button>
  );
}
