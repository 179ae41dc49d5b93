import { compareEntryIds } from './ids';
import type { LedgerRow } from './projection';

/**
 * A transfer's state, derived from its entries (request, send, receipt, settlement and their undos).
 * Only entries that count are used: a repeat (applied 0 in its slot) or an undone entry is ignored, so
 * every replica that saw the same entries shows the same transfer.
 */
export type TransferStatus =
  'requested' | 'in transit' | 'received' | 'discrepancy' | 'settled' | 'cancelled';

export interface TransferStep {
  qty: number;
  at: number;
  device: string;
  entry: string;
}

export interface TransferView {
  id: string;
  item: string;
  from: string;
  to: string;
  requested?: TransferStep;
  sent?: TransferStep;
  received?: TransferStep;
  settled?: { note: string; at: number; device: string };
  status: TransferStatus;
  /** Units that left the sender and have not been received yet. */
  inTransit: number;
  /** Received minus sent, once received (negative: less arrived than was sent). */
  difference: number;
}

const step = (r: LedgerRow & { qty: number }): TransferStep => ({
  qty: r.qty,
  at: r.at,
  device: r.device,
  entry: r.id,
});

/** Whether an entry of a transfer counts: not undone, and not a repeat in its slot. */
function counts(r: LedgerRow, repeatsHaveNoEffect: boolean): boolean {
  if (r.reversedBy) return false;
  return !repeatsHaveNoEffect || !r.slot || r.applied !== 0;
}

export function transferView(rows: readonly LedgerRow[]): TransferView | null {
  let request: (LedgerRow & { kind: 'transfer_request' }) | undefined;
  let out: (LedgerRow & { kind: 'transfer_out' }) | undefined;
  let inn: (LedgerRow & { kind: 'transfer_in' }) | undefined;
  let settle: (LedgerRow & { kind: 'transfer_resolve' }) | undefined;
  let requestUndone = false;
  for (const r of rows) {
    switch (r.kind) {
      case 'transfer_request':
        if (r.reversedBy) requestUndone = true;
        else request = r;
        break;
      case 'transfer_out':
        if (counts(r, true)) out = r;
        break;
      case 'transfer_in':
        // A receipt of 0 units has no effect on stock, so its slot decides, not its effect.
        if (!r.reversedBy && (!inn || compareEntryIds(r.id, inn.id) < 0)) inn = r;
        break;
      case 'transfer_resolve':
        // The newest settlement shows; of two in the same second, the first in id order, whatever the rows' order.
        if (!settle || r.at > settle.at || (r.at === settle.at && compareEntryIds(r.id, settle.id) < 0))
          settle = r;
        break;
      default:
        break;
    }
  }
  const first = request ?? out ?? inn ?? settle ?? rows.find((r) => r.kind === 'transfer_request');
  if (!first) return null;
  const from = request?.hub ?? out?.hub ?? inn?.from ?? first.hub;
  // A cancelled request (undone before anything was sent) still names the hub it was for.
  const to = request?.to ?? out?.to ?? inn?.hub ?? (first.kind === 'transfer_request' ? first.to : first.hub);
  const sent = out ? step(out) : undefined;
  const received = inn ? step(inn) : undefined;
  const difference = sent && received ? received.qty - sent.qty : 0;
  let status: TransferStatus;
  if (!sent && !received) status = requestUndone || !request ? 'cancelled' : 'requested';
  else if (sent && !received) status = 'in transit';
  else if (difference !== 0 || !sent) status = settle ? 'settled' : 'discrepancy';
  else status = 'received';
  return {
    id: rows[0]!.root ?? first.id,
    item: first.item,
    from,
    to,
    ...(request ? { requested: step(request) } : {}),
    ...(sent ? { sent } : {}),
    ...(received ? { received } : {}),
    ...(settle ? { settled: { note: settle.note, at: settle.at, device: settle.device } } : {}),
    status,
    inTransit: sent && !received ? sent.qty : 0,
    difference,
  };
}

/**
 * Whether a transfer still waits on someone: a send asked for, stock on its way, or a difference to settle.
 * The open ones are indexed (ledgerIndex.ts): the Transfers screen's cards and the Network screen read them,
 * not every transfer ever made.
 */
export function isOpenTransfer(status: TransferStatus): boolean {
  return status === 'requested' || status === 'in transit' || status === 'discrepancy';
}

/** When a transfer last changed: the newest time of its rows (what `transferViews` orders by). */
export function lastChangeOf(rows: readonly LedgerRow[]): number {
  let last = -Infinity;
  for (const r of rows) if (r.at > last) last = r.at;
  return last;
}

/** Groups transfer rows by transfer and derives each one, newest first. */
export function transferViews(rows: readonly LedgerRow[]): TransferView[] {
  const byRoot = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    if (!r.root) continue;
    const list = byRoot.get(r.root);
    if (list) list.push(r);
    else byRoot.set(r.root, [r]);
  }
  const views: { view: TransferView; at: number }[] = [];
  for (const list of byRoot.values()) {
    const view = transferView(list);
    if (view) views.push({ view, at: lastChangeOf(list) });
  }
  return views.sort((a, b) => b.at - a.at).map((v) => v.view);
}
