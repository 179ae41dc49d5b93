import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcOptions } from './arbitraries';
import {
  ENTRY_KINDS,
  exclusiveSlot,
  isRealDay,
  isTransfer,
  ownEffect,
  refersToEntry,
  transferOf,
  type Entry,
} from '../../shared/entries';

const at = Date.UTC(2025, 0, 1);
const base = { hub: 'hub1', device: 'deva', seq: 4, item: 'itma', at, recordedAt: at };
const examples: Record<Entry['kind'], Entry> = {
  donation: { kind: 'donation', ...base, qty: 5, source: 'other' },
  pickup: { kind: 'pickup', ...base, qty: 3 },
  count: { kind: 'count', ...base, counted: 2, seen: 9 },
  discard: { kind: 'discard', ...base, qty: 4, reason: 'spoiled' },
  reversal: { kind: 'reversal', ...base, target: 'devb.2', targetKind: 'pickup', effect: 3 },
  transfer_request: { kind: 'transfer_request', ...base, qty: 10, to: 'hub2' },
  transfer_out: { kind: 'transfer_out', ...base, qty: 10, to: 'hub2', transfer: 'devc.1' },
  transfer_in: { kind: 'transfer_in', ...base, qty: 8, from: 'hub2', transfer: 'devc.1' },
  transfer_resolve: { kind: 'transfer_resolve', ...base, transfer: 'devc.1', note: 'torn' },
};

describe('entries', () => {
  it('each kind changes on-hand by what it moved', () => {
    expect(ENTRY_KINDS.map((k) => [k, ownEffect(examples[k])])).toEqual([
      ['donation', 5],
      ['pickup', -3],
      ['count', -7],
      ['discard', -4],
      ['reversal', 3],
      ['transfer_request', 0],
      ['transfer_out', -10],
      ['transfer_in', 8],
      ['transfer_resolve', 0],
    ]);
  });

  it('knows which entries refer to an earlier one (whose row they need)', () => {
    expect(ENTRY_KINDS.filter((k) => refersToEntry(examples[k]))).toEqual([
      'reversal',
      'transfer_out',
      'transfer_in',
      'transfer_resolve',
    ]);
    // A send nobody asked for is a transfer of its own.
    const { transfer: _t, ...unrequested } = examples.transfer_out as Extract<
      Entry,
      { kind: 'transfer_out' }
    >;
    expect(refersToEntry(unrequested)).toBe(false);
  });

  it('knows the transfer of every transfer entry, and which entries share a slot', () => {
    expect(ENTRY_KINDS.filter((k) => isTransfer(examples[k]))).toEqual([
      'transfer_request',
      'transfer_out',
      'transfer_in',
      'transfer_resolve',
    ]);
    expect(transferOf(examples.transfer_request as never)).toBe('deva.4');
    expect(transferOf(examples.transfer_out as never)).toBe('devc.1');
    const { transfer: _t, ...unrequested } = examples.transfer_out as Extract<
      Entry,
      { kind: 'transfer_out' }
    >;
    expect(transferOf(unrequested)).toBe('deva.4');
    expect(transferOf(examples.transfer_in as never)).toBe('devc.1');
    expect(transferOf(examples.transfer_resolve as never)).toBe('devc.1');
    expect(ENTRY_KINDS.map((k) => exclusiveSlot(examples[k]))).toEqual([
      null,
      null,
      null,
      null,
      'undo:devb.2',
      null,
      'out:devc.1',
      'in:devc.1',
      null,
    ]);
    expect(exclusiveSlot(unrequested)).toBeNull();
  });

  it.each([
    ['2024-02-29', true],
    ['2025-12-31', true],
    ['2023-02-29', false],
    ['2021-02-30', false],
    ['x2025-01-01', false],
    ['2025-01-01x', false],
    ['2025-1-01', false],
    ['', false],
  ])('%j is a real day: %s', (day, real) => {
    expect(isRealDay(day)).toBe(real);
    // Asked again (real days are remembered): the same answer.
    expect(isRealDay(day)).toBe(real);
  });

  it('isRealDay answers as the plain check for any string, asked any number of times', () => {
    const plain = (iso: string) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
      const ms = Date.parse(`${iso}T00:00:00Z`);
      return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === iso;
    };
    const digits = (n: number) =>
      fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));
    const dayLike = fc.tuple(digits(4), digits(2), digits(2)).map(([y, m, d]) => `${y}-${m}-${d}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(dayLike, fc.string({ maxLength: 12 })), { maxLength: 40 }), (days) => {
        for (const day of [...days, ...days]) expect(isRealDay(day), day).toBe(plain(day));
      }),
      fcOptions(),
    );
  });
});
