// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { startRelay, type RelayServer } from '../../electron/relay/server';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { syncWithRelay, type SocketFactory } from '../../renderer/sync/relay';
import { FakeClock, Prng, START } from './replicas';

/**
 * Devices of one network that are never open at the same time converge through a real relay (in this
 * process, PGlite in a temporary directory), through the app's own store and the same door peer updates
 * use; what the relay keeps on disk never holds a name or a quantity in the clear.
 */
const connect: SocketFactory = (url) => new WebSocket(url) as never;
const clock = new FakeClock(START);
const rng = new Prng(11);
let n = 0;
let dataDir: string;
let relay: RelayServer;

async function device(): Promise<LarderStore> {
  const random = rng.fork();
  const store = await LarderStore.open(new LarderDB(`larder-relay-${process.pid}-${++n}`), {
    now: clock.now,
    randomBytes: (k) => random.bytes(k),
  });
  await store.ready;
  return store;
}

const onHand = async (store: LarderStore, hub: string, item: string) =>
  (await store.db.stock.get(`${hub}|${item}`))?.onHand ?? 0;
const sync = (store: LarderStore) => syncWithRelay(store, relay.url, { connect, timeoutMs: 60_000 });

/** Every file under `dir`, as one buffer each (the relay's whole store as it is on disk). */
function filesUnder(dir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(readFileSync(p));
  }
  return out;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'larder-relay-test-'));
  relay = await startRelay({ port: 0, dataDir });
}, 120_000);

afterAll(async () => {
  await relay?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('two devices that are never online together', () => {
  const names = {
    hubA: 'Eastside Quinoa Pantry',
    hubB: 'Westside Zanzibar Church',
    deviceA: 'Front desk Xylophone',
    deviceB: 'Church laptop Marmalade',
    item: 'Basmati Ptarmigan',
    quantity: '48213',
    later: '7391',
  };
  let a: LarderStore;
  let b: LarderStore;
  let rice: string;

  it('converge through the relay, and a replacement device gets the whole network back', async () => {
    // Hub A's laptop: starts the network, records, uploads, closes.
    a = await device();
    await a.createNetwork({ hubName: names.hubA, deviceName: names.deviceA });
    rice = (await a.saveItem({ name: names.item, category: 'Food', unit: 'bag', packSize: '', barcodes: '' }))
      .id;
    await a.recordDonation({ source: 'individual', lines: [{ item: rice, quantity: names.quantity }] });
    const invite = await a.preApprovedInvite('hub');
    const first = await sync(a);
    expect(first).toMatchObject({ uploaded: 1, waiting: null, refused: 0 });
    const hubA = a.self!.hubId!;

    // Hub B's laptop joins later, when A is off: everything comes from the relay.
    b = await device();
    await b.joinNetwork({ invite, deviceName: names.deviceB });
    expect((await sync(b)).downloaded).toBe(1);
    expect(await onHand(b, hubA, rice)).toBe(48213);
    await b.chooseHub({ newHubName: names.hubB });
    await b.recordDonation({ source: 'business', lines: [{ item: rice, quantity: names.later }] });
    // Not stated by an admin yet: its first blobs (its request to join) are taken as an applicant's.
    expect(await sync(b)).toMatchObject({ uploaded: 1, waiting: null });
    const hubB = b.self!.hubId!;

    // A again: takes B's request and entries, and tells the relay B is a member.
    const back = await sync(a);
    expect(back.downloaded).toBe(1);
    expect(back.statements).toBeGreaterThanOrEqual(1);
    expect(await onHand(a, hubB, rice)).toBe(7391);

    // B records more, now as a member, and A picks it up.
    await b.recordDonation({ source: 'business', lines: [{ item: rice, quantity: '9' }] });
    expect(await sync(b)).toMatchObject({ waiting: null });
    await sync(a);
    expect(await onHand(a, hubB, rice)).toBe(7400);
    expect(await onHand(b, hubA, rice)).toBe(48213);
    // Both docs hold the same state, and a second round brings nothing and sends nothing.
    expect(Y.encodeStateVector(a.persistence.doc)).toEqual(Y.encodeStateVector(b.persistence.doc));
    expect(await sync(a)).toMatchObject({ downloaded: 0, uploaded: 0 });

    // A's laptop is lost: a replacement joins with an invite and gets the whole network back.
    const c = await device();
    await c.joinNetwork({ invite: await b.inviteCode(), deviceName: 'Replacement' });
    await sync(c);
    expect(await onHand(c, hubA, rice)).toBe(48213);
    expect(await onHand(c, hubB, rice)).toBe(7400);
    c.close();
  }, 180_000);

  it('what the relay keeps on disk holds no name and no quantity in the clear', async () => {
    const mailbox = (await relay.store.db.query<{ id: string }>('SELECT id FROM relay_mailboxes')).rows[0]!
      .id;
    await relay.close();
    const files = filesUnder(dataDir);
    const found = (text: string) => files.some((f) => f.includes(Buffer.from(text, 'utf8')));
    // The scan sees what is there: the mailbox id is stored in the clear.
    expect(found(mailbox)).toBe(true);
    for (const text of Object.values(names)) expect(found(text), text).toBe(false);
    a.close();
    b.close();
    relay = await startRelay({ port: 0, dataDir });
  }, 120_000);
});
