import { describe, expect, it } from 'vitest';
import { sameRow } from '../../renderer/screens/StockScreen';

/**
 * The stock table's rows are rendered again only when what they show changed: the live queries answer with
 * new objects at every read (after every save, and after the first render's early rows).
 */
const row = () => ({
  item: {
    id: 'i1',
    name: 'Rice',
    category: 'grains',
    unit: 'bag',
    barcodes: ['4006381333931'],
    createdAt: 1,
    updatedAt: 2,
  },
  onHand: 5,
  levels: { min: 2, target: 10 },
  status: 'ok' as const,
  countNeeded: false,
  expiry: '2026-12-24',
  expiringSoon: false,
});

describe('a stock row shown again', () => {
  it('is the same when read again as new objects with the same values', () => {
    expect(sameRow(row(), row())).toBe(true);
    expect(sameRow({ ...row(), levels: undefined }, { ...row(), levels: undefined })).toBe(true);
  });

  it('differs when any figure or any field of its item or levels changed', () => {
    const changes: ((r: ReturnType<typeof row>) => void)[] = [
      (r) => (r.onHand = 6),
      (r) => ((r as { status: string }).status = 'low'),
      (r) => (r.countNeeded = true),
      (r) => (r.expiry = null as never),
      (r) => (r.expiringSoon = true),
      (r) => (r.levels.min = 3),
      (r) => (r.levels.target = 11),
      (r) => ((r as { levels?: unknown }).levels = undefined),
      (r) => (r.item.name = 'Brown rice'),
      (r) => (r.item.category = 'rice'),
      (r) => (r.item.unit = 'sack'),
      (r) => (r.item.updatedAt = 3),
      (r) => r.item.barcodes.push('96385074'),
      (r) => (r.item.barcodes[0] = '96385074'),
      (r) => ((r.item as { packSize?: number }).packSize = 12),
    ];
    for (const change of changes) {
      const changed = row();
      change(changed);
      expect(sameRow(row(), changed as never)).toBe(false);
      expect(sameRow(changed as never, row())).toBe(false);
    }
  });
});
