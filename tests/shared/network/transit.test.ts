import { describe, expect, it } from 'vitest';
import { inTransitOf, networkView } from '../../../shared/network';

describe('inTransitOf', () => {
  const transfers = [
    { id: 't1', item: 'rice', from: 'hub1', to: 'hub2', inTransit: 12, status: 'in transit' },
    { id: 't2', item: 'rice', from: 'hub2', to: 'hub1', inTransit: 0, status: 'received' },
    { id: 't3', item: 'soap', from: 'hub3', to: 'hub1', inTransit: 4, status: 'in transit' },
  ];

  it('keeps the transfers with stock on the way, with their ends', () => {
    expect(inTransitOf(transfers)).toEqual([
      { item: 'rice', qty: 12, from: 'hub1', to: 'hub2' },
      { item: 'soap', qty: 4, from: 'hub3', to: 'hub1' },
    ]);
  });

  it('shows in transit apart from on-hand figures', () => {
    const view = networkView({
      now: 0,
      hubs: [{ id: 'hub1', name: 'One', newestEntryAt: 0 }],
      items: [{ id: 'rice', name: 'Rice', category: 'Food' }],
      positions: [{ hub: 'hub1', item: 'rice', onHand: 5, rate: 0 }],
      inTransit: inTransitOf(transfers),
    });
    expect(view.items[0]).toMatchObject({ item: 'rice', freshTotal: 5, staleTotal: 0, inTransit: 12 });
  });
});
