import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, addLine, donate, expectOnHand, goTo, setUpHub, statusSaying } from './steps';

/**
 * A damaged stored update, seen from the Problems screen: what was set aside (when, what kind, how many
 * entries) is listed in words, a report without personal data downloads for whoever helps the hub, and
 * the volunteer goes on recording: what they record after the damage counts at once.
 */
test('Problems lists what was set aside and downloads a report; new entries count at once', async ({
  baseURL,
}, testInfo) => {
  const profile = newProfileDir('problems-report');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Rice 2 lb', unit: 'bag' });
    await donate(page, 'rice', '10');
    await goTo(page, 'Record donation');
    await addLine(page, 'rice', '5');
    await page.getByLabel(/^Note/).fill('From Maria at 12 Elm Street');
    await page.keyboard.press('Control+Enter');
    await expect(statusSaying(page, /^Saved donation/)).toBeVisible();
    // The newest stored update (the donation of 5, with its note) gets random bytes, as a failing disk might.
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('larder');
          open.onsuccess = () => {
            const tx = open.result.transaction('updates', 'readwrite');
            const cursor = tx.objectStore('updates').openCursor(null, 'prev');
            cursor.onsuccess = () => {
              const c = cursor.result!;
              c.update({ ...(c.value as object), update: crypto.getRandomValues(new Uint8Array(200)) });
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
    await expectOnHand(page, 'Rice 2 lb', 10);

    await goTo(page, 'Problems');
    const aside = page.getByRole('region', { name: 'Saved data that could not be read' });
    await expect(aside).toContainText('1 part of this device’s saved data could not be read');
    const row = aside.getByRole('table', { name: 'Saved data set aside' }).getByRole('row').nth(1);
    await expect(row.getByRole('cell').nth(1)).toHaveText('Damaged or cut short');
    await expect(row.getByRole('cell').nth(2)).toHaveText('1');
    await expect(row.getByRole('cell').nth(3)).toHaveText('200 bytes');
    await page.screenshot({ path: testInfo.outputPath('problems.png'), fullPage: true });

    const report = page.getByRole('region', { name: 'Report' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      report.getByRole('button', { name: 'Download report' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^larder-problems-\d{4}-\d{2}-\d{2}\.json$/);
    const text = readFileSync((await download.path())!, 'utf8');
    const json = JSON.parse(text) as {
      format: string;
      setAside: { rows: number; entries: number; byKind: Record<string, number> };
      missing: { entries: number } | null;
    };
    expect(json.format).toBe('larder-problems-report');
    expect(json.setAside).toMatchObject({ rows: 1, entries: 1, byKind: { 'damaged-bytes': 1 } });
    expect(json.missing).toMatchObject({ entries: 1 });
    for (const secret of ['Maria', 'Elm', 'Corner Store', 'Till', 'Rice']) expect(text).not.toContain(secret);
    await expect(report.getByRole('status')).toContainText('Report saved');

    // The volunteer goes on recording: the new donation counts at once, not after the lost one is back.
    await donate(page, 'rice', '7');
    await expectOnHand(page, 'Rice 2 lb', 17);
    await page.reload();
    await expectOnHand(page, 'Rice 2 lb', 17);
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});
