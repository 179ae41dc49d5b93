import { chromium, expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serve } from '../../bench/server';
import { CHROMIUM, CHROMIUM_ARGS, newProfileDir, removeProfileDir } from './browser';
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
  const here = dirname(fileURLToPath(import.meta.url));
  const out = mkdtempSync(join(tmpdir(), 'larder-store-worker-'));
  await build({
    configFile: false,
    root: join(here, 'store-worker'),
    base: '/',
    logLevel: 'error',
    build: { outDir: out, emptyOutDir: true, target: 'es2022' },
  });
  const server = await serve([{ prefix: '/', dir: out }]);
  const profile = newProfileDir('store-worker');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const workers: string[] = [];
    page.on('worker', (w) => workers.push(w.url()));
    const open = async () => {
      await page.goto(`${server.url}/index.html`);
      await expect(page.locator('#status')).toHaveText('ready');
      return page.evaluate(() => window.larderWorkerTest.start());
    };

    expect(await open()).toBeNull();
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
    expect(await open()).toBe('Front desk');
    await page.evaluate(async ({ hub, rice }) => {
      const t = window.larderWorkerTest;
      await t.shows(hub, rice, 12);
      await t.host.recordPickup({ lines: [{ item: rice, quantity: '5' }] });
      await t.shows(hub, rice, 7);
    }, set);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
    await server.close();
    removeProfileDir(profile);
  }
});
