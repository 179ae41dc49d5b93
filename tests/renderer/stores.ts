import { afterEach, expect } from 'vitest';
import * as Y from 'yjs';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { FakeClock, Prng, START } from './replicas';
import { ledgerOf } from './ledgerTable';

/**
 * Real stores for a test file (the file installs fake-indexeddb first): each opened on its own database
 * with the file's fake clock and a fork of its seeded random source, all closed after each test.
 */
export function testStores(tag: string, seed: number) {
  const clock = new FakeClock(START);
  const rng = new Prng(seed);
  let opened: LarderStore[] = [];
  let n = 0;

  afterEach(() => {
    for (const s of opened) s.close();
    opened = [];
  });

  async function device(): Promise<LarderStore> {
    const random = rng.fork();
    const store = await LarderStore.open(new LarderDB(`larder-${tag}-${process.pid}-${++n}`), {
      now: clock.now,
      randomBytes: (k) => random.bytes(k),
    });
    await store.ready;
    opened.push(store);
    return store;
  }

  /** Sends `from`'s doc (what `to` lacks) to `to`, as a peer would; it must be taken. */
  async function sync(from: Y.Doc | LarderStore, to: LarderStore): Promise<void> {
    const doc = from instanceof Y.Doc ? from : from.persistence.doc;
    const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(to.persistence.doc));
    const r = await to.applyRemoteUpdate(update, 'peer');
    expect(r.ok, JSON.stringify(r)).toBe(true);
  }

  /**
   * A signed network of two hubs: the admin's (Eastside Pantry, where it made the catalog's Rice) and West's
   * (Westside Church, a device that joined with a pre-approved invite and started its hub), each with the
   * other's doc.
   */
  async function twoHubs() {
    const admin = await device();
    await admin.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const rice = await admin.saveItem({
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    const west = await device();
    await west.joinNetwork({ invite: await admin.preApprovedInvite(), deviceName: 'Church laptop' });
    await sync(admin, west);
    await west.chooseHub({ newHubName: 'Westside Church' });
    await sync(west, admin);
    return { admin, west, rice };
  }

  /**
   * Closes `store` and opens its database again, as the app does at its next start (closed after the test);
   * `meanwhile` looks at the database while the app is closed.
   */
  async function reopen(
    store: LarderStore,
    meanwhile?: (db: LarderDB) => Promise<void>,
  ): Promise<LarderStore> {
    const name = store.db.name;
    store.close();
    if (meanwhile) {
      const db = new LarderDB(name);
      try {
        await meanwhile(db);
      } finally {
        db.close();
      }
    }
    const again = await LarderStore.open(new LarderDB(name), {
      now: clock.now,
      randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
    });
    opened.push(again);
    return again;
  }

  /**
   * Two hubs in sync with a little history: levels on the admin's Rice, two donations there (the second
   * undone), a pickup an hour later, and a donation at West. `pickup` is the pickup's entry id.
   */
  async function twoHubsWithHistory() {
    const { admin: a, west: b, rice } = await twoHubs();
    await a.setLevels(rice.id, { min: '20', target: '60' });
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '500' }] });
    const mistaken = await a.recordDonation({
      source: 'business',
      lines: [{ item: rice.id, quantity: '39' }],
    });
    clock.advance(3_600_000);
    const pickup = await a.recordPickup({ lines: [{ item: rice.id, quantity: '12' }] });
    await a.undo(`${mistaken[0]!.device}.${mistaken[0]!.seq}`);
    await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '100' }] });
    await sync(b, a);
    await sync(a, b);
    return { a, b, rice, pickup: `${pickup[0]!.device}.${pickup[0]!.seq}` };
  }

  return { clock, device, sync, twoHubs, twoHubsWithHistory, reopen };
}

const sortedByKey = <T extends { key: string }>(rows: T[]) => rows.sort((x, y) => (x.key < y.key ? -1 : 1));

/**
 * Everything the screens show from a store's projection, once what it has is written (a checkpoint's
 * history, queued batches, a rebuild): stock, shelf, network and usage rows, each entry's effect and undo.
 */
export async function projectedFigures(store: LarderStore) {
  const db = store.db;
  await store.persistence.seedHistoryWritten();
  await store.persistence.flush();
  await store.persistence.rebuilt();
  const effects = Object.fromEntries(
    (await ledgerOf(db).toArray()).map((r) => [r.id, [r.applied, r.reversedBy ?? null]]),
  );
  return {
    stock: sortedByKey(await db.stock.toArray()),
    shelf: sortedByKey(await db.shelf.toArray()),
    onHand: sortedByKey(await db.onHand.toArray()),
    usage: sortedByKey(await db.usage.toArray()),
    effects,
  };
}
