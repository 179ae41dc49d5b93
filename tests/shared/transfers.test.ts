import { describe, expect, it } from 'vitest';
import type { Entry } from '../../shared/entries';
import { ValidationError, issue } from '../../shared/errors';
import { msg, word } from '../../shared/messages';
import {
  requestTransfer,
  sendTransfer,
  receiveTransfer,
  settleTransfer,
} from '../../shared/transferCommands';
import { transferView, transferViews } from '../../shared/transfers';
import { Network, idOf, oats, rice } from './ledger';

/**
 * What a volunteer sees of a transfer (status, what was asked, sent and received, the difference, what is
 * still on the way) and what happens to the stock of both hubs, for every way a transfer can go. Entries
 * are made with the commands the screens use and projected as the app projects them.
 */
const move = { item: rice.id, from: 'north', to: 'south' };

/** North holds 30 bags of rice; the coordinator asks it to send 10 to South. */
function requested() {
  const net = new Network();
  net.donate('nrt1', 'north', 30);
  const request = net.record(requestTransfer(net.ctx('coord'), { ...move, quantity: '10' }));
  return { net, id: idOf(request), request };
}

/** ...and North has sent them. */
function sent(qty = '10') {
  const { net, id, request } = requested();
  const send = net.record(
    sendTransfer(net.ctx('nrt1'), { ...move, quantity: qty, request: net.transfer(id) }),
  );
  return { net, id, request, send };
}

/** ...and South has received `qty`. */
function received(qty: string) {
  const s = sent();
  const receipt = s.net.record(receiveTransfer(s.net.ctx('sth1'), s.net.transfer(s.id), qty));
  return { ...s, receipt };
}

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
};

describe('a transfer, as the transfers screen shows it', () => {
  it('requested: asked for, nothing moves yet', () => {
    const { net, id, request } = requested();
    expect(net.transfer(id)).toStrictEqual({
      id,
      item: rice.id,
      from: 'north',
      to: 'south',
      requested: { qty: 10, at: request.at, device: 'coord', entry: id },
      status: 'requested',
      inTransit: 0,
      difference: 0,
    });
    expect([net.onHand('north'), net.onHand('south')]).toEqual([30, 0]);
  });

  it('sent: leaves the sender at once and is in transit until received', () => {
    const { net, id, send } = sent();
    expect(net.transfer(id)).toMatchObject({
      id,
      status: 'in transit',
      sent: { qty: 10, at: send.at, device: 'nrt1', entry: idOf(send) },
      inTransit: 10,
      difference: 0,
    });
    expect(net.transfer(id).received).toBeUndefined();
    expect([net.onHand('north'), net.onHand('south')]).toEqual([20, 0]);
  });

  it('sent without a request: the send is the transfer', () => {
    const net = new Network();
    net.donate('nrt1', 'north', 30);
    const send = net.record(sendTransfer(net.ctx('nrt1'), { ...move, quantity: '4' }));
    expect(net.transfers()).toStrictEqual([
      {
        id: idOf(send),
        item: rice.id,
        from: 'north',
        to: 'south',
        sent: { qty: 4, at: send.at, device: 'nrt1', entry: idOf(send) },
        status: 'in transit',
        inTransit: 4,
        difference: 0,
      },
    ]);
  });

  it('received in full: nothing in transit, no difference, in the receiver’s stock', () => {
    const { net, id, receipt } = received('10');
    expect(net.transfer(id)).toMatchObject({
      status: 'received',
      received: { qty: 10, at: receipt.at, device: 'sth1', entry: idOf(receipt) },
      inTransit: 0,
      difference: 0,
    });
    expect([net.onHand('north'), net.onHand('south')]).toEqual([20, 10]);
  });

  it.each([
    ['short', '7', -3],
    ['over', '12', 2],
    ['nothing arrived', '0', -10],
  ])('received %s: a discrepancy of received minus sent, nothing in transit', (_how, qty, difference) => {
    const { net, id } = received(qty);
    expect(net.transfer(id)).toMatchObject({
      status: 'discrepancy',
      received: { qty: Number(qty) },
      inTransit: 0,
      difference,
    });
    expect([net.onHand('north'), net.onHand('south')]).toEqual([20, Number(qty)]);
  });

  it('settled: the difference stays visible with the note that settled it; no stock moves', () => {
    const { net, id } = received('7');
    const settle = net.record(
      settleTransfer(net.ctx('sth1'), net.transfer(id), ' 3 bags  torn \n in the van '),
    );
    expect(net.transfer(id)).toMatchObject({
      status: 'settled',
      settled: { note: '3 bags torn in the van', at: settle.at, device: 'sth1' },
      difference: -3,
      inTransit: 0,
    });
    expect([net.onHand('north'), net.onHand('south')]).toEqual([20, 7]);
  });

  it('settled twice (two devices while apart): the newer note shows, in any order of the rows', () => {
    // Whichever of the two comes first in id order: the id breaks only a tie of the same second.
    for (const [olderBy, newerBy] of [
      ['sth2', 'nrt1'],
      ['nrt1', 'sth2'],
    ] as const) {
      const { net, id } = received('7');
      const view = net.transfer(id);
      const older = net.record(settleTransfer(net.ctx(olderBy), view, 'older note'));
      const newer = net.record(settleTransfer(net.ctx(newerBy), view, 'newer note'));
      expect(newer.at).toBeGreaterThan(older.at);
      const rows = net.rows();
      for (const order of [rows, [...rows].reverse()])
        expect(transferViews(order).find((t) => t.id === id)!.settled).toEqual({
          note: 'newer note',
          at: newer.at,
          device: newerBy,
        });
    }
  });

  it('send undone: asked for again, the sender has its stock back and can send anew', () => {
    const { net, id, send } = sent();
    net.undo('nrt1', idOf(send));
    const view = net.transfer(id);
    expect(view).toMatchObject({ status: 'requested', inTransit: 0, difference: 0 });
    expect(view.sent).toBeUndefined();
    expect([net.onHand('north'), net.onHand('south')]).toEqual([30, 0]);
    const again = sendTransfer(net.ctx('nrt1'), { ...move, quantity: '9', request: view });
    expect(again.transfer).toBe(id);
  });

  it('an unrequested send undone: no transfer is left to receive', () => {
    const net = new Network();
    net.donate('nrt1', 'north', 30);
    const send = net.record(sendTransfer(net.ctx('nrt1'), { ...move, quantity: '4' }));
    net.undo('nrt1', idOf(send));
    expect(net.transfers()).toEqual([]);
    expect(net.onHand('north')).toBe(30);
  });

  it('receipt undone: in transit again, out of the receiver’s stock, and can be received anew', () => {
    const { net, id, receipt } = received('7');
    net.undo('sth1', idOf(receipt));
    const view = net.transfer(id);
    expect(view).toMatchObject({ status: 'in transit', inTransit: 10, difference: 0 });
    expect(view.received).toBeUndefined();
    expect([net.onHand('north'), net.onHand('south')]).toEqual([20, 0]);
    expect(receiveTransfer(net.ctx('sth1'), view, '10')).toMatchObject({ transfer: id, qty: 10 });
  });

  it('request undone before it was sent: cancelled, still between the same two hubs, and cannot be sent', () => {
    const { net, id } = requested();
    net.undo('coord', id);
    const view = net.transfer(id);
    expect(view).toMatchObject({ id, from: 'north', to: 'south', status: 'cancelled', inTransit: 0 });
    expect(view.requested).toBeUndefined();
    expect(refusal(() => sendTransfer(net.ctx('nrt1'), { ...move, quantity: '10', request: view }))).toEqual([
      issue('', msg('transfer.notSendable', { status: word('status.cancelled') })),
    ]);
  });

  it('request undone after the send: the stock is on its way all the same, under the same transfer', () => {
    const { net, id } = sent();
    net.undo('coord', id);
    const view = net.transfer(id);
    expect(view).toMatchObject({ id, from: 'north', to: 'south', status: 'in transit', inTransit: 10 });
    expect(view.requested).toBeUndefined();
    net.record(receiveTransfer(net.ctx('sth1'), view, '10'));
    expect(net.transfer(id).status).toBe('received');
    expect(net.onHand('south')).toBe(10);
  });

  it('received twice while apart (two devices of the receiver): one receipt counts, the same everywhere', () => {
    const { net, id } = sent();
    const inTransit = net.transfer(id);
    // Both devices of South record the receipt of the same van: sth1 counted 8, sth2 all 10.
    const first = net.record(receiveTransfer(net.ctx('sth1'), inTransit, '8'));
    const second = net.record(receiveTransfer(net.ctx('sth2'), inTransit, '10'));
    const rows = net.rows();
    for (const order of [rows, [...rows].reverse()]) {
      // sth1's receipt comes first in the order every replica agrees on (device, then number).
      expect(transferViews(order).find((t) => t.id === id)).toMatchObject({
        status: 'discrepancy',
        received: { qty: 8, entry: idOf(first) },
        difference: -2,
      });
    }
    expect(net.onHand('south')).toBe(8);
    // Arrival order does not matter.
    expect(net.transfer(id, [...net.entries].reverse())).toEqual(net.transfer(id));
    // Undoing the receipt that counts hands the transfer to the other one.
    net.undo('sth1', idOf(first));
    expect(net.transfer(id)).toMatchObject({
      status: 'received',
      received: { qty: 10, entry: idOf(second) },
    });
    expect(net.onHand('south')).toBe(10);
  });

  it('sent twice while apart (two devices of the sender): one send counts, the sender is debited once', () => {
    const { net, id } = requested();
    const request = net.transfer(id);
    const first = net.record(sendTransfer(net.ctx('nrt1'), { ...move, quantity: '10', request }));
    net.record(sendTransfer(net.ctx('nrt2'), { ...move, quantity: '6', request }));
    const rows = net.rows();
    for (const order of [rows, [...rows].reverse()])
      expect(transferViews(order).find((t) => t.id === id)).toMatchObject({
        status: 'in transit',
        sent: { qty: 10, entry: idOf(first) },
        inTransit: 10,
      });
    expect(net.onHand('north')).toBe(20);
  });
});

describe('a transfer, when the rows disagree or everything was undone', () => {
  it('everything undone after settling: cancelled, between the same two hubs, the note kept', () => {
    const net = new Network();
    net.donate('nrt1', 'north', 30);
    const send = net.record(sendTransfer(net.ctx('nrt1'), { ...move, quantity: '10' }));
    const id = idOf(send);
    const receipt = net.record(receiveTransfer(net.ctx('sth1'), net.transfer(id), '7'));
    net.record(settleTransfer(net.ctx('sth1'), net.transfer(id), 'torn bags'));
    net.undo('sth1', idOf(receipt));
    net.undo('nrt1', id);
    expect(net.transfer(id)).toMatchObject({
      id,
      to: 'south',
      status: 'cancelled',
      settled: { note: 'torn bags' },
      inTransit: 0,
      difference: 0,
    });
    expect([net.onHand('north'), net.onHand('south')]).toEqual([30, 0]);
  });

  it('settled twice in the same second: the note of the first entry in id order shows', () => {
    const { net, id } = received('7');
    const view = net.transfer(id);
    const c = net.ctx('sth1');
    const a = net.record(settleTransfer(c, view, 'first note'));
    net.record(settleTransfer({ ...c, device: 'sth2' }, view, 'second note'));
    expect(net.transfer(id).settled).toEqual({ note: 'first note', at: a.at, device: 'sth1' });
    // A replica that took them the other way round (or started from a checkpoint holding the second) shows the same.
    const rows = net.rows().filter((r) => r.root === id);
    expect(transferViews([...rows].reverse()).find((t) => t.id === id)!.settled!.note).toBe('first note');
  });

  it('the route is the request’s or the send’s, whatever a receipt says', () => {
    for (const requestFirst of [true, false]) {
      const net = new Network();
      net.donate('nrt1', 'north', 30);
      const id = requestFirst
        ? idOf(net.record(requestTransfer(net.ctx('coord'), { ...move, quantity: '10' })))
        : idOf(net.record(sendTransfer(net.ctx('nrt1'), { ...move, quantity: '10' })));
      if (requestFirst)
        net.record(sendTransfer(net.ctx('nrt1'), { ...move, quantity: '10', request: net.transfer(id) }));
      // A faulty device records the receipt as coming from East.
      net.record({ ...receiveTransfer(net.ctx('sth1'), net.transfer(id), '10'), from: 'east' });
      expect(net.transfer(id)).toMatchObject({ from: 'north', to: 'south', status: 'received' });
    }
  });
});

describe('transferViews', () => {
  it('lists each transfer once, the most recently active first, and nothing else', () => {
    const net = new Network();
    net.donate('nrt1', 'north', 30);
    net.donate('nrt1', 'north', 30, oats.id);
    const a = idOf(net.record(requestTransfer(net.ctx('coord'), { ...move, quantity: '5' })));
    const b = idOf(net.record(sendTransfer(net.ctx('nrt1'), { ...move, item: oats.id, quantity: '3' })));
    const c = idOf(net.record(requestTransfer(net.ctx('coord'), { ...move, to: 'east', quantity: '2' })));
    expect(net.transfers().map((t) => t.id)).toEqual([c, b, a]);
    // A receipt of b makes it the most recently active.
    net.record(receiveTransfer(net.ctx('sth1'), net.transfer(b), '3'));
    expect(net.transfers().map((t) => [t.id, t.item, t.to, t.status])).toEqual([
      [b, oats.id, 'south', 'received'],
      [c, rice.id, 'east', 'requested'],
      [a, rice.id, 'south', 'requested'],
    ]);
  });

  it('has no transfer to show for rows of no transfer', () => {
    expect(transferView([])).toBeNull();
    const net = new Network();
    net.donate('nrt1', 'north', 30);
    expect(transferView(net.rows())).toBeNull();
    expect(transferViews(net.rows())).toEqual([]);
  });
});

// Kept apart so the scenarios above read as a volunteer's story; these pin the rows' details.
describe('transfer rows', () => {
  it('every transfer entry carries its transfer as its root', () => {
    const { net, id, receipt } = received('7');
    net.record(settleTransfer(net.ctx('sth1'), net.transfer(id), 'torn bags'));
    const roots = net.rows().map((r) => [r.kind, r.root] as [Entry['kind'], string | undefined]);
    expect(roots).toEqual(
      expect.arrayContaining([
        ['transfer_request', id],
        ['transfer_out', id],
        ['transfer_in', id],
        ['transfer_resolve', id],
        ['donation', undefined],
      ]),
    );
    expect(net.rows().find((r) => r.id === idOf(receipt))!.slot).toBe(`in:${id}`);
  });
});
