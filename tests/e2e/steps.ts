import { expect, type Locator, type Page } from '@playwright/test';

/**
 * What a volunteer does, step by step, by role and label: shared by the end-to-end specs. Every locator
 * is scoped to the element it means, and every wait is on state (never on time), so the steps hold on a
 * loaded machine.
 */

export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function setUpHub(page: Page, hubName: string, deviceName: string): Promise<void> {
  await page.getByLabel('Name of this hub').fill(hubName);
  await page.getByLabel('Name of this device').fill(deviceName);
  await page.getByRole('button', { name: 'Create network' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toContainText(hubName);
}

export async function goTo(page: Page, screen: string): Promise<void> {
  // A link's name may carry its badge ("Stock 2 below minimum"): match the screen's name as whole words.
  const escaped = escapeRegExp(screen);
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: new RegExp(`^${escaped}(\\s|$)`) })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: screen })).toBeVisible();
}

export async function addItem(
  page: Page,
  item: { name: string; category?: string; unit: string; packSize?: string; barcodes?: string },
): Promise<void> {
  await goTo(page, 'Items');
  await page.getByLabel('Name', { exact: true }).fill(item.name);
  await page.getByLabel('Category').fill(item.category ?? 'Food');
  await page.getByLabel('Unit', { exact: true }).fill(item.unit);
  await page.getByLabel('Pack size (optional)').fill(item.packSize ?? '');
  await page.getByLabel('Barcodes (optional)').fill(item.barcodes ?? '');
  await page.getByRole('button', { name: 'Add item' }).click();
  await expect(page.getByRole('main').getByRole('status')).toHaveText(`Saved item ${item.name}.`);
}

/**
 * Types `search` into the item finder and picks the highlighted match with Enter: waits for the finder's
 * own list ("Find item matches", not any other option on the page, such as a select's) to highlight a
 * match, and returns that item's name.
 */
export async function pickItem(page: Page, search: string): Promise<string> {
  const finder = page.getByRole('combobox', { name: 'Find item' });
  await finder.fill(search);
  const highlighted = page
    .getByRole('listbox', { name: 'Find item matches' })
    .getByRole('option', { selected: true });
  await expect(highlighted).toBeVisible();
  await expect(finder).toHaveAttribute('aria-expanded', 'true');
  const name = (await highlighted.locator('span').first().textContent())?.trim() ?? '';
  expect(name, `the match highlighted for "${search}"`).not.toBe('');
  await finder.press('Enter');
  return name;
}

/** Keyboard first: type to find, Enter picks, type the quantity, Enter goes back to the finder. */
export async function addLine(page: Page, search: string, quantity: string): Promise<void> {
  const name = await pickItem(page, search);
  const field = page.getByRole('table', { name: 'Lines' }).getByLabel(`Quantity of ${name}`, { exact: true });
  await expect(field).toBeFocused();
  await page.keyboard.type(quantity);
  await expect(field).toHaveValue(quantity);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('combobox', { name: 'Find item' })).toBeFocused();
}

/** The screen's status line saying `text` (exactly, for a string): not whichever status comes first. */
export function statusSaying(page: Page, text: string | RegExp) {
  const pattern = typeof text === 'string' ? new RegExp(`^${escapeRegExp(text)}$`) : text;
  return page.getByRole('main').getByRole('status').filter({ hasText: pattern });
}

export async function expectOnHand(page: Page, itemName: string, onHand: number): Promise<void> {
  await goTo(page, 'Stock');
  const row = page
    .getByRole('table', { name: 'Stock' })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${escapeRegExp(itemName)}`) }) });
  await expect(row.getByRole('cell').nth(1)).toHaveText(onHand.toLocaleString('en-US'));
}

/** Joins the network of an invite code as a new hub. */
export async function joinAsNewHub(
  page: Page,
  invite: string,
  hubName: string,
  deviceName: string,
): Promise<void> {
  await page.getByLabel('Join a network with an invite code').check();
  await page.getByLabel('Invite code', { exact: true }).fill(invite);
  await page.getByLabel('Name of this device').fill(deviceName);
  await page.getByRole('button', { name: 'Join network' }).click();
  await expect(page.getByRole('heading', { name: 'Which hub is this device at?' })).toBeVisible();
  await page.getByLabel('A new hub').check();
  await page.getByLabel('Name of the new hub').fill(hubName);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toContainText(hubName);
}

/**
 * Opens a section of a screen shown on demand (Sync's invite, servers, relay, this device, data check),
 * found by its title, and returns it; a section already open stays open.
 */
export async function openSection(page: Page, title: string): Promise<Locator> {
  const section = page.getByRole('region', { name: title, exact: true });
  const toggle = section.getByRole('button', { name: title, exact: true });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  return section;
}

export async function addSyncServer(page: Page, url: string): Promise<void> {
  await goTo(page, 'Sync');
  await openSection(page, 'Sync servers');
  await page.getByLabel('Sync server address').fill(url);
  await page.getByRole('button', { name: 'Add server' }).click();
  await expect(page.getByRole('list', { name: 'Sync server connections' })).toContainText(
    `${url}: reachable`,
  );
}

/**
 * The invite code as the Sync screen shows it. By default it pre-approves the device that uses it (the
 * inviting device is the network's admin), so what that device records counts at once; pass
 * `preApprove: false` for a device that must wait for an admin's approval, `hide: false` to keep it shown.
 */
export async function inviteCode(page: Page, { preApprove = true, hide = true } = {}): Promise<string> {
  await goTo(page, 'Sync');
  const invite = await openSection(page, 'Invite a hub or device');
  // Set either way: the box keeps its state between invites.
  await invite.getByLabel('Approve the device that uses this invite').setChecked(preApprove);
  await invite.getByRole('button', { name: 'Show invite code' }).click();
  const code = invite.getByLabel('Invite code', { exact: true });
  await expect(code).toHaveValue(/^LARDER1-/);
  const value = await code.inputValue();
  // Hidden again, so the next invite is a new one (a pre-approval is good for one device only).
  if (hide) await invite.getByRole('button', { name: 'Hide' }).click();
  return value;
}

/** On-hand of an item at a given hub, as this device's stock view shows it. */
export async function expectHubOnHand(
  page: Page,
  hubLabel: string,
  itemName: string,
  onHand: number,
): Promise<void> {
  await goTo(page, 'Stock');
  await page.getByLabel('Hub', { exact: true }).selectOption({ label: hubLabel });
  const row = page
    .getByRole('table', { name: 'Stock' })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${escapeRegExp(itemName)}`) }) });
  await expect(row.getByRole('cell').nth(1)).toHaveText(onHand.toLocaleString('en-US'), { timeout: 30_000 });
}

export async function expectConnected(page: Page, devices: number): Promise<void> {
  await expect(page.getByRole('status', { name: 'Sync status' })).toContainText(
    `Online · ${devices} ${devices === 1 ? 'device' : 'devices'} connected`,
    { timeout: 60_000 },
  );
}

/** Records a donation of one line with the keyboard (Ctrl+Enter saves) and waits for "Saved". */
export async function donate(page: Page, item: string, quantity: string): Promise<void> {
  await goTo(page, 'Record donation');
  await addLine(page, item, quantity);
  await page.keyboard.press('Control+Enter');
  await expect(
    page.getByRole('main').getByRole('status').filter({ hasText: 'Saved donation' }),
  ).toBeVisible();
}

/** Each radio button sits on its words' line (its label is one line, centred on it), not above them. */
export async function expectRadiosOnTheirLine(page: Page, choices: string[]): Promise<void> {
  for (const choice of choices) {
    await expect(page.getByRole('radio', { name: choice })).toBeVisible();
    const radio = await page.getByRole('radio', { name: choice }).boundingBox();
    const label = await page.getByText(choice, { exact: true }).boundingBox();
    expect(Math.abs(radio!.y + radio!.height / 2 - (label!.y + label!.height / 2)), choice).toBeLessThan(4);
  }
}

/**
 * Each of these controls (at least one) lies inside the window's width, where a phone user sees it without
 * scrolling sideways: not past the edge of a box that scrolls sideways, nor of the page.
 */
export async function expectInsideWindow(page: Page, controls: Locator, what: string): Promise<void> {
  await expect(controls.first()).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.clientWidth);
  for (const control of await controls.all()) {
    const name = `${what}: "${(await control.textContent())?.trim()}"`;
    const box = (await control.boundingBox())!;
    expect(box.x, `${name}, left edge`).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width, `${name}, right edge (window ${width} px)`).toBeLessThanOrEqual(width);
  }
}

/** A row of one of the Members screen's tables (devices, requests, revoked), by the device's name. */
export const memberRow = (
  page: Page,
  table: 'Devices' | 'Waiting for approval' | 'Revoked devices',
  device: string,
) =>
  page
    .getByRole('main')
    .getByRole('table', { name: table })
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${escapeRegExp(device)}`) }) });

/** An admin revokes a device on the Members screen, confirming, and sees it among the revoked. */
export async function revokeDevice(admin: Page, device: string): Promise<void> {
  await goTo(admin, 'Members');
  await memberRow(admin, 'Devices', device)
    .getByRole('button', { name: `Revoke ${device}…` })
    .click();
  await admin
    .getByRole('group', { name: `Revoke ${device}?` })
    .getByRole('button', { name: `Revoke ${device}` })
    .click();
  await expect(memberRow(admin, 'Revoked devices', device)).toBeVisible();
}

/**
 * Records every text the sidebar's status labelled `label` shows from now on, as the page renders it: how long
 * such a status shows depends on the machine, so a test records it rather than races it. The returned function
 * reads what was shown.
 */
export async function recordStatusTexts(page: Page, label: string): Promise<() => Promise<string[]>> {
  const key = `shown:${label}`;
  await page.evaluate(
    ({ key, label }) => {
      const shown: string[] = [];
      (window as unknown as Record<string, string[]>)[key] = shown;
      new MutationObserver(() => {
        const status = document.querySelector(`.backlog-indicator[aria-label="${label}"]`);
        const text = status?.textContent ?? '';
        if (text && shown[shown.length - 1] !== text) shown.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    },
    { key, label },
  );
  return () => page.evaluate((key) => (window as unknown as Record<string, string[]>)[key]!, key);
}
