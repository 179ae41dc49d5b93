import { z } from 'zod';
import { ID_PATTERN, entryId } from './ids';
import { MAX_QUANTITY } from './quantity';
import { lazySchema, once } from './lazy';

/**
 * Ledger entries: one immutable line of the ledger, for one item at one hub, recorded by one device.
 * Stock is never stored: every figure is a sum of entry effects (see projection.ts).
 */
export const DONATION_SOURCES = ['individual', 'business', 'food bank', 'purchase', 'other'] as const;
export type DonationSource = (typeof DONATION_SOURCES)[number];

export const DISCARD_REASONS = ['spoiled', 'expired', 'damaged', 'other'] as const;
export type DiscardReason = (typeof DISCARD_REASONS)[number];

import { ENTRY_KINDS, type EntryKind } from './entryKinds';
export { ENTRY_KINDS, type EntryKind };

/** Days found real so far (a few hundred in a year of history): checked once each. */
const realDays = new Set<string>();
/** A real calendar day: `2021-02-30` matches the pattern but is not a date. */
export function isRealDay(iso: string): boolean {
  // Stryker disable next-line ConditionalExpression: checking a remembered day again gives the same answer, slower
  if (realDays.has(iso)) return true;
  // Stryker disable next-line Regex,ConditionalExpression: without it (or an anchor), the round trip below still refuses what does not match
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const ms = Date.parse(`${iso}T00:00:00Z`);
  const real = !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === iso;
  // Stryker disable next-line ConditionalExpression,BlockStatement: only decides what is remembered (a day not remembered is checked again)
  if (real) {
    // Bounded: a forged history could hold any number of days.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: only decides how many days are remembered (one not remembered is checked again)
    if (realDays.size < 4096) realDays.add(iso);
  }
  return real;
}
/**
 * The schemas, made the first time one is used (shared/lazy.ts): the app's first view reads none of them.
 */
const schemas = once(() => {
  const id = z.string().regex(ID_PATTERN, 'not a valid id');
  const qty = z.number().int().min(1).max(MAX_QUANTITY);
  const count = z.number().int().min(0).max(MAX_QUANTITY);
  /** Milliseconds since the epoch, between 2020 and 2100: anything else is a corrupt clock or a forgery. */
  const time = z
    .number()
    .int()
    .min(Date.UTC(2020, 0, 1))
    .max(Date.UTC(2100, 0, 1));
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

  const donationSchema = z.object({
    kind: z.literal('donation'),
    ...base,
    qty,
    source: z.enum(DONATION_SOURCES),
    expiry: isoDay.optional(),
    packs: qty.optional(),
  });
  const pickupSchema = z.object({
    kind: z.literal('pickup'),
    ...base,
    qty,
    households: z.number().int().min(1).max(100_000).optional(),
    /** The volunteer was warned that this takes the item below zero and went ahead. */
    belowZero: z.literal(true).optional(),
    packs: qty.optional(),
  });
  const countSchema = z.object({
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
  const discardSchema = z.object({
    kind: z.literal('discard'),
    ...base,
    qty,
    reason: z.enum(DISCARD_REASONS),
  });
  const reversalSchema = z.object({
    kind: z.literal('reversal'),
    ...base,
    /** Id of the entry this undoes (`device.seq`). */
    target: z.string().regex(/^[0-9a-z]{4,16}\.\d{1,10}$/, 'not an entry id'),
    targetKind: z.enum([
      'donation',
      'pickup',
      'count',
      'discard',
      'transfer_request',
      'transfer_out',
      'transfer_in',
    ]),
    /** The change this reversal makes: minus the target's effect, carried so the reversal stands on its own. */
    effect: z
      .number()
      .int()
      .min(-10 * MAX_QUANTITY)
      .max(10 * MAX_QUANTITY),
    /** The target's expiry, so the expiry lots can be undone too. */
    expiry: isoDay.optional(),
    /** When the target happened, so the daily usage behind days of cover can be undone too. */
    targetAt: time.optional(),
  });

  const entryIdPattern = z.string().regex(/^[0-9a-z]{4,16}\.\d{1,10}$/, 'not an entry id');

  /**
   * Transfers between hubs have two sides, as in every serious inventory system: the sending hub records
   * what it sent (it leaves its stock at once and is in transit), the receiving hub what it received. A
   * coordinator may first request the move (no effect on stock). Every transfer entry names its transfer:
   * the id of the request, or of the send when there was no request.
   */
  const transferRequestSchema = z.object({
    kind: z.literal('transfer_request'),
    ...base,
    qty,
    /** The hub that should receive. `hub` is the one asked to send. */
    to: id,
  });
  const transferOutSchema = z.object({
    kind: z.literal('transfer_out'),
    ...base,
    qty,
    to: id,
    /** The request this send fulfils; absent for a send nobody requested (the send is then the transfer). */
    transfer: entryIdPattern.optional(),
  });
  const transferInSchema = z.object({
    kind: z.literal('transfer_in'),
    ...base,
    /** What actually arrived; it may differ from what was sent, and may be 0. */
    qty: count,
    from: id,
    transfer: entryIdPattern,
  });
  const transferResolveSchema = z.object({
    kind: z.literal('transfer_resolve'),
    ...base,
    transfer: entryIdPattern,
    /** How the difference between sent and received was settled; required. */
    note,
  });

  const entrySchema = z.discriminatedUnion('kind', [
    donationSchema,
    pickupSchema,
    countSchema,
    discardSchema,
    reversalSchema,
    transferRequestSchema,
    transferOutSchema,
    transferInSchema,
    transferResolveSchema,
  ]);

  return {
    donationSchema,
    pickupSchema,
    countSchema,
    discardSchema,
    reversalSchema,
    transferRequestSchema,
    transferOutSchema,
    transferInSchema,
    transferResolveSchema,
    entrySchema,
  };
});

export const donationSchema = lazySchema(() => schemas().donationSchema);
export const pickupSchema = lazySchema(() => schemas().pickupSchema);
export const countSchema = lazySchema(() => schemas().countSchema);
export const discardSchema = lazySchema(() => schemas().discardSchema);
export const reversalSchema = lazySchema(() => schemas().reversalSchema);
export const transferRequestSchema = lazySchema(() => schemas().transferRequestSchema);
export const transferOutSchema = lazySchema(() => schemas().transferOutSchema);
export const transferInSchema = lazySchema(() => schemas().transferInSchema);
export const transferResolveSchema = lazySchema(() => schemas().transferResolveSchema);
export const entrySchema = lazySchema(() => schemas().entrySchema);

export type Donation = z.infer<typeof donationSchema>;
export type Pickup = z.infer<typeof pickupSchema>;
export type Count = z.infer<typeof countSchema>;
export type Discard = z.infer<typeof discardSchema>;
export type Reversal = z.infer<typeof reversalSchema>;
export type TransferRequest = z.infer<typeof transferRequestSchema>;
export type TransferOut = z.infer<typeof transferOutSchema>;
export type TransferIn = z.infer<typeof transferInSchema>;
export type TransferResolve = z.infer<typeof transferResolveSchema>;
export type Entry = z.infer<typeof entrySchema>;
export type TransferEntry = TransferRequest | TransferOut | TransferIn | TransferResolve;

export function isTransfer(entry: Entry): entry is TransferEntry {
  return entry.kind.startsWith('transfer_');
}

/** The transfer an entry belongs to (request id, or the unrequested send's own id). */
export function transferOf(entry: TransferEntry): string {
  if (entry.kind === 'transfer_request') return idOf(entry);
  if (entry.kind === 'transfer_out') return entry.transfer ?? idOf(entry);
  return entry.transfer;
}

/** Whether an entry refers to an earlier one: an undo to its target, a send, receipt or resolve to its request. */
export function refersToEntry(entry: Entry): boolean {
  if (entry.kind === 'reversal') return true;
  return isTransfer(entry) && entry.kind !== 'transfer_request' && transferOf(entry) !== idOf(entry);
}

/**
 * Entries of which at most one may count: only the first, in an order every replica agrees on, has an
 * effect. Two devices that undo the same entry, or that both record the receipt (or the send) of one
 * transfer while apart, must not double its effect.
 */
export function exclusiveSlot(entry: Entry): string | null {
  switch (entry.kind) {
    case 'reversal':
      return `undo:${entry.target}`;
    case 'transfer_in':
      return `in:${entry.transfer}`;
    case 'transfer_out':
      return entry.transfer ? `out:${entry.transfer}` : null;
    default:
      return null;
  }
}

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
    case 'transfer_out':
      return -entry.qty;
    case 'transfer_in':
      return entry.qty;
    case 'transfer_request':
    case 'transfer_resolve':
      return 0;
    default: {
      const never: never = entry;
      throw new Error(`unknown entry kind ${String((never as { kind: unknown }).kind)}`);
    }
  }
}
