import type { Collection, Table } from 'dexie';
import * as Y from 'yjs';
import {
  devicesOf,
  deviceSchema,
  entriesFromEvents,
  hubsOf,
  hubSchema,
  itemsOf,
  ledgersOf,
  levelsOf,
  levelsSchema,
  categoryLevelsOf,
  settingCopiesOf,
  settingVersionsOf,
  writtenOf,
  HEADS,
  headsOf,
  membersOf,
  readAllEntriesPaced,
  eachEntryPaced,
  parseItem,
  appendEntries,
  DecodedWires,
  type SetAside,
} from '../../shared/doc';
import { STORED_FORM } from '../../shared/entryForms';
import { afterQuiet, nextTask, pacer, type PaceOptions } from '../../shared/pace';
import { loadRowSums, rowIntact, rowSum, rowSumIsCurrent } from './sums';
import { appendAll } from '../../shared/arrays';
import { idOf, refersToEntry, type Entry } from '../../shared/entries';
import { normalizeName } from '../../shared/catalog';
import { Projector, type LedgerRow, type StockRow, type UsageRow } from '../../shared/projection';
import { onHandKeysOf, onHandRows, patchOnHand } from '../../shared/onHand';
import { hubLevelsKeysOf, hubLevelsRows, patchHubLevels, type LevelsChange } from '../../shared/hubLevels';
import { shelfRows } from '../../shared/shelf';
import {
  isLocalProblem,
  type CategoryLevelsRow,
  type DamagedRow,
  type DeviceRow,
  type HubRow,
  type ItemRow,
  type JournalRow,
  type LarderDB,
  type LevelsRow,
  type ProblemRow,
  type SkeletonMetaRow,
  type UpdateRow,
} from './db';
import { changesStaging, plannedHeads, stagingDoc, stagingDocInSlices } from './staging';
import { EarlierSaveFailed } from './saveErrors';
import { PIECE_BYTES, updatePieces } from './pieces';
import { workerCutter } from './pieceCutter';
import {
  compareProjections,
  settingTablesInMemory,
  canonical,
  type DataCheck,
  type DerivedTables,
  type SettingTables,
} from './check';
import { checkUpdateBytes, encodeAppliedState, ingestSettled } from '../../shared/sync/ingest';
import {
  decodeSkeleton,
  encodeSkeleton,
  HistoryLeftOutError,
  beforeCut,
  firstLacking,
  holdsAllWanted,
  originalsOf,
  rangesWithout,
  wantedIn,
  withRanges,
  SkeletonBuilder,
  skeletonOf,
  startedFromSkeleton,
  valuesBefore,
  type HistoryArrival,
  type Ranges,
  type Skeleton,
} from '../../shared/sync/skeleton';
import { TrustLayer, type TrustPlan } from './trust';
import { BehindCheckpoint } from './behindCheckpoint';
import type { VerifiedCheckpoint } from '../../shared/checkpoint/verify';
import {
  isEnvelope,
  parseCopyKey,
  SETTING_COPIES,
  SETTING_VERSIONS,
  parseVersionKey,
  settingValue,
  type SettingMap,
  type SettingVerdict,
} from '../../shared/trust/settings';
import { guardHeads } from '../../shared/sync/ingest';
import { headCheckFor } from '../../shared/sync/headCheck';
import {
  BLOCK_ENTRIES,
  blockKeyOf,
  inBlockOrder,
  blockKeyText,
  deleteLedgerRows,
  getLedgerRows,
  ledgerIds,
  ledgerRowsAtMost,
  ledgerRowsInSlots,
  listItemBlocks,
  putLedgerRows,
  sweepLedger,
} from './ledgerRows';
import { readSeedRows, SEED_READING, type SeedReading, type SeedRows } from './seedRows';
import { msg } from '../../shared/messages';

/**
 * Bump when the projection code changes what it writes, or what it can read: projections are then rebuilt
 * from the doc. 6: entries in the stored form (shared/wire.ts `storedEntry`), which a device of version 5
 * set aside, now count. 7: entries in the packed form (`packedEntry`), likewise. 8: the ledger blocks' rows
 * packed, and the transfers' rows kept whole in their links (ledgerRows.ts).
 */
export const PROJECTION_VERSION = 8;

/** Rows of a checkpoint's history written per transaction as a device starts from it (DocPersistence.seed). */
const SEED_HISTORY_ROWS = 2_048;

/** Figures cannot be derived from the doc yet: this device started from a checkpoint (DocPersistence.seed). */
export class BehindCheckpointError extends Error {
  constructor() {
    super(
      'This device started from a checkpoint and its history has not all arrived yet: its figures can be checked or worked out again once it has',
    );
    this.name = 'BehindCheckpointError';
  }
}
/**
 * A start whose figures are up to date runs on a skeleton of the doc (shared/sync/skeleton.ts,
 * docs/history.md) when its stored rows hold at least this many bytes: every setting and each ledger's last
 * value in memory, the history left on disk. 4 MiB is about 110,000 entries, whose doc holds about 9 MB of
 * heap; below it, the doc is loaded whole, as before skeletons.
 */
export const SKELETON_FROM_BYTES = 4 * 2 ** 20;
let skeletonFromBytes: number | null = SKELETON_FROM_BYTES;
/** How long after a start from a stored skeleton the rows it covers are read through (`checkRowsLater`). */
const CHECK_ROWS_AFTER_MS = 5_000;
let checkRowsAfter = CHECK_ROWS_AFTER_MS;
/**
 * Sets the size from which a start runs on a skeleton (null: never; tests), and how long after a start from a
 * stored skeleton its rows are read through (`checkRowsLater`), or puts back the defaults.
 */
export function setSkeletonStarts(
  fromBytes: number | null = SKELETON_FROM_BYTES,
  checkRowsAfterMs = CHECK_ROWS_AFTER_MS,
): void {
  skeletonFromBytes = fromBytes;
  checkRowsAfter = checkRowsAfterMs;
}
/**
 * A start on a skeleton stores it (meta `skeleton`) when none was stored or it read this many bytes of rows
 * since the one stored: the next start reads the skeleton and the rows after it, not every row.
 */
export const STORE_SKELETON_AFTER_BYTES = 2 ** 20;
/** How long a doc of the whole history, read from disk for an answer or a rebuild, is kept after its last use. */
export const HISTORY_KEPT_MS = 30_000;

/** Entries listed in the notice of damaged data (the count says how many there were in all). */
export const MAX_MISSING_LISTED = 500;
/** Small update rows are merged when there are more than this many (`mergeSmallUpdates`). */
const MERGE_AFTER_ROWS = 200;
/**
 * How long the load applies rows before the page runs (ms). Its slices make young objects that all
 * survive (the doc's structs), so V8's scavenges in them take 20-30 ms at ten million entries: with 20 ms
 * slices, tasks of 40-65 ms.
 */
export const LOAD_SLICE_MS = 10;
/** Stored rows read at a time when the doc is loaded (`storedRows`): about 2 MB of pieces. */
export const LOAD_ROWS_PER_READ = 16;

/**
 * Rows given today's kind of sum per transaction, after a load found them with an older one: 16 rows of
 * about 140 kB were tasks of 35-39 ms (Dexie reading them back and writing them) at 1M.
 */
const RESUM_ROWS = 8;
/** A stored row this small is merged with others; merged rows grow to about PIECE_BYTES. */
const MERGE_BELOW = PIECE_BYTES / 4;
/** A fill of the blocks listed by item goes on only this long after the last commit (`quietForListing`). */
const LISTING_QUIET_MS = 500;

/** A stored row larger than this (a new device's first sync, a sync file) is cut into pieces (`splitLargeRows`). */
const SPLIT_ABOVE = 2 * PIECE_BYTES;
/**
 * A batch with more entries than this, or more than TRANSACTION_BYTES of rows (a new device's first sync,
 * a whole-history sync file), is projected in pieces of at most this many entries and TRANSACTION_BYTES
 * (`projectionPiece`), one transaction each, so the device's own saves go in between.
 */
export const PROJECT_CHUNK = 20_000;
/**
 * A backlog of at least this many entries that is also longer than the history already projected (a new
 * device's first sync, a whole network's sync file) is caught up by a rebuild once the update is all in
 * (`catchUp`), not a chunk at a time: a rebuild folds the history in memory and writes the stock first, so
 * the figures are right and saves work within seconds, and the history rows follow between saves. Chunk
 * by chunk, every entry's ledger row is written before the stock is right: about 4.5 minutes at a million;
 * 20,400 entries (a new device joining a young network over WebRTC) 5.5 s from all in to right figures in
 * chunks, 4.0 s by a rebuild (a chunk costs about 200 us an entry, a rebuild under 20 us plus its few
 * hundred milliseconds of fixed cost).
 */
export const CATCH_UP_ENTRIES = 2_000;
/**
 * What a rebuild writes per transaction, at most (estimated by `rowBytes`). Chromium's IndexedDB (LevelDB
 * scopes) keeps a transaction's writes in memory up to 1 MB; past that it writes an undo log to disk as
 * it goes and deletes it key by key after the commit. Those deleted keys stay in LevelDB until a
 * compaction reaches them, which nothing asks for, and every later open of the database walks over them:
 * a database built by one rebuild transaction opened in 1.4-4 s in a just-started browser at 1M entries
 * (docs/benchmarks.md, "Cold open"). Half the limit, for what the estimate misses.
 */
export const TRANSACTION_BYTES = 512 * 1024;

/**
 * A projection row and its index entries as LevelDB holds them, counted high: its fields twice (keys
 * are UTF-16 there, and each index entry repeats the row's key) plus 512 bytes of keys and framing. A
 * ledger row of 200 characters counts 912 bytes; Chromium writes about 650 for it.
 */
export const rowBytes = (row: unknown): number => 2 * JSON.stringify(row).length + 512;

/**
 * What a ledger block (BLOCK_ENTRIES rows of about 200 characters) weighs when a transaction writes it
 * again, counted high as `rowBytes` counts: a piece of entries writes each block they fall in whole.
 */
export const BLOCK_BYTES = BLOCK_ENTRIES * 2 * 200;

/**
 * How many of `entries` (from `from` on) one transaction projects: at most `most`, and no more than fit in
 * `budget` bytes, counting for each its ledger row (`rowBytes`) and 512 bytes for the stock and usage rows
 * it changes, and BLOCK_BYTES for each ledger block the piece writes again. At least one.
 */
export function projectionPiece(
  entries: readonly Entry[],
  from: number,
  most: number,
  budget = TRANSACTION_BYTES,
) {
  let n = 0;
  let bytes = 0;
  const blocks = new Set<string>();
  while (from + n < entries.length && n < most) {
    const entry = entries[from + n]!;
    const block = blockKeyText([entry.device, Math.floor(entry.seq / BLOCK_ENTRIES)]);
    bytes += rowBytes(entry) + 512 + (blocks.has(block) ? 0 : BLOCK_BYTES);
    blocks.add(block);
    if (n > 0 && bytes > budget) break;
    n++;
  }
  return n;
}

/**
 * `rows` cut in order into runs of at most `budget` bytes by `rowBytes` (a larger row goes alone). Each run
 * is measured when it is asked for: a loop writing one per transaction measures the next run in the task
 * that writes it. Measured all at once, ten thousand stock rows held a rebuild's page 50 ms in one task,
 * and the garbage of it more.
 */
export function* transactionChunks<T>(
  rows: readonly T[],
  budget = TRANSACTION_BYTES,
  sizeOf: (row: T) => number = rowBytes,
): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (chunk.length > 0 && bytes + size > budget) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

type SettingChange<T> = Map<string, T | undefined>;

/** The settings a commit can change: the catalog, hubs, devices, levels, and the member list. */
export type SettingKind = 'items' | 'hubs' | 'devices' | 'levels' | 'categoryLevels' | 'members';

/** Every kind: what a rebuild, or a checkpoint's figures, may have changed. */
export const ALL_SETTINGS: ReadonlySet<SettingKind> = new Set([
  'items',
  'hubs',
  'devices',
  'levels',
  'categoryLevels',
  'members',
]);
const NO_SETTINGS: ReadonlySet<SettingKind> = new Set();

/** What a committed batch brought: its entries, and the kinds of settings it changed (none: empty). */
export interface Commit {
  entries: readonly Entry[];
  /**
   * Which kinds of settings changed: a device saying what it reads changes no figure of the network view,
   * which otherwise reads everything again.
   */
  settings: ReadonlySet<SettingKind>;
}

/** Extra writes that must commit atomically with the batch (the device's own sequence number). */
type AlsoWrite = () => Promise<unknown>;

/** The origin of a committed local change as it is applied to the live doc: already stored, not captured. */
const STAGED = Symbol('staged');
/** A checkpoint's skeleton applied to the doc (`seed`): not captured (not a row, and it counts nothing). */
const SKELETON_START = Symbol('skeleton start');

/** How many local changes one staging doc takes before a new one is built (it holds their entries). */
const KEEP_STAGING_FOR = 64;
/**
 * With no staging doc kept (after the load, or once a peer's setting changed what one held), one is built in
 * slices after this long, so that the next save does not build it in one task (at 30,000 signed levels
 * most of a second): `prepareStaging`.
 */
const PREPARE_STAGING_AFTER_MS = 1_000;

/** A staging doc kept for the next local change (`DocPersistence.kept`). */
interface KeptStaging {
  doc: Y.Doc;
  /** The device it was built for (its own versions of settings, the head and ledger it holds current). */
  own: string | null;
  /** Where its capture puts what the next change makes. */
  target: { batch: Batch };
  changes: number;
  /** The staged changes it holds: those made in it, and those in flight when it was built. */
  holds: Set<number>;
}

/**
 * Local changes waiting for their commit: made in a staging doc (see `staging`), never in the live doc,
 * which peers see, until their IndexedDB transaction has committed.
 */
interface Staged {
  id: number;
  doc: Y.Doc;
  batch: Batch;
  /** Staged changes that were in flight when this one was made: it is built on them. */
  builtOn: number[];
}

/**
 * A rebuild's second half: the usage and ledger rows, by far the most, written a transaction at a time
 * between saves (one chain step each) from the rebuild's projector. That projector holds everything, so
 * saves and syncs meanwhile are projected by it too (`project`), and each piece writes its rows as they
 * stand then: a row changed by a save is never overwritten by an older copy.
 */
interface Rebuilding {
  projector: Projector;
  /** The usage keys, then the ledger ids (by device and sequence number), of the rebuild; `at` of them are written. */
  usage: string[];
  ledger: string[];
  /** The ledger blocks written so far (`blockKeyText`): the sweep at the end reads only the others. */
  blocks: Set<string>;
  at: number;
  /** A piece is queued or being written (false after one failed: the next save queues it again). */
  queued: boolean;
}

/** What a change to the doc brought to the ledgers: valid entries, and values set aside. */
export interface Brought {
  entries: number;
  setAside: number;
}

/** Places held for saves claimed and not yet written or given back, and who waits for there to be none. */
class HeldPlaces {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  /** Holds a place; returns how to give it back (once: later calls do nothing). */
  hold(): () => void {
    this.held++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      if (--this.held === 0) for (const resolve of this.waiting.splice(0)) resolve();
    };
  }

  /** Resolves once no place is held. */
  async none(): Promise<void> {
    if (this.held > 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

/** Saves committed while a rebuild works out the figures (DocPersistence `reserveWhileRebuilding`). */
interface RebuildSaves {
  /** Whether saves are taken this way now: until the rebuild's figures are written. */
  open: boolean;
  /**
   * How many of `rows` the rebuild's fold counted (those committed when it reached them); null before it
   * did. Those after are counted as they are added to the doc, once the figures are written.
   */
  folded: number | null;
  /** Places held and not yet written or given back. */
  places: HeldPlaces;
  /** Their transactions, one after another in claim order. */
  chain: Promise<unknown>;
  /** What they committed, in order. */
  rows: JournalRow[];
  /** Their journal rows' ids, each noted in its transaction. */
  ids: Set<number>;
  /** Whether a rebuild counts them and adds them to the doc (for saves taken since a load began). */
  claimed: boolean;
  /** Who waits for them to be in the doc's staging (`rebuildSavesAdded`). */
  staged: (() => void)[];
}

/** How far a rebuild's history (usage and ledger rows) is written; null when no rebuild runs. */
export interface RebuildProgress {
  written: number;
  total: number;
}

/** A place held for a save committed before the doc is loaded (DocPersistence `reserveEarly`). */
export interface EarlySave {
  save(row: JournalRow, also: AlsoWrite, onFailed?: () => void): Promise<void>;
  /** Gives the place back unwritten (the save failed before it was written). */
  giveBack(): void;
}

/** Thrown for a save made on top of one that failed: it would count against data that is not there. */
export { EarlierSaveFailed };

interface Batch {
  updates: Uint8Array[];
  also: AlsoWrite[];
  entries: Entry[];
  problems: SetAside[];
  items: SettingChange<unknown>;
  hubs: SettingChange<unknown>;
  devices: SettingChange<unknown>;
  levels: SettingChange<unknown>;
  categoryLevels: SettingChange<unknown>;
  /** The member list or a signed head changed (signed networks). */
  membersChanged: boolean;
  headsChanged: boolean;
  /**
   * A staged change's batch once its commit has begun (`commitStaged`): a change made in its doc after that
   * would be in no commit (see `lateChange`).
   */
  taken?: true;
  /**
   * Entries of this batch already counted in the projections: this device's saves from before the doc was
   * loaded (`reserveEarly`), added to the doc now. The gate still judges them; the projector skips them.
   */
  preprojected?: ReadonlySet<string>;
  /**
   * Entries of this batch the doc already held when a rebuild read it (captured before its read, written
   * after it, behind it on the chain): judged and counted by that rebuild, not again (the gate would set
   * each aside as a position already taken). `markFolded`.
   */
  folded?: Set<string>;
  /**
   * History a checkpoint's skeleton left out that this batch's updates hold (by client, [from, to) ranges:
   * `historyIn`): held on disk once the batch commits.
   */
  history?: Ranges[];
}

/** The settings maps projected into tables (the network's own record is read from the doc). */
const PROJECTED_SETTINGS = ['items', 'hubs', 'devices', 'levels', 'categoryLevels'] as const;
const isProjectedSetting = (map: SettingMap): map is (typeof PROJECTED_SETTINGS)[number] =>
  (PROJECTED_SETTINGS as readonly string[]).includes(map);

const emptyBatch = (): Batch => ({
  updates: [],
  also: [],
  entries: [],
  problems: [],
  items: new Map(),
  hubs: new Map(),
  devices: new Map(),
  levels: new Map(),
  categoryLevels: new Map(),
  membersChanged: false,
  headsChanged: false,
});

/**
 * Keeps a Y.Doc and the device's IndexedDB in step. Every change to the doc, local or remote, is
 * captured as its Yjs update plus the entries and settings it brought; changes are batched and written
 * in ONE Dexie transaction (update row + projections), so a committed entry always has its projection and
 * a projection never shows an entry the disk does not hold. `flush()` resolves once that commit is done:
 * that is when the UI may say "Saved".
 */
export class DocPersistence {
  readonly doc = new Y.Doc({ gc: true });
  private batch = emptyBatch();
  private chain: Promise<void> = Promise.resolve();
  /** Ids of stored update rows under MERGE_BELOW bytes: the next merge joins them. */
  private smallRows: number[] = [];
  /** Ids of stored update rows over SPLIT_ABOVE bytes, waiting to be cut into pieces. */
  private largeRows: number[] = [];
  /** Cutting large rows, one at a time, beside the chain (it touches only rows the chain never rewrites). */
  private splitting: Promise<void> = Promise.resolve();
  /** The blocks being listed by item (itemBlocks.ts `fillItemBlocks`), after a large write or an upgrade. */
  private listing: Promise<void> = Promise.resolve();
  /** A write too large to list its blocks by item marked the lists unfinished since a fill was last asked for. */
  private unlisted = false;
  /** When the last commit of a change (a save, a peer's) was told (`performance.now()`): a fill waits after it. */
  private lastCommitAt = -Infinity;
  private destroyed = false;
  /** The load has begun with whole figures: this device's saves are committed before the doc (`reserveEarly`). */
  private earlyAllowed = false;
  /** The load is adding the saves made before it to the doc: no more are taken that way. */
  private earlyClosed = false;
  /** Early saves claimed and not yet written or given back. */
  private readonly earlyPlaces = new HeldPlaces();
  private scheduled = false;
  private loaded = false;
  /** The doc's load under way (see loadProgress). */
  private loadingRows: { done: number; total: number; startedAt: number } | null = null;
  /** Batches of changes from peers queued on the chain and not written yet (`markFolded`). */
  private readonly unwritten = new Set<Batch>();
  /** Resolved once the load is done but for the rebuild that follows it, if one does (`loadedForSync`). */
  private loadedBeforeRebuild!: () => void;
  private readonly loadedForSyncPromise = new Promise<void>(
    (resolve) => (this.loadedBeforeRebuild = resolve),
  );
  /** A rebuild working out the figures, which saves wait for (see figuresProgress). */
  private derivingFigures: { done: number; total: number; startedAt: number } | null = null;
  /** Saves committed while a rebuild works out the figures, until they are in the doc (reserveWhileRebuilding). */
  private rebuildSaves: RebuildSaves | null = null;
  /** Called after each committed batch with the entries it held (for sync status, alerts...). */
  private readonly committedListeners = new Set<(commit: Commit) => void>();
  /**
   * Entries whose update row is committed but which are not projected yet: the rest of a very large
   * batch, taken `chunk` at a time. While any are left, the projection meta row says `incomplete`, so a
   * device stopped halfway rebuilds its projections from the doc when it starts again.
   */
  private backlog: Entry[] = [];
  private backlogAt = 0;
  private readonly backlogListeners = new Set<() => void>();
  private drained: { promise: Promise<void>; resolve: () => void } | null = null;
  private chunkQueued = false;
  /**
   * Why the backlog's chunks wait: its update is still arriving, to be weighed for a rebuild (`catchUp`);
   * or that rebuild failed after it may have written part of the figures (the backlog's entries counted
   * in them), and is asked again behind the next save. Null: chunks go on.
   */
  private backlogHeld: 'weighing' | 'rebuild failed' | null = null;
  /**
   * The entries captured since the backlog was last empty, by their wire values: a rebuild that catches a
   * backlog up reads them back from the doc without decoding them again (shared/doc.ts `DecodedWires`).
   * Let go once nothing waits to be projected, so that it never holds more than the backlog does.
   */
  private decoded = new DecodedWires();
  /** A rebuild whose history rows are still being written (see `Rebuilding`). */
  private rebuilding: Rebuilding | null = null;
  /** Rebuilds asked for that have not started: the projections are not complete until they are done. */
  private rebuildsAsked = 0;
  /** Who waits for every rebuild to be written (`rebuilt`). */
  private rebuildWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** Set on a signed network: what counts is decided from signatures and the member list. */
  private trustLayer: TrustLayer | null = null;
  /**
   * The checkpoint this device started from (`seed`), while its doc does not hold all the history the
   * checkpoint covers: the positions it covers, and how many covered entries have arrived since, per device.
   * Meanwhile a covered entry that arrives is not counted again (its row came with the checkpoint), and
   * nothing is derived again from the doc (a rebuild, Check data): the doc lacks what the figures hold.
   */
  private behind: BehindCheckpoint | null = null;
  /**
   * The checkpoint's skeleton this device's doc started from (`seed` with one), while its stored rows do not
   * hold all the history the skeleton left out: what of it they hold (by client, [from, to) ranges). The
   * history peers and files still send goes to disk without the doc (`historyArrival`); once all of it is
   * there, the device is whole (`write`).
   */
  private checkpointSkeleton: {
    skeleton: Skeleton;
    /** Everything before its cut (`beforeCut`): what the disk must hold. */
    wanted: Ranges;
    held: Ranges;
    /** What of it has been handed over (`historyArrival`), committed or not yet: what peers are asked from. */
    taken: Ranges;
  } | null = null;
  /** This device's id, once it has one: its staging docs hold only its own copies of settings. */
  ownDevice: () => string | null = () => null;
  /** The doc the trust layer reads: the live doc, or a staging doc while a local change is planned. */
  private planned: Y.Doc = this.doc;
  /** A failed write may have left the trust layer's cached verdicts ahead of the disk: start again. */
  private trustStale = false;
  /** The open staged change local commands write into, until `flush` takes it. */
  private open: Staged | null = null;
  /** Staged changes taken by `flush` and not committed yet, with their updates. */
  private inFlight: { id: number; update: Uint8Array }[] = [];
  private readonly failedStaged = new Set<number>();
  private stagedCount = 0;
  /**
   * The last staging doc, kept for the next local change while nothing it holds changed in the live doc
   * since its base was built (staged changes, other devices' entries and heads: `changesStaging`): a save
   * then skips building a base (at a million entries, about half of what a save cost; at 30,000 signed
   * levels, most of a second). Anything else reaching the live doc, or a failed save made in it, drops it;
   * another is then built in slices (`prepareStaging`).
   */
  private kept: KeptStaging | null = null;
  /** Counts the live doc's changes that a staging doc being built in slices would miss (`prepareStaging`). */
  private stagingEpoch = 0;
  /** The staging doc being built in slices (`prepareStaging`), until it is kept or thrown away. */
  private preparingStaging: Promise<void> | null = null;
  /** What changes wait on before taking the staging doc (`stagingPending`), until every one waiting went on. */
  private stagingWait: Promise<void> | null = null;
  private prepareTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly db: LarderDB,
    private readonly now: () => number,
    private readonly chunk = PROJECT_CHUNK,
    private readonly budget = TRANSACTION_BYTES,
    /** How a rebuild's reading and folding let the page run between slices (tests count the pauses). */
    private readonly pace: PaceOptions = {},
    private readonly catchUpAt = CATCH_UP_ENTRIES,
  ) {}

  /**
   * Starts capturing changes. Done after the persisted doc is applied, not before: with a listener
   * attached, Yjs would re-encode the whole loaded doc as one update only for it to be dropped (about
   * half the load time at a million entries).
   */
  private attach(): void {
    capture(
      this.doc,
      () => this.batch,
      () => this.schedule(),
      () => this.decoded,
      (origin, brought) => {
        for (const listener of this.broughtListeners) listener(origin, brought);
      },
    );
    // A kept staging doc stays through another device's entries and head (most of what peers send), and
    // goes with anything else (`changesStaging`).
    this.doc.on('afterTransaction', (tr: Y.Transaction) => {
      const staged = tr.origin === STAGED;
      if (staged ? tr.changed.size > 0 : changesStaging(tr, this.ownDevice())) this.stagingEpoch++;
      const kept = this.kept;
      if (kept && !staged && changesStaging(tr, kept.own)) {
        this.kept = null;
        this.prepareStagingSoon();
      }
    });
    this.prepareStagingSoon();
  }

  /** Builds a staging doc in slices a while from now, unless one is kept by then (`prepareStaging`). */
  private prepareStagingSoon(): void {
    if (this.prepareTimer || this.destroyed) return;
    this.prepareTimer = setTimeout(() => {
      this.prepareTimer = null;
      void this.prepareStaging();
    }, PREPARE_STAGING_AFTER_MS);
  }

  /**
   * Builds the staging doc the next local change will be made in, in slices (`stagingDocInSlices`), and keeps
   * it, unless the live doc changed what it holds meanwhile, a change was staged, or one is kept already.
   * Tried again later while changes are in flight.
   */
  private prepareStaging(): Promise<void> {
    if (this.preparingStaging) return this.preparingStaging;
    // A kept doc that has served its KEEP_STAGING_FOR changes is replaced.
    if (this.destroyed || !this.loaded || this.keptServes()) return Promise.resolve();
    if (this.open || this.inFlight.length > 0) {
      this.prepareStagingSoon();
      return Promise.resolve();
    }
    const building = this.buildStaging().finally(() => {
      this.preparingStaging = null;
    });
    this.preparingStaging = building;
    return building;
  }

  private async buildStaging(): Promise<void> {
    const kept = this.kept;
    const epoch = this.stagingEpoch;
    const own = this.ownDevice();
    const stale = () =>
      this.destroyed ||
      this.stagingEpoch !== epoch ||
      this.open !== null ||
      this.inFlight.length > 0 ||
      this.kept !== kept ||
      this.ownDevice() !== own;
    try {
      const doc = await stagingDocInSlices(this.doc, own, pacer(this.pace), stale);
      if (!doc) return;
      if (stale()) return doc.destroy();
      doc.clientID = this.doc.clientID;
      this.keepStaging(doc, own, []);
    } catch {
      // The next change builds its own.
    }
  }

  /** Whether the kept staging doc can take the next local change (see `staging`). */
  private keptServes(): boolean {
    const kept = this.kept;
    return (
      kept !== null &&
      kept.changes < KEEP_STAGING_FOR &&
      kept.own === this.ownDevice() &&
      this.inFlight.every(({ id }) => kept.holds.has(id))
    );
  }

  /**
   * Null when the next local change can take its staging doc at once (`staging`); else what to await
   * first: a staging doc built in slices (`prepareStaging`), so that the change does not build one in a
   * single task (on the bench's network at a million entries, 60-120 ms at a start; at 30,000 signed
   * levels, most of a second). Settles even when none could be built (the change then builds its own).
   * Changes that await it go on in the order they called, before any change that calls after it settled:
   * a device's entries reach its ledger in the order of their numbers.
   */
  stagingPending(): Promise<void> | null {
    if (this.stagingWait) return this.stagingWait;
    if (!this.loaded || this.open || this.keptServes()) return null;
    const wait = this.prepareStaging();
    this.stagingWait = wait;
    // Cleared once every change awaiting it went on (they do in the microtasks after it settles).
    void wait.then(() =>
      setTimeout(() => {
        if (this.stagingWait === wait) this.stagingWait = null;
      }, 0),
    );
    return wait;
  }

  /** Keeps `doc` as the staging doc of the next changes (`kept`), holding the changes in `builtOn`. */
  private keepStaging(doc: Y.Doc, own: string | null, builtOn: number[]): KeptStaging {
    const target = { batch: emptyBatch() };
    capture(
      doc,
      () => {
        if (target.batch.taken) this.lateChange(doc);
        return target.batch;
      },
      () => undefined,
    );
    this.kept = { doc, own, target, changes: 0, holds: new Set(builtOn) };
    return this.kept;
  }

  /**
   * The doc local commands make their changes in: a staging doc that holds what a change reads or builds
   * on (settings, member list, heads; not the ledgers' contents: see staging.ts), plus the local changes
   * still in flight. `flush` commits what was made in it and only then applies it to the live doc, so a
   * save that fails leaves no trace in the doc, in what peers receive, or in the next save.
   */
  staging(): Y.Doc {
    if (!this.loaded) throw new Error('Changes can be made once the data is loaded');
    if (this.open) return this.open.doc;
    const builtOn = this.inFlight.map((f) => f.id);
    let kept = this.kept;
    // The kept doc may serve if it already holds every change in flight (they were made in it), and the
    // live doc has had nothing since its base that it holds: the same doc a new base plus those changes
    // would make.
    if (!kept || !this.keptServes()) {
      const own = this.ownDevice();
      const doc = stagingDoc(this.doc, own);
      for (const { update } of this.inFlight) Y.applyUpdate(doc, update);
      kept = this.keepStaging(doc, own, builtOn);
    }
    kept.changes++;
    // Yjs gives a doc a new client id when an update it applies uses its own: the staging doc numbers
    // its structs as the live doc would.
    kept.doc.clientID = this.doc.clientID;
    kept.target.batch = emptyBatch();
    this.open = { id: ++this.stagedCount, doc: kept.doc, batch: kept.target.batch, builtOn };
    kept.holds.add(this.open.id);
    if (kept.changes >= KEEP_STAGING_FOR) this.prepareStagingSoon();
    return kept.doc;
  }

  /**
   * Turns on signature checks for a signed network (before `load`, or on a new device before anything
   * arrives). Entries then count only as the gate decides (shared/trust/gate.ts).
   */
  enableTrust(network: string, anchor: string = network): void {
    if (this.trustLayer?.network === network && this.trustLayer.anchor === anchor) return;
    this.trustLayer = new TrustLayer(network, this.trustView, anchor);
    guardHeads(this.doc, headCheckFor(network));
  }

  /**
   * What the trust layer reads the doc through (it reads only root types): the doc a write is planned
   * against, the staging doc of a local change or the live doc.
   */
  private readonly trustView = {
    // The writers' versions (and old-style copies) of settings from the live doc: a staging doc holds only
    // this device's, as placeholders (staging.ts), and a local change's own version never decides a
    // verdict (its value in the map, signed past every version held, does).
    // The heads: the live doc's, with this device's own from the staging doc (`plannedHeads`).
    getMap: (name: string) =>
      name === SETTING_COPIES || name === SETTING_VERSIONS
        ? this.doc.getMap(name)
        : name === HEADS && this.planned !== this.doc
          ? plannedHeads(this.doc, this.planned, this.ownDevice())
          : this.planned.getMap(name),
    getArray: (name: string) => this.planned.getArray(name),
  } as unknown as Y.Doc;

  /** After a failed write: a trust layer whose cached verdicts come from the disk again. */
  private async freshTrust(): Promise<void> {
    const old = this.trustLayer;
    if (!old || !this.trustStale) return;
    this.trustStale = false;
    const layer = new TrustLayer(old.network, this.trustView, old.anchor);
    await layer.load(this.db);
    this.trustLayer = layer;
  }

  get trust(): TrustLayer | null {
    return this.trustLayer;
  }

  /** Called after each committed batch: views that keep figures in memory patch just what changed. */
  onCommitted(listener: (commit: Commit) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  private readonly broughtListeners = new Set<(origin: unknown, brought: Brought) => void>();

  /**
   * Called for each change to the live doc that brought ledger values (a peer's update, a piece of a sync
   * file), as the doc takes it: its transaction's origin, and how many entries and set-aside values it
   * brought. Counted as they are captured: a sync file's import says how many entries it brought without
   * reading a million of them a second time (about 2 s).
   */
  onLedgerBrought(listener: (origin: unknown, brought: Brought) => void): () => void {
    this.broughtListeners.add(listener);
    return () => this.broughtListeners.delete(listener);
  }

  /**
   * Loads the persisted doc. Projections are already on disk, so the UI need not wait for this.
   *
   * A damaged row does not stop the rest: each row's bytes are checked before Yjs sees them (unless they
   * still match the sum they were written with), and a row that cannot be read (damaged, cut short, empty)
   * or that Yjs throws on is moved to `damaged`, bytes kept. Rows are applied one per step (see PIECE_BYTES).
   * Rows that build on a damaged one (later changes to the same lists) wait, held back by Yjs, until a sync
   * or a sync file brings what is missing; they stay where they are. Whatever the figures showed that the
   * doc no longer holds is recorded for the notice (meta `damage`), and the figures are derived again
   * from what the doc holds.
   */
  async load(): Promise<void> {
    const during = await this.savesDuringLoad();
    this.earlyAllowed = during === 'early';
    // A rebuild follows the load (after an update of Larder): this device's donations, pickups and discards
    // are taken from now on, counted by that rebuild (`reserveWhileRebuilding`), not held by the load too.
    if (during === 'rebuild') this.rebuildSaves = newRebuildSaves();
    try {
      await this.loadDoc();
    } catch (error) {
      // Unless a rebuild took them, left in the journal: the next start's rebuild counts them.
      const saves = this.rebuildSaves;
      if (saves && !saves.claimed) {
        await closeRebuildSaves(saves);
        this.rebuildSaves = null;
        for (const resolve of saves.staged.splice(0)) resolve();
      }
      throw error;
    }
  }

  /**
   * Resolves once the doc is loaded with this device's saves made before it, when a rebuild follows the load
   * (the first start after an update of Larder, one left halfway, or damaged rows set aside): before that
   * rebuild's figures are written, so that sync need not wait for them. Never otherwise: then what waits for
   * the load waits for it whole (`load`).
   */
  get loadedForSync(): Promise<void> {
    return this.loadedForSyncPromise;
  }

  /** The load itself (see `load`), then the rebuild it calls for. */
  private async loadDoc(): Promise<void> {
    const at = this.now();
    const damaged: DamagedRow[] = [];
    const setAside = (row: UpdateRow, reason: string) =>
      damaged.push({ id: row.id!, update: row.update, entries: row.entries, reason, setAsideAt: at });
    // One row per step, the page running between steps: a row is a piece of at most about PIECE_BYTES
    // (larger ones are cut below), so no step holds the page for long, however long the history.
    const breathe = pacer({ sliceMs: LOAD_SLICE_MS, ...this.pace });
    // How far it is, for a screen to say while saves wait for it (seconds at ten million entries). Under way
    // from here, before its first read: a disk that is slow to answer (or a database another page holds)
    // is a load too, of 0 rows so far.
    const progress = { done: 0, total: 0, startedAt: performance.now() };
    let said = -1;
    const stepped = () => {
      progress.done++;
      const percent = Math.floor((100 * progress.done) / Math.max(1, progress.total));
      if (percent === said) return;
      said = percent;
      this.notifyBacklog();
    };
    this.loadingRows = progress;
    this.notifyBacklog();
    // Rows written with an older kind of sum, checked now: written with today's after the load.
    const resum = new Map<number, { was: string; sum: string }>();
    // With its figures up to date, the device runs on a skeleton of the doc: the rows are read into it
    // instead of the doc (below), and the doc starts from it.
    const projectionAtStart = await this.db.meta.get('projection');
    const seededAtStart = await this.db.meta.get('checkpoint');
    // Started from a checkpoint's skeleton whose history is not all on disk: every start starts from it (the
    // rows lack that history), and notes what of it the rows hold.
    const skeletonAtStart = await this.db.meta.get('skeleton');
    const fromCheckpoint = skeletonAtStart?.key === 'skeleton' && skeletonAtStart.fromCheckpoint === true;
    const onSkeleton =
      fromCheckpoint ||
      (skeletonFromBytes !== null &&
        !this.rebuildSaves &&
        seededAtStart?.key !== 'checkpoint' &&
        projectionAtStart?.key === 'projection' &&
        projectionAtStart.version === PROJECTION_VERSION &&
        !projectionAtStart.incomplete);
    // The skeleton stored at an earlier start, if it reads back: only the rows after it are read.
    const stored = onSkeleton ? await this.storedSkeleton() : null;
    const checkpointSkeleton = fromCheckpoint && stored ? decodeSkeleton(stored.row.bytes) : null;
    const wanted = checkpointSkeleton ? beforeCut(checkpointSkeleton) : null;
    if (fromCheckpoint && !checkpointSkeleton)
      console.error(
        'Larder could not read the checkpoint skeleton it started from; its history is not on disk',
      );
    const historyHeld: Ranges[] = [];
    const builder = stored ? stored.builder : onSkeleton ? new SkeletonBuilder() : null;
    const after = stored?.row.coversRow ?? null;
    let bytesRead = stored?.row.historyBytes ?? 0;
    let lastRead = after;
    let small: Uint8Array[] | null = stored ? null : [];
    try {
      await loadRowSums();
      progress.total = await (after === null
        ? this.db.updates.count()
        : this.db.updates.where(':id').above(after).count());
      for await (const row of this.storedRows(after)) {
        lastRead = row.id!;
        // Bytes that still match the sum they were written with were readable then: no need to read them
        // through before Yjs does (that read is about half of a start's work).
        const intact = row.sum !== undefined && rowIntact(row.update, row.sum);
        const reason = intact ? null : unreadable(row.update);
        if (reason) {
          setAside(row, reason);
        } else {
          if (intact && !rowSumIsCurrent(row.sum!))
            resum.set(row.id!, { was: row.sum!, sum: rowSum(row.update) });
          try {
            if (builder) {
              builder.add(row.update);
              if (wanted) historyHeld.push(wantedIn(wanted, row.update));
              bytesRead += row.update.byteLength;
              // Kept while the history is small: below SKELETON_FROM_BYTES they are applied whole after.
              if (small && bytesRead < skeletonFromBytes!) small.push(row.update);
              else small = null;
            } else Y.applyUpdate(this.doc, row.update, 'load');
            this.track(row.id!, row.update.byteLength);
          } catch (error) {
            setAside(
              row,
              `Yjs could not apply it (${error instanceof Error ? error.message : String(error)})`,
            );
          }
        }
        stepped();
        await breathe();
      }
      if (builder) {
        if (small) {
          // A small history: the doc whole, as before skeletons (its rows read once, applied now).
          for (const update of small) Y.applyUpdate(this.doc, update, 'load');
        } else {
          const skeleton = builder.finish();
          const started = await this.startFromSkeleton(skeleton, new Set(damaged.map((d) => d.id)));
          this.startedOn = started ? (stored ? 'stored skeleton' : 'skeleton') : 'whole';
          this.rowsReadAtStart = progress.done;
          if (checkpointSkeleton) {
            // Kept as it is until the history is all on disk (its rows are read at each start till then).
            if (started) {
              const held = withRanges(new Map(), historyHeld);
              this.checkpointSkeleton = { skeleton: checkpointSkeleton, wanted: wanted!, held, taken: held };
              skeletonOf(this.doc)!.history = this.historyArrival();
            }
          } else {
            if (!started && stored) await this.dropStoredSkeleton();
            // Stored for the next start, when it has read enough rows since the one stored (or there was none).
            const since = bytesRead - (stored?.row.historyBytes ?? 0);
            if (
              started &&
              damaged.length === 0 &&
              lastRead !== null &&
              (!stored || since >= STORE_SKELETON_AFTER_BYTES)
            )
              void this.storeSkeleton(skeleton, lastRead, bytesRead);
            if (stored) this.checkRowsLater(stored.row.coversRow);
          }
        }
      }
    } finally {
      this.loadingRows = null;
      this.notifyBacklog();
    }
    this.attach();
    this.loaded = true;
    this.splitLargeRows();
    this.listItemBlocks(true);
    this.resumRows(resum);
    await this.trustLayer?.load(this.db);
    const seeded = await this.db.meta.get('checkpoint');
    if (seeded?.key === 'checkpoint') {
      this.behind = BehindCheckpoint.fromRow(seeded);
      this.notifyBacklog();
      // Its history all on disk before it was last closed, not yet noted: the next write notes it.
      const fromSkeleton = this.checkpointSkeleton;
      if (fromSkeleton && holdsAllWanted(fromSkeleton.wanted, fromSkeleton.held)) {
        this.batch.also.push(async () => undefined);
        this.schedule();
      }
    }
    if (this.behind && this.behind.historyAt !== null) this.resumeSeedHistory();
    // On the chain: a checkpoint taken right after this start keeps its own rows there first.
    else this.chain = this.chain.then(() => this.dropStrayRows());
    // Before anything derives figures from the doc (a rebuild, the damage check): it must hold them.
    const before = await this.db.meta.get('projection');
    const rebuildFollows =
      !this.behind &&
      (!before ||
        before.key !== 'projection' ||
        before.version !== PROJECTION_VERSION ||
        !!before.incomplete);
    await this.addEarlySaves(rebuildFollows);
    const waiting = this.doc.store.pendingStructs !== null || this.doc.store.pendingDs !== null;
    if ((damaged.length > 0 || waiting) && (await this.recordDamage(damaged, at))) return;
    const meta = await this.db.meta.get('projection');
    // Its bar follows the load's at once, if that was shown: from the load's start, not its own. (Not behind
    // a checkpoint: the doc lacks the history the figures hold; once it holds it, `write` rebuilds.)
    if (
      !this.behind &&
      (!meta || meta.key !== 'projection' || meta.version !== PROJECTION_VERSION || meta.incomplete)
    ) {
      const rebuilt = this.startRebuild(progress.startedAt);
      // Sync need not wait for it (seconds at a million entries, minutes at ten million): what peers bring
      // meanwhile is committed and counted once its figures are written, as during any rebuild.
      this.loadedBeforeRebuild();
      await rebuilt;
    } else if (this.rebuildSaves && !this.rebuildSaves.claimed)
      await this.addRebuildSaves(this.rebuildSaves, false);
  }

  /**
   * The stored rows of the doc in the order they were written, read LOAD_ROWS_PER_READ at a time: read at
   * once, a million entries' rows (57 MB) were taken in one IndexedDB callback that held the page 100-140 ms.
   */
  private async *storedRows(from: number | null = null): AsyncGenerator<UpdateRow> {
    let after: number | null = from;
    for (;;) {
      const page: UpdateRow[] = await (
        after === null ? this.db.updates.orderBy(':id') : this.db.updates.where(':id').above(after)
      )
        .limit(LOAD_ROWS_PER_READ)
        .toArray();
      yield* page;
      if (page.length < LOAD_ROWS_PER_READ) return;
      after = page[page.length - 1]!.id!;
    }
  }

  /**
   * Starts the doc from `skeleton`, made from the stored rows: checked in a scratch doc first (a skeleton that
   * Yjs cannot place whole, from rows that do not fit together, would leave the doc half started); if it
   * does not place, the rows are read into the doc whole, as before skeletons.
   */
  private async startFromSkeleton(skeleton: Skeleton, setAside: ReadonlySet<number>): Promise<boolean> {
    const scratch = new Y.Doc({ gc: true });
    let places = true;
    try {
      for (const update of skeleton.updates) Y.applyUpdate(scratch, update);
      places = !scratch.store.pendingStructs && !scratch.store.pendingDs;
    } catch {
      places = false;
    } finally {
      scratch.destroy();
    }
    if (places) {
      for (const update of skeleton.updates) Y.applyUpdate(this.doc, update, 'load');
      startedFromSkeleton(this.doc, skeleton, () => this.historyDoc());
      return true;
    }
    console.warn('Larder could not start from a skeleton of its doc; it loads the whole history');
    await this.loadWhole(setAside);
    return false;
  }

  /** What the last start ran on, and how many stored rows it read (the benchmark and tests read them). */
  startedOn: 'whole' | 'skeleton' | 'stored skeleton' = 'whole';
  rowsReadAtStart = 0;

  /**
   * The skeleton stored at an earlier start (`storeSkeleton`), if it is there, intact and of this form, as a
   * builder resumed from it (the rows after it to be read on).
   */
  private async storedSkeleton(): Promise<{ row: SkeletonMetaRow; builder: SkeletonBuilder } | null> {
    try {
      const row = await this.db.meta.get('skeleton');
      if (row?.key !== 'skeleton') return null;
      // Its sum is read as a row's is: xxHash's WebAssembly loaded first (else every sum of its kind fails).
      await loadRowSums();
      const skeleton = rowIntact(row.bytes, row.sum) ? decodeSkeleton(row.bytes) : null;
      const last = (await this.db.updates.orderBy(':id').lastKey()) as number | undefined;
      // Rows are never given an id used before, so one past the last is not from this database's rows.
      if (skeleton && row.coversRow <= (last ?? 0)) return { row, builder: SkeletonBuilder.resume(skeleton) };
      console.warn('Larder could not read the skeleton it stored; it reads every stored row');
    } catch (error) {
      console.warn('Larder could not read the skeleton it stored; it reads every stored row', error);
    }
    await this.dropStoredSkeleton();
    return null;
  }

  /** Stores the skeleton made at this start, for the next (`storedSkeleton`). */
  private async storeSkeleton(skeleton: Skeleton, coversRow: number, historyBytes: number): Promise<void> {
    try {
      const bytes = encodeSkeleton(skeleton);
      await this.db.meta.put({ key: 'skeleton', bytes, sum: rowSum(bytes), coversRow, historyBytes });
    } catch (error) {
      // The next start reads every row, as without it.
      console.warn('Larder could not store the skeleton of its doc', error);
    }
  }

  private async dropStoredSkeleton(): Promise<void> {
    try {
      await this.db.meta.delete('skeleton');
    } catch (error) {
      console.warn('Larder could not drop the skeleton it stored', error);
    }
  }

  /**
   * After a start from a stored skeleton, which did not read the rows it covers: those rows are read through in
   * the background, as a start reads them (their sums, or Yjs's reading). One found damaged drops the skeleton
   * stored, so that the next start reads every row and sets the damaged one aside (`recordDamage`), as it would
   * have without it. The rows' sizes are noted for merging and cutting, as a start notes them.
   */
  private checkRowsLater(coversRow: number): void {
    this.checkingRows = (async () => {
      await new Promise((resolve) => setTimeout(resolve, checkRowsAfter));
      const from = performance.now();
      const breathe = pacer({ sliceMs: LOAD_SLICE_MS, ...this.pace });
      let checked = 0;
      for await (const row of this.storedRows()) {
        if (this.destroyed || row.id! > coversRow) break;
        const intact = row.sum !== undefined && rowIntact(row.update, row.sum);
        if (!intact && unreadable(row.update)) {
          console.warn('Larder found a damaged stored row; the next start reads every row and sets it aside');
          await this.dropStoredSkeleton();
          break;
        }
        this.track(row.id!, row.update.byteLength);
        checked++;
        await breathe();
      }
      this.rowsCheckedLater = checked;
      this.rowsCheckSpan = [from, performance.now()];
    })().catch((error: unknown) => {
      if (!this.destroyed) console.warn('Larder could not read its stored rows through', error);
    });
  }

  /** The background read of the rows a stored skeleton covered (`checkRowsLater`), for tests. */
  checkingRows: Promise<void> = Promise.resolve();
  rowsCheckedLater = 0;
  /** When that read began and ended (`performance.now()`), for the benchmark; null until it has. */
  rowsCheckSpan: [number, number] | null = null;

  /**
   * Reads the stored rows into the doc, after they were read for a skeleton that is not used (the history is
   * small, or the skeleton does not place), but those set aside as damaged then.
   */
  private async loadWhole(setAside: ReadonlySet<number>): Promise<void> {
    const breathe = pacer({ sliceMs: LOAD_SLICE_MS, ...this.pace });
    for await (const row of this.storedRows()) {
      if (setAside.has(row.id!)) continue;
      try {
        Y.applyUpdate(this.doc, row.update, 'load');
      } catch {
        // Set aside by the damage check, as at any start
      }
      await breathe();
    }
  }

  private history: { doc: Promise<Y.Doc>; timer: ReturnType<typeof setTimeout> | null } | null = null;

  /**
   * The doc with its whole history, as it stands now: the doc itself, or, when it was started from a
   * skeleton, a doc of the stored rows (read a few at a time, the page let run between them) and of what the
   * doc has that is not on disk yet. Kept HISTORY_KEPT_MS after its last use (a rebuild, an answer to a peer
   * that lacks history, a sync file), then let go: at ten million entries it holds about 600 MB.
   */
  /**
   * Where the ingest hands history a checkpoint's skeleton left out (`historyIn`): stored as a row with the
   * next batch, its ranges held once that batch commits.
   */
  private historyArrival(): HistoryArrival {
    return {
      wanted: this.checkpointSkeleton!.wanted,
      take: (update, ranges) => {
        const arriving = this.checkpointSkeleton;
        // Stored once: a peer sending the same history again (or one stored already) adds nothing to the disk.
        const fresh = arriving ? rangesWithout(ranges, arriving.taken) : ranges;
        if (fresh.size === 0) return;
        this.batch.updates.push(update);
        (this.batch.history ??= []).push(fresh);
        if (arriving) arriving.taken = withRanges(arriving.taken, [fresh]);
        this.schedule();
      },
      lacking: () => {
        const arriving = this.checkpointSkeleton;
        return arriving ? firstLacking(arriving.wanted, arriving.taken) : new Map();
      },
    };
  }

  /** Whether this device's doc started from a checkpoint's skeleton whose history is not all on disk yet. */
  get historyArriving(): boolean {
    return this.checkpointSkeleton !== null;
  }

  async historyDoc(): Promise<Y.Doc> {
    if (!skeletonOf(this.doc)) return this.doc;
    // Started from a checkpoint's skeleton, the history it left out not all stored yet: there is none to read.
    if (this.checkpointSkeleton)
      throw new HistoryLeftOutError('This device does not hold the history before its checkpoint yet');
    if (this.history?.timer) clearTimeout(this.history.timer);
    if (!this.history) this.history = { doc: this.docOfRows(), timer: null };
    const history = this.history;
    let whole: Y.Doc;
    try {
      whole = await history.doc;
    } catch (error) {
      if (this.history === history) this.history = null;
      throw error;
    }
    // What the doc holds that the rows read did not: saves and peers' updates not on disk yet, or since;
    // first, as they were written, those it took rewritten (shared/sync/skeleton.ts `rewriteIntoHoles`).
    for (const original of originalsOf(this.doc)) Y.applyUpdate(whole, original);
    Y.applyUpdate(whole, encodeAppliedState(this.doc, Y.encodeStateVector(whole)));
    if (this.history === history && !this.destroyed)
      history.timer = setTimeout(() => {
        if (this.history !== history) return;
        this.history = null;
        whole.destroy();
      }, HISTORY_KEPT_MS);
    return whole;
  }

  /**
   * A doc of the stored rows, then `extra` (a batch's updates, about to be stored), then what the live doc holds
   * besides: the history a checkpoint's skeleton left out, once it is all on disk with that batch (`write`).
   */
  private async rowsDoc(extra: readonly Uint8Array[]): Promise<Y.Doc> {
    const whole = await this.docOfRows();
    for (const update of extra) Y.applyUpdate(whole, update);
    for (const original of originalsOf(this.doc)) Y.applyUpdate(whole, original);
    Y.applyUpdate(whole, encodeAppliedState(this.doc, Y.encodeStateVector(whole)));
    return whole;
  }

  /** A doc of the stored rows, read a few at a time, the Worker let run between them. */
  private async docOfRows(): Promise<Y.Doc> {
    const whole = new Y.Doc({ gc: true });
    const breathe = pacer({ sliceMs: LOAD_SLICE_MS, ...this.pace });
    for await (const row of this.storedRows()) {
      try {
        Y.applyUpdate(whole, row.update);
      } catch {
        // A row Yjs cannot apply was set aside at the start (the damage check); one damaged since is found
        // at the next start.
      }
      await breathe();
    }
    return whole;
  }

  /** Notes a stored update row by its size: small ones are merged later, large ones cut into pieces. */
  private track(id: number, bytes: number): void {
    if (bytes < MERGE_BELOW) this.smallRows.push(id);
    else if (bytes > SPLIT_ABOVE) this.largeRows.push(id);
  }

  /**
   * Writes rows checked at this load with an older kind of sum (SHA-256, before stop 34) with today's
   * (sums.ts), so the next start checks them at xxHash's speed: in the background, after the large rows are
   * cut, a few rows per transaction. A row cut, merged or changed meanwhile keeps what it has.
   */
  private resumRows(resum: Map<number, { was: string; sum: string }>): void {
    if (resum.size === 0) return;
    const ids = [...resum.keys()];
    this.splitting = this.splitting
      .then(async () => {
        for (let i = 0; i < ids.length && !this.destroyed; i += RESUM_ROWS) {
          const some = ids.slice(i, i + RESUM_ROWS);
          await this.db.transaction('rw', this.db.updates, () =>
            this.db.updates
              .where(':id')
              .anyOf(some)
              .modify((row) => {
                const next = resum.get(row.id!);
                if (next && row.sum === next.was) row.sum = next.sum;
              }),
          );
        }
      })
      .catch((error: unknown) =>
        console.error('Larder could not write its stored rows’ new sums; it will at the next start', error),
      );
  }

  /** Resolves once the blocks are listed by item (or could not be, or the store closed). */
  itemBlocksListed(): Promise<void> {
    return this.listing;
  }

  /**
   * Resolves when a fill's next step may go: after the writes queued now (saves go first), and once no
   * commit came for LISTING_QUIET_MS. A step holds the blocks or the lists for a moment, and a save that
   * comes meanwhile waits for it: pickups one after the other during a fill at a million entries took 40 ms
   * median, 63-74 ms p95, against 12 and 24 after it (bench/item-lists.ts). A volunteer saving pickups one
   * after another has the first wait a step at most.
   */
  private async quietForListing(): Promise<void> {
    await afterQuiet({
      settled: () => this.chain,
      lastCommitAt: () => this.lastCommitAt,
      quietMs: LISTING_QUIET_MS,
      now: () => performance.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    return nextTask();
  }

  /** A large write of ledger rows (a first sync's, a rebuild's) is under way: a fill would begin again. */
  private get writingLarge(): boolean {
    return this.unprojected > 0 || this.rebuilding !== null;
  }

  /**
   * Lists the blocks by item, in the background, if a write too large to list them marked the lists
   * unfinished (`unlisted`, or at a start: an upgrade, or a write before a restart), once no large write is
   * under way: History by an item reads the hub's blocks until it is done. Stopped by a large write (asked
   * again once it ends) or the store closing; a fill that fails leaves the rest to the next start.
   */
  private listItemBlocks(atStart = false): void {
    // At a start the lists may have been left unfinished (a fill is cheap to ask for: it reads one row).
    if (atStart) this.unlisted = true;
    if (!this.unlisted || this.writingLarge) return;
    this.unlisted = false;
    this.listing = this.listing
      .then(() =>
        listItemBlocks(this.db, {
          stopped: () => {
            if (this.destroyed) return true;
            // Asked for again once the large write is done.
            if (this.writingLarge) this.unlisted = true;
            return this.writingLarge;
          },
          // Saves (and whatever else is queued to write) go first: a step waits for them.
          before: () => this.quietForListing(),
        }),
      )
      .catch((error: unknown) => {
        // (Closing the store ends a fill midway: the next start goes on after the last part it wrote.)
        if (!this.destroyed)
          console.error(
            "Larder could not list its history's blocks by item; it goes on at the next start",
            error,
          );
      });
  }

  /** Resolves once the large rows known so far are cut into pieces (or could not be). */
  storedInPieces(): Promise<void> {
    return this.splitting;
  }

  /**
   * Cuts each large stored row into pieces of about PIECE_BYTES (`updatePieces`: the same structs and
   * deletions, byte for byte), so that the next start applies it a piece per step. The pieces are written
   * one per transaction, then the row is deleted: a start in between applies both, which Yjs takes as
   * once. Runs in the background; a row it could not cut stays as it is and is tried at the next start.
   */
  private splitLargeRows(): void {
    if (this.largeRows.length === 0) return;
    this.splitting = this.splitting
      .then(async () => {
        const db = this.db;
        // Reading a large row takes about a third of applying it: in a worker, the page never waits.
        const cutter = workerCutter();
        try {
          while (this.largeRows.length > 0 && !this.destroyed) {
            const id = this.largeRows.shift()!;
            const row = await db.updates.get(id);
            if (!row) continue;
            const pieces = await cutter.cut(row.update);
            if (pieces.length <= 1) continue;
            const written: [number, number][] = [];
            for (const [i, update] of pieces.entries()) {
              if (this.destroyed) return;
              // The row's entry count goes with its first piece, so the rows still add up to the doc's.
              const pieceId = await db.updates.add({
                update,
                entries: i === 0 ? row.entries : 0,
                sum: rowSum(update),
              });
              written.push([pieceId, update.byteLength]);
            }
            await db.updates.delete(id);
            for (const [pieceId, bytes] of written) this.track(pieceId, bytes);
          }
        } finally {
          cutter.done();
        }
      })
      .catch((error: unknown) =>
        console.error(
          'Larder could not cut a large stored row into pieces; it will try at the next start',
          error,
        ),
      );
  }

  /**
   * Sets damaged rows aside and records what the figures showed that the doc no longer holds; then derives
   * the figures again from the doc. True when it rebuilt.
   */
  private async recordDamage(damaged: DamagedRow[], at: number): Promise<boolean> {
    const db = this.db;
    // Only their ids, the doc read in steps (a million entries are seconds of decoding).
    const have = new Set<string>();
    await eachEntryPaced(await this.historyDoc(), pacer(this.pace), (e) => have.add(idOf(e)));
    const gone = (await ledgerIds(db)).filter((id) => !have.has(id));
    if (damaged.length === 0 && gone.length === 0) return false;
    const listed = (await getLedgerRows(db, gone.slice(0, MAX_MISSING_LISTED))).filter(
      (r): r is LedgerRow => !!r,
    );
    try {
      await db.transaction('rw', [db.updates, db.damaged, db.meta], async () => {
        await db.damaged.bulkPut(damaged);
        await db.updates.bulkDelete(damaged.map((d) => d.id));
        const before = await db.meta.get('damage');
        const earlier = before?.key === 'damage' ? before : null;
        const missing = [...(earlier?.missing ?? []).filter((m) => !gone.includes(m.id)), ...listed];
        // Entries already counted missing at an earlier start (one closed before its rebuild had deleted
        // their rows) are not counted again.
        const counted = new Set((earlier?.missing ?? []).map((m) => m.id));
        await db.meta.put({
          key: 'damage',
          at,
          rows: (earlier?.rows ?? 0) + damaged.length,
          missing: missing.slice(0, MAX_MISSING_LISTED),
          missingCount: (earlier?.missingCount ?? 0) + gone.filter((id) => !counted.has(id)).length,
        });
      });
      // The missing entries' ledger rows go now, not when the rebuild reaches the history: the notice
      // and the Problems report tell what is back from the rows there are.
      for (const chunk of transactionChunks(gone))
        await db.transaction('rw', db.ledgerTables, () => deleteLedgerRows(db, chunk));
    } catch (error) {
      // The disk may be full: the rows stay where they are and are set aside at the next start.
      console.error('Larder could not set aside damaged data; it will try again at the next start', error);
    }
    const rebuilt = this.startRebuild();
    // Sync need not wait for it: a peer may well bring back what is missing (`loadedForSync`).
    this.loadedBeforeRebuild();
    await rebuilt;
    return true;
  }

  /** Entries committed in the doc but not projected yet (0 almost always: see `backlog`). */
  get unprojected(): number {
    return this.backlog.length - this.backlogAt;
  }

  /** Called when `unprojected` changes. */
  onBacklog(listener: () => void): () => void {
    this.backlogListeners.add(listener);
    return () => this.backlogListeners.delete(listener);
  }

  /** Resolves once every committed entry is projected. */
  projected(): Promise<void> {
    return this.unprojected === 0 ? Promise.resolve() : this.drained!.promise;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  /**
   * Whether a save of this device's own entries claimed now is committed before the doc is loaded
   * (`reserveEarly`): while the load runs (seconds at ten million entries), until it adds them to the doc, if
   * the figures were whole when it began (not a large update or a rebuild left halfway: a count or the
   * below-zero check would read short figures) and this device was an approved member (or the network
   * has no member list: before signing), so that the gate counts them as the projection does.
   */
  get takesEarlySaves(): boolean {
    return this.earlyAllowed && !this.loaded && !this.earlyClosed && !this.destroyed;
  }

  /**
   * Holds a place for an early save claimed now (`takesEarlySaves` must be true): the load adds the early
   * saves to the doc only once every place held is written or given back (`EarlySave`).
   */
  reserveEarly(): EarlySave {
    if (!this.takesEarlySaves) throw new Error('Early saves are not taken now');
    const giveBack = this.earlyPlaces.hold();
    return {
      // Commits this device's own new entries while the doc is still loading, so that a volunteer's save
      // is not held by the history's load: in one transaction, the entries in the journal (`JournalRow`),
      // their projection (stock, history, usage: what the screens show), and `also` (the device's next
      // sequence number). The load adds them to the doc, in order, before anything derives figures from
      // it, and before any sync (`addEarlySaves`). Resolves once committed.
      save: async (row, also, onFailed) => {
        const db = this.db;
        const run = this.chain.then(() =>
          db.transaction('rw', [db.journal, ...db.projectionTables, db.meta], async () => {
            await db.journal.add(row);
            await also();
            const problems = await this.project(row.entries, this.now());
            if (problems.length > 0) await db.problems.bulkPut(problems);
          }),
        );
        this.chain = run.catch(() => undefined);
        try {
          await run;
        } catch (error) {
          onFailed?.();
          throw error;
        } finally {
          giveBack();
        }
        const commit: Commit = { entries: row.entries, settings: NO_SETTINGS };
        for (const listener of this.committedListeners) listener(commit);
        this.listItemBlocks();
      },
      giveBack,
    };
  }

  /**
   * Whether a save of this device that needs nothing the rebuild is about to write (a donation, pickup or
   * discard, a transfer, an undo) claimed now is committed while a rebuild works out the figures
   * (`reserveWhileRebuilding`), instead of waiting for it (seconds at a million entries, a minute and more
   * at ten million): from the rebuild's start (or the load's, for a rebuild that follows it) until its
   * figures are written, on a device that is an approved member (or on a network before signing).
   */
  get takesSavesWhileRebuilding(): boolean {
    return this.rebuildSaves?.open === true && !this.destroyed;
  }

  /**
   * This device's entries committed while the rebuild now running works out the figures (in the journal,
   * not yet in the doc or in the ledger rows), in the order they were saved.
   */
  get savedWhileRebuilding(): Entry[] {
    return this.rebuildSaves?.rows.flatMap((row) => row.entries) ?? [];
  }

  /** Whether saves committed while a rebuild worked out the figures are not all in the doc's staging yet. */
  get hasRebuildSaves(): boolean {
    return this.rebuildSaves !== null;
  }

  /**
   * Holds a place for a save claimed while a rebuild works out the figures (`takesSavesWhileRebuilding`
   * must be true). Its `save` commits the entries in the journal (`rebuild`), and `also` (the device's next
   * number), in one transaction, in claim order: "Saved" at once. They are not projected then (the tables
   * are about to be written again, perhaps in another form); the rebuild counts them with the history, and
   * once its figures are written adds them to the doc, in order, each deleting its journal row.
   */
  reserveWhileRebuilding(): EarlySave {
    const window = this.rebuildSaves;
    if (!window?.open) throw new Error('Saves are not taken while rebuilding now');
    const giveBack = window.places.hold();
    return {
      save: async (row, also, onFailed) => {
        const db = this.db;
        const run = window.chain.then(() =>
          db.transaction('rw', [db.journal, db.meta], async () => {
            const id = await db.journal.add({ ...row, rebuild: true });
            // Known before it commits: the load's `addEarlySaves` leaves it to the rebuild.
            window.ids.add(id);
            await also();
            return id;
          }),
        );
        window.chain = run.catch(() => undefined);
        try {
          const id = await run;
          window.rows.push({ ...row, id, rebuild: true });
        } catch (error) {
          onFailed?.();
          throw error;
        } finally {
          giveBack();
        }
      },
      giveBack,
    };
  }

  /**
   * Resolves once the saves committed while a rebuild worked out the figures are in the doc's staging, in
   * order (at once when there are none): a save of this device's own entries made after them appends after
   * them. And, with `committed`, once they are committed in the doc too (a count reads the figures they are in).
   */
  async rebuildSavesAdded(committed = false): Promise<void> {
    while (this.rebuildSaves) await new Promise<void>((resolve) => this.rebuildSaves?.staged.push(resolve));
    if (committed) await this.chain;
  }

  /**
   * Which of this device's saves are committed before the doc while it loads: all of them if the figures are
   * whole (`takesEarlySaves`); its donations, pickups and discards if a rebuild follows the load (the figures
   * were made by an older Larder, or a rebuild was left halfway: `takesSavesWhileRebuilding`, counted by that
   * rebuild); none if this device is not an approved member (or the network has no member list: before
   * signing), so that the gate counts them as the projection does.
   */
  private async savesDuringLoad(): Promise<'early' | 'rebuild' | null> {
    const own = this.ownDevice();
    if (own === null) return null;
    const [meta, member, members] = await Promise.all([
      this.db.meta.get('projection'),
      this.db.members.get(own),
      this.db.members.count(),
    ]);
    if (members > 0 && member?.status !== 'member') return null;
    const whole = meta?.key === 'projection' && meta.version === PROJECTION_VERSION && !meta.incomplete;
    return whole ? 'early' : 'rebuild';
  }

  /**
   * Adds the saves committed before the load (`reserveEarly`) to the doc, one transaction each, in the order
   * they were made, each deleting its journal row: once they are in, the doc is the whole truth again.
   */
  private async addEarlySaves(rebuildFollows: boolean): Promise<void> {
    this.earlyClosed = true;
    // Early saves already claimed commit first.
    await this.earlyPlaces.none();
    await this.chain;
    // Not those saved since the load began for the rebuild that follows it: that rebuild counts and adds them.
    const taken = this.rebuildSaves?.ids;
    const rows = (await this.db.journal.toArray()).filter((row) => !taken?.has(row.id!));
    // Their staging doc built in slices first (no save after the load goes before them: those wait for the
    // store to be ready), not in one task with the first of them: at a million entries, 60-120 ms.
    const pending = rows.length > 0 ? this.stagingPending() : null;
    if (pending) await pending;
    for (const row of rows) {
      // Counted when saved, or (saved while a rebuild worked out the figures, which stopped before it wrote
      // them) by no one yet: then by the rebuild that follows if one does, else as they are added.
      const counted = !row.rebuild || rebuildFollows;
      await this.addJournalRow(row, counted);
    }
  }

  /**
   * Adds a journal row's entries to the doc (staged now; committed on the chain, deleting the row in the
   * same transaction). `counted`: already in the figures, not to be counted again.
   */
  private addJournalRow(row: JournalRow, counted: boolean): Promise<void> {
    return this.addJournalRows([row], () => counted);
  }

  /**
   * Adds journal rows' entries to the doc in one batch, in order (staged now; committed on the chain,
   * deleting the rows in the same transaction): `counted(i)` says which rows are already in the figures.
   */
  private addJournalRows(rows: readonly JournalRow[], counted: (i: number) => boolean): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    // The form every Larder reads: the device's own choice is read after the load.
    const staging = this.staging();
    for (const row of rows) appendEntries(staging, row.device, row.entries, row.head, STORED_FORM);
    const pre = new Set(rows.flatMap((row, i) => (counted(i) ? row.entries.map(idOf) : [])));
    if (pre.size > 0) this.open!.batch.preprojected = pre;
    const ids = rows.map((row) => row.id!);
    return this.flush(() => this.db.journal.bulkDelete(ids));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Remote updates arrive in bursts: one transaction per burst, not one per update.
    // A failure here is retried by the next save (requeue), which reports it.
    queueMicrotask(() => void this.flush().catch(() => undefined));
  }

  /**
   * Commits everything captured so far; resolves when it is in IndexedDB. `also` runs inside the same
   * transaction, so what it writes commits together with the batch or not at all.
   */
  flush(also?: AlsoWrite, onFailed?: () => void): Promise<void> {
    const staged = this.open;
    this.open = null;
    if (staged && staged.batch.updates.length > 0) {
      // Changes from peers that a failed commit left queued go first (the staging doc was built on them).
      if (this.batch.updates.length > 0) void this.flush().catch(() => undefined);
      return this.commitStaged(staged, also, onFailed);
    }
    // Opened and left empty (read from, say): closed, so that a change made in it now is refused (`lateChange`).
    if (staged) staged.batch.taken = true;
    this.scheduled = false;
    const batch = this.batch;
    if (also) batch.also.push(also);
    this.batch = emptyBatch();
    this.unwritten.add(batch);
    const run = this.chain.then(() =>
      this.write(batch)
        .catch((error: unknown) => {
          // The doc already holds these changes (from peers): keep them queued so the next commit retries
          // them, and let the caller say "not saved". What the caller wanted written with them is its own.
          this.requeue(batch);
          onFailed?.();
          throw error;
        })
        .finally(() => this.unwritten.delete(batch)),
    );
    this.chain = run.catch(() => undefined);
    // A chunk of the backlog, or a piece of a rebuild, that failed earlier is tried again behind this save.
    if (this.backlogHeld === 'rebuild failed') {
      this.backlogHeld = null;
      void this.catchUpByRebuild();
    } else if (this.unprojected > 0 && !this.chunkQueued) this.continueBacklog();
    if (this.rebuilding && !this.rebuilding.queued) this.continueRebuild(this.rebuilding);
    return run;
  }

  /**
   * A change made in a staging doc after its staged change was taken for commit, and before any other was
   * opened in it: code that held the doc across an await (a signature) while another save was flushed. It
   * would be in no commit, and the doc, kept for the next change, would number that change's structs past
   * the live doc's: every later save of this device would wait in the live doc for structs it never gets
   * (found by the convergence test: levels signed while a donation was saved). So the doc is dropped and
   * the change refused: the caller is told it is not saved. Callers take the staging doc after their awaits.
   */
  private lateChange(doc: Y.Doc): never {
    if (this.kept?.doc === doc) this.kept = null;
    throw new Error('A change was made in a staging doc after its save had begun: it is not saved');
  }

  /** Commits a staged change, then applies it to the live doc; on failure it is dropped, and so is any built on it. */
  private commitStaged(staged: Staged, also?: AlsoWrite, onFailed?: () => void): Promise<void> {
    staged.batch.taken = true;
    const update = Y.mergeUpdates(staged.batch.updates);
    staged.batch.updates = [update];
    if (also) staged.batch.also.push(also);
    this.inFlight.push({ id: staged.id, update });
    const run = this.chain.then(async () => {
      try {
        if (staged.builtOn.some((id) => this.failedStaged.has(id))) throw new EarlierSaveFailed();
        await this.write(staged.batch, staged.doc, () => {
          // The update is this device's own, under the live doc's client id. Yjs applies any update as a
          // peer's, and a peer's using the doc's own id makes it log "Changed the client-id" and take a new
          // one: the id is put back. (Marking the transaction local would keep it and the log quiet, but Yjs
          // then keeps its arrays' search markers, which it resets after a peer's change: not done.)
          const client = this.doc.clientID;
          this.doc.transact(() => Y.applyUpdate(this.doc, update), STAGED);
          this.doc.clientID = client;
        });
      } catch (error) {
        this.failedStaged.add(staged.id);
        // Its doc holds a change the live doc never gets: no later change may be made in it.
        if (this.kept?.doc === staged.doc) this.kept = null;
        onFailed?.();
        throw error;
      } finally {
        this.inFlight = this.inFlight.filter((f) => f.id !== staged.id);
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private requeue(failed: Batch): void {
    const next = this.batch;
    next.updates = [...failed.updates, ...next.updates];
    next.entries = [...failed.entries, ...next.entries];
    next.problems = [...failed.problems, ...next.problems];
    next.membersChanged ||= failed.membersChanged;
    next.headsChanged ||= failed.headsChanged;
    if (failed.folded) next.folded = new Set([...failed.folded, ...(next.folded ?? [])]);
    if (failed.history) next.history = [...failed.history, ...(next.history ?? [])];
    for (const key of PROJECTED_SETTINGS) {
      for (const [k, v] of failed[key]) if (!next[key].has(k)) next[key].set(k, v);
    }
  }

  /**
   * Writes a batch in one transaction. `doc` is the doc the batch was made in (a staging doc for a local
   * change), and `committed` runs right after the commit (it applies a staged change to the live doc).
   */
  private async write(batch: Batch, doc: Y.Doc = this.doc, committed?: () => void): Promise<void> {
    if (batch.updates.length === 0 && batch.also.length === 0) return;
    const db = this.db;
    const seenAt = this.now();
    await this.freshTrust();
    // Not those a rebuild has judged and counted already (`folded`).
    const folded = batch.folded;
    const unfolded = folded ? batch.entries.filter((e) => !folded.has(idOf(e))) : batch.entries;
    // Behind a checkpoint, what it covers is counted already: to the gate, a second entry at a taken position.
    let behind = this.behind;
    const entries = behind ? unfolded.filter((e) => !behind!.covered(e)) : unfolded;
    let arrival = behind?.arriving(unfolded) ?? null;
    // The checkpoint's rows not all written yet (they are written between other writes: saves do not wait
    // for them): an entry that refers to an earlier one (an undo, a receipt, a resolve) needs that one's row,
    // and a device is as one with the whole history only with every row in. The rest of them first, then.
    // (Only once started from it: a write queued before the start must not wait for rows the start reads.)
    // Started from a checkpoint's skeleton: whole once the stored rows hold all the history it left out (that
    // it left out only covered entries is its maker's word, as the figures are: docs/checkpoints.md).
    const fromSkeleton = this.checkpointSkeleton;
    const heldNow = fromSkeleton ? withRanges(fromSkeleton.held, batch.history ?? []) : null;
    const skeletonWhole =
      fromSkeleton !== null && behind !== null && holdsAllWanted(fromSkeleton.wanted, heldNow!);
    if (
      this.seedRows &&
      behind &&
      (arrival?.mayHoldAll === true || skeletonWhole || entries.some(refersToEntry))
    ) {
      await this.seedHistoryNow();
      behind = this.behind;
      arrival = behind?.arriving(unfolded) ?? null;
    }
    // Once the doc holds every covered position, this device is as one that had the history all along.
    // (The doc is read once, the first time the counts say it may: what it lacked is known from then on.)
    // Its history all on disk with this batch: which covered positions the doc holds is read from it, once
    // (its entries came to disk, not through the doc one by one). Whole when it holds every one; else it goes
    // on as any device behind its checkpoint, covered entries counted as they arrive.
    let learned: BehindCheckpoint | null = null;
    // Each entry is marked and let go: gathered, a whole doc's entries were gigabytes at ten million.
    if (skeletonWhole) {
      const whole = await this.rowsDoc(batch.updates);
      const learning = (arrival?.next ?? behind!).learning();
      await eachEntryPaced(whole, pacer(this.pace), learning.mark);
      learned = learning.learned();
      whole.destroy();
    }
    let caughtUp: boolean;
    if (fromSkeleton) caughtUp = learned?.holdsAll === true;
    else if (arrival?.mayHoldAll !== true) caughtUp = false;
    else if (arrival.next.knowsMissing) caughtUp = true;
    else {
      const learning = arrival.next.learningMissing();
      await eachEntryPaced(await this.historyDoc(), pacer(this.pace), learning.mark);
      caughtUp = learning.done();
    }
    // Then a rebuild asked for meanwhile, or one its projection's version asks for, runs.
    const rebuildAfter = caughtUp && (behind!.rebuildWanted || !(await this.projectionCurrent()));
    // On a signed network only what the gate releases counts (signatures are checked before the
    // transaction: WebCrypto is asynchronous and would end an IndexedDB transaction).
    const trust = this.trustLayer;
    // The doc's member log is the log from this write on (should it fail, the trust layer is read from the
    // disk again, the lent log with it).
    if (caughtUp) trust?.lend(null);
    let plan: TrustPlan | null;
    let verdicts: Map<string, SettingVerdict> | null;
    this.planned = doc;
    try {
      plan = trust
        ? await trust.plan(entries, { members: batch.membersChanged, heads: batch.headsChanged })
        : null;
      // A changed member list can change which settings count: those of the writers whose standing changed
      // are judged again (all of them when there is no earlier list to compare with). An approval judged
      // every one: at 30,000 signed levels, 3.6 s and a task of 0.7 s.
      if (plan?.members) this.allSettings(batch, doc, plan.writers);
      verdicts = await this.settingVerdicts(batch);
    } finally {
      this.planned = this.doc;
    }
    let counted = plan ? plan.release : entries;
    // Saves from before the load, counted when they were made: not again. One the gate does not release
    // (this device revoked meanwhile, or its entries waiting behind lost ones) is counted in figures it
    // should not be in: they are derived again from the doc below.
    let earlyRefused = false;
    const pre = batch.preprojected;
    if (pre) {
      if (plan) {
        const released = new Set(plan.release.map(idOf));
        earlyRefused = [...pre].some((id) => !released.has(id));
      }
      counted = counted.filter((e) => !pre.has(idOf(e)));
    }
    // A batch larger than one transaction's worth (a first sync or a sync file, which arrive in pieces
    // of about 256 kB: shared/sync/ingest.ts `ingestLarge`): its update row commits now with the first
    // chunk's projections; the rest goes to the backlog, projected a chunk at a time after this (and
    // after saves queued meanwhile). In one transaction, a piece's thousands of rows held the page for
    // hundreds of milliseconds.
    // While a large backlog waits to be caught up by a rebuild, what arrives joins it: the rebuild would
    // write those rows again (at a million entries, a quarter of them were projected twice that way).
    // (Behind a checkpoint, all of it at once: a backlog left half projected by a restart is made right by a
    // rebuild from the doc, which such a device cannot do yet. What is not covered is seldom much.)
    const fits = behind
      ? counted.length
      : this.backlogHeld === 'weighing'
        ? 0
        : projectionPiece(counted, 0, this.chunk, this.budget);
    const now = fits < counted.length ? counted.slice(0, fits) : counted;
    const later = now === counted ? [] : counted.slice(now.length);
    let stored = null as [id: number, bytes: number] | null;
    try {
      await db.transaction('rw', [db.updates, ...db.projectionTables, db.meta, db.journal], async () => {
        if (batch.updates.length > 0) {
          const update = Y.mergeUpdates(batch.updates);
          const id = await db.updates.add({ update, entries: batch.entries.length, sum: rowSum(update) });
          stored = [id, update.byteLength];
        }
        for (const write of batch.also) await write();
        const problems: ProblemRow[] = batch.problems.map((p) => ({ ...p, seenAt }));
        if (plan) {
          await trust!.write(db, plan);
          for (const p of plan.problems) problems.push({ ...p, seenAt });
        }
        if (now.length > 0) appendAll(problems, await this.project(now, seenAt));
        const settingProblems = await this.writeSettings(batch, seenAt, verdicts, doc);
        await this.clearSettingProblems(batch, settingProblems);
        appendAll(problems, settingProblems);
        if (problems.length > 0) await db.problems.bulkPut(problems);
        if (caughtUp) {
          await db.meta.delete('checkpoint');
          await db.meta.delete('checkpointMembers');
          // (Should the app close before the rebuild asked for meanwhile runs, the next start runs it.)
          if (behind!.rebuildWanted) await this.markProjection(true, seenAt);
        } else if (learned) await db.meta.put(learned.row);
        else if (arrival) await db.meta.put(arrival.next.row);
        // Its history on disk: the next start reads every row, as any device's (and stores a skeleton of them).
        if (learned) await db.meta.delete('skeleton');
        if (later.length > 0) await this.markProjection(true, seenAt);
      });
    } catch (error) {
      // The plan above may have moved the trust layer's member list and heads ahead of the disk.
      if (trust) this.trustStale = true;
      // So may the rebuild's projector have (it projected this batch): derive everything again.
      if (this.rebuilding) this.restartRebuild();
      throw error;
    }
    committed?.();
    if (fromSkeleton) {
      fromSkeleton.held = heldNow!;
      if (learned) {
        // A doc started from a skeleton with its history on disk, as any device on one (docs/history.md).
        this.checkpointSkeleton = null;
        const started = skeletonOf(this.doc);
        if (started) delete started.history;
        this.behind = caughtUp ? null : learned;
        this.notifyBacklog();
      }
    }
    if (arrival && !learned) {
      this.behind = caughtUp ? null : arrival.next;
      this.notifyBacklog();
    }
    if (rebuildAfter) void this.startRebuild().catch(() => undefined);
    if (stored) {
      this.track(...stored);
      this.splitLargeRows();
    }
    if (plan) trust!.adopt(plan);
    if (later.length > 0) this.addToBacklog(later);
    else if (this.unprojected === 0 && this.backlogHeld === null) this.decoded = new DecodedWires();
    // Entries that counted no longer should (a revocation behind them): derive everything again.
    if (plan?.rebuild || earlyRefused) void this.rebuild().catch(() => undefined);
    const settings = new Set<SettingKind>();
    if (plan?.members) settings.add('members');
    for (const kind of ['items', 'hubs', 'devices', 'levels', 'categoryLevels'] as const)
      if (batch[kind].size > 0) settings.add(kind);
    const commit: Commit = { entries: now, settings };
    for (const listener of this.committedListeners) listener(commit);
    this.lastCommitAt = performance.now();
    this.listItemBlocks();
    await this.mergeSmallUpdates();
  }

  private async markProjection(incomplete: boolean, at: number): Promise<void> {
    const meta = await this.db.meta.get('projection');
    const rebuiltAt = meta?.key === 'projection' ? meta.rebuiltAt : at;
    await this.db.meta.put({
      key: 'projection',
      version: PROJECTION_VERSION,
      rebuiltAt,
      // A rebuild still writing its history (or asked for) keeps it incomplete too.
      ...(incomplete || this.rebuilding || this.rebuildsAsked > 0 ? { incomplete: true } : {}),
    });
  }

  /** Whether the projection is whole and of this version of Larder (else a start rebuilds it). */
  private async projectionCurrent(): Promise<boolean> {
    const meta = await this.db.meta.get('projection');
    return meta?.key === 'projection' && meta.version === PROJECTION_VERSION && !meta.incomplete;
  }

  /**
   * Starts this device from a verified checkpoint and the bytes of its rows (shared/checkpoint/verify.ts):
   * its figures, settings and gate are the checkpoint's once the first transaction commits (this resolves
   * then), and what its doc brings after is counted on top, covered entries skipped (`BehindCheckpoint`).
   * The checkpoint's own rows (its history: what an undo or a second receipt that arrives later needs) are
   * written next, `seedHistoryRows` a transaction, other writes going between two (a write that needs
   * them, the rest first: `queueSeedHistory`); kept as they came until then, so that a start goes on with
   * them (`seedHistoryWritten`). Only on a device whose doc
   * holds no ledger entry yet (a new device, before its first sync), on the chain (after what is queued).
   * Rows that do not match the checkpoint's head are refused (a CheckpointFormatError), nothing written.
   * `members`: the member log the checkpoint was verified with (its bundle's), replayed with the doc's until
   * the history arrives (TrustLayer `lend`): what approves this device counts from the start.
   * `skeleton`: the checkpoint's skeleton, verified (shared/checkpoint/skeleton.ts), when it came with one:
   * the doc starts from it, not from the history (docs/checkpoints.md, "The compacted state to continue
   * syncing from"), and takes over Yjs only what follows its cut; the history it left out goes to disk as it
   * arrives, without the doc (`historyArrival`), and every start starts from it until all of it is there.
   */
  seed(
    checkpoint: VerifiedCheckpoint,
    rowBytes: Uint8Array,
    members: readonly unknown[] | null = null,
    skeleton: Skeleton | null = null,
  ): Promise<void> {
    let rows: SeedRows | null = null;
    const run = this.chain.then(async () => {
      if (!this.loaded) throw new Error('A checkpoint is taken once the doc is loaded');
      if (!this.mayStartFromCheckpoint)
        throw new Error('Only a device with no entries yet starts from a checkpoint');
      // Checked and held in a worker (a million rows took 0.9 s in one task), or here in steps; their bytes
      // kept for a start to go on from by whoever read them (IndexedDB copies megabytes on the putting thread).
      // (The rows come as a view into what they arrived in, a whole sync file's, 60 MB at 1M: whoever keeps
      // them keeps a copy of their own bytes, made in parts.)
      rows = await readSeedRows(this.db, checkpoint.head, rowBytes, true, this.seedReading);
      let seeded = false;
      try {
        await this.seedFigures(checkpoint, members, skeleton);
        seeded = true;
      } finally {
        // Not started from it: the bytes kept for it go (none were before: only a device with no entries
        // gets this far, and only once).
        if (!seeded) await this.db.meta.delete('checkpointRows').catch(() => undefined);
      }
      // The gate goes on from the covered positions (read from the table just written).
      this.trustStale = true;
      await this.freshTrust();
      if (members) await this.projectLentMembers();
    });
    this.queueSeedHistory(
      run.then(
        () => rows!,
        (error: unknown) => {
          // Not started from it: its rows let go.
          (rows as SeedRows | null)?.close();
          throw error;
        },
      ),
    );
    return run.then(() => {
      for (const listener of this.committedListeners) listener({ entries: [], settings: ALL_SETTINGS });
    });
  }

  /** `seed`'s figures, settings, gate and meta rows, in one transaction, once its rows are read and kept. */
  private async seedFigures(
    checkpoint: VerifiedCheckpoint,
    members: readonly unknown[] | null,
    skeleton: Skeleton | null,
  ): Promise<void> {
    // Other tasks ran meanwhile: a save on this device, or an entry that came some other way, means its doc
    // no longer starts empty, and the checkpoint is not taken after all (its history counts instead).
    if (!this.mayStartFromCheckpoint)
      throw new Error('Only a device with no entries yet starts from a checkpoint');
    const { seedFromCheckpoint } = await import('./checkpoint');
    const behind = BehindCheckpoint.start(checkpoint.digest, checkpoint.head.covers);
    // Its settings as their writers signed them and the checkpoint's receiver verified them: the stock
    // view names its items and hubs before the doc brings them (which projects them again, as usual).
    const settings = emptyBatch();
    const verdicts = new Map<string, SettingVerdict>();
    for (const { map, key, value } of checkpoint.settingValues) {
      if (!isProjectedSetting(map)) continue;
      settings[map].set(key, value);
      verdicts.set(`${map}/${key}`, { ok: true, value });
    }
    const db = this.db;
    const seenAt = this.now();
    await db.transaction('rw', [...db.projectionTables, db.meta], async () => {
      await seedFromCheckpoint(db, checkpoint, [], {
        projection: { key: 'projection', version: PROJECTION_VERSION, rebuiltAt: seenAt },
        checkpoint: behind.row,
      });
      if (members) await db.meta.put({ key: 'checkpointMembers', ops: [...members] });
      if (skeleton) {
        const bytes = encodeSkeleton(skeleton);
        await db.meta.put({
          key: 'skeleton',
          bytes,
          sum: rowSum(bytes),
          coversRow: 0,
          historyBytes: 0,
          fromCheckpoint: true,
        });
      }
      const problems = await this.writeSettings(settings, seenAt, verdicts);
      if (problems.length > 0) await db.problems.bulkPut(problems);
    });
    this.behind = behind;
    if (skeleton) {
      // What the doc holds already is on disk (its own join request, say, which the maker's doc held too): for
      // each client, everything before its clock (a doc's structs of a client run from 0 with no gap).
      const held: Ranges = new Map();
      for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc)))
        if (clock > 0) held.set(client, [[0, clock]]);
      this.startFromCheckpointSkeleton(skeleton, held);
    }
    this.notifyBacklog();
  }

  /**
   * The doc started from a checkpoint's skeleton (`seed`, or a start while the history is not all on disk):
   * applied without being captured (it is no row, and its ledger values are the checkpoint's), and marked, the
   * history it left out handed to `historyArrival` as it comes. `held`: what of it the stored rows hold.
   */
  private startFromCheckpointSkeleton(skeleton: Skeleton, held: Ranges): void {
    // No listener may see it as an update: encoded, its GC structs would tell a peer it has history it lacks,
    // and its delete set delete that history there (shared/sync/skeleton.ts). Sync is running (the checkpoint
    // may have come over it): its listeners are set aside while it is applied.
    const observers = (this.doc as unknown as { _observers: Map<string, Set<unknown>> })._observers;
    const aside = ['update', 'updateV2'].map((name) => [name, observers.get(name)] as const);
    for (const [name] of aside) observers.delete(name);
    try {
      this.doc.transact(() => {
        for (const update of skeleton.updates) Y.applyUpdate(this.doc, update);
      }, SKELETON_START);
    } finally {
      for (const [name, listeners] of aside) if (listeners) observers.set(name, listeners);
    }
    this.checkpointSkeleton = { skeleton, wanted: beforeCut(skeleton), held, taken: held };
    startedFromSkeleton(this.doc, { ...skeleton, history: this.historyArrival() }, () => this.historyDoc());
  }

  /**
   * The member list as the log a checkpoint came with and the doc give it, projected at the start, through
   * a write of its own (on the chain, as the seed is): the Members screen and this device's standing are right
   * from then, not from its first save, and the settings of every writer whose standing changed are judged
   * again with it (this device's new hub, chosen before its first sync, counts once it is a member). Should
   * it fail, the next write judges the list again.
   */
  private async projectLentMembers(): Promise<void> {
    const batch = emptyBatch();
    batch.membersChanged = true;
    // A write with no update of its own is one only with something to write beside it.
    batch.also.push(async () => undefined);
    try {
      await this.write(batch);
    } catch (error) {
      console.error('Larder could not project the member list its checkpoint came with', error);
    }
  }

  /** How a checkpoint's rows are read on the page: rows a step, and how often other tasks run (tests make them smaller). */
  seedReading: SeedReading = SEED_READING;

  /** Rows of a checkpoint's history written per transaction (tests make it smaller). */
  seedHistoryRows = SEED_HISTORY_ROWS;
  private seedHistory: Promise<void> = Promise.resolve();

  /** Resolves once the rows of the checkpoint this device started from are all written (or could not be). */
  seedHistoryWritten(): Promise<void> {
    return this.seedHistory;
  }

  /** The checkpoint's rows while some are not written yet (`queueSeedHistory`); null once all are. */
  private seedRows: Promise<SeedRows | null> | null = null;

  /**
   * Writes the checkpoint's rows (`rows`, once read) on the chain, a transaction of `seedHistoryRows` at a
   * time, each queued behind what was queued while the one before it was written: a save made meanwhile
   * waits for one transaction, not for all of them (11 s at 1M). A write that needs them all first (an entry
   * referring to an earlier one, the doc's history whole) writes the rest before it (`seedHistoryNow`).
   */
  private queueSeedHistory(rows: Promise<SeedRows>): void {
    // Rows that could not be read (a seed refused: its caller is told) leave nothing to write.
    this.seedRows = rows.catch(() => null);
    this.seedHistory = new Promise<void>((resolve) => {
      const step = () => {
        const run = this.chain.then(() => this.seedHistoryStep());
        this.chain = run.then(
          () => undefined,
          () => undefined,
        );
        run.then(
          (more) => (more ? step() : resolve()),
          (error: unknown) => {
            // Not written now: the rest at the next start (the meta row says where it stopped).
            this.letSeedRowsGo();
            if (!this.destroyed)
              console.error(
                "Larder could not write its checkpoint's history; it goes on at the next start",
                error,
              );
            resolve();
          },
        );
      };
      step();
    });
  }

  /** Writes the next transaction of the checkpoint's rows, on the chain; true if more are left. */
  private async seedHistoryStep(): Promise<boolean> {
    const rows = await this.seedRows;
    const behind = this.behind;
    const at = behind?.historyAt;
    if (!rows || !behind || at === null || at === undefined || this.destroyed) {
      this.letSeedRowsGo();
      return false;
    }
    const n = Math.max(0, Math.min(Math.max(1, this.seedHistoryRows), rows.count - at));
    const done = at + n >= rows.count;
    const next = behind.withHistory(done ? null : at + n);
    // In the worker that read them, if they were (it opened this database by its name).
    if (await rows.write(at, n, next.row, done)) this.unlisted = true;
    this.behind = next;
    if (!done) return true;
    this.letSeedRowsGo();
    this.listItemBlocks();
    return false;
  }

  /** No more of the checkpoint's rows to write now: they are let go (their worker ends). */
  private letSeedRowsGo(): void {
    const rows = this.seedRows;
    this.seedRows = null;
    void rows?.then((r) => r?.close());
  }

  /** The rest of the checkpoint's rows, now (inside a write on the chain). */
  private async seedHistoryNow(): Promise<void> {
    while (await this.seedHistoryStep()) await nextTask();
  }

  /**
   * A checkpoint's rows kept with no history of it left to write: kept before its figures were written, and
   * the app closed in between (`seed`). Only their key is read at a start, not their megabytes.
   */
  private async dropStrayRows(): Promise<void> {
    try {
      const keys = await this.db.meta.where('key').equals('checkpointRows').primaryKeys();
      if (keys.length > 0 && !this.behind) await this.db.meta.delete('checkpointRows');
    } catch (error) {
      console.error('Larder could not drop the rows of a checkpoint it did not start from', error);
    }
  }

  /** At a start, a checkpoint's history left half written: the rest, from the rows kept for it. */
  private resumeSeedHistory(): void {
    this.queueSeedHistory(
      this.db.meta.get('checkpointRows').then((row) => {
        if (row?.key !== 'checkpointRows') throw new Error("The checkpoint's rows are gone");
        return readSeedRows(this.db, null, row.bytes, false, this.seedReading);
      }),
    );
  }

  /**
   * Whether this device may start from a checkpoint (`seed`): loaded, its doc holds no ledger entry yet,
   * nothing is being projected, and it has not started from one already.
   */
  get mayStartFromCheckpoint(): boolean {
    return (
      this.loaded &&
      ledgersOf(this.doc).size === 0 &&
      this.unprojected === 0 &&
      !this.rebuilding &&
      this.behind === null
    );
  }

  /** Whether this device started from a checkpoint whose history its doc does not hold all of yet. */
  get behindCheckpoint(): boolean {
    return this.behind !== null;
  }

  /** While behind a checkpoint: how much of the history behind it has arrived (`onBacklog` says when it moves). */
  get checkpointProgress(): { arrived: number; covered: number } | null {
    return this.behind?.progress ?? null;
  }

  private addToBacklog(entries: Entry[]): void {
    if (this.unprojected === 0) {
      this.backlog = entries;
      this.backlogAt = 0;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.drained = { promise, resolve };
    } else {
      // What is projected already goes first (while a catch-up weighs the backlog, nothing is: a first
      // sync's 233 pieces each copied the whole backlog so far, a million entries at the end).
      if (this.backlogAt > 0) {
        this.backlog = this.backlog.slice(this.backlogAt);
        this.backlogAt = 0;
      }
      appendAll(this.backlog, entries);
    }
    this.notifyBacklog();
    if (this.shouldCatchUp()) void this.catchUp();
    else this.continueBacklog();
  }

  /** A backlog long enough for a rebuild to be the faster way to right figures (CATCH_UP_ENTRIES). */
  private shouldCatchUp(projected = 0): boolean {
    return (
      this.behind === null &&
      this.backlogHeld === null &&
      !this.rebuilding &&
      this.rebuildsAsked === 0 &&
      this.unprojected >= this.catchUpAt &&
      this.unprojected > projected
    );
  }

  /**
   * Waits for the large update the backlog comes from to be all in (its later pieces still arrive), then,
   * if the backlog is still longer than the history projected, rebuilds (which projects the backlog too);
   * otherwise the backlog goes on a chunk at a time. Chunks wait meanwhile: a rebuild writes their rows.
   */
  private async catchUp(): Promise<void> {
    this.backlogHeld = 'weighing';
    let rebuild = false;
    try {
      // All of it: a state in parts (a new device's first sync past about 1M entries) comes part by part.
      await ingestSettled(this.doc);
      await this.chain;
      const projected = await ledgerRowsAtMost(this.db);
      this.backlogHeld = null;
      rebuild = this.shouldCatchUp(projected);
    } catch (error) {
      this.backlogHeld = null;
      console.error('Larder could not weigh catching up by a rebuild; it projects a chunk at a time', error);
    }
    if (rebuild) return this.catchUpByRebuild();
    if (this.unprojected > 0 && !this.chunkQueued) this.continueBacklog();
  }

  private async catchUpByRebuild(): Promise<void> {
    try {
      await this.startRebuild();
    } catch {
      // The meta row still says incomplete (a restart rebuilds too); the next save asks again.
      this.backlogHeld = 'rebuild failed';
    }
  }

  /** Queues the next chunk of the backlog behind whatever is queued now (saves go first). */
  private continueBacklog(): void {
    this.chunkQueued = true;
    const run = this.chain.then(() => this.projectNextChunk());
    this.chain = run.catch(() => undefined);
  }

  private async projectNextChunk(): Promise<void> {
    this.chunkQueued = false;
    if (this.unprojected === 0 || this.backlogHeld) return;
    const db = this.db;
    const seenAt = this.now();
    const n = projectionPiece(this.backlog, this.backlogAt, this.chunk, this.budget);
    const chunk = this.backlog.slice(this.backlogAt, this.backlogAt + n);
    const last = this.backlogAt + chunk.length >= this.backlog.length;
    try {
      await db.transaction('rw', [...db.projectionTables, db.meta], async () => {
        const problems = await this.project(chunk, seenAt);
        if (problems.length > 0) await db.problems.bulkPut(problems);
        if (last) await this.markProjection(false, seenAt);
      });
    } catch (error) {
      // Left in the backlog: the next save tries again, and a restart rebuilds (the meta row says so).
      console.error('Larder could not project part of a large update; it will try again', error);
      return;
    }
    this.backlogAt += chunk.length;
    const commit: Commit = { entries: chunk, settings: NO_SETTINGS };
    for (const listener of this.committedListeners) listener(commit);
    this.listItemBlocks();
    if (!last) this.notifyBacklog();
    if (last) this.finishBacklog();
    else this.continueBacklog();
  }

  /** Everything committed is projected: empty the backlog and tell whoever waits. */
  private finishBacklog(): void {
    this.backlog = [];
    this.backlogAt = 0;
    this.listItemBlocks();
    this.decoded = new DecodedWires();
    this.drained?.resolve();
    this.drained = null;
    this.notifyBacklog();
  }

  private notifyBacklog(): void {
    for (const listener of this.backlogListeners) listener();
  }

  private async project(entries: Entry[], seenAt: number): Promise<ProblemRow[]> {
    const db = this.db;
    // While a rebuild writes its history, its projector holds everything (the rows not written yet
    // included) and projects; otherwise one is loaded with just the rows these entries touch.
    const projector = this.rebuilding?.projector ?? (await this.projectorFor(entries));
    const before = projector.problems.length;
    for (const e of entries) projector.apply(e);
    const changes = projector.takeChanges();
    await Promise.all([
      db.stock.bulkPut(changes.stock),
      db.shelf.bulkPut(shelfRows(changes.stock)),
      putLedgerRows(db, changes.ledger).then((unlisted) => {
        if (unlisted) this.unlisted = true;
      }),
      db.usage.bulkPut(changes.usage),
      // The network view's rows these stock rows are in, patched in the same transaction.
      changes.stock.length > 0 &&
        db.onHand
          .bulkGet(onHandKeysOf(changes.stock))
          .then((held) => db.onHand.bulkPut(patchOnHand(held, changes.stock))),
    ]);
    return projector.problems
      .slice(before)
      .map((p) => ({ where: `entry/${p.id}`, reason: p.reason, seenAt }));
  }

  /** A projector holding the stock, ledger and usage rows that applying `entries` reads or changes. */
  private async projectorFor(entries: readonly Entry[]): Promise<Projector> {
    const db = this.db;
    const need = Projector.lookups(entries);
    const [ledger, bySlot] = await Promise.all([
      getLedgerRows(db, need.entryIds),
      ledgerRowsInSlots(db, need.slots),
    ]);
    const ledgerById = new Map<string, LedgerRow>();
    for (const row of [...ledger, ...bySlot]) if (row) ledgerById.set(row.id, row);
    // Second round: the other members of the slots those rows are in.
    const asked = new Set(need.slots);
    const moreSlots = Projector.slotsOf(ledgerById.values()).filter((slot) => !asked.has(slot));
    if (moreSlots.length > 0)
      for (const row of await ledgerRowsInSlots(db, moreSlots)) ledgerById.set(row.id, row);
    const stockKeys = new Set([...need.stockKeys, ...Projector.stockKeysOf(ledgerById.values())]);
    const usageKeys = new Set([...need.usageKeys, ...Projector.usageKeysOf(ledgerById.values())]);
    const [stock, usage] = await Promise.all([
      db.stock.bulkGet([...stockKeys]),
      db.usage.bulkGet([...usageKeys]),
    ]);
    return new Projector({
      stock: stock.filter((r): r is StockRow => r !== undefined),
      ledger: ledgerById.values(),
      usage: usage.filter((r): r is UsageRow => r !== undefined),
    });
  }

  /**
   * Projects changed settings exactly as a rebuild would: valid → row, cleared or invalid → no row (and
   * invalid → a problem), so the incremental path and a rebuild never disagree. On a signed network a
   * value counts only with its verdict (signed by a device with the right: shared/trust/settings.ts).
   */
  private async writeSettings(
    batch: Batch,
    seenAt: number,
    verdicts: Map<string, SettingVerdict> | null,
    doc: Y.Doc = this.doc,
    db: SettingTables = this.db,
  ): Promise<ProblemRow[]> {
    const problems: ProblemRow[] = [];
    /** The value that counts, or undefined (cleared, absent, or set aside with a problem). */
    const valueOf = (map: SettingMap, key: string, raw: unknown): unknown => {
      if (!verdicts) return raw;
      const verdict = verdicts.get(`${map}/${key}`);
      if (!verdict) return undefined;
      if (verdict.ok) {
        if (verdict.setAside) problems.push({ where: `${map}/${key}`, reason: verdict.setAside, seenAt });
        return verdict.value;
      }
      if (!verdict.held) problems.push({ where: `${map}/${key}`, reason: verdict.reason, seenAt });
      return undefined;
    };
    // Each table's rows put and deleted in one request each, after the loop: a put awaited per setting was
    // 4.3 s for a new device's 7,200 settings (3,600 items and their levels) on a busy 2-core machine.
    const put = {
      items: [] as ItemRow[],
      hubs: [] as HubRow[],
      devices: [] as DeviceRow[],
      levels: [] as LevelsRow[],
      categoryLevels: [] as CategoryLevelsRow[],
    };
    const gone = {
      items: [] as string[],
      hubs: [] as string[],
      devices: [] as string[],
      levels: [] as string[],
      categoryLevels: [] as string[],
    };
    for (const [id, raw] of batch.items) {
      const value = valueOf('items', id, verdicts ? raw : settingValue(itemsOf(doc).get(id)));
      const r = parseItem(id, value);
      if (r.ok) put.items.push({ ...r.item, nameKey: normalizeName(r.item.name) });
      else {
        gone.items.push(id);
        if (value !== undefined) problems.push({ where: `items/${id}`, reason: r.reason, seenAt });
      }
    }
    for (const [id, raw] of batch.hubs) {
      const value = valueOf('hubs', id, raw);
      const p = hubSchema.safeParse(value);
      if (p.success) put.hubs.push({ ...p.data, id });
      else {
        gone.hubs.push(id);
        if (value !== undefined)
          problems.push({ where: `hubs/${id}`, reason: msg('settings.hubInvalid'), seenAt });
      }
    }
    for (const [id, raw] of batch.devices) {
      const value = valueOf('devices', id, raw);
      const p = deviceSchema.safeParse(value);
      if (p.success) put.devices.push({ ...p.data, id });
      else {
        gone.devices.push(id);
        if (value !== undefined)
          problems.push({ where: `devices/${id}`, reason: msg('settings.deviceInvalid'), seenAt });
      }
    }
    const levelsChanges: LevelsChange[] = [];
    /** Each change's key (`levelsChanges[i]` is of `levelsKeys[i]`). */
    const levelsKeys: string[] = [];
    for (const [key, raw] of batch.levels) {
      const [hub = '', item = ''] = key.split('|');
      const value = valueOf('levels', key, raw);
      const p = levelsSchema.safeParse(value);
      levelsChanges.push({ hub, item, levels: p.success ? p.data : null });
      levelsKeys.push(key);
      if (p.success) put.levels.push({ ...p.data, key, hub, item });
      else {
        gone.levels.push(key);
        if (value !== undefined)
          problems.push({ where: `levels/${key}`, reason: msg('settings.levelsInvalid'), seenAt });
      }
    }
    for (const [key, raw] of batch.categoryLevels) {
      const [hub = '', category = ''] = key.split('|');
      const value = valueOf('categoryLevels', key, raw);
      const p = levelsSchema.safeParse(value);
      if (p.success) put.categoryLevels.push({ ...p.data, key, hub, category });
      else {
        gone.categoryLevels.push(key);
        if (value !== undefined)
          problems.push({ where: `categoryLevels/${key}`, reason: msg('settings.levelsInvalid'), seenAt });
      }
    }
    // (A key is in a batch's map once: never both put and deleted.)
    const write = async <T>(
      table: {
        bulkGet(keys: string[]): Promise<(T | undefined)[]>;
        bulkPut(rows: T[]): Promise<unknown>;
        bulkDelete(keys: string[]): Promise<void>;
      },
      rows: T[],
      keys: string[],
      keyOf: (row: T) => string,
    ) => {
      if (keys.length > 0) await table.bulkDelete(keys);
      // Rows stored as they are already are not put again: a member list judged again judges every setting
      // again (a new device's, at its start from a checkpoint; an approval), and most come out unchanged. A
      // row put over itself costs as much as a new one (its indexes and the live queries' bookkeeping): 3 s
      // for a new device's 7,200 settings on a busy 2-core machine.
      if (rows.length > 0 && db === this.db) {
        const held = await table.bulkGet(rows.map(keyOf));
        rows = rows.filter((row, i) => held[i] === undefined || canonical(held[i]) !== canonical(row));
      }
      if (rows.length > 0) await table.bulkPut(rows);
      return rows;
    };
    const [, , , levelsPut] = await Promise.all([
      write(db.items, put.items, gone.items, (r) => r.id),
      write(db.hubs, put.hubs, gone.hubs, (r) => r.id),
      write(db.devices, put.devices, gone.devices, (r) => r.id),
      write(db.levels, put.levels, gone.levels, (r) => r.key),
      write(db.categoryLevels, put.categoryLevels, gone.categoryLevels, (r) => r.key),
    ]);
    // The network view's rows these levels are in, patched in the same transaction, for the levels that
    // changed: those put (not stored as they are already) and those gone. (A rebuild's settings, kept in
    // memory, make theirs from all its levels rows at once: `derive`.)
    const changedLevels = new Set([...levelsPut.map((r) => r.key), ...gone.levels]);
    const changes = levelsChanges.filter((_, i) => changedLevels.has(levelsKeys[i]!));
    if (changes.length > 0 && db === this.db) {
      const { put, deleted } = patchHubLevels(
        await this.db.hubLevels.bulkGet(hubLevelsKeysOf(changes)),
        changes,
      );
      await Promise.all([this.db.hubLevels.bulkPut(put), this.db.hubLevels.bulkDelete(deleted)]);
    }
    return problems;
  }

  /**
   * Every setting in the doc, as a batch's setting changes (a rebuild, or a member list that changed); with
   * `writers`, only those one of these devices wrote: the map's value or a version in its place.
   */
  private allSettings(into: Batch, doc: Y.Doc = this.doc, writers: ReadonlySet<string> | null = null): Batch {
    if (writers) return this.settingsBy(writers, into, doc);
    itemsOf(doc).forEach((v, k) => into.items.set(k, v));
    hubsOf(doc).forEach((v, k) => into.hubs.set(k, v));
    devicesOf(doc).forEach((v, k) => into.devices.set(k, v));
    levelsOf(doc).forEach((v, k) => into.levels.set(k, v));
    categoryLevelsOf(doc).forEach((v, k) => into.categoryLevels.set(k, v));
    // A setting missing from its map still counts from its writers' versions (judgeSetting).
    for (const setting of writtenOf(this.doc).keys()) {
      const slash = setting.indexOf('/');
      const map = setting.slice(0, slash) as SettingMap;
      const key = setting.slice(slash + 1);
      if (isProjectedSetting(map) && !into[map].has(key))
        into[map].set(key, doc.getMap<unknown>(map).get(key));
    }
    return into;
  }

  /**
   * A setting judged again that now counts (or is held, or cleared) has no problem any more: the one shown
   * for it before goes, as a rebuild would leave it out (a device's levels set aside while it was not allowed
   * to write them, once it is again). `found`: the problems the settings have now.
   */
  private async clearSettingProblems(batch: Batch, found: readonly ProblemRow[]): Promise<void> {
    if (PROJECTED_SETTINGS.every((map) => batch[map].size === 0)) return;
    const now = new Set(found.map((p) => p.where));
    const gone = (await this.db.problems.filter((row) => !isLocalProblem(row)).primaryKeys()).filter(
      (where) => {
        const slash = where.indexOf('/');
        const map = where.slice(0, slash) as SettingMap;
        return (
          slash > 0 && isProjectedSetting(map) && batch[map].has(where.slice(slash + 1)) && !now.has(where)
        );
      },
    );
    if (gone.length > 0) await this.db.problems.bulkDelete(gone);
  }

  /** The settings `writers` wrote (`allSettings`), added to a batch's setting changes. */
  private settingsBy(writers: ReadonlySet<string>, into: Batch, doc: Y.Doc): Batch {
    if (writers.size === 0) return into;
    for (const map of PROJECTED_SETTINGS)
      doc.getMap<unknown>(map).forEach((v, k) => {
        if (isEnvelope(v) && writers.has(v.by)) into[map].set(k, v);
      });
    // Versions and copies are keyed `<map>/<device>/...`: only the keys of these devices are parsed.
    const add = (parsed: { map: SettingMap; key: string } | null) => {
      if (parsed && isProjectedSetting(parsed.map) && !into[parsed.map].has(parsed.key))
        into[parsed.map].set(parsed.key, doc.getMap<unknown>(parsed.map).get(parsed.key));
    };
    const by = (k: string) => {
      const from = k.indexOf('/') + 1;
      return from > 0 && writers.has(k.slice(from, k.indexOf('/', from)));
    };
    for (const k of settingVersionsOf(this.doc).keys()) if (by(k)) add(parseVersionKey(k));
    for (const k of settingCopiesOf(this.doc).keys()) if (by(k)) add(parseCopyKey(k));
    return into;
  }

  /** Verdicts for a batch's settings on a signed network (null on an unsigned one). */
  private async settingVerdicts(
    batch: Batch,
    trust = this.trustLayer,
  ): Promise<Map<string, SettingVerdict> | null> {
    if (!trust) return null;
    const keys: [SettingMap, string][] = [];
    for (const map of PROJECTED_SETTINGS) for (const key of batch[map].keys()) keys.push([map, key]);
    return trust.settingVerdicts(keys);
  }

  /**
   * Keeps loading fast: once there are more than MERGE_AFTER_ROWS small rows (saves write one each), merges
   * them, in the order they were written, into rows of about PIECE_BYTES (merging updates is cheap and
   * needs no doc). Larger rows are left alone; only the small rows are read.
   */
  private async mergeSmallUpdates(): Promise<void> {
    if (this.smallRows.length <= MERGE_AFTER_ROWS) return;
    const db = this.db;
    const ids = this.smallRows.sort((a, b) => a - b);
    this.smallRows = [];
    const kept: [number, number][] = [];
    try {
      await db.transaction('rw', db.updates, async () => {
        kept.length = 0;
        const found = (await db.updates.bulkGet(ids)).filter((row) => row !== undefined);
        for (const rows of transactionChunks(found, PIECE_BYTES, (row) => row.update.byteLength)) {
          if (rows.length === 1) {
            kept.push([rows[0]!.id!, rows[0]!.update.byteLength]);
            continue;
          }
          const update = Y.mergeUpdates(rows.map((r) => r.update));
          await db.updates.bulkDelete(rows.map((r) => r.id!));
          const entries = rows.reduce((sum, r) => sum + r.entries, 0);
          const id = await db.updates.add({ update, entries, sum: rowSum(update) });
          kept.push([id, update.byteLength]);
        }
      });
    } catch (error) {
      // Left as they were: merged at the next save.
      this.smallRows = ids;
      throw error;
    }
    for (const [id, bytes] of kept) this.track(id, bytes);
  }

  /**
   * Replaces every row of the doc with its whole state, cut into pieces of about PIECE_BYTES, in one
   * transaction (used by the benchmarks and tests to set a database up as a long-used device has it).
   */
  async compact(): Promise<void> {
    const db = this.db;
    await this.chain;
    await this.splitting;
    const pieces = updatePieces(Y.encodeStateAsUpdate(await this.historyDoc()));
    const ids: number[] = [];
    await db.transaction('rw', db.updates, async () => {
      ids.length = 0;
      const total = (await db.updates.toArray()).reduce((s, r) => s + r.entries, 0);
      await db.updates.clear();
      for (const [i, update] of pieces.entries())
        ids.push(await db.updates.add({ update, entries: i === 0 ? total : 0, sum: rowSum(update) }));
    });
    this.smallRows = [];
    this.largeRows = [];
    pieces.forEach((update, i) => this.track(ids[i]!, update.byteLength));
  }

  /**
   * Throws away every projection and derives them again from the doc (the backlog included). Resolves
   * once every row is written, the history too; saves and syncs go on between its pieces.
   */
  async rebuild(): Promise<{ entries: number; problems: number }> {
    const result = await this.startRebuild();
    await this.rebuilt();
    return result;
  }

  /**
   * Starts a rebuild; resolves once the stock, the settings, the member list and the problems are
   * written (the figures are right from then on). The usage and ledger rows follow, a piece at a time
   * between saves (`Rebuilding`): `rebuilt` resolves once they are written. `since` is when what the
   * volunteer waits for began (performance.now(); the start's load, for a rebuild at the end of it), which
   * `figuresProgress` gives as its start.
   */
  startRebuild(since?: number): Promise<{ entries: number; problems: number }> {
    if (!this.loaded) return Promise.reject(new Error('rebuild before the doc is loaded'));
    const behind = this.behind;
    if (behind) {
      // Its doc lacks history its figures hold: derived from it, they would lose that history. Once the
      // history is in (`arrivedBehind`), the rebuild runs.
      behind.wantRebuild();
      // Kept for a restart, on the chain: a write in flight (the checkpoint's history, a transaction at a
      // time) puts the row as it was before, and would otherwise overwrite this one. As it stands then.
      const kept = this.chain.then(() => this.behind && this.db.meta.put(this.behind.row));
      this.chain = kept.then(
        () => undefined,
        () => undefined,
      );
      return kept.then(() => Promise.reject(new BehindCheckpointError()));
    }
    this.rebuildsAsked++;
    // Saves taken since the load began are this rebuild's (`rebuildNow`), to count and add.
    if (this.rebuildSaves) this.rebuildSaves.claimed = true;
    const run = this.chain.then(() => this.rebuildNow(since));
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * How far the doc's load is: stored rows applied, of how many, and since when (performance.now());
   * null when no load runs. Backlog listeners hear of each whole percent.
   */
  get loadProgress(): { done: number; total: number; startedAt: number } | null {
    const p = this.loadingRows;
    return p ? { ...p } : null;
  }

  /**
   * How far a rebuild's first part is (the history read and folded into figures, which saves wait for), and
   * since when (performance.now()); null when none runs. Backlog listeners hear of each whole percent.
   */
  get figuresProgress(): { done: number; total: number; startedAt: number } | null {
    const p = this.derivingFigures;
    return p ? { ...p } : null;
  }

  /** How far a rebuild's history rows are written, or null when none is being written. */
  get rebuildProgress(): RebuildProgress | null {
    const r = this.rebuilding;
    return r ? { written: r.at, total: r.usage.length + r.ledger.length } : null;
  }

  /**
   * Resolves once every rebuild asked for has written all its rows (at once when none runs); rejects when
   * one could not write (the disk is full: it tries again behind the next save).
   */
  rebuilt(): Promise<void> {
    if (!this.rebuilding && this.rebuildsAsked === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.rebuildWaiters.push({ resolve, reject }));
  }

  private settleRebuildWaiters(error?: unknown): void {
    if (error === undefined && (this.rebuilding || this.rebuildsAsked > 0)) return;
    for (const waiter of this.rebuildWaiters.splice(0))
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
  }

  /**
   * Written in small transactions, not one (see `TRANSACTION_BYTES`): first the meta row says the
   * projections are incomplete, so a device stopped halfway rebuilds again at its next start; then each
   * table's rows are put, stock first, and the rows the doc no longer gives are deleted. The usage and
   * ledger rows follow a piece at a time between saves (`Rebuilding`); then the meta row says they are
   * complete. Saves wait only for the first part, but for this device's donations, pickups, discards,
   * transfers and undos, which do not wait at all (`reserveWhileRebuilding`).
   */
  private async rebuildNow(since = performance.now()): Promise<{ entries: number; problems: number }> {
    const trust = this.trustLayer;
    // A rebuild still writing its history is replaced by this one (who waited for it waits for this one).
    this.rebuilding = null;
    this.rebuildsAsked--;
    let derived: Awaited<ReturnType<DocPersistence['derive']>>;
    // Saves wait for this part (seconds at a million entries, a minute at ten million), but for this
    // device's donations, pickups, discards, transfers and undos (`reserveWhileRebuilding`): how far it
    // is is said from its start (figuresProgress).
    // Already taken since the load began, for a rebuild at its end.
    const saves = this.rebuildSaves ?? ((await this.rebuildSavesAllowed()) ? newRebuildSaves() : null);
    this.rebuildSaves = saves;
    this.derivingFigures = { done: 0, total: 0, startedAt: since };
    this.notifyBacklog();
    let counted = false;
    try {
      derived = await this.derive(trust, this.derivingFigures, saves, true);
      await this.writeRebuiltFigures(derived);
      counted = true;
    } catch (error) {
      // What peers brought before it read the doc is counted by no one now: by their batches, then.
      for (const batch of [this.batch, ...this.unwritten]) delete batch.folded;
      this.settleRebuildWaiters(error);
      throw error;
    } finally {
      this.derivingFigures = null;
      if (saves && !counted) await this.addRebuildSaves(saves, false);
      this.notifyBacklog();
    }
    const { plan, tables, projector } = derived;
    let rebuilding: Rebuilding;
    try {
      // In block order, so that each ledger block is written once, whole.
      const ledgerIds = await inBlockOrder(tables.ledger, pacer(this.pace));
      if (plan) trust!.adopt(plan);
      // Everything in the doc is projected now, the backlog too (its rows follow with the history).
      if (this.unprojected > 0) this.finishBacklog();
      projector.trackFromHere();
      rebuilding = {
        projector,
        usage: tables.usage.map((row) => row.key),
        ledger: ledgerIds,
        blocks: new Set(),
        at: 0,
        queued: false,
      };
      this.rebuilding = rebuilding;
      this.notifyBacklog();
      this.rewritten();
    } finally {
      // Those the fold counted, then those taken while the figures were written, counted as they are added
      // (by the rebuild's projector, which holds everything now).
      if (saves) await this.addRebuildSaves(saves, true);
    }
    this.continueRebuild(rebuilding);
    return { entries: derived.entries, problems: derived.problems.length };
  }

  /**
   * Notes, as a rebuild reads the doc, that the entries peers brought and not written yet are in what it
   * reads (`Batch.folded`): their batches, written after it, do not judge or count them again.
   */
  private markFolded(): void {
    for (const batch of [this.batch, ...this.unwritten]) {
      if (batch.entries.length === 0) continue;
      batch.folded ??= new Set();
      for (const e of batch.entries) batch.folded.add(idOf(e));
    }
  }

  /** Whether a rebuild starting now takes this device's saves meanwhile (`takesSavesWhileRebuilding`). */
  private async rebuildSavesAllowed(): Promise<boolean> {
    const own = this.ownDevice();
    if (own === null || this.destroyed) return false;
    const [member, members] = await Promise.all([this.db.members.get(own), this.db.members.count()]);
    return members === 0 || member?.status === 'member';
  }

  /**
   * Once a rebuild's figures are written (`counted`: with the saves its fold reached in them; those taken
   * after, while the figures were written, are counted as they are added) or it failed: takes no more saves,
   * waits for those under way, and adds what they committed to the doc in order, after anything queued now.
   * Saves of this device's own entries made after them wait for this.
   */
  private async addRebuildSaves(saves: RebuildSaves, counted: boolean): Promise<void> {
    await closeRebuildSaves(saves);
    try {
      // In one batch: planned one at a time, each against a staging doc already holding the next one's
      // signed head, the first was judged "waiting" by the gate, taken for refused, and every save made
      // during a rebuild made the figures be derived again once more, from the whole history.
      const folded = saves.folded ?? 0;
      // Not awaited (this runs on the chain its commit is queued on). Left in the journal if it fails: the
      // next start adds them.
      this.addJournalRows(saves.rows, (i) => counted && i < folded).catch((error: unknown) =>
        console.error('Larder could not add saved entries to the doc', error),
      );
    } finally {
      this.rebuildSaves = null;
      for (const resolve of saves.staged.splice(0)) resolve();
    }
  }

  /** A rebuild's first part: everything but the usage and ledger rows, the stock first. */
  private async writeRebuiltFigures(derived: Awaited<ReturnType<DocPersistence['derive']>>) {
    const db = this.db;
    const trust = this.trustLayer;
    const { plan, tables } = derived;
    await db.transaction('rw', [...db.gateTables, db.members, db.problems, db.meta], async () => {
      await db.meta.put({
        key: 'projection',
        version: PROJECTION_VERSION,
        rebuiltAt: derived.seenAt,
        incomplete: true,
      });
      // The member list and each device's gate state: a row per device, a few hundred at most.
      await Promise.all([db.gate.clear(), db.gatePending.clear(), db.members.clear()]);
      if (plan) await trust!.write(db, plan);
    });
    await replaceRows(db, db.stock, tables.stock);
    await replaceRows(db, db.shelf, tables.shelf);
    await replaceRows(db, db.onHand, tables.onHand);
    await replaceRows(db, db.items, tables.items);
    await replaceRows(db, db.hubs, tables.hubs);
    await replaceRows(db, db.devices, tables.devices);
    await replaceRows(db, db.levels, tables.levels);
    await replaceRows(db, db.hubLevels, tables.hubLevels);
    await replaceRows(db, db.categoryLevels, tables.categoryLevels);
    await replaceProblems(db, derived.problems);
  }

  /**
   * Tells whoever keeps figures of their own (the network view) to read them again: a rebuild rewrote the
   * tables (its figures first, then its usage and ledger rows).
   */
  private rewritten(): void {
    const commit: Commit = { entries: [], settings: ALL_SETTINGS };
    for (const listener of this.committedListeners) listener(commit);
    this.listItemBlocks();
  }

  /** Queues the next piece of a rebuild's history behind whatever is queued now (saves go first). */
  private continueRebuild(rebuilding: Rebuilding): void {
    rebuilding.queued = true;
    const run = this.chain.then(() => this.writeRebuildPiece(rebuilding));
    this.chain = run.catch(() => undefined);
  }

  /**
   * Writes one transaction's worth (TRANSACTION_BYTES) of a rebuild's usage, then ledger rows, as the
   * projector holds them now; after the last, deletes the rows the doc no longer gives and says the
   * projections are complete.
   */
  private async writeRebuildPiece(rebuilding: Rebuilding): Promise<void> {
    if (this.rebuilding !== rebuilding) return;
    const db = this.db;
    const { projector } = rebuilding;
    const total = rebuilding.usage.length + rebuilding.ledger.length;
    try {
      if (rebuilding.at < total) {
        const inUsage = rebuilding.at < rebuilding.usage.length;
        const piece = inUsage
          ? firstChunk(rebuilding.usage, rebuilding.at, (key) => projector.usageRows([key])[0], this.budget)
          : firstChunk(
              rebuilding.ledger,
              rebuilding.at - rebuilding.usage.length,
              (id) => projector.ledgerRows([id])[0],
              this.budget,
              // A ledger row has no index entries of its own: its share of a block is about its text.
              (row) => JSON.stringify(row).length,
            );
        if (inUsage) {
          const rows = projector.usageRows(piece);
          await db.transaction('rw', db.usage, () => db.usage.bulkPut(rows));
        } else {
          const rows = projector.ledgerRows(piece);
          await db.transaction('rw', db.ledgerTables, () =>
            putLedgerRows(db, rows, (id) => projector.holdsLedger(id)).then((unlisted) => {
              if (unlisted) this.unlisted = true;
            }),
          );
          for (const id of piece) rebuilding.blocks.add(blockKeyText(blockKeyOf(id)));
        }
        rebuilding.at += piece.length;
      } else {
        await deleteRowsNotIn(db, db.usage, (key) => projector.holdsUsage(key));
        await sweepLedger(
          db,
          (id) => projector.holdsLedger(id),
          rebuilding.blocks,
          (id) => {
            const row = projector.ledgerRow(id);
            return row?.slot !== undefined || row?.root !== undefined;
          },
        );
        this.rebuilding = null;
        try {
          await this.markProjection(this.unprojected > 0, this.now());
        } catch (error) {
          // Still incomplete on disk: the next start rebuilds, which is only slower.
          console.error('Larder could not mark the rebuild complete', error);
        }
        this.settleRebuildWaiters();
        this.notifyBacklog();
        this.rewritten();
        return;
      }
    } catch (error) {
      // Left where it was: the next save tries again, and a restart rebuilds (the meta row says so).
      console.error('Larder could not write part of a rebuild; it will try again', error);
      rebuilding.queued = false;
      this.settleRebuildWaiters(error);
      this.notifyBacklog();
      return;
    }
    this.notifyBacklog();
    this.continueRebuild(rebuilding);
  }

  /**
   * The rebuild's projector went ahead of the disk (a write failed): derive everything again. Until the
   * new rebuild starts, saves are projected from the tables as they are; it rewrites all they wrote.
   */
  private restartRebuild(): void {
    if (!this.rebuilding) return;
    this.rebuilding = null;
    void this.startRebuild().catch(() => undefined);
  }

  /**
   * Every projection row a rebuild writes, derived from the doc in memory. `progress` is moved along as it
   * goes: the doc's entries read, then folded (`total` is twice the entries, once known), listeners told of
   * each whole percent.
   */
  private async derive(
    trust: TrustLayer | null,
    progress: { done: number; total: number } = { done: 0, total: 0 },
    /** Saves committed meanwhile (not in the doc yet): counted after the history. */
    saves: RebuildSaves | null = null,
    /** What it derives is to be written (a rebuild, not a check): what it reads is counted (`markFolded`). */
    written = false,
  ) {
    // Reading and folding a whole history takes seconds at a million entries: in slices, so that the page
    // answers meanwhile (saves and syncs wait on the chain; a peer's update is captured for after).
    const breathe = pacer(this.pace);
    let said = -1;
    const moved = (done: number, total: number) => {
      progress.done = done;
      progress.total = total;
      const percent = Math.floor((100 * done) / Math.max(1, total));
      if (percent === said) return;
      said = percent;
      this.notifyBacklog();
    };
    // The whole history (read from disk when the doc runs on a skeleton, with what the doc holds that is not
    // on disk), as it stands now: nothing comes between its last step and the read's start below.
    // (Not awaited for a whole doc: nothing may come between the rebuild's start and its read.)
    const history = skeletonOf(this.doc) ? await this.historyDoc() : this.doc;
    // What it reads is what the doc holds now, peers' entries captured and not written yet included.
    if (written) this.markFolded();
    const { entries, problems } = await readAllEntriesPaced(history, breathe, this.decoded, (read, of) =>
      moved(read, 2 * of),
    );
    const total = 2 * (entries.length + problems.length);
    moved(total / 2, total);
    const plan = trust ? await trust.plan(entries, { members: true, heads: true }, true) : null;
    // Every row is written from it: nothing to note as changed until it has folded the history.
    const projector = new Projector().untracked();
    const counted = plan ? plan.release : entries;
    for (let i = 0; i < counted.length; i++) {
      projector.apply(counted[i]!);
      if ((i & 0xff) === 0xff) {
        moved(total - counted.length + i, total);
        await breathe();
      }
    }
    // This device's saves made meanwhile follow its entries in the doc: counted after them (as a save made
    // before the load is, before the gate has judged it; if it does not release one, the figures are
    // derived again). Those made from here on, while the figures are written (seconds at a million
    // entries), are still taken: counted as they are added to the doc once the figures are written.
    if (saves) {
      saves.folded = await settledRebuildSaves(saves);
      for (const row of saves.rows.slice(0, saves.folded)) for (const e of row.entries) projector.apply(e);
    }
    moved(total, total);
    const seenAt = this.now();
    const all: ProblemRow[] = [
      ...problems.map((p) => ({ ...p, seenAt })),
      ...(plan?.problems ?? []).map((p) => ({ ...p, seenAt })),
      ...projector.problems.map((p) => ({ where: `entry/${p.id}`, reason: p.reason, seenAt })),
    ];
    const settings = this.allSettings(emptyBatch());
    const verdicts = await this.settingVerdicts(settings, trust);
    const memory = settingTablesInMemory();
    appendAll(all, await this.writeSettings(settings, seenAt, verdicts, this.doc, memory.tables));
    const stock = projector.allStock();
    // A row per entry: gathered a slice at a time (at 10M entries, copying them in one go was one task).
    const ledger: LedgerRow[] = [];
    for (const row of projector.ledgerValues()) {
      ledger.push(row);
      if ((ledger.length & 0xffff) === 0) await breathe();
    }
    const settingRows = memory.rows();
    const tables: DerivedTables = {
      stock,
      shelf: shelfRows(stock),
      onHand: onHandRows(stock),
      usage: projector.allUsage(),
      ledger,
      ...settingRows,
      hubLevels: hubLevelsRows(settingRows.levels),
      gate: plan ? [...plan.result.devices.values()] : [],
      members: plan?.members ?? [],
    };
    return { plan, tables, projector, problems: all, entries: entries.length, seenAt };
  }

  /**
   * "Check data": compares every projection table with a rebuild from the doc, made in memory (nothing is
   * written). Waits for the saves queued before it.
   */
  async checkData(): Promise<DataCheck> {
    if (!this.loaded) throw new Error('Data can be checked once it is loaded');
    // Checked against its doc, a device behind its checkpoint would find every covered row "extra".
    if (this.behind) throw new BehindCheckpointError();
    // A rebuild still writing its history would be found to differ from itself: checked after it.
    for (;;) {
      await this.rebuilt();
      const check = await this.checkOnChain();
      if (check) return check;
    }
  }

  /** The check itself, on the chain; null when a rebuild started writing its history meanwhile. */
  private checkOnChain(): Promise<DataCheck | null> {
    const run = this.chain.then(async () => {
      if (this.rebuilding) return null;
      const started = performance.now();
      const layer = this.trustLayer;
      // A separate trust layer: a fresh plan must not touch the one saves use.
      const trust = layer ? new TrustLayer(layer.network, this.trustView, layer.anchor) : null;
      const { tables } = await this.derive(trust);
      return compareProjections(this.db, tables, performance.now() - started);
    });
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Repairs every projection by a rebuild, then checks again. */
  async repairData(): Promise<DataCheck> {
    await this.rebuild();
    return this.checkData();
  }

  destroy(): void {
    this.destroyed = true;
    if (this.prepareTimer) clearTimeout(this.prepareTimer);
    // A rebuild still writing its history stops; the next start writes it again (meta: incomplete).
    if (this.rebuilding || this.rebuildsAsked > 0) {
      this.rebuilding = null;
      this.settleRebuildWaiters(new Error('Larder was closed before the history was rewritten'));
    }
    this.letSeedRowsGo();
    const history = this.history;
    this.history = null;
    if (history?.timer) clearTimeout(history.timer);
    void history?.doc.then((doc) => doc.destroy()).catch(() => undefined);
    this.doc.destroy();
  }
}

/**
 * Captures every change to `doc` into the batch `target()` returns: its Yjs update, the entries and
 * settings it brought, whether the member list or a head changed. A committed local change applied to the
 * live doc (origin STAGED) was captured in its staging doc and is already stored: it is skipped.
 */
function capture(
  doc: Y.Doc,
  target: () => Batch,
  changed: () => void,
  decoded: () => DecodedWires | undefined = () => undefined,
  brought: (origin: unknown, what: Brought) => void = () => undefined,
): void {
  const mine = (origin: unknown) => origin !== STAGED && origin !== SKELETON_START;
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (!mine(origin)) return;
    target().updates.push(update);
    changed();
  });
  ledgersOf(doc).observeDeep((events) => {
    const origin = events[0]?.transaction.origin;
    if (!mine(origin)) return;
    const found = entriesFromEvents(events, decoded(), (device) => valuesBefore(doc, device));
    appendAll(target().entries, found.entries);
    appendAll(target().problems, found.problems);
    brought(origin, { entries: found.entries.length, setAside: found.problems.length });
  });
  const watch = (map: Y.Map<unknown>, pick: (b: Batch) => SettingChange<unknown>) =>
    map.observe((event) => {
      if (!mine(event.transaction.origin)) return;
      for (const key of event.keysChanged) pick(target()).set(key, map.get(key));
    });
  watch(itemsOf(doc), (b) => b.items);
  watch(hubsOf(doc), (b) => b.hubs);
  watch(devicesOf(doc), (b) => b.devices);
  watch(levelsOf(doc), (b) => b.levels);
  watch(categoryLevelsOf(doc), (b) => b.categoryLevels);
  // A writer's version (or old-style copy) may change what counts: judge that setting again.
  const rejudge = (map: Y.Map<unknown>, parse: (key: string) => { map: SettingMap; key: string } | null) =>
    map.observe((event) => {
      if (!mine(event.transaction.origin)) return;
      for (const written of event.keysChanged) {
        const parsed = parse(written);
        if (!parsed || !isProjectedSetting(parsed.map)) continue;
        target()[parsed.map].set(parsed.key, doc.getMap<unknown>(parsed.map).get(parsed.key));
      }
    });
  rejudge(settingCopiesOf(doc), parseCopyKey);
  rejudge(settingVersionsOf(doc), parseVersionKey);
  membersOf(doc).observe((event) => {
    if (mine(event.transaction.origin)) target().membersChanged = true;
  });
  headsOf(doc).observe((event) => {
    if (mine(event.transaction.origin)) target().headsChanged = true;
  });
}

/** Why stored update bytes cannot be loaded, or null: checked before Yjs sees them (it may throw halfway). */
function unreadable(update: unknown): string | null {
  if (!(update instanceof Uint8Array)) return 'it is not update data';
  if (update.byteLength === 0) return 'it is empty';
  return checkUpdateBytes(update).ok ? null : 'its bytes are damaged or cut short';
}

const newRebuildSaves = (): RebuildSaves => ({
  open: true,
  folded: null,
  places: new HeldPlaces(),
  chain: Promise.resolve(),
  rows: [],
  ids: new Set(),
  claimed: false,
  staged: [],
});

/** Takes no more saves while rebuilding, and resolves once those under way are committed (or failed). */
async function closeRebuildSaves(saves: RebuildSaves): Promise<void> {
  saves.open = false;
  await settledRebuildSaves(saves);
}

/** Resolves once the saves under way now are committed (or failed): how many are committed then. */
async function settledRebuildSaves(saves: RebuildSaves): Promise<number> {
  await saves.places.none();
  await saves.chain;
  return saves.rows.length;
}

/**
 * The keys of `keys` from `from` on whose rows (`rowOf`) fit in one transaction of `budget` bytes; at
 * least one.
 */
export function firstChunk(
  keys: readonly string[],
  from: number,
  rowOf: (key: string) => unknown,
  budget: number,
  sizeOf: (row: unknown) => number = rowBytes,
): string[] {
  let bytes = 0;
  let end = from;
  while (end < keys.length) {
    const row = rowOf(keys[end]!);
    const size = row === undefined ? 0 : sizeOf(row);
    if (end > from && bytes + size > budget) break;
    bytes += size;
    end++;
  }
  return keys.slice(from, end);
}

/** Keys read per step when looking for rows to delete: a million ledger keys at once held the page 1.5 s. */
export const KEYS_PER_STEP = 20_000;

/**
 * Deletes the rows whose keys `keep` refuses: the keys are read a page of `pageSize` at a time, in key
 * order, and the stale ones deleted a transaction of at most TRANSACTION_BYTES at a time.
 */
export async function deleteRowsNotIn(
  db: LarderDB,
  table: Table<unknown, string>,
  keep: (key: string) => boolean,
  pageSize = KEYS_PER_STEP,
): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const page: Collection<unknown, string> =
      after === null ? table.toCollection() : table.where(':id').above(after);
    const keys: string[] = await page.limit(pageSize).primaryKeys();
    const stale = keys.filter((key) => !keep(key));
    for (const chunk of transactionChunks(stale))
      await db.transaction('rw', table, () => table.bulkDelete(chunk));
    if (keys.length < pageSize) return;
    after = keys[keys.length - 1]!;
  }
}

/** The problems the doc gives in place of the old ones; those noticed on this device stay (`isLocalProblem`). */
async function replaceProblems(db: LarderDB, rows: readonly ProblemRow[]): Promise<void> {
  const local = new Set(await db.problems.filter(isLocalProblem).primaryKeys());
  const keep = new Set(rows.map((row) => row.where));
  for (const chunk of transactionChunks(rows))
    await db.transaction('rw', db.problems, () => db.problems.bulkPut(chunk));
  await deleteRowsNotIn(db, db.problems, (key) => keep.has(key) || local.has(key));
}

/**
 * Makes `table` hold exactly `rows`: puts them a transaction of at most TRANSACTION_BYTES at a time, then
 * deletes the rows whose keys are not among them (rows are overwritten in place, never cleared first, so a
 * table read meanwhile is never empty).
 */
async function replaceRows<T>(db: LarderDB, table: Table<T, string>, rows: readonly T[]): Promise<void> {
  const keyPath = table.schema.primKey.keyPath as string;
  const keep = new Set(rows.map((row) => (row as Record<string, unknown>)[keyPath] as string));
  for (const chunk of transactionChunks(rows)) await db.transaction('rw', table, () => table.bulkPut(chunk));
  await deleteRowsNotIn(db, table, (key) => keep.has(key));
}
