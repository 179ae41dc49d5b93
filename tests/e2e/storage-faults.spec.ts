import { expect, test, type Page } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, addLine, donate, expectOnHand, goTo, setUpHub, statusSaying } from './steps';

/**
 * A full disk, as Chromium reports it: while `__larderDiskFull` is set, every IndexedDB add or put
 * throws QuotaExceededError, which aborts its transaction. Reads still work.
 */
const diskThatFills = () => {
  const proto = IDBObjectStore.prototype;
  for (const name of ['add', 'put'] as const) {
    const original = proto[name];
    proto[name] = function (this: IDBObjectStore, ...args: Parameters<typeof original>) {
      if ((globalThis as { __larderDiskFull?: boolean }).__larderDiskFull)
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return original.apply(this, args);
    } as typeof original;
  }
};
const setDiskFull = (full: boolean) =>
  ((globalThis as { __larderDiskFull?: boolean }).__larderDiskFull = full);

/** A hub in its own Chromium profile, with a disk that can be made to fill up. */
async function withHub(name: string, baseURL: string, run: (page: Page) => Promise<void>) {
  const profile = newProfileDir(name);
  const { context, page } = await openHub(profile, baseURL);
  try {
    await context.addInitScript(diskThatFills);
    await page.reload();
    await run(page);
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
}

test('disk full: the donation is not saved, and saving it again counts it once', ({ baseURL }) =>
  withHub('disk-full', baseURL!, async (page) => {
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Rice 2 lb', unit: 'bag' });
    await donate(page, 'rice', '10');

    await goTo(page, 'Record donation');
    await addLine(page, 'rice', '42');
    await page.evaluate(setDiskFull, true);
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('main').getByRole('alert')).toContainText('Not saved');
    await page.evaluate(setDiskFull, false);
    // The same donation, saved again once there is room.
    await page.keyboard.press('Control+Enter');
    await expect(statusSaying(page, /^Saved donation/)).toBeVisible();
    await expectOnHand(page, 'Rice 2 lb', 52);
    await page.reload();
    await expectOnHand(page, 'Rice 2 lb', 52);
    await goTo(page, 'History');
    await expect(
      page.getByRole('table', { name: 'History' }).getByRole('row').filter({ hasText: 'Rice 2 lb' }),
    ).toHaveCount(2);
  }));

test('a damaged stored update: the app opens, says what is missing, and offers the ways back', ({
  baseURL,
}, testInfo) =>
  withHub('damaged', baseURL!, async (page) => {
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Rice 2 lb', unit: 'bag' });
    await donate(page, 'rice', '10');
    await donate(page, 'rice', '5');
    // The newest stored update (the donation of 5) gets random bytes, as a failing disk might leave it.
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('larder');
          open.onsuccess = () => {
            const tx = open.result.transaction('updates', 'readwrite');
            const store = tx.objectStore('updates');
            const cursor = store.openCursor(null, 'prev');
            cursor.onsuccess = () => {
              const c = cursor.result!;
              const bytes = crypto.getRandomValues(new Uint8Array(200));
              c.update({ ...(c.value as object), update: bytes });
            };
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await page.reload();
    const notice = page
      .getByRole('alert')
      .filter({ has: page.getByRole('heading', { name: 'Some saved data could not be read' }) });
    await expect(notice).toBeVisible();
    await expect(notice.getByRole('list', { name: 'Missing entries' })).toContainText('Donation · Rice 2 lb');
    await expect(notice.getByRole('link', { name: 'Sync with another device' })).toHaveAttribute(
      'href',
      '#/sync',
    );
    await expect(notice.getByRole('link', { name: 'Import a sync file' })).toBeVisible();
    await expectOnHand(page, 'Rice 2 lb', 10);
    await page.screenshot({ path: testInfo.outputPath('damaged-notice.png'), fullPage: true });

    // Check data on the Sync screen: everything matches after the load rebuilt the figures; a tampered
    // figure is found and repaired.
    await notice.getByRole('link', { name: 'Sync with another device' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Sync' })).toBeVisible();
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const open = indexedDB.open('larder');
          open.onsuccess = () => {
            const tx = open.result.transaction('stock', 'readwrite');
            const cursor = tx.objectStore('stock').openCursor();
            cursor.onsuccess = () => {
              const c = cursor.result;
              if (c) c.update({ ...(c.value as object), onHand: 94 });
            };
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
          };
        }),
    );
    const panel = page.getByRole('region', { name: 'Check data' });
    await panel.getByRole('button', { name: 'Check data' }).click();
    const result = panel.getByRole('status', { name: 'Check data result' });
    await expect(result).toContainText('Stock figures: 1 stock figure wrong');
    await expect(result).toContainText('Rice 2 lb at Corner Store: shows 94, the ledger says 10');
    await page.screenshot({ path: testInfo.outputPath('check-data.png'), fullPage: true });
    await panel.getByRole('button', { name: 'Repair from the ledger' }).click();
    await expect(result).toContainText('Repaired. Everything matches the ledger');
    await expectOnHand(page, 'Rice 2 lb', 10);
  }));
