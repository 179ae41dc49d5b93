import Dexie, { type Table } from 'dexie';
import type { Item } from '../../shared/catalog';
import type { DeviceInfo, HubInfo } from '../../shared/doc';
import type { LedgerRow, StockRow } from '../../shared/projection';
import type { Levels } from '../../shared/status';

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
}

export interface SelfRow {
  key: 'self';
  networkId: string;
  /** The network's secret key (base64url). Whoever holds it can read and write the network. */
  networkKey: string;
  /** Signaling servers this device knows (ws:// or wss://); empty means LAN/USB only. */
  signaling: string[];
  /** The hub this device records for; null while a device that just joined has not chosen yet. */
  hubId: string | null;
  deviceId: string;
  deviceName: string;
  /** The sequence number this device's next entry gets. Advanced in the transaction that stores entries. */
  nextSeq: number;
}

export interface ProjectionMetaRow {
  key: 'projection';
  version: number;
  rebuiltAt: number;
}

export type MetaRow = SelfRow | ProjectionMetaRow;

export type ItemRow = Item & { nameKey: string };
export type HubRow = HubInfo & { id: string };
export type DeviceRow = DeviceInfo & { id: string };
export type LevelsRow = Levels & { key: string; hub: string; item: string };
export interface ProblemRow {
  /** Where it was found in the doc; set-aside entries never count. */
  where: string;
  reason: string;
  seenAt: number;
}

export class LarderDB extends Dexie {
  updates!: Table<UpdateRow, number>;
  meta!: Table<MetaRow, string>;
  stock!: Table<StockRow, string>;
  ledger!: Table<LedgerRow, string>;
  items!: Table<ItemRow, string>;
  hubs!: Table<HubRow, string>;
  devices!: Table<DeviceRow, string>;
  levels!: Table<LevelsRow, string>;
  problems!: Table<ProblemRow, string>;

  constructor(name = 'larder') {
    // "Saved" must survive a power cut, not only a crash: ask Chromium to flush each commit to disk.
    super(name, { chromeTransactionDurability: 'strict' });
    this.version(1).stores({
      updates: '++id',
      meta: 'key',
      stock: 'key, hub, item',
      ledger: 'id, [hub+at], [hub+item+at], [hub+kind+at], target, at',
      items: 'id, nameKey, *barcodes',
      hubs: 'id',
      devices: 'id, hub',
      levels: 'key, hub, item',
      problems: 'where',
    });
  }

  /** Every projection table: what a rebuild clears and refills. */
  get projectionTables() {
    return [this.stock, this.ledger, this.items, this.hubs, this.devices, this.levels, this.problems];
  }
}
