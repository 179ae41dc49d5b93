import { describe, expect, it } from 'vitest';
import { BehindCheckpoint } from '../../renderer/storage/behindCheckpoint';
import type { Cover } from '../../shared/checkpoint/format';

/** A checkpoint covering d1 up to 3 and d2 up to 1 (only the positions matter here). */
const covers = [
  { device: 'd1', seq: 3 },
  { device: 'd2', seq: 1 },
] as unknown as Cover[];
const at = (device: string, seq: number) => ({ device, seq });

describe('BehindCheckpoint', () => {
  it('covers the positions from 1 to each device’s covered one, nothing of other devices', () => {
    const b = BehindCheckpoint.start('digest', covers);
    expect([1, 2, 3].map((s) => b.covered(at('d1', s)))).toEqual([true, true, true]);
    expect(b.covered(at('d1', 4))).toBe(false);
    expect(b.covered(at('d1', 0))).toBe(false);
    expect(b.covered(at('d2', 2))).toBe(false);
    expect(b.covered(at('d3', 1))).toBe(false);
  });

  it('counts what arrives, says when the doc may hold it all, and keeps the counts across a start', () => {
    const b = BehindCheckpoint.start('digest', covers);
    expect(b.arriving([at('d1', 4), at('d3', 1)])).toBeNull();
    const first = b.arriving([at('d1', 1), at('d1', 2), at('d1', 9)])!;
    expect(first.mayHoldAll).toBe(false);
    expect(first.next.row.arrived).toEqual([
      ['d1', 2],
      ['d2', 0],
    ]);
    const again = BehindCheckpoint.fromRow(first.next.row);
    const second = again.arriving([at('d1', 3), at('d2', 1)])!;
    expect(second.mayHoldAll).toBe(true);
  });

  it('holds it all only with every position, not with as many entries at fewer positions', () => {
    const b = BehindCheckpoint.start('digest', covers);
    expect(b.knowsMissing).toBe(false);
    expect(
      BehindCheckpoint.start('digest', covers).learnMissing([
        at('d1', 1),
        at('d1', 2),
        at('d1', 3),
        at('d2', 1),
        at('d1', 7),
      ]),
    ).toBe(true);
    // Two entries at position 2 (a forged one beside the real one), none at 3: the counts say "maybe", the
    // positions say no.
    const forged = [at('d1', 1), at('d1', 2), at('d1', 2), at('d2', 1)];
    const maybe = b.arriving(forged)!;
    expect(maybe.mayHoldAll).toBe(true);
    expect(maybe.next.learnMissing(forged)).toBe(false);
    expect(maybe.next.knowsMissing).toBe(true);
    // From then on the doc is not read again: more forged entries change nothing, the real one ends it.
    const more = maybe.next.arriving([at('d1', 2), at('d1', 1)])!;
    expect(more.mayHoldAll).toBe(false);
    expect(more.next.knowsMissing).toBe(true);
    const real = more.next.arriving([at('d1', 3)])!;
    expect(real.mayHoldAll).toBe(true);
    // And it survives the history's progress (by the counts alone, another forged one would say "maybe").
    expect(more.next.withHistory(10).arriving([at('d1', 1)])!.mayHoldAll).toBe(false);
    expect(more.next.withHistory(10).arriving([at('d1', 3)])!.mayHoldAll).toBe(true);
    expect(BehindCheckpoint.start('digest', covers).learnMissing([at('d1', 1), at('d1', 2)])).toBe(false);
  });

  it('keeps a rebuild asked for in every state made from it, and in its row', () => {
    const b = BehindCheckpoint.start('digest', covers);
    const later = b.withHistory(5);
    b.wantRebuild();
    expect(later.rebuildWanted).toBe(true);
    expect(later.row).toMatchObject({ rebuild: true, history: 5 });
    expect(later.withHistory(null).row).not.toHaveProperty('history');
    expect(BehindCheckpoint.fromRow(later.row).rebuildWanted).toBe(true);
    expect(BehindCheckpoint.start('digest', covers).row).not.toHaveProperty('rebuild');
  });
});
