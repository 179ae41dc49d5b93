import { NetworkViewModel, ratesFromUsage, utcDay, windowDays, type HubPosition } from '../../shared/network';
import { inTransitOf } from '../../shared/network/transit';
import { figuresOf } from '../../shared/onHand';
import { transferViews, type TransferView } from '../../shared/transfers';
import type { HubRow, ItemRow } from '../storage/db';
import type { Commit, SettingKind } from '../storage/persistence';
import { LarderStore } from '../storage/store';
import { PortHost } from '../storage/hostPort';
import type { StoreHost } from '../storage/host';
import { openTransferLedgerRows } from '../storage/ledgerIndex';
import type { HubWithFreshness } from './newest';
import { readNetworkRows, takeNetworkReads, type NetworkRows } from './networkReads';
import { LevelsIndex } from '../../shared/levels';
import { levelsOfRows } from '../../shared/hubLevels';
import { hubKey as stockKey, splitHubKey } from '../../shared/keys';
import { pacer } from '../../shared/pace';
import { groupBy } from '../../shared/arrays';
import { PREVIEW_SAVE_DELAY_MS, previewOf, savePreview } from './networkPreview';

/**
 * The settings the view is made from: a change of any reads everything again. Not the devices or the member
 * list: at 50 hubs and 2,000 items, a device saying what it reads (as every device does after an update of
 * Larder) read and worked out every figure again, 0.5 s before the next entry showed.
 */
const VIEW_SETTINGS: readonly SettingKind[] = ['items', 'hubs', 'levels', 'categoryLevels'];

/** Positions worked out between two looks at the clock while the first view is prepared. */
const POSITIONS_A_STEP = 1_000;

export interface NetworkSnapshot {
  version: number;
  now: number;
  hubs: HubWithFreshness[];
  items: ItemRow[];
  itemsById: Map<string, ItemRow>;
  /** The open transfers (`isOpenTransfer`: asked for, on their way, or a difference to settle), newest first. */
  transfers: TransferView[];
  model: NetworkViewModel;
}

/**
 * The coordinator's figures, kept in memory and patched as entries commit: a new entry (from this device
 * or a peer) re-reads only the stock and usage rows it touched and recomputes only its item and hub in
 * the view model, so the Network screen stays quick at 50 hubs and 2,000 items. A settings change
 * (levels, catalog, hubs) reloads everything: those are rare.
 */
export class NetworkModel {
  private snapshot: NetworkSnapshot | null = null;
  private readonly listeners = new Set<() => void>();
  /** On hand by hub, then item: every item with a stock row at the hub (zero included). */
  private onHand = new Map<string, Map<string, number>>();
  /** Pickups a day by hub, then item (none: 0), so an entry at one hub looks at that hub's rates only. */
  private rates = new Map<string, Map<string, number>>();
  private levels = new LevelsIndex([], []);
  private loading: Promise<void> | null = null;
  /** How the last full load spent its time, in ms (for the benchmark): reading rows, hubs' newest entries, building. */
  lastLoad: { readMs: number; newestMs: number; buildMs: number } | null = null;
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly unsubscribe: () => void;
  /** The preview's save, waiting for the figures to stop changing (networkPreview.ts). */
  private previewTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * The rows read as the database opened, for the first load (a coordinator's device opening on this
   * screen: networkReads.ts). Taken only while nothing can have been written since they were read
   * (`untouched`).
   */
  private early: Promise<NetworkRows> | null;

  constructor(private readonly store: StoreHost) {
    const early = takeNetworkReads(store);
    this.early = untouched(store) ? early : null;
    this.unsubscribe = store.onCommitted((commit) => {
      this.queue = this.queue.then(() => this.apply(commit)).catch(() => this.reload());
    });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    this.prepare();
    return () => this.listeners.delete(listener);
  }

  /** Starts the first load, if it has not started: the screen subscribing later finds it under way or done. */
  prepare(): void {
    if (!this.snapshot && !this.loading) void this.reload();
  }

  get current(): NetworkSnapshot | null {
    return this.snapshot;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.previewTimer);
    this.unsubscribe();
    this.listeners.clear();
  }

  /**
   * Reads everything again. Never rejects: a read that fails (the database closing under a model that
   * is being disposed, a rebuild's last rows landing after the screen closed) leaves the last snapshot
   * up, and is reported unless the model is gone.
   */
  private async reload(): Promise<void> {
    if (this.disposed) return;
    this.loading = this.load();
    try {
      await this.loading;
    } catch (error) {
      if (!this.disposed) console.error('Larder could not read the network figures', error);
    } finally {
      this.loading = null;
    }
  }

  private async load(): Promise<void> {
    const db = this.store.db;
    // The first load takes the reads started as the database opened, if any (see `early`).
    const early = this.early;
    this.early = null;
    const read = (early && (await early.catch(() => null))) ?? (await readNetworkRows(db, !this.snapshot));
    const { now, hubs: withNewest, items, onHand: onHandRows, levels, categoryLevels, usage } = read;
    const t2 = performance.now();
    // Worked out before it is shown, in slices with other tasks let run between them: at 50 hubs by 2,000
    // items it is a third of a second, one long task in the screen's first render otherwise. (A commit
    // meanwhile waits for this load: `apply`.)
    const pace = pacer();
    // A row at a time (a hub's figures or levels of some hundred items), paced: 54,000 figures and 30,000
    // levels at 50 hubs by 2,000 items taken in at once were a task of 51 ms.
    this.onHand = new Map();
    for (const row of onHandRows) {
      for (const f of figuresOf([row])) this.setOnHand(f.hub, f.item, f.onHand);
      await pace();
    }
    this.levels = new LevelsIndex([], categoryLevels);
    for (const row of levels) {
      this.levels.addOwn(levelsOfRows([row]));
      await pace();
    }
    // Hub by hub: at ten million entries a fortnight's usage rows name 130,000 items a day in all, and
    // their rates in one go were a task of 60-90 ms.
    this.rates = new Map();
    const today = utcDay(now);
    for (const rows of groupBy(usage, (u) => u.hub).values()) {
      for (const [key, rate] of ratesFromUsage(rows, today)) this.setRate(key, rate);
      await pace();
    }
    const itemsById = new Map(items.map((i) => [i.id, i]));
    const transfers = transferViews(read.transfers);
    const model = new NetworkViewModel({
      now,
      hubs: withNewest.map(({ id, name, newestEntryAt }) => ({ id, name, newestEntryAt })),
      items,
      positions: [],
      inTransit: inTransitOf(transfers),
    });
    // Hub by hub too: made and handed to the model at once, 100,000 positions were two tasks of 86-98 ms.
    for (const positions of this.positionsByHub(withNewest, items, itemsById)) {
      model.setPositions(positions);
      await pace();
    }
    while (model.refreshSome(POSITIONS_A_STEP)) await pace();
    this.lastLoad = { readMs: read.readMs, newestMs: read.newestMs, buildMs: performance.now() - t2 };
    this.publish({
      version: (this.snapshot?.version ?? 0) + 1,
      now,
      hubs: withNewest,
      items,
      itemsById,
      transfers,
      model,
    });
  }

  private position(
    hub: string,
    item: ItemRow | undefined,
    itemId: string,
    levelsAt = this.levels.at(hub),
    onHand = this.onHand.get(hub),
    rates = this.rates.get(hub),
  ): HubPosition {
    const levels = item ? levelsAt(item) : undefined;
    const figure = onHand?.get(itemId) ?? 0;
    const rate = rates?.get(itemId) ?? 0;
    // Written out, not spread: the first snapshot makes 100,000 of these (see `assess`).
    return levels
      ? { hub, item: itemId, onHand: figure, levels, rate }
      : { hub, item: itemId, onHand: figure, rate };
  }

  /**
   * Every stock row, plus items with levels at a hub that has no entry for them yet (short there too): a
   * hub's at a time (its stock rows, then the items only its levels name).
   */
  private *positionsByHub(
    hubs: readonly HubRow[],
    items: readonly ItemRow[],
    byId: Map<string, ItemRow>,
  ): Generator<HubPosition[]> {
    // Hub by hub, the levels lookup made once: 100,000 pairs at 50 hubs and 2,000 items, each looked up by
    // building `hub|item` keys, took 180 ms at 54,000 stock rows.
    for (const [hub, figures] of this.onHand) {
      const at = this.levels.at(hub);
      const rates = this.rates.get(hub);
      const out: HubPosition[] = [];
      for (const item of figures.keys())
        out.push(this.position(hub, byId.get(item), item, at, figures, rates));
      yield out;
    }
    for (const hub of hubs) {
      const at = this.levels.at(hub.id);
      const has = this.onHand.get(hub.id);
      const rates = this.rates.get(hub.id);
      const out: HubPosition[] = [];
      for (const item of items)
        if (!has?.has(item.id) && at(item)) out.push(this.position(hub.id, item, item.id, at, has, rates));
      if (out.length > 0) yield out;
    }
  }

  private async apply(commit: Commit): Promise<void> {
    // A load under way read the rows before this commit, or not: applied to what it publishes, either way
    // (the rows a commit touched are read again).
    if (this.loading) await this.loading.catch(() => undefined);
    const snap = this.snapshot;
    if (!snap) return;
    if (VIEW_SETTINGS.some((kind) => commit.settings.has(kind))) return this.reload();
    if (commit.entries.length === 0) return;
    const db = this.store.db;
    const now = Date.now();
    const keys = [...new Set(commit.entries.map((e) => stockKey(e.hub, e.item)))];
    const touchedHubs = [...new Set(commit.entries.map((e) => e.hub))];
    const days = windowDays(utcDay(now));
    const [rows, usage] = await Promise.all([
      db.shelf.bulkGet(keys),
      // The touched hubs' rows of the window's days, by key (`hub|day`): read by hub and filtered, every day
      // of a year was read and turned into objects for the fourteen that count.
      db.usage.bulkGet(touchedHubs.flatMap((hub) => days.map((day) => stockKey(hub, day)))),
    ]);
    for (const row of rows) if (row) this.setOnHand(row.hub, row.item, row.onHand);
    const fresh = ratesFromUsage(
      usage.filter((u) => u !== undefined),
      utcDay(now),
    );
    const changed: HubPosition[] = [];
    const freshByHub = new Map<string, string[]>();
    for (const key of fresh.keys()) {
      const hub = hubOf(key);
      freshByHub.set(hub, [...(freshByHub.get(hub) ?? []), key]);
    }
    for (const hub of touchedHubs) {
      // A hub's rates change together when it starts a new active day: update the ones that moved.
      const held = [...(this.rates.get(hub)?.keys() ?? [])].map((item) => stockKey(hub, item));
      for (const key of new Set([...held, ...(freshByHub.get(hub) ?? [])])) {
        const before = this.rates.get(hub)?.get(splitHubKey(key).thing) ?? 0;
        const after = fresh.get(key) ?? 0;
        if (before === after) continue;
        this.setRate(key, after);
        keys.push(key);
      }
    }
    for (const key of new Set(keys)) {
      const { hub, thing: item } = splitHubKey(key);
      changed.push(this.position(hub, snap.itemsById.get(item), item));
    }
    snap.model.setPositions(changed);

    let hubs = snap.hubs;
    const newest = new Map<string, number>();
    for (const e of commit.entries) newest.set(e.hub, Math.max(newest.get(e.hub) ?? 0, e.at));
    if ([...newest].some(([hub, at]) => (snap.hubs.find((h) => h.id === hub)?.newestEntryAt ?? -1) < at)) {
      hubs = snap.hubs.map((h) =>
        newest.has(h.id) ? { ...h, newestEntryAt: Math.max(h.newestEntryAt ?? 0, newest.get(h.id)!) } : h,
      );
      snap.model.setHubs(hubs.map(({ id, name, newestEntryAt }) => ({ id, name, newestEntryAt })));
    }
    let transfers = snap.transfers;
    if (commit.entries.some((e) => e.kind.startsWith('transfer_') || e.kind === 'reversal')) {
      transfers = transferViews(await openTransferLedgerRows(db));
      snap.model.setInTransit(inTransitOf(transfers));
    }
    if (now - snap.now > 60_000) snap.model.setNow(now);
    this.publish({
      ...snap,
      version: snap.version + 1,
      now: now - snap.now > 60_000 ? now : snap.now,
      hubs,
      transfers,
    });
  }

  private setOnHand(hub: string, item: string, onHand: number): void {
    let figures = this.onHand.get(hub);
    if (!figures) this.onHand.set(hub, (figures = new Map()));
    figures.set(item, onHand);
  }

  private setRate(key: string, rate: number): void {
    const { hub, thing: item } = splitHubKey(key);
    const rates = this.rates.get(hub);
    if (rate === 0) {
      rates?.delete(item);
      return;
    }
    if (rates) rates.set(item, rate);
    else this.rates.set(hub, new Map([[item, rate]]));
  }

  private publish(snapshot: NetworkSnapshot): void {
    this.snapshot = snapshot;
    for (const l of this.listeners) l();
    this.keepPreview();
  }

  /**
   * Saves the view's preview for the next start (networkPreview.ts) once the figures have not changed for
   * PREVIEW_SAVE_DELAY_MS: while a peer's entries arrive, a save per entry would write for nothing.
   */
  private keepPreview(): void {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => {
      // (A model disposed of has cleared this timer.)
      const snapshot = this.snapshot;
      const version = this.store.db.openVersion();
      if (!snapshot || version === null) return;
      void savePreview(this.store.db, previewOf(snapshot, version));
    }, PREVIEW_SAVE_DELAY_MS);
  }
}

const hubOf = (key: string) => splitHubKey(key).hub;

/**
 * Whether nothing can have been written through `store` since the page read the database as it opened: on
 * the page, until the store's parts are loaded; in the device's Worker, until the page first asks it
 * something (the Worker loads the doc, syncs and saves only when asked).
 */
function untouched(store: StoreHost): boolean {
  return store instanceof PortHost ? !store.asked : !LarderStore.partsLoaded;
}
