import { chromium, expect, test, type Page } from '@playwright/test';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, addLine, donate, expectOnHand, goTo, openSection, setUpHub, statusSaying } from './steps';

/**
 * A hub in a Chromium whose profile is on a small disk of its own (small-disk-chromium.sh: a tmpfs in a
 * private user and mount namespace, no root needed), so IndexedDB runs out of room for real: Chromium
 * itself aborts the transaction with QuotaExceededError.
 */
async function withSmallDisk(name: string, baseURL: string, run: (page: Page) => Promise<void>) {
  const profile = newProfileDir(name);
  const cache = newProfileDir(`${name}-cache`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: join(dirname(fileURLToPath(import.meta.url)), 'small-disk-chromium.sh'),
    headless: true,
    // The HTTP cache stays off the small disk: only IndexedDB fills it.
    args: [...CHROMIUM_ARGS, `--disk-cache-dir=${cache}`],
    baseURL,
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    await page.goto('/');
    await run(page);
  } finally {
    await context.close();
    removeProfileDir(profile);
    removeProfileDir(cache);
  }
}

/**
 * Fills the disk with another IndexedDB database of this origin: blocks of 64 kB, then 4 kB, then 256
 * bytes, each size until Chromium refuses it. Resolves with the error Chromium gave.
 */
const fillDisk = async (): Promise<string> => {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open('filler', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('blocks');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  let key = 0;
  let last = '';
  for (const size of [65_536, 4_096, 256]) {
    for (;;) {
      const result = await new Promise<string>((resolve) => {
        const tx = db.transaction('blocks', 'readwrite');
        tx.objectStore('blocks').put(crypto.getRandomValues(new Uint8Array(size)), key++);
        tx.oncomplete = () => resolve('ok');
        tx.onabort = () => resolve(tx.error?.name ?? 'aborted');
      });
      if (result !== 'ok') {
        last = result;
        break;
      }
    }
  }
  db.close();
  return last;
};

/** Deletes the filler database, and resolves once Chromium counts the room as free again. */
const freeDisk = () =>
  new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase('filler');
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
const usage = async () => (await navigator.storage.estimate()).usage ?? 0;

/** A hub in its own Chromium profile. */
async function withHub(name: string, baseURL: string, run: (page: Page) => Promise<void>) {
  const profile = newProfileDir(name);
  const { context, page } = await openHub(profile, baseURL);
  try {
    await run(page);
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
}

test('disk full, for real: the donation is not saved, and saving it again counts it once', ({ baseURL }) =>
  withSmallDisk('disk-full', baseURL!, async (page) => {
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Rice 2 lb', unit: 'bag' });
    await donate(page, 'rice', '10');

    await goTo(page, 'Record donation');
    await addLine(page, 'rice', '42');
    expect(await page.evaluate(fillDisk)).toBe('QuotaExceededError');
    await page.keyboard.press('Control+Enter');
    // A failure that names no field is said in the form's status line, and the form keeps what was typed.
    await expect(statusSaying(page, /^Not saved/)).toBeVisible();
    await expect(page.getByLabel('Quantity of Rice 2 lb')).toHaveValue('42');
    // Room again: the filler goes, and Chromium's count of what the origin uses falls back.
    const full = await page.evaluate(usage);
    await page.evaluate(freeDisk);
    await expect.poll(() => page.evaluate(usage), { timeout: 30_000 }).toBeLessThan(full / 2);
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

test('disk full during an import: the status line says what was done and what to do; importing again completes it', ({
  baseURL,
}) =>
  withSmallDisk('import-disk-full', baseURL!, async (page) => {
    await setUpHub(page, 'Corner Store', 'Till');
    await goTo(page, 'Spreadsheet');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'shelf.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('Item,Unit,Quantity\nRice 2 lb,bag,40\nBlack beans,can,12\nOats,bag,3\n', 'utf8'),
    });
    const importButton = page.getByRole('button', { name: 'Import 3 items' });
    await expect(importButton).toBeEnabled();
    expect(await page.evaluate(fillDisk)).toBe('QuotaExceededError');
    await importButton.click();
    const result = page.getByRole('status', { name: 'Import result' });
    await expect(result).toContainText('then this failed: Not saved');
    // The reason ends its sentence before what to do next (it has no full stop of its own).
    await expect(result).toContainText(/\. Press Import again once this is fixed/);
    await page.screenshot({ path: 'test-results/screens/import-disk-full.png', fullPage: true });
    const full = await page.evaluate(usage);
    await page.evaluate(freeDisk);
    await expect.poll(() => page.evaluate(usage), { timeout: 30_000 }).toBeLessThan(full / 2);
    await importButton.click();
    await expect(result).toContainText(/^Imported shelf\.csv: created \d new items?/);
    await expectOnHand(page, 'Rice 2 lb', 40);
    await expectOnHand(page, 'Black beans', 12);
    await expectOnHand(page, 'Oats', 3);
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
    // figure, and the lists History by item reads (lost), are found and repaired.
    await notice.getByRole('link', { name: 'Sync with another device' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Sync' })).toBeVisible();
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const open = indexedDB.open('larder');
          open.onsuccess = () => {
            const tx = open.result.transaction(['stock', 'itemLists'], 'readwrite');
            const cursor = tx.objectStore('stock').openCursor();
            cursor.onsuccess = () => {
              const c = cursor.result;
              if (c) c.update({ ...(c.value as object), onHand: 94 });
            };
            tx.objectStore('itemLists').clear();
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
          };
        }),
    );
    const panel = await openSection(page, 'Check the data on this device');
    await panel.getByRole('button', { name: 'Check data' }).click();
    const result = panel.getByRole('status', { name: 'Check data result' });
    await expect(result).toContainText('Stock figures: 1 wrong');
    await expect(result).toContainText('Rice 2 lb at Corner Store: shows 94, the ledger says 10');
    await expect(result).toContainText(/History by item: \d+ missing/);
    await expect(result).toContainText('Donation of Rice 2 lb at Corner Store');
    await page.screenshot({ path: testInfo.outputPath('check-data.png'), fullPage: true });
    await panel.getByRole('button', { name: 'Repair from the ledger' }).click();
    await expect(result).toContainText('Repaired. Everything matches the ledger');
    await expectOnHand(page, 'Rice 2 lb', 10);
  }));
