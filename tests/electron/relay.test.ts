/**
 * The relay's rules, through its protocol: who may read and write a mailbox, what a forged or replayed
 * upload gets, and every limit. One PGlite store (opened once: it takes seconds) is shared by relays
 * started with different limits.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openPglite, type Db } from '../../electron/relay/db';
import { startRelay, type RelayOptions, type RelayServer } from '../../electron/relay/server';
import { blobHash, mailboxIdOf, type ServerMessage } from '../../shared/sync/relay';
import { deviceIdOf, generateDeviceKeys, type DeviceKeys } from '../../shared/trust/crypto';
import { random, RawClient, testNetwork, type TestNetwork } from './relay-client';

let dir: string;
let db: Db;
const relays: RelayServer[] = [];
const clients: RawClient[] = [];

async function relay(options: RelayOptions = {}): Promise<RelayServer> {
  const r = await startRelay({ port: 0, db, ...options });
  relays.push(r);
  return r;
}
async function client(r: RelayServer): Promise<RawClient> {
  const c = await RawClient.open(r.url);
  clients.push(c);
  return c;
}
/** A connected client in the network's mailbox (created by the anchor's key if needed). */
async function member(r: RelayServer, net: TestNetwork): Promise<{ c: RawClient; mailbox: string }> {
  const c = await client(r);
  const welcome = await c.hello(net);
  return { c, mailbox: welcome!.mailbox! };
}
const blob = (n = 64) => new Uint8Array(randomBytes(n));
const code = (m: ServerMessage | null) =>
  m?.type === 'refused' ? m.code : m?.type === 'ack' ? (m.duplicate ? 'duplicate' : 'ack') : m?.type;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'larder-relay-rules-'));
  db = await openPglite(dir);
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const r of relays) await r.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reading a mailbox', () => {
  it('takes a proof of the read key, and files the network under the anchor it names', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { mailbox } = await member(r, net);
    expect(mailbox).toBe(mailboxIdOf(net.keys.readKey, net.anchor.publicKey));
    // A device that does not know the anchor's key yet (it just joined) finds the same mailbox.
    const joiner = await client(r);
    expect(await joiner.hello(net, { anchorKey: null })).toMatchObject({
      mailbox,
      anchorKey: net.anchor.publicKey,
    });
  });

  it('closes a connection whose proof does not verify, or that asks before proving', async () => {
    const r = await relay();
    const net = await testNetwork();
    const other = await testNetwork();
    const c = await client(r);
    const nonce = await c.challenge();
    c.send({
      type: 'hello',
      protocol: 'larder-relay-1',
      read: net.keys.readKey,
      anchor: net.anchorId,
      // signed with another network's read key
      proof: (await import('../../shared/sync/relay')).proveRead(other.keys, nonce, net.anchorId),
    });
    expect((await c.closedWith()).code).toBe(1008);
    const early = await client(r);
    await early.challenge();
    early.send({ type: 'fetch', id: 1, cursor: {} });
    expect((await early.closedWith()).code).toBe(1008);
    expect(r.stats().proofFailures).toBe(2);
  });

  it('refuses an anchor key that is not the anchor the network names', async () => {
    const r = await relay();
    const net = await testNetwork();
    const impostor = await generateDeviceKeys(random);
    const c = await client(r);
    expect(await c.hello(net, { anchorKey: impostor.publicKey })).toBeNull();
    expect((await c.closedWith()).code).toBe(1008);
  });

  it('refuses a cursor naming more devices than a mailbox can hold', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c } = await member(r, net);
    const cursor = Object.fromEntries(
      Array.from({ length: 10_001 }, (_, i) => [`d${String(i).padStart(7, '0')}`, 1]),
    );
    expect(code(await c.request({ type: 'fetch', cursor }))).toBe('malformed');
    expect(code(await c.request({ type: 'fetch', cursor: {} }))).toBe('blobs');
  });

  it('with no mailbox yet and no anchor key to make one, holds nothing', async () => {
    const r = await relay();
    const net = await testNetwork();
    const c = await client(r);
    expect(await c.hello(net, { anchorKey: null })).toMatchObject({ mailbox: null, heads: {} });
    expect(code(await c.request({ type: 'fetch', cursor: {} }))).toBe('no-mailbox');
  });
});

describe('writing a mailbox', () => {
  it('acknowledges a re-upload of the same blob once more, refuses another blob at a taken number, and gaps', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const first = blob();
    expect(code(await c.upload(mailbox, net.anchor, 1, first))).toBe('ack');
    expect(code(await c.upload(mailbox, net.anchor, 1, first))).toBe('duplicate');
    expect(code(await c.upload(mailbox, net.anchor, 1, blob()))).toBe('taken');
    expect(code(await c.upload(mailbox, net.anchor, 3, blob()))).toBe('gap');
    expect(code(await c.upload(mailbox, net.anchor, 2, blob()))).toBe('ack');
    const page = await c.request({ type: 'fetch', cursor: {} });
    expect(page).toMatchObject({ type: 'blobs', more: false });
    const blobs = page?.type === 'blobs' ? page.blobs : [];
    expect(blobs.map((b) => [b.device, b.seq])).toEqual([
      [deviceIdOf(net.anchor.publicKey), 1],
      [deviceIdOf(net.anchor.publicKey), 2],
    ]);
    expect(blobHash(new Uint8Array(Buffer.from(blobs[0]!.blob, 'base64url')))).toBe(blobHash(first));
    expect(
      await c.request({ type: 'fetch', cursor: { [deviceIdOf(net.anchor.publicKey)]: 2 } }),
    ).toMatchObject({
      blobs: [],
    });
  });

  it('refuses a forged upload: signed by another key, or a blob other than the one signed', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const thief = await generateDeviceKeys(random);
    // The anchor's key named, a thief's signature.
    expect(code(await c.upload(mailbox, net.anchor, 1, blob(), thief))).toBe('bad-signature');
    // A real signature, over other bytes.
    const signedFor = await c.upload(mailbox, net.anchor, 1, blob());
    expect(code(signedFor)).toBe('ack');
    const sig = (await import('../../shared/trust/crypto')).sign;
    const { blobMessage } = await import('../../shared/sync/relay');
    const s = await sig(
      net.anchor.privateKey,
      blobMessage(mailbox, net.anchor.publicKey, 2, blobHash(blob())),
    );
    const answer = await c.request({
      type: 'upload',
      key: net.anchor.publicKey,
      seq: 2,
      blob: Buffer.from(blob()).toString('base64url'),
      sig: s,
    });
    expect(code(answer)).toBe('bad-signature');
    // Signed for another mailbox: a blob cannot be replayed into another network's mailbox.
    const elsewhere = await testNetwork();
    const other = await member(r, { ...elsewhere, anchor: net.anchor, anchorId: net.anchorId });
    const raw = blob();
    const forMailbox = await sig(
      net.anchor.privateKey,
      blobMessage(mailbox, net.anchor.publicKey, 1, blobHash(raw)),
    );
    const replayed = await other.c.request({
      type: 'upload',
      key: net.anchor.publicKey,
      seq: 1,
      blob: Buffer.from(raw).toString('base64url'),
      sig: forMailbox,
    });
    expect(code(replayed)).toBe('bad-signature');
  });

  it('takes only a little from a device no admin has stated, and what admins state after', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const newcomer = await generateDeviceKeys(random);
    for (let seq = 1; seq <= 4; seq++)
      expect(code(await c.upload(mailbox, newcomer, seq, blob()))).toBe('ack');
    expect(code(await c.upload(mailbox, newcomer, 5, blob()))).toBe('not-member');
    const big = await generateDeviceKeys(random);
    expect(code(await c.upload(mailbox, big, 1, blob(300 * 1024)))).toBe('not-member');
    // A member that is not an admin cannot admit anyone.
    const hub = await generateDeviceKeys(random);
    expect(
      await c.state(mailbox, net.anchor, { key: hub.publicKey, role: 'member', cut: null, at: 1 }),
    ).toMatchObject({
      accepted: 1,
    });
    const byHub = await c.state(mailbox, hub, { key: newcomer.publicKey, role: 'member', cut: null, at: 2 });
    expect(byHub).toMatchObject({ accepted: 0, refused: [expect.stringContaining('not an admin')] });
    expect(code(await c.upload(mailbox, newcomer, 5, blob()))).toBe('not-member');
    // A forged statement (the anchor named, another key's signature) does not count either.
    const forged = await c.request({
      type: 'members',
      statements: [
        {
          p: JSON.stringify({
            t: 'relay-member',
            mailbox,
            key: newcomer.publicKey,
            role: 'admin',
            cut: null,
            at: 3,
          }),
          by: net.anchor.publicKey,
          s: 'A'.repeat(86),
        },
      ],
    });
    expect(forged).toMatchObject({ accepted: 0 });
    // The anchor admits it: it may write on.
    await c.state(mailbox, net.anchor, { key: newcomer.publicKey, role: 'member', cut: null, at: 4 });
    expect(code(await c.upload(mailbox, newcomer, 5, blob(300 * 1024)))).toBe('ack');
  });

  it('refuses a revoked device’s uploads after its cut-off, and keeps it revoked', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const laptop = await generateDeviceKeys(random);
    const admin = await generateDeviceKeys(random);
    await c.state(mailbox, net.anchor, { key: laptop.publicKey, role: 'member', cut: null, at: 10 });
    await c.state(mailbox, net.anchor, { key: admin.publicKey, role: 'admin', cut: null, at: 10 });
    const blobs = [blob(), blob(), blob()];
    for (const [i, b] of blobs.entries()) expect(code(await c.upload(mailbox, laptop, i + 1, b))).toBe('ack');
    // Lost: an admin revokes it after its second blob.
    expect(
      await c.state(mailbox, admin, { key: laptop.publicKey, role: 'member', cut: 2, at: 20 }),
    ).toMatchObject({
      accepted: 1,
    });
    expect(code(await c.upload(mailbox, laptop, 4, blob()))).toBe('revoked');
    expect(code(await c.upload(mailbox, laptop, 2, blobs[1]!))).toBe('duplicate');
    // Neither an older statement nor a newer approval makes it a member again.
    await c.state(mailbox, net.anchor, { key: laptop.publicKey, role: 'member', cut: null, at: 15 });
    await c.state(mailbox, net.anchor, { key: laptop.publicKey, role: 'admin', cut: null, at: 30 });
    expect(code(await c.upload(mailbox, laptop, 4, blob()))).toBe('revoked');
    // A revoked admin's statements do not count.
    await c.state(mailbox, net.anchor, { key: admin.publicKey, role: 'admin', cut: 0, at: 40 });
    const stranger: DeviceKeys = await generateDeviceKeys(random);
    expect(
      await c.state(mailbox, admin, { key: stranger.publicKey, role: 'admin', cut: null, at: 50 }),
    ).toMatchObject({ accepted: 0 });
  });

  it('tells the other connections of the mailbox that something new arrived', async () => {
    const r = await relay();
    const net = await testNetwork();
    const writer = await member(r, net);
    const reader = await member(r, net);
    await writer.c.upload(writer.mailbox, net.anchor, 1, blob());
    expect(await reader.c.until((m): m is ServerMessage => m.type === 'new')).toMatchObject({
      device: deviceIdOf(net.anchor.publicKey),
      seq: 1,
    });
  });
});

describe('the store', () => {
  it("keeps each device's head as it uploads, and fills them from the blobs of a store made before", async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const laptop = await generateDeviceKeys(random);
    await c.state(mailbox, net.anchor, { key: laptop.publicKey, role: 'member', cut: null, at: 1 });
    for (let seq = 1; seq <= 3; seq++) await c.upload(mailbox, net.anchor, seq, blob());
    await c.upload(mailbox, laptop, 1, blob());
    const expected = { [deviceIdOf(net.anchor.publicKey)]: 3, [deviceIdOf(laptop.publicKey)]: 1 };
    expect(await r.store.heads(mailbox)).toEqual(expected);
    // A store from before the heads were kept: migrating it fills them in.
    await db.query('DROP TABLE relay_heads');
    await migrate(db);
    expect(await r.store.heads(mailbox)).toEqual(expected);
    const again = await client(r);
    expect(await again.hello(net)).toMatchObject({ heads: expected });
  });
});

describe('limits', () => {
  it('refuses a blob over the size limit, and closes a connection that sends a larger frame', async () => {
    const r = await relay({ maxBlobBytes: 1000 });
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    expect(code(await c.upload(mailbox, net.anchor, 1, blob(1001)))).toBe('too-large');
    expect(code(await c.upload(mailbox, net.anchor, 1, blob(1000)))).toBe('ack');
    c.sendRaw('x'.repeat(10_000));
    expect((await c.closedWith()).code).toBe(1009);
  });

  it('limits uploads per device per minute', async () => {
    const r = await relay({ uploadsPerMinute: 3 });
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    for (let seq = 1; seq <= 3; seq++)
      expect(code(await c.upload(mailbox, net.anchor, seq, blob()))).toBe('ack');
    expect(code(await c.upload(mailbox, net.anchor, 4, blob()))).toBe('rate');
  });

  it('keeps each mailbox within its quota', async () => {
    const r = await relay({ quotaBytes: 2500 });
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    expect(code(await c.upload(mailbox, net.anchor, 1, blob(1000)))).toBe('ack');
    expect(code(await c.upload(mailbox, net.anchor, 2, blob(1000)))).toBe('ack');
    expect(code(await c.upload(mailbox, net.anchor, 3, blob(1000)))).toBe('quota');
    // Another network's mailbox has its own.
    const other = await testNetwork();
    const o = await member(r, other);
    expect(code(await o.c.upload(o.mailbox, other.anchor, 1, blob(1000)))).toBe('ack');
  });

  it('closes a connection that never says hello, and one that stays idle', async () => {
    const r = await relay({ helloTimeoutMs: 300, idleTimeoutMs: 600 });
    const silent = await client(r);
    expect((await silent.closedWith()).code).toBe(1008);
    const net = await testNetwork();
    const idle = await member(r, net);
    expect(await idle.c.closedWith()).toBeTruthy();
  });

  it('cuts off a reader that does not read what it asked for', async () => {
    const r = await relay({ maxBlobBytes: 600_000, pageBytes: 600_000, maxBufferedBytes: 256 * 1024 });
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    for (let seq = 1; seq <= 4; seq++)
      expect(code(await c.upload(mailbox, net.anchor, seq, blob(500_000)))).toBe('ack');
    // Stops reading from its socket, and keeps asking for everything.
    const tcp = (c.socket as unknown as { _socket: { pause(): void } })._socket;
    tcp.pause();
    for (let i = 0; i < 200 && !c.closed && r.stats().slowReaders === 0; i++) {
      c.send({ type: 'fetch', id: 1000 + i, cursor: {} });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await expect.poll(() => r.stats().slowReaders, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
