// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { startRelay, type RelayOptions, type RelayServer } from '../../electron/relay/server';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { syncWithRelay, type SocketFactory } from '../../renderer/sync/relay';
import { blobHash, type ServerMessage } from '../../shared/sync/relay';
import { deviceIdOf, generateDeviceKeys } from '../../shared/trust/crypto';
import { FakeClock, Prng, START } from '../renderer/replicas';
import {
  POSTGRES_MISSING,
  postgresBinaries,
  postgresRequired,
  startPostgres,
  type PostgresCluster,
} from './postgres-cluster';
import { random, RawClient, testNetwork } from './relay-client';

/**
 * Several relay processes in front of one PostgreSQL server (docs/scaling.md): a throw-away cluster of
 * Debian's `postgresql` on loopback, relays on it in this process and as `npm run relay -- --database`
 * children. Devices on different instances converge; sequence numbers, upload budgets and the 'new' push
 * work across instances; killing an instance (SIGKILL) loses nothing it acknowledged.
 *
 * Without PostgreSQL installed these tests are left out with a message, unless CI (or
 * LARDER_REQUIRE_POSTGRES=1) says it must be there: then the file fails.
 */
const PG_PORT = Number(process.env.LARDER_TEST_PG_PORT ?? 54329);
const available = postgresBinaries() !== null;
if (!available && postgresRequired())
  throw new Error(`${POSTGRES_MISSING}. CI (or LARDER_REQUIRE_POSTGRES=1) requires them for this test.`);
if (!available) console.warn(`relay-postgres.test.ts left out: ${POSTGRES_MISSING}`);

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const connect: SocketFactory = (url) => new WebSocket(url) as never;
let cluster: PostgresCluster;
const relays: RelayServer[] = [];
const clients: RawClient[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

async function relay(options: RelayOptions = {}): Promise<RelayServer> {
  const r = await startRelay({ port: 0, database: cluster.url, ...options });
  relays.push(r);
  return r;
}
async function client(url: string): Promise<RawClient> {
  const c = await RawClient.open(url);
  clients.push(c);
  return c;
}
const code = (m: ServerMessage | null) =>
  m?.type === 'refused' ? m.code : m?.type === 'ack' ? (m.duplicate ? 'duplicate' : 'ack') : m?.type;

/** `npm run relay -- --database ...` as a child process (node with tsx's loader: SIGKILL reaches it). */
async function childRelay(): Promise<{ url: string; proc: ChildProcessWithoutNullStreams }> {
  const args = ['--import', 'tsx', 'electron/relay/cli.ts', '--port', '0', '--quiet'];
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, LARDER_RELAY_DATABASE: cluster.url },
  });
  children.push(proc);
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const url = /^ {2}(ws:\/\/\S+)$/m.exec(out)?.[1];
    if (url) return { url, proc };
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the relay did not start:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function kill9(proc: ChildProcessWithoutNullStreams): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
}

/** Every blob of the mailbox the relay at `url` serves, by sequence number of the one device. */
async function held(c: RawClient): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const cursor: Record<string, number> = {};
  for (;;) {
    const page = await c.request({ type: 'fetch', cursor });
    if (page?.type !== 'blobs') throw new Error(JSON.stringify(page));
    for (const b of page.blobs) {
      out.set(b.seq, blobHash(new Uint8Array(Buffer.from(b.blob, 'base64url'))));
      cursor[b.device] = b.seq;
    }
    if (!page.more) return out;
  }
}

beforeAll(async () => {
  if (available) cluster = await startPostgres(PG_PORT);
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const r of relays) await r.close();
  for (const proc of children) await kill9(proc);
  await cluster?.stop();
});

describe.skipIf(!available)('two relay instances on one PostgreSQL', () => {
  it('a device on instance A and a device on instance B converge', async () => {
    const [relayA, relayB] = [await relay(), await relay()];
    const clock = new FakeClock(START);
    const rng = new Prng(29);
    let n = 0;
    const device = async () => {
      const r = rng.fork();
      const store = await LarderStore.open(new LarderDB(`larder-relay-pg-${process.pid}-${++n}`), {
        now: clock.now,
        randomBytes: (k) => r.bytes(k),
      });
      await store.ready;
      return store;
    };
    const onHand = async (store: LarderStore, hub: string, item: string) =>
      (await store.db.stock.get(`${hub}|${item}`))?.onHand ?? 0;
    const viaA = (s: LarderStore) => syncWithRelay(s, relayA.url, { connect, timeoutMs: 30_000 });
    const viaB = (s: LarderStore) => syncWithRelay(s, relayB.url, { connect, timeoutMs: 30_000 });

    const a = await device();
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Desk' });
    const rice = (
      await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' })
    ).id;
    await a.recordDonation({ source: 'individual', lines: [{ item: rice, quantity: '40' }] });
    const invite = await a.preApprovedInvite('hub');
    expect(await viaA(a)).toMatchObject({ uploaded: 1, waiting: null, refused: 0 });
    const hubA = a.self!.hubId!;

    const b = await device();
    await b.joinNetwork({ invite, deviceName: 'Church laptop' });
    expect((await viaB(b)).downloaded).toBe(1);
    expect(await onHand(b, hubA, rice)).toBe(40);
    await b.chooseHub({ newHubName: 'Westside Church' });
    await b.recordDonation({ source: 'business', lines: [{ item: rice, quantity: '7' }] });
    expect(await viaB(b)).toMatchObject({ uploaded: 1, waiting: null });
    const hubB = b.self!.hubId!;

    // A takes B's request and entries through the other instance, and states B a member.
    const back = await viaA(a);
    expect(back.downloaded).toBe(1);
    expect(back.statements).toBeGreaterThanOrEqual(1);
    expect(await onHand(a, hubB, rice)).toBe(7);
    await b.recordDonation({ source: 'business', lines: [{ item: rice, quantity: '5' }] });
    expect(await viaB(b)).toMatchObject({ waiting: null, refused: 0 });
    await viaA(a);
    await viaB(b);
    expect(await onHand(a, hubB, rice)).toBe(12);
    expect(await onHand(b, hubA, rice)).toBe(40);
    expect(Y.encodeStateVector(a.persistence.doc)).toEqual(Y.encodeStateVector(b.persistence.doc));
    a.close();
    b.close();
  }, 120_000);

  it("tells a mailbox's connections on the other instance that something new arrived", async () => {
    const [relayA, relayB] = [await relay(), await relay()];
    const net = await testNetwork();
    const writer = await client(relayA.url);
    const mailbox = (await writer.hello(net))!.mailbox!;
    const reader = await client(relayB.url);
    await reader.hello(net);
    const sameInstance = await client(relayA.url);
    await sameInstance.hello(net);
    expect(code(await writer.upload(mailbox, net.anchor, 1, random(64)))).toBe('ack');
    const isNew = (m: ServerMessage): m is Extract<ServerMessage, { type: 'new' }> => m.type === 'new';
    const expected = { device: deviceIdOf(net.anchor.publicKey), seq: 1 };
    expect(await reader.until(isNew)).toMatchObject(expected);
    expect(await sameInstance.until(isNew)).toMatchObject(expected);
    // The uploader itself is not told of its own blob: the push to its instance's connections went out
    // before this answer, on the same socket, had it been sent.
    expect(await writer.request({ type: 'fetch', cursor: {} })).toMatchObject({ type: 'blobs' });
    expect(writer.messages.some(isNew)).toBe(false);
  });

  it('pushes again once the connection that listens is cut and opened again', async () => {
    const [relayA, relayB] = [await relay(), await relay()];
    const net = await testNetwork();
    const writer = await client(relayA.url);
    const mailbox = (await writer.hello(net))!.mailbox!;
    const reader = await client(relayB.url);
    await reader.hello(net);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    // The relays' listening connections (idle, their last statement a LISTEN: it has taken effect),
    // leaving out the pids already cut: pg_terminate_backend only signals, and on a busy machine a cut
    // backend can still be listed after it returned, which would end the wait before a relay listens again.
    const listening = async (cut: number[]) =>
      Number(
        (
          await admin.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND state = 'idle' AND pid <> pg_backend_pid() AND NOT (pid = ANY($1::int[]))",
            [cut],
          )
        ).rows[0]!.n,
      );
    const before = await listening([]);
    expect(before).toBeGreaterThanOrEqual(2);
    const cut = await admin.query<{ pid: number; cut: boolean }>(
      "SELECT pid, pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()",
    );
    expect(cut.rows.filter((r) => r.cut).length).toBe(before);
    const pids = cut.rows.map((r) => r.pid);
    const deadline = Date.now() + 60_000;
    while ((await listening(pids)) < before) {
      if (Date.now() > deadline) throw new Error('the relays did not listen again');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await admin.end();
    expect(code(await writer.upload(mailbox, net.anchor, 1, random(64)))).toBe('ack');
    expect(
      await reader.until((m): m is Extract<ServerMessage, { type: 'new' }> => m.type === 'new'),
    ).toMatchObject({ device: deviceIdOf(net.anchor.publicKey), seq: 1 });
  }, 90_000);

  it('allocates each sequence number once, and keeps one upload budget per device and one quota per mailbox, across instances', async () => {
    const [relayA, relayB] = [await relay({ uploadsPerMinute: 4 }), await relay({ uploadsPerMinute: 4 })];
    const net = await testNetwork();
    const onA = await client(relayA.url);
    const mailbox = (await onA.hello(net))!.mailbox!;
    const onB = await client(relayB.url);
    await onB.hello(net);
    // The same number with two different blobs, at once, through the two instances: one wins.
    const answers = await Promise.all([
      onA.upload(mailbox, net.anchor, 1, random(64)),
      onB.upload(mailbox, net.anchor, 1, random(64)),
    ]);
    expect(answers.map(code).sort()).toEqual(['ack', 'taken']);
    // Four uploads a minute in all, not four on each instance.
    expect(code(await onA.upload(mailbox, net.anchor, 2, random(64)))).toBe('ack');
    expect(code(await onB.upload(mailbox, net.anchor, 3, random(64)))).toBe('ack');
    expect(code(await onA.upload(mailbox, net.anchor, 4, random(64)))).toBe('rate');
    expect(code(await onB.upload(mailbox, net.anchor, 4, random(64)))).toBe('rate');
    // One quota per mailbox, whichever instance the bytes came through.
    const small = [await relay({ quotaBytes: 2500 }), await relay({ quotaBytes: 2500 })];
    const other = await testNetwork();
    const [x, y] = [await client(small[0]!.url), await client(small[1]!.url)];
    const box = (await x.hello(other))!.mailbox!;
    await y.hello(other);
    expect(code(await x.upload(box, other.anchor, 1, random(1000)))).toBe('ack');
    expect(code(await y.upload(box, other.anchor, 2, random(1000)))).toBe('ack');
    expect(code(await x.upload(box, other.anchor, 3, random(1000)))).toBe('quota');
    expect(code(await y.upload(box, other.anchor, 3, random(1000)))).toBe('quota');
    // Another device of the network has its own budget.
    const laptop = await generateDeviceKeys(random);
    await onA.state(mailbox, net.anchor, { key: laptop.publicKey, role: 'member', cut: null, at: 1 });
    expect(code(await onB.upload(mailbox, laptop, 1, random(64)))).toBe('ack');
  });

  it('killing one instance (kill -9) loses nothing it acknowledged: the other serves it all', async () => {
    const survivor = await relay();
    const net = await testNetwork();
    const blobs = new Map<number, Uint8Array>();
    const acknowledged = new Set<number>();
    let seq = 1;
    for (let round = 0; round < 3; round++) {
      const doomed = await childRelay();
      const c = await client(doomed.url);
      const mailbox = (await c.hello(net))!.mailbox!;
      for (const end = seq + 3; seq < end; seq++) {
        if (!blobs.has(seq)) blobs.set(seq, new Uint8Array(randomBytes(2048)));
        expect(await c.upload(mailbox, net.anchor, seq, blobs.get(seq)!)).toMatchObject({ type: 'ack', seq });
        acknowledged.add(seq);
      }
      // One more, and the kill: before its acknowledgement can come (even rounds), or as it comes (odd).
      blobs.set(seq, new Uint8Array(randomBytes(2048)));
      const last = c.upload(mailbox, net.anchor, seq, blobs.get(seq)!);
      if (round % 2 === 1) {
        expect(await last).toMatchObject({ type: 'ack', seq });
        acknowledged.add(seq);
        seq += 1;
      }
      await kill9(doomed.proc);
      await last.catch(() => null);

      // The surviving instance serves every acknowledged blob, byte for byte, and takes the device's
      // next upload: the blob the kill was over, sent again (new, or a duplicate if it was stored).
      const other = await client(survivor.url);
      await other.hello(net);
      const there = await held(other);
      for (const s of acknowledged) expect(there.get(s), `blob ${s}`).toBe(blobHash(blobs.get(s)!));
      expect(there.size).toBeLessThanOrEqual(acknowledged.size + 1);
      if (round % 2 === 0) {
        expect(['ack', 'duplicate']).toContain(
          code(await other.upload(mailbox, net.anchor, seq, blobs.get(seq)!)),
        );
        acknowledged.add(seq);
        seq += 1;
      }
    }
    expect(acknowledged.size).toBe(seq - 1);
    // About 15 s on a quiet 2-core machine; the margin is for a loaded one.
  }, 240_000);
});
