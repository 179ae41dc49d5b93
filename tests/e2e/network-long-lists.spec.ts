import { expect, test, type Page } from '@playwright/test';
import { join } from 'node:path';
import * as Y from 'yjs';
import { appendEntries, devicesOf, hubsOf, putItem, setCategoryLevels } from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { encodeInvite } from '../../shared/sync/invite';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { writeSyncFile } from './syncFile';
import { addLine, goTo, joinAsNewHub, statusSaying } from './steps';

const ITEMS = 14;
const beans = (n: number) => `Beans ${String(n).padStart(3, '0')}`;

/** Hub A's doc, written to a sync file by its device and imported here, which says how many entries came. */
async function importFromHubA(
  page: Page,
  file: string,
  doc: Y.Doc,
  { networkId, key, at }: { networkId: string; key: Uint8Array; at: number },
  entries: number,
): Promise<void> {
  await writeSyncFile(file, doc, { networkId, key, device: 'deva0001', createdAt: at });
  await goTo(page, 'Sync');
  await page.getByLabel('Import sync file').setInputFiles(file);
  await expect(statusSaying(page, new RegExp(`^Imported ${entries} new entries`))).toBeVisible({
    timeout: 60_000,
  });
}

/**
 * A network where one hub is short of every item another has too much of: the coordinator's cards (suggested
 * moves, one hub's shortages) show the first few, most urgent first, and the rest on demand, instead of
 * growing with the catalog.
 */
test('the Network screen’s moves and shortage cards show the most urgent first and the rest on demand', async ({
  baseURL,
}) => {
  test.setTimeout(120_000);
  const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 7) & 0xff);
  const networkId = 'longlist';
  const profile = newProfileDir('network-long-lists');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await joinAsNewHub(page, encodeInvite({ networkId, key, signaling: [] }), 'Hub B', 'B laptop');

    // Hub A, fresh (its entries a minute old), holds 50 of each item against a target of 10.
    const at = Date.now() - 60_000;
    const doc = new Y.Doc();
    hubsOf(doc).set('huba0001', { name: 'Hub A', createdAt: at });
    devicesOf(doc).set('deva0001', { name: 'A front desk', hub: 'huba0001', createdAt: at });
    for (let n = 1; n <= ITEMS; n++)
      putItem(doc, {
        id: `itembean${String(n).padStart(3, '0')}`,
        name: beans(n),
        category: 'Food',
        unit: 'tin',
        barcodes: [],
        createdAt: at,
        updatedAt: at,
      });
    setCategoryLevels(doc, 'huba0001', 'Food', { min: 5, target: 10 });
    const entries = Array.from({ length: ITEMS }, (_, i): Entry => ({
      kind: 'donation',
      hub: 'huba0001',
      device: 'deva0001',
      seq: i + 1,
      item: `itembean${String(i + 1).padStart(3, '0')}`,
      qty: 50,
      source: 'individual',
      at: at + i,
      recordedAt: at + i,
    }));
    appendEntries(doc, 'deva0001', entries);
    await importFromHubA(page, join(profile, 'hub-a.larder-sync'), doc, { networkId, key, at }, ITEMS);

    // Hub B wants at least 10 of each and has none, but one tin of the first item.
    await goTo(page, 'Levels');
    const food = page.getByRole('form', { name: 'Defaults for Food' });
    await food.getByLabel('Minimum for Food').fill('10');
    await food.getByLabel('Target for Food').fill('20');
    await food.getByRole('button', { name: 'Save' }).click();
    await expect(statusSaying(page, 'Saved defaults for Food.')).toBeVisible();
    await goTo(page, 'Record donation');
    await addLine(page, beans(1), '1');
    await page.getByRole('button', { name: 'Save donation' }).click();
    await expect(statusSaying(page, /^Saved donation/)).toBeVisible();

    await goTo(page, 'Network');
    const moves = page.getByRole('list', { name: 'Suggested moves' });
    const showAllMoves = page.getByRole('button', { name: 'Show all 14 suggested moves' });
    await expect(moves.getByRole('listitem')).toHaveCount(8);
    await expect(showAllMoves).toHaveAttribute('aria-expanded', 'false');
    // The items out somewhere come first (in the items table's order); Beans 001, only low at Hub B, last.
    await expect(moves.getByRole('listitem').first()).toHaveText(
      /^Send 10 tins of Beans 002 from Hub A to Hub B/,
    );
    await showAllMoves.click();
    await expect(moves.getByRole('listitem')).toHaveCount(ITEMS);
    await expect(moves.getByRole('listitem').last()).toHaveText(
      /^Send 9 tins of Beans 001 from Hub A to Hub B/,
    );
    const fewerMoves = page
      .getByRole('region', { name: 'Suggested moves' })
      .getByRole('button', { name: 'Show fewer' });
    await expect(fewerMoves).toHaveAttribute('aria-expanded', 'true');
    await page.screenshot({ path: 'test-results/network-long-lists.png', fullPage: true });
    await fewerMoves.click();
    await expect(moves.getByRole('listitem')).toHaveCount(8);

    // Hub B's card: 14 shortages, the 13 items it is out of first.
    const atB = page.getByRole('region', { name: 'Shortages at Hub B' });
    const shortages = atB.getByRole('list', { name: 'Shortages at Hub B' });
    await expect(shortages.getByRole('listitem')).toHaveCount(6);
    await expect(shortages.getByRole('listitem').first()).toHaveText(
      /^Out\s*Beans 002: 0 on hand, minimum 10/,
    );
    await atB.getByRole('button', { name: 'Show all 14 shortages' }).click();
    await expect(shortages.getByRole('listitem')).toHaveCount(ITEMS);
    await expect(shortages.getByRole('listitem').last()).toHaveText(
      /^Low\s*Beans 001: 1 on hand, minimum 10/,
    );
    await expect(page.getByRole('region', { name: 'Shortages at Hub A' })).toContainText('Nothing short.');

    // A hub's device may ask only its own hub to send: moves from Hub A have no button here, and the card says
    // who makes them into transfers (a click used to fail with "Only a coordinator can change another hub’s
    // settings").
    await expect(moves.getByRole('button')).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'Suggested moves' })).toContainText(
      'A move from another hub is made into a transfer by a coordinator’s device or by the sending hub.',
    );

    // Opened again on this screen, the view saved on this device shows first (renderer/data/networkPreview.ts),
    // marked as such and with its filters off, until the figures are read: the same moves, in the same order.
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            new Promise<number>((resolve) => {
              const open = indexedDB.open('larder');
              open.onsuccess = () => {
                const get = open.result.transaction('meta').objectStore('meta').get('networkPreview');
                get.onsuccess = () => {
                  open.result.close();
                  resolve((get.result as { moves?: unknown[] } | undefined)?.moves?.length ?? 0);
                };
              };
            }),
        ),
      )
      .toBe(8);
    await context.addInitScript(() => {
      // The figures' reads held until the saved view is on screen, whatever the machine's speed: a write
      // transaction on the figures' table, kept busy until the app marks the saved view shown (the reads of
      // a read-only transaction wait for it). Without a saved view to show, it lets go after 15 s.
      const open = indexedDB.open('larder');
      open.onsuccess = () => {
        const db = open.result;
        db.onversionchange = () => db.close();
        const figures = db.transaction('onHand', 'readwrite').objectStore('onHand');
        const until = performance.now() + 15_000;
        const hold = () => {
          if (!performance.getEntriesByName('larder:network-preview').length && performance.now() < until)
            figures.get('').onsuccess = hold;
        };
        hold();
        figures.transaction.oncomplete = () => db.close();
      };
      new MutationObserver((_, observer) => {
        if (!document.querySelector('table[aria-label="Network stock"] tbody tr')) return;
        (window as { firstNetworkFrame?: unknown }).firstNetworkFrame = {
          busy: document.querySelector('section[aria-labelledby="network-title"]')?.getAttribute('aria-busy'),
          status:
            document.querySelector('section[aria-labelledby="network-title"] > p[role="status"]')
              ?.textContent ?? null,
          hubFilterOff: (document.getElementById('network-hub') as HTMLSelectElement | null)?.disabled,
          moves: [...document.querySelectorAll('ul[aria-label="Suggested moves"] > li')].map((li) =>
            li.textContent?.trim(),
          ),
        };
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    });
    const liveMoves = await moves.getByRole('listitem').allTextContents();
    await page.reload();
    await expect(page.getByRole('region', { name: 'Shortages at Hub B' })).toBeVisible();
    const first = (await page.evaluate(
      () => (window as { firstNetworkFrame?: unknown }).firstNetworkFrame,
    )) as { busy: string | null; status: string | null; hubFilterOff: boolean; moves: string[] };
    expect(await page.evaluate(() => performance.getEntriesByName('larder:network-preview').length)).toBe(1);
    expect(first.busy).toBe('true');
    expect(first.status).toMatch(
      /^Figures as they stood (just now|\d+ minutes? ago), saved on this device; bringing them up to date…$/,
    );
    expect(first.hubFilterOff).toBe(true);
    expect(first.moves).toEqual(liveMoves.map((m) => m.trim()));
    // Then the figures themselves: nothing marked, the filters on, the rest of the moves on demand again.
    await expect(page.getByRole('region', { name: 'Suggested moves' })).toBeVisible();
    await expect(page.locator('section[aria-labelledby="network-title"]')).not.toHaveAttribute('aria-busy');
    await expect(page.getByRole('main').getByLabel('Hub', { exact: true })).toBeEnabled();
    await expect(page.getByRole('button', { name: 'Show all 14 suggested moves' })).toBeVisible();
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});

/**
 * A year of transfers is thousands: the table of all transfers shows the newest hundred, and older ones a
 * hundred at a time on demand (at a million entries, 7,900 rows took the screen 2.4-2.7 s to show).
 */
test('the table of all transfers shows the newest hundred, and older ones on demand', async ({ baseURL }) => {
  test.setTimeout(120_000);
  const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + 3) & 0xff);
  const networkId = 'longtransfers';
  const profile = newProfileDir('transfers-long-list');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await joinAsNewHub(page, encodeInvite({ networkId, key, signaling: [] }), 'Hub B', 'B laptop');
    // Hub A sent 105 tins of beans to another hub, one a minute, the newest an hour ago.
    const SENDS = 105;
    const start = Date.now() - 60 * 60_000 - SENDS * 60_000;
    const doc = new Y.Doc();
    hubsOf(doc).set('huba0001', { name: 'Hub A', createdAt: start });
    hubsOf(doc).set('hubc0001', { name: 'Hub C', createdAt: start });
    devicesOf(doc).set('deva0001', { name: 'A front desk', hub: 'huba0001', createdAt: start });
    putItem(doc, {
      id: 'itembean001',
      name: beans(1),
      category: 'Food',
      unit: 'tin',
      barcodes: [],
      createdAt: start,
      updatedAt: start,
    });
    const sends = Array.from({ length: SENDS }, (_, i): Entry => ({
      kind: 'transfer_out',
      hub: 'huba0001',
      device: 'deva0001',
      seq: i + 1,
      item: 'itembean001',
      qty: i + 1,
      to: 'hubc0001',
      at: start + i * 60_000,
      recordedAt: start + i * 60_000,
    }));
    appendEntries(doc, 'deva0001', sends);
    await importFromHubA(
      page,
      join(profile, 'hub-a-sends.larder-sync'),
      doc,
      { networkId, key, at: start },
      SENDS,
    );

    await goTo(page, 'Transfers');
    const all = page.getByRole('table', { name: 'All transfers' });
    const older = page.getByRole('button', { name: 'Show older transfers' });
    // A header row and the newest hundred, the newest (105 sent) first.
    await expect(all.getByRole('row')).toHaveCount(101);
    const sent = (row: ReturnType<typeof all.getByRole>) => row.getByRole('cell').nth(3);
    await expect(sent(all.getByRole('row').nth(1))).toHaveText('105');
    await expect(sent(all.getByRole('row').last())).toHaveText('6');
    await older.click();
    await expect(all.getByRole('row')).toHaveCount(SENDS + 1);
    await expect(sent(all.getByRole('row').last())).toHaveText('1');
    await expect(older).toHaveCount(0);
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});
