import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { startSignalingServer, type SignalingServer } from '../../electron/signaling/server';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import {
  addItem,
  addSyncServer,
  donate,
  expectConnected,
  expectHubOnHand,
  expectInsideWindow,
  goTo,
  inviteCode,
  joinAsNewHub,
  setUpHub,
} from './steps';

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };
/** Where the screenshots go: another run's Playwright empties test-results/ as it starts, hence the option. */
const SHOTS = process.env.LARDER_SHOTS_DIR ?? 'test-results/members';

/** The Members screen's table of devices (or of requests), by its accessible name. */
const table = (page: Page, name: 'Devices' | 'Waiting for approval' | 'Revoked devices') =>
  page.getByRole('main').getByRole('table', { name });
const rowOf = (page: Page, name: Parameters<typeof table>[1], device: string) =>
  table(page, name)
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${device}`) }) });

test('an admin approves a joining device, and revokes a lost one, over real WebRTC', async ({ baseURL }) => {
  test.setTimeout(300_000);
  const profiles = ['a', 'b', 'c'].map((n) => newProfileDir(`trust-${n}`));
  const contexts: BrowserContext[] = [];
  const signal: SignalingServer = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const open = async (i: number) => {
    const hub = await openHub(profiles[i]!, baseURL!);
    contexts.push(hub.context);
    return hub;
  };
  try {
    const a = await open(0);
    await setUpHub(a.page, 'Hub A', 'A laptop');
    await addSyncServer(a.page, signal.url);
    await addItem(a.page, { name: 'Rice 2 lb bag', unit: 'bag' });

    // B joins with a plain invite: it syncs and records, but nothing it writes counts until approved.
    const b = await open(1);
    await joinAsNewHub(b.page, await inviteCode(a.page, { preApprove: false }), 'Hub B', 'B tablet');
    await expectConnected(a.page, 1);
    await expect(b.page.getByRole('status', { name: 'Approval' })).toContainText(
      'Waiting for an admin to approve this device',
    );
    await donate(b.page, 'rice', '10');
    await goTo(a.page, 'Members');
    const request = rowOf(a.page, 'Waiting for approval', 'B tablet');
    await expect(request).toContainText('Hub B');
    await expect(request.getByRole('cell').nth(3)).toHaveText('1', { timeout: 30_000 }); // held apart
    // The admin reads B's fingerprint aloud and compares it with what B shows.
    await goTo(b.page, 'Members');
    // Shown as "…" until the device's key is read: wait for the digits before reading them.
    const own = b.page.locator('strong.fingerprint');
    await expect(own).toHaveText(/^\d{5}( \d{5})+$/);
    const fingerprint = (await own.textContent())!.trim();
    await expect(request).toContainText(fingerprint);
    // Hub B itself, which B started, counts only once B is approved.
    await goTo(a.page, 'Stock');
    await expect(
      a.page.getByLabel('Hub', { exact: true }).getByRole('option', { name: 'Hub B' }),
    ).toHaveCount(0);

    // On a phone the request is a card with its Approve button in sight (as a table's last column it sat
    // past the window's edge, in a box scrolled sideways).
    await goTo(a.page, 'Members');
    await a.page.setViewportSize(PHONE);
    await expectInsideWindow(a.page, request.getByRole('button'), 'Waiting for approval at 390 px');
    await a.page.screenshot({ path: `${SHOTS}/members-request-390.png`, fullPage: true });
    await a.page.setViewportSize(LAPTOP);
    await request.getByRole('button', { name: 'Approve B tablet' }).click();
    await expect(
      a.page.getByRole('main').getByRole('status').filter({ hasText: 'is approved' }),
    ).toBeVisible();
    await expectHubOnHand(a.page, 'Hub B', 'Rice 2 lb bag', 10);
    await expect(b.page.getByRole('status', { name: 'Approval' })).toBeHidden();

    // C joins with a pre-approved invite: what it records counts at once.
    const c = await open(2);
    await joinAsNewHub(c.page, await inviteCode(a.page), 'Hub C', 'C laptop');
    await expectConnected(a.page, 2);
    await donate(c.page, 'rice', '5');
    await expectHubOnHand(a.page, 'Hub C', 'Rice 2 lb bag', 5);
    await expectHubOnHand(b.page, 'Hub C', 'Rice 2 lb bag', 5);

    // B is lost. The admin revokes it, on a phone: its 10 still count; the network key changes. Each
    // device's buttons, and the question's, are in sight at 390 px.
    await goTo(a.page, 'Members');
    await a.page.setViewportSize(PHONE);
    for (const device of ['B tablet', 'C laptop'])
      await expectInsideWindow(
        a.page,
        rowOf(a.page, 'Devices', device).getByRole('button'),
        `${device} at 390 px`,
      );
    await a.page.screenshot({ path: `${SHOTS}/members-devices-390.png`, fullPage: true });
    const revokeStarted = Date.now();
    await rowOf(a.page, 'Devices', 'B tablet').getByRole('button', { name: 'Revoke B tablet…' }).click();
    const question = a.page.getByRole('group', { name: 'Revoke B tablet?' });
    await expectInsideWindow(a.page, question.getByRole('button'), 'Revoke B tablet? at 390 px');
    await a.page.screenshot({ path: `${SHOTS}/members-revoke-390.png`, fullPage: true });
    await question.getByRole('button', { name: 'Revoke B tablet' }).click();
    await expect(
      a.page.getByRole('main').getByRole('status').filter({ hasText: 'is revoked' }),
    ).toBeVisible();
    await expect(rowOf(a.page, 'Revoked devices', 'B tablet')).toContainText('the first 1');
    await a.page.setViewportSize(LAPTOP);
    // C takes up the new key and finds A again in the new room; B cannot follow.
    await goTo(c.page, 'Members');
    await expect(rowOf(c.page, 'Revoked devices', 'B tablet')).toBeVisible({ timeout: 60_000 });
    const revokedSeenByC = Date.now() - revokeStarted;
    await expectConnected(a.page, 1);
    await expectConnected(c.page, 1);
    console.log(`revoke on A -> C shows B revoked: ${revokedSeenByC} ms`);

    // What B records now reaches nobody: it cannot join the network's new room with its old key.
    await expect(b.page.getByRole('status', { name: 'Approval' })).toContainText('revoked', {
      timeout: 60_000,
    });
    await donate(b.page, 'rice', '100');
    await expect(b.page.getByRole('status', { name: 'Sync status' })).toContainText('Offline', {
      timeout: 60_000,
    });
    await donate(c.page, 'rice', '1');
    await expectHubOnHand(a.page, 'Hub C', 'Rice 2 lb bag', 6); // A and C still sync
    await expectHubOnHand(a.page, 'Hub B', 'Rice 2 lb bag', 10);
    await expectHubOnHand(c.page, 'Hub B', 'Rice 2 lb bag', 10);
    await expect(b.page.getByRole('status', { name: 'Sync status' })).toContainText('Offline');
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await signal.close();
    for (const p of profiles) removeProfileDir(p);
  }
});
