import { describe, expect, it } from 'vitest';
import { SEVERITIES, bySeverity, classify, compareCover, type Severity } from '../../../shared/network';

const L = { min: 10, target: 20 };

describe('classify', () => {
  it.each([
    [0, undefined, null, 'out'],
    [-4, L, 50, 'out'],
    [0, { min: 0, target: 0 }, null, 'out'],
    [9, L, null, 'short'],
    [1, L, 0.1, 'short'],
    [10, L, 2, 'running-out'],
    [10, L, 3, 'running-out'],
    [10, L, 3.5, 'ok'],
    [20, L, null, 'ok'],
    [21, L, null, 'surplus'],
    [21, L, 4, 'surplus'],
    [40, L, 2, 'running-out'],
    [5, undefined, 1, 'running-out'],
    [500, undefined, null, 'ok'],
  ] as const)('on hand %d, levels %j, cover %s → %s', (onHand, levels, cover, severity) => {
    expect(classify({ onHand, levels, cover })).toBe(severity);
  });
});

describe('bySeverity', () => {
  it('lists the severities most severe first', () => {
    expect(SEVERITIES).toEqual(['out', 'short', 'running-out', 'ok', 'surplus']);
  });

  it('sorts out first, then short, running-out, ok, surplus; within each by cover, null last', () => {
    const rows: { id: string; severity: Severity; cover: number | null }[] = [
      { id: 'surplus-null', severity: 'surplus', cover: null },
      { id: 'ok-9', severity: 'ok', cover: 9 },
      { id: 'short-null', severity: 'short', cover: null },
      { id: 'running-2', severity: 'running-out', cover: 2 },
      { id: 'short-5', severity: 'short', cover: 5 },
      { id: 'out-0', severity: 'out', cover: 0 },
      { id: 'running-0.5', severity: 'running-out', cover: 0.5 },
      { id: 'ok-null', severity: 'ok', cover: null },
      { id: 'short-1', severity: 'short', cover: 1 },
      { id: 'surplus-30', severity: 'surplus', cover: 30 },
    ];
    expect(rows.sort(bySeverity).map((r) => r.id)).toEqual([
      'out-0',
      'short-1',
      'short-5',
      'short-null',
      'running-0.5',
      'running-2',
      'ok-9',
      'ok-null',
      'surplus-30',
      'surplus-null',
    ]);
  });

  it('is 0 on a full tie', () => {
    expect(bySeverity({ severity: 'short', cover: 2 }, { severity: 'short', cover: 2 })).toBe(0);
  });

  it.each([
    [1, 2, -1],
    [2, 1, 1],
    [null, 1, 1],
    [1, null, -1],
    [null, null, 0],
    [0, 0, 0],
  ] as const)('compareCover(%s, %s) has sign %d', (a, b, sign) => {
    expect(Math.sign(compareCover(a, b))).toBe(sign);
  });
});
