import { startTransition, useEffect, useState } from 'react';

/** Rows a long table shows first: more than a tall window holds. */
export const FIRST_ROWS = 30;

/**
 * Rows added at a time after the first ones (at the least: `stepAfter`), a commit (and a layout) each. 440 rows
 * of the stock table added at once were one layout task of 311-336 ms (a 1M-entry hub's 500 items, on a 2-core
 * machine under Chromium's tracing): the longest task of the start. 25 at a time, with the table's columns at
 * fixed widths (styles.css), are tasks of 55-76 ms under tracing, most of it shaping the new rows' words for the
 * first time.
 */
export const MORE_ROWS = 25;

/**
 * Runs `run` once the page has produced its next frame (its layout and paint done), or soon if the page is
 * hidden (it produces no frames then). Returns what cancels it.
 */
export function afterNextFrame(run: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let frame: number | undefined;
  if (typeof requestAnimationFrame !== 'function' || document.visibilityState === 'hidden') {
    timer = setTimeout(run, 0);
  } else {
    // A frame's callbacks run before its layout; a task queued from one runs after that frame is drawn.
    frame = requestAnimationFrame(() => {
      frame = undefined;
      timer = setTimeout(run, 0);
    });
  }
  return () => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    if (timer !== undefined) clearTimeout(timer);
  };
}

/**
 * How many rows of a long list to show: FIRST_ROWS, then a step more (`stepAfter`: MORE_ROWS, or a tenth of
 * those shown once that is more, MOST_ROWS at the most) once each step has been drawn (one step per frame: React
 * may commit several steps between two frames, whose rows were then laid out in one frame of 50-100 ms), each
 * step rendered in the background (a transition: clicks and keys come first), until all are shown (Infinity);
 * once all are shown, all stay shown, until `restartOn` changes (another list: a search typed, another hub) or
 * the list grows by more than a step (a new device's catalog arriving with its checkpoint: the empty list it
 * showed before was "all shown", and the 3,600 rows that came next were one task of 2.2 s): its new rows are
 * then added a step at a time too. `total` is the list's length, null while it is not known yet. Rows already
 * shown should be memoized components, so a step renders only its new rows.
 */
export function useShownRows(total: number | null, first = FIRST_ROWS, restartOn?: unknown): number {
  const [state, setState] = useState<ShownRows>({ shown: first, restartOn });
  const shown = shownNow(state, total, first, restartOn);
  useEffect(() => {
    if (total === null) return;
    if (shown === Infinity) {
      // A list that shrank (a search typed, rows gone): it grows from its new length.
      const less = shorter(state, total);
      if (less) setState(less);
      return;
    }
    return afterNextFrame(() => startTransition(() => setState(nextStep(shown, total, restartOn))));
  }, [state, total, shown, restartOn]);
  return shown;
}

/** Where `useShownRows` stands: rows shown (Infinity: all), of which list, and how long it was when all were. */
export interface ShownRows {
  shown: number;
  restartOn: unknown;
  all?: number;
}

/** How many rows a render shows of a list of `total` rows (null: not known yet), from where the steps stand. */
export function shownNow(state: ShownRows, total: number | null, first: number, restartOn: unknown): number {
  // A new list (a search typed: `restartOn` changed) starts again from its first rows, in the same render.
  if (!Object.is(state.restartOn, restartOn)) return first;
  // All shown when the list was `all` rows long, and it has grown by more than a step since: on from there.
  if (state.shown === Infinity && total !== null && state.all !== undefined) {
    const from = Math.max(state.all, first);
    if (total > from + MORE_ROWS) return from;
  }
  return state.shown;
}

/** All shown of a list now shorter than it was when all were (`state.all`): the state as of its new length. */
export function shorter(state: ShownRows, total: number): ShownRows | null {
  return state.shown === Infinity && state.all !== undefined && total < state.all
    ? { ...state, all: total }
    : null;
}

/** Rows a step adds at the most (`stepAfter`). */
export const MOST_ROWS = 100;

/**
 * Rows the step after `shown` adds: MORE_ROWS, a tenth of those shown once that is more, and MOST_ROWS at the
 * most. Each step's frame costs something that grows with the rows already there: it laid out the whole table
 * again (Chromium: 45-60 ms at 2,000-3,500 rows, a few at 500) until the long tables' rows were laid out each on
 * its own (styles.css, `table.long`), and walked every cell shown before painting (16-46 ms at 1,000-3,500 rows,
 * in a trace) until each row was contained (styles.css). 25 rows a step, 3,600 rows took 144 steps, 13-15 s with the page busy throughout: a step that grows
 * with the table keeps the steps few. But once each row is laid out on its own, a step's layout is its own rows'
 * (about 0.3 ms a row: 300 rows, a tenth near 3,000, were tasks of 100-290 ms), so it grows no further than 100
 * (`npm run bench:tables`, Stock, six fills each in turns: the longest task 70-178 ms against 112-290 ms, the page
 * blocked 0.11-0.23 s against 0.29-1.4 s, all rows in 2.6-3.2 s against 1.8-4.6 s).
 */
export function stepAfter(shown: number): number {
  return Math.max(MORE_ROWS, Math.min(MOST_ROWS, Math.floor(shown / 10)));
}

/** The step after showing `shown` rows of `total`: `stepAfter(shown)` more, or all (Infinity). */
export function nextStep(shown: number, total: number, restartOn: unknown): ShownRows {
  const more = stepAfter(shown);
  return shown + more >= total
    ? { shown: Infinity, restartOn, all: total }
    : { shown: shown + more, restartOn };
}

/** The rows to show of `rows`, given `shown` from useShownRows. */
export function firstRows<T>(rows: readonly T[], shown: number): readonly T[] {
  return shown >= rows.length ? rows : rows.slice(0, shown);
}

/**
 * `firstRows` of a list shown in groups (a table per category, say): the groups with only their first `shown`
 * rows in all, in order, a group cut short where the count runs out; every group when `shown` is Infinity.
 */
export function firstOfGroups<G extends { lines: readonly unknown[] }>(
  groups: readonly G[],
  shown: number,
): readonly G[] {
  if (shown === Infinity) return groups;
  const out: G[] = [];
  let left = shown;
  for (const g of groups) {
    if (left <= 0) break;
    out.push(g.lines.length <= left ? g : { ...g, lines: g.lines.slice(0, left) });
    left -= g.lines.length;
  }
  return out;
}

/**
 * False until `ready` has been committed once, then true for good (set in the background, as a slice): for
 * a part of a first view below the fold, rendered after the part the first paint is for.
 */
export function useShownAfter(ready: boolean): boolean {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (ready && !shown) startTransition(() => setShown(true));
  }, [ready, shown]);
  return shown;
}
