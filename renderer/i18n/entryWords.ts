import type { DiscardReason, DonationSource, EntryKind } from '../../shared/entries';

/*
 * The catalog keys of the words for entries, shared by the history, the forms and the data notice (in a
 * module of their own: the screens load when first shown, the notice is on every screen).
 */

/** Each kind of entry as History names it (catalog keys). */
export const KIND_LABEL = {
  donation: 'kind.donation',
  pickup: 'kind.pickup',
  count: 'kind.count',
  discard: 'kind.discard',
  reversal: 'kind.reversal',
  transfer_request: 'kind.transfer_request',
  transfer_out: 'kind.transfer_out',
  transfer_in: 'kind.transfer_in',
  transfer_resolve: 'kind.transfer_resolve',
} as const satisfies Record<EntryKind, string>;

/** Donation sources and discard reasons, as the forms offer them (catalog keys). */
export const SOURCE_LABEL = {
  individual: 'source.individual',
  business: 'source.business',
  'food bank': 'source.foodBank',
  purchase: 'source.purchase',
  other: 'source.other',
} as const satisfies Record<DonationSource, string>;
export const REASON_LABEL = {
  spoiled: 'reason.spoiled',
  expired: 'reason.expired',
  damaged: 'reason.damaged',
  other: 'reason.other',
} as const satisfies Record<DiscardReason, string>;
