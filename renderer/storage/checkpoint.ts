import type * as Y from 'yjs';
import { checkLedgerEntry, headsOf, membersOf, type SignedHead } from '../../shared/doc';
import { signSkeleton, verifySkeleton } from '../../shared/checkpoint/skeleton';
import { checkpointCutPaced, skeletonUpToPaced } from '../../shared/sync/cut';
import { HistoryLeftOutError, skeletonOf, type Skeleton } from '../../shared/sync/skeleton';
import type { LedgerRow } from '../../shared/projection';
import { onHandRows } from '../../shared/onHand';
import { shelfRows } from '../../shared/shelf';
import { isEnvelope, SETTING_MAPS } from '../../shared/trust/settings';
import { CheckpointFormatError, type CheckpointSetting } from '../../shared/checkpoint/format';
import { decodeBundle, encodeBundle } from '../../shared/checkpoint/bundle';
import { evaluateMembers } from '../../shared/trust/members';
import { CheckpointError, signEncoded, type SignedCheckpoint } from '../../shared/checkpoint/make';
import { coveredBy, gateStates } from '../../shared/checkpoint/seed';
import { gateRowOf } from './gateRows';
import {
  CHECKPOINT_MAKERS,
  verifyCheckpoint,
  type CheckpointRefusal,
  type VerifiedCheckpoint,
} from '../../shared/checkpoint/verify';
import type { CheckpointMetaRow, LarderDB, ProjectionMetaRow } from './db';
import { putLedgerRows } from './ledgerRows';
import { checkpointEncoder, type CheckpointEncoder } from './checkpointEncoder';
import type { LarderStore } from './store';
import { CHECKPOINT_REUSE_MS } from '../../shared/checkpoint/reuse';
import { nextTask, pacer } from '../../shared/pace';

/**
 * Checkpoints from and into a device's IndexedDB (shared/checkpoint/ holds the rules). A device makes one
 * from what it has projected: its gate's per-device positions, its stock, usage and ledger rows, the
 * signed heads and settings in its doc; a new device writes a verified one into its projection tables.
 */

/** The signed heads in a doc, as tuples (only well-shaped ones: the checkpoint's receivers verify them). */
function headsIn(doc: Y.Doc): Map<string, SignedHead> {
  const heads = new Map<string, SignedHead>();
  headsOf(doc).forEach((value, device) => {
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      Number.isInteger(value[0]) &&
      typeof value[1] === 'string' &&
      typeof value[2] === 'string'
    )
      heads.set(device, value as unknown as SignedHead);
  });
  return heads;
}

/** Every signed setting in the doc, as its writer signed it. */
function settingsIn(doc: Y.Doc): CheckpointSetting[] {
  const out: CheckpointSetting[] = [];
  for (const map of SETTING_MAPS)
    doc.getMap<unknown>(map).forEach((raw, key) => {
      if (isEnvelope(raw)) out.push({ map, key, env: raw });
    });
  return out;
}

/** How many times a checkpoint waits for a large update or a rebuild to be projected before it gives up. */
const PROJECTION_WAITS = 3;

/** A checkpoint this device made: signed, with its digest and the entries its covers reach. */
export type MadeCheckpoint = SignedCheckpoint & { digest: string; covered: number };

/** The heads as a string to compare (a few hundred devices at most). */
const headsKey = (heads: Map<string, SignedHead>) => JSON.stringify([...heads]);

/**
 * A checkpoint of everything this device counts, signed with its key. Only on a signed network, and
 * only once every counted entry is covered by a position its device signed (else a CheckpointError that
 * says how many devices it waits for: make it again after the next sync), and only from a complete
 * projection: it waits for a large update or a rebuild to be projected (checkpointTables.ts says why).
 * The tables are read and encoded by `encode` (in the app, a worker: checkpointEncoder.ts); the head is
 * signed here.
 */
export async function makeStoreCheckpoint(
  store: LarderStore,
  now: number,
  encode: CheckpointEncoder = checkpointEncoder(store.db),
): Promise<MadeCheckpoint> {
  const self = store.self;
  // As the doc has it now, also in an app just opened, before anything new was projected.
  const members = await store.currentMembers();
  const identity = await store.db.meta.get('identity');
  if (!self || !members || !identity || !('privateKey' in identity))
    throw new CheckpointError('Only a device of a signed network, with its own key, makes checkpoints');
  for (let wait = 0; wait <= PROJECTION_WAITS; wait++) {
    await store.persistence.flush();
    await store.persistence.projected();
    await store.persistence.rebuilt();
    const doc = store.persistence.doc;
    const heads = headsIn(doc);
    const reply = await encode({
      db: store.db.name,
      network: self.networkId,
      by: self.deviceId,
      at: now,
      heads,
      members: members.members,
      settings: settingsIn(doc),
    });
    if (reply.kind === 'encoded') {
      const signed = await signEncoded(reply.encoded, self.networkId, self.deviceId, identity.privateKey);
      return { ...signed, covered: reply.covered };
    }
    if (reply.kind === 'refused') throw new CheckpointError(reply.message);
    // The heads were read before the tables: a head that came and went through the gate meanwhile is
    // not a reason to give up.
    if (reply.kind === 'waiting' && headsKey(headsIn(doc)) === headsKey(heads))
      throw new CheckpointError(
        `Waiting for ${reply.devices} device(s) whose entries are not all under a signed position yet`,
      );
  }
  throw new CheckpointError(
    'Entries are still being added to the figures; make the checkpoint once they are',
  );
}

/**
 * Writes a verified checkpoint and its checked rows into a new device's projection tables, in one
 * transaction: the stock view is right as soon as it commits, and the gate goes on from each covered
 * position. The settings tables are not written here: the doc's settings maps arrive with sync and are
 * projected as usual. `meta`, when given, is written in the same transaction (DocPersistence.seed: the
 * projection's version, and the checkpoint the device is behind).
 */
export async function seedFromCheckpoint(
  db: LarderDB,
  checkpoint: VerifiedCheckpoint,
  rows: readonly LedgerRow[],
  meta?: { projection: ProjectionMetaRow; checkpoint: CheckpointMetaRow },
): Promise<void> {
  const { head } = checkpoint;
  const tables = [db.stock, db.shelf, db.onHand, db.usage, ...db.ledgerTables, ...db.gateTables, db.meta];
  await db.transaction('rw', tables, async () => {
    await Promise.all([
      db.stock.clear(),
      db.shelf.clear(),
      db.onHand.clear(),
      db.usage.clear(),
      db.blocks.clear(),
      db.links.clear(),
      db.itemLists.clear(),
      db.gate.clear(),
      db.gatePending.clear(),
    ]);
    await db.stock.bulkPut(head.stock);
    await db.shelf.bulkPut(shelfRows(head.stock));
    await db.onHand.bulkPut(onHandRows(head.stock));
    await db.usage.bulkPut(head.usage);
    await putLedgerRows(db, rows);
    await db.gate.bulkPut(gateStates(head.covers).map((d) => gateRowOf(d, 0)));
    if (meta) await db.meta.bulkPut([meta.projection, meta.checkpoint]);
  });
}

const recent = new WeakMap<LarderStore, { at: number; checkpoint: Promise<MadeCheckpoint> }>();

/** This device's checkpoint made at most CHECKPOINT_REUSE_MS ago, or a new one (one that failed is not kept). */
function recentCheckpoint(store: LarderStore, now: number): Promise<MadeCheckpoint> {
  const last = recent.get(store);
  if (last && now >= last.at && now - last.at <= CHECKPOINT_REUSE_MS) return last.checkpoint;
  const checkpoint = makeStoreCheckpoint(store, now);
  recent.set(store, { at: now, checkpoint });
  checkpoint.catch(() => {
    if (recent.get(store)?.checkpoint === checkpoint) recent.delete(store);
  });
  return checkpoint;
}

/**
 * A checkpoint of this device's state with the member log to verify it by, as a sync file carries it
 * (shared/checkpoint/bundle.ts); null when this device may not make one (only admins and coordinators
 * may) or cannot now (a CheckpointError: a device's counted entries are not all under a signed position
 * yet, or entries are still being added to the figures; any other failure is logged): the file then goes
 * without one. `covered`: the entries it spares its receiver. The checkpoint may be one made a few minutes
 * ago (`CHECKPOINT_REUSE_MS`), while this device may still make one; the member log is today's.
 */
export async function storeCheckpointBundle(
  store: LarderStore,
  now: number,
): Promise<{ bytes: Uint8Array; covered: number } | null> {
  const self = store.self;
  const members = await store.currentMembers();
  const me = self && members?.members.get(self.deviceId);
  if (!me || me.revoked || !CHECKPOINT_MAKERS.includes(me.role)) return null;
  let checkpoint: MadeCheckpoint;
  try {
    checkpoint = await recentCheckpoint(store, now);
  } catch (error) {
    // The file goes without one: a checkpoint only spares its receiver time.
    if (error instanceof CheckpointError) console.info('Larder makes no checkpoint now:', error.message);
    else console.warn('Larder could not make a checkpoint', error);
    return null;
  }
  // As this device replays it (with the one its own checkpoint came with, while its doc lacks some of that).
  const log = store.persistence.trust?.memberLog() ?? membersOf(store.persistence.doc).toArray();
  const skeleton = await skeletonFor(store, checkpoint);
  return {
    bytes: encodeBundle({ checkpoint, members: log, ...(skeleton ? { skeleton } : {}) }),
    covered: checkpoint.covered,
  };
}

const skeletons = new WeakMap<MadeCheckpoint, Promise<{ bytes: Uint8Array; sig: string } | null>>();

/**
 * The positions this device's own checkpoint covers, read from its head's covers (format.ts: the fifth
 * tuple, each cover's device and sequence number first). Its own bytes, just made: not checked again
 * (`decodeHead` checks every stock and usage row too, a task of hundreds of milliseconds at 100,000 entries).
 */
function ownCovers(head: Uint8Array): { device: string; seq: number }[] {
  const tuples = (JSON.parse(new TextDecoder().decode(head)) as unknown[])[4] as [string, number][];
  return tuples.map(([device, seq]) => ({ device, seq }));
}

/**
 * The skeleton `checkpoint` carries (docs/checkpoints.md, "The compacted state to continue syncing from"):
 * this device's doc as it is now (its history read from disk when it runs on a skeleton), up to the cut before
 * which every ledger value is one the checkpoint covers, signed. Made once per checkpoint (it is used again
 * for a few minutes); null when it cannot be (this device does not hold the history before its own checkpoint
 * yet, or anything else fails: the bundle goes without, and its receiver takes the history over Yjs).
 */
function skeletonFor(
  store: LarderStore,
  checkpoint: MadeCheckpoint,
): Promise<{ bytes: Uint8Array; sig: string } | null> {
  let made = skeletons.get(checkpoint);
  if (!made) {
    made = (async () => {
      const self = store.self;
      const identity = await store.db.meta.get('identity');
      if (!self || !identity || !('privateKey' in identity)) return null;
      try {
        const persistence = store.persistence;
        const doc = skeletonOf(persistence.doc) ? await persistence.historyDoc() : persistence.doc;
        const covered = coveredBy(ownCovers(checkpoint.head));
        const counted = (device: string, value: unknown) => {
          const checked = checkLedgerEntry(device, value);
          return checked.ok && covered(checked.entry);
        };
        // The cut in tasks of its own: its first slice and what came before it (the member log read, the
        // covers parsed) were one task of 90 ms at 100,000 entries.
        await nextTask();
        const pause = pacer();
        const cut = await checkpointCutPaced(doc, counted, pause);
        const skeleton = await skeletonUpToPaced(doc, cut, pause);
        return await signSkeleton(
          skeleton,
          self.networkId,
          self.deviceId,
          checkpoint.digest,
          identity.privateKey,
        );
      } catch (error) {
        if (!(error instanceof HistoryLeftOutError))
          console.warn('Larder could not make the skeleton of its checkpoint', error);
        return null;
      }
    })();
    skeletons.set(checkpoint, made);
  }
  return made;
}

/** What came of starting from a checkpoint bundle: its maker and time, or why it was not used. */
export type CheckpointStart =
  | { ok: true; by: string; byName: string; at: number; covered: number }
  | { ok: false; refusal: CheckpointRefusal };

/**
 * Starts this new device (joined, no entries yet) from a checkpoint bundle: replays the member log that
 * came with it from this network's own anchor (the invite's network id), verifies the checkpoint by it,
 * and seeds the store (DocPersistence.seed), which resolves once the figures are committed. A bundle that
 * is malformed or fails verification is refused with the checkpoint's refusal code, nothing written.
 */
export async function startFromBundle(store: LarderStore, bytes: Uint8Array): Promise<CheckpointStart> {
  const self = store.self;
  if (!self) throw new Error('A device starts from a checkpoint once it has joined a network');
  const malformed = (error: unknown): CheckpointStart => {
    if (error instanceof CheckpointFormatError)
      return { ok: false, refusal: { code: 'checkpoint.malformed', detail: error.message } };
    throw error;
  };
  let bundle;
  try {
    bundle = decodeBundle(bytes);
  } catch (error) {
    return malformed(error);
  }
  const members = await evaluateMembers(self.networkId, bundle.members, self.anchor ?? self.networkId);
  // Each its own task: at 1M, the member log, the head's check and its signature were one of 150-200 ms.
  await nextTask();
  const verdict = await verifyCheckpoint(bundle.checkpoint, self.networkId, members);
  if (!verdict.ok) return verdict;
  await nextTask();
  // Its maker's skeleton, when it carries one (docs/checkpoints.md): checked, or the bundle is refused.
  let skeleton: Skeleton | null = null;
  if (bundle.skeleton) {
    const { head, digest } = verdict.checkpoint;
    const covered = coveredBy(head.covers);
    try {
      skeleton = await verifySkeleton(
        bundle.skeleton,
        { network: self.networkId, by: head.by, key: members.members.get(head.by)!.key, digest },
        (device, value) => {
          const checked = checkLedgerEntry(device, value);
          return checked.ok && covered(checked.entry);
        },
      );
    } catch (error) {
      return malformed(error);
    }
    await nextTask();
  }
  try {
    await store.persistence.seed(verdict.checkpoint, bundle.checkpoint.rows, bundle.members, skeleton);
  } catch (error) {
    return malformed(error);
  }
  const { head, covered } = verdict.checkpoint;
  return {
    ok: true,
    by: head.by,
    byName: members.members.get(head.by)?.name ?? head.by,
    at: head.at,
    covered,
  };
}
