import { expect, test, type BrowserContext } from '@playwright/test';
import WebSocket from 'ws';
import { startSignalingServer, type SignalingServer } from '../../electron/signaling/server';
import { parseInvite, encodeInvite } from '../../shared/sync/invite';
import { deriveSecrets } from '../../shared/sync/keys';
import { topicAuthFor } from '../../shared/sync/roomAuth';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import {
  addItem,
  addLine,
  addSyncServer,
  donate,
  expectConnected,
  expectRadiosOnTheirLine,
  expectHubOnHand,
  goTo,
  inviteCode,
  joinAsNewHub,
  setUpHub,
} from './steps';
import { messageForLog } from '../../shared/messages';

/** Every host each page talks to: must be 127.0.0.1 only (the app and the project's signaling server). */
function recordHosts(context: BrowserContext, hosts: Set<string>): void {
  context.on('request', (r) => hosts.add(new URL(r.url()).host));
  context.on('page', (p) => p.on('websocket', (ws) => hosts.add(new URL(ws.url()).host)));
  for (const p of context.pages()) p.on('websocket', (ws) => hosts.add(new URL(ws.url()).host));
}

/** y-webrtc's encrypted envelope starts with the var-string "AES-GCM" (length 7, then the name). */
const AES_GCM_HEADER = new Uint8Array([7, ...Buffer.from('AES-GCM')]);

/** Splits what the eavesdropper heard into the JSON text without `data` fields, and the decoded `data` fields. */
function splitSignaling(heard: readonly string[]): { text: string; payloads: Uint8Array[] } {
  const payloads: Uint8Array[] = [];
  const text = heard
    .map((raw) => {
      const message = JSON.parse(raw) as Record<string, unknown>;
      // Topics and challenges are random base64url, where a short word could turn up by chance.
      if (typeof message.topic === 'string') message.topic = '<topic>';
      if (typeof message.nonce === 'string') message.nonce = '<nonce>';
      if (typeof message.data === 'string') {
        payloads.push(new Uint8Array(Buffer.from(message.data, 'base64')));
        message.data = '<payload>';
      }
      return JSON.stringify(message);
    })
    .join('\n');
  return { text, payloads };
}

/**
 * A raw client of the signaling server that hears what the server relays on the network's topics of
 * the day. The server demands a proof of each topic's key (docs/signaling.md), so this listener needs
 * the network key: it hears what a curious server would, which has the topics but not the key.
 */
async function eavesdrop(url: string, networkKey: Uint8Array, heard: string[]): Promise<WebSocket> {
  const ws = new WebSocket(url);
  const auth = topicAuthFor(networkKey);
  ws.on('message', (data) => {
    heard.push(data.toString());
    const message = JSON.parse(data.toString()) as { type?: string; nonce?: string };
    if (message.type !== 'challenge' || !message.nonce) return;
    const topics = auth.topics();
    ws.send(
      JSON.stringify({ type: 'subscribe', topics, proofs: topics.map((t) => auth.prove(t, message.nonce!)) }),
    );
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

/** A listener that knows the network's topic but not its key (a server, or someone who read its logs). */
async function closedWithoutTheKey(url: string, topic: string): Promise<number> {
  const ws = new WebSocket(url);
  const heard: string[] = [];
  ws.on('message', (data) => {
    heard.push(data.toString());
    ws.send(JSON.stringify({ type: 'subscribe', topics: [topic], proofs: ['A'.repeat(86)] }));
  });
  const code = await new Promise<number>((resolve) => ws.once('close', resolve));
  expect(heard.filter((m) => m.includes('"publish"'))).toEqual([]);
  return code;
}

test('three hubs sync over real WebRTC on loopback, privately', async ({ baseURL }) => {
  test.setTimeout(240_000);
  const profiles = ['a', 'b', 'c', 'd'].map((n) => newProfileDir(`sync-${n}`));
  const hosts = new Set<string>();
  let signal: SignalingServer | null = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const contexts: BrowserContext[] = [];
  const open = async (i: number) => {
    const hub = await openHub(profiles[i]!, baseURL!);
    recordHosts(hub.context, hosts);
    contexts.push(hub.context);
    return hub;
  };
  try {
    const a = await open(0);
    await setUpHub(a.page, 'Hub A', 'A laptop');
    await addSyncServer(a.page, signal.url);
    await addItem(a.page, { name: 'Rice 2 lb bag', unit: 'bag' });
    await addItem(a.page, { name: 'Canned beans', unit: 'can' });
    const invite = await inviteCode(a.page);
    expect(invite).toMatch(/^LARDER1-/);

    // A curious signaling server: it sees only the day's topic and encrypted blobs.
    const parsed = parseInvite(invite);
    if (!parsed.ok) throw new Error(messageForLog(parsed.message));
    const secrets = await deriveSecrets(parsed.invite.key);
    const heard: string[] = [];
    const spy = await eavesdrop(signal.url, parsed.invite.key, heard);

    const b = await open(1);
    await joinAsNewHub(b.page, invite, 'Hub B', 'B tablet');
    const c = await open(2);
    await joinAsNewHub(c.page, await inviteCode(a.page), 'Hub C', 'C laptop');
    await expectConnected(a.page, 2);
    await expectConnected(b.page, 2);
    await expectConnected(c.page, 2);

    // Record at each hub; every device shows the same stock for every hub.
    await donate(a.page, 'rice', '30');
    await donate(b.page, 'rice', '10');
    await donate(c.page, 'beans', '7');
    for (const [page, own] of [
      [a.page, 'Hub A'],
      [b.page, 'Hub B'],
      [c.page, 'Hub C'],
    ] as const) {
      const label = (hub: string) => (hub === own ? `${hub} (this hub)` : hub);
      await expectHubOnHand(page, label('Hub A'), 'Rice 2 lb bag', 30);
      await expectHubOnHand(page, label('Hub B'), 'Rice 2 lb bag', 10);
      await expectHubOnHand(page, label('Hub C'), 'Canned beans', 7);
    }

    // Hub C goes offline; A and B keep recording; C catches up when it comes back.
    await c.context.close();
    // A and B stop counting C within seconds, when ICE hears nothing from it (7 s from the start of the
    // close, measured once on a loaded machine), not when its connection times out (15 s and more; this
    // failed at 10 s before). C leaves without a goodbye, as a shut lid does; a window closed normally
    // says goodbye first (y-webrtc's beforeunload).
    for (const page of [a.page, b.page])
      await expect(page.getByRole('status', { name: 'Sync status' })).toContainText(
        'Online · 1 device connected',
        { timeout: 10_000 },
      );
    await goTo(a.page, 'Record pickup');
    await addLine(a.page, 'rice', '4');
    await a.page.getByRole('button', { name: 'Save pickup' }).click();
    await expect(
      a.page.getByRole('main').getByRole('status').filter({ hasText: 'Saved pickup' }),
    ).toBeVisible();
    await donate(b.page, 'beans', '2');
    const c2 = await open(2);
    await expectConnected(c2.page, 2);
    await expectHubOnHand(c2.page, 'Hub A', 'Rice 2 lb bag', 26);
    await expectHubOnHand(c2.page, 'Hub B', 'Canned beans', 2);

    // The signaling server goes away after the peers are connected: sync goes on.
    spy.close();
    await signal.close();
    signal = null;
    await donate(c2.page, 'rice', '5');
    await expectHubOnHand(a.page, 'Hub C', 'Rice 2 lb bag', 5);
    await expectHubOnHand(b.page, 'Hub C', 'Rice 2 lb bag', 5);

    // A fourth browser with the right network id but a wrong key, on the same signaling server, gets nothing.
    signal = await startSignalingServer({ host: '127.0.0.1', port: 0 });
    for (const page of [a.page, b.page, c2.page]) await addSyncServer(page, signal.url);
    const forged = encodeInvite({
      networkId: parsed.invite.networkId,
      key: new Uint8Array(32).fill(7),
      signaling: [signal.url],
    });
    // The stranger's key gives it another room: a listener there hears it announce itself.
    const strangerHeard: string[] = [];
    const strangerSpy = await eavesdrop(signal.url, new Uint8Array(32).fill(7), strangerHeard);
    const d = await open(3);
    await d.page.getByLabel('Join a network with an invite code').check();
    await d.page.getByLabel('Invite code', { exact: true }).fill(forged);
    await d.page.getByLabel('Name of this device').fill('Stranger');
    await d.page.getByRole('button', { name: 'Join network' }).click();
    await expect(d.page.getByRole('heading', { name: 'Which hub is this device at?' })).toBeVisible();
    // Wait on state, not time: once the stranger has announced itself through the server, it has had
    // its chance; still only "A new hub" is offered (no hub of the network arrived).
    await expect
      .poll(() => strangerHeard.filter((m) => m.includes('"publish"')).length, { timeout: 30_000 })
      .toBeGreaterThan(0);
    strangerSpy.close();
    await expect(d.page.getByRole('radio')).toHaveCount(1);
    await expectRadiosOnTheirLine(d.page, ['A new hub']);
    await expect(d.page.getByText('Waiting for the network’s data.', { exact: false })).toBeVisible();
    await expectConnected(a.page, 2);

    // Privacy: nothing but 127.0.0.1 was contacted; the signaling server saw no names and no entries.
    for (const host of hosts) expect(host, `unexpected host ${host}`).toMatch(/^127\.0\.0\.1:\d+$/);
    // The page's CSP lets WebSockets reach the configured sync servers only, not any ws: host.
    const blocked = await a.page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          document.addEventListener(
            'securitypolicyviolation',
            (e) => resolve(`${e.violatedDirective} ${e.blockedURI}`),
            {
              once: true,
            },
          );
          try {
            new WebSocket('ws://127.0.0.2:9/');
          } catch (error) {
            resolve(`threw ${String(error)}`);
          }
        }),
    );
    expect(blocked).toMatch(/connect-src|Content Security Policy/);
    expect(heard.length).toBeGreaterThan(0);
    expect(secrets.room).toMatch(/^larder-[0-9a-f]{32}$/);
    // The room name never goes to the server; knowing the day's topic without the key gets a listener closed.
    expect(heard.join('\n')).not.toContain(secrets.room);
    const [topic] = topicAuthFor(parsed.invite.key).topics();
    expect(heard.some((m) => m.includes(topic!))).toBe(true);
    expect(await closedWithoutTheKey(signal.url, topic!)).toBe(1008);
    // The messages' text outside their `data` fields is checked as text. The `data` fields are
    // ciphertext in base64, where a short word such as "sdp" turns up by chance (about once in
    // 260,000 positions), so they are decoded and checked as bytes: each must be y-webrtc's
    // AES-GCM envelope and hold none of the names, entries or SDP words in the clear.
    const { text, payloads } = splitSignaling(heard);
    expect(payloads.length).toBeGreaterThan(0);
    for (const payload of payloads) expect(payload.subarray(0, 8)).toEqual(AES_GCM_HEADER);
    for (const secret of [
      'Hub A',
      'Hub B',
      'Hub C',
      'Rice',
      'beans',
      'A laptop',
      'B tablet',
      'sdp',
      'candidate',
    ]) {
      expect(text, `signaling traffic contains "${secret}"`).not.toContain(secret);
      if (secret.length >= 4) {
        const needle = Buffer.from(secret);
        for (const payload of payloads)
          expect(Buffer.from(payload).includes(needle), `a signaling payload contains "${secret}"`).toBe(
            false,
          );
      }
    }
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await signal?.close();
    for (const p of profiles) removeProfileDir(p);
  }
});
