import 'fake-indexeddb/auto';
import { createElement, Suspense, use } from 'react';
import { prerender } from 'react-dom/static';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';
import type * as EarlyStockModule from '../../renderer/data/earlyStock';
import type { EarlyStock } from '../../renderer/data/earlyStock';
import type { LarderStore } from '../../renderer/storage/store';

/**
 * renderer/data/earlyStock.ts: the stock view's first render takes the rows open-early.js read as the page
 * opened, only if they stand for the store's database (the same version, this device's hub), only once per
 * page, and never waits for them past EARLY_STOCK_WAIT_MS.
 */
let module: typeof EarlyStockModule;
let db: LarderDB;

const rows = (over: Partial<EarlyStock> = {}): EarlyStock => ({
  version: db.backendDB().version,
  hub: 'h1',
  items: [],
  shelf: [],
  levels: [],
  categoryLevels: [],
  hubs: [],
  ...over,
});
const store = (self: Partial<SelfRow> | null = { role: 'hub', hubId: 'h1' }) =>
  ({ db, self: self && ({ key: 'self', ...self } as SelfRow) }) as unknown as LarderStore;
const settle = async (early: { promise: Promise<void> }) => await early.promise;

beforeEach(async () => {
  vi.resetModules();
  module = await import('../../renderer/data/earlyStock');
  db = new LarderDB();
  await db.open();
});
afterEach(() => {
  db.close();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('the stock rows read as the page opened', () => {
  it('are taken by the first store only, and only while they stand for its database and hub', async () => {
    const read = rows();
    vi.stubGlobal('window', { larderEarlyStock: Promise.resolve(read) });
    const mine = store();
    const early = module.takeEarlyStock(mine)!;
    expect(early.settled).toBe(false);
    await settle(early);
    expect(early.settled).toBe(true);
    expect(module.rowsFor(early, mine, 'h1')).toBe(read);
    // Taken off the page: a later store (the app opened again, another test) gets nothing.
    expect(
      (globalThis as { window?: { larderEarlyStock?: unknown } }).window!.larderEarlyStock,
    ).toBeUndefined();
    expect(module.takeEarlyStock(store())).toBeNull();
    expect(module.takeEarlyStock(mine)).toBe(early);
    // Another hub shown (a hub device's own is the only one read), another device role or hub since.
    expect(module.rowsFor(early, mine, 'h2')).toBeNull();
    expect(module.rowsFor(early, store({ role: 'hub', hubId: 'h2' }), 'h1')).toBeNull();
    expect(module.rowsFor(early, store({ role: 'coordinator', hubId: 'h1' }), 'h1')).toBeNull();
    expect(module.rowsFor(early, store(null), 'h1')).toBeNull();
  });

  it('are not taken when the database was upgraded since, or is not open', async () => {
    const mine = store();
    expect(module.fits(rows(), mine)).toBe(true);
    expect(module.fits(rows({ version: rows().version - 10 }), mine)).toBe(false);
    expect(module.fits(rows({ shelf: undefined as never }), mine)).toBe(false);
    const read = rows();
    db.close();
    expect(module.fits(read, mine)).toBe(false);
    await db.open();
  });

  it('are none when the script read nothing, failed, or never answers', async () => {
    vi.stubGlobal('window', { larderEarlyStock: Promise.resolve(null) });
    const none = module.takeEarlyStock(store())!;
    await settle(none);
    expect(none.rows).toBeNull();

    vi.resetModules();
    module = await import('../../renderer/data/earlyStock');
    vi.stubGlobal('window', { larderEarlyStock: Promise.reject(new Error('disk')) });
    const failed = module.takeEarlyStock(store())!;
    await settle(failed);
    expect(failed.rows).toBeNull();

    vi.resetModules();
    module = await import('../../renderer/data/earlyStock');
    vi.useFakeTimers();
    vi.stubGlobal('window', { larderEarlyStock: new Promise(() => undefined) });
    const stuck = module.takeEarlyStock(store())!;
    await vi.advanceTimersByTimeAsync(module.EARLY_STOCK_WAIT_MS - 1);
    expect(stuck.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stuck.settled).toBe(true);
    expect(stuck.rows).toBeNull();

    vi.resetModules();
    module = await import('../../renderer/data/earlyStock');
    vi.stubGlobal('window', {});
    expect(module.takeEarlyStock(store())).toBeNull();
  });

  it("lend the frame its hub's name before the view takes them, without taking them", async () => {
    const read = rows({ hubs: [{ id: 'h1', name: 'Corner store' } as never] });
    vi.stubGlobal('window', { larderEarlyStock: Promise.resolve(read) });
    const mine = store();
    expect(module.peekEarlyStock(mine)).toBeNull(); // not settled yet
    const early = module.takeEarlyStock(mine)!;
    await settle(early);
    expect(module.peekEarlyStock(mine)).toBe(read);
    expect(early.used).toBe(false);
    expect(module.rowsFor(early, mine, 'h1')).toBe(read);
    // Another store, or taken by the view already: nothing.
    expect(module.peekEarlyStock(store({ role: 'hub', hubId: 'h2' }))).toBeNull();
    early.used = true;
    expect(module.peekEarlyStock(mine)).toBeNull();
  });

  it('hold the frame of the stock view until they settle, so that it names the hub beside the first rows', async () => {
    // React replays only the component that suspended: a frame rendered before the rows settled kept "…"
    // beside the view's first rows (load-later.spec.ts). The view here waits as useEarlyStock does.
    const frameWith = async (view: boolean) => {
      vi.resetModules();
      module = await import('../../renderer/data/earlyStock');
      let arrive!: (rows: EarlyStock) => void;
      vi.stubGlobal('window', { larderEarlyStock: new Promise<EarlyStock>((resolve) => (arrive = resolve)) });
      const mine = store();
      module.watchEarlyStock();
      const View = () => {
        const early = module.takeEarlyStock(mine)!;
        if (!early.settled) use(early.promise);
        return createElement('p', null, `rows of ${early.rows?.hub}`);
      };
      const Frame = () => {
        const early = module.useEarlyStockPeek(mine, view);
        return createElement(
          'div',
          null,
          createElement('b', null, early?.hubs[0]?.name ?? '…'),
          createElement(View),
        );
      };
      setTimeout(() => arrive(rows({ hubs: [{ id: 'h1', name: 'Corner store' } as never] })), 5);
      const { prelude } = await prerender(
        createElement(Suspense, { fallback: 'opening' }, createElement(Frame)),
      );
      return await new Response(prelude).text();
    };
    expect(await frameWith(true)).toContain('<b>Corner store</b><p>rows of h1</p>');
    // Not waiting (another screen): the frame does not hold for them (and this test can tell the two apart).
    expect(await frameWith(false)).toContain('<b>…</b>');
  });
});
