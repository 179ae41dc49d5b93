/** Stock sent and not yet received. `from`/`to` let a hub filter keep the transfers that involve it. */
export interface InTransit {
  item: string;
  qty: number;
  from?: string;
  to?: string;
}

/**
 * The stock in transit, from the transfers' own views (see transfers.ts: `inTransit` is what left the
 * sender and has not been received). Typed by shape so this module does not depend on how transfers are
 * derived. Transfers with nothing in transit are left out.
 */
export function inTransitOf(
  transfers: Iterable<{ item: string; from: string; to: string; inTransit: number }>,
): InTransit[] {
  const out: InTransit[] = [];
  for (const t of transfers) {
    if (t.inTransit > 0) out.push({ item: t.item, qty: t.inTransit, from: t.from, to: t.to });
  }
  return out;
}
