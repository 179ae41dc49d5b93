// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { FakeClock, Prng, START } from './replicas';

/**
 * The app opens its store with `partsLater` (renderer/app/App.tsx): the first screen reads the projections
 * and this device's row, and the store's heavy half (the doc, its persistence, signatures: store/parts.ts)
 * loads after the first view. Until then the store must answer what the first screen asks, a command must
 * wait for the parts rather than fail, and what the first screen subscribed to must keep working after.
 *
 * The order of the tests matters: the parts' module is loaded once per file (as once per page), and the
 * first test is the only one that sees the store before it is.
 */
const clock = new FakeClock(START);
const rng = new Prng(0x1a7e);
let opened: LarderStore[] = [];
let n = 0;
afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

async function open(name: string, partsLater: boolean): Promise<LarderStore> {
  const random = rng.fork();
  const store = await LarderStore.open(
    new LarderDB(name),
    { now: clock.now, randomBytes: (k) => random.bytes(k) },
    null,
    { partsLater },
  );
  opened.push(store);
  return store;
}

describe('a store opened with its parts later', () => {
  it('answers the first screen before its parts are loaded; a command loads them, and is saved', async () => {
    // The first test of the file: nothing has loaded the parts' module yet (as in a page just opened).
    const store = await open(`larder-parts-later-${process.pid}-${++n}`, true);
    expect(store.self).toBeNull();
    expect(store.unprojected).toBe(0);
    expect(store.rebuildProgress).toBeNull();
    expect(store.ownHubName()).toBeNull();
    expect(() => store.persistence).toThrow('before they were loaded (LarderStore.loadParts)');
    let heard = 0;
    const stop = store.onBacklog(() => heard++);
    // The Network screen (a coordinator's first view) follows commits from before the parts too.
    const commits: string[][] = [];
    const stopCommits = store.onCommitted((commit) => commits.push(commit.entries.map((e) => e.kind)));
    let selfChanges = 0;
    store.onSelfChanged(() => selfChanges++);
    // A command waits for the parts, then runs: the early listener is attached (told at once, and of the
    // backlog's changes since).
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    expect(heard).toBeGreaterThanOrEqual(1);
    expect(selfChanges).toBeGreaterThan(0);
    expect(store.self?.deviceName).toBe('Front desk');
    const item = await store.saveItem({
      name: 'Rice 1kg',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    await store.recordDonation({ lines: [{ item: item.id, quantity: '12' }], source: 'individual' });
    const shelf = await store.db.shelf.where('hub').equals(store.self!.hubId!).toArray();
    expect(shelf.map((r) => [r.item, r.onHand])).toEqual([[item.id, 12]]);
    expect(store.ownHubName()).toBe('Eastside Pantry');
    expect(commits).toContainEqual(['donation']);
    stopCommits();
    await store.recordDonation({ lines: [{ item: item.id, quantity: '1' }], source: 'individual' });
    expect(commits.filter((kinds) => kinds.includes('donation'))).toHaveLength(1);
    // Stopped, the early listener hears nothing more (a rebuild tells the backlog's listeners its progress).
    stop();
    const after = heard;
    let direct = 0;
    store.persistence.onBacklog(() => direct++);
    await store.rebuildProjections();
    expect(direct).toBeGreaterThan(0);
    expect(heard).toBe(after);
  });

  it('says plainly when its parts are asked for after it is closed', async () => {
    const store = await open(`larder-parts-later-${process.pid}-${++n}`, true);
    store.close();
    opened = [];
    expect(() => store.persistence).toThrow('The store is closed');
    expect(store.ownHubName()).toBeNull();
  });

  it('loads the parts once for every store of the page', async () => {
    const a = LarderStore.loadParts();
    const b = LarderStore.loadParts();
    await Promise.all([a, b]);
    const store = await open(`larder-parts-later-${process.pid}-${++n}`, true);
    // Loaded: the members that answer at once work without a command first.
    expect(store.persistence.unprojected).toBe(0);
    expect(store.signed).toBe(false);
    expect(store.self).toBeNull();
  });
});
