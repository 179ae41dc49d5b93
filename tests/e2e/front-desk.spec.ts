import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { overflowing, words } from './i18n';
import { addItem, escapeRegExp, goTo, openSection, pickItem, setUpHub } from './steps';

/**
 * Issue 9, front-desk mode: a device chosen for the door shows only Record donation, Record pickup and
 * Stock, every control at least 44 x 44 px (WCAG 2.5.5), and a labelled way back to the full app. Checked at
 * a phone's width and a laptop's, with axe-core for the rest of WCAG; screenshots in test-results/front-desk/.
 */
/** Where the screenshots go: another run's Playwright empties test-results/ as it starts, hence the option. */
const SHOTS = process.env.LARDER_SHOTS_DIR ?? 'test-results/front-desk';
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };
const MIN_TARGET = 44;

/** Visible controls smaller than 44 x 44 px, named so a failure says which. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate((min) => {
    const out: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>(
      'a[href], button, input, select, textarea, summary, [role="option"], [role="combobox"], [role="switch"], [tabindex]:not([tabindex="-1"])',
    );
    for (const el of controls) {
      if (!el.checkVisibility() || el.closest('.visually-hidden')) continue;
      const { width, height } = el.getBoundingClientRect();
      if (width < min - 0.5 || height < min - 0.5) {
        const name =
          el.getAttribute('aria-label') ?? (el.textContent?.trim() || (el as HTMLInputElement).name || '');
        out.push(
          `${el.tagName.toLowerCase()} "${name.slice(0, 40)}": ${width.toFixed(1)} x ${height.toFixed(1)}`,
        );
      }
    }
    return out;
  }, MIN_TARGET);
}

/** axe-core's serious and critical findings on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Every check of the issue on the screen as it is, at each width, with a screenshot of each. */
async function checkScreen(page: Page, name: string): Promise<void> {
  for (const [width, size] of [
    ['phone', PHONE],
    ['laptop', LAPTOP],
  ] as const) {
    await page.setViewportSize(size);
    await expect(page.locator('.front-desk')).toBeVisible();
    expect(await smallTargets(page), `${name} at ${width} width: controls under 44 px`).toEqual([]);
    expect(await seriousViolations(page), `${name} at ${width} width: axe-core`).toEqual([]);
    expect(await overflowing(page), `${name} at ${width} width: cut off or past the edge`).toEqual([]);
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
  }
}

test('front-desk mode: donation, pickup and stock with large targets, and the way back', async ({
  baseURL,
}) => {
  // axe-core and the measurements run on five screens at two widths: a bound for a loaded 2-core machine.
  test.setTimeout(480_000);
  mkdirSync(SHOTS, { recursive: true });
  const profile = newProfileDir('front-desk');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await setUpHub(page, 'Riverside', 'Door laptop');
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await addItem(page, { name: 'Canned beans', unit: 'can', packSize: '24' });

    // Chosen on this device, in its settings.
    await goTo(page, 'Sync');
    const device = await openSection(page, 'This device');
    // Desktop alerts need the browser's permission; refused (as here), the switch says so and stays off.
    const alertSwitch = device.getByRole('switch', { name: /^Desktop alert/ });
    await alertSwitch.click();
    await expect(device.getByRole('status')).toHaveText(
      /^(Desktop alerts were not allowed|This browser cannot show desktop alerts)$/,
    );
    await expect(alertSwitch).not.toBeChecked();
    const use = page.getByRole('button', { name: 'Use front-desk mode' });
    await expect(use).toHaveAccessibleDescription(/^Only Record donation, Record pickup and Stock/);
    await use.click();
    const tasks = page.getByRole('navigation', { name: 'Front desk tasks' });
    await expect(tasks.getByRole('link')).toHaveText(['Record donation', 'Record pickup', 'Stock']);
    await expect(page.getByRole('navigation', { name: 'Main' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: /^(Sync|Items|Members|Levels)$/ })).toHaveCount(0);
    await expect(page.getByText('Riverside')).toBeVisible();
    await expect(page).toHaveTitle('Record donation · Front desk · Larder');

    // A donation, by keyboard as at the full app's desk: find, Enter, quantity, Enter, Ctrl+Enter.
    await expect(tasks.getByRole('link', { name: 'Record donation' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    await expect(page.getByRole('heading', { level: 1, name: 'Record donation' })).toBeVisible();
    const finder = page.getByRole('combobox', { name: 'Find item' });
    await finder.fill('rice');
    await expect(
      page.getByRole('listbox', { name: 'Find item matches' }).getByRole('option', { selected: true }),
    ).toBeVisible();
    await checkScreen(page, 'donation-finder');
    const rice = await pickItem(page, 'rice');
    const riceQty = page.getByRole('table', { name: 'Lines' }).getByLabel(`Quantity of ${rice}`);
    await expect(riceQty).toBeFocused();
    await page.keyboard.type('20');
    await page.keyboard.press('Enter');
    await expect(finder).toBeFocused();
    const beans = await pickItem(page, 'beans');
    await page.keyboard.type('2');
    await page.getByRole('table', { name: 'Lines' }).getByLabel(`Unit for ${beans}`).selectOption('packs');
    await checkScreen(page, 'donation-lines');
    await finder.focus();
    await page.keyboard.press('Control+Enter');
    const saved = page.getByRole('main').getByRole('status');
    await expect(saved).toHaveText('Saved donation: 2 lines, 68 units.');
    await expect(finder).toBeFocused();
    // "Saved" is in view where the volunteer is looking, on a phone too.
    await page.setViewportSize(PHONE);
    await expect(saved).toBeInViewport({ ratio: 1 });
    await checkScreen(page, 'donation-saved');

    // A pickup, by touch this time.
    await tasks.getByRole('link', { name: 'Record pickup' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Record pickup' })).toBeVisible();
    await expect(page).toHaveTitle('Record pickup · Front desk · Larder');
    await pickItem(page, 'rice');
    await page.keyboard.type('5');
    await page.getByLabel('Households (optional)').fill('2');
    await page.getByRole('button', { name: 'Save pickup' }).click();
    await expect(saved).toHaveText('Saved pickup: 1 line, 5 units.');
    await page.setViewportSize(PHONE);
    await expect(saved).toBeInViewport({ ratio: 1 });
    await checkScreen(page, 'pickup-saved');

    // Stock: what is on hand, to read; no levels to set from the door.
    await tasks.getByRole('link', { name: 'Stock' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Stock' })).toBeVisible();
    const stock = page.getByRole('table', { name: 'Stock' });
    const row = (item: string) =>
      stock
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${escapeRegExp(item)}`) }) });
    await expect(row('Rice 2 lb bag').getByRole('cell').nth(1)).toHaveText('15');
    await expect(row('Canned beans').getByRole('cell').nth(1)).toHaveText('48');
    await expect(stock.getByRole('button', { name: /^Set levels for/ })).toHaveCount(0);
    await expect(stock.getByRole('columnheader', { name: 'Levels' })).toHaveCount(0);
    await checkScreen(page, 'stock');

    // Per device: a reload opens the front desk again, on the task it was on.
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Stock' })).toBeVisible();
    await expect(tasks.getByRole('link', { name: 'Stock' })).toHaveAttribute('aria-current', 'page');

    // In Spanish, Somali and Hmong (longer words) at a phone's width: nothing cut off, every target 44 px.
    await page.setViewportSize(PHONE);
    for (const lng of ['es', 'so', 'hmn'] as const) {
      for (const task of ['donation', 'pickup', 'stock'] as const) {
        await page.goto(`/?lng=${lng}#/${task}`);
        const bar = page.getByRole('navigation', { name: words(lng, 'frontDesk.tasks') });
        await expect(bar.getByRole('link', { name: words(lng, `nav.${task}`) })).toHaveAttribute(
          'aria-current',
          'page',
        );
        await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
        const where = `${lng} ${task} at phone width`;
        expect(await smallTargets(page), `${where}: controls under 44 px`).toEqual([]);
        expect(await overflowing(page), `${where}: cut off or past the edge`).toEqual([]);
        await page.screenshot({ path: `${SHOTS}/${task}-${lng}-phone.png`, fullPage: true });
      }
    }
    await page.goto('/#/stock');

    // The way out is labelled, and asks first: a tap by mistake, or Escape, stays at the desk.
    const leave = page.getByRole('button', { name: 'Leave front desk' });
    await leave.click();
    const question = page.getByRole('alertdialog', { name: /^Open all of Larder on this device\?/ });
    await expect(question.getByRole('button', { name: 'Stay at the front desk' })).toBeFocused();
    await checkScreen(page, 'leave-question');
    await page.keyboard.press('Escape');
    await expect(question).toHaveCount(0);
    await expect(leave).toBeFocused();
    await leave.click();
    await question.getByRole('button', { name: 'Open all of Larder' }).click();
    const main = page.getByRole('navigation', { name: 'Main' });
    await expect(main.getByRole('link', { name: 'Sync', exact: true })).toBeVisible();
    await expect(tasks).toHaveCount(0);
    // The full app opens on the screen the desk was on, with everything it had.
    await expect(page.getByRole('heading', { level: 1, name: 'Stock' })).toBeVisible();
    await expect(
      page.getByRole('table', { name: 'Stock' }).getByRole('button', { name: /^Set levels for/ }),
    ).toHaveCount(2);
    await page.reload();
    await expect(main).toBeVisible();
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});
