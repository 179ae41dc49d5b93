import { expect, test } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, addLine, expectOnHand, goTo, setUpHub, statusSaying } from './steps';

/** A hub's sheet as found: a byte order mark, semicolons, Windows line endings, extra columns, a blank row. */
const SHEET =
  '\uFEFF' +
  [
    'Notes;Product;Type;Qty on hand;Unit;Reorder level;UPC;Shelf',
    ';Rice 2 lb bag;Food;40;bag;10;041196910184;A1',
    'from church;Black beans;Food;12 cans;;5;;A2',
    ';;;;;;;',
    ';Diapers size 4;Baby;a dozen;pack;;;B1',
    ';rice 2 LB bag;Food;3;bag;;;A1',
    ';Toothpaste;Hygiene;7;tube;;;C3',
    ';Oats;Food;2,5;bag;;;A5',
    '',
  ].join('\r\n');

test('a volunteer imports the hub’s messy sheet as one opening count, undoes it and imports again', async ({
  baseURL,
}) => {
  const profile = newProfileDir('import');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await setUpHub(page, 'Lake Street Pantry', 'Office laptop');
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag', barcodes: '041196910184' });
    await goTo(page, 'Record donation');
    await addLine(page, 'rice', '10');
    await page.getByLabel('Source').selectOption('individual');
    await page.getByRole('button', { name: 'Save donation' }).click();
    await expect(statusSaying(page, /^Saved donation/)).toBeVisible();

    await goTo(page, 'Spreadsheet');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'pantry.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(SHEET, 'utf8'),
    });

    // The guess, shown as selects the volunteer can change.
    const columns = page.getByRole('region', { name: 'Columns in pantry.csv' });
    await expect(columns.getByLabel('Item name')).toHaveValue('1');
    await expect(columns.getByLabel('Quantity counted')).toHaveValue('3');
    await expect(columns.getByLabel('Minimum')).toHaveValue('5');
    await expect(columns.getByLabel('Barcode')).toHaveValue('6');
    await expect(columns.getByLabel('Target')).toHaveValue('');
    // Without an item column nothing can be imported: said at the Item name select, tied to it.
    await columns.getByLabel('Item name').selectOption('');
    await expect(columns.getByLabel('Item name')).toHaveAccessibleDescription(
      'Choose which column holds the item names.',
    );
    await expect(page.getByRole('table', { name: 'Rows to import' })).toHaveCount(0);
    await columns.getByLabel('Item name').selectOption('1');

    const summary = page.getByRole('status', { name: 'Import summary' });
    await expect(summary).toHaveText(
      '3 items: 2 new, 1 already in the catalog; 3 quantities go into one opening count. 3 rows with problems are skipped. 1 blank row ignored.',
    );
    const preview = page.getByRole('table', { name: 'Rows to import' });
    // A row's name starts with its line number, as the sheet numbers it.
    const row = (line: number) => preview.getByRole('row', { name: new RegExp(`^${line} `) });
    await expect(row(2)).toContainText('In catalog');
    await expect(row(3)).toContainText('unit “can” taken from the quantity');
    await expect(
      page.getByText('The sheet has no target column: each item’s target is set to its minimum.'),
    ).toBeVisible();
    await expect(row(5)).toContainText('Quantity “a dozen” is not a number: write it in figures, such as 12');
    await expect(row(6)).toContainText('Same item as line 2: keep one line per item');
    await expect(row(8)).toContainText('Quantity “2,5” is not a whole number: count whole units');

    // Only the problems, to fix in the sheet.
    await page.getByLabel('Show only rows with problems').check();
    await expect(preview.getByRole('row')).toHaveCount(4);
    await page.getByLabel('Show only rows with problems').uncheck();
    await page.screenshot({ path: 'test-results/import-preview.png', fullPage: true });

    await page.getByRole('button', { name: 'Import 3 items' }).click();
    const result = page.getByRole('status', { name: 'Import result' });
    await expect(result).toHaveText(
      'Imported pantry.csv: created 2 new items, set the minimum and target for 2 items, recorded one opening count of 3 items. 3 rows with problems were skipped. See it under Stock and History.',
    );
    // The preview now matches every row to the catalog: a second import would make nothing twice.
    await expect(summary).toContainText('3 items: 0 new, 3 already in the catalog');

    // The count records what was counted against what this device showed: rice was 10, counted 40.
    await page.getByRole('button', { name: 'Undo this opening count' }).click();
    await expect(statusSaying(page, /^Undone: the opening count of 3 items no longer counts/)).toBeVisible();
    await expectOnHand(page, 'Rice 2 lb bag', 10);
    await expectOnHand(page, 'Black beans', 0);

    await goTo(page, 'History');
    await expect(
      page.getByRole('row', { name: /Count.*Toothpaste.*counted 7, record showed 0/ }),
    ).toBeVisible();

    // Again: nothing is created twice, and the count lands once more.
    await goTo(page, 'Spreadsheet');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'pantry.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(SHEET, 'utf8'),
    });
    await expect(summary).toContainText('3 items: 0 new, 3 already in the catalog');
    await page.getByRole('button', { name: 'Import 3 items' }).click();
    await expect(result).toContainText('created 0 new items');
    await expectOnHand(page, 'Rice 2 lb bag', 40);
    await expectOnHand(page, 'Black beans', 12);
    await expectOnHand(page, 'Toothpaste', 7);

    // On a phone the file picker stays inside its card (its own width spilled past the card's edge).
    await page.setViewportSize({ width: 390, height: 844 });
    await goTo(page, 'Spreadsheet');
    const card = (await page.getByRole('region', { name: 'Import a sheet' }).boundingBox())!;
    const picker = (await page.getByLabel('CSV file').boundingBox())!;
    expect(picker.x + picker.width, 'CSV file at 390 px: right edge').toBeLessThanOrEqual(
      card.x + card.width,
    );
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});

test('a file that is not CSV is refused as a whole, saying what to do', async ({ baseURL }) => {
  const profile = newProfileDir('import-refused');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await setUpHub(page, 'Lake Street Pantry', 'Office laptop');
    await goTo(page, 'Spreadsheet');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'pantry.xlsx',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x14, 0x00]),
    });
    await expect(page.getByRole('main').getByRole('alert')).toHaveText(
      'This is not a CSV file. In your spreadsheet, choose File › Save as (or Download) › CSV, then pick that file.',
    );
    await expect(page.getByLabel('CSV file')).toHaveAccessibleDescription(/^This is not a CSV file\./);
    await expect(page.getByRole('table', { name: 'Rows to import' })).toHaveCount(0);
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});
