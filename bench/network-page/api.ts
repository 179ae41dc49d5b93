import type { SelfRow } from '../../renderer/storage/db';

/** What the network bench page (bench/network-page/main.ts) exposes as `window.larderNetworkBench`. */
export interface NetworkSeedResult {
  stateBytes: number;
  fetchMs: number;
  loadMs: number;
  rebuildMs: number;
  rebuiltEntries: number;
  rebuildProblems: number;
}

export interface ModelLoad {
  /** `LarderStore.open` until `store.ready` (the doc is loaded). */
  readyMs: number;
  /** `new NetworkModel(store)` and `subscribe` until the first snapshot is published. */
  firstSnapshotMs: number;
  /** Of which: reading the rows, the hubs' newest entries, building the model (NetworkModel.lastLoad). */
  firstSnapshotParts: { readMs: number; newestMs: number; buildMs: number } | null;
  /** The first `snapshot.model.view()` (every item and hub summarised). */
  firstViewMs: number;
  /** A second `view()` with nothing changed. */
  repeatViewMs: number;
  stockRows: number;
  levelsRows: number;
  categoryLevelsRows: number;
  usageRows: number;
  view: { items: number; hubs: number; moves: number; itemsWithNeeds: number; hubsWithShortages: number };
  heapMB: number | null;
}

/** One remote entry, as the runner made it: an update for the page to apply, and what it should change. */
export interface RemoteEntry {
  /** The Yjs update (base64), built on a copy of the doc that appended one entry with appendEntries. */
  update: string;
  hub: string;
  item: string;
  kind: 'donation' | 'pickup';
  /** Its effect on the item's on-hand at its hub. */
  effect: number;
}

export interface RemoteTiming {
  /** `applyRemoteUpdate` called → the model published its next snapshot. */
  publishMs: number;
  /** That snapshot's `model.view()`. */
  viewMs: number;
  /** applyRemoteUpdate called → view() returned: the figure is ready to show. */
  totalMs: number;
  /** applyRemoteUpdate called → it resolved (the entry committed in IndexedDB). */
  committedMs: number;
  /** The item's fresh total in the view before and after. */
  before: number;
  after: number;
  /** after - before is the entry's effect. */
  changed: boolean;
}

export interface LarderNetworkBench {
  seed(dataUrl: string, entries: number, self: SelfRow): Promise<NetworkSeedResult>;
  /** Opens the store and a NetworkModel on it, as the coordinator's Network screen does. */
  load(): Promise<ModelLoad>;
  /** Applies one remote entry and times it until the model's view shows it. */
  remote(entry: RemoteEntry): Promise<RemoteTiming>;
  close(): void;
}

declare global {
  interface Window {
    larderNetworkBench?: LarderNetworkBench;
  }
}
