// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { ledgerOf } from './ledgerTable';
import fc from 'fast-check';
import { decodeLedgerRows } from '../../shared/checkpoint/rows';
import type { StoredBlock } from '../../renderer/storage/ledgerIndex';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateNetwork } from '../../bench/generate';
import { LarderDB } from '../../renderer/storage/db';
import {
  BLOCK_BYTES,
  DocPersistence,
  PROJECTION_VERSION,
  deleteRowsNotIn,
  TRANSACTION_BYTES,
  projectionPiece,
  rowBytes,
  transactionChunks,
} from '../../renderer/storage/persistence';
import { BLOCK_ENTRIES } from '../../renderer/storage/ledgerRows';
import type { LedgerRow, StockRow } from '../../shared/projection';
import { shelfRow, shelfRows } from '../../shared/shelf';
import { appendEntries, readAllEntries } from '../../shared/doc';
import { undoEntry } from '../../shared/commands';
import { idOf, type Entry } from '../../shared/entries';
import { uniqueName } from './faults';

/** No transaction holds more rows than this: each row counts at least 512 bytes (`rowBytes`). */
const MOST_ROWS = TRANSACTION_BYTES / 512;

/**
 * A rebuild writes its rows in transactions of at most TRANSACTION_BYTES: Chromium writes an
 * undo log for a larger one, and what is left of it slows every later open of the database (see
 * docs/benchmarks.md, "Cold open"). Written in many transactions, it must still end with exactly the
 * projections the doc gives, and a device stopped halfway must end there too at its next start.
 */
const ENTRIES = 2_600;
let state: Uint8Array;
const opened: LarderDB[] = [];

beforeAll(() => {
  const net = generateNetwork(ENTRIES, 'rebuild-test');
  state = Y.encodeStateAsUpdate(net.doc);
  net.doc.destroy();
});

afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

/** A device's database holding the generated doc as its one update row, and no projection yet. */
async function seeded(name = uniqueName('rebuild')): Promise<{ name: string; db: LarderDB }> {
  const db = new LarderDB(name);
  opened.push(db);
  await db.updates.add({ update: state, entries: ENTRIES });
  return { name, db };
}

/** A device started on `db`, once what its start rebuilt is all written (the history follows `load`). */
async function loaded(db: LarderDB): Promise<DocPersistence> {
  const persistence = new DocPersistence(db, () => Date.UTC(2026, 0, 10));
  await persistence.load();
  await persistence.rebuilt();
  return persistence;
}

/** The writes (put, add, delete) each IndexedDB transaction made while `run` ran (to `store` only, if named). */
async function writesPerTransaction(
  run: () => Promise<unknown>,
  store?: string,
  weigh: (value: unknown) => number = () => 1,
): Promise<number[]> {
  const proto = globalThis.IDBObjectStore.prototype;
  const saved = { put: proto.put, add: proto.add, delete: proto.delete };
  const tally = new Map<IDBTransaction, number>();
  const counted = <A extends unknown[], R>(write: (this: IDBObjectStore, ...args: A) => R) =>
    function (this: IDBObjectStore, ...args: A): R {
      if (!store || this.name === store)
        tally.set(this.transaction, (tally.get(this.transaction) ?? 0) + weigh(args[0]));
      return write.apply(this, args);
    };
  proto.put = counted(saved.put);
  proto.add = counted(saved.add);
  proto.delete = counted(saved.delete);
  try {
    await run();
  } finally {
    Object.assign(proto, saved);
  }
  return [...tally.values()];
}

const noDifferences = async (persistence: DocPersistence) => {
  const check = await persistence.checkData();
  expect(check.differences).toEqual([]);
  expect(check.rows).toBeGreaterThan(ENTRIES);
};

describe('rebuild', () => {
  it('writes every projection row, never more than TRANSACTION_BYTES in one transaction', async () => {
    const { db } = await seeded();
    let persistence!: DocPersistence;
    // No projection meta row: load() rebuilds.
    const writes = await writesPerTransaction(async () => (persistence = await loaded(db)));
    expect(await ledgerOf(db).count()).toBe(ENTRIES);
    expect(Math.max(...writes)).toBeLessThanOrEqual(MOST_ROWS);
    // A rebuild's ledger rows go in blocks, counted at their text (they have no index entries of their own).
    const ledgerBytes = (await ledgerOf(db).toArray()).reduce(
      (sum, row) => sum + JSON.stringify(row).length,
      0,
    );
    expect(writes.length).toBeGreaterThanOrEqual(Math.ceil(ledgerBytes / TRANSACTION_BYTES));
    expect(await db.meta.get('projection')).toEqual({
      key: 'projection',
      version: PROJECTION_VERSION,
      rebuiltAt: Date.UTC(2026, 0, 10),
    });
    await noDifferences(persistence);
    persistence.destroy();
  });

  it('over earlier rows: rows the doc does not give are deleted, changed rows written again', async () => {
    const { db } = await seeded();
    const persistence = await loaded(db);
    const ledger = await ledgerOf(db).toArray();
    const stock = await db.stock.toArray();
    const stale: LedgerRow = { ...ledger[0]!, id: 'zzzzzzzz.1', device: 'zzzzzzzz', seq: 1 };
    const wrong: StockRow = { ...stock[0]!, onHand: stock[0]!.onHand + 1_000 };
    await ledgerOf(db).put(stale);
    await db.stock.put(wrong);
    await db.stock.put({ ...stock[1]!, key: `${stock[1]!.hub}|nosuchitem`, item: 'nosuchitem' });
    await db.problems.put({ where: 'entry/zzzzzzzz.1', reason: 'left from an older version', seenAt: 1 });
    // A shelf row whose expiry is not its stock row's, and one with no stock row.
    const dated = stock.find((s) => shelfRow(s).expiry !== null)!;
    await db.shelf.put({ ...shelfRow(dated), expiry: '1999-01-01' });
    await db.shelf.put({ ...shelfRow(stock[1]!), key: `${stock[1]!.hub}|nosuchitem`, item: 'nosuchitem' });
    const found = (await persistence.checkData()).differences;
    expect(found.find((d) => d.table === 'shelf')).toMatchObject({ wrong: 1, extra: 1, missing: 0 });

    await persistence.rebuild();
    expect(await ledgerOf(db).get(stale.id)).toBeUndefined();
    expect(await db.stock.get(wrong.key)).toStrictEqual(stock[0]);
    expect(await db.stock.count()).toBe(stock.length);
    const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
    expect((await db.shelf.toArray()).sort(byKey)).toStrictEqual(shelfRows(stock).sort(byKey));
    expect(await ledgerOf(db).count()).toBe(ledger.length);
    expect(await db.problems.get('entry/zzzzzzzz.1')).toBeUndefined();
    await noDifferences(persistence);
    persistence.destroy();
  });

  it('stopped halfway (the disk filled up), it says so, and the next start rebuilds it all', async () => {
    const { name, db } = await seeded();
    const persistence = await loaded(db);
    const ledgerBefore = await ledgerOf(db).count();
    // Rows written after this are not there: the next rebuild must put them back.
    await ledgerOf(db).clear();
    const proto = globalThis.IDBObjectStore.prototype;
    const put = proto.put;
    let puts = 0;
    proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (++puts > MOST_ROWS * 2)
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      await expect(persistence.rebuild()).rejects.toThrow();
    } finally {
      proto.put = put;
    }
    expect(await db.meta.get('projection')).toMatchObject({ incomplete: true });
    expect(await ledgerOf(db).count()).toBeLessThan(ledgerBefore);
    persistence.destroy();
    db.close();

    const again = new LarderDB(name);
    opened.push(again);
    const restarted = await loaded(again);
    expect(await again.meta.get('projection')).not.toHaveProperty('incomplete');
    expect(await ledgerOf(again).count()).toBe(ledgerBefore);
    await noDifferences(restarted);
    restarted.destroy();
  });
});

/** An undo, by the target's own device, of the entry of `doc` whose ledger row a rebuild writes last. */
function undoOfLast(doc: Y.Doc): { target: Entry; undo: Entry } {
  const { entries } = readAllEntries(doc);
  const target = [...entries].reverse().find((e) => e.kind === 'donation' || e.kind === 'pickup')!;
  const nextSeq = Math.max(...entries.filter((e) => e.device === target.device).map((e) => e.seq)) + 1;
  return { target, undo: undoEntry({ device: target.device, nextSeq, now: Date.UTC(2026, 0, 10) }, target) };
}

describe('a rebuild writes its history between saves', () => {
  it('says how far it has worked out the figures (which saves wait for): from its start, each whole percent, then nothing', async () => {
    const { db } = await seeded();
    const persistence = new DocPersistence(db, () => Date.UTC(2026, 0, 10));
    expect(persistence.figuresProgress).toBeNull();
    const seen: { done: number; total: number }[] = [];
    const saving: { figures: boolean; saved: boolean }[] = [];
    const began = { load: -1, figures: -1 };
    persistence.onBacklog(() => {
      const p = persistence.figuresProgress;
      if (p) seen.push({ done: p.done, total: p.total });
      if (p && began.figures < 0) began.figures = p.startedAt;
      const load = persistence.loadProgress;
      if (load && began.load < 0) began.load = load.startedAt;
    });
    // No projection meta row: load() rebuilds, and resolves once the figures are written.
    await persistence.load();
    expect(persistence.figuresProgress).toBeNull();
    // Said as it begins (the Shell's bar shows a second later whatever happens), then as the entries are
    // read and folded: twice the entries in all, in order, to the end.
    expect(seen[0]).toEqual({ done: 0, total: 0 });
    // A rebuild at the end of the start's load is dated from the load's start: its bar follows the load's
    // at once, rather than a second after the load's has gone.
    expect(began.load).toBeGreaterThanOrEqual(0);
    expect(began.figures).toBe(began.load);
    const moving = seen.slice(1);
    expect(moving.length).toBeGreaterThan(10);
    expect(moving.every((p) => p.total === 2 * ENTRIES)).toBe(true);
    const done = moving.map((p) => p.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(2 * ENTRIES);
    // Each whole percent once at most.
    const percents = moving.map((p) => Math.floor((100 * p.done) / p.total));
    expect(new Set(percents).size).toBe(percents.length);

    // A rebuild asked for later (a revocation, a repair) says so too, and a save made as it starts waits for
    // its figures: when it commits, the progress is gone.
    seen.length = 0;
    const started = new Promise<void>((resolve) => {
      const off = persistence.onBacklog(() => {
        if (persistence.figuresProgress === null) return;
        off();
        resolve();
      });
    });
    const rebuilding = persistence.startRebuild();
    await started;
    const { undo } = undoOfLast(persistence.doc);
    appendEntries(persistence.doc, undo.device, [undo]);
    const saved = persistence.flush().then(() => {
      saving.push({ figures: persistence.figuresProgress !== null, saved: true });
    });
    await rebuilding;
    await saved;
    expect(saving).toEqual([{ figures: false, saved: true }]);
    expect(seen.at(-1)).toEqual({ done: 2 * ENTRIES, total: 2 * ENTRIES });
    await persistence.rebuilt();
    await noDifferences(persistence);
    persistence.destroy();
  });

  it('a save made meanwhile commits before the history is written, and its rows are never overwritten by older copies', async () => {
    const { db } = await seeded();
    // A small budget: the history takes hundreds of pieces, one transaction each.
    const persistence = new DocPersistence(db, () => Date.UTC(2026, 0, 10), 20_000, 4 * 1024);
    await persistence.load();
    // The stock is written: the figures are right before the history is.
    expect(await db.stock.count()).toBeGreaterThan(0);
    const progress = persistence.rebuildProgress!;
    expect(progress.total).toBeGreaterThan(ENTRIES);
    expect(progress.written).toBeLessThan(progress.total);

    const { target, undo } = undoOfLast(persistence.doc);
    expect(await ledgerOf(db).get(idOf(target))).toBeUndefined();
    const order: string[] = [];
    const rebuilt = persistence.rebuilt().then(() => order.push('history written'));
    appendEntries(persistence.doc, undo.device, [undo]);
    await persistence.flush();
    order.push('saved');
    expect(order).toEqual(['saved']);
    expect(persistence.rebuildProgress!.written).toBeLessThan(progress.total);
    // The undo's row, and the undone entry's, as the save wrote them.
    expect(await ledgerOf(db).get(idOf(undo))).toBeDefined();

    await rebuilt;
    expect(persistence.rebuildProgress).toBeNull();
    expect(await db.meta.get('projection')).not.toHaveProperty('incomplete');
    // The undone entry's row, written by the rebuild after the save, says it is undone.
    const undone = await ledgerOf(db).get(idOf(target));
    expect(undone).toBeDefined();
    expect(undone!.applied).toBe(0);
    await noDifferences(persistence);
    persistence.destroy();
  });

  it('a piece that cannot be written (disk full) is tried again behind the next save', async () => {
    const { db } = await seeded();
    const persistence = new DocPersistence(db, () => Date.UTC(2026, 0, 10), 20_000, 16 * 1024);
    await persistence.load();
    const proto = globalThis.IDBObjectStore.prototype;
    const put = proto.put;
    proto.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      await expect(persistence.rebuilt()).rejects.toThrow(/quota/);
    } finally {
      proto.put = put;
    }
    expect(await db.meta.get('projection')).toMatchObject({ incomplete: true });
    const { undo } = undoOfLast(persistence.doc);
    appendEntries(persistence.doc, undo.device, [undo]);
    await persistence.flush();
    await persistence.rebuilt();
    expect(await db.meta.get('projection')).not.toHaveProperty('incomplete');
    await noDifferences(persistence);
    persistence.destroy();
  });
});

describe('a rebuild lets the page run while it reads and folds the history', () => {
  it('pauses between slices, and an entry a peer sends meanwhile counts once', async () => {
    const { db } = await seeded();
    let pauses = 0;
    let sent: { target: Entry; undo: Entry } | null = null;
    // Every check is the end of a slice (sliceMs 0): the pause is where other tasks would run.
    const pause = async () => {
      pauses++;
      if (sent) return;
      // At the first pause, the history is being read: an undo arrives for an entry of the device read
      // last (its array is not reached yet). It is counted after the rebuild, not read into it as well.
      sent = undoOfLast(persistence.doc);
      appendEntries(persistence.doc, sent.undo.device, [sent.undo]);
    };
    const persistence = new DocPersistence(db, () => Date.UTC(2026, 0, 10), undefined, undefined, {
      sliceMs: 0,
      pause,
    });
    await persistence.load();
    await persistence.rebuilt();
    await persistence.flush();
    await persistence.projected();
    // About one pause per 256 entries read, and again per 256 folded.
    expect(pauses).toBeGreaterThanOrEqual(Math.floor((2 * ENTRIES) / 256));
    expect(sent).not.toBeNull();
    const { target, undo } = sent!;
    expect(await ledgerOf(db).get(idOf(undo))).toBeDefined();
    expect((await ledgerOf(db).get(idOf(target)))!.applied).toBe(0);
    // Read twice, the undo would be set aside as appearing twice.
    expect(await db.problems.toArray()).toEqual([]);
    expect(await ledgerOf(db).count()).toBe(ENTRIES + 1);
    await noDifferences(persistence);
    persistence.destroy();
  });
});

describe('a very large update from a peer or a sync file', () => {
  it('is projected in transactions within the budget, and ends with what a rebuild gives', async () => {
    const db = new LarderDB(uniqueName('rebuild'));
    opened.push(db);
    // Batches over 1,000 entries are split; each piece is also held within TRANSACTION_BYTES. A chunk at a
    // time, not caught up by a rebuild (CATCH_UP_ENTRIES; the catch-up has tests of its own).
    const chunked = (into: LarderDB) =>
      new DocPersistence(into, () => Date.UTC(2026, 0, 10), 1_000, undefined, undefined, Infinity);
    const persistence = chunked(db);
    await persistence.load();
    // The ledger rows written in each transaction, counting every row of each block put (a block is
    // written whole), and their text.
    const rowsOf = (value: unknown) => {
      const block = value as StoredBlock;
      return block.packed ? decodeLedgerRows(block.packed).length : (block.rows?.length ?? 0);
    };
    const ledgerRows = await writesPerTransaction(
      async () => {
        Y.applyUpdate(persistence.doc, state, 'remote');
        await persistence.flush();
        await persistence.projected();
      },
      'blocks',
      rowsOf,
    );
    expect(await ledgerOf(db).count()).toBe(ENTRIES);
    // Every entry's row is written at least once; the blocks of a piece are written whole, with the rows
    // earlier pieces put there (counted in the budget: BLOCK_BYTES a block).
    expect(ledgerRows.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(ENTRIES);
    expect(ledgerRows.length).toBeGreaterThan(ENTRIES / 1_000);
    await persistence.rebuild();
    const fresh = new LarderDB(uniqueName('rebuild'));
    opened.push(fresh);
    const again = chunked(fresh);
    await again.load();
    const ledgerBytes = await writesPerTransaction(
      async () => {
        Y.applyUpdate(again.doc, state, 'remote');
        await again.flush();
        await again.projected();
      },
      'blocks',
      (value) => JSON.stringify(value).length,
    );
    // A piece's blocks, whole, stay within the budget (counted high: the text of a row is what Chromium
    // writes for it, give or take its keys).
    expect(Math.max(...ledgerBytes)).toBeLessThanOrEqual(TRANSACTION_BYTES);
    again.destroy();
    expect(await db.meta.get('projection')).not.toHaveProperty('incomplete');
    await noDifferences(persistence);
    persistence.destroy();
  });
});

describe('projectionPiece', () => {
  it('takes entries while they fit in the budget and the count, at least one; each ledger block they fall in counts once', () => {
    const entry = fc.record({
      device: fc.constantFrom('a', 'b', 'c'),
      seq: fc.nat({ max: 3 * BLOCK_ENTRIES }),
      note: fc.string({ maxLength: 600 }),
    });
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 100 }),
        fc.nat(),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 4 * BLOCK_BYTES }),
        (raw, start, most, budget) => {
          const entries = raw as unknown as Parameters<typeof projectionPiece>[0];
          const from = start % entries.length;
          const n = projectionPiece(entries, from, most, budget);
          const cost = (k: number) => {
            const piece = entries.slice(from, from + k);
            const blocks = new Set(piece.map((e) => `${e.device}/${Math.floor(e.seq / BLOCK_ENTRIES)}`));
            return piece.reduce((sum, e) => sum + rowBytes(e) + 512, 0) + blocks.size * BLOCK_BYTES;
          };
          expect(n).toBeGreaterThanOrEqual(1);
          expect(n).toBeLessThanOrEqual(Math.min(most, entries.length - from));
          if (n > 1) expect(cost(n)).toBeLessThanOrEqual(budget);
          if (n < Math.min(most, entries.length - from)) expect(cost(n + 1)).toBeGreaterThan(budget);
        },
      ),
      { seed: 12, numRuns: 300 },
    );
  });
});

describe('deleteRowsNotIn', () => {
  it('reads the keys a page at a time and deletes exactly the rows refused, across page edges', async () => {
    const db = new LarderDB(uniqueName('rebuild'));
    opened.push(db);
    const keys = Array.from({ length: 100 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    await db.hubs.bulkPut(keys.map((id) => ({ id, name: id, createdAt: 0 })));
    const pages: number[] = [];
    const proto = Object.getPrototypeOf(db.hubs.toCollection()) as { primaryKeys: () => Promise<string[]> };
    const primaryKeys = proto.primaryKeys;
    proto.primaryKeys = async function (this: unknown) {
      const found = await primaryKeys.call(this);
      pages.push(found.length);
      return found;
    };
    try {
      await deleteRowsNotIn(db, db.hubs as never, (key) => Number(key.slice(1)) % 3 === 0, 7);
    } finally {
      proto.primaryKeys = primaryKeys;
    }
    expect(await db.hubs.toCollection().primaryKeys()).toEqual(keys.filter((_, i) => i % 3 === 0));
    // 100 keys, 7 a page: 15 pages, the last one short, never more than a page at once.
    expect(pages).toEqual([...Array(14).fill(7), 2]);
  });
});

describe('transactionChunks', () => {
  it('cuts rows in order into runs within the budget; only a row larger than the budget goes alone', () => {
    const row = fc.record({ id: fc.string({ maxLength: 16 }), note: fc.string({ maxLength: 600 }) });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 200 }), fc.integer({ min: 1, max: 20_000 }), (rows, budget) => {
        const chunks = [...transactionChunks(rows, budget)];
        expect(chunks.flat()).toEqual(rows);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          const bytes = chunk.reduce((sum, r) => sum + rowBytes(r), 0);
          if (chunk.length > 1) expect(bytes).toBeLessThanOrEqual(budget);
        }
        // Greedy: a chunk is cut only when the next row would not fit in it.
        for (let i = 1; i < chunks.length; i++) {
          const before = chunks[i - 1]!.reduce((sum, r) => sum + rowBytes(r), 0);
          expect(before + rowBytes(chunks[i]![0])).toBeGreaterThan(budget);
        }
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('measures a run when it is asked for, not every row up front', () => {
    const rows = Array.from({ length: 1_000 }, (_, i) => ({ id: `r${i}` }));
    const measured: number[] = [];
    const chunks = transactionChunks(rows, 100, (row) => {
      measured.push(Number(row.id.slice(1)));
      return 10;
    });
    const first = chunks.next();
    expect(first.value).toHaveLength(10);
    // The first run's ten rows and the one that did not fit in it.
    expect(measured).toEqual([...Array(11).keys()]);
    expect([...chunks]).toHaveLength(99);
    expect(measured).toHaveLength(1_000);
  });
});
