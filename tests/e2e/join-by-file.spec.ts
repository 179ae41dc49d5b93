import { expect, test, type BrowserContext } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import {
  addItem,
  donate,
  expectHubOnHand,
  goTo,
  inviteCode,
  joinAsNewHub,
  recordStatusTexts,
  setUpHub,
} from './steps';

// An action waiting on an element that never comes fails with its own message, not the test's timeout.
test.use({ actionTimeout: 60_000 });

/**
 * A new device joins by a sync file alone (no network at all): the admin's full export carries a
 * checkpoint, and the new device, joined with an invite but holding nothing yet, starts from it, then takes
 * the history behind it. Its figures for the admin's hub are the admin's, and what it records itself counts.
 */
test('a new device joins from the admin’s sync file, starting from its checkpoint', async ({ baseURL }) => {
  test.setTimeout(240_000);
  const profiles = ['a', 'b'].map((n) => newProfileDir(`join-file-${n}`));
  const contexts: BrowserContext[] = [];
  try {
    const a = await openHub(profiles[0]!, baseURL!);
    contexts.push(a.context);
    await setUpHub(a.page, 'Eastside Pantry', 'Front desk laptop');
    await addItem(a.page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await donate(a.page, 'rice', '20');
    await donate(a.page, 'rice', '7');

    const b = await openHub(profiles[1]!, baseURL!);
    contexts.push(b.context);
    await joinAsNewHub(b.page, await inviteCode(a.page), 'Northside Mosque', 'Mosque tablet');

    // The checkpoint is made, the file sealed and opened, the checkpoint's rows written, in workers of their
    // own (renderer/storage/checkpointEncoder.ts, renderer/sync/syncFileWork.ts, renderer/storage/seedRows.ts),
    // not on the page.
    const workers: string[] = [];
    const warnings: string[] = [];
    for (const { page } of [a, b]) {
      page.on('worker', (worker) => workers.push(worker.url()));
      page.on('console', (m) => void (m.type() === 'warning' && warnings.push(m.text())));
    }
    await goTo(a.page, 'Sync');
    const exported = a.page.getByRole('region', { name: 'Sync files' });
    const [download] = await Promise.all([
      a.page.waitForEvent('download'),
      exported.getByRole('button', { name: 'Export sync file' }).click(),
    ]);
    await expect(exported.getByRole('status')).toContainText('Sync file saved');
    const file = (await download.path())!;
    expect(workers.filter((url) => /checkpoint\.worker/.test(url))).toHaveLength(1);
    expect(workers.filter((url) => /syncFile\.worker/.test(url))).toHaveLength(1);

    await goTo(b.page, 'Sync');
    const files = b.page.getByRole('region', { name: 'Sync files' });
    // What the sidebar's "History arriving" status says while the history behind the checkpoint comes in (the
    // same file brings it, so it may show for a moment or not at all).
    const arriving = await recordStatusTexts(b.page, 'History arriving');
    await files.getByLabel('Import sync file').setInputFiles(file);
    await expect(files.getByRole('status')).toHaveText(
      'Imported 2 new entries from Front desk laptop. The stock figures started from a checkpoint signed by Front desk laptop.',
      { timeout: 60_000 },
    );
    // The device whose file it read is now offered to export for (a live read: it shows without a reload).
    await expect(files.getByLabel('Export for').locator('option')).toHaveText([
      'Any device (everything)',
      'Front desk laptop: only what it lacks',
    ]);
    await expectHubOnHand(b.page, 'Eastside Pantry', 'Rice 2 lb bag', 27);
    expect(workers.filter((url) => /syncFile\.worker/.test(url))).toHaveLength(2);
    // The checkpoint's rows, its history, read and written in a worker kept for them (seedRows.ts).
    expect(workers.filter((url) => /seedRows\.worker/.test(url))).toHaveLength(1);
    expect(warnings.filter((text) => text.includes('in a worker'))).toEqual([]);
    // The history is all in: the status is gone, and what it said meanwhile (if anything) was how much.
    await expect(b.page.getByRole('status', { name: 'History arriving' })).toHaveCount(0);
    for (const text of await arriving())
      expect(text).toMatch(
        /^Stock figures are up to date, from a checkpoint\. The history behind them is arriving: \d+% in\./,
      );
    // Its own saves count, on top.
    await donate(b.page, 'rice', '4');
    await expectHubOnHand(b.page, 'Northside Mosque (this hub)', 'Rice 2 lb bag', 4);
    await expectHubOnHand(b.page, 'Eastside Pantry', 'Rice 2 lb bag', 27);
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const p of profiles) removeProfileDir(p);
  }
});
