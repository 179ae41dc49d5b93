import { expect, test } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addItem, donate, expectOnHand, goTo, setUpHub } from './steps';

/**
 * The stock view opens with half of the app's code; the rest (the ledger, signatures, sync) loads once it is
 * painted. On a hub's LAN the computer serving the page may be away just then: the stock stays on screen,
 * the page says what waits, and the rest loads by itself once the server answers again.
 */
test('the rest of the code loads by itself once the page’s server answers again; the stock stays meanwhile', async ({
  baseURL,
}) => {
  const profile = newProfileDir('load-later');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Rice 1 kg', unit: 'bag' });
    await donate(page, 'rice', '12');

    // The server stops answering for the store's parts (the chunk every recording needs).
    let away = true;
    let refused = 0;
    await context.route('**/assets/parts-*.js', async (route) => {
      if (!away) return route.continue();
      refused += 1;
      return route.abort('connectionrefused');
    });
    await page.reload();
    await expectOnHand(page, 'Rice 1 kg', 12);
    const missing = page.getByRole('alert').filter({ hasText: 'Part of Larder has not loaded yet' });
    await expect(missing).toBeVisible();
    // A screen that needs the rest says it hit a problem (not a blank page), and the app keeps trying.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Record donation' })
      .click();
    await expect(
      page.getByRole('main').getByRole('heading', { name: 'This screen hit a problem' }),
    ).toBeVisible();
    // Each try asks for the chunk again: by importing it, or, where the browser keeps a module that failed
    // for the page's life (Debian's Chromium 150 does; 156 does not), by fetching it to see if it answers.
    await expect.poll(() => refused).toBeGreaterThanOrEqual(3);
    await expect(missing).toBeVisible();

    away = false;
    await expect(missing).toBeHidden({ timeout: 60_000 });
    // The screen that failed loads when it is opened again, and recording works.
    await goTo(page, 'Stock');
    await donate(page, 'rice', '3');
    await expectOnHand(page, 'Rice 1 kg', 15);
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});

/**
 * The other screens' code loads ahead once the first view is painted (preloadScreens). A screen whose file
 * could not be fetched just then, the server away for a moment, opens once the server answers again. Debian's
 * Chromium 150 keeps a module that failed for the page's life, so importing it again fails too: the page
 * reloads, on that screen (lazyScreen.ts `loadAgain`). Before, it said "This screen hit a problem".
 */
test('a screen whose code could not load ahead, its server away, opens once the server answers again', async ({
  baseURL,
}) => {
  const profile = newProfileDir('load-ahead');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Rice 1 kg', unit: 'bag' });
    await donate(page, 'rice', '12');
    await goTo(page, 'Stock');
    let away = true;
    let refused = 0;
    await context.route('**/assets/CountScreen-*.js', (route) => {
      if (!away) return route.continue();
      refused += 1;
      return route.abort('connectionrefused');
    });
    await page.reload();
    await expectOnHand(page, 'Rice 1 kg', 12);
    // The count screen's code was asked for ahead, and not had.
    await expect.poll(() => refused).toBeGreaterThanOrEqual(1);
    away = false;
    await goTo(page, 'Count stock');
    await expect(page.getByRole('heading', { name: 'This screen hit a problem' })).toBeHidden();
    // And it is the count screen itself, ready to count.
    await expect(page.getByRole('main').getByRole('button', { name: 'Save count' })).toBeVisible();
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});

test('a new device whose setup screen cannot load says so and offers a reload, which then sets it up', async ({
  baseURL,
}) => {
  const profile = newProfileDir('load-setup');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    let away = true;
    await context.route('**/assets/SetupScreen-*.js', (route) =>
      away ? route.abort('connectionrefused') : route.continue(),
    );
    await page.reload();
    const problem = page.getByRole('alert').filter({ hasText: 'This screen hit a problem' });
    await expect(problem).toBeVisible();
    away = false;
    await problem.getByRole('button', { name: 'Reload Larder' }).click();
    await setUpHub(page, 'Corner Store', 'Till');
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});

/**
 * The first view's code is one file (vite.config.ts, `codeSplitting`): some twenty files, fetched six at a
 * time by a browser just started, held a cold first stock view back by about 130 ms (docs/benchmarks.md,
 * "Stop 59"). The page names what it loads first: its entry and what it preloads.
 */
test('the page loads its first view’s code from one file, besides the bundler’s runtime', async ({
  request,
  baseURL,
}) => {
  const html = await (await request.get(baseURL!)).text();
  const entry = [...html.matchAll(/<script type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]);
  const preloaded = [...html.matchAll(/<link rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
  expect(entry).toHaveLength(1);
  expect(preloaded.filter((file) => !/rolldown-runtime/.test(file!))).toEqual([]);
  // And it is the app: React and the stock screen are in it, not fetched after it.
  const code = await (await request.get(new URL(entry[0]!, baseURL).href)).text();
  expect(code.length).toBeGreaterThan(300_000);
});

/**
 * A hub device reopened on its stock view shows the rows renderer/public/open-early.js read while the app's
 * code loaded (renderer/data/earlyStock.ts), then the live ones: the figures are the same, and saves change
 * them as before; the menu names the hub from them too. A page opened on another screen reads nothing early.
 */
test('a hub device reopened shows its stock from the rows read as the page opened, and saves go on', async ({
  baseURL,
}) => {
  const profile = newProfileDir('early-stock');
  const { context, page } = await openHub(profile, baseURL!);
  const tookEarlyRows = () => page.evaluate(() => performance.getEntriesByName('larder:early-stock').length);
  try {
    await setUpHub(page, 'Corner Store', 'Till');
    await addItem(page, { name: 'Rice 1 kg', unit: 'bag' });
    await donate(page, 'rice', '12');
    await goTo(page, 'Stock');
    // What the menu names as the hub in the commit that first shows a stock row (before any paint): the frame
    // takes the hub's name from the same early rows, so it is never "…" beside the figures.
    await context.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (!document.querySelector('table.stock tbody tr')) return;
        (window as { brandWithFirstRows?: string }).brandWithFirstRows =
          document.querySelector('.brand-hub')?.textContent ?? '';
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    await expectOnHand(page, 'Rice 1 kg', 12);
    expect(await tookEarlyRows()).toBe(1);
    expect(await page.evaluate(() => (window as { brandWithFirstRows?: string }).brandWithFirstRows)).toBe(
      'Corner Store',
    );
    // Opened on the donation screen: nothing read early; the stock view reads for itself.
    await donate(page, 'rice', '3');
    await page.reload();
    await expectOnHand(page, 'Rice 1 kg', 15);
    expect(await tookEarlyRows()).toBe(0);
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});
