import { CheckpointFormatError } from '../../shared/checkpoint/errors';
import { decodeLedgerRows, DECODE_STEP } from '../../shared/checkpoint/rows';
import type { RowsDigestHead } from '../../shared/checkpoint/format';
import type { LedgerRow } from '../../shared/projection';
import { copyBytes, ownBytes, pacer, runStepsPaced, type PaceOptions } from '../../shared/pace';
import { loadFastSha256 } from '../../shared/trust/crypto';
import { offPage, workerSession, type WorkerAnswer } from '../platform/oneShotWorker';
import type { CheckpointMetaRow, LarderDB } from './db';
import { putLedgerRows } from './ledgerRows';

/**
 * The rows of the checkpoint a new device started from (its history: what an undo or a receipt that
 * arrives later needs), read once and written a transaction at a time between the device's other writes
 * (persistence.ts `seed`, `queueSeedHistory`). At a million rows, reading them is seconds of work and
 * writing them packs them into ledger blocks: both are done in a dedicated worker kept until the last
 * transaction (`seedRows.worker.ts`), which opens the device's IndexedDB by its name, so that neither holds
 * the page nor grows its heap. The page keeps the order: it asks for each transaction on its chain of
 * writes, as it wrote each before.
 */
export interface SeedRows {
  /** How many rows there are. */
  readonly count: number;
  /**
   * Writes rows `at` to `at + n` with the checkpoint's meta row (`meta`: how far its history is written) in
   * one transaction, and drops the rows kept for a start once `done`. True if the item lists are to be
   * filled again (`putLedgerRows`).
   */
  write(at: number, n: number, meta: CheckpointMetaRow, done: boolean): Promise<boolean>;
  /** Lets the rows go (the worker ends). */
  close(): void;
}

/** How rows are read on the page: rows a step, and how often other tasks run (tests make them smaller). */
export interface SeedReading {
  every: number;
  pace?: PaceOptions;
}

export const SEED_READING: SeedReading = { every: DECODE_STEP };

/**
 * What the page asks the worker: to read the rows (checked against `head`, or not: its own) and, with
 * `keep`, keep their bytes for a start to go on from; or to write some.
 */
export type SeedRowsRequest =
  | { kind: 'read'; name: string; head: RowsDigestHead | null; bytes: Uint8Array; keep: boolean }
  | { kind: 'write'; at: number; n: number; meta: CheckpointMetaRow; done: boolean };

/** The rows read (how many), refused (the fault, nothing kept), or written (whether lists are to be filled). */
export type SeedRowsReply =
  | { kind: 'read'; count: number }
  | { kind: 'refused'; message: string }
  | { kind: 'written'; unlisted: boolean };

/** The rows' transaction: rows, how far the history is written, and the kept bytes dropped at the end. */
async function writeSeedChunk(
  db: LarderDB,
  rows: readonly LedgerRow[],
  meta: CheckpointMetaRow,
  done: boolean,
): Promise<boolean> {
  let unlisted = false;
  await db.transaction('rw', [...db.ledgerTables, db.meta], async () => {
    if (rows.length > 0 && (await putLedgerRows(db, rows))) unlisted = true;
    await db.meta.put(meta);
    if (done) await db.meta.delete('checkpointRows');
  });
  return unlisted;
}

/** Reads rows as `decodeRowsSteps` (a checkpoint's, with its head) or `decodeLedgerRows` (kept ones) do. */
async function readRows(
  head: RowsDigestHead | null,
  bytes: Uint8Array,
  reading: SeedReading,
): Promise<LedgerRow[]> {
  if (!head) return decodeLedgerRows(bytes);
  const { decodeRowsSteps } = await import('../../shared/checkpoint/format');
  return runStepsPaced(decodeRowsSteps(head, bytes, reading.every), pacer(reading.pace));
}

/** Rows held where they were read, written through `db` (the page's, or the worker's own). */
function rowsHeld(db: LarderDB, rows: readonly LedgerRow[]): SeedRows {
  let held: readonly LedgerRow[] | null = rows;
  return {
    count: rows.length,
    write: (at, n, meta, done) => {
      if (!held) return Promise.reject(new Error("The checkpoint's rows were let go"));
      return writeSeedChunk(db, held.slice(at, at + n), meta, done);
    },
    close: () => {
      held = null;
    },
  };
}

/**
 * Read where this runs (`reading` says how often other tasks run between steps: on the page, for tests in
 * Node and where a page has no worker; in the worker, in one go), kept if asked, and held for writing.
 */
async function readHere(
  db: LarderDB,
  head: RowsDigestHead | null,
  bytes: Uint8Array,
  keep: boolean,
  reading: SeedReading,
): Promise<SeedRows> {
  const rows = await readRows(head, bytes, reading);
  // Their own bytes, not a view into what they came in (a whole sync file's), which storing would store.
  if (keep) await keepRows(db, await ownBytes(bytes, pacer()));
  return rowsHeld(db, rows);
}

/**
 * The rows' bytes kept until all are written, for a start to go on from (`writeSeedChunk` drops them with
 * the last). Stored by whoever read them: IndexedDB copies a value on the thread that puts it, 45 ms for
 * 6.4 MB (a million rows) on this machine, and 360 ms when it was a view into a whole sync file's buffer.
 */
function keepRows(db: LarderDB, bytes: Uint8Array): Promise<unknown> {
  return db.meta.put({ key: 'checkpointRows', bytes });
}

/**
 * The worker's side: answers one request of the page's with the rows it holds (`state`), reading them with
 * a database opened by `open` (LarderDB by its name). A reading fault is a reply ("refused"), not an error:
 * the page refuses the checkpoint rather than read it again itself.
 */
export async function answerSeedRows(
  state: { rows: SeedRows | null },
  request: SeedRowsRequest,
  open: (name: string) => LarderDB,
): Promise<WorkerAnswer<SeedRowsReply>> {
  try {
    if (request.kind === 'read') {
      await loadFastSha256();
      state.rows?.close();
      state.rows = null;
      try {
        // As the page reads them, in one go: nothing else waits on this thread.
        state.rows = await readHere(open(request.name), request.head, request.bytes, request.keep, {
          every: Infinity,
        });
      } catch (error) {
        if (error instanceof CheckpointFormatError)
          return { reply: { kind: 'refused', message: error.message } };
        throw error;
      }
      return { reply: { kind: 'read', count: state.rows.count } };
    }
    if (!state.rows) throw new Error('no rows read');
    const unlisted = await state.rows.write(request.at, request.n, request.meta, request.done);
    return { reply: { kind: 'written', unlisted } };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** A reply of the kind asked for, or the worker is not answering as it should. */
function expect<K extends SeedRowsReply['kind']>(
  reply: SeedRowsReply,
  kind: K,
): Extract<SeedRowsReply, { kind: K }> {
  if (reply.kind === 'refused') throw new CheckpointFormatError(reply.message);
  if (reply.kind !== kind) throw new Error(`seed rows worker: answered ${reply.kind}, not ${kind}`);
  return reply as Extract<SeedRowsReply, { kind: K }>;
}

/** Read in a worker kept for them (seedRows.worker.ts); its writes asked for one at a time. */
async function readInWorker(
  db: LarderDB,
  head: RowsDigestHead | null,
  bytes: Uint8Array,
  keep: boolean,
): Promise<SeedRows> {
  const session = workerSession<SeedRowsRequest, SeedRowsReply>(
    () => new Worker(new URL('./seedRows.worker.ts', import.meta.url), { type: 'module' }),
    'seed rows worker',
  );
  try {
    // A copy, made in parts and moved (posted, they were copied in one task: 72 ms for 6.4 MB at a 1M join):
    // should the worker fail, the page reads (and keeps) them itself from what it was given.
    const copy = await copyBytes(bytes, pacer());
    const { count } = expect(
      await session.ask({ kind: 'read', name: db.name, head, bytes: copy, keep }, [copy.buffer]),
      'read',
    );
    return {
      count,
      write: async (at, n, meta, done) =>
        expect(await session.ask({ kind: 'write', at, n, meta, done }), 'written').unlisted,
      close: () => session.close(),
    };
  } catch (error) {
    session.close();
    throw error;
  }
}

/**
 * A checkpoint's rows (checked against its `head`; null: rows this device kept, read again at a start),
 * held for writing, and with `keep` their bytes kept in the database (`keepRows`) before this resolves. In a
 * worker where the page can start one, else here; a worker that fails to read them is replaced by the page,
 * and a fault in the rows refuses them either way (a CheckpointFormatError), nothing kept.
 */
export function readSeedRows(
  db: LarderDB,
  head: RowsDigestHead | null,
  bytes: Uint8Array,
  keep: boolean,
  reading: SeedReading = SEED_READING,
): Promise<SeedRows> {
  return offPage<null, SeedRows>(
    "read the checkpoint's rows",
    () => readInWorker(db, head, bytes, keep),
    () => readHere(db, head, bytes, keep, reading),
    // A fault in the rows found in the worker: refused, not read again here.
    (error) => error instanceof CheckpointFormatError,
  )(null);
}
