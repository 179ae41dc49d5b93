import type { Levels } from '../status';
import { runsOutSoon } from './cover';

/**
 * How badly a hub needs an item, most severe first. `running-out` is at or above the minimum but will
 * run out within `RUNNING_OUT_DAYS` at the current rate: flagged before it crosses the minimum.
 */
export const SEVERITIES = ['out', 'short', 'running-out', 'ok', 'surplus'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface SeverityInput {
  onHand: number;
  levels?: Levels;
  /** Days of cover (see cover.ts); null when nothing is being handed out. */
  cover: number | null;
}

/**
 * The first that applies: out (nothing on hand), short (below minimum), running-out (cover of 3 days or
 * less), surplus (above target), ok. A hub burning through stock it holds above target is running out,
 * not in surplus: it has nothing to spare.
 */
export function classify({ onHand, levels, cover }: SeverityInput): Severity {
  if (onHand <= 0) return 'out';
  if (levels && onHand < levels.min) return 'short';
  if (runsOutSoon(cover)) return 'running-out';
  if (levels && onHand > levels.target) return 'surplus';
  return 'ok';
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Ascending, with null (never runs out) last. */
export function compareCover(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a - b;
}

/**
 * Most severe first; within the same severity, the fewest days of cover first, null cover last.
 * Returns 0 on a full tie: callers add their own tie-break (name, id) for a stable display.
 */
export function bySeverity(
  a: { severity: Severity; cover: number | null },
  b: { severity: Severity; cover: number | null },
): number {
  return severityRank(a.severity) - severityRank(b.severity) || compareCover(a.cover, b.cover);
}
