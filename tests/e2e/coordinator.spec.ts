import { expect, test, type Page } from '@playwright/test';
import { startSignalingServer, type SignalingServer } from '../../electron/signaling/server';
import { NOTE_PRIVACY } from './words';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import {
  addItem,
  addSyncServer,
  donate,
  expectConnected,
  goTo,
  inviteCode,
  joinAsNewHub,
  setUpHub,
} from './steps';

async function setLevels(page: Page, item: string, min: string, target: string): Promise<void> {
  await goTo(page, 'Stock');
  await page.getByRole('button', { name: `Set levels for ${item}` }).click();
  await page.getByLabel(`Minimum for ${item}`).fill(min);
  await page.getByLabel(`Target for ${item}`).fill(target);
  await page.getByRole('button', { name: 'Save levels' }).click();
  await expect(page.getByLabel(`Minimum for ${item}`)).toBeHidden();
}

function networkRow(page: Page, item: string) {
  return page
    .getByRole('table', { name: 'Network stock' })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${item}`) }) });
}

function transferRow(page: Page, item: string) {
  return page
    .getByRole('table', { name: 'All transfers' })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: item }) });
}

test('a coordinator sees a shortage, turns the suggested move into a transfer, and every device agrees', async ({
  baseURL,
}) => {
  test.setTimeout(240_000);
  const profiles = ['a', 'b', 'c'].map((n) => newProfileDir(`coord-${n}`));
  const signal: SignalingServer = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const pages: { context: { close(): Promise<void> } }[] = [];
  try {
    const a = await openHub(profiles[0]!, baseURL!);
    pages.push(a);
    await setUpHub(a.page, 'Hub A', 'A laptop');
    await addSyncServer(a.page, signal.url);
    await addItem(a.page, { name: 'Rice 2 lb bag', unit: 'bag' });
    const invite = await inviteCode(a.page);

    const b = await openHub(profiles[1]!, baseURL!);
    pages.push(b);
    await joinAsNewHub(b.page, invite, 'Hub B', 'B laptop');
    const c = await openHub(profiles[2]!, baseURL!);
    pages.push(c);
    await c.page.getByLabel('Join a network with an invite code').check();
    await c.page.getByLabel('Invite code', { exact: true }).fill(await inviteCode(a.page));
    await c.page.getByLabel('Name of this device').fill('Coordinator phone');
    await c.page.getByLabel(/coordinator’s device/).check();
    await c.page.getByRole('button', { name: 'Join network' }).click();
    await expect(c.page.getByRole('navigation', { name: 'Main' })).toContainText('Coordinator');
    await expectConnected(a.page, 2);
    await expectConnected(c.page, 2);

    // Hub A falls short; hub B has surplus.
    await donate(b.page, 'rice', '100');
    await setLevels(b.page, 'Rice 2 lb bag', '10', '30');
    await donate(a.page, 'rice', '5');
    await setLevels(a.page, 'Rice 2 lb bag', '20', '40');

    // The coordinator sees the shortage and the suggested move, and turns it into a transfer.
    await goTo(c.page, 'Network');
    await expect(networkRow(c.page, 'Rice 2 lb bag')).toContainText('Low', { timeout: 20_000 });
    await expect(networkRow(c.page, 'Rice 2 lb bag')).toContainText('105');
    const suggestion = c.page.getByRole('button', {
      name: 'Create transfer: 15 Rice 2 lb bag from Hub B to Hub A',
    });
    await expect(suggestion).toBeVisible();
    await c.page.screenshot({ path: 'test-results/screens/network-view.png', fullPage: true });
    await suggestion.click();
    await expect(c.page.getByRole('main').getByRole('status')).toContainText('Transfer requested');

    // B sends what was asked: it leaves B's stock at once and is in transit everywhere.
    await goTo(b.page, 'Transfers');
    const sent = b.page.getByLabel('Quantity sent (Rice 2 lb bag, Hub B to Hub A)');
    await expect(sent).toHaveValue('15', { timeout: 20_000 });
    // A quantity that is not a number is said at its field (tied to it), not again in the status line.
    await sent.fill('lots');
    await b.page.getByRole('button', { name: 'Mark sent' }).click();
    await expect(sent).toHaveAttribute('aria-invalid', 'true');
    await expect(sent).toHaveAccessibleDescription('Quantity must be a number');
    // What was saved is said in the part of the screen the volunteer used (not at the top of the page),
    // and stays there once the sent request has left the list.
    const toSendPart = b.page.getByRole('region', { name: 'To send' });
    await expect(toSendPart.getByRole('status')).toHaveText('');
    // More than B has on record: asked first, as a pickup is (records can be wrong).
    await sent.fill('150');
    await b.page.getByRole('button', { name: 'Mark sent' }).click();
    await expect(toSendPart.getByRole('status')).toHaveText(
      'Rice 2 lb bag: taking 150 but only 100 on hand. Records can be wrong: count the stock first, or send anyway.',
    );
    await expect(toSendPart.getByRole('button', { name: 'Send anyway' })).toBeVisible();
    await sent.fill('15');
    await expect(toSendPart.getByRole('button', { name: 'Mark sent' })).toBeVisible();
    await b.page.getByRole('button', { name: 'Mark sent' }).click();
    await expect(toSendPart.getByRole('status')).toHaveText('Saved: sent 15 Rice 2 lb bag to Hub A.');
    await expect(sent).toHaveCount(0);
    for (const page of [a.page, b.page, c.page]) {
      await goTo(page, 'Network');
      await expect(networkRow(page, 'Rice 2 lb bag').getByRole('cell').nth(1)).toHaveText('90', {
        timeout: 20_000,
      });
      await expect(networkRow(page, 'Rice 2 lb bag').getByRole('cell').nth(2)).toHaveText('15');
    }

    // A receives a different quantity: the difference shows on every device until it is settled.
    await goTo(a.page, 'Transfers');
    await a.page.getByLabel('Quantity received (Rice 2 lb bag, Hub B to Hub A)').fill('13');
    await a.page.getByRole('button', { name: 'Record received' }).click();
    await expect(a.page.getByRole('region', { name: 'Incoming' }).getByRole('status')).toHaveText(
      'Saved: received 13 Rice 2 lb bag from Hub B.',
    );
    for (const page of [a.page, b.page, c.page]) {
      await goTo(page, 'Network');
      await expect(networkRow(page, 'Rice 2 lb bag').getByRole('cell').nth(1)).toHaveText('103', {
        timeout: 20_000,
      });
      await expect(networkRow(page, 'Rice 2 lb bag').getByRole('cell').nth(2)).toHaveText('—');
      await goTo(page, 'Transfers');
      await expect(transferRow(page, 'Rice 2 lb bag')).toContainText('discrepancy -2');
    }
    await goTo(b.page, 'Stock');
    await b.page.getByLabel('Hub', { exact: true }).selectOption({ label: 'Hub A' });
    await expect(
      b.page
        .getByRole('table', { name: 'Stock' })
        .getByRole('row', { name: /Rice 2 lb bag/ })
        .getByRole('cell')
        .nth(1),
    ).toHaveText('18');

    await goTo(c.page, 'Transfers');
    await c.page.screenshot({ path: 'test-results/screens/transfers.png', fullPage: true });
    const settlement = c.page.getByLabel('What happened (Rice 2 lb bag, Hub B to Hub A)');
    await expect(settlement).toHaveAccessibleDescription(NOTE_PRIVACY);
    await settlement.fill('2 bags torn on the way');
    await c.page.getByRole('button', { name: 'Settle difference' }).click();
    // The last difference settled, its part stays to say so.
    await expect(
      c.page.getByRole('region', { name: 'Differences to settle' }).getByRole('status'),
    ).toHaveText('Saved: difference settled.');
    await expect(settlement).toHaveCount(0);
    for (const page of [a.page, b.page, c.page]) {
      await goTo(page, 'Transfers');
      await expect(transferRow(page, 'Rice 2 lb bag')).toContainText('settled', { timeout: 20_000 });
      await expect(transferRow(page, 'Rice 2 lb bag')).toContainText('2 bags torn on the way');
    }

    // The coordinator reads any hub's history; entries say which device recorded them.
    await goTo(c.page, 'History');
    await c.page.getByLabel('Hub', { exact: true }).selectOption({ label: 'Hub A' });
    const history = c.page.getByRole('table', { name: 'History' });
    await expect(history.getByRole('row').filter({ hasText: 'Difference settled' })).toContainText(
      'Coordinator phone',
    );
    await expect(history.getByRole('row').filter({ hasText: 'Received' })).toContainText('A laptop');

    // Started again, the coordinator's first view is Network, its code loaded before the rest: it follows
    // what arrives once sync is back, without leaving the screen.
    await c.page.goto('/');
    await expect(c.page.getByRole('heading', { level: 1, name: 'Network' })).toBeVisible();
    await expect(networkRow(c.page, 'Rice 2 lb bag').getByRole('cell').nth(1)).toHaveText('103');
    await expectConnected(c.page, 2);
    await donate(a.page, 'rice', '7');
    await expect(networkRow(c.page, 'Rice 2 lb bag').getByRole('cell').nth(1)).toHaveText('110', {
      timeout: 20_000,
    });
  } finally {
    for (const p of pages) await p.context.close().catch(() => undefined);
    await signal.close();
    for (const p of profiles) removeProfileDir(p);
  }
});
