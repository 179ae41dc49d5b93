import { describe, expect, it } from 'vitest';
import { BelowZeroWarning } from '../../shared/commands';
import { entrySchema } from '../../shared/entries';
import { ValidationError, issue } from '../../shared/errors';
import { msg, word } from '../../shared/messages';
import {
  receiveTransfer,
  requestTransfer,
  sendTransfer,
  settleTransfer,
  type TransferContext,
} from '../../shared/transferCommands';
import type { TransferStatus, TransferView } from '../../shared/transfers';
import { HUB_IDS, oats, rice } from './ledger';

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0, 750);
const NOW_SEC = Date.UTC(2025, 5, 15, 12, 0, 0);
const ctx: TransferContext = {
  device: 'coord',
  nextSeq: 7,
  now: NOW,
  items: new Map([rice, oats].map((i) => [i.id, i])),
  hubs: new Set(HUB_IDS),
};
const move = { item: rice.id, from: 'north', to: 'south', quantity: '10' };

/** A transfer as transferView shows it, in the given status. */
const view = (status: TransferStatus, over: Partial<TransferView> = {}): TransferView => ({
  id: 'coord.3',
  item: rice.id,
  from: 'north',
  to: 'south',
  status,
  inTransit: status === 'in transit' ? 10 : 0,
  difference: status === 'discrepancy' ? -3 : 0,
  ...over,
});

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('requestTransfer', () => {
  it('asks the sending hub for the quantity, for the receiving hub, in whole seconds', () => {
    const e = requestTransfer(ctx, { ...move, quantity: ' 1,200 ' });
    expect(e).toStrictEqual({
      kind: 'transfer_request',
      hub: 'north',
      device: 'coord',
      seq: 7,
      item: rice.id,
      at: NOW_SEC,
      recordedAt: NOW_SEC,
      qty: 1200,
      to: 'south',
    });
    expect(entrySchema.parse(e)).toStrictEqual(e);
  });

  it.each([
    [{ item: 'nothere1' }, 'item', msg('form.itemUnknown')],
    [{ from: 'west' }, 'from', msg('transfer.senderMissing')],
    [{ to: 'west' }, 'to', msg('transfer.receiverMissing')],
    [{ to: 'north' }, 'to', msg('transfer.toItself')],
    [{ quantity: '0' }, 'quantity', msg('quantity.zero', { what: word('field.quantity') })],
    [{ quantity: '2.5' }, 'quantity', msg('quantity.notWhole', { what: word('field.quantity') })],
  ])('refuses %j', (over, field, message) => {
    expect(issuesOf(() => requestTransfer(ctx, { ...move, ...over }))).toEqual([issue(field, message)]);
  });

  it('names every problem at once', () => {
    expect(
      issuesOf(() => requestTransfer(ctx, { item: 'nothere1', from: 'west', to: 'west', quantity: '' })),
    ).toEqual([
      issue('item', msg('form.itemUnknown')),
      issue('from', msg('transfer.senderMissing')),
      issue('to', msg('transfer.receiverMissing')),
      issue('quantity', msg('quantity.empty', { what: word('field.quantity') })),
    ]);
  });
});

describe('sendTransfer', () => {
  it('a send of more than the hub has on record asks first, as a pickup does; acknowledged, it goes ahead unchanged', () => {
    let warning: unknown;
    try {
      sendTransfer(ctx, move, 9);
    } catch (error) {
      warning = error;
    }
    expect(warning).toBeInstanceOf(BelowZeroWarning);
    expect((warning as BelowZeroWarning).messages).toEqual([
      msg('pickup.belowZero', { item: rice.name, taking: 10, onHand: 9 }),
    ]);
    // Exactly what is on hand, or less, goes ahead; so does more, once acknowledged (no mark on the entry).
    expect(sendTransfer(ctx, move, 10).qty).toBe(10);
    expect(sendTransfer(ctx, { ...move, acknowledgeBelowZero: true }, 0)).toStrictEqual(
      sendTransfer(ctx, move),
    );
    // A form error comes first: a bad quantity is said as such, not as a shortfall.
    expect(issuesOf(() => sendTransfer(ctx, { ...move, quantity: 'ten' }, 0))[0]!.field).toBe('quantity');
  });

  it('sends without a request: the send stands for itself', () => {
    const e = sendTransfer({ ...ctx, device: 'nrt1' }, move);
    expect(e).toStrictEqual({
      kind: 'transfer_out',
      hub: 'north',
      device: 'nrt1',
      seq: 7,
      item: rice.id,
      at: NOW_SEC,
      recordedAt: NOW_SEC,
      qty: 10,
      to: 'south',
    });
    expect(entrySchema.parse(e)).toStrictEqual(e);
  });

  it('sends what was requested, another quantity if need be, under the request', () => {
    const e = sendTransfer(ctx, { ...move, quantity: '8', request: view('requested') });
    expect(e).toMatchObject({ kind: 'transfer_out', hub: 'north', qty: 8, to: 'south', transfer: 'coord.3' });
  });

  it.each(['in transit', 'received', 'discrepancy', 'settled', 'cancelled'] as const)(
    'refuses to send against a request already %s',
    (status) => {
      expect(issuesOf(() => sendTransfer(ctx, { ...move, request: view(status) }))).toEqual([
        issue('', msg('transfer.notSendable', { status: word(`status.${status}`) })),
      ]);
    },
  );

  it.each([
    ['another item', { item: oats.id }],
    ['another sender', { from: 'east' }],
    ['another receiver', { to: 'east' }],
  ])('refuses a send that does not match its request (%s)', (_what, over) => {
    expect(issuesOf(() => sendTransfer(ctx, { ...move, ...over, request: view('requested') }))).toEqual([
      issue('', msg('transfer.requestMismatch')),
    ]);
  });

  it('refuses to send to the same hub, or to or from a hub it does not know', () => {
    expect(issuesOf(() => sendTransfer(ctx, { ...move, to: 'north' }))).toEqual([
      issue('to', msg('transfer.toItself')),
    ]);
    expect(issuesOf(() => sendTransfer(ctx, { ...move, to: 'west', item: 'nothere1' }))).toEqual([
      issue('item', msg('form.itemUnknown')),
      issue('to', msg('transfer.receiverMissing')),
    ]);
  });
});

describe('receiveTransfer', () => {
  it('records what arrived at the receiving hub, against the transfer', () => {
    const e = receiveTransfer({ ...ctx, device: 'sth1' }, view('in transit'), ' 9 ');
    expect(e).toStrictEqual({
      kind: 'transfer_in',
      hub: 'south',
      device: 'sth1',
      seq: 7,
      item: rice.id,
      at: NOW_SEC,
      recordedAt: NOW_SEC,
      qty: 9,
      from: 'north',
      transfer: 'coord.3',
    });
    expect(entrySchema.parse(e)).toStrictEqual(e);
  });

  it('records that nothing arrived', () => {
    expect(receiveTransfer(ctx, view('in transit'), '0').qty).toBe(0);
  });

  it('refuses a transfer that was only requested', () => {
    expect(issuesOf(() => receiveTransfer(ctx, view('requested'), '10'))).toEqual([
      issue('', msg('transfer.notSentYet')),
    ]);
  });

  it.each(['received', 'discrepancy', 'settled', 'cancelled'] as const)(
    'refuses a transfer already %s',
    (status) => {
      expect(issuesOf(() => receiveTransfer(ctx, view(status), '10'))).toEqual([
        issue('', msg('transfer.alreadyDone', { status: word(`status.${status}`) })),
      ]);
    },
  );

  it.each([
    ['', msg('quantity.empty', { what: word('field.received') })],
    ['-1', msg('quantity.negative', { what: word('field.received') })],
    ['1.5', msg('quantity.notWhole', { what: word('field.received') })],
  ])('refuses the quantity %j', (quantity, message) => {
    expect(issuesOf(() => receiveTransfer(ctx, view('in transit'), quantity))).toEqual([
      issue('quantity', message),
    ]);
  });
});

describe('settleTransfer', () => {
  it('settles a difference with a note, at the receiving hub, moving no stock', () => {
    const e = settleTransfer({ ...ctx, device: 'sth1' }, view('discrepancy'), '  3 bags\n torn  ');
    expect(e).toStrictEqual({
      kind: 'transfer_resolve',
      hub: 'south',
      device: 'sth1',
      seq: 7,
      item: rice.id,
      at: NOW_SEC,
      recordedAt: NOW_SEC,
      transfer: 'coord.3',
      note: '3 bags torn',
    });
    expect(entrySchema.parse(e)).toStrictEqual(e);
  });

  it('settled by a device of the sending hub, the entry is the sending hub’s (its gate counts it there)', () => {
    const e = settleTransfer(
      { ...ctx, device: 'nth1' },
      view('discrepancy'),
      'counted again: 3 short',
      'from',
    );
    expect(e).toMatchObject({ kind: 'transfer_resolve', hub: 'north', device: 'nth1', transfer: 'coord.3' });
    // By the receiving hub's device (`'to'`, the default), the receiving hub's.
    expect(settleTransfer(ctx, view('discrepancy'), 'note', 'to').hub).toBe('south');
  });

  it.each(['requested', 'in transit', 'received', 'settled', 'cancelled'] as const)(
    'refuses a transfer that is %s: only a difference needs settling',
    (status) => {
      expect(issuesOf(() => settleTransfer(ctx, view(status), 'note'))).toEqual([
        issue('', msg('transfer.noDifference')),
      ]);
    },
  );

  it('needs a note that says what happened, of at most 500 characters', () => {
    for (const note of ['', ' \n\t '])
      expect(issuesOf(() => settleTransfer(ctx, view('discrepancy'), note))).toEqual([
        issue('note', msg('transfer.settleNoteMissing')),
      ]);
    expect(issuesOf(() => settleTransfer(ctx, view('discrepancy'), 'x'.repeat(501)))).toEqual([
      issue('note', msg('transfer.noteTooLong', { max: 500 })),
    ]);
    // Spaces collapse before the length is checked.
    const long = `${'x'.repeat(250)}     ${'y'.repeat(249)}`;
    expect(settleTransfer(ctx, view('discrepancy'), long).note).toHaveLength(500);
  });
});
