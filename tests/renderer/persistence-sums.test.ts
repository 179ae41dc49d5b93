// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';
import { DocPersistence } from '../../renderer/storage/persistence';
import { appendEntries } from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { uniqueName } from './faults';
import { sha256JS } from '../../shared/trust/crypto';
import { toBase64Url } from '../../shared/sync/encoding';
import type * as Ingest from '../../shared/sync/ingest';

/**
 * Each stored row carries a sum of its bytes (xxHash3-128 since stop 34, SHA-256 before: renderer/storage/sums.ts). A start applies a row whose bytes still match it
 * without reading it through first (that read was half of a start's work: 0.94 s of 1.9 s at 1M); a row
 * without one (an older version's) or whose bytes changed since is read through as before, and set aside
 * if it cannot be read.
 */
const reads = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../shared/sync/ingest', async (importOriginal) => {
  const real = await importOriginal<typeof Ingest>();
  return {
    ...real,
    checkUpdateBytes: (update: Uint8Array) => {
      reads.n++;
      return real.checkUpdateBytes(update);
    },
  };
});

const NOW = () => Date.UTC(2026, 0, 10);
const opened: DocPersistence[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.destroy();
});

const donation = (seq: number): Entry => ({
  kind: 'donation',
  hub: 'hubnorth',
  device: 'devfront',
  seq,
  item: 'itemrice',
  qty: seq,
  at: NOW(),
  recordedAt: NOW(),
  source: 'individual',
});

async function started(db: LarderDB): Promise<DocPersistence> {
  const persistence = new DocPersistence(db, NOW);
  opened.push(persistence);
  await persistence.load();
  await persistence.rebuilt();
  return persistence;
}

async function withSaves(): Promise<LarderDB> {
  const db = new LarderDB(uniqueName('sums'));
  const first = await started(db);
  for (let seq = 1; seq <= 3; seq++) {
    appendEntries(first.doc, 'devfront', [donation(seq)]);
    await first.flush();
  }
  return db;
}

describe('stored rows and their sums', () => {
  it('a row written with its sum is applied without being read through first', async () => {
    const db = await withSaves();
    const rows = await db.updates.toArray();
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.sum).toMatch(/^x[A-Za-z0-9_-]{22}$/);
    reads.n = 0;
    const again = await started(db);
    expect(reads.n).toBe(0);
    expect((await db.stock.get('hubnorth|itemrice'))?.onHand).toBe(6);
    expect(again.doc.getMap('ledgers').size).toBe(1);
  });

  it('a row written with a SHA-256 sum (before stop 34) is applied without being read through first', async () => {
    const db = await withSaves();
    for (const row of await db.updates.toArray())
      await db.updates.put({ ...row, sum: toBase64Url(sha256JS(row.update)) });
    reads.n = 0;
    const first = await started(db);
    expect(reads.n).toBe(0);
    expect((await db.stock.get('hubnorth|itemrice'))?.onHand).toBe(6);
    // Written with today's kind of sum after that load, in the background; the next start reads none.
    await first.storedInPieces();
    for (const row of await db.updates.toArray()) expect(row.sum).toMatch(/^x[A-Za-z0-9_-]{22}$/);
    reads.n = 0;
    await started(db);
    expect(reads.n).toBe(0);
    // A SHA-256 sum that no longer matches is read through, as an xxHash one is.
    const [row] = await db.updates.toArray();
    await db.updates.put({ ...row!, sum: toBase64Url(sha256JS(new Uint8Array([1, 2, 3]))) });
    reads.n = 0;
    await started(db);
    expect(reads.n).toBe(1);
    expect(await db.damaged.count()).toBe(0);
  });

  it('a row without a sum (an older version) is read through, and applied', async () => {
    const db = await withSaves();
    const [row] = await db.updates.toArray();
    await db.updates.put({ id: row!.id, update: row!.update, entries: row!.entries });
    reads.n = 0;
    await started(db);
    expect(reads.n).toBe(1);
    expect(await db.damaged.count()).toBe(0);
  });

  it('a row whose bytes changed since it was written is read through, and set aside when damaged', async () => {
    const db = await withSaves();
    const [row] = await db.updates.toArray();
    // Cut short, as a power cut mid-write can leave it: the sum no longer matches.
    await db.updates.put({ ...row!, update: row!.update.slice(0, row!.update.length - 3) });
    reads.n = 0;
    await started(db);
    expect(reads.n).toBe(1);
    expect(await db.damaged.count()).toBe(1);
  });
});
