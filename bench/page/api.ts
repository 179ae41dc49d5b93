import type { BenchKind, GeneratedNetwork } from '../generate';

/** What the bench page (bench/page/main.ts) exposes as `window.larderBench`, for the runner to call. */
export interface SeedResult {
  entries: number;
  mix: Record<BenchKind, number>;
  stateBytes: number;
  pickupItem: string;
  /** Where the network was generated: in the page, or in Node (past what a page can generate). */
  generatedIn: 'page' | 'node';
  generateMs: number;
  encodeMs: number;
  storeMs: number;
  /** `DocPersistence.load()`: read the update row(s) and apply them to a fresh doc. */
  loadMs: number;
  /** `DocPersistence.rebuild()`: read every entry, fold, write every projection table (the history last). */
  rebuildMs: number;
  /** Part of it until the stock, settings and problems are written (saves wait at most this long). */
  figuresMs: number;
  /** Pickups saved while the rebuild writes its history, each from change to commit. */
  savesMs: number[];
  rebuiltEntries: number;
  rebuildProblems: number;
  /** The longest main-thread task while the figures were derived and written (0: none over 50 ms). */
  figuresLongestTaskMs: number;
  /** The longest main-thread task while the history was written after them (0: none over 50 ms). */
  historyLongestTaskMs: number;
  /** Cutting the one large row into pieces, after the rebuild (the app does it in the background). */
  piecesMs: number;
  /** Update rows after that, and the largest one's bytes. */
  pieceRows: number;
  largestRowBytes: number;
}

export interface OpenResult {
  /** `LarderStore.open()` resolved (the self row is read). */
  openMs: number;
  /** `store.ready` resolved: the doc is loaded. */
  readyMs: number;
  updateRows: number;
  ledgerRows: number;
  /** What the start ran on: the whole doc, a skeleton made from every row, or the one stored at a start before. */
  startedOn?: 'whole' | 'skeleton' | 'stored skeleton';
  /** Update rows the start read. */
  rowsReadAtStart?: number;
}

/** Milliseconds to read History's first page (100 entries, newest first) of this device's hub. */
export interface HistoryTimes {
  /** No filter. */
  all: number;
  /** The hub's most recorded item. */
  commonItem: number;
  /** Its least recorded item (a page that may need the hub's whole history read). */
  rareItem: number;
  /** Undos only (about 1 entry in 100). */
  undos: number;
  /** The entries those pages held (the rare item's may be fewer than a page). */
  rows: { all: number; commonItem: number; rareItem: number; undos: number };
  /** How long History waited for the blocks to be listed by item (a fill after the start, if not done). */
  listsWaitMs: number;
}

/**
 * A network generated in Node for the browser to seed from (past what a page can generate: at 10M the
 * generator's own docs and entries took the tab past its heap), served as packs of the pieces the app
 * stores (`pack-<i>.bin`, each the concatenation of its pieces, whose sizes `packs` lists).
 */
export interface NodeSeed extends Pick<
  GeneratedNetwork,
  'entries' | 'networkId' | 'self' | 'pickupItem' | 'mix'
> {
  /** base64url. */
  networkKey: string;
  stateBytes: number;
  generateMs: number;
  packs: number[][];
}

export interface LarderBench {
  seed(n: number): Promise<SeedResult>;
  /** `seed`, from a network Node generated and cut into pieces, fetched from `baseUrl` (`NodeSeed`). */
  seedFromNode(baseUrl: string, seed: NodeSeed): Promise<SeedResult>;
  /** Opens and closes the `larder` IndexedDB with the raw API: how long the browser takes to open it. */
  coldOpen(): Promise<number>;
  open(): Promise<OpenResult>;
  /**
   * Records `runs` one-line pickups of `item` (null: an item this device's hub has), one after the other;
   * milliseconds of each, action to committed.
   */
  pickups(item: string | null, runs: number): Promise<number[]>;
  /**
   * History's first page (renderer/data/history.ts, the queries the screen runs) for this device's hub,
   * once its blocks are listed by item.
   */
  history(): Promise<HistoryTimes>;
  /**
   * Waits until the blocks are listed by item (a fill after a start, in the background): how long after
   * `open()`'s store.ready they were, whether a fill was due then, and the longest main-thread task from
   * store.ready until then (0: none over 50 ms; `open()` counts the rows meanwhile).
   */
  itemLists(): Promise<{ waitedMs: number; unfinished: boolean; longestTaskMs: number }>;
  /**
   * A new device started from a checkpoint (bench/checkpoint-start.ts): fetches `checkpoint-head.bin`,
   * `checkpoint-rows.bin` and `checkpoint-members.json` from `baseUrl`, verifies the checkpoint with that
   * member list, and seeds a new database through the app's persistence (DocPersistence.seed: its rows
   * checked, its figures, then its history); then reads one hub's stock rows as the stock screen does.
   */
  startFromCheckpoint(baseUrl: string, network: string): Promise<CheckpointStartResult>;
  /**
   * bench/join-file.ts's coordinator, in a page of its own (bench/page/join.ts): makes a signed network and
   * records `entries` entries in saves of 200 lines; then makes invites, exports full sync files (kept for
   * the new device's page to ask for), and answers sync messages.
   */
  coordinatorRecord(entries: number): Promise<CoordinatorRecord>;
  coordinatorInvite(): Promise<string>;
  coordinatorExport(checkpoint: boolean): Promise<CoordinatorExport>;
  /** Starts answering the new device's page: the coordinator's entries per device, to wait for. */
  coordinatorServe(): [string, number][];
  /** Stops answering and drops the file kept: the bytes it sent. */
  coordinatorStop(): number;
  coordinatorClose(): void;
  /** A new device, in another page, joins from the file the coordinator's page exported last. */
  joinByFile(args: JoinArgs): Promise<NewDeviceRun>;
  /**
   * ...with its store in a dedicated Worker (bench/page/join.worker.ts), this page watching: its own
   * longest task and its longest wait for a 10 ms timer meanwhile (a Worker has no long tasks to report).
   */
  joinByFileInWorker(args: JoinArgs): Promise<NewDeviceRun & { pageLongestWaitMs: number }>;
  /** ...or over sync messages from the coordinator's page, until it holds `expected`. */
  joinBySync(args: JoinArgs, expected: [string, number][]): Promise<NewDeviceRun>;
  /**
   * The coordinator's round with a relay (renderer/sync/relay.ts): uploads what the relay lacks and, with
   * `checkpoint`, leaves a checkpoint there. Its time, and the bytes it sent.
   */
  coordinatorRelay(url: string, checkpoint: boolean): Promise<{ ms: number; sentBytes: number }>;
  /** ...or through the relay alone, in rounds until nothing more comes (from its checkpoint, if there is one). */
  joinByRelay(args: JoinArgs, url: string): Promise<NewDeviceRun>;
  /** Closes the new device's store, which a join leaves open (for its page's heap to be measured). */
  deviceClose(): void;
  /**
   * After `open()`: waits for the background read of the rows a stored skeleton covers; its time, rows, and
   * the longest task within it. Null when the start read every row (no such read).
   */
  rowsCheck(): Promise<{ ms: number; rows: number; longestTaskMs: number } | null>;
  close(): void;
}

/** From a new device's figures (its checkpoint's): its hub chosen, and a donation committed after. */
export interface SaveAfterFigures {
  hubMs: number;
  savedMs: number;
  /** In the device's own stock view (null: not within ten minutes). */
  countedMs: number | null;
}

export interface CoordinatorRecord {
  recordMs: number;
  /** A save of 200 lines: median ms in the first tenth and in the last. */
  saves: { first: number; last: number };
  /** An item the new device donates right after its figures. */
  item: string;
  /** The coordinator's stock rows, as JSON, to compare the new device's with. */
  stock: string;
}

export interface CoordinatorExport {
  exportMs: number;
  /** The longest main-thread task of the coordinator's page while it exported. */
  exportLongestTaskMs: number;
  fileBytes: number;
  checkpointCovers: number | null;
}

export interface JoinArgs extends Pick<CoordinatorRecord, 'stock' | 'item'> {
  /** The new device's database. */
  name: string;
  invite: string;
  checkpoint: boolean;
}

export type NewDeviceRun = Omit<JoinFromFileRun, 'exportMs' | 'exportLongestTaskMs' | 'checkpointCovers'>;

export interface JoinFromFileRun {
  /**
   * From a sync file, over sync messages between the two pages (a BroadcastChannel, no WebRTC), or
   * through a relay.
   */
  way: 'file' | 'sync' | 'relay';
  checkpoint: boolean;
  exportMs: number;
  /** The longest main-thread task while the coordinator's device exported the file (0 over sync). */
  exportLongestTaskMs: number;
  /** The file's size, or the bytes sent both ways over sync. */
  fileBytes: number;
  checkpointCovers: number | null;
  /** From the import's start: the checkpoint's figures committed (null: none used). */
  checkpointReadyMs: number | null;
  /** From the checkpoint's figures: the new device chose a hub, then saved a donation (or why it failed). */
  saveAfterFiguresMs: SaveAfterFigures | string | null;
  /** From the import's start: importSyncFile resolved (the history in, saves go on). */
  importMs: number;
  /** From the import's start: the checkpoint's own history rows written too. */
  historyMs: number;
  message: string;
  /** Whether the new device's stock rows equal the coordinator's (false: and what its tables said). */
  same: true | string;
  stockRows: number;
  /** The longest main-thread task from the import's start until the history was written. */
  longestTaskMs: number;
  /** ...and until the checkpoint's figures were committed. */
  longestTaskToReadyMs: number;
}

export interface CheckpointStartResult {
  fetchMs: number;
  verifyMs: number;
  /** The rows checked and decoded, the figures and settings committed (DocPersistence.seed). */
  seedMs: number;
  /** After that, the checkpoint's history written (a few thousand rows a transaction). */
  historyMs: number;
  /** From the fetched bytes to the figures committed in IndexedDB. */
  totalMs: number;
  /** One hub's shelf rows read after the seed, as the stock screen reads them. */
  shelfReadMs: number;
  shelfRows: number;
  stockRows: number;
  ledgerRows: number;
  /** The longest main-thread task from the fetched bytes until the history was written. */
  longestTaskMs: number;
}

declare global {
  interface Window {
    larderBench?: LarderBench;
  }
}
