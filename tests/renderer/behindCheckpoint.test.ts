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
    // Seeded in this session: its doc was empty, so the positions it brings are known from the start.
    const b = BehindCheckpoint.start('digest', covers);
    expect(b.knowsMissing).toBe(true);
    // Two entries at position 2 (a forged one beside the real one), none at 3: as many entries as the
    // checkpoint covers, not its positions.
    const forged = b.arriving([at('d1', 1), at('d1', 2), at('d1', 2), at('d2', 1)])!;
    expect(forged.next.row.arrived).toEqual([
      ['d1', 3],
      ['d2', 1],
    ]);
    expect(forged.mayHoldAll).toBe(false);
    // More of the same change nothing; an entry of another device, or past what is covered, neither.
    const more = forged.next.arriving([at('d1', 2), at('d1', 1), at('d1', 4), at('d3', 3)])!;
    expect(more.mayHoldAll).toBe(false);
    // The real one ends it, through the history's progress too.
    expect(more.next.withHistory(10).arriving([at('d1', 3)])!.mayHoldAll).toBe(true);
  });

  it('tells every position apart, across the bits of many bytes', () => {
    const wide = [
      { device: 'd1', seq: 40 },
      { device: 'd2', seq: 9 },
    ] as unknown as Cover[];
    const all = (device: string, last: number) => Array.from({ length: last }, (_, i) => at(device, i + 1));
    let b = BehindCheckpoint.start('digest', wide);
    // Every position but one of each byte's first and last bit (8, 16, 33), twice over.
    const most = [...all('d1', 40), ...all('d2', 9)].filter(
      (e) => !(e.device === 'd1' && [8, 16, 33].includes(e.seq)),
    );
    const first = b.arriving([...most, ...most, at('d1', 0), at('d1', 41), at('d2', 10)])!;
    expect(first.mayHoldAll).toBe(false);
    b = first.next;
    for (const seq of [16, 33]) {
      const next = b.arriving([at('d1', seq)])!;
      expect(next.mayHoldAll).toBe(false);
      b = next.next;
    }
    expect(b.arriving([at('d1', 8)])!.mayHoldAll).toBe(true);
  });

  it('after a restart, knows the positions only once it has read them from the doc', () => {
    const first = BehindCheckpoint.start('digest', covers).arriving([at('d1', 1), at('d1', 2)])!;
    const again = BehindCheckpoint.fromRow(first.next.row);
    expect(again.knowsMissing).toBe(false);
    // By the counts alone, a forged entry says "maybe": the doc is read then.
    const forged = [at('d1', 1), at('d1', 2), at('d1', 2), at('d2', 1)];
    const maybe = again.arriving([at('d1', 2), at('d2', 1)])!;
    expect(maybe.mayHoldAll).toBe(true);
    expect(maybe.next.learnMissing(forged)).toBe(false);
    expect(maybe.next.knowsMissing).toBe(true);
    // From then on the doc is not read again: more forged entries change nothing, the real one ends it.
    const more = maybe.next.arriving([at('d1', 2), at('d1', 1)])!;
    expect(more.mayHoldAll).toBe(false);
    expect(more.next.knowsMissing).toBe(true);
    expect(more.next.withHistory(10).knowsMissing).toBe(true);
    expect(more.next.arriving([at('d1', 3)])!.mayHoldAll).toBe(true);
    expect(
      BehindCheckpoint.fromRow(first.next.row).learnMissing([
        at('d1', 1),
        at('d1', 2),
        at('d1', 3),
        at('d2', 1),
        at('d1', 7),
      ]),
    ).toBe(true);
    expect(BehindCheckpoint.fromRow(first.next.row).learnMissing([at('d1', 1), at('d1', 2)])).toBe(false);
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
