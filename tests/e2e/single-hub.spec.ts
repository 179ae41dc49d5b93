import { expect, test, type Page } from '@playwright/test';
import { NOTE_PRIVACY } from './words';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import {
  addItem,
  addLine,
  expectOnHand,
  expectRadiosOnTheirLine,
  goTo,
  pickItem,
  setUpHub,
  statusSaying,
} from './steps';

test('a volunteer records a donation and a pickup offline, and the stock survives a restart', async ({
  baseURL,
}) => {
  const profile = newProfileDir('single');
  try {
    let { context, page } = await openHub(profile, baseURL!);
    await expectRadiosOnTheirLine(page, ['Start a new network', 'Join a network with an invite code']);
    // Nothing typed: each field says what it needs, once, tied to the field.
    await page.getByRole('button', { name: 'Create network' }).click();
    for (const label of ['Name of this hub', 'Name of this device']) {
      await expect(page.getByLabel(label)).toHaveAttribute('aria-invalid', 'true');
      await expect(page.getByLabel(label)).toHaveAccessibleDescription(/\S/);
    }
    await expect(page.getByRole('alert')).toHaveCount(2);
    // An invite that is not one is named at its field.
    await page.getByLabel('Join a network with an invite code').check();
    const invite = page.getByLabel('Invite code', { exact: true });
    await invite.fill('LARDER1-not-an-invite');
    await page.getByLabel('Name of this device').fill('Front desk laptop');
    await page.getByRole('button', { name: 'Join network' }).click();
    await expect(invite).toHaveAttribute('aria-invalid', 'true');
    await expect(invite).toHaveAccessibleDescription(/\S/);
    await page.getByLabel('Start a new network').check();
    await setUpHub(page, 'St Anne Kitchen', 'Front desk laptop');
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await addItem(page, { name: 'Canned beans', unit: 'can', packSize: '24' });
    await addItem(page, { name: 'Diapers size 4', category: 'Baby', unit: 'pack' });

    await goTo(page, 'Record donation');
    // Before anything is typed, the note says where notes go and what must not be in them.
    const note = page.getByLabel('Note (optional)');
    await expect(note).toHaveValue('');
    await expect(note).toHaveAccessibleDescription(NOTE_PRIVACY);
    await expect(page.getByText(NOTE_PRIVACY)).toBeVisible();
    await addLine(page, 'rice', '20');
    await addLine(page, 'beans', '2');
    await page.getByLabel('Unit for Canned beans').selectOption('packs');
    await page.getByLabel('Source').selectOption('food bank');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('main').getByRole('status')).toHaveText('Saved donation: 2 lines, 68 units.');

    await goTo(page, 'Record pickup');
    await addLine(page, 'rice', '5');
    await addLine(page, 'beans', '10');
    await page.getByLabel('Households (optional)').fill('3');
    await page.getByRole('button', { name: 'Save pickup' }).click();
    await expect(page.getByRole('main').getByRole('status')).toHaveText('Saved pickup: 2 lines, 15 units.');

    await expectOnHand(page, 'Rice 2 lb bag', 15);
    await expectOnHand(page, 'Canned beans', 38);
    await expect(page.getByRole('row', { name: /Diapers size 4/ })).toContainText('Not stocked');
    // Nothing out is good news: said plainly, not in a red pill.
    const noneOut = page.getByRole('main').getByText('0 out', { exact: true });
    await expect(noneOut).toBeVisible();
    await expect(noneOut).toHaveCSS('background-color', 'rgba(0, 0, 0, 0)');

    // A pickup beyond what is on record is allowed after a warning, and asks for a count.
    await goTo(page, 'Record pickup');
    await addLine(page, 'diapers', '2');
    await page.getByRole('button', { name: 'Save pickup' }).click();
    await expect(page.getByRole('alert')).toContainText('Diapers size 4: taking 2 but only 0 on hand');
    await page.getByRole('button', { name: 'Record anyway' }).click();
    await expect(page.getByRole('main').getByRole('status')).toHaveText('Saved pickup: 1 line, 2 units.');
    await goTo(page, 'Stock');
    const diapers = page.getByRole('row', { name: /Diapers size 4/ });
    await expect(diapers).toContainText('Out');
    await expect(diapers).toContainText('Count needed');
    await expect(page.getByRole('main').getByText('1 out', { exact: true })).not.toHaveCSS(
      'background-color',
      'rgba(0, 0, 0, 0)',
    );

    // A count records what was counted; its effect is the difference from what this device showed.
    await goTo(page, 'Count stock');
    const counted = page
      .getByRole('table', { name: 'Counted items' })
      .getByLabel(`Counted ${await pickItem(page, 'diapers')}`, { exact: true });
    await expect(counted).toBeFocused();
    // A count that is not a number is named at its line (tied to it), and said once.
    await page.keyboard.type('lots');
    await page.getByRole('button', { name: 'Save count' }).click();
    await expect(counted).toHaveAttribute('aria-invalid', 'true');
    await expect(counted).toHaveAccessibleDescription(/\S/);
    await expect(page.getByRole('main').getByRole('status')).toHaveText('');
    await counted.fill('');
    await counted.focus();
    await page.keyboard.type('7');
    await expect(counted).toHaveValue('7');
    await page.getByRole('button', { name: 'Save count' }).click();
    await expect(page.getByRole('main').getByRole('status')).toContainText('Saved count of 1 item');
    await expectOnHand(page, 'Diapers size 4', 7);
    await expect(page.getByRole('row', { name: /Diapers size 4/ })).not.toContainText('Count needed');

    // Undo is a reversal entry; the history shows both.
    await goTo(page, 'History');
    await page.getByRole('button', { name: 'Undo pickup of Rice 2 lb bag' }).click();
    await page.getByRole('button', { name: 'Confirm undo' }).click();
    await expect(page.getByRole('main').getByRole('status')).toContainText(
      'Saved: undid pickup of Rice 2 lb bag (+5)',
    );
    const history = page.getByRole('table', { name: 'History' });
    const undoRow = history
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'Undo', exact: true }) });
    await expect(undoRow).toHaveCount(1);
    // It names what it undid as a person knows it (kind and when), not by the entry's internal id.
    await expect(undoRow).toContainText(/undoes the pickup of [A-Z][a-z]{2} \d{1,2}, \d{4}/);
    await expect(undoRow).not.toContainText(/[a-z0-9]{6,}\.\d+/);
    await expect(
      history
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: 'Pickup', exact: true }) })
        .filter({ hasText: 'Rice 2 lb bag' }),
    ).toContainText('Undone');
    await expectOnHand(page, 'Rice 2 lb bag', 20);

    // Close the browser and open it again on the same profile: everything is still there.
    await context.close();
    ({ context, page } = await openHub(profile, baseURL!));
    await expect(page.getByRole('navigation', { name: 'Main' })).toContainText('St Anne Kitchen');
    await expectOnHand(page, 'Rice 2 lb bag', 20);
    await expectOnHand(page, 'Canned beans', 38);
    await expectOnHand(page, 'Diapers size 4', 7);
    // The ledger started loading only once the stock rows were painted (renderer/app/firstView.ts): the
    // first view never waits behind it.
    const marks = await page.waitForFunction(() => {
      const at = (name: string) => performance.getEntriesByName(name)[0]?.startTime;
      const loaded = at('larder:ledger-loaded');
      return loaded === undefined
        ? null
        : { view: at('larder:first-view'), loading: at('larder:ledger-loading') };
    });
    const { view, loading } = (await marks.jsonValue())!;
    expect(view).toBeDefined();
    expect(view!).toBeLessThanOrEqual(loading!);
    await goTo(page, 'History');
    await expect(page.getByRole('table', { name: 'History' }).getByRole('row')).toHaveCount(1 + 7);
    // Opened again on History: there too the ledger waits until the rows are painted, not only drawn.
    await page.addInitScript(() => {
      const seen = new MutationObserver(() => {
        if (!document.querySelector('table[aria-label="History"] tbody tr')) return;
        performance.mark('test:history-rows');
        seen.disconnect();
      });
      seen.observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    await expect(page.getByRole('table', { name: 'History' }).getByRole('row')).toHaveCount(1 + 7);
    const again = await page.waitForFunction(() => {
      const at = (name: string) => performance.getEntriesByName(name)[0]?.startTime;
      const loading = at('larder:ledger-loading');
      return loading === undefined
        ? null
        : { rows: at('test:history-rows'), view: at('larder:first-view'), loading };
    });
    const order = (await again.jsonValue())!;
    expect(order.rows).toBeDefined();
    expect(order.view!).toBeGreaterThanOrEqual(order.rows!);
    expect(order.loading).toBeGreaterThanOrEqual(order.view!);
    await context.close();
  } finally {
    removeProfileDir(profile);
  }
});

test('history filters by item and kind', async ({ baseURL }) => {
  const profile = newProfileDir('history');
  try {
    const { context, page } = await openHub(profile, baseURL!);
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Pasta 1 lb', unit: 'bag' });
    await addItem(page, { name: 'Soap bar', category: 'Hygiene', unit: 'bar' });
    await goTo(page, 'Record donation');
    await addLine(page, 'pasta', '10');
    await addLine(page, 'soap', '4');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('main').getByRole('status')).toContainText('Saved donation');
    await goTo(page, 'Discard stock');
    await addLine(page, 'pasta', '1');
    await page.getByLabel('Reason').selectOption('damaged');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('main').getByRole('status')).toContainText('Saved discard');

    await goTo(page, 'History');
    const rows = page.getByRole('table', { name: 'History' }).getByRole('row');
    await expect(rows).toHaveCount(1 + 3);
    await page.getByLabel('Item').selectOption({ label: 'Pasta 1 lb' });
    await expect(rows).toHaveCount(1 + 2);
    await page.getByLabel('Kind').selectOption({ label: 'Discard' });
    await expect(rows).toHaveCount(1 + 1);
    await expect(rows.nth(1)).toContainText('damaged');
    // Rows of the filter before are shown dimmed and busy while the new filter's are read; once they are
    // shown, nothing says it is still loading.
    await expect(page.getByRole('table', { name: 'History' })).not.toHaveAttribute('aria-busy');
    await expect(
      page.getByRole('main').getByRole('status').filter({ hasText: 'Loading history' }),
    ).toHaveCount(0);
    await context.close();
  } finally {
    removeProfileDir(profile);
  }
});

test('the stock view shows the soonest expiry among the units on hand, as saves and undos change them', async ({
  baseURL,
}) => {
  const profile = newProfileDir('expiry');
  // A local calendar day `days` from today, as the date field takes it (the app counts days locally too).
  const inDays = (days: number) => {
    const d = new Date();
    d.setDate(d.getDate() + days);
    return [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, '0')).join('-');
  };
  const donate = async (page: Page, quantity: string, expiry: string) => {
    await goTo(page, 'Record donation');
    await addLine(page, 'rice', quantity);
    await page.getByRole('table', { name: 'Lines' }).getByLabel('Expiry of Rice 2 lb bag').fill(expiry);
    await page.keyboard.press('Control+Enter');
    await expect(statusSaying(page, /^Saved donation/)).toBeVisible();
  };
  try {
    let { context, page } = await openHub(profile, baseURL!);
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await donate(page, '10', inDays(40));
    await donate(page, '10', inDays(5));
    const rice = () =>
      page
        .getByRole('table', { name: 'Stock' })
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: /^Rice 2 lb bag/ }) });
    const expiryCell = () => rice().getByRole('cell').nth(4);
    await expectOnHand(page, 'Rice 2 lb bag', 20);
    await expect(expiryCell()).toHaveText('Expires in 5 days');

    // Handed out first-expired first: 8 left are assumed to be of the later lot, 40 days away (a date, no pill).
    await goTo(page, 'Record pickup');
    await addLine(page, 'rice', '12');
    await page.getByRole('button', { name: 'Save pickup' }).click();
    await expect(statusSaying(page, /^Saved pickup/)).toBeVisible();
    await expectOnHand(page, 'Rice 2 lb bag', 8);
    await expect(expiryCell()).not.toContainText('Expires in');
    await expect(expiryCell()).toHaveText(/\d{4}$/);

    // The pickup undone, the sooner lot is on hand again; and so after a restart.
    await goTo(page, 'History');
    await page.getByRole('button', { name: 'Undo pickup of Rice 2 lb bag' }).click();
    await page.getByRole('button', { name: 'Confirm undo' }).click();
    await expect(statusSaying(page, /^Saved: undid pickup/)).toBeVisible();
    await expectOnHand(page, 'Rice 2 lb bag', 20);
    await expect(expiryCell()).toHaveText('Expires in 5 days');
    await context.close();
    ({ context, page } = await openHub(profile, baseURL!));
    await expectOnHand(page, 'Rice 2 lb bag', 20);
    await expect(expiryCell()).toHaveText('Expires in 5 days');
    await context.close();
  } finally {
    removeProfileDir(profile);
  }
});
