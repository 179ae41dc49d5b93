import Dexie, { type Table, type Transaction } from 'dexie';
import type { Item } from '../../shared/catalog';
import type { DeviceInfo, HubInfo, SignedHead } from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import type { LedgerRow, StockRow, UsageRow } from '../../shared/projection';
import type { Levels } from '../../shared/status';
import type { Move } from '../../shared/network/suggest';
import type { ItemSummary } from '../../shared/network/summaries';
import { onHandRows, type OnHandRow } from '../../shared/onHand';
import { hubLevelsRows, type HubLevelsRow } from '../../shared/hubLevels';
import { shelfRows, type ShelfRow } from '../../shared/shelf';
import type { ChainState, Restart } from '../../shared/trust/chain';
import type { DeviceGate } from '../../shared/trust/gate';
import type { Role, SignedToken } from '../../shared/trust/members';
import type { PastKey } from '../../shared/trust/catchUp';
import type { CryptoKey } from '../../shared/sync/keys';
import type { DomainMessage } from '../../shared/messages';
import {
  markTransfers,
  type BlockKey,
  type LedgerLink,
  type OpenTransferRow,
  type StoredBlock,
} from './ledgerIndex';
import { PENDING, type ItemListKey, type ItemListRow } from './itemBlocks';

/**
 * The device's IndexedDB, through Dexie. `updates` holds the network's Y.Doc as Yjs updates: the only
 * source of truth. Every other table is a projection of the doc, written in the same transaction as the
 * update that caused it, read by the UI with liveQuery, and rebuildable from the doc at any time.
 */
export interface UpdateRow {
  id?: number;
  update: Uint8Array;
  /** Entries in this update, for the numbers on the Sync screen. */
  entries: number;
  /**
   * SHA-256 of `update` (base64url) as it was written. A start that finds the bytes still match applies
   * them at once; rows without it (older versions), or whose bytes changed, are read through first.
   */
  sum?: string;
}

export interface SelfRow {
  key: 'self';
  networkId: string;
  /** The network's secret key (base64url). Whoever holds it can read and write the network. */
  networkKey: string;
  /** Signaling servers this device knows (ws:// or wss://); empty means LAN/USB only. */
  signaling: string[];
  /** A hub device records for its hub; a coordinator's device holds no stock and sees every hub. */
  role: 'hub' | 'coordinator';
  /** The hub this device records for; null for a coordinator, or a hub device that has not chosen yet. */
  hubId: string | null;
  deviceId: string;
  deviceName: string;
  /** The sequence number this device's next entry gets. Advanced in the transaction that stores entries. */
  nextSeq: number;
  /**
   * Set on networks where devices sign what they write (every network made or joined since signing came):
   * this device's hash chain over its own entries, advanced in the transaction that stores them.
   */
  chain?: ChainState;
  /**
   * Where this device's chain started again after it lost entries of its own (damaged stored rows),
   * oldest first: signed with every head it writes since (shared/trust/chain.ts). Absent: never.
   */
  restarts?: Restart[];
  /** A pre-approval from the invite, used in this device's join request once it has chosen its hub. */
  preApproval?: SignedToken;
  /** How many times an admin has changed the network key since this device joined (0 or absent: none). */
  epoch?: number;
  /** The network key before the newest rotation: sync files then carry the new key for devices that were away. */
  previousKey?: string;
  /**
   * Keys this device held before rotations (the newest few, for 90 days): it waits in their rooms with
   * the catch-up material, and seals sync files' catch-up under their file keys (shared/trust/catchUp.ts).
   */
  pastKeys?: PastKey[];
  /**
   * A network made before signing came and upgraded since: the id of the admin key that upgraded it (its
   * member list is anchored there, not in the network id). Absent on every other network.
   */
  anchor?: string;
}

/** This device's signing key pair; the private key is a non-extractable CryptoKey. */
export interface IdentityRow {
  key: 'identity';
  privateKey: CryptoKey;
  publicKey: string;
  /** X25519: a rotated network key arrives sealed to it. */
  boxPrivateKey: CryptoKey;
  boxPublicKey: CryptoKey;
  boxKey: string;
}

export interface ProjectionMetaRow {
  key: 'projection';
  version: number;
  rebuiltAt: number;
  /** Part of a large update is not projected yet: rebuild at the next start if it is still set. */
  incomplete?: true;
}

/**
 * What a peer device had when it exported the newest sync file this device imported from it (its Yjs state
 * vector): a sync file for that peer then needs to hold only what it lacks. Kept under `peer:<device>`.
 */
export interface PeerRow {
  key: `peer:${string}`;
  device: string;
  /** The peer's encoded Yjs state vector: the union of every state it exported to this device. */
  stateVector: Uint8Array;
  /** When the peer exported the newest file imported from it (its clock). */
  exportedAt: number;
  /** When this device last imported a file from it. */
  importedAt: number;
}

/**
 * A stored update that could not be loaded (damaged bytes, cut short, or depending on changes this device
 * does not have), moved out of `updates` at load with its bytes kept as they were: nothing is deleted.
 */
export interface DamagedRow {
  /** Its id in `updates`. */
  id: number;
  update: Uint8Array;
  entries: number;
  reason: string;
  setAsideAt: number;
}

/** What the last load set aside, for the notice that says what is missing and how to get it back. */
export interface DamageMetaRow {
  key: 'damage';
  at: number;
  /** Update rows set aside by that load. */
  rows: number;
  /** Entries the figures held that the loaded doc no longer has (at most MAX_MISSING_LISTED). */
  missing: LedgerRow[];
  /** How many there were in all. */
  missingCount: number;
}

/**
 * The skeleton of the doc made at a start (shared/sync/skeleton.ts `encodeSkeleton`), under `skeleton`: the
 * next start reads it and the rows after `coversRow` instead of every row (renderer/storage/persistence.ts).
 * Derived from the rows, as the projections are: dropped, the next start makes it again from every row.
 */
export interface SkeletonMetaRow {
  key: 'skeleton';
  bytes: Uint8Array;
  /** `rowSum` of the bytes: damaged, they are not read. */
  sum: string;
  /** The last update row it was made from: it covers every row up to this id. */
  coversRow: number;
  /** The bytes of the rows it covers (for the start to tell how large the history is). */
  historyBytes: number;
  /**
   * A checkpoint's skeleton this device started from (persistence `seed`), while the stored rows do not hold
   * all the history it left out: every start starts from it, whatever else, and reads every row after it.
   */
  fromCheckpoint?: true;
}

/** The relays this device uploads to and downloads from (ws:// or wss://), under `relays`. */
export interface RelaysRow {
  key: 'relays';
  urls: string[];
}

/**
 * Where this device stands with one relay mailbox (renderer/sync/relay.ts), under `relay:<mailbox>`: per
 * device, the last sequence number downloaded; this device's next one; the Yjs state the relay is known
 * to hold; and the blob sealed and saved before it was sent, until the relay acknowledges it.
 */
export interface RelayStateRow {
  key: `relay:${string}`;
  cursor: Record<string, number>;
  nextSeq: number;
  relayState: Uint8Array;
  pending?: { seq: number; blob: Uint8Array; sig: string; after: Uint8Array };
  /**
   * The last checkpoint this device left at the relay (or tried to): when, and the doc's state vector then
   * (renderer/sync/relay.ts leaves another once enough time has passed and the doc has moved on).
   */
  checkpoint?: { at: number; state: Uint8Array };
  /** When this device last left a checkpoint at the relay (its last part acknowledged). */
  checkpointLeftAt?: number;
  /** Checkpoints at the relay this device did not start from (they did not open or verify), by id. */
  refusedCheckpoints?: string[];
}

export type MetaRow =
  | SelfRow
  | ProjectionMetaRow
  | PeerRow
  | IdentityRow
  | DamageMetaRow
  | SkeletonMetaRow
  | RelaysRow
  | RelayStateRow
  | CheckpointMetaRow
  | CheckpointRowsMetaRow
  | CheckpointMembersMetaRow
  | NetworkPreviewRow;

export interface PreviewHub {
  hub: string;
  name: string;
  stale: boolean;
  ageMs: number | null;
  /** How many items are out, short or running out there. */
  shortages: number;
}

/**
 * The Network screen's first view as this device last worked it out (renderer/data/networkPreview.ts): shown
 * at the next start while the figures are read again. Derived from the projections, as they are.
 */
export interface NetworkPreviewRow {
  key: 'networkPreview';
  /** The shape's version (`PREVIEW_FORMAT`): a preview of another shape is not shown. */
  format: number;
  /** The database's version when saved: after an upgrade the figures may be worked out otherwise. */
  version: number;
  /** The figures' moment (the view's "now"): ages and cover are as of then. */
  takenAt: number;
  hubs: PreviewHub[];
  /** The items table's first rows. */
  items: ItemSummary[];
  /** The first suggested moves shown (`movesToShow`). */
  moves: Move[];
  /** The moves' items: id, name, unit. */
  names: [string, string, string][];
}

/**
 * This device started from a checkpoint (DocPersistence.seed) and its doc does not hold the history the
 * checkpoint covers yet: the last sequence number it covers per device, and its digest. Gone once the doc
 * holds that history (the device is then as one that had it all along).
 */
export interface CheckpointMetaRow {
  key: 'checkpoint';
  covers: [device: string, seq: number][];
  /** How many covered entries have arrived since, per device (renderer/storage/behindCheckpoint.ts). */
  arrived: [device: string, count: number][];
  digest: string;
  /** A rebuild was asked for meanwhile: it runs once the history is in. */
  rebuild?: true;
  /**
   * The checkpoint's own rows (its history) written so far, in their order: present until all are, a few
   * thousand a transaction after its figures (`CheckpointRowsMetaRow` keeps them until then).
   */
  history?: number;
}

/** The rows of the checkpoint this device started from, as they came, until they are all written. */
export interface CheckpointRowsMetaRow {
  key: 'checkpointRows';
  bytes: Uint8Array;
}

/**
 * The member log that came with the checkpoint this device started from (shared/checkpoint/bundle.ts), as it
 * came: replayed with the doc's until the doc holds the history (renderer/storage/trust.ts `lend`).
 */
export interface CheckpointMembersMetaRow {
  key: 'checkpointMembers';
  ops: unknown[];
}

/** A device as the signed member list has it (or a device asking to join). */
export interface MemberRow {
  device: string;
  key: string;
  box?: string;
  fingerprint: string;
  name: string;
  hub: string | null;
  status: 'member' | 'requested' | 'revoked';
  role: Role | 'requested';
  approvedBy?: string;
  approvedAt?: number;
  requestedAt?: number;
  /** The name of the new hub a device asked to join with. */
  requestedHubName?: string;
  revokedAt?: number;
  revokedBy?: string;
  cut?: number;
  /** A device from before the network was upgraded to signed entries: its history counts up to `cut`. */
  legacy?: true;
}

export type ItemRow = Item & { nameKey: string };
/**
 * This device's own entries saved before the doc was loaded (DocPersistence `reserveEarly`): committed and
 * counted in the projections at once, then added to the doc, in the order they were saved, as soon as it
 * is loaded, and deleted in that same transaction. With a row here, the doc is not yet the whole truth:
 * the load adds them before anything derives figures from it. Or saved while a rebuild worked out the
 * figures (`rebuild`, DocPersistence `reserveWhileRebuilding`): then not in the projections until the
 * rebuild's figures, which count them, are written.
 */
export interface JournalRow {
  id?: number;
  device: string;
  entries: Entry[];
  /** The signed head after them, on a signed network. */
  head?: SignedHead;
  /** Saved while a rebuild worked out the figures: counted by the rebuild, not when saved. */
  rebuild?: true;
}

export type HubRow = HubInfo & { id: string };
export type DeviceRow = DeviceInfo & { id: string };
export type LevelsRow = Levels & { key: string; hub: string; item: string };
export type CategoryLevelsRow = Levels & { key: string; hub: string; category: string };
export interface ProblemRow {
  /** Where it was found in the doc; set-aside entries never count. */
  where: string;
  /**
   * Why, as a code the screen puts into the device's language. A string is a reason stored in English
   * by a version before codes (rows stay until the next rebuild replaces them): shown as it was stored.
   */
  reason: DomainMessage | string;
  /** What the runtime or a library said, for a developer reading the report; never shown on screen. */
  detail?: string;
  seenAt: number;
  /**
   * Noticed on this device, not derived from the doc (a peer's update refused at the door, a rotation it
   * could not read, a failed upgrade): a rebuild, which derives the other rows again, keeps it.
   */
  local?: true;
}

/** Whether a problem row was noticed here rather than derived from the doc (rows of older versions too). */
export function isLocalProblem(row: ProblemRow): boolean {
  return (
    row.local === true ||
    row.where.startsWith('peer update received') ||
    row.where === 'members/rotation' ||
    row.where === 'members/upgrade'
  );
}

/**
 * A device's gate state as stored (shared/trust/gate.ts `DeviceGate`), its candidates beyond the verified
 * chain apart, in `gatePending` (gateRows.ts): a history arriving in pieces waits whole for the head that
 * signs its end, and written again with each piece, its wait grew with its square.
 */
export type GateRow = Omit<DeviceGate, 'pending'> & {
  /** How many candidates wait in its `gatePending` rows. */
  waiting: number;
  /** Its `gatePending` rows are parts 0 to `parts - 1`. */
  parts: number;
};

/** Some of a device's candidates beyond its verified chain: part `part` of them, in the order they came. */
export interface GatePendingRow {
  device: string;
  part: number;
  entries: Entry[];
}

declare global {
  interface Window {
    /** This device's database's version (IndexedDB's), set by open-early.js once it has opened it. */
    larderDbVersion?: number;
  }
}

/** One version of the schema an upgrade runs at: the tables it adds or changes (null: dropped). */
interface SchemaStep {
  version: number;
  stores: Record<string, string | null>;
  upgrade?: (tx: Transaction) => Promise<void>;
}

/**
 * The schema's versions, in order. Versions 1 to 6, as this schema reached them: the ledger as a row per
 * entry (dropped at 8); transfers (version 2): entries of which only one may count share a `slot`, a
 * transfer's entries share a `root`; no ledger index by time alone (3: History narrows by hub first); signed
 * networks (4): each device's verified chain and the entries held apart (`gate`), the member list; damaged
 * update rows, set aside at load and kept (5: see DocPersistence.load); no index that no query reads (6:
 * ItemPicker matches barcodes in the catalog it holds; stock and levels are read per hub or by key).
 * Projections are rebuilt from the doc when PROJECTION_VERSION changes, so none of these moved data.
 */
const VERSIONS: readonly SchemaStep[] = [
  // Version 7: the network view's figures in few rows (shared/onHand.ts), filled from the stock rows a
  // device already has: about 3,200 rows at a million entries, not a rebuild of everything.
  {
    version: 7,
    stores: {
      updates: '++id',
      meta: 'key',
      stock: 'key, hub',
      ledger: 'id, [hub+at], [hub+item+at], [hub+kind+at], slot, root',
      items: 'id, nameKey',
      hubs: 'id',
      devices: 'id, hub',
      levels: 'key, hub',
      problems: 'where',
      categoryLevels: 'key, hub',
      usage: 'key, day, hub',
      gate: 'device',
      members: 'device',
      damaged: 'id',
      onHand: 'key',
    },
    upgrade: async (tx) => {
      const stock = (await tx.table('stock').toArray()) as StockRow[];
      await tx.table('onHand').bulkPut(onHandRows(stock));
    },
  },
  // Version 8: the ledger in blocks of a device's entries (ledgerRows.ts), 52 B per entry on disk instead
  // of 185; the rows come back with the rebuild PROJECTION_VERSION 5 asks for, nothing is migrated.
  // Version 9: the screens' stock rows without their expiry lots (shared/shelf.ts), filled from the stock
  // rows a device already has, as the network view's were (version 7).
  {
    version: 9,
    stores: {
      ledger: null,
      blocks: '[device+bucket], *spans',
      links: 'id, slot, root',
      shelf: 'key, hub',
    },
    upgrade: async (tx) => {
      const stock = (await tx.table('stock').toArray()) as StockRow[];
      await tx.table('shelf').bulkPut(shelfRows(stock));
    },
  },
  // The open transfers listed and each transfer's last change indexed (ledgerIndex.ts `openTransfers`,
  // `last`): the Network and Transfers screens read every transfer ever made. Filled here from the links a
  // device already has (each holds its row), not by a rebuild.
  {
    version: 10,
    stores: { links: 'id, slot, root, last', openTransfers: 'root' },
    upgrade: async (tx) => {
      const links = (await tx.table('links').where('root').above('').toArray()) as LedgerLink[];
      const marked = markTransfers(links);
      if (marked.links.length > 0) await tx.table('links').bulkPut(marked.links);
      if (marked.open.length > 0)
        await tx.table('openTransfers').bulkPut(marked.open.map((root) => ({ root })));
    },
  },
  // Saves made before the doc is loaded (JournalRow).
  { version: 11, stores: { journal: '++id' } },
  // Which blocks hold a hub's entries of an item (itemBlocks.ts), a row per hub, item, device and part of
  // its blocks (version 12 kept a row per hub and item, and none past 512 blocks). A device that has blocks
  // lists them in the background after its start (`fillItemBlocks`): the row PENDING says it has not yet.
  {
    version: 13,
    stores: { itemBlocks: null, itemLists: '[hub+item+device+part]' },
    upgrade: async (tx) => {
      if ((await tx.table('blocks').count()) > 0) {
        const [hub, item, device, part] = PENDING;
        await tx.table('itemLists').put({ hub, item, device, part, pending: 1 } satisfies ItemListRow);
      }
    },
  },
  // Each device's candidates beyond its verified chain in rows of their own (GateRow), moved out of its
  // gate row: a few hundred rows, most of them with none.
  {
    version: 14,
    stores: { gatePending: '[device+part]' },
    upgrade: async (tx) => {
      const rows = (await tx.table('gate').toArray()) as (DeviceGate | GateRow)[];
      const moved = rows.map((row) => movePending(row));
      await tx.table('gate').bulkPut(moved.map(([row]) => row));
      const parts = moved.flatMap(([, part]) => (part ? [part] : []));
      if (parts.length > 0) await tx.table('gatePending').bulkPut(parts);
    },
  },
  // Version 15: every hub's own levels in few rows (shared/hubLevels.ts), for the network view, filled from
  // the levels rows a device already has, as its figures were (version 7).
  {
    version: 15,
    stores: { hubLevels: 'key' },
    upgrade: async (tx) => {
      const levels = (await tx.table('levels').toArray()) as LevelsRow[];
      // (Rows of before version 6 said `low`: the rebuild their projection version asks for writes both again.)
      const valid = levels.filter((l) => typeof l.min === 'number' && typeof l.target === 'number');
      await tx.table('hubLevels').bulkPut(hubLevelsRows(valid));
    },
  },
];

/** The latest version, and its whole schema: every version's tables, each as last declared, less the dropped. */
export const LATEST_VERSION = VERSIONS[VERSIONS.length - 1]!.version;
export const LATEST_SCHEMA: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(
    Object.assign({}, ...VERSIONS.map((step) => step.stores)) as Record<string, string | null>,
  ).filter((entry): entry is [string, string] => entry[1] !== null),
);

export class LarderDB extends Dexie {
  updates!: Table<UpdateRow, number>;
  meta!: Table<MetaRow, string>;
  stock!: Table<StockRow, string>;
  /** The stock rows as the screens read them: figures and next expiry, no expiry lots (shared/shelf.ts). */
  shelf!: Table<ShelfRow, string>;
  /** The network view's figures: every hub's on-hand per item in few rows (shared/onHand.ts). */
  onHand!: Table<OnHandRow, string>;
  /** The network view's levels: every hub's own levels per item in few rows (shared/hubLevels.ts). */
  hubLevels!: Table<HubLevelsRow, string>;
  /** The ledger rows, a block of one device's entries a row (renderer/storage/ledgerRows.ts). */
  blocks!: Table<StoredBlock, BlockKey>;
  /** The slot and transfer of the entries that have one: an index over the blocks. */
  links!: Table<LedgerLink, string>;
  /** The transfers still open (ledgerIndex.ts `markTransfers`), by id: a row each, gone once it closes. */
  openTransfers!: Table<OpenTransferRow, string>;
  /** Which blocks hold a hub's entries of an item (itemBlocks.ts): History by an item seldom recorded. */
  itemLists!: Table<ItemListRow, ItemListKey>;
  items!: Table<ItemRow, string>;
  hubs!: Table<HubRow, string>;
  devices!: Table<DeviceRow, string>;
  levels!: Table<LevelsRow, string>;
  categoryLevels!: Table<CategoryLevelsRow, string>;
  usage!: Table<UsageRow, string>;
  problems!: Table<ProblemRow, string>;
  gate!: Table<GateRow, string>;
  gatePending!: Table<GatePendingRow, [string, number]>;
  members!: Table<MemberRow, string>;
  damaged!: Table<DamagedRow, number>;
  journal!: Table<JournalRow, number>;

  /**
   * `onDisk`: the version of the database on this device as IndexedDB reports it (Dexie's times ten), when
   * known before it is opened (open-early.js reads it as the page opens): at the latest, the schema is
   * declared once instead of version by version. Unknown or older: every version, and their upgrades.
   */
  constructor(name = 'larder', onDisk?: number) {
    // "Saved" must survive a power cut, not only a crash: ask Chromium to flush each commit to disk. The
    // projections' commits too: relaxed, they could be lost while a later strict commit survives (LevelDB
    // flushes only its current log file), a rebuild's figures gone under its "done" mark
    // (tests/renderer/durability.test.ts).
    // Live queries share Dexie's cache as it is, frozen, instead of a deep copy per query ('cloned', the
    // default): the first stock view at 10M entries spent a third of its longest task copying the stock
    // rows' expiry lots. Nothing mutates a live query's result (a write to one would throw).
    super(name, { chromeTransactionDurability: 'strict', cache: 'immutable' });
    // Only the versions an upgrade runs at are declared (Dexie 3 and later read the schema a device has from
    // its database, so the versions between need no declaration), each with every table it holds: Dexie
    // parses every declared version again at each declaration: eleven took 11-13 ms of a cold start, four 4-8.
    // A database already at the latest version has nothing to upgrade: the schema is declared once, whole.
    if (onDisk === LATEST_VERSION * 10) {
      this.version(LATEST_VERSION).stores(LATEST_SCHEMA);
      return;
    }
    for (const step of VERSIONS) {
      const declared = this.version(step.version).stores(step.stores);
      if (step.upgrade) declared.upgrade(step.upgrade);
    }
  }

  /**
   * The version IndexedDB reports for this open database (Dexie's times ten, as open-early.js reads it),
   * or null when it is not open: what rows read or written apart from the app's queries are matched by.
   */
  openVersion(): number | null {
    try {
      return this.backendDB().version;
    } catch {
      return null;
    }
  }

  /** The tables of the gate's device states. */
  get gateTables() {
    return [this.gate, this.gatePending];
  }

  /** The tables that hold the ledger rows: a transaction that writes them holds them all. */
  get ledgerTables() {
    return [this.blocks, this.links, this.openTransfers, this.itemLists];
  }

  /** Every projection table: what a rebuild writes again. */
  get projectionTables() {
    return [
      this.stock,
      this.shelf,
      this.onHand,
      this.blocks,
      this.links,
      this.openTransfers,
      this.itemLists,
      this.usage,
      this.items,
      this.hubs,
      this.devices,
      this.levels,
      this.hubLevels,
      this.categoryLevels,
      this.problems,
      this.gate,
      this.gatePending,
      this.members,
    ];
  }
}

/** A gate row of version 13 or earlier, its candidates in a part of their own (none: no part). */
function movePending(row: DeviceGate | GateRow): [GateRow, GatePendingRow | null] {
  if (!('pending' in row)) return [row, null];
  const { pending, ...rest } = row;
  const part = pending.length > 0 ? { device: row.device, part: 0, entries: pending } : null;
  return [{ ...rest, waiting: pending.length, parts: part ? 1 : 0 }, part];
}
