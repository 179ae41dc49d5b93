// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { NetworkModel, type NetworkSnapshot } from '../../renderer/data/networkModel';
import { LarderStore } from '../../renderer/storage/store';
import { startNetworkReads, takeNetworkReads } from '../../renderer/data/networkReads';
import { START } from './replicas';
import { testStores } from './stores';
import { nextSnapshot as next } from './networkSnapshots';

/**
 * The coordinator's figures as NetworkModel loads them from the projection (every stock row, and every item
 * with levels at a hub that has recorded nothing of it), then patches them as entries commit.
 */
const { clock, device, sync, twoHubs } = testStores('network-model', 47);

const form = (name: string, category: string) => ({
  name,
  category,
  unit: 'bag',
  packSize: '',
  barcodes: '',
});

/** What the view says of each item: the hubs it is out at, short at, and its total. */
const itemsOf = (snap: NetworkSnapshot) =>
  Object.fromEntries(
    snap.model.view().items.map((i) => [i.name, { out: i.outHubs, short: i.shortHubs, total: i.freshTotal }]),
  );

describe('NetworkModel', () => {
  it('holds every stock row and every item with levels at a hub that has none of it, as the figures move', async () => {
    // Recent figures: a hub whose newest entry is older than a few days counts as stale, apart.
    clock.advance(Date.now() - START);
    const a = await device();
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const b = await device();
    await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Church laptop' });
    await sync(a, b);
    await b.chooseHub({ newHubName: 'Westside Church' });
    await sync(b, a);
    const [hubA, hubB] = [a.self!.hubId!, b.self!.hubId!];
    const rice = await a.saveItem(form('Rice', 'Food'));
    await a.saveItem(form('Soap', 'Hygiene'));
    await a.saveItem(form('Beans', 'Food'));
    await a.setLevels(rice.id, { min: '10', target: '20' }, hubA);
    await a.setCategoryLevels('Hygiene', { min: '5', target: '9' }, hubA);
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '3' }] });
    await sync(a, b);
    await b.setLevels(rice.id, { min: '4', target: '8' }, hubB);
    await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '6' }] });
    await sync(b, a);

    const model = new NetworkModel(a as LarderStore);
    try {
      const first = await next(model);
      expect(itemsOf(first)).toEqual({
        // Short at A (3 < 10); B holds 6, over its minimum of 4.
        Rice: { out: [], short: [hubA], total: 9 },
        // No entry of it anywhere, yet A has levels for it through its category: out there; B has none.
        Soap: { out: [hubA], short: [], total: 0 },
        // No levels, no entry: nowhere.
        Beans: { out: [], short: [], total: 0 },
      });
      // A pickup at A patches its row: out there now.
      const after = await next(model, () =>
        a.recordPickup({ lines: [{ item: rice.id, quantity: '3' }], acknowledgeBelowZero: true }),
      );
      expect(itemsOf(after).Rice).toEqual({ out: [hubA], short: [], total: 6 });
      // (A snapshot's model is patched in place by later entries: what it said then, kept.)
      const afterView = itemsOf(after);
      // A device joining (a device and a member more) changes no figure of the view: nothing is read again,
      // and the next entry patches the same model. A levels change reads everything again.
      const c = await device();
      await c.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Spare laptop' });
      await sync(a, c);
      await c.chooseHub({ hubId: hubA });
      const devices = await a.db.devices.count();
      await sync(c, a);
      expect(await a.db.devices.count()).toBe(devices + 1);
      const patched = await next(model, () =>
        a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '1' }] }),
      );
      expect(patched.model).toBe(after.model);
      expect(itemsOf(patched).Rice).toEqual({ out: [], short: [hubA], total: 7 });
      const relevelled = await next(model, () => a.setLevels(rice.id, { min: '0', target: '1' }, hubA));
      expect(relevelled.model).not.toBe(after.model);
      expect(itemsOf(relevelled).Rice).toEqual({ out: [], short: [], total: 7 });
      await a.setLevels(rice.id, { min: '10', target: '20' }, hubA);
      await a.recordPickup({ lines: [{ item: rice.id, quantity: '1' }], acknowledgeBelowZero: true });
      // A rebuild rewrites every table (a new device's first sync is caught up by one): read again.
      const rebuilt = await next(model, () => a.rebuildProjections());
      expect(rebuilt.version).toBeGreaterThan(after.version);
      // (Back where it was after the pickup: the donation picked up again, the levels as they were.)
      expect(itemsOf(rebuilt)).toEqual(afterView);
    } finally {
      model.dispose();
    }
  });

  it('reading again under a store that closes leaves the last figures up, and nothing unhandled', async () => {
    const a = await device();
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const model = new NetworkModel(a as LarderStore);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const first = await next(model);
      // A settings change makes the model read everything again; the database closes meanwhile.
      const saved = a.saveItem(form('Rice', 'Food'));
      await saved;
      a.db.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(model.current).toBe(first);
      expect(errors).toHaveBeenCalledWith('Larder could not read the network figures', expect.anything());
    } finally {
      model.dispose();
      errors.mockRestore();
    }
  });

  it('its first load takes the reads started as the database opened, unless something may have been written since', async () => {
    clock.advance(Date.now() - clock.now());
    const a = await device();
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const rice = await a.saveItem(form('Rice', 'Food'));
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '3' }] });
    const totalOf = async (model: NetworkModel) => {
      try {
        return itemsOf(await next(model)).Rice?.total;
      } finally {
        model.dispose();
      }
    };

    // Before the store's parts are loaded nothing can write: the model takes the reads already made (here
    // they are older than the figures, to tell them apart), once.
    const partsLoaded = vi.spyOn(LarderStore, 'partsLoaded', 'get').mockReturnValue(false);
    try {
      startNetworkReads(a as LarderStore);
      const early = takeNetworkReads(a as LarderStore)!;
      await early;
      startNetworkReads(a as LarderStore);
      await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '4' }] });
      expect(await totalOf(new NetworkModel(a as LarderStore))).toBe(3);
      expect(takeNetworkReads(a as LarderStore)).toBeNull();
      expect(await totalOf(new NetworkModel(a as LarderStore))).toBe(7);
    } finally {
      partsLoaded.mockRestore();
    }

    // Once they are loaded (a save may have committed since the reads), the model reads again.
    startNetworkReads(a as LarderStore);
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    expect(await totalOf(new NetworkModel(a as LarderStore))).toBe(12);
    expect(takeNetworkReads(a as LarderStore)).toBeNull();
  });

  it('counts the pickups of the last fortnight at each hub in its days of cover, as loaded and as entries commit', async () => {
    clock.advance(Date.now() - clock.now());
    const DAY = 86_400_000;
    const { admin: a, west: b, rice } = await twoHubs();
    await sync(a, b);
    const [hubA, hubB] = [a.self!.hubId!, b.self!.hubId!];
    const line = (quantity: string) => [{ item: rice.id, quantity }];
    // At A: 100 in and 50 out three weeks ago (before the fortnight: in no rate), 4 and 6 out today.
    const weeksAgo = clock.now() - 21 * DAY;
    await a.recordDonation({ source: 'individual', lines: line('100'), at: weeksAgo });
    await a.recordPickup({ lines: line('50'), at: weeksAgo });
    await a.recordPickup({ lines: line('4') });
    await a.recordPickup({ lines: line('6') });
    // At B, two days with entries in the fortnight: 30 in five days ago, 12 out today.
    await b.recordDonation({ source: 'individual', lines: line('30'), at: clock.now() - 5 * DAY });
    await b.recordPickup({ lines: line('12') });
    await sync(b, a);
    const coverAt = (snap: NetworkSnapshot, hub: string) =>
      snap.model.view({ hub }).items.find((i) => i.name === 'Rice')?.minCover;

    const model = new NetworkModel(a as LarderStore);
    try {
      const first = await next(model);
      // A: 40 left, 10 a day (one day with entries): 4 days. B: 18 left, 12 over two days: 3 days.
      expect(coverAt(first, hubA)).toBe(4);
      expect(coverAt(first, hubB)).toBe(3);
      // A pickup at A today: 30 left, 20 a day. B's figures stay.
      const after = await next(model, () => a.recordPickup({ lines: line('10') }));
      expect(coverAt(after, hubA)).toBe(1.5);
      expect(coverAt(after, hubB)).toBe(3);
      // B's next pickup arrives from B: 12 left, 18 over two days.
      await b.recordPickup({ lines: line('6') });
      const synced = await next(model, () => sync(b, a));
      expect(coverAt(synced, hubB)).toBeCloseTo(12 / 9, 9);
      expect(coverAt(synced, hubA)).toBe(1.5);
    } finally {
      model.dispose();
    }
  });
});
