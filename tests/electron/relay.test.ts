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
import {
  blobHash,
  checkpointPartMessage,
  mailboxIdOf,
  openRelayCheckpoint,
  sealRelayCheckpoint,
  type RelayCheckpoint,
  type ServerMessage,
} from '../../shared/sync/relay';
import { deviceIdOf, generateDeviceKeys, sign, type DeviceKeys } from '../../shared/trust/crypto';
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
  m?.type === 'refused'
    ? m.code
    : m?.type === 'ack'
      ? m.duplicate
        ? 'duplicate'
        : 'ack'
      : m?.type === 'checkpoint-ack'
        ? m.duplicate
          ? 'duplicate'
          : m.complete
            ? 'complete'
            : 'ack'
        : m?.type;
/** A new checkpoint id: 16 random bytes, base64url. */
const newCk = () => randomBytes(16).toString('base64url');
/** Leaves one part of a checkpoint of `device` (signed by `signer`, for `signedParts` parts unless said). */
async function putPart(
  c: RawClient,
  mailbox: string,
  device: DeviceKeys,
  ck: string,
  part: number,
  parts: number,
  bytes: Uint8Array,
  options: { signer?: DeviceKeys; signedParts?: number } = {},
) {
  const signer = options.signer ?? device;
  const signedParts = options.signedParts ?? parts;
  const sig = await sign(
    signer.privateKey,
    checkpointPartMessage(mailbox, device.publicKey, ck, part, signedParts, blobHash(bytes)),
  );
  return c.request({
    type: 'checkpoint-put',
    key: device.publicKey,
    ck,
    part,
    parts,
    blob: Buffer.from(bytes).toString('base64url'),
    sig,
  });
}
async function listed(c: RawClient): Promise<RelayCheckpoint[]> {
  const answer = await c.request({ type: 'checkpoint-list' });
  if (answer?.type !== 'checkpoints') throw new Error(`no list: ${JSON.stringify(answer)}`);
  return answer.checkpoints;
}
const getPart = (c: RawClient, device: DeviceKeys, ck: string, part: number) =>
  c.request({ type: 'checkpoint-get', device: deviceIdOf(device.publicKey), ck, part });
/** The bytes of a served part (null when refused). */
const partBytes = (m: ServerMessage | null) =>
  m?.type === 'checkpoint-part' ? new Uint8Array(Buffer.from(m.blob, 'base64url')) : null;
/** A member stated by the anchor. */
async function stated(c: RawClient, mailbox: string, net: TestNetwork, at = 1): Promise<DeviceKeys> {
  const keys = await generateDeviceKeys(random);
  expect(
    await c.state(mailbox, net.anchor, { key: keys.publicKey, role: 'member', cut: null, at }),
  ).toMatchObject({ accepted: 1 });
  return keys;
}

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

  it('tells a reader still taking a checkpoint part of nothing new, rather than cutting it off', async () => {
    // The default limits: a part of 8 MB is more than loopback's socket buffers take at once.
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const ck = newCk();
    const part = blob(8 * 1024 * 1024);
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 1, part))).toBe('complete');
    // A joining device asks for the part and reads it slowly (a slow link: here, not at all for a while).
    const reader = await member(r, net);
    const tcp = (reader.c.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const answer = getPart(reader.c, net.anchor, ck, 0);
    // Meanwhile another device uploads: each upload's 'new' push would put the reader past its limit.
    for (let seq = 1; r.stats().pushesSkipped === 0; seq++) {
      expect(seq).toBeLessThan(100);
      expect(code(await c.upload(mailbox, net.anchor, seq, blob(100)))).toBe('ack');
    }
    expect(r.stats().slowReaders).toBe(0);
    tcp.resume();
    // Compared as buffers: a deep comparison of 8 MB took the test runner most of a minute.
    expect(Buffer.from(partBytes(await answer)!).equals(part)).toBe(true);
    expect(reader.c.closed).toBeNull();
  }, 60_000);

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

describe('checkpoints', () => {
  it('lists a checkpoint once all its parts are in, and serves each part byte for byte', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const hub = await stated(c, mailbox, net);
    const ck = newCk();
    const parts = [blob(300), blob(200)];
    expect(code(await putPart(c, mailbox, hub, ck, 0, 2, parts[0]!))).toBe('ack');
    // Half a checkpoint is neither listed nor served.
    expect(await listed(c)).toEqual([]);
    expect(code(await getPart(c, hub, ck, 0))).toBe('not-found');
    expect(code(await putPart(c, mailbox, hub, ck, 1, 2, parts[1]!))).toBe('complete');
    expect(await listed(c)).toEqual([
      {
        device: deviceIdOf(hub.publicKey),
        key: hub.publicKey,
        ck,
        parts: 2,
        bytes: 500,
        at: expect.any(Number) as number,
      },
    ]);
    expect(await r.store.usedBytes(mailbox)).toBe(500);
    for (const [i, bytes] of parts.entries()) {
      const answer = await getPart(c, hub, ck, i);
      expect(answer).toMatchObject({
        type: 'checkpoint-part',
        device: deviceIdOf(hub.publicKey),
        key: hub.publicKey,
        ck,
        part: i,
        parts: 2,
      });
      expect(partBytes(answer)).toEqual(bytes);
      const sig = answer?.type === 'checkpoint-part' ? answer.sig : '';
      const { verifyEd25519 } = await import('../../electron/relay/store');
      expect(
        verifyEd25519(
          hub.publicKey,
          checkpointPartMessage(mailbox, hub.publicKey, ck, i, 2, blobHash(bytes)),
          sig,
        ),
      ).toBe(true);
    }
    // Another device (any connection of the mailbox) sees it too.
    const joiner = await member(r, net);
    expect((await listed(joiner.c)).map((k) => k.ck)).toEqual([ck]);
    expect(partBytes(await getPart(joiner.c, hub, ck, 1))).toEqual(parts[1]);
    expect(r.stats()).toMatchObject({ checkpointParts: 2, checkpointReads: 3 });
  });

  it('acknowledges a part again for the same bytes, and refuses other bytes, other part counts and bad places', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const ck = newCk();
    const first = blob(100);
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 2, first))).toBe('ack');
    const again = await putPart(c, mailbox, net.anchor, ck, 0, 2, first);
    expect(again).toMatchObject({ type: 'checkpoint-ack', ck, part: 0, duplicate: true, complete: false });
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 2, blob(100)))).toBe('taken');
    // The same checkpoint said to have another number of parts, for a part held or not.
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 3, first))).toBe('malformed');
    expect(code(await putPart(c, mailbox, net.anchor, ck, 2, 3, blob(100)))).toBe('malformed');
    // A part past the last.
    expect(code(await putPart(c, mailbox, net.anchor, newCk(), 2, 2, blob(100)))).toBe('malformed');
    expect(code(await putPart(c, mailbox, net.anchor, ck, 1, 2, blob(100)))).toBe('complete');
    expect(await putPart(c, mailbox, net.anchor, ck, 0, 2, first)).toMatchObject({
      duplicate: true,
      complete: true,
    });
    expect(await r.store.usedBytes(mailbox)).toBe(200);
    // Parts that are not there: past the last, of a checkpoint or a device the relay does not hold.
    expect(code(await getPart(c, net.anchor, ck, 2))).toBe('not-found');
    expect(code(await getPart(c, net.anchor, newCk(), 0))).toBe('not-found');
    expect(code(await getPart(c, await generateDeviceKeys(random), ck, 0))).toBe('not-found');
    expect(code(await c.request({ type: 'checkpoint-get', device: 'x', ck, part: 0 }))).toBe('malformed');
  });

  it('opens, on the far side, what sealRelayCheckpoint sealed into parts', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const ck = newCk();
    const bundle = blob(2500); // random: deflate does not shrink it, so it takes several parts
    const at = { mailbox, deviceKey: net.anchor.publicKey, ck };
    const sealed = await sealRelayCheckpoint(bundle, at, net.keys.blobKey, random, 1000);
    expect(sealed.length).toBe(3);
    for (const [i, part] of sealed.entries())
      expect(code(await putPart(c, mailbox, net.anchor, ck, i, sealed.length, part))).toBe(
        i === sealed.length - 1 ? 'complete' : 'ack',
      );
    const [listing] = await listed(c);
    const fetched: Uint8Array[] = [];
    for (let i = 0; i < listing!.parts; i++) fetched.push(partBytes(await getPart(c, net.anchor, ck, i))!);
    expect(await openRelayCheckpoint(fetched, at, net.keys.blobKey)).toEqual(bundle);
  });

  it('refuses a part not signed by the key it names, or signed for another place', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const thief = await generateDeviceKeys(random);
    const ck = newCk();
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 1, blob(), { signer: thief }))).toBe(
      'bad-signature',
    );
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 1, blob(), { signedParts: 2 }))).toBe(
      'bad-signature',
    );
    // Signed for another mailbox.
    const sig = await sign(
      net.anchor.privateKey,
      checkpointPartMessage('A'.repeat(43), net.anchor.publicKey, ck, 0, 1, blobHash(blob())),
    );
    const bytes = blob();
    expect(
      code(
        await c.request({
          type: 'checkpoint-put',
          key: net.anchor.publicKey,
          ck,
          part: 0,
          parts: 1,
          blob: Buffer.from(bytes).toString('base64url'),
          sig,
        }),
      ),
    ).toBe('bad-signature');
    expect(await listed(c)).toEqual([]);
    expect(await r.store.usedBytes(mailbox)).toBe(0);
  });

  it('takes none from a device no admin has stated, nor from a revoked one, and stops serving its earlier one', async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const newcomer = await generateDeviceKeys(random);
    // It may upload its request to join, not a checkpoint.
    expect(code(await c.upload(mailbox, newcomer, 1, blob()))).toBe('ack');
    expect(code(await putPart(c, mailbox, newcomer, newCk(), 0, 1, blob()))).toBe('not-member');
    const laptop = await stated(c, mailbox, net, 10);
    const ck = newCk();
    expect(code(await putPart(c, mailbox, laptop, ck, 0, 1, blob(100)))).toBe('complete');
    expect(code(await putPart(c, mailbox, net.anchor, newCk(), 0, 1, blob(100)))).toBe('complete');
    expect((await listed(c)).map((k) => k.key).sort()).toEqual(
      [laptop.publicKey, net.anchor.publicKey].sort(),
    );
    // Lost: revoked. Its checkpoint goes, and frees its bytes.
    const used = await r.store.usedBytes(mailbox);
    await c.state(mailbox, net.anchor, { key: laptop.publicKey, role: 'member', cut: 0, at: 20 });
    expect((await listed(c)).map((k) => k.key)).toEqual([net.anchor.publicKey]);
    expect(await r.store.usedBytes(mailbox)).toBe(used - 100);
    const left = await r.store.db.query<{ n: number | string }>(
      'SELECT count(*) AS n FROM relay_checkpoints WHERE mailbox = $1 AND device_key = $2',
      [mailbox, laptop.publicKey],
    );
    expect(Number(left.rows[0]!.n)).toBe(0);
    expect(code(await getPart(c, laptop, ck, 0))).toBe('not-found');
    expect(code(await putPart(c, mailbox, laptop, newCk(), 0, 1, blob(100)))).toBe('revoked');
    // The anchor too, once a statement revokes it.
    const admin = await stated(c, mailbox, net, 30);
    await c.state(mailbox, net.anchor, { key: admin.publicKey, role: 'admin', cut: null, at: 31 });
    await c.state(mailbox, admin, { key: net.anchor.publicKey, role: 'admin', cut: 0, at: 32 });
    expect(await listed(c)).toEqual([]);
    expect(code(await putPart(c, mailbox, net.anchor, newCk(), 0, 1, blob(100)))).toBe('revoked');
  });

  it("keeps a device's newest complete checkpoint, newest first, and one being uploaded", async () => {
    let clock = 1_000_000;
    const r = await relay({ now: () => clock });
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const laptop = await stated(c, mailbox, net);
    const older = newCk();
    clock += 1000;
    expect(code(await putPart(c, mailbox, laptop, older, 0, 2, blob(300)))).toBe('ack');
    expect(code(await putPart(c, mailbox, laptop, older, 1, 2, blob(300)))).toBe('complete');
    clock += 1000;
    const anchors = newCk();
    expect(code(await putPart(c, mailbox, net.anchor, anchors, 0, 1, blob(50)))).toBe('complete');
    expect((await listed(c)).map((k) => [k.ck, k.at])).toEqual([
      [anchors, 1_002_000],
      [older, 1_001_000],
    ]);
    expect(await r.store.usedBytes(mailbox)).toBe(650);
    // A newer one under way: the older is still what is listed, and both are kept.
    clock += 1000;
    const newer = newCk();
    expect(code(await putPart(c, mailbox, laptop, newer, 0, 2, blob(100)))).toBe('ack');
    expect((await listed(c)).map((k) => k.ck)).toEqual([anchors, older]);
    expect(await r.store.usedBytes(mailbox)).toBe(750);
    // Complete: it replaces the older, whose parts are gone and whose bytes are freed.
    clock += 1000;
    expect(code(await putPart(c, mailbox, laptop, newer, 1, 2, blob(100)))).toBe('complete');
    expect((await listed(c)).map((k) => [k.ck, k.at, k.bytes])).toEqual([
      [newer, 1_004_000, 200],
      [anchors, 1_002_000, 50],
    ]);
    expect(code(await getPart(c, laptop, older, 0))).toBe('not-found');
    expect(code(await getPart(c, laptop, older, 1))).toBe('not-found');
    expect(await r.store.usedBytes(mailbox)).toBe(250);
    const rows = await db.query<{ n: number | string }>(
      'SELECT count(*) AS n FROM relay_checkpoints WHERE mailbox = $1',
      [mailbox],
    );
    expect(Number(rows.rows[0]!.n)).toBe(3);
  });

  it("drops a device's incomplete checkpoint when it starts another", async () => {
    const r = await relay();
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const done = newCk();
    expect(code(await putPart(c, mailbox, net.anchor, done, 0, 1, blob(300)))).toBe('complete');
    const abandoned = newCk();
    expect(code(await putPart(c, mailbox, net.anchor, abandoned, 0, 3, blob(400)))).toBe('ack');
    expect(code(await putPart(c, mailbox, net.anchor, abandoned, 1, 3, blob(400)))).toBe('ack');
    expect(await r.store.usedBytes(mailbox)).toBe(1100);
    const next = newCk();
    expect(code(await putPart(c, mailbox, net.anchor, next, 0, 2, blob(100)))).toBe('ack');
    // The abandoned one's 800 bytes are freed; the complete one stays listed.
    expect(await r.store.usedBytes(mailbox)).toBe(400);
    expect((await listed(c)).map((k) => k.ck)).toEqual([done]);
    // Its last part now starts it over, alone (its other parts are gone): it never completes from before.
    expect(code(await putPart(c, mailbox, net.anchor, abandoned, 2, 3, blob(400)))).toBe('ack');
    expect(await r.store.usedBytes(mailbox)).toBe(700);
    expect(code(await putPart(c, mailbox, net.anchor, next, 0, 2, blob(100)))).toBe('ack');
    expect(code(await putPart(c, mailbox, net.anchor, next, 1, 2, blob(100)))).toBe('complete');
    expect((await listed(c)).map((k) => k.ck)).toEqual([next]);
    expect(await r.store.usedBytes(mailbox)).toBe(200);
  });

  it('keeps checkpoints within the mailbox quota, counting what a new one frees', async () => {
    const r = await relay({ quotaBytes: 2500 });
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    expect(code(await c.upload(mailbox, net.anchor, 1, blob(1000)))).toBe('ack');
    expect(code(await putPart(c, mailbox, net.anchor, newCk(), 0, 2, blob(1000)))).toBe('ack');
    // 3000 bytes without the incomplete one it replaces: taken.
    const ck = newCk();
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 2, blob(1000)))).toBe('ack');
    expect(await r.store.usedBytes(mailbox)).toBe(2000);
    expect(code(await putPart(c, mailbox, net.anchor, ck, 1, 2, blob(1000)))).toBe('quota');
    expect(await r.store.usedBytes(mailbox)).toBe(2000);
    expect(code(await c.upload(mailbox, net.anchor, 2, blob(501)))).toBe('quota');
    expect(code(await putPart(c, mailbox, net.anchor, ck, 1, 2, blob(500)))).toBe('complete');
    expect(await r.store.usedBytes(mailbox)).toBe(2500);
  });

  it('spends the upload budget and refuses a part over the blob size', async () => {
    const r = await relay({ uploadsPerMinute: 4, maxBlobBytes: 1000 });
    const net = await testNetwork();
    const { c, mailbox } = await member(r, net);
    const ck = newCk();
    const first = blob(100);
    expect(code(await c.upload(mailbox, net.anchor, 1, blob()))).toBe('ack');
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 3, first))).toBe('ack');
    // Repeated and refused parts cost as much.
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 3, first))).toBe('duplicate');
    expect(code(await putPart(c, mailbox, net.anchor, ck, 0, 3, blob(100)))).toBe('taken');
    expect(code(await putPart(c, mailbox, net.anchor, ck, 1, 3, blob(100)))).toBe('rate');
    expect(code(await c.upload(mailbox, net.anchor, 2, blob()))).toBe('rate');
    expect(code(await putPart(c, mailbox, net.anchor, ck, 1, 3, blob(1001)))).toBe('too-large');
  });
});
