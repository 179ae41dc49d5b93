import type { SignedHead } from '../../shared/doc';
import {
  encodeBodyPaced,
  type CheckpointSetting,
  type EncodedCheckpoint,
} from '../../shared/checkpoint/format';
import { CheckpointError, checkpointBody, coversFromGate } from '../../shared/checkpoint/make';
import type { Member } from '../../shared/trust/members';
import type { LarderDB } from './db';
import { storedBlocks, unpackPaced } from './ledgerRows';
import { buffersOf, type WorkerAnswer } from '../platform/oneShotWorker';

/**
 * A checkpoint's two parts encoded from a device's projection tables: what `makeStoreCheckpoint` asks of
 * its encoder (checkpointEncoder.ts), in a worker in the app (reading and encoding a million rows is seconds
 * of work and hundreds of megabytes of young objects) or on the page where there is none. Signing stays
 * with the caller: the device's key never leaves the page.
 */

/** What the encoder needs besides the tables: the doc's signed heads and settings, read on the page. */
export interface CheckpointRequest {
  /** The device's database (the worker opens it by its name). */
  db: string;
  network: string;
  by: string;
  at: number;
  heads: Map<string, SignedHead>;
  /** The member list's members, for the revocations that cut a device's chain (`coversFromGate`). */
  members: Map<string, Member>;
  settings: CheckpointSetting[];
}

/** The encoder's answer. */
export type CheckpointReply =
  /** `covered`: the entries its covers reach (what it spares a receiver). */
  | { kind: 'encoded'; encoded: EncodedCheckpoint; covered: number }
  /** A large update or a rebuild is still being projected: ask again once it is. */
  | { kind: 'incomplete' }
  /** Counted entries not under a signed position yet, on this many devices (`coversFromGate`). */
  | { kind: 'waiting'; devices: number }
  /** The tables hold a row the covers do not reach (`checkpointBody`'s CheckpointError). */
  | { kind: 'refused'; message: string };

/**
 * Reads the gate, stock, usage and ledger tables as one consistent state and encodes the checkpoint's body
 * from them. A large update (and a rebuild) is projected in several transactions: the gate's positions are
 * written with the first, the ledger and stock rows of the rest after, and the projection meta row says
 * `incomplete` until the last. Read meanwhile, the gate would cover positions whose entries are not in the
 * rows yet, and a device starting from the checkpoint would skip them for good; so the tables are read in
 * one transaction with that row, and nothing is encoded unless it says the projection is complete.
 * The rows are decoded and encoded in steps, `pause` awaited between them (on the page, `pacer()`: the page
 * runs between them; in a worker, nothing to wait for).
 */
export async function encodeFromTables(
  db: LarderDB,
  request: CheckpointRequest,
  pause: () => Promise<void>,
): Promise<CheckpointReply> {
  const [projection, gate, stock, usage, blocks] = await db.transaction(
    'r',
    [db.meta, db.gate, db.stock, db.usage, ...db.ledgerTables],
    () =>
      Promise.all([
        db.meta.get('projection'),
        db.gate.toArray(),
        db.stock.toArray(),
        db.usage.toArray(),
        storedBlocks(db),
      ]),
  );
  if (projection?.key === 'projection' && projection.incomplete) return { kind: 'incomplete' };
  const { covers, waiting } = coversFromGate(gate, request.heads, { members: request.members });
  if (waiting.length > 0) return { kind: 'waiting', devices: waiting.length };
  // Decoded after the transaction: it would not let the page run between blocks.
  const ledger = await unpackPaced(blocks, pause);
  const { network, by, at, settings } = request;
  let body;
  try {
    body = checkpointBody({ network, by, at, covers, stock, usage, ledger, settings });
  } catch (error) {
    if (error instanceof CheckpointError) return { kind: 'refused', message: error.message };
    throw error;
  }
  const covered = covers.reduce((n, c) => n + c.seq, 0);
  return { kind: 'encoded', encoded: await encodeBodyPaced(body, pause), covered };
}

/**
 * The checkpoint worker's work (checkpoint.worker.ts) for one request: opens the device's database by its
 * name, encodes from its tables with nothing to wait for between steps, and closes it. With the answer, the
 * buffers to transfer rather than copy.
 */
export async function answerRequest(
  request: CheckpointRequest,
  open: (name: string) => LarderDB,
): Promise<{ answer: WorkerAnswer<CheckpointReply>; transfer: ArrayBuffer[] }> {
  const db = open(request.db);
  try {
    const reply = await encodeFromTables(db, request, () => Promise.resolve());
    const transfer = reply.kind === 'encoded' ? buffersOf([reply.encoded.head, reply.encoded.rows]) : [];
    return { answer: { reply }, transfer };
  } catch (error) {
    return { answer: { error: error instanceof Error ? error.message : String(error) }, transfer: [] };
  } finally {
    db.close();
  }
}
