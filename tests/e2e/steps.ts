import { expect, type Page } from '@playwright/test';

/** What a volunteer does, step by step, by role and label: shared by the end-to-end specs. */
export async function setUpHub(page: Page, hubName: string, deviceName: string): Promise<void> {
  await page.getByLabel('Name of this hub').fill(hubName);
  await page.getByLabel('Name of this device').fill(deviceName);
  await page.getByRole('button', { name: 'Create network' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toContainText(hubName);
}

export async function goTo(page: Page, screen: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: screen, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: screen })).toBeVisible();
}

export async function addItem(
  page: Page,
  item: { name: string; category?: string; unit: string; packSize?: string; barcodes?: string },
): Promise<void> {
  await goTo(page, 'Items');
  await page.getByLabel('Name', { exact: true }).fill(item.name);
  await page.getByLabel('Category').fill(item.category ?? 'Food');
  await page.getByLabel('Unit', { exact: true }).fill(item.unit);
  await page.getByLabel('Pack size (optional)').fill(item.packSize ?? '');
  await page.getByLabel('Barcodes (optional)').fill(item.barcodes ?? '');
  await page.getByRole('button', { name: 'Add item' }).click();
  await expect(page.getByRole('status')).toHaveText(`Saved item ${item.name}.`);
}

/** Keyboard first: type to find, Enter picks, type the quantity, Enter goes back to the finder. */
export async function addLine(page: Page, search: string, quantity: string): Promise<void> {
  const finder = page.getByRole('combobox', { name: 'Find item' });
  await finder.fill(search);
  await expect(page.getByRole('option').first()).toBeVisible();
  await finder.press('Enter');
  await page.keyboard.type(quantity);
  await page.keyboard.press('Enter');
  await expect(finder).toBeFocused();
}

export async function stockOf(page: Page, itemName: string): Promise<string> {
  await goTo(page, 'Stock');
  const row = page.getByRole('table', { name: 'Stock' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: itemName }) });
  return (await row.getByRole('cell').nth(1).innerText()).trim();
}

export async function expectOnHand(page: Page, itemName: string, onHand: number): Promise<void> {
  await goTo(page, 'Stock');
  const row = page
    .getByRole('table', { name: 'Stock' })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${itemName}`) }) });
  await expect(row.getByRole('cell').nth(1)).toHaveText(onHand.toLocaleString('en-US'));
}
