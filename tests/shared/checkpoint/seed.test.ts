import { describe, expect, it } from 'vitest';
import type { Entry, Reversal } from '../../../shared/entries';
import { msg } from '../../../shared/messages';
import { coveredBy, gateStates, undoProblems } from '../../../shared/checkpoint/seed';
import type { Cover } from '../../../shared/checkpoint/format';
import { idOf, Network } from '../ledger';

/**
 * Starting from a checkpoint, by example (seed.property.test.ts holds the properties): which entries the
 * checkpoint already counts, and the undo problems its rows give whatever order they come in.
 */

const cover = (device: string, seq: number) => ({ device, seq }) as Cover;

describe('what a checkpoint already counts', () => {
  const covered = coveredBy([cover('deva', 5), cover('devb', 1)]);

  it('every position of a covered device up to and including its cut, and nothing past it', () => {
    expect([1, 4, 5, 6].map((seq) => covered({ device: 'deva', seq }))).toEqual([true, true, true, false]);
    expect([1, 2].map((seq) => covered({ device: 'devb', seq }))).toEqual([true, false]);
  });

  it('nothing of a device it does not cover', () => {
    expect(covered({ device: 'devc', seq: 1 })).toBe(false);
    expect(coveredBy([])({ device: 'deva', seq: 1 })).toBe(false);
  });
});

describe('the undo problems among a checkpoint’s rows', () => {
  /** A donation, its undo, and an undo of that undo (which the app never writes; a faulty device could). */
  function history() {
    const net = new Network();
    net.donate('deva', 'north', 5);
    const donation = net.entries[0]!;
    const undo = net.undo('deva', idOf(donation)) as Reversal;
    // Its own kind is not a kind an undo may name: the cast is what a faulty device's entry would be.
    const undoOfUndo = {
      ...undo,
      seq: undo.seq + 1,
      target: idOf(undo),
      targetKind: 'reversal',
    } as unknown as Reversal;
    net.record(undoOfUndo);
    return { net, donation, undo, undoOfUndo };
  }

  it('names an undo of an undo, whatever order the rows come in', () => {
    const { net, undoOfUndo } = history();
    const rows = net.rows();
    const expected = [{ id: idOf(undoOfUndo), reason: msg('entry.undoesUndo', { id: idOf(undoOfUndo) }) }];
    expect(undoProblems(rows)).toEqual(expected);
    expect(undoProblems([...rows].reverse())).toEqual(expected);
    const byKind = (kinds: string[]) =>
      [...rows].sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind));
    expect(undoProblems(byKind(['reversal', 'donation']))).toEqual(expected);
  });

  it('names nothing for an undo whose target is not among the rows, or rows without undos', () => {
    const { net, donation, undo } = history();
    const rows = net.rows([donation, undo] as Entry[]);
    expect(undoProblems(rows)).toEqual([]);
    expect(undoProblems(rows.filter((r) => r.kind !== 'donation'))).toEqual([]);
    expect(undoProblems(rows.filter((r) => r.kind === 'donation'))).toEqual([]);
    expect(undoProblems([])).toEqual([]);
  });
});

describe('the gate’s state for each covered device', () => {
  it('continues its chain from the covered position, every position up to it decided, nothing held', () => {
    const partial = ['line-1', 'line-2'];
    const covers = [
      { device: 'deva', seq: 7, block: 'blockhash', partial, judgedAs: 'member|north' },
      { device: 'devb', seq: 2, block: '', partial: [], judgedAs: '' },
    ] as Cover[];
    const states = gateStates(covers);
    expect(states).toStrictEqual([
      {
        device: 'deva',
        chain: { seq: 7, block: 'blockhash', partial: ['line-1', 'line-2'] },
        decided: 7,
        held: [],
        pending: [],
        judgedAs: 'member|north',
        // The maker's judgment, until this device's own member list has the approval.
        vouched: true,
      },
      { device: 'devb', chain: { seq: 2, block: '', partial: [] }, decided: 2, held: [], pending: [] },
    ]);
    // The chain's lines are its own copy: the gate appends to them, the checkpoint stays as it was.
    states[0]!.chain.partial.push('line-3');
    expect(partial).toEqual(['line-1', 'line-2']);
  });
});
