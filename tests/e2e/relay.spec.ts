import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { parseInvite } from '../../shared/sync/invite';
import { deriveRelayKeys, proveRead, RELAY_PROTOCOL, type ServerMessage } from '../../shared/sync/relay';
import { messageForLog } from '../../shared/messages';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import {
  addItem,
  donate,
  expectHubOnHand,
  goTo,
  inviteCode,
  joinAsNewHub,
  openSection,
  setUpHub,
} from './steps';

/**
 * The relay end to end: a real relay process (`npm run relay`'s CLI, PGlite in a temporary directory) on
 * loopback, and the built app in Chromium. Devices that are never open at the same time converge
 * through it; a replacement laptop on an empty profile gets its hub back from it; an invite carries its
 * address, so the devices that join add nothing by hand. Afterwards, every file of the relay's store is
 * scanned for the names and quantities used: none is there.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Names and quantities no store file holds by chance (a short word or number could). */
const HUB_A = 'Maple Street Pantry';
const HUB_B = 'Riverside Fridge';
const DEVICE_A = 'Pantry desk laptop';
const DEVICE_B = 'Riverside tablet';
const DEVICE_C = 'Replacement netbook';
const ITEM = 'Red lentils 2 lb bag';
const FIRST = 48213;
const LATER = 7391;

interface RelayProcess {
  /** Resolves with the relay's address (and how long it took) when it listens. */
  ready: Promise<{ url: string; startMs: number }>;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the relay's CLI as its own process (node with tsx, as `npm run relay` does, without npm's
 * wrappers in between) on a free loopback port. Ready when it prints its address: it has opened its
 * store (PGlite's first start creates the database, slow on a loaded machine) and listens.
 */
function launchRelay(dataDir: string): RelayProcess {
  const started = Date.now();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'electron/relay/cli.ts', '--host', '127.0.0.1', '--port', '0', '--data', dataDir],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<{ url: string; startMs: number }>((resolve, reject) => {
    const listen = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on:\s+(ws:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve({ url: match[1]!, startMs: Date.now() - started });
    };
    child.stdout!.on('data', listen);
    child.stderr!.on('data', listen);
    child.once('exit', (code, signal) =>
      reject(new Error(`The relay exited (${code ?? signal}) before listening:\n${output}`)),
    );
  });
  ready.catch(() => undefined);
  return {
    ready,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * What the relay answers a key holder for this invite's network (as the app does, from Node): its
 * mailbox id and each device's highest sequence number stored.
 */
async function relayHolds(
  url: string,
  invite: string,
): Promise<{ mailbox: string | null; heads: Record<string, number> }> {
  const parsed = parseInvite(invite);
  if (!parsed.ok) throw new Error(messageForLog(parsed.message));
  const keys = await deriveRelayKeys(parsed.invite.key);
  const anchor = parsed.invite.anchor ?? parsed.invite.networkId;
  const ws = new WebSocket(url);
  try {
    return await new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('close', () => reject(new Error('The relay closed the connection')));
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as ServerMessage;
        if (message.type === 'challenge')
          ws.send(
            JSON.stringify({
              type: 'hello',
              protocol: RELAY_PROTOCOL,
              read: keys.readKey,
              anchor,
              proof: proveRead(keys, message.nonce, anchor),
            }),
          );
        else if (message.type === 'welcome') resolve({ mailbox: message.mailbox, heads: message.heads });
        else reject(new Error(`The relay answered ${data.toString()}`));
      });
    });
  } finally {
    ws.close();
  }
}

/** Sync › Relay, opened (it is shown on demand). */
const relayPanel = (page: Page) => openSection(page, 'Relay');

/**
 * Waits for the round the app starts when it opens to bring something from the relay (bounded
 * generously: on a loaded machine a round that applies another device's history takes a while).
 */
async function receivedFromRelay(page: Page, url: string): Promise<void> {
  await goTo(page, 'Sync');
  await expect((await relayPanel(page)).getByLabel(`Status of ${url}`)).toHaveText(
    /^[1-9]\d* received, \d+ sent/,
    {
      timeout: 90_000,
    },
  );
}

/** Adds the relay under Sync › Relay (the page may reload to allow the new address). */
async function addRelay(page: Page, url: string): Promise<void> {
  await goTo(page, 'Sync');
  await (await relayPanel(page)).getByLabel('Relay address').fill(url);
  await (await relayPanel(page)).getByRole('button', { name: 'Add relay' }).click();
  await expect((await relayPanel(page)).getByRole('list', { name: 'Relays' })).toContainText(url);
}

/**
 * "Sync with relay now" until a round finds nothing left to send. The first click may join a round
 * that began before the last entry was recorded; every round after it began after, so one of them
 * sending nothing means the relay holds all this device has.
 */
async function uploadAll(page: Page, url: string): Promise<void> {
  await goTo(page, 'Sync');
  const panel = await relayPanel(page);
  const now = panel.getByRole('button', { name: 'Sync with relay now' });
  await now.click();
  await expect(now).toBeEnabled();
  await expect(async () => {
    await now.click();
    await expect(now).toBeEnabled();
    expect(await panel.getByLabel(`Status of ${url}`).textContent()).toMatch(/^\d+ received, 0 sent$/);
  }).toPass({ timeout: 60_000 });
}

/** Every file under `dir`: the relay's whole store as it is on disk. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
  });
}

/**
 * Whether the page (its device's Worker: its console comes to the page's) has said it started from a
 * checkpoint at the relay: the app says it in its log only, as for a sync file's or a peer's.
 */
function startedFromCheckpoint(page: Page): () => boolean {
  let said = false;
  page.on('console', (m) => {
    if (/^Larder started from .+'s checkpoint at the relay/.test(m.text())) said = true;
  });
  return () => said;
}

test('devices never open together converge through a relay process, which stores no name and no quantity', async ({
  baseURL,
}) => {
  test.setTimeout(300_000);
  const profiles = ['a', 'b', 'c'].map((n) => newProfileDir(`relay-${n}`));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'larder-e2e-relay-store-'));
  // The relay starts while hub A sets up (its first start creates its database, which takes a while).
  const relayProcess = launchRelay(dataDir);
  const open: { close: () => Promise<void> }[] = [];
  const hub = async (i: number) => {
    const h = await openHub(profiles[i]!, baseURL!);
    open.push(h.context);
    return h;
  };
  const timings: string[] = [];
  try {
    // Hub A's laptop: starts the network, records a donation, adds the relay, uploads, and closes.
    let a = await hub(0);
    await setUpHub(a.page, HUB_A, DEVICE_A);
    await addItem(a.page, { name: ITEM, unit: 'bag' });
    await donate(a.page, 'lentils', String(FIRST));
    const relay = await relayProcess.ready;
    timings.push(`relay process ready ${relay.startMs} ms after it was spawned`);
    await addRelay(a.page, relay.url);
    // The invites A shows now carry the relay: the devices that use them add nothing by hand.
    const inviteB = await inviteCode(a.page);
    const inviteC = await inviteCode(a.page);
    for (const code of [inviteB, inviteC]) {
      const parsed = parseInvite(code);
      expect(parsed.ok && parsed.invite.relays).toEqual([relay.url]);
    }
    await uploadAll(a.page, relay.url);
    // A is the network's admin: its checkpoint is at the relay for the devices that join through it.
    await expect(
      (await relayPanel(a.page)).getByText(/^This device’s checkpoint was left here/),
    ).toBeVisible();
    await a.context.close();

    // Hub B's tablet, later: joins by the invite, and everything comes from the relay.
    let t = Date.now();
    const b = await hub(1);
    const bStarted = startedFromCheckpoint(b.page);
    await joinAsNewHub(b.page, inviteB, HUB_B, DEVICE_B);
    // The relay came with the invite: B's Sync › Relay lists it, and B's first round used it.
    await goTo(b.page, 'Sync');
    await expect((await relayPanel(b.page)).getByRole('list', { name: 'Relays' })).toContainText(relay.url);
    await receivedFromRelay(b.page, relay.url);
    await expectHubOnHand(b.page, HUB_A, ITEM, FIRST);
    timings.push(`B saw A's donation ${Date.now() - t} ms after opening`);
    // From the checkpoint A (an admin's device) left at the relay, before the history behind it.
    await expect.poll(bStarted).toBe(true);
    await donate(b.page, 'lentils', String(LATER));
    await uploadAll(b.page, relay.url);
    await b.context.close();

    // A again, when B is off: B's donation comes from the relay.
    t = Date.now();
    a = await hub(0);
    await receivedFromRelay(a.page, relay.url);
    await expectHubOnHand(a.page, HUB_B, ITEM, LATER);
    timings.push(`A saw B's donation ${Date.now() - t} ms after opening again`);
    await expectHubOnHand(a.page, `${HUB_A} (this hub)`, ITEM, FIRST);
    // A (the admin) tells the relay B is a member before closing.
    await uploadAll(a.page, relay.url);
    await a.context.close();

    // A's laptop is lost: a replacement, on an empty profile, joins by an invite and picks A's hub,
    // which arrives from the relay with the rest of the network.
    t = Date.now();
    const c = await hub(2);
    const cStarted = startedFromCheckpoint(c.page);
    await c.page.getByLabel('Join a network with an invite code').check();
    await c.page.getByLabel('Invite code', { exact: true }).fill(inviteC);
    await c.page.getByLabel('Name of this device').fill(DEVICE_C);
    await c.page.getByRole('button', { name: 'Join network' }).click();
    await c.page.getByRole('radio', { name: HUB_A, exact: true }).check();
    await c.page.getByRole('button', { name: 'Continue' }).click();
    await expect(c.page.getByRole('navigation', { name: 'Main' })).toContainText(HUB_A);
    await expectHubOnHand(c.page, `${HUB_A} (this hub)`, ITEM, FIRST);
    await expectHubOnHand(c.page, HUB_B, ITEM, LATER);
    timings.push(`the replacement had the network back ${Date.now() - t} ms after opening`);
    await expect.poll(cStarted).toBe(true);
    await c.context.close();

    // The relay holds blobs of A and B (and C's request to join), filed under a mailbox id.
    const held = await relayHolds(relay.url, inviteC);
    expect(held.mailbox).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Object.keys(held.heads).length).toBeGreaterThanOrEqual(2);

    // What the relay keeps on disk: no name and no quantity in the clear. The scan sees what is
    // there: the mailbox id, stored in the clear, is found.
    await relayProcess.stop();
    const files = filesUnder(dataDir);
    const found = (text: string) => files.some((f) => f.includes(Buffer.from(text, 'utf8')));
    expect(found(held.mailbox!)).toBe(true);
    for (const secret of [HUB_A, HUB_B, DEVICE_A, DEVICE_B, DEVICE_C, ITEM, 'lentils', FIRST, LATER])
      expect(found(String(secret)), `the relay's store holds "${secret}"`).toBe(false);
  } catch (error) {
    console.error(`relay output:\n${relayProcess.output()}`);
    throw error;
  } finally {
    console.log(`relay e2e (timings on a loaded machine mean little): ${timings.join('; ')}`);
    for (const context of open) await context.close().catch(() => undefined);
    await relayProcess.stop();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    for (const p of profiles) removeProfileDir(p);
  }
});
