import type { EntryForm } from '../../shared/entryForms';
import type { Item, ItemForm } from '../../shared/catalog';
import type { CountForm, DiscardForm, DonationForm, PickupForm } from '../../shared/commands';
import type { Reversal } from '../../shared/entries';
import type { LevelsForm } from '../../shared/levels';
import type { DomainMessage } from '../../shared/messages';
import type { IngestResult } from '../../shared/sync/ingest';
import type { CryptoKey, NetworkSecrets } from '../../shared/sync/keys';
import type { CatchUp } from '../../shared/sync/syncfile';
import type { TransferView } from '../../shared/transfers';
import type { CatchUpMaterial, CatchUpResult } from '../../shared/trust/catchUp';
import type { MemberState, Role } from '../../shared/trust/members';
import { onceUntilFailed } from '../../shared/lazy';
import { secretBox, type SecretBox } from '../platform/secrets';
import type { IdentityRow, LarderDB, SelfRow } from './db';
import type { DataCheck } from './check';
import type { Commit, DocPersistence, RebuildProgress } from './persistence';
import type { StoreHost } from './host';
import { KeySealer, sealingMiddleware } from './sealedKey';
import { browserDeps, type StoreDeps } from './store/deps';
import type { makeParts, StoreParts } from './store/parts';
import type { SyncFileKeys } from './store/remote';
import { SelfCell } from './store/selfCell';
import type { Transfers } from './store/transfers';

export { browserDeps, type StoreDeps } from './store/deps';

/** The store's heavy half (store/parts.ts), once loaded: one module for every store of the page. */
let partsModule: { makeParts: typeof makeParts } | null = null;
// A load that failed (the page's server gone for a moment, on a hub's LAN) is tried again next time.
const loadPartsModule = onceUntilFailed(() => import('./store/parts'));

/**
 * The one way the app changes data: each method turns a form into doc changes through the pure commands,
 * and resolves only when they are committed in IndexedDB. Reads go straight to the Dexie tables.
 *
 * A thin facade: the work is done by one part per concern in ./store/ (device, settings, ledger,
 * transfers, members, keys, catchUp, remote, upgrade), each documented there, all sharing one
 * StoreContext (the database, the doc's persistence, this device's row and keys). This class opens the
 * store and delegates.
 *
 * The parts are the heavy half of the app's code (the doc, its persistence, signatures, sealing, sync
 * files), and the first screen needs none of it: it reads the projections and this device's row. So the
 * app opens its store with `partsLater` and loads them once its first screen is painted (`loadParts`);
 * until then a command waits for them, and the members that answer at once (`persistence`, `signed`,
 * `inviteCode`...) may be used only by screens loaded after them (renderer/app/lazyScreen.ts). Opened
 * without `partsLater` (tests, the bench pages), a store has its parts from the start.
 */
export class LarderStore implements StoreHost {
  private made: StoreParts | null = null;
  private closed = false;
  /** Listeners to the persistence that subscribed before the parts were made: attached once they are. */
  private readonly earlyBacklog = new EarlyListeners<() => void>();
  private readonly earlyCommitted = new EarlyListeners<(commit: Commit) => void>();
  private readonly earlyKey = new EarlyListeners<() => void>();
  private readonly earlyCatchUp = new EarlyListeners<() => void>();

  private constructor(
    readonly db: LarderDB,
    private readonly deps: StoreDeps,
    private readonly sealer: KeySealer,
    private readonly selfCell: SelfCell,
    private readonly identity: IdentityRow | null,
  ) {}

  /**
   * Loads the store's parts (one module for the page, once). The app calls it after its first screen is
   * painted; `load`, `ready` and every command call it too.
   */
  static loadParts(): Promise<void> {
    return loadPartsModule().then((module) => {
      partsModule = module;
    });
  }

  /** Whether the parts' module is loaded: until it is, no store of the page can have written anything. */
  static get partsLoaded(): boolean {
    return partsModule !== null;
  }

  /** The parts, made for this store the first time they are asked for (their module must be loaded). */
  private get parts(): StoreParts {
    if (this.made) return this.made;
    if (this.closed) throw new Error('The store is closed');
    if (!partsModule)
      throw new Error('The store was asked for its parts before they were loaded (LarderStore.loadParts)');
    const parts = partsModule.makeParts(this.db, this.deps, this.sealer, this.selfCell, this.identity);
    this.made = parts;
    const { persistence } = parts.ctx;
    this.earlyCommitted.attach((listener) => persistence.onCommitted(listener));
    this.earlyKey.attach((listener) => parts.keys.onKeyChanged(listener));
    this.earlyCatchUp.attach((listener) => parts.catchUp.onCatchUpChanged(listener));
    // (A backlog listener is told at once: the backlog it saw, none, may have changed.)
    this.earlyBacklog.attach(
      (listener) => persistence.onBacklog(listener),
      (listener) => listener(),
    );
    return parts;
  }

  /** Runs `run` on the parts, after loading them if they are not yet. */
  private later<T>(run: (parts: StoreParts) => Promise<T>): Promise<T> {
    if (partsModule) return run(this.parts);
    return LarderStore.loadParts().then(() => run(this.parts));
  }

  /** Whether the parts are made or can be made at once (for the reads that have an answer before them). */
  private get hasParts(): boolean {
    return this.made !== null || (partsModule !== null && !this.closed);
  }

  private get ctx() {
    return this.parts.ctx;
  }

  /**
   * Loads the network's doc (once). Reads never wait for it: the screens show the projections at once,
   * and the app starts the load after its first screen is up, because applying a large doc holds the
   * main thread for seconds. Writes and sync wait for it through `ready`.
   */
  load(): Promise<void> {
    return this.later((parts) => parts.ctx.load());
  }

  /** Resolves when the doc is loaded (starting the load if nothing has yet). */
  get ready(): Promise<void> {
    return this.load();
  }

  /**
   * Resolves when sync may start: with `ready`, or, at the first start after an update of Larder (or one
   * that set damaged rows aside), once the doc is loaded, while the rebuild after it works out the figures
   * again (peers' entries are counted once it has).
   */
  get loadedForSync(): Promise<void> {
    return this.later((parts) => parts.ctx.loadedForSync);
  }

  /**
   * Opens the device's store. `secrets` seals the network key at rest: the desktop app's keychain, or
   * nothing in a plain browser. A key kept in the clear is sealed at the first start that can seal it.
   * With `partsLater`, the store's parts are not loaded here (see the class's comment).
   */
  static async open(
    db: LarderDB,
    deps: StoreDeps = browserDeps,
    secrets: SecretBox | null = secretBox(),
    { partsLater = false }: { partsLater?: boolean } = {},
  ): Promise<LarderStore> {
    const sealer = new KeySealer(secrets);
    db.use(sealingMiddleware(sealer));
    const [row, identity] = await Promise.all([
      db.meta.get('self'),
      db.meta.get('identity'),
      partsLater ? null : LarderStore.loadParts(),
    ]);
    const self = row?.key === 'self' ? await sealer.open(row) : null;
    if (self && row?.key === 'self' && sealer.needsSealing(row)) {
      await sealer.prepare(self);
      await db.meta.put(self);
    }
    const store = new LarderStore(
      db,
      deps,
      sealer,
      new SelfCell(self),
      identity?.key === 'identity' ? identity : null,
    );
    if (!partsLater) void store.parts;
    return store;
  }

  get persistence(): DocPersistence {
    return this.ctx.persistence;
  }

  /** Entries of a very large update not yet added to the figures (0 before the parts are loaded). */
  get unprojected(): number {
    return this.made ? this.made.ctx.persistence.unprojected : 0;
  }

  /** How far the doc's load is; null when none runs (before it starts, and once it is done). */
  get loadProgress(): { done: number; total: number; startedAt: number } | null {
    return this.made ? this.made.ctx.persistence.loadProgress : null;
  }

  /**
   * Whether a donation, pickup, count, discard or undo saved now is saved before the doc has loaded
   * (DocPersistence `takesEarlySaves`).
   */
  get takesEarlySaves(): boolean {
    return this.made ? this.made.ctx.persistence.takesEarlySaves : false;
  }

  /**
   * Whether a donation, pickup or discard saved now is saved while a rebuild works out the figures, instead
   * of waiting for it (DocPersistence `takesSavesWhileRebuilding`).
   */
  get takesSavesWhileRebuilding(): boolean {
    return this.made ? this.made.ctx.persistence.takesSavesWhileRebuilding : false;
  }

  /**
   * Whether a save claimed now would wait for the doc (the history's load or a rebuild's figures): one
   * claimed before it waits for it (`Ledger.savesWaitingForDoc`). A form whose save is otherwise taken while
   * the figures are worked out says then that it waits for them (`useBusyNote`).
   */
  get savesWaitForDoc(): boolean {
    return this.made ? this.made.ledger.savesWaitingForDoc > 0 : false;
  }

  /**
   * How far a rebuild's first part is (the figures worked out again from the history: saves wait for it);
   * null when none runs (and before the parts are loaded).
   */
  get figuresProgress(): { done: number; total: number; startedAt: number } | null {
    return this.made ? this.made.ctx.persistence.figuresProgress : null;
  }

  /** How far a rebuild has written the history; null when none runs (and before the parts are loaded). */
  get rebuildProgress(): RebuildProgress | null {
    return this.made ? this.made.ctx.persistence.rebuildProgress : null;
  }

  /** While this device is behind the checkpoint it started from: how much of the history behind it is in. */
  get checkpointProgress(): { arrived: number; covered: number } | null {
    return this.made ? this.made.ctx.persistence.checkpointProgress : null;
  }

  /** Calls `listener` when the backlog or a rebuild's progress changes, from before the parts are loaded. */
  onBacklog(listener: () => void): () => void {
    if (this.made) return this.made.ctx.persistence.onBacklog(listener);
    return this.earlyBacklog.add(listener);
  }

  /**
   * Calls `listener` with each commit of the projections (see DocPersistence.onCommitted), from before the
   * parts are loaded: nothing commits until they are (the Network screen, a coordinator's first view,
   * subscribes before them).
   */
  onCommitted(listener: (commit: Commit) => void): () => void {
    if (this.made) return this.made.ctx.persistence.onCommitted(listener);
    return this.earlyCommitted.add(listener);
  }

  get self(): SelfRow | null {
    return this.selfCell.row;
  }

  /**
   * This device's own settings as of their last change, in a box that is new each time they change (set up,
   * hub chosen, network key taken up, moved to signed entries): a snapshot for `useSyncExternalStore`.
   */
  get selfSnapshot(): { readonly row: SelfRow | null } {
    return this.selfCell.snapshot;
  }

  /** Calls `listener` whenever this device's own settings change; returns how to stop. */
  onSelfChanged(listener: () => void): () => void {
    return this.selfCell.subscribe(listener);
  }

  // Moving a network from before signing to signed entries (store/upgrade.ts).
  upgradeToSigned(): Promise<SelfRow> {
    return this.later((p) => p.upgrade.upgradeToSigned());
  }

  followUpgrade(): Promise<void> {
    return this.later((p) => p.upgrade.followUpgrade());
  }

  // This device's own settings (store/device.ts).
  createNetwork(form: { hubName: string; deviceName: string }): Promise<SelfRow> {
    return this.later((p) => p.device.createNetwork(form));
  }

  joinNetwork(form: { invite: string; deviceName: string; asCoordinator?: boolean }): Promise<SelfRow> {
    return this.later((p) => p.device.joinNetwork(form));
  }

  chooseHub(choice: { hubId: string } | { newHubName: string }): Promise<SelfRow> {
    return this.later((p) => p.device.chooseHub(choice));
  }

  setSignaling(urls: string[]): Promise<void> {
    return this.later((p) => p.device.setSignaling(urls));
  }

  // The network key, invites, this device's signature (store/keys.ts).
  secrets(): Promise<NetworkSecrets> {
    return this.later((p) => p.keys.secrets());
  }

  inviteCode(signaling?: string[], relays?: string[]): Promise<string> {
    return this.later(async (p) => p.keys.inviteCode(signaling, relays));
  }

  preApprovedInvite(role?: 'hub' | 'coordinator', signaling?: string[], relays?: string[]): Promise<string> {
    return this.later((p) => p.keys.preApprovedInvite(role, signaling, relays));
  }

  get signed(): boolean {
    return this.parts.keys.signed;
  }

  signAsDevice(message: string): Promise<{ key: string; sig: string } | null> {
    return this.later((p) => p.keys.signAsDevice(message));
  }

  /** Calls `listener` when the network key changes (a rotation), from before the parts are loaded. */
  onKeyChanged(listener: () => void): () => void {
    if (this.made) return this.made.keys.onKeyChanged(listener);
    return this.earlyKey.add(listener);
  }

  // The member log (store/members.ts).
  approveDevice(device: string, role?: Role): Promise<void> {
    return this.later((p) => p.members.approveDevice(device, role));
  }

  revokeDevice(device: string): Promise<{ cut: number }> {
    return this.later((p) => p.members.revokeDevice(device));
  }

  /** The form this device writes its entries in now: the newest every device reads (shared/entryForms.ts). */
  get entryForm(): EntryForm {
    return this.parts.ledger.entryForm;
  }

  // Devices that were away while the key rotated (store/catchUp.ts).
  get catchUpDays(): number {
    return this.parts.catchUp.catchUpDays;
  }

  /** Calls `listener` when what this device offers in earlier keys' rooms changes, from before the parts. */
  onCatchUpChanged(listener: () => void): () => void {
    if (this.made) return this.made.catchUp.onCatchUpChanged(listener);
    return this.earlyCatchUp.add(listener);
  }

  catchUpMaterial(): Promise<CatchUpMaterial | null> {
    return this.later((p) => p.catchUp.catchUpMaterial());
  }

  catchUpRooms(): { epoch: number; key: Uint8Array }[] {
    return this.parts.catchUp.catchUpRooms();
  }

  catchUpFrom(material: unknown): Promise<CatchUpResult> {
    return this.later((p) => p.catchUp.catchUpFrom(material));
  }

  setCatchUpDays(form: { days: string }): Promise<number> {
    return this.later((p) => p.catchUp.setCatchUpDays(form));
  }

  // The catalog, hubs and levels (store/settings.ts).
  itemsInDoc(): Map<string, Item> {
    return this.parts.settings.itemsInDoc();
  }

  /** The catalog a new or edited item is checked against: the doc's, or behind a checkpoint, its catalog's. */
  catalogForSave(): Promise<Map<string, Item>> {
    return this.later((p) => p.settings.catalogForSave());
  }

  saveItem(form: ItemForm, id?: string): Promise<Item> {
    return this.later((p) => p.settings.saveItem(form, id));
  }

  /** Creates many items at once, all or none (a sheet's import): Settings.saveItems. */
  saveItems(forms: readonly ItemForm[]): Promise<Item[]> {
    return this.later((p) => p.settings.saveItems(forms));
  }

  attachBarcode(itemId: string, code: string): Promise<Item> {
    return this.later((p) => p.settings.attachBarcode(itemId, code));
  }

  setLevels(itemId: string, form: LevelsForm, hub?: string): Promise<void> {
    return this.later((p) => p.settings.setLevels(itemId, form, hub));
  }

  setManyLevels(itemIds: readonly string[], form: LevelsForm, hub?: string): Promise<void> {
    return this.later((p) => p.settings.setManyLevels(itemIds, form, hub));
  }

  setCategoryLevels(category: string, form: LevelsForm, hub?: string): Promise<void> {
    return this.later((p) => p.settings.setCategoryLevels(category, form, hub));
  }

  updateHub(form: { name: string; address: string; publishAddress: boolean }, hub?: string): Promise<void> {
    return this.later((p) => p.settings.updateHub(form, hub));
  }

  ownHubName(): string | null {
    return this.hasParts ? this.parts.settings.ownHubName() : null;
  }

  // Transfers between hubs (store/transfers.ts).
  transfer(id: string): Promise<TransferView | null> {
    return this.later((p) => p.transfers.transfer(id));
  }

  requestTransfer(form: { item: string; from: string; to: string; quantity: string }) {
    return this.later((p) => p.transfers.requestTransfer(form));
  }

  sendTransfer(form: Parameters<Transfers['sendTransfer']>[0]) {
    return this.later((p) => p.transfers.sendTransfer(form));
  }

  receiveTransfer(id: string, quantity: string) {
    return this.later((p) => p.transfers.receiveTransfer(id, quantity));
  }

  settleTransfer(id: string, note: string) {
    return this.later((p) => p.transfers.settleTransfer(id, note));
  }

  // This device's ledger entries (store/ledger.ts).
  recordDonation(form: DonationForm) {
    return this.later((p) => p.ledger.recordDonation(form));
  }

  recordPickup(form: PickupForm) {
    return this.later((p) => p.ledger.recordPickup(form));
  }

  recordCount(form: CountForm) {
    return this.later((p) => p.ledger.recordCount(form));
  }

  recordDiscard(form: DiscardForm) {
    return this.later((p) => p.ledger.recordDiscard(form));
  }

  undo(entryId: string, note?: string): Promise<Reversal> {
    return this.later((p) => p.ledger.undo(entryId, note));
  }

  /** Undoes many entries in one commit (Ledger.undoMany): what was undone, and what could not be and why. */
  undoMany(entryIds: readonly string[], note?: string) {
    return this.later((p) => p.ledger.undoMany(entryIds, note));
  }

  // What comes from other devices: updates, sync files' keys (store/remote.ts).
  applyRemoteUpdate(update: Uint8Array, origin: string): Promise<IngestResult> {
    return this.later((p) => p.remote.applyRemoteUpdate(update, origin));
  }

  /** The parts of a state in parts (a sync file in parts), in order: see Remote.applyRemoteParts. */
  applyRemoteParts(parts: readonly Uint8Array[], origin: string): Promise<IngestResult> {
    return this.later((p) => p.remote.applyRemoteParts(parts, origin));
  }

  catchUpKeys(): Promise<SyncFileKeys | null> {
    return this.later((p) => p.remote.catchUpKeys());
  }

  keyFromCatchUp(catchUp: CatchUp | null): Promise<CryptoKey | null> {
    return this.later((p) => p.remote.keyFromCatchUp(catchUp));
  }

  /** The member list as the doc has it, once it is loaded (see StoreContext.currentMembers). */
  currentMembers(): Promise<MemberState | null> {
    return this.later((p) => p.ctx.currentMembers());
  }

  /** Sets aside something a peer sent that failed its checks: shown under Problems, never counted. */
  recordProblem(where: string, reason: DomainMessage, cause?: unknown): Promise<void> {
    return this.later((p) => p.ctx.recordProblem(where, reason, cause));
  }

  /** "Check data": every figure worked out again from the ledger and compared (DocPersistence.checkData). */
  checkData(): Promise<DataCheck> {
    return this.later(async (p) => {
      await p.ctx.ready;
      return p.ctx.persistence.checkData();
    });
  }

  /** The same check, and every figure that differs written again (DocPersistence.repairData). */
  repairData(): Promise<DataCheck> {
    return this.later(async (p) => {
      await p.ctx.ready;
      return p.ctx.persistence.repairData();
    });
  }

  rebuildProjections() {
    return this.later(async (p) => {
      await p.ctx.ready;
      return p.ctx.persistence.rebuild();
    });
  }

  close(): void {
    this.closed = true;
    this.made?.ctx.persistence.destroy();
    this.db.close();
  }
}

/** Listeners that subscribed before what they listen to was made: each attached to it once it is. */
class EarlyListeners<L> {
  /** Each listener, with its unsubscribe once attached. */
  private readonly listeners = new Map<L, (() => void) | null>();

  add(listener: L): () => void {
    this.listeners.set(listener, null);
    return () => {
      this.listeners.get(listener)?.();
      this.listeners.delete(listener);
    };
  }

  attach(subscribe: (listener: L) => () => void, then?: (listener: L) => void): void {
    for (const listener of this.listeners.keys()) {
      this.listeners.set(listener, subscribe(listener));
      then?.(listener);
    }
  }
}
