/**
 * The kinds of ledger entry (entries.ts has their shapes). Apart from entries.ts, which makes their schemas
 * with zod, so that code naming the kinds only (the app's first screen) does not load zod.
 */
/** Every kind of entry. The order is the wire format's kind code: append new kinds, never reorder. */
export const ENTRY_KINDS = [
  'donation',
  'pickup',
  'count',
  'discard',
  'reversal',
  'transfer_request',
  'transfer_out',
  'transfer_in',
  'transfer_resolve',
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];
