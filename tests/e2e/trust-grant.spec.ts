import { expect, test, type BrowserContext } from '@playwright/test';
import { startSignalingServer, type SignalingServer } from '../../electron/signaling/server';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import {
  addItem,
  addSyncServer,
  donate,
  expectConnected,
  expectHubOnHand,
  goTo,
  inviteCode,
  joinAsNewHub,
  memberRow,
  revokeDevice,
  setUpHub,
} from './steps';

// An action waiting on an element that never comes fails with its own message, not the test's timeout.
test.use({ actionTimeout: 60_000 });

/**
 * A device asks to join; before an admin approves it, the admin revokes a lost laptop, so the network key
 * changes and the new key is sealed to members only. Once approved, the device gets its own copy (a
 * grant) from the admin's device, finds it in the old room over real WebRTC, moves to the new room by
 * itself, and what it recorded while waiting counts. No new invite, no sync file.
 */
test('a device approved after the key changed reaches the new room by itself', async ({ baseURL }) => {
  test.setTimeout(360_000);
  const profiles = ['a', 'l', 'p'].map((n) => newProfileDir(`grant-${n}`));
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

    const lost = await open(1);
    await joinAsNewHub(lost.page, await inviteCode(a.page), 'Hub L', 'L laptop');
    await expectConnected(a.page, 1);

    // P asks to join with a plain invite and records while it waits.
    const p = await open(2);
    await joinAsNewHub(p.page, await inviteCode(a.page, { preApprove: false }), 'Hub P', 'P tablet');
    await expectConnected(a.page, 2);
    await donate(p.page, 'rice', '4');
    await goTo(a.page, 'Members');
    await expect(memberRow(a.page, 'Waiting for approval', 'P tablet').getByRole('cell').nth(3)).toHaveText(
      '1',
      {
        timeout: 30_000,
      },
    );

    // The laptop is lost: revoked, the key changes. P is not a member yet: no copy for it.
    await lost.context.close();
    await revokeDevice(a.page, 'L laptop');
    // A is alone in the new room; P, in the old one, meets A there only as a device offering the key.
    await expect(p.page.getByRole('status', { name: 'Sync status' })).toContainText('Offline', {
      timeout: 60_000,
    });
    await expect(a.page.getByRole('status', { name: 'Sync status' })).toContainText('Offline');

    // The admin approves P: P takes up the key it is granted and joins A in the new room.
    await memberRow(a.page, 'Waiting for approval', 'P tablet')
      .getByRole('button', { name: 'Approve P tablet' })
      .click();
    await expect(
      a.page.getByRole('main').getByRole('status').filter({ hasText: 'is approved' }),
    ).toBeVisible();
    const approved = Date.now();
    await expectConnected(p.page, 1);
    console.log(`approve on A -> P connected in the new room: ${Date.now() - approved} ms (loaded machine)`);
    await expectConnected(a.page, 1);
    await expectHubOnHand(a.page, 'Hub P', 'Rice 2 lb bag', 4);
    await goTo(p.page, 'Members');
    await expect(memberRow(p.page, 'Revoked devices', 'L laptop')).toBeVisible();
    await expect(p.page.getByRole('status', { name: 'Approval' })).toBeHidden();
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await signal.close();
    for (const dir of profiles) removeProfileDir(dir);
  }
});
