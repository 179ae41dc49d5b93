import { z } from 'zod';
import { ID_PATTERN, entryId } from './ids';
import { MAX_QUANTITY } from './quantity';

/**
 * Ledger entries: one immutable line of the ledger, for one item at one hub, recorded by one device.
 * Stock is never stored: every figure is a sum of entry effects (see projection.ts).
 */
export const DONATION_SOURCES = ['individual', 'business', 'food bank', 'purchase', 'other'] as const;
export type DonationSource = (typeof DONATION_SOURCES)[number];

export const DISCARD_REASONS = ['spoiled', 'expired', 'damaged', 'other'] as const;
export type DiscardReason = (typeof DISCARD_REASONS)[number];

export const ENTRY_KINDS = ['donation', 'pickup', 'count', 'discard', 'reversal'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

const id = z.string().regex(ID_PATTERN, 'not a valid id');
const qty = z.number().int().min(1).max(MAX_QUANTITY);
const count = z.number().int().min(0).max(MAX_QUANTITY);
/** Milliseconds since the epoch, between 2020 and 2100: anything else is a corrupt clock or a forgery. */
const time = z
  .number()
  .int()
  .min(Date.UTC(2020, 0, 1))
  .max(Date.UTC(2100, 0, 1));
/** A real calendar day: `2021-02-30` matches the pattern but is not a date. */
export function isRealDay(iso: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const ms = Date.parse(`${iso}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === iso;
}
const isoDay = z.string().refine(isRealDay, 'not a date (YYYY-MM-DD)');
const note = z.string().min(1).max(500);

const base = {
  hub: id,
  device: id,
  seq: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31 - 1),
  item: id,
  /** When it happened (a volunteer may backdate a paper note). */
  at: time,
  /** When this device recorded it. */
  recordedAt: time,
  /** Sequence number of the first line of the same form, when a form made several entries. */
  group: z.number().int().min(1).optional(),
  note: note.optional(),
};

export const donationSchema = z.object({
  kind: z.literal('donation'),
  ...base,
  qty,
  source: z.enum(DONATION_SOURCES),
  expiry: isoDay.optional(),
  packs: qty.optional(),
});
export const pickupSchema = z.object({
  kind: z.literal('pickup'),
  ...base,
  qty,
  households: z.number().int().min(1).max(100_000).optional(),
  /** The volunteer was warned that this takes the item below zero and went ahead. */
  belowZero: z.literal(true).optional(),
  packs: qty.optional(),
});
export const countSchema = z.object({
  kind: z.literal('count'),
  ...base,
  counted: count,
  /** The on-hand figure this device showed when the count was entered. */
  seen: z
    .number()
    .int()
    .min(-10 * MAX_QUANTITY)
    .max(10 * MAX_QUANTITY),
});
export const discardSchema = z.object({
  kind: z.literal('discard'),
  ...base,
  qty,
  reason: z.enum(DISCARD_REASONS),
});
export const reversalSchema = z.object({
  kind: z.literal('reversal'),
  ...base,
  /** Id of the entry this undoes (`device.seq`). */
  target: z.string().regex(/^[0-9a-z]{4,16}\.\d{1,10}$/, 'not an entry id'),
  targetKind: z.enum(['donation', 'pickup', 'count', 'discard']),
  /** The change this reversal makes: minus the target's effect, carried so the reversal stands on its own. */
  effect: z
    .number()
    .int()
    .min(-10 * MAX_QUANTITY)
    .max(10 * MAX_QUANTITY),
  /** The target's expiry, so the expiry lots can be undone too. */
  expiry: isoDay.optional(),
});

export const entrySchema = z.discriminatedUnion('kind', [
  donationSchema,
  pickupSchema,
  countSchema,
  discardSchema,
  reversalSchema,
]);

export type Donation = z.infer<typeof donationSchema>;
export type Pickup = z.infer<typeof pickupSchema>;
export type Count = z.infer<typeof countSchema>;
export type Discard = z.infer<typeof discardSchema>;
export type Reversal = z.infer<typeof reversalSchema>;
export type Entry = z.infer<typeof entrySchema>;

export function idOf(entry: Pick<Entry, 'device' | 'seq'>): string {
  return entryId(entry.device, entry.seq);
}

/**
 * The change an entry makes to on-hand, on its own. A reversal's effect counts only if it is the
 * canonical undo of its target (see projection.ts); that is the only effect that depends on other entries.
 */
export function ownEffect(entry: Entry): number {
  switch (entry.kind) {
    case 'donation':
      return entry.qty;
    case 'pickup':
      return -entry.qty;
    case 'discard':
      return -entry.qty;
    case 'count':
      return entry.counted - entry.seen;
    case 'reversal':
      return entry.effect;
    default: {
      const never: never = entry;
      throw new Error(`unknown entry kind ${String((never as { kind: unknown }).kind)}`);
    }
  }
}
