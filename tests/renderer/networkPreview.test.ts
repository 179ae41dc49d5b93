// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { movesToShow } from '../../shared/network';
import { NetworkModel } from '../../renderer/data/networkModel';
import {
  isPreview,
  PREVIEW_ITEMS,
  PREVIEW_MAX_AGE_MS,
  PREVIEW_MOVES,
  PREVIEW_SAVE_DELAY_MS,
  previewFor,
  previewOf,
  type NetworkPreview,
} from '../../renderer/data/networkPreview';
import type { LarderStore } from '../../renderer/storage/store';
import { testStores } from './stores';
import { nextSnapshot as next } from './networkSnapshots';

/**
 * The Network screen's first view as the device last worked it out, saved for its next start
 * (renderer/data/networkPreview.ts): what it holds, when the model saves it, and which stored rows the
 * screen may show.
 */
const { clock, device, sync, twoHubs } = testStores('network-preview', 61);

const ITEMS = 20;

/**
 * Two hubs: Eastside (A) wants at least 10 of every food item and has none but a bag of rice; Westside (B)
 * holds 50 of each, its target 10: every item is out or short at A, and each is a move from B. B has already
 * asked to send A rice.
 */
async function shortNetwork() {
  clock.advance(Date.now() - clock.now());
  const { admin: a, west: b, rice } = await twoHubs();
  const items = [rice];
  for (let n = 2; n <= ITEMS; n++)
    items.push(
      await a.saveItem({
        name: `Beans ${String(n).padStart(2, '0')}`,
        category: 'Food',
        unit: 'tin',
        packSize: '',
        barcodes: '',
      }),
    );
  await a.setCategoryLevels('Food', { min: '10', target: '20' });
  // One bag of rice: A's figures are fresh (a hub that never recorded anything is stale, in no move).
  await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '1' }] });
  await sync(a, b);
  await b.setCategoryLevels('Food', { min: '5', target: '10' });
  await b.recordDonation({
    source: 'individual',
    lines: items.map((i) => ({ item: i.id, quantity: '50' })),
  });
  await b.requestTransfer({ item: rice.id, from: b.self!.hubId!, to: a.self!.hubId!, quantity: '10' });
  await sync(b, a);
  return { a, b, items };
}

const previewRow = (store: LarderStore) => store.db.meta.get('networkPreview');

describe('the Network screen’s saved view', () => {
  it('holds the first rows, moves and hubs the screen shows, as the screen works them out', async () => {
    const { a } = await shortNetwork();
    const model = new NetworkModel(a);
    try {
      const snapshot = await next(model);
      const preview = previewOf(snapshot, 7);
      const view = snapshot.model.view({});
      expect(view.items).toHaveLength(ITEMS);
      expect(preview.items).toEqual(view.items.slice(0, PREVIEW_ITEMS));
      const moves = movesToShow(view.moves, view.items, snapshot.transfers);
      // Rice is asked for already: not suggested again.
      expect(moves).toHaveLength(ITEMS - 1);
      expect(preview.moves).toEqual(moves.slice(0, PREVIEW_MOVES));
      expect(preview.moves.map((m) => m.item)).not.toContain(
        snapshot.items.find((i) => i.name === 'Rice')!.id,
      );
      // Each move's item by name and unit, and nothing else of the catalog.
      expect(preview.names).toEqual(
        preview.moves.map((m) => {
          const item = snapshot.itemsById.get(m.item)!;
          return [item.id, item.name, item.unit];
        }),
      );
      expect(preview.hubs).toEqual(
        view.hubs.map((h) => ({
          hub: h.hub,
          name: h.name,
          stale: h.stale,
          ageMs: h.ageMs,
          shortages: h.shortages.length,
        })),
      );
      expect(preview.hubs.map((h) => [h.name, h.shortages])).toEqual(
        expect.arrayContaining([
          ['Eastside Pantry', ITEMS],
          ['Westside Church', 0],
        ]),
      );
      expect(preview).toMatchObject({ key: 'networkPreview', format: 1, version: 7, takenAt: snapshot.now });
      expect(isPreview(preview)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('is saved once the figures have stopped changing for a moment, with the newest figures', async () => {
    const { a, items } = await shortNetwork();
    const puts = vi.spyOn(a.db.meta, 'put');
    const saves = () => puts.mock.calls.filter(([row]) => row.key === 'networkPreview').length;
    const model = new NetworkModel(a);
    try {
      await next(model);
      // Two donations at A in quick succession: no save between them.
      await next(model, () =>
        a.recordDonation({ source: 'individual', lines: [{ item: items[1]!.id, quantity: '3' }] }),
      );
      await new Promise((r) => setTimeout(r, PREVIEW_SAVE_DELAY_MS / 4));
      expect(saves()).toBe(0);
      const last = await next(model, () =>
        a.recordDonation({ source: 'individual', lines: [{ item: items[2]!.id, quantity: '10' }] }),
      );
      await vi.waitFor(() => expect(saves()).toBe(1), { timeout: PREVIEW_SAVE_DELAY_MS * 3 });
      const saved = await previewRow(a);
      expect(saved).toEqual(previewOf(last, a.db.backendDB().version));
      // The last donation brought A up to its minimum of that item: one shortage fewer there.
      expect((saved as NetworkPreview).hubs.find((h) => h.name === 'Eastside Pantry')?.shortages).toBe(
        ITEMS - 1,
      );
    } finally {
      model.dispose();
      puts.mockRestore();
    }
  });

  it('is not saved by a model that is gone', async () => {
    const a = await device();
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const model = new NetworkModel(a);
    await next(model);
    model.dispose();
    await new Promise((r) => setTimeout(r, PREVIEW_SAVE_DELAY_MS + 200));
    expect(await previewRow(a)).toBeUndefined();
  });

  it('is shown only if it is of this shape, this database’s version and less than a week old', async () => {
    const { a } = await shortNetwork();
    const model = new NetworkModel(a);
    let good: NetworkPreview;
    try {
      good = previewOf(await next(model), a.db.backendDB().version);
    } finally {
      model.dispose();
    }
    const version = good.version;
    const now = good.takenAt + 60_000;
    const read = (preview: unknown, v = version) => previewFor({ version: v, preview }, a, now);
    expect(read(good)).toBe(good);
    expect(previewFor(null, a, now)).toBeNull();
    // Read from another version of the database, or saved under one.
    expect(read(good, version - 1)).toBeNull();
    expect(read({ ...good, version: version - 1 })).toBeNull();
    // A week old, or from the future (a clock set back since): not shown.
    expect(previewFor({ version, preview: good }, a, good.takenAt + PREVIEW_MAX_AGE_MS)).toBe(good);
    expect(previewFor({ version, preview: good }, a, good.takenAt + PREVIEW_MAX_AGE_MS + 1)).toBeNull();
    expect(previewFor({ version, preview: good }, a, good.takenAt - 1)).toBeNull();

    // Every field the screen renders, of the type it renders: a row that is not is not shown.
    const item = good.items[0]!;
    const broken: [string, unknown][] = [
      ['not an object', 'preview'],
      ['another shape', { ...good, format: 2 }],
      ['another key', { ...good, key: 'self' }],
      ['no time', { ...good, takenAt: undefined }],
      ['a time not a number', { ...good, takenAt: 'yesterday' }],
      ['no hubs', { ...good, hubs: undefined }],
      ['a hub without a name', { ...good, hubs: [{ ...good.hubs[0], name: 3 }] }],
      ['a hub’s staleness not a boolean', { ...good, hubs: [{ ...good.hubs[0], stale: 'no' }] }],
      ['a hub’s age not a number', { ...good, hubs: [{ ...good.hubs[0], ageMs: '1' }] }],
      ['a hub’s shortages not a number', { ...good, hubs: [{ ...good.hubs[0], shortages: [] }] }],
      ['an item without its id', { ...good, items: [{ ...item, item: 5 }] }],
      ['an item without a total', { ...good, items: [{ ...item, freshTotal: null }] }],
      ['an item’s hubs not names', { ...good, items: [{ ...item, outHubs: [1] }] }],
      ['an item’s surplus not figures', { ...good, items: [{ ...item, surplusHubs: [{ hub: 'x' }] }] }],
      ['an item’s cover not a number', { ...good, items: [{ ...item, minCover: 'soon' }] }],
      ['a move without a quantity', { ...good, moves: [{ ...good.moves[0], qty: '10' }] }],
      ['a name without a unit', { ...good, names: [['id', 'Rice']] }],
      ['an infinite figure', { ...good, items: [{ ...item, staleTotal: Infinity }] }],
    ];
    for (const [why, row] of broken) {
      expect(isPreview(row), why).toBe(false);
      expect(read(row), why).toBeNull();
    }
  });
});
