// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateNetwork } from '../../bench/generate';
import { LarderDB } from '../../renderer/storage/db';
import { itemBlocksUnfinished, listedItemBlocks, markUnlisted } from '../../renderer/storage/itemBlocks';
import {
  allLedgerRows,
  BLOCK_ENTRIES,
  hubItemLedgerRows,
  hubLedgerRows,
} from '../../renderer/storage/ledgerRows';
import { DocPersistence } from '../../renderer/storage/persistence';
import { uniqueName } from './faults';

const opened: LarderDB[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});
const NOW = () => Date.UTC(2026, 0, 10);

describe('the blocks listed by item at a start', () => {
  it('a database from before the lists has its blocks listed in the background after the load; History by item reads the same rows before and after', async () => {
    const net = generateNetwork(3_000, 'item-blocks');
    const name = uniqueName('item-blocks');
    const db = new LarderDB(name);
    opened.push(db);
    await db.updates.add({ update: Y.encodeStateAsUpdate(net.doc), entries: 3_000 });
    net.doc.destroy();
    const first = new DocPersistence(db, NOW);
    await first.load();
    await first.rebuilt();
    await first.itemBlocksListed();
    // The rebuild wrote its rows in pieces too large to list as it went: listed after it, in the background.
    expect(await itemBlocksUnfinished(db)).toBe(false);
    expect(await db.itemLists.count()).toBeGreaterThan(0);
    first.destroy();
    // As a database from before version 13 has it: blocks, and no lists.
    await db.itemLists.clear();
    await markUnlisted(db);

    const rows = await allLedgerRows(db);
    const { hub, item } = rows[rows.length - 1]!;
    const history = () => hubItemLedgerRows(db, hub, item, -Infinity, Infinity, Infinity);
    const expected = await hubLedgerRows(db, hub, -Infinity, Infinity, Infinity, (r) => r.item === item);
    expect(expected.length).toBeGreaterThan(0);
    expect(await listedItemBlocks(db, hub, item)).toBeNull();
    expect(await history()).toEqual(expected);

    const again = new DocPersistence(db, NOW);
    await again.load();
    await again.itemBlocksListed();
    expect(await itemBlocksUnfinished(db)).toBe(false);
    // Each hub and item's blocks listed: those that hold its rows, and no more.
    const blocksOf = new Map<string, Set<string>>();
    for (const r of rows) {
      const key = `${r.hub}|${r.item}`;
      const [device, seq] = [
        r.id.slice(0, r.id.lastIndexOf('.')),
        Number(r.id.slice(r.id.lastIndexOf('.') + 1)),
      ];
      blocksOf.set(key, (blocksOf.get(key) ?? new Set()).add(`${device}|${Math.floor(seq / BLOCK_ENTRIES)}`));
    }
    for (const [key, blocks] of blocksOf) {
      const [h, i] = key.split('|') as [string, string];
      const listed = await listedItemBlocks(db, h, i);
      expect(new Set(listed!.map(({ key: [device, bucket] }) => `${device}|${bucket}`))).toEqual(blocks);
    }
    // A row per hub, item, device and part: the test's devices have one part each.
    expect(await db.itemLists.count()).toBe(
      [...blocksOf.values()].reduce(
        (n, blocks) => n + new Set([...blocks].map((b) => b.split('|')[0])).size,
        0,
      ),
    );
    expect(await history()).toEqual(expected);
    again.destroy();
  });
});
