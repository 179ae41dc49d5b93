import { expect, test, type Page } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { overflowing } from './i18n';
import { addItem, addLine, goTo, openSection, setUpHub } from './steps';

/** The history, once loaded, holds no entry ("No entries match." shows only after loading). */
async function expectNoHistory(page: Page): Promise<void> {
  await goTo(page, 'History');
  await expect(page.getByRole('main').getByText('No entries match.')).toBeVisible();
  await expect(page.getByRole('table', { name: 'History' })).toHaveCount(0);
}

test('bad input gets a specific message and saves nothing', async ({ baseURL }) => {
  const profile = newProfileDir('bad');
  try {
    const { context, page } = await openHub(profile, baseURL!);
    await setUpHub(page, 'Church Hall', 'Laptop');
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag', barcodes: '0123456789012' });

    // An empty donation.
    await goTo(page, 'Record donation');
    await page.getByRole('button', { name: 'Save donation' }).click();
    await expect(
      page.getByRole('main').getByRole('alert').filter({ hasText: 'Add at least one item to the donation' }),
    ).toBeVisible();
    await expect(page.getByRole('combobox', { name: 'Find item' })).toHaveAccessibleDescription(
      'Add at least one item to the donation',
    );

    const cases: [string, string][] = [
      ['0', 'Quantity must be at least 1'],
      ['-4', "Quantity can't be negative"],
      ['2.5', 'Quantity must be a whole number'],
      ['1000001', 'Quantity must be at most 1,000,000'],
      ['lots', 'Quantity must be a number'],
    ];
    await addLine(page, 'rice', '1');
    const quantity = page.getByLabel('Quantity of Rice 2 lb bag');
    for (const [typed, message] of cases) {
      await quantity.fill(typed);
      await page.getByRole('button', { name: 'Save donation' }).click();
      await expect(quantity).toHaveAttribute('aria-invalid', 'true');
      // Tied to its input, said there once, and not again in the status line.
      await expect(quantity).toHaveAccessibleDescription(message);
      await expect(page.getByRole('alert')).toHaveText(message);
      await expect(page.getByRole('main').getByRole('status')).toHaveText('');
    }

    // On a phone the line is a card, its error still at its field: nothing past the window's edge (as a
    // table it was wider than the window).
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(quantity).toHaveAccessibleDescription('Quantity must be a number');
    expect(await overflowing(page), 'Record donation at 390 px').toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });

    // An unknown barcode adds nothing and offers to attach it.
    await page.getByRole('button', { name: 'Remove Rice 2 lb bag' }).click();
    const finder = page.getByRole('combobox', { name: 'Find item' });
    await finder.fill('9990001112223');
    await expect(finder).toHaveValue('9990001112223');
    await finder.press('Enter');
    await expect(page.getByRole('alert', { name: 'Unknown barcode' })).toContainText(
      'Unknown barcode 9990001112223. No item has it yet; nothing was added.',
    );
    await expect(page.getByText('No items yet.')).toBeVisible();
    // A known barcode adds one unit of its item.
    await finder.fill('0123456789012');
    await expect(finder).toHaveValue('0123456789012');
    await finder.press('Enter');
    await expect(page.getByLabel('Quantity of Rice 2 lb bag')).toHaveValue('1');
    // The unknown code attached to an item adds one of it, and is known from then on.
    await finder.fill('9990001112223');
    await expect(finder).toHaveValue('9990001112223');
    await finder.press('Enter');
    const attach = page.getByRole('combobox', { name: 'Attach barcode 9990001112223 to' });
    await attach.fill('rice');
    await expect(page.getByRole('option', { name: /Rice 2 lb bag/ })).toBeVisible();
    await attach.press('Enter');
    await expect(page.getByRole('alert', { name: 'Unknown barcode' })).toHaveCount(0);
    await expect(page.getByLabel('Quantity of Rice 2 lb bag')).toHaveValue('2');
    await finder.fill('9990001112223');
    await expect(finder).toHaveValue('9990001112223');
    await finder.press('Enter');
    await expect(page.getByLabel('Quantity of Rice 2 lb bag')).toHaveValue('3');

    // A bad households count is said once, at its field, not again below the form.
    await goTo(page, 'Record pickup');
    await addLine(page, 'rice', '1');
    const households = page.getByLabel('Households (optional)');
    await households.fill('a few');
    await page.getByRole('button', { name: 'Save pickup' }).click();
    await expect(households).toHaveAttribute('aria-invalid', 'true');
    await expect(households).toHaveAccessibleDescription('Number of households must be a number');
    await expect(page.getByRole('main').getByRole('alert')).toHaveText([
      'Number of households must be a number',
    ]);

    // An item name of 10,000 characters.
    await goTo(page, 'Items');
    await page.getByLabel('Name', { exact: true }).fill('x'.repeat(10_000));
    await page.getByLabel('Unit', { exact: true }).fill('bag');
    await page.getByRole('button', { name: 'Add item' }).click();
    await expect(page.getByRole('alert')).toHaveText('Name is too long: 10,000 characters, at most 120');
    // Said once, at its field: the form's status line stays empty.
    await expect(page.getByRole('form', { name: 'New item' }).getByRole('status')).toHaveText('');
    await expect(page.getByRole('table', { name: 'Items' }).getByRole('row')).toHaveCount(2);

    // A duplicate name is flagged as it is typed, and refused.
    await page.getByLabel('Name', { exact: true }).fill('  rice 2 LB bag ');
    await expect(page.getByRole('alert')).toHaveText('An item named "Rice 2 lb bag" already exists');

    // A sync server address that is not one: named at the field, which says what is wrong; nothing added.
    await goTo(page, 'Sync');
    const servers = await openSection(page, 'Sync servers');
    const address = servers.getByLabel('Sync server address');
    // The button beside the field sits on the field's line, its bottom on the input's.
    const addBox = (await servers.getByRole('button', { name: 'Add server' }).boundingBox())!;
    const addressBox = (await address.boundingBox())!;
    expect(
      Math.abs(addBox.y + addBox.height - (addressBox.y + addressBox.height)),
      'Add server beside its field',
    ).toBeLessThan(2);
    await address.fill('http://example.org');
    await servers.getByRole('button', { name: 'Add server' }).click();
    await expect(address).toHaveAttribute('aria-invalid', 'true');
    await expect(address).toHaveAccessibleDescription(
      'A sync server address starts with ws:// or wss://, such as ws://192.168.1.20:4444',
    );
    await expect(servers.getByRole('list', { name: 'Configured sync servers' })).toHaveCount(0);

    // The same for a relay's address.
    const relay = await openSection(page, 'Relay');
    const relayAddress = relay.getByLabel('Relay address');
    await relayAddress.fill('relay.example.org');
    await relay.getByRole('button', { name: 'Add relay' }).click();
    await expect(relayAddress).toHaveAttribute('aria-invalid', 'true');
    await expect(relayAddress).toHaveAccessibleDescription(
      'A relay address starts with ws:// or wss://, such as ws://192.168.1.20:4455',
    );
    await expect(relay.getByRole('list', { name: 'Relays' })).toHaveCount(0);
    await relayAddress.fill('ws://');
    await expect(relayAddress).not.toHaveAttribute('aria-invalid');

    await expectNoHistory(page);
    // The filters' labels sit on one line (a select was shorter than the date fields, its label lower).
    const labelTops = await Promise.all(
      ['Item', 'Kind', 'From', 'To'].map(
        async (label) => (await page.getByRole('main').getByText(label, { exact: true }).boundingBox())!.y,
      ),
    );
    expect(Math.max(...labelTops) - Math.min(...labelTops), 'History filters: label tops').toBeLessThan(1);

    // On a phone, a table wider than the window (Stock's seven columns) scrolls sideways in its own box:
    // the page itself stays as wide as the window (before, the whole page scrolled sideways).
    await page.setViewportSize({ width: 390, height: 844 });
    await goTo(page, 'Stock');
    await expect(page.getByRole('table', { name: 'Stock' })).toBeVisible();
    const pageWidth = await page.evaluate(() => [
      document.documentElement.scrollWidth,
      document.documentElement.clientWidth,
    ]);
    expect(pageWidth[0], 'Stock at 390 px: the page is no wider than the window').toBeLessThanOrEqual(
      pageWidth[1]!,
    );
    await context.close();
  } finally {
    removeProfileDir(profile);
  }
});
