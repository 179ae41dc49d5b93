import 'fake-indexeddb/auto';
import { liveQuery } from 'dexie';
import { afterEach, expect, it } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';

/**
 * Live queries share Dexie's cached results as they are, frozen (`cache: 'immutable'` in db.ts), instead of
 * a deep copy per query: the first stock view at 10M entries spent a third of its longest task copying the
 * stock rows. A screen that wrote to a live query's result would now throw: none does (the e2e tests visit
 * every screen). This pins the option, so that going back to copies is a decision, not an accident.
 */
let db: LarderDB | null = null;
afterEach(async () => {
  db?.close();
  if (db) await db.delete();
  db = null;
});

it('gives a live query its rows frozen, and the next result after a write', async () => {
  db = new LarderDB(`frozen-${Math.random()}`);
  await db.hubs.put({ id: 'huba', name: 'Hub A', createdAt: 1 } as never);
  const results: { id: string; name: string }[][] = [];
  const sub = liveQuery(() => db!.hubs.toArray()).subscribe((rows) => results.push(rows));
  await expect.poll(() => results.length).toBe(1);
  const [first] = results;
  expect(Object.isFrozen(first)).toBe(true);
  expect(Object.isFrozen(first![0])).toBe(true);
  expect(() => {
    (first![0] as { name: string }).name = 'changed';
  }).toThrow(TypeError);
  await db.hubs.put({ id: 'hubb', name: 'Hub B', createdAt: 2 } as never);
  await expect.poll(() => results.at(-1)?.length).toBe(2);
  expect(results.at(-1)!.map((h) => h.name)).toEqual(['Hub A', 'Hub B']);
  sub.unsubscribe();
});
