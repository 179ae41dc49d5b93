import { expect, test, type Page } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, addLine, expectOnHand, goTo, setUpHub, statusSaying } from './steps';

/**
 * Holds this device's saves: a transaction of the page's own on the database's `updates` store (where every
 * save writes), kept open by asking it for something again and again until the test lets it go. Resolves
 * once it holds; `release` ends it.
 */
async function holdSaves(page: Page): Promise<{ release: () => Promise<void> }> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('larder');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('updates', 'readwrite');
          const store = tx.objectStore('updates');
          const w = window as unknown as { larderHold?: { release: () => void; released: Promise<void> } };
          let held = true;
          const again = () => {
            if (held) store.count().onsuccess = again;
          };
          store.count().onsuccess = () => {
            again();
            resolve();
          };
          w.larderHold = {
            release: () => {
              held = false;
            },
            released: new Promise<void>((done) => {
              tx.oncomplete = () => {
                db.close();
                done();
              };
            }),
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
  return {
    release: () =>
      page.evaluate(() => {
        const w = window as unknown as { larderHold: { release: () => void; released: Promise<void> } };
        w.larderHold.release();
        return w.larderHold.released;
      }),
  };
}

test('a second submit while a save is still running records nothing more', async ({ baseURL }) => {
  const profile = newProfileDir('second-submit');
  try {
    const { context, page } = await openHub(profile, baseURL!);
    await setUpHub(page, 'Church Hall', 'Laptop');
    await addItem(page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await goTo(page, 'Record donation');
    await addLine(page, 'rice', '5');
    const save = page.getByRole('button', { name: 'Save donation' });
    const quantity = page.getByRole('table', { name: 'Lines' }).getByLabel('Quantity of Rice 2 lb bag');

    const hold = await holdSaves(page);
    // Two Ctrl+Enter in one go, as a double press comes before the screen has redrawn: the form still shows
    // its button enabled, and its `command.busy` is still false, for the second.
    await quantity.evaluate((field) => {
      for (let i = 0; i < 2; i++)
        field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }));
    });
    // The save waits on the held database: the button says it is running.
    await expect(save).toBeDisabled();
    // And once the screen shows it: another Ctrl+Enter, and the lines are still there to be saved.
    await quantity.press('Control+Enter');
    await expect(quantity).toHaveValue('5');
    await expect(save).toBeDisabled();

    await hold.release();
    await expect(statusSaying(page, 'Saved donation: 1 line, 5 units.')).toBeVisible();
    await expect(save).toBeEnabled();

    // One donation of 5, not two.
    await expectOnHand(page, 'Rice 2 lb bag', 5);
    await goTo(page, 'History');
    await expect(
      page.getByRole('table', { name: 'History' }).getByRole('row', { name: /Donation/ }),
    ).toHaveCount(1);
    await context.close();
  } finally {
    removeProfileDir(profile);
  }
});
