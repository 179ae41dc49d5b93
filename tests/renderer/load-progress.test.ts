// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { testStores } from './stores';

/**
 * The history (the doc) loads behind the first screen, and saves wait for it: seconds at ten million
 * entries. The store says how far the load is (Shell's "Opening the history"), live.
 */
const { reopen, twoHubs } = testStores('load-progress', 11);

describe('the history load', () => {
  it('says how many stored rows it has applied, of how many, each whole percent, and nothing once done', async () => {
    const { admin, rice } = await twoHubs();
    for (let i = 1; i <= 6; i++)
      await admin.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: String(i) }] });
    await admin.persistence.flush();
    const rows = await admin.db.updates.count();
    expect(rows).toBeGreaterThan(5);
    const reopened = await reopen(admin);
    expect(reopened.loadProgress).toBeNull();
    const seen: { done: number; total: number }[] = [];
    const stop = reopened.onBacklog(() => {
      const p = reopened.loadProgress;
      if (p) seen.push({ done: p.done, total: p.total });
    });
    await reopened.ready;
    stop();
    expect(reopened.loadProgress).toBeNull();
    // Said as it begins, before the rows are counted (a disk slow to answer is a load too: Shell's bar
    // shows it after a second, not only once a row is read); then every row, of the rows stored, in order,
    // the last one included.
    expect(seen[0]).toEqual({ done: 0, total: 0 });
    seen.shift();
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((p) => p.total === rows)).toBe(true);
    expect(seen.map((p) => p.done)).toEqual([...seen.map((p) => p.done)].sort((a, b) => a - b));
    expect(seen.at(-1)!.done).toBe(rows);
    // And what it loaded is the history: the donations count.
    expect((await reopened.db.shelf.get(`${reopened.self!.hubId}|${rice.id}`))?.onHand).toBe(21);
  });
});
