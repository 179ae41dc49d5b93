// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';
import {
  allLedgerRows,
  BLOCK_ENTRIES,
  blockKeyOf,
  blockKeyText,
  countLedgerRows,
  deleteLedgerRows,
  getLedgerRows,
  hubItemLedgerRows,
  hubLedgerRows,
  inBlockOrder,
  ledgerRowsAtMost,
  ledgerRowsInSlots,
  listItemBlocks,
  newestAtHub,
  newestFirst,
  newestTransferLedgerRows,
  openTransferLedgerRows,
  putLedgerRows,
  storedBlocks,
  sweepLedger,
  transferLedgerRows,
  unpackPaced,
} from '../../renderer/storage/ledgerRows';
import type { LedgerRow } from '../../shared/projection';
import { isOpenTransfer, lastChangeOf, transferViews } from '../../shared/transfers';
import { decodeLedgerRows } from '../../shared/checkpoint/rows';
import {
  itemBlocksUnfinished,
  listedItemBlocks,
  markUnlisted,
  minuteOf,
  NOTE_ROWS_MAX,
  PART_BUCKETS,
  PENDING,
  fillItemBlocks,
} from '../../renderer/storage/itemBlocks';
import { fcOptions } from '../shared/arbitraries';
import { uniqueName } from './faults';

const opened: LarderDB[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

function freshDb(): LarderDB {
  const db = new LarderDB(uniqueName('ledger-rows'));
  opened.push(db);
  return db;
}

const DEVICES = ['dev1', 'dev2', 'dev3'];
const HUBS = ['north', 'south'];
const ITEMS = ['rice', 'oils', 'soap'];
/** Times are seconds after this (entries are recorded to the second). */
const T0 = Date.UTC(2026, 0, 1);

type Link = 'none' | 'slot' | 'root' | 'both' | 'out';

/**
 * A row as the projection writes it, small: what matters here is where it is kept and found. Its link is
 * its entry's, as the projection derives it: none for a donation, a slot for an undo (`undo:<target>`), a
 * root for a transfer request (its own id), both for a receipt (`in:<transfer>`, the transfer).
 */
function row(
  device: string,
  seq: number,
  hub: string,
  item: string,
  at: number,
  extra: { applied?: number; link?: Link; ref?: string; undone?: boolean } = {},
): LedgerRow {
  const id = `${device}.${seq}`;
  const ref = extra.ref ?? 'dev9.1';
  const head = {
    hub,
    device,
    seq,
    item,
    at,
    recordedAt: at,
    id,
    applied: extra.applied ?? 1,
    ...(extra.undone ? { reversedBy: 'dev9.9' } : {}),
  };
  switch (extra.link ?? 'none') {
    case 'none':
      return { ...head, kind: 'donation', qty: 1, source: 'individual' } as LedgerRow;
    case 'slot':
      return {
        ...head,
        kind: 'reversal',
        target: ref,
        targetKind: 'donation',
        effect: -1,
        slot: `undo:${ref}`,
      } as LedgerRow;
    case 'root':
      return { ...head, kind: 'transfer_request', qty: 2, to: 'east', root: id } as LedgerRow;
    case 'out':
      // A send of the transfer `ref`, the request it fulfils.
      return {
        ...head,
        kind: 'transfer_out',
        qty: 2,
        to: 'east',
        transfer: ref,
        slot: `out:${ref}`,
        root: ref,
      } as LedgerRow;
    case 'both':
      return {
        ...head,
        kind: 'transfer_in',
        qty: 2,
        from: 'east',
        transfer: ref,
        slot: `in:${ref}`,
        root: ref,
      } as LedgerRow;
  }
}

/** The first seq of the second part of a device's blocks listed by item (itemBlocks.ts). */
const PART_ENTRIES = PART_BUCKETS * BLOCK_ENTRIES;

/**
 * Seqs around block edges, so that rows share blocks and cross from one to the next, and around the edges of
 * the parts the item lists keep a row each.
 */
const seqArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 * BLOCK_ENTRIES }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(BLOCK_ENTRIES - 1, BLOCK_ENTRIES, BLOCK_ENTRIES + 1, 2 * BLOCK_ENTRIES),
  },
  { weight: 1, arbitrary: fc.constantFrom(PART_ENTRIES - 1, PART_ENTRIES, 2 * PART_ENTRIES + 5) },
);

const rowArb = fc
  .record({
    device: fc.constantFrom(...DEVICES),
    seq: seqArb,
    hub: fc.constantFrom(...HUBS),
    item: fc.constantFrom(...ITEMS),
    // Few distinct times: equal times must be ordered by id, the same way every time.
    at: fc.integer({ min: 0, max: 6 }),
    link: fc.constantFrom<Link>('none', 'none', 'slot', 'root', 'both', 'out'),
    applied: fc.integer({ min: -5, max: 5 }),
    undone: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  })
  .map(({ device, seq, hub, item, at, link, applied, undone }) =>
    row(device, seq, hub, item, T0 + at * 1000, {
      applied,
      link,
      undone,
      ref: link === 'slot' ? `${DEVICES[seq % 3]}.${(seq % 5) + 1}` : `dev${seq % 4}.1`,
    }),
  );

/**
 * What the links' `open` marks must say: each link of a transfer that its rows (those `rows` hold) leave
 * asked for or on its way carries the transfer's id; no other link carries one.
 */
async function expectOpenMarks(db: LarderDB, rows: readonly LedgerRow[]) {
  const open = new Set(
    transferViews(rows.filter((r) => r.root !== undefined))
      .filter((v) => isOpenTransfer(v.status))
      .map((v) => v.id),
  );
  const byRoot = new Map<string, LedgerRow[]>();
  for (const r of rows) if (r.root !== undefined) byRoot.set(r.root, [...(byRoot.get(r.root) ?? []), r]);
  // The table of open transfers lists exactly those.
  expect(((await db.openTransfers.toCollection().primaryKeys()) as string[]).sort()).toEqual(
    [...open].sort(),
  );
  for (const link of await db.links.toArray()) {
    // Each link of a transfer says when the transfer last changed; a link of no transfer says nothing.
    expect(link.last).toBe(link.root === undefined ? undefined : lastChangeOf(byRoot.get(link.root)!));
  }
  expect(byId(await openTransferLedgerRows(db))).toEqual(
    byId(rows.filter((r) => r.root !== undefined && open.has(r.root))),
  );
  // The newest transfers a page at a time: the rows of `count` transfers none older than any left out.
  for (const count of [0, 1, 2, 5]) {
    const page = await newestTransferLedgerRows(db, count);
    const roots = new Set(page.rows.map((r) => r.root!));
    expect(roots.size).toBe(Math.min(count, byRoot.size));
    expect(page.more).toBe(byRoot.size > count);
    expect(byId(page.rows)).toEqual(byId(rows.filter((r) => r.root !== undefined && roots.has(r.root))));
    const oldestShown = Math.min(...[...roots].map((root) => lastChangeOf(byRoot.get(root)!)));
    for (const [root, list] of byRoot)
      if (!roots.has(root)) expect(lastChangeOf(list)).toBeLessThanOrEqual(oldestShown);
  }
  return open.size;
}

/** Steps on the ledger: put a batch (new rows and new versions of rows), delete some ids. */
const stepArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ put: fc.array(rowArb, { maxLength: 40 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      del: fc.array(
        fc.tuple(fc.constantFrom(...DEVICES), seqArb).map(([d, s]) => `${d}.${s}`),
        { maxLength: 20 },
      ),
    }),
  },
);

async function apply(
  db: LarderDB,
  model: Map<string, LedgerRow>,
  steps: { put?: LedgerRow[]; del?: string[] }[],
) {
  for (const step of steps) {
    if (step.put) {
      await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, step.put!));
      for (const r of step.put) model.set(r.id, r);
    } else {
      await db.transaction('rw', db.ledgerTables, () => deleteLedgerRows(db, step.del!));
      for (const id of step.del!) model.delete(id);
    }
  }
}

type BlockKeyArg = [string, number];

/** The blocks listed for a hub and item (null: not listed), by key. */
async function listedKeys(db: LarderDB, hub: string, item: string) {
  const listed = await listedItemBlocks(db, hub, item);
  return (
    listed && listed.map((b) => b.key).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))
  );
}

const byId = (rows: readonly LedgerRow[]) =>
  [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('ledger rows in blocks', () => {
  it('give back exactly the rows put and not deleted: by id, all, by slot, by transfer, per hub', async () => {
    // Cases in which some transfer was open (the marks' check is not empty in all of them).
    let openSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 8 }), async (steps) => {
        const db = freshDb();
        const model = new Map<string, LedgerRow>();
        await apply(db, model, steps);
        const rows = [...model.values()];
        expect(byId(await allLedgerRows(db))).toEqual(byId(rows));
        // Unpacked outside a transaction, a pause after each block: the same rows in the same order.
        const blocks = await storedBlocks(db);
        let pauses = 0;
        const paced = await unpackPaced(blocks, async () => void pauses++);
        expect(paced).toEqual(await allLedgerRows(db));
        expect(pauses).toBe(blocks.length);
        expect(await countLedgerRows(db)).toBe(rows.length);
        expect(await ledgerRowsAtMost(db)).toBeGreaterThanOrEqual(rows.length);
        const asked = ['dev1.1', 'dev2.128', 'dev3.129', 'zzzz.5', ...rows.slice(0, 5).map((r) => r.id)];
        expect(await getLedgerRows(db, asked)).toEqual(asked.map((id) => model.get(id)));
        const slots = ['undo:dev1.1', 'undo:dev2.2', 'undo:dev3.3', 'undo:dev1.4', 'in:dev1.1'];
        expect(byId(await ledgerRowsInSlots(db, slots))).toEqual(
          byId(rows.filter((r) => r.slot !== undefined && slots.includes(r.slot))),
        );
        const root = rows.find((r) => r.root !== undefined)?.root ?? 'dev1.1';
        expect(byId(await transferLedgerRows(db, root))).toEqual(byId(rows.filter((r) => r.root === root)));
        expect(byId((await newestTransferLedgerRows(db, Infinity)).rows)).toEqual(
          byId(rows.filter((r) => r.root !== undefined)),
        );
        // Every link row is of a row that has a slot or a root, and says what the row says.
        const links = await db.links.toArray();
        expect(links.map((l) => l.id).sort()).toEqual(
          rows
            .filter((r) => r.slot !== undefined || r.root !== undefined)
            .map((r) => r.id)
            .sort(),
        );
        for (const link of links) {
          expect(link.slot).toBe(model.get(link.id)!.slot);
          expect(link.root).toBe(model.get(link.id)!.root);
          expect(link.row).toEqual(model.get(link.id));
        }
        // The open transfers are marked as their rows say, however the rows came and went.
        openSeen += (await expectOpenMarks(db, rows)) > 0 ? 1 : 0;
        // Every block holds only its own rows, packed, sorted, and says each hub's newest time.
        for (const stored of await db.blocks.toArray()) {
          expect(stored.rows).toBeUndefined();
          const block = { ...stored, rows: decodeLedgerRows(stored.packed!) };
          expect(block.rows.length).toBeGreaterThan(0);
          expect(block.rows.map((r) => r.seq)).toEqual(
            [...block.rows.map((r) => r.seq)].sort((a, b) => a - b),
          );
          for (const r of block.rows) expect(blockKeyOf(r.id)).toEqual([block.device, block.bucket]);
          for (const hub of HUBS) {
            const at = block.rows.filter((r) => r.hub === hub).map((r) => r.at);
            expect(block.spans.find(([h]) => h === hub)?.[1]).toBe(at.length ? Math.max(...at) : undefined);
          }
        }
        for (const hub of HUBS) {
          const mine = rows.filter((r) => r.hub === hub);
          expect(await newestAtHub(db, hub)).toBe(mine.length ? Math.max(...mine.map((r) => r.at)) : null);
        }
      }),
      fcOptions(0.2),
    );
    expect(openSeen).toBeGreaterThan(0);
  });

  it('read the open transfers’ rows whole when there are more of them than are asked for at once', async () => {
    // 130 requests (each its own open transfer: more than two rounds of the reads made at once), 30 of them
    // sent and received, so closed: the 100 others' rows, every one, and none of the closed ones.
    const db = freshDb();
    const model = new Map<string, LedgerRow>();
    const requests = Array.from({ length: 130 }, (_, i) =>
      row(DEVICES[i % 3]!, 1 + Math.floor(i / 3), HUBS[i % 2]!, ITEMS[i % 3]!, T0 + i * 1000, {
        link: 'root',
      }),
    );
    const settled = requests
      .slice(0, 30)
      .flatMap((r, i) => [
        row('dev4', 1 + 2 * i, r.hub, r.item, T0 + 200_000 + i, { link: 'out', ref: r.id }),
        row('dev5', 1 + 2 * i, 'east', r.item, T0 + 300_000 + i, { link: 'both', ref: r.id }),
      ]);
    await apply(db, model, [{ put: requests }, { put: settled }]);
    expect(await expectOpenMarks(db, [...model.values()])).toBe(100);
    expect(byId(await openTransferLedgerRows(db))).toEqual(byId(requests.slice(30)));
  });

  it('list a hub’s entries newest first, between two times, filtered, a page at a time, as a sort of all would', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...HUBS),
        fc.integer({ min: -1, max: 7 }),
        fc.integer({ min: -1, max: 7 }),
        fc.constantFrom(1, 2, 5, 30, Infinity),
        fc.constantFrom('', ...ITEMS),
        fc.constantFrom(1, 2, 8),
        async (steps, hub, a, b, limit, item, perRead) => {
          const db = freshDb();
          const model = new Map<string, LedgerRow>();
          await apply(db, model, steps);
          const [from, to] = [T0 + Math.min(a, b) * 1000, T0 + Math.max(a, b) * 1000];
          const match = (r: LedgerRow) => !item || r.item === item;
          const expected = [...model.values()]
            .filter((r) => r.hub === hub && r.at >= from && r.at <= to && match(r))
            .sort(newestFirst)
            .slice(0, limit);
          expect(await hubLedgerRows(db, hub, from, to, limit, match, perRead)).toEqual(expected);
        },
      ),
      fcOptions(0.3),
    );
  });

  it('list a hub’s entries of an item from the blocks listed for it, as a sort of all would, before and after a database from before the lists is filled', async () => {
    // Cases in which a read came while the lists were being filled (the fallback was taken), and after.
    const seen = { filling: 0, resumed: 0, listed: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 6 }),
        fc.array(stepArb, { maxLength: 3 }),
        fc.boolean(),
        fc.constantFrom(1, 2, 64),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(...HUBS),
        fc.constantFrom(...ITEMS),
        fc.integer({ min: -1, max: 7 }),
        fc.integer({ min: -1, max: 7 }),
        fc.constantFrom(1, 2, 5, Infinity),
        fc.constantFrom('', 'donation', 'reversal'),
        fc.constantFrom(0, 1, 32),
        fc.constantFrom(1_000, 60_000, 90_000),
        async (
          stepsAt,
          laterAt,
          fromBefore,
          perStep,
          stepsFirst,
          hub,
          item,
          a,
          b,
          limit,
          kind,
          firstRead,
          unit,
        ) => {
          // The rows' times `unit` apart (steps of a second: all in one or two of the lists' minutes; of a
          // minute and more: the blocks' newest minutes differ, and reading stops early).
          const spread = (list: typeof stepsAt) =>
            list.map((step) =>
              'put' in step
                ? { put: step.put.map((r) => ({ ...r, at: T0 + ((r.at - T0) / 1000) * unit })) }
                : step,
            );
          const [steps, later] = [spread(stepsAt), spread(laterAt)];
          const db = freshDb();
          const model = new Map<string, LedgerRow>();
          await apply(db, model, steps);
          const [from, to] = [T0 + Math.min(a, b) * unit, T0 + Math.max(a, b) * unit];
          const ofKind = (r: LedgerRow) => !kind || r.kind === kind;
          // The listed blocks read `firstRead` in the first step, twice as many in each after.
          const read = () => hubItemLedgerRows(db, hub, item, from, to, limit, ofKind, firstRead);
          const expected = () =>
            [...model.values()]
              .filter((r) => r.hub === hub && r.item === item && r.at >= from && r.at <= to && ofKind(r))
              .sort(newestFirst)
              .slice(0, limit);
          if (fromBefore) {
            // The blocks as a database from before the lists holds them: listed by a fill, stopped after
            // some of its steps the first time (the parts it finished written, and noted on the mark), and
            // rows written before it goes on.
            await db.itemLists.clear();
            await markUnlisted(db);
            let step = 0;
            await listItemBlocks(db, { stopped: () => step++ >= stepsFirst, perStep });
            if (await itemBlocksUnfinished(db)) {
              expect(await listedItemBlocks(db, hub, item)).toBeNull();
              expect(await read()).toEqual(expected());
              seen.filling++;
              if ((await db.itemLists.get(PENDING))?.after) seen.resumed++;
            }
            await apply(db, model, later);
            await listItemBlocks(db, { perStep });
            expect(await itemBlocksUnfinished(db)).toBe(false);
          } else await apply(db, model, later);
          // Every block that holds a row of a hub and item is listed for them.
          for (const stored of await db.blocks.toArray()) {
            const rows = decodeLedgerRows(stored.packed!);
            for (const r of rows) {
              // Listed, and no sooner than its newest entry of the item.
              const listed = await listedItemBlocks(db, r.hub, r.item);
              const block = listed!.find((b) => b.key[0] === stored.device && b.key[1] === stored.bucket);
              expect(block!.newest).toBeGreaterThanOrEqual(r.at);
            }
          }
          expect(await read()).toEqual(expected());
          seen.listed++;
        },
      ),
      fcOptions(0.3),
    );
    expect(seen.filling).toBeGreaterThan(0);
    expect(seen.resumed).toBeGreaterThan(0);
  });

  it('a write too large to list marks the lists unfinished; a fill lists every block, and begins again after a large write while it ran', async () => {
    const db = freshDb();
    const many = (device: string, hub: string, n: number, item = (seq: number) => ITEMS[seq % 3]!) =>
      Array.from({ length: n }, (_, i) => row(device, i + 1, hub, item(i + 1), T0 + (i % 7) * 1000));
    // A save's few rows are listed in the same transaction.
    const small = many('dev1', 'north', 3);
    expect(await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, small))).toBe(false);
    expect(await itemBlocksUnfinished(db)).toBe(false);
    expect(await listedKeys(db, 'north', 'oils')).toEqual([['dev1', 0]]);
    // A first sync's piece: marked, not listed.
    const large = many('dev2', 'south', NOTE_ROWS_MAX + 1);
    expect(await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, large))).toBe(true);
    expect(await itemBlocksUnfinished(db)).toBe(true);
    expect(await listedKeys(db, 'south', 'rice')).toBeNull();
    expect(await listedKeys(db, 'north', 'oils')).toBeNull();
    // A fill during which another large write comes, to blocks it has passed (dev0's come first): it reads
    // on, then begins again, and lists both.
    const later = many('dev0', 'south', NOTE_ROWS_MAX + 1, () => 'soap');
    let steps = 0;
    await listItemBlocks(db, {
      stopped: () => {
        if (++steps === 2) void db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, later));
        return false;
      },
      perStep: 1,
    });
    expect(await itemBlocksUnfinished(db)).toBe(false);
    const blocksOf = (rows: LedgerRow[], item: string) => [
      ...new Map(
        rows.filter((r) => r.item === item).map((r) => [blockKeyText(blockKeyOf(r.id)), blockKeyOf(r.id)]),
      ).values(),
    ];
    expect(await listedKeys(db, 'south', 'rice')).toEqual(blocksOf(large, 'rice'));
    expect(blocksOf(large, 'rice').length).toBeGreaterThan(1);
    expect(await listedKeys(db, 'south', 'soap')).toEqual([
      ...blocksOf(later, 'soap'),
      ...blocksOf(large, 'soap'),
    ]);
    expect(await listedKeys(db, 'north', 'oils')).toEqual([['dev1', 0]]);
    expect(await listedKeys(db, 'north', 'beans')).toEqual([]);
    for (const [hub, item] of [
      ['south', 'soap'],
      ['south', 'oils'],
      ['north', 'rice'],
    ] as const)
      expect(await hubItemLedgerRows(db, hub, item, -Infinity, Infinity, Infinity)).toEqual(
        [...small, ...large, ...later].filter((r) => r.hub === hub && r.item === item).sort(newestFirst),
      );
  });

  it('read an item’s listed blocks newest first, and no more than a page needs', async () => {
    const db = freshDb();
    // Ten blocks of dev1, two rows of rice each, the newest in the last block; soap in every block.
    const rows = Array.from({ length: 10 }, (_, bucket) => [
      row('dev1', bucket * BLOCK_ENTRIES + 1, 'north', 'rice', T0 + (bucket + 1) * 60_000 - 1_000),
      row('dev1', bucket * BLOCK_ENTRIES + 2, 'north', 'rice', T0 + (bucket + 1) * 60_000),
      row('dev1', bucket * BLOCK_ENTRIES + 3, 'north', 'soap', T0),
    ]).flat();
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, rows));
    const read: string[] = [];
    const bulkGet = db.blocks.bulkGet.bind(db.blocks);
    db.blocks.bulkGet = ((keys: BlockKeyArg[]) => {
      read.push(...keys.map((key) => blockKeyText(key)));
      return bulkGet(keys);
    }) as typeof db.blocks.bulkGet;
    const page = await hubItemLedgerRows(db, 'north', 'rice', -Infinity, Infinity, 2, () => true, 1);
    expect(page.map((r) => r.id)).toEqual(['dev1.1154', 'dev1.1153']);
    expect(read).toEqual([blockKeyText(['dev1', 9])]);
    // A page of five: the newest three blocks, in the two steps that hold them (1, then 2).
    read.length = 0;
    const five = await hubItemLedgerRows(db, 'north', 'rice', -Infinity, Infinity, 5, () => true, 1);
    expect(five).toEqual(
      rows
        .filter((r) => r.item === 'rice')
        .sort(newestFirst)
        .slice(0, 5),
    );
    expect(read).toEqual(
      [
        ['dev1', 9],
        ['dev1', 8],
        ['dev1', 7],
      ].map((k) => blockKeyText(k as BlockKeyArg)),
    );
    // Up to a time: the blocks whose newest is before it are not read.
    read.length = 0;
    const from = T0 + 8 * 60_000;
    expect(await hubItemLedgerRows(db, 'north', 'rice', from, Infinity, Infinity, () => true, 32)).toEqual(
      rows.filter((r) => r.item === 'rice' && r.at >= from).sort(newestFirst),
    );
    expect(read).toHaveLength(3);
  });

  it('list an item in any number of blocks, a row per device and part of its blocks; a save writes its part’s row alone', async () => {
    const db = freshDb();
    const at = (bucket: number) => T0 + bucket * 60_000;
    const rice = (device: string, bucket: number) =>
      row(device, bucket * BLOCK_ENTRIES + 1, 'north', 'rice', at(bucket));
    const first = [0, PART_BUCKETS - 1, PART_BUCKETS, 2 * PART_BUCKETS + 3].map((b) => rice('dev1', b));
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, [...first, rice('dev2', 0)]));
    expect(await db.itemLists.toArray()).toEqual([
      {
        hub: 'north',
        item: 'rice',
        device: 'dev1',
        part: 0,
        buckets: [0, 511],
        newest: [0, 511].map((b) => minuteOf(at(b))),
      },
      { hub: 'north', item: 'rice', device: 'dev1', part: 1, buckets: [512], newest: [minuteOf(at(512))] },
      { hub: 'north', item: 'rice', device: 'dev1', part: 2, buckets: [1027], newest: [minuteOf(at(1027))] },
      { hub: 'north', item: 'rice', device: 'dev2', part: 0, buckets: [0], newest: [minuteOf(at(0))] },
    ]);
    // A save in the newest part writes that part's row, and no other.
    const put: unknown[] = [];
    const bulkPut = db.itemLists.bulkPut.bind(db.itemLists);
    db.itemLists.bulkPut = ((rows: unknown[]) => {
      put.push(...rows);
      return bulkPut(rows as never);
    }) as typeof db.itemLists.bulkPut;
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, [rice('dev1', 1030)]));
    expect(put).toEqual([
      {
        hub: 'north',
        item: 'rice',
        device: 'dev1',
        part: 2,
        buckets: [1027, 1030],
        newest: [1027, 1030].map((b) => minuteOf(at(b))),
      },
    ]);
    // An item in more blocks than a part holds, written a few at a time as saves write them: all listed,
    // and read from the lists.
    const many = Array.from({ length: PART_BUCKETS + 100 }, (_, b) =>
      row('dev3', b * BLOCK_ENTRIES + 2, 'north', 'soap', at(b)),
    );
    for (let i = 0; i < many.length; i += 200)
      await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, many.slice(i, i + 200)));
    expect(await listedKeys(db, 'north', 'soap')).toHaveLength(many.length);
    expect(await hubItemLedgerRows(db, 'north', 'soap', -Infinity, Infinity, Infinity)).toEqual(
      [...many].sort(newestFirst),
    );
    expect(await hubItemLedgerRows(db, 'north', 'rice', -Infinity, Infinity, Infinity)).toEqual(
      [...first, rice('dev2', 0), rice('dev1', 1030)].sort(newestFirst),
    );
  });

  it('a fill stopped after it listed a part goes on after that part; a large write since makes it begin again', async () => {
    const db = freshDb();
    const rice = (device: string, bucket: number) =>
      row(device, bucket * BLOCK_ENTRIES + 1, 'north', 'rice', T0 + bucket * 1000);
    const rows = [
      rice('dev1', 0),
      rice('dev1', 1),
      rice('dev1', PART_BUCKETS),
      rice('dev1', PART_BUCKETS + 1),
      rice('dev2', 0),
    ];
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, rows));
    await db.itemLists.clear();
    await markUnlisted(db);
    const read: string[] = [];
    const rowsRead = (block: { device: string; bucket: number; packed?: Uint8Array }) => {
      read.push(blockKeyText([block.device, block.bucket]));
      return decodeLedgerRows(block.packed!);
    };
    // One block a step, stopped once it has read four: dev1's part 0 (two blocks) was written when the
    // third block, in part 1, was read; part 1 is not whole yet.
    await fillItemBlocks(db, rowsRead, { perStep: 1, stopped: () => read.length >= 4 });
    expect(read).toEqual([
      'dev1\u00000',
      'dev1\u00001',
      `dev1\u0000${PART_BUCKETS}`,
      `dev1\u0000${PART_BUCKETS + 1}`,
    ]);
    expect(await db.itemLists.get(PENDING)).toMatchObject({ pending: 1, after: ['dev1', 0] });
    expect(await listedItemBlocks(db, 'north', 'rice')).toBeNull();
    // The next start goes on from dev1's part 1.
    read.length = 0;
    await fillItemBlocks(db, rowsRead, { perStep: 1 });
    expect(read).toEqual([`dev1\u0000${PART_BUCKETS}`, `dev1\u0000${PART_BUCKETS + 1}`, 'dev2\u00000']);
    expect(await itemBlocksUnfinished(db)).toBe(false);
    expect(await listedKeys(db, 'north', 'rice')).toEqual(rows.map((r) => blockKeyOf(r.id)));
    // A large write marks the lists anew, with nothing read yet: the next fill reads every block.
    await db.itemLists.clear();
    await markUnlisted(db);
    read.length = 0;
    await fillItemBlocks(db, rowsRead, { perStep: 1, stopped: () => read.length >= 4 });
    expect(await db.itemLists.get(PENDING)).toMatchObject({ after: ['dev1', 0] });
    await markUnlisted(db);
    expect(await db.itemLists.get(PENDING)).toEqual({ hub: '', item: '', device: '', part: 0, pending: 2 });
    read.length = 0;
    await fillItemBlocks(db, rowsRead, { perStep: 2 });
    expect(read).toHaveLength(rows.length);
    expect(await listedKeys(db, 'north', 'rice')).toEqual(rows.map((r) => blockKeyOf(r.id)));
  });

  it('reads on while a later block may hold an entry at the same time as the last of a full page', async () => {
    const db = freshDb();
    const rows = [
      row('dev1', 1, 'north', 'rice', T0 + 10_000),
      row('dev1', 2, 'north', 'rice', T0 + 5_000),
      // In a block whose newest entry is older than the first block's: read second.
      row('dev3', 1, 'north', 'rice', T0 + 5_000),
    ];
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, rows));
    // At equal times the higher id comes first: dev3.1 before dev1.2, though its block is read after.
    const page = await hubLedgerRows(db, 'north', -Infinity, Infinity, 2, undefined, 1);
    expect(page.map((r) => r.id)).toEqual(['dev1.1', 'dev3.1']);
  });

  it('a sweep drops the refused rows of the blocks not written, and every refused link', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 60 }),
        fc.nat(),
        // Link keys read a few at a time too: every page of them is swept.
        fc.integer({ min: 1, max: 80 }),
        async (rows, cut, linkKeysPerStep) => {
          const db = freshDb();
          const model = new Map<string, LedgerRow>();
          await apply(db, model, [{ put: rows }]);
          const ids = [...model.keys()].sort();
          const keep = new Set(ids.filter((_, i) => (i + cut) % 3 !== 0));
          // The blocks "written" hold no refused row already (as a rebuild writes them, with the same keep).
          const blocks = await db.blocks.toArray();
          const written = new Set(
            blocks
              .filter((block) => decodeLedgerRows(block.packed!).every((r) => keep.has(r.id)))
              .map((block) => blockKeyText([block.device, block.bucket])),
          );
          // A link stays only for a row said to have one (a stray link goes even when its row stays).
          const linked = (id: string) => keep.has(id) && id < 'dev3';
          await sweepLedger(db, (id) => keep.has(id), written, linked, linkKeysPerStep);
          expect((await allLedgerRows(db)).map((r) => r.id).sort()).toEqual([...keep].sort());
          for (const link of await db.links.toArray()) expect(linked(link.id)).toBe(true);
          // A transfer that lost links is judged again from those left.
          await expectOpenMarks(
            db,
            (await db.links.toArray()).map((link) => link.row!),
          );
        },
      ),
      fcOptions(0.2),
    );
  });

  it('inBlockOrder keeps every id once, each block’s together, in the order given within a block', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { maxLength: 3000 }), async (rows) => {
        let pauses = 0;
        const ids = await inBlockOrder(rows, () => Promise.resolve(void pauses++));
        expect([...ids].sort()).toEqual(rows.map((r) => r.id).sort());
        const blocks = ids.map((id) => blockKeyText(blockKeyOf(id)));
        // Each block's ids are one run: a block never comes back after another one.
        const runs = blocks.filter((b, i) => i === 0 || blocks[i - 1] !== b);
        expect(new Set(runs).size).toBe(runs.length);
        for (const block of new Set(blocks))
          expect(ids.filter((id) => blockKeyText(blockKeyOf(id)) === block)).toEqual(
            rows.map((r) => r.id).filter((id) => blockKeyText(blockKeyOf(id)) === block),
          );
        expect(pauses).toBeGreaterThanOrEqual(Math.floor(rows.length / 1024));
      }),
      fcOptions(0.1),
    );
  });

  it('a rebuild’s put drops, from the blocks it writes, the rows it refuses', async () => {
    const db = freshDb();
    const old = [
      row('dev1', 1, 'north', 'rice', T0 + 1000, { link: 'slot' }),
      row('dev1', 2, 'north', 'rice', T0 + 2000),
    ];
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, old));
    const fresh = row('dev1', 3, 'north', 'oils', T0 + 3000);
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, [fresh], (id) => id !== 'dev1.1'));
    expect((await allLedgerRows(db)).map((r) => r.id)).toEqual(['dev1.2', 'dev1.3']);
    expect(await db.links.count()).toBe(0);
  });

  it('reads blocks and links written before the rows were packed, and packs a block when it is written again', async () => {
    const db = freshDb();
    const donation = row('dev1', 1, 'north', 'rice', T0 + 1000);
    const request = row('dev1', 2, 'north', 'rice', T0 + 2000, { link: 'root' });
    // As PROJECTION_VERSION 7 left them: the rows as objects, a link without its row.
    await db.blocks.put({
      device: 'dev1',
      bucket: 0,
      spans: [['north', T0 + 2000]],
      rows: [donation, request],
    });
    await db.links.put({ id: request.id, root: request.id });
    expect(await allLedgerRows(db)).toEqual([donation, request]);
    expect(await getLedgerRows(db, [request.id])).toEqual([request]);
    expect(await transferLedgerRows(db, request.id)).toEqual([request]);
    expect(await hubLedgerRows(db, 'north', -Infinity, Infinity, Infinity)).toEqual([request, donation]);

    const later = row('dev1', 3, 'north', 'oils', T0 + 3000);
    await db.transaction('rw', db.ledgerTables, () => putLedgerRows(db, [later]));
    const [stored] = await db.blocks.toArray();
    expect(stored!.rows).toBeUndefined();
    expect(decodeLedgerRows(stored!.packed!)).toEqual([donation, request, later]);
  });
});
