import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { join } from 'node:path';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { openWithCamera, pngToY4m, qrPng } from './camera';
import { inviteCode, setUpHub } from './steps';

async function startScanning(page: Page): Promise<void> {
  await page.getByLabel('Join a network with an invite code').check();
  await page.getByRole('button', { name: 'Scan the invite’s QR code' }).click();
  await expect(page.getByRole('group', { name: 'QR code scanner' })).toBeVisible();
}

test('a new device joins by filming the invite QR code another device shows', async ({ baseURL }) => {
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  const profile = (name: string) => {
    const dir = newProfileDir(name);
    profiles.push(dir);
    return dir;
  };
  try {
    // Hub A shows its invite; its QR code is what the other device's camera will see.
    const a = await openHub(profile('qr-a'), baseURL!);
    contexts.push(a.context);
    await setUpHub(a.page, 'Hub A', 'A laptop');
    const code = await inviteCode(a.page, { hide: false });
    const shown = await a.page.getByRole('img', { name: 'QR code of the invite' }).screenshot();
    const dir = profile('qr-videos');
    const inviteVideo = join(dir, 'invite.y4m');
    pngToY4m(shown, inviteVideo, 1);
    const otherVideo = join(dir, 'other.y4m');
    pngToY4m(await qrPng('https://example.org/menu'), otherVideo, 1);

    // A QR code that is not an invite is named as such, and nothing is filled in.
    const stray = await openWithCamera(profile('qr-stray'), baseURL!, otherVideo);
    contexts.push(stray.context);
    await startScanning(stray.page);
    await expect(
      stray.page.getByRole('status').filter({ hasText: 'That QR code is not a Larder invite' }),
    ).toBeVisible();
    await expect(stray.page.getByLabel('Invite code', { exact: true })).toHaveValue('');
    await stray.page.getByRole('button', { name: 'Stop the camera' }).click();
    await expect(stray.page.getByRole('group', { name: 'QR code scanner' })).toBeHidden();
    await stray.context.close();

    // The invite's QR code fills in the code; the device joins A's network with it.
    const b = await openWithCamera(profile('qr-b'), baseURL!, inviteVideo);
    contexts.push(b.context);
    await startScanning(b.page);
    await expect(
      b.page.getByRole('status').filter({ hasText: 'Invite code read from the QR code.' }),
    ).toBeVisible();
    await expect(b.page.getByRole('group', { name: 'QR code scanner' })).toBeHidden();
    await expect(b.page.getByLabel('Invite code', { exact: true })).toHaveValue(code);
    await b.page.getByLabel('Name of this device').fill('B tablet');
    await b.page.getByRole('button', { name: 'Join network' }).click();
    await expect(b.page.getByRole('heading', { name: 'Which hub is this device at?' })).toBeVisible();

    // A new hub with no name is refused at its field, which says why (once: not again in the status line).
    await b.page.getByLabel('A new hub').check();
    const hubName = b.page.getByLabel('Name of the new hub');
    await b.page.getByRole('button', { name: 'Continue' }).click();
    await expect(hubName).toHaveAttribute('aria-invalid', 'true');
    await expect(hubName).toHaveAccessibleDescription(/\S/);
    await expect(b.page.getByRole('alert')).toHaveCount(1);
    await hubName.fill('Hub B');
    await b.page.getByRole('button', { name: 'Continue' }).click();
    await expect(b.page.getByRole('navigation', { name: 'Main' })).toContainText('Hub B');
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    for (const p of profiles) removeProfileDir(p);
  }
});

test('copying the invite: copied when the browser lets it, said and selected to copy by hand when it refuses', async ({
  baseURL,
}) => {
  const profile = newProfileDir('invite-copy');
  const { context, page } = await openHub(profile, baseURL!, {
    permissions: ['microphone', 'clipboard-read', 'clipboard-write'],
  });
  try {
    await setUpHub(page, 'Hub A', 'A laptop');
    const code = await inviteCode(page, { hide: false });
    const invite = page.getByRole('region', { name: 'Invite a hub or device', exact: true });
    await invite.getByRole('button', { name: 'Copy' }).click();
    await expect(invite.getByRole('button', { name: 'Copied' })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    await expect(invite.getByRole('status')).toHaveText('');

    // The browser refuses to write to the clipboard (as when its permission is denied).
    const cdp = await context.newCDPSession(page);
    await cdp.send('Browser.setPermission', {
      permission: { name: 'clipboard-write' },
      setting: 'denied',
      origin: new URL(baseURL!).origin,
    });
    await invite.getByRole('button', { name: 'Copied' }).click();
    await expect(invite.getByRole('status')).toHaveText(
      'Could not copy: select the code and copy it by hand.',
    );
    await expect(invite.getByRole('button', { name: 'Copy' })).toBeVisible();
    // The code is selected, ready to copy by hand.
    const field = invite.getByLabel('Invite code', { exact: true });
    await expect(field).toBeFocused();
    expect(await field.evaluate((el: HTMLTextAreaElement) => el.selectionEnd - el.selectionStart)).toBe(
      code.length,
    );
    await page.screenshot({ path: 'test-results/screens/invite-copy-refused.png' });
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});
