import { expect, test } from '@playwright/test';
import { testPage } from './testPages';
import type { WorkerTest } from './store-worker/main';

declare global {
  interface Window {
    larderWorkerTest: WorkerTest;
  }
}

/**
 * The device's store in a dedicated Worker, the page having it through the port (docs/worker.md, step 2):
 * the same storage code the app runs, opened in a Worker in Chromium with real IndexedDB. It guards that the
 * storage layer needs nothing of the page's, that commands, state and errors cross as the forms need them,
 * that the page's own reads follow the Worker's writes, and that what was saved is there after the page
 * (and its Worker) is gone. The app itself still holds its store on the page (its sync needs step 3).
 */
test('the store in a Worker: set up, saves, refusals, the page’s reads, and a restart', async () => {
  const pages = await testPage('store-worker');
  try {
    const { page, errors } = await pages.open();
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(w.url()));
    const start = () => page.evaluate(() => window.larderWorkerTest.start());

    expect(await start()).toBeNull();
    expect(workers.filter((url) => /store\.worker/.test(url))).toHaveLength(1);
    const set = await page.evaluate(async () => {
      const { host } = window.larderWorkerTest;
      const self = await host.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
      const rice = await host.saveItem({
        name: 'Rice',
        category: 'Food',
        unit: 'bag',
        packSize: '',
        barcodes: '',
      });
      return { hub: self.hubId!, rice: rice.id, name: host.self?.deviceName, hubName: host.ownHubName() };
    });
    expect(set).toMatchObject({ name: 'Front desk', hubName: 'Eastside Pantry' });

    // A donation saved in the Worker shows in a live query on the page.
    await page.evaluate(async ({ hub, rice }) => {
      const t = window.larderWorkerTest;
      const showing = t.shows(hub, rice, 12);
      await t.host.recordDonation({ source: 'individual', lines: [{ item: rice, quantity: '12' }] });
      await showing;
    }, set);

    // Refused as the forms tell it: a pickup below zero, a quantity that is not one. Nothing is written.
    const refusals = await page.evaluate(async ({ rice }) => {
      const t = window.larderWorkerTest;
      return [
        await t.refusal(() => t.host.recordPickup({ lines: [{ item: rice, quantity: '20' }] })),
        await t.refusal(() =>
          t.host.recordDonation({ source: 'individual', lines: [{ item: rice, quantity: 'lots' }] }),
        ),
      ];
    }, set);
    expect(refusals).toEqual([
      { kind: 'belowZero', codes: ['pickup.belowZero'], fields: [] },
      { kind: 'validation', codes: [expect.any(String)], fields: ['lines.0.quantity'] },
    ]);

    // The page, and its Worker, gone and back: the device and its figures are there.
    await page.goto(`${pages.url}/index.html`);
    await expect(page.locator('#status')).toHaveText('ready');
    expect(await start()).toBe('Front desk');
    await page.evaluate(async ({ hub, rice }) => {
      const t = window.larderWorkerTest;
      await t.shows(hub, rice, 12);
      await t.host.recordPickup({ lines: [{ item: rice, quantity: '5' }] });
      await t.shows(hub, rice, 7);
    }, set);
    expect(errors).toEqual([]);
  } finally {
    await pages.close();
  }
});
