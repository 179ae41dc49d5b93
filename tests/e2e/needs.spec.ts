import { expect, test, type Download, type Page } from '@playwright/test';
import Papa from 'papaparse';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, addLine, goTo, setUpHub, statusSaying } from './steps';

async function setLevels(page: Page, item: string, min: string, target: string): Promise<void> {
  // Not `goTo`: once an item is below its minimum, the Stock link's name carries the badge ("Stock 1 below minimum").
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: /^Stock\b/ })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Stock' })).toBeVisible();
  await page.getByRole('button', { name: `Set levels for ${item}` }).click();
  await page.getByLabel(`Minimum for ${item}`).fill(min);
  await page.getByLabel(`Target for ${item}`).fill(target);
  await page.getByRole('button', { name: 'Save levels' }).click();
  await expect(page.getByLabel(`Minimum for ${item}`)).toBeHidden();
}

function neededRow(page: Page, category: string, item: string) {
  return page
    .getByRole('table', { name: `Needed: ${category}` })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: item, exact: true }) });
}

async function csvOf(download: Download): Promise<string[][]> {
  const text = readFileSync((await download.path())!, 'utf8');
  expect(text.startsWith('\uFEFF')).toBe(true);
  const parsed = Papa.parse<string[]>(text.slice(1), { header: false, delimiter: ',' });
  expect(parsed.errors).toEqual([]);
  return parsed.data;
}

test('a hub prints and downloads its needs list, with its address only once it chooses to publish it', async ({
  baseURL,
}) => {
  const profile = newProfileDir('needs');
  try {
    const { context, page } = await openHub(profile, baseURL!);
    await setUpHub(page, 'St Anne Kitchen', 'Front desk laptop');
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await addItem(page, { name: 'Diapers size 4', category: 'Baby', unit: 'pack' });

    await goTo(page, 'Needs list');
    await expect(page.getByRole('main')).toContainText('No levels are set yet for St Anne Kitchen');

    await setLevels(page, 'Rice 2 lb bag', '10', '30');
    await setLevels(page, 'Diapers size 4', '5', '12');
    await goTo(page, 'Record donation');
    await addLine(page, 'rice', '20');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('main').getByRole('status')).toHaveText('Saved donation: 1 line, 20 units.');

    // This hub's list by default: 30 - 20 rice, all 12 diapers (none on hand), the most urgent first.
    await goTo(page, 'Needs list');
    await expect(page.getByLabel('For', { exact: true })).toHaveValue(/.+/);
    const sheet = page.getByRole('article', { name: 'What we need' });
    await expect(sheet).toContainText('St Anne Kitchen');
    await expect(neededRow(page, 'Food', 'Rice 2 lb bag')).toContainText('10 bags');
    await expect(neededRow(page, 'Food', 'Rice 2 lb bag')).toContainText('Below target');
    await expect(neededRow(page, 'Baby', 'Diapers size 4')).toContainText('12 packs');
    await expect(neededRow(page, 'Baby', 'Diapers size 4')).toContainText('Out');
    await expect(sheet.getByRole('heading', { level: 3 })).toHaveText(['Baby', 'Food']);

    // An address that is not published is nowhere on the list.
    const settings = page.getByRole('region', { name: 'Your hub on the needs list' });
    await settings.getByLabel('Address (optional)').fill('12 Church Lane, Springfield');
    await settings.getByRole('button', { name: 'Save hub details' }).click();
    await expect(settings.getByRole('status')).toHaveText('Saved. Needs lists do not show an address.');
    await expect(sheet).not.toContainText('Church Lane');
    let [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect((await csvOf(download))[0]).toEqual(['Item', 'Category', 'Unit', 'Needed', 'Urgency', 'Hub']);

    // Published, it heads the list, and the CSV gets an Address column.
    await settings.getByLabel('Show this address on needs lists').check();
    await settings.getByRole('button', { name: 'Save hub details' }).click();
    await expect(settings.getByRole('status')).toHaveText('Saved. Needs lists show this address.');
    await expect(sheet).toContainText('Bring donations to: 12 Church Lane, Springfield');

    // A hub with no name is refused at its field, which says why; the status line does not say it again.
    const hubName = settings.getByLabel('Hub name');
    await hubName.fill('');
    await settings.getByRole('button', { name: 'Save hub details' }).click();
    await expect(hubName).toHaveAttribute('aria-invalid', 'true');
    await expect(hubName).toHaveAccessibleDescription(/\S/);
    await expect(settings.getByRole('alert')).toHaveCount(1);
    await expect(settings.getByRole('status')).toHaveText('');
    await hubName.fill('St Anne Kitchen');
    await settings.getByRole('button', { name: 'Save hub details' }).click();
    await expect(hubName).not.toHaveAttribute('aria-invalid');
    await expect(settings.getByRole('status')).toHaveText('Saved. Needs lists show this address.');

    [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^larder-needs-st-anne-kitchen-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(await csvOf(download)).toEqual([
      ['Item', 'Category', 'Unit', 'Needed', 'Urgency', 'Hub', 'Address'],
      ['Diapers size 4', 'Baby', 'pack', '12', 'Out', 'St Anne Kitchen', '12 Church Lane, Springfield'],
      [
        'Rice 2 lb bag',
        'Food',
        'bag',
        '10',
        'Below target',
        'St Anne Kitchen',
        '12 Church Lane, Springfield',
      ],
    ]);
    await expect(
      statusSaying(page, /^Needs list saved: larder-needs-st-anne-kitchen-.*\.csv\.$/),
    ).toBeVisible();

    await page.screenshot({ path: join(test.info().project.outputDir, 'needs-screen.png'), fullPage: true });

    // Printed: the sheet alone, no navigation, controls or settings.
    await page.emulateMedia({ media: 'print' });
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
    await expect(page.getByRole('button', { name: 'Print' })).toBeHidden();
    await expect(page.getByLabel('For', { exact: true })).toBeHidden();
    await expect(settings).toBeHidden();
    await expect(sheet).toBeVisible();
    await page.screenshot({ path: join(test.info().project.outputDir, 'needs-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    // The whole network's list names the hubs that need each item, and where to bring things.
    await page.getByLabel('For', { exact: true }).selectOption({ label: 'The whole network' });
    await expect(sheet).toContainText('Across our network');
    await expect(neededRow(page, 'Food', 'Rice 2 lb bag')).toContainText('St Anne Kitchen (10)');
    await expect(sheet.getByRole('region', { name: 'Where to bring donations' })).toContainText(
      'St Anne Kitchen: 12 Church Lane, Springfield',
    );
    [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^larder-needs-network-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(await csvOf(download)).toEqual([
      ['Item', 'Category', 'Unit', 'Needed', 'Urgency', 'Hubs'],
      ['Diapers size 4', 'Baby', 'pack', '12', 'Out', 'St Anne Kitchen: 12'],
      ['Rice 2 lb bag', 'Food', 'bag', '10', 'Below target', 'St Anne Kitchen: 10'],
    ]);
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({
      path: join(test.info().project.outputDir, 'needs-print-network.png'),
      fullPage: true,
    });
    await context.close();
  } finally {
    removeProfileDir(profile);
  }
});
