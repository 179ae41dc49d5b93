import { expect, test, type Page } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, donate, expectOnHand, goTo } from './steps';

/**
 * A device of a network made before signing came (its own row in IndexedDB has no key pair or chain, as
 * such a device's database holds it) moves the network to signed entries from the Members screen: what it
 * recorded before keeps counting, it becomes the admin, and what it records after is signed.
 */
async function makeLegacyDevice(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Welcome to Larder' })).toBeVisible();
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('larder');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('meta', 'readwrite');
          tx.objectStore('meta').put({
            key: 'self',
            networkId: 'legacynet01',
            networkKey: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
            signaling: [],
            role: 'hub',
            hubId: 'hubeast01',
            deviceId: 'frontdesk01',
            deviceName: 'Front desk',
            nextSeq: 1,
          });
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
  await page.reload();
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
}

test('a network made before signing moves to signed entries, and keeps its figures', async ({ baseURL }) => {
  const profile = newProfileDir('upgrade');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await makeLegacyDevice(page);
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await donate(page, 'Rice', '40');
    await expectOnHand(page, 'Rice 2 lb bag', 40);

    await goTo(page, 'Members');
    const card = page.getByRole('group', { name: 'Protect this network with device signatures' });
    await expect(card).toContainText('anyone with its invite code');
    await page.screenshot({ path: 'test-results/upgrade-before.png', fullPage: true });
    await card.getByRole('button', { name: 'Move to signed entries and make this device admin' }).click();

    const main = page.getByRole('main');
    const me = main
      .getByRole('table', { name: 'Devices', exact: true })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: /^Front desk/ }) });
    await expect(me.getByRole('cell').nth(1)).toHaveText('Admin');
    const before = main
      .getByRole('table', { name: 'Devices from before signing' })
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'Front desk' }) });
    await expect(before.getByRole('cell').last()).toHaveText('the first 1');
    await page.screenshot({ path: 'test-results/upgrade-after.png', fullPage: true });

    // What was recorded before still counts; what is recorded now is signed and counts too.
    await expectOnHand(page, 'Rice 2 lb bag', 40);
    await donate(page, 'Rice', '2');
    await expectOnHand(page, 'Rice 2 lb bag', 42);
    await page.reload();
    await expectOnHand(page, 'Rice 2 lb bag', 42);
    await goTo(page, 'Members');
    await expect(me.getByRole('cell').nth(1)).toHaveText('Admin');
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});
