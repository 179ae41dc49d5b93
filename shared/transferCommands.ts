import type { Item } from './catalog';
import type { TransferIn, TransferOut, TransferRequest, TransferResolve } from './entries';
import { IssueCollector, ValidationError, issue } from './errors';
import { msg, word } from './messages';
import { BelowZeroWarning, MAX_NOTE_LENGTH } from './commands';
import { parseQuantity } from './quantity';
import type { TransferView } from './transfers';

/**
 * Commands for moving stock between hubs. `hub` in the context is the hub the entry is FOR (the sender
 * for a send, the receiver for a receipt); `device` is who recorded it, which may be a coordinator's
 * device acting for a hub that asked.
 */
export interface TransferContext {
  device: string;
  nextSeq: number;
  now: number;
  items: ReadonlyMap<string, Item>;
  hubs: ReadonlySet<string>;
}

const second = (ms: number) => Math.floor(ms / 1000) * 1000;

function header(ctx: TransferContext, hub: string, item: string) {
  const t = second(ctx.now);
  return { hub, device: ctx.device, seq: ctx.nextSeq, item, at: t, recordedAt: t };
}

function checkMove(
  ctx: TransferContext,
  form: { item: string; from: string; to: string; quantity: string },
  issues: IssueCollector,
): number | null {
  if (!ctx.items.has(form.item)) issues.add('item', msg('form.itemUnknown'));
  if (!ctx.hubs.has(form.from)) issues.add('from', msg('transfer.senderMissing'));
  if (!ctx.hubs.has(form.to)) issues.add('to', msg('transfer.receiverMissing'));
  else if (form.to === form.from) issues.add('to', msg('transfer.toItself'));
  const q = parseQuantity(form.quantity);
  if (!q.ok) issues.add('quantity', q.message);
  return q.ok ? q.value : null;
}

/** A coordinator (or a hub) asks `from` to send stock to `to`: no stock moves yet. */
export function requestTransfer(
  ctx: TransferContext,
  form: { item: string; from: string; to: string; quantity: string },
): TransferRequest {
  const issues = new IssueCollector();
  const qty = checkMove(ctx, form, issues);
  issues.throwIfAny();
  return { kind: 'transfer_request', ...header(ctx, form.from, form.item), qty: qty!, to: form.to };
}

/**
 * "Sent N of X to hub B": leaves the sender's stock at once; in transit until received. Given what the
 * sender has on hand, a send of more is refused with a BelowZeroWarning until the volunteer acknowledges
 * it (records can be wrong, as for a pickup).
 */
export function sendTransfer(
  ctx: TransferContext,
  form: {
    item: string;
    from: string;
    to: string;
    quantity: string;
    request?: TransferView;
    acknowledgeBelowZero?: boolean;
  },
  onHand?: number,
): TransferOut {
  const issues = new IssueCollector();
  const qty = checkMove(ctx, form, issues);
  if (form.request) {
    if (form.request.status !== 'requested')
      issues.add('', msg('transfer.notSendable', { status: word(`status.${form.request.status}`) }));
    if (form.request.item !== form.item || form.request.from !== form.from || form.request.to !== form.to)
      issues.add('', msg('transfer.requestMismatch'));
  }
  issues.throwIfAny();
  if (onHand !== undefined && qty! > onHand && !form.acknowledgeBelowZero)
    throw new BelowZeroWarning([
      { item: form.item, name: ctx.items.get(form.item)!.name, onHand, taking: qty! },
    ]);
  return {
    kind: 'transfer_out',
    ...header(ctx, form.from, form.item),
    qty: qty!,
    to: form.to,
    ...(form.request ? { transfer: form.request.id } : {}),
  };
}

/** "Received M" against a transfer: enters the receiver's stock; M may differ from what was sent. */
export function receiveTransfer(ctx: TransferContext, transfer: TransferView, quantity: string): TransferIn {
  const issues = new IssueCollector();
  const q = parseQuantity(quantity, { field: 'received', allowZero: true });
  if (!q.ok) issues.add('quantity', q.message);
  if (transfer.status === 'requested') issues.add('', msg('transfer.notSentYet'));
  else if (transfer.status !== 'in transit')
    issues.add('', msg('transfer.alreadyDone', { status: word(`status.${transfer.status}`) }));
  issues.throwIfAny();
  return {
    kind: 'transfer_in',
    ...header(ctx, transfer.to, transfer.item),
    qty: (q as { value: number }).value,
    from: transfer.from,
    transfer: transfer.id,
  };
}

/**
 * Settles a difference between sent and received with a note; moves no stock. The entry is the settling
 * hub's: `side` says which hub of the transfer records it (the receiving one unless the sending hub's
 * device settles), since every replica's gate counts a hub device's entry only for its own hub.
 */
export function settleTransfer(
  ctx: TransferContext,
  transfer: TransferView,
  note: string,
  side: 'from' | 'to' = 'to',
): TransferResolve {
  const text = note.replace(/\s+/g, ' ').trim();
  if (transfer.status !== 'discrepancy') throw new ValidationError([issue('', msg('transfer.noDifference'))]);
  if (!text) throw new ValidationError([issue('note', msg('transfer.settleNoteMissing'))]);
  if (text.length > MAX_NOTE_LENGTH)
    throw new ValidationError([issue('note', msg('transfer.noteTooLong', { max: MAX_NOTE_LENGTH }))]);
  return {
    kind: 'transfer_resolve',
    ...header(ctx, side === 'from' ? transfer.from : transfer.to, transfer.item),
    transfer: transfer.id,
    note: text,
  };
}
