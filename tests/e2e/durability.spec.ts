import { chromium, expect, test } from '@playwright/test';
import { newProfileDir, removeProfileDir, spawnKillableChromium } from './browser';
import { addItem, addLine, expectOnHand, goTo, setUpHub } from './steps';

test('an entry acknowledged as saved survives the browser being killed at once', async ({ baseURL }) => {
  const profile = newProfileDir('kill');
  try {
    let chrome = await spawnKillableChromium(profile);
    let browser = await chromium.connectOverCDP(chrome.wsEndpoint);
    let page = browser.contexts()[0]!.pages()[0] ?? (await browser.contexts()[0]!.newPage());
    await page.goto(baseURL!);
    await setUpHub(page, 'Mosque Pantry', 'Back office');
    await addItem(page, { name: 'Lentils 1 kg', unit: 'bag' });
    await goTo(page, 'Record donation');
    await addLine(page, 'lentils', '42');
    await page.keyboard.press('Control+Enter');
    await expect(page.getByRole('main').getByRole('status')).toHaveText('Saved donation: 1 line, 42 units.');
    // No clean shutdown: SIGKILL the moment "Saved" shows.
    await chrome.kill();
    await browser.close().catch(() => undefined);

    chrome = await spawnKillableChromium(profile);
    browser = await chromium.connectOverCDP(chrome.wsEndpoint);
    page = browser.contexts()[0]!.pages()[0] ?? (await browser.contexts()[0]!.newPage());
    await page.goto(baseURL!);
    await expectOnHand(page, 'Lentils 1 kg', 42);
    await goTo(page, 'History');
    await expect(page.getByRole('table', { name: 'History' })).toContainText('Lentils 1 kg');
    await browser.close();
    await chrome.kill();
  } finally {
    removeProfileDir(profile);
  }
});
