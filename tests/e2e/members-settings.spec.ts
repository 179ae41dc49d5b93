import { expect, test } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { goTo, setUpHub } from './steps';

test('an admin shortens how long devices wait for one that was away, with a clear message for a wrong number', async ({
  baseURL,
}) => {
  const profile = newProfileDir('members-settings');
  try {
    const { context, page } = await openHub(profile, baseURL!);
    await setUpHub(page, 'Church Hall', 'Laptop');
    await goTo(page, 'Members');
    const form = page.getByRole('form', { name: 'Devices that were away' });
    const days = form.getByLabel('Days to wait (0 to 90)');
    await expect(days).toHaveValue('90');
    await days.fill('120');
    await form.getByRole('button', { name: 'Save waiting time' }).click();
    await expect(form.getByRole('alert')).toHaveText('Enter a whole number of days from 0 to 90');
    await expect(days).toHaveAttribute('aria-invalid', 'true');
    await days.fill('14');
    await form.getByRole('button', { name: 'Save waiting time' }).click();
    await expect(form.getByRole('status')).toHaveText('Saved. Devices wait 14 days.');
    await expect(days).not.toHaveAttribute('aria-invalid');
    await page.screenshot({ path: 'test-results/members-catch-up.png', fullPage: true });

    // It is kept: after a restart the form shows the network's setting.
    await context.close();
    const again = await openHub(profile, baseURL!);
    await goTo(again.page, 'Members');
    await expect(
      again.page.getByRole('form', { name: 'Devices that were away' }).getByLabel('Days to wait (0 to 90)'),
    ).toHaveValue('14');
    await again.context.close();
  } finally {
    removeProfileDir(profile);
  }
});
