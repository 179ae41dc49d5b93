import { expect, test } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, addLine, goTo, setUpHub, statusSaying } from './steps';

test('levels: a default per category, bulk editing, and a clear message for a target below the minimum', async ({
  baseURL,
}) => {
  const profile = newProfileDir('levels');
  try {
    const { context, page } = await openHub(profile, baseURL!);
    await setUpHub(page, 'Church Hall', 'Laptop');
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await addItem(page, { name: 'Pasta 1 lb', unit: 'bag' });
    await addItem(page, { name: 'Toothpaste', category: 'Hygiene', unit: 'tube' });
    await goTo(page, 'Record donation');
    await addLine(page, 'rice', '15');
    await addLine(page, 'toothpaste', '3');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('main').getByRole('status')).toContainText('Saved donation');

    await goTo(page, 'Levels');
    const food = page.getByRole('form', { name: 'Defaults for Food' });
    // Each column's heading starts where its inputs start (the header and the rows share one grid).
    const defaults = page.getByRole('region', { name: 'Defaults per category' });
    for (const [heading, input] of [
      ['Minimum', 'Minimum for Food'],
      ['Target', 'Target for Food'],
    ]) {
      const headingBox = await defaults.getByText(heading!, { exact: true }).boundingBox();
      const inputBox = await food.getByLabel(input!).boundingBox();
      expect(Math.abs(headingBox!.x - inputBox!.x), `${heading} over its inputs`).toBeLessThan(1);
    }
    // Its Save buttons stay inside the card (a column squeezed to 20rem let them spill over the list).
    const card = (await defaults.boundingBox())!;
    const save = (await food.getByRole('button', { name: 'Save' }).boundingBox())!;
    expect(save.x + save.width, 'Save inside Defaults per category').toBeLessThanOrEqual(card.x + card.width);
    await food.getByLabel('Minimum for Food').fill('20');
    await food.getByLabel('Target for Food').fill('10');
    await food.getByRole('button', { name: 'Save' }).click();
    await expect(food.getByRole('alert')).toHaveText('Target must be at least the minimum (20)');
    await food.getByLabel('Target for Food').fill('50');
    await food.getByRole('button', { name: 'Save' }).click();
    await expect(statusSaying(page, 'Saved defaults for Food.')).toBeVisible();

    await page.getByLabel('Select Toothpaste').check();
    await page.getByLabel('Minimum for selected').fill('5');
    await page.getByLabel('Target for selected').fill('12');
    await page.getByRole('button', { name: 'Apply to 1 item' }).click();
    await expect(statusSaying(page, 'Saved levels for 1 item.')).toBeVisible();

    // Both food items take the category's levels; the toothpaste its own. Rice and toothpaste are low.
    await goTo(page, 'Stock');
    const stock = page.getByRole('table', { name: 'Stock' });
    await expect(stock.getByRole('row', { name: /^Rice 2 lb bag/ })).toContainText('20 / 50');
    await expect(stock.getByRole('row', { name: /^Rice 2 lb bag/ })).toContainText('Low');
    await expect(stock.getByRole('row', { name: /^Pasta 1 lb/ })).toContainText('20 / 50');
    await expect(stock.getByRole('row', { name: /^Pasta 1 lb/ })).toContainText('Out');
    await expect(stock.getByRole('row', { name: /^Toothpaste/ })).toContainText('5 / 12');
    await expect(page.getByRole('navigation', { name: 'Main' }).getByLabel('3 below minimum')).toHaveText(
      '3',
    );
    await context.close();
  } finally {
    removeProfileDir(profile);
  }
});
