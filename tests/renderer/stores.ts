import { afterEach, expect } from 'vitest';
import * as Y from 'yjs';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { FakeClock, Prng, START } from './replicas';

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

  return { clock, device, sync };
}
