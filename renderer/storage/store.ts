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
import { secretBox, type SecretBox } from '../platform/secrets';
import type { LarderDB, SelfRow } from './db';
import type { DocPersistence } from './persistence';
import { KeySealer, sealingMiddleware } from './sealedKey';
import { KeyCatchUp } from './store/catchUp';
import { browserDeps, StoreContext, type StoreDeps } from './store/context';
import { Device } from './store/device';
import { NetworkKeys } from './store/keys';
import { Ledger } from './store/ledger';
import { Members } from './store/members';
import { Remote, type SyncFileKeys } from './store/remote';
import { Settings } from './store/settings';
import { Transfers } from './store/transfers';
import { Upgrade } from './store/upgrade';

export { browserDeps, type StoreDeps } from './store/context';

/**
 * The one way the app changes data: each method turns a form into doc changes through the pure commands,
 * and resolves only when they are committed in IndexedDB. Reads go straight to the Dexie tables.
 *
 * A thin facade: the work is done by one part per concern in ./store/ (device, settings, ledger,
 * transfers, members, keys, catchUp, remote, upgrade), each documented there, all sharing one
 * StoreContext (the database, the doc's persistence, this device's row and keys). This class opens the
 * store, wires the parts together and to what follows a load or a commit, and delegates.
 */
export class LarderStore {
  private readonly settings: Settings;
  private readonly ledger: Ledger;
  private readonly transfers: Transfers;
  private readonly keys: NetworkKeys;
  private readonly members: Members;
  private readonly catchUp: KeyCatchUp;
  private readonly remote: Remote;
  private readonly device: Device;
  private readonly upgrade: Upgrade;

  private constructor(private readonly ctx: StoreContext) {
    this.settings = new Settings(ctx);
    this.keys = new NetworkKeys(ctx);
    this.members = new Members(ctx, this.keys);
    this.catchUp = new KeyCatchUp(ctx, this.keys);
    this.remote = new Remote(ctx);
    this.device = new Device(ctx, this.members);
    this.ledger = new Ledger(ctx, this.settings);
    this.transfers = new Transfers(ctx, this.settings, this.ledger);
    this.upgrade = new Upgrade(ctx, this.keys, this.members, this.ledger);
    ctx.afterLoad = () => {
      this.ledger.noteLostEntries();
      void this.catchUp.refreshCatchUpDays().catch(() => undefined);
      void ctx.keepOwnVersions().catch(() => undefined);
    };
    this.ctx.persistence.onCommitted((commit) => {
      void this.catchUp.refreshCatchUpDays().catch(() => undefined);
      if (commit.settingsChanged) {
        void this.catchUp.noteCatchUpMaterial().catch(() => undefined);
        void this.keys
          .adoptRotation()
          .then(() => this.members.grantMissingKeys())
          .catch(() => undefined);
      }
      this.upgrade.followIfUpgraded();
    });
  }

  /**
   * Loads the network's doc (once). Reads never wait for it: the screens show the projections at once,
   * and the app starts the load after its first screen is up, because applying a large doc holds the
   * main thread for seconds. Writes and sync wait for it through `ready`.
   */
  load(): Promise<void> {
    return this.ctx.load();
  }

  /** Resolves when the doc is loaded (starting the load if nothing has yet). */
  get ready(): Promise<void> {
    return this.ctx.ready;
  }

  /**
   * Opens the device's store. `secrets` seals the network key at rest: the desktop app's keychain, or
   * nothing in a plain browser. A key kept in the clear is sealed at the first start that can seal it.
   */
  static async open(
    db: LarderDB,
    deps: StoreDeps = browserDeps,
    secrets: SecretBox | null = secretBox(),
  ): Promise<LarderStore> {
    const sealer = new KeySealer(secrets);
    db.use(sealingMiddleware(sealer));
    const [row, identity] = await Promise.all([db.meta.get('self'), db.meta.get('identity')]);
    const self = row?.key === 'self' ? await sealer.open(row) : null;
    if (self && row?.key === 'self' && sealer.needsSealing(row)) {
      await sealer.prepare(self);
      await db.meta.put(self);
    }
    return new LarderStore(
      new StoreContext(db, deps, sealer, self, identity?.key === 'identity' ? identity : null),
    );
  }

  get db(): LarderDB {
    return this.ctx.db;
  }

  get persistence(): DocPersistence {
    return this.ctx.persistence;
  }

  get self(): SelfRow | null {
    return this.ctx.self;
  }

  /**
   * This device's own settings as of their last change, in a box that is new each time they change (set up,
   * hub chosen, network key taken up, moved to signed entries): a snapshot for `useSyncExternalStore`.
   */
  get selfSnapshot(): { readonly row: SelfRow | null } {
    return this.ctx.selfSnapshot;
  }

  /** Calls `listener` whenever this device's own settings change; returns how to stop. */
  onSelfChanged(listener: () => void): () => void {
    return this.ctx.onSelfChanged(listener);
  }

  // Moving a network from before signing to signed entries (store/upgrade.ts).
  upgradeToSigned(): Promise<SelfRow> {
    return this.upgrade.upgradeToSigned();
  }

  followUpgrade(): Promise<void> {
    return this.upgrade.followUpgrade();
  }

  // This device's own settings (store/device.ts).
  createNetwork(form: { hubName: string; deviceName: string }): Promise<SelfRow> {
    return this.device.createNetwork(form);
  }

  joinNetwork(form: { invite: string; deviceName: string; asCoordinator?: boolean }): Promise<SelfRow> {
    return this.device.joinNetwork(form);
  }

  chooseHub(choice: { hubId: string } | { newHubName: string }): Promise<SelfRow> {
    return this.device.chooseHub(choice);
  }

  setSignaling(urls: string[]): Promise<void> {
    return this.device.setSignaling(urls);
  }

  // The network key, invites, this device's signature (store/keys.ts).
  secrets(): Promise<NetworkSecrets> {
    return this.keys.secrets();
  }

  inviteCode(signaling?: string[], relays?: string[]): string {
    return this.keys.inviteCode(signaling, relays);
  }

  preApprovedInvite(role?: 'hub' | 'coordinator', signaling?: string[], relays?: string[]): Promise<string> {
    return this.keys.preApprovedInvite(role, signaling, relays);
  }

  get signed(): boolean {
    return this.keys.signed;
  }

  signAsDevice(message: string): Promise<{ key: string; sig: string } | null> {
    return this.keys.signAsDevice(message);
  }

  onKeyChanged(listener: () => void): () => void {
    return this.keys.onKeyChanged(listener);
  }

  // The member log (store/members.ts).
  approveDevice(device: string, role?: Role): Promise<void> {
    return this.members.approveDevice(device, role);
  }

  revokeDevice(device: string): Promise<{ cut: number }> {
    return this.members.revokeDevice(device);
  }

  // Devices that were away while the key rotated (store/catchUp.ts).
  get catchUpDays(): number {
    return this.catchUp.catchUpDays;
  }

  onCatchUpChanged(listener: () => void): () => void {
    return this.catchUp.onCatchUpChanged(listener);
  }

  catchUpMaterial(): Promise<CatchUpMaterial | null> {
    return this.catchUp.catchUpMaterial();
  }

  catchUpRooms(): { epoch: number; key: Uint8Array }[] {
    return this.catchUp.catchUpRooms();
  }

  catchUpFrom(material: unknown): Promise<CatchUpResult> {
    return this.catchUp.catchUpFrom(material);
  }

  setCatchUpDays(form: { days: string }): Promise<number> {
    return this.catchUp.setCatchUpDays(form);
  }

  // The catalog, hubs and levels (store/settings.ts).
  itemsInDoc(): Map<string, Item> {
    return this.settings.itemsInDoc();
  }

  saveItem(form: ItemForm, id?: string): Promise<Item> {
    return this.settings.saveItem(form, id);
  }

  attachBarcode(itemId: string, code: string): Promise<Item> {
    return this.settings.attachBarcode(itemId, code);
  }

  setLevels(itemId: string, form: LevelsForm, hub?: string): Promise<void> {
    return this.settings.setLevels(itemId, form, hub);
  }

  setManyLevels(itemIds: readonly string[], form: LevelsForm, hub?: string): Promise<void> {
    return this.settings.setManyLevels(itemIds, form, hub);
  }

  setCategoryLevels(category: string, form: LevelsForm, hub?: string): Promise<void> {
    return this.settings.setCategoryLevels(category, form, hub);
  }

  updateHub(form: { name: string; address: string; publishAddress: boolean }, hub?: string): Promise<void> {
    return this.settings.updateHub(form, hub);
  }

  ownHubName(): string | null {
    return this.settings.ownHubName();
  }

  // Transfers between hubs (store/transfers.ts).
  transfer(id: string): Promise<TransferView | null> {
    return this.transfers.transfer(id);
  }

  requestTransfer(form: { item: string; from: string; to: string; quantity: string }) {
    return this.transfers.requestTransfer(form);
  }

  sendTransfer(form: Parameters<Transfers['sendTransfer']>[0]) {
    return this.transfers.sendTransfer(form);
  }

  receiveTransfer(id: string, quantity: string) {
    return this.transfers.receiveTransfer(id, quantity);
  }

  settleTransfer(id: string, note: string) {
    return this.transfers.settleTransfer(id, note);
  }

  // This device's ledger entries (store/ledger.ts).
  recordDonation(form: DonationForm) {
    return this.ledger.recordDonation(form);
  }

  recordPickup(form: PickupForm) {
    return this.ledger.recordPickup(form);
  }

  recordCount(form: CountForm) {
    return this.ledger.recordCount(form);
  }

  recordDiscard(form: DiscardForm) {
    return this.ledger.recordDiscard(form);
  }

  undo(entryId: string, note?: string): Promise<Reversal> {
    return this.ledger.undo(entryId, note);
  }

  // What comes from other devices: updates, sync files' keys (store/remote.ts).
  applyRemoteUpdate(update: Uint8Array, origin: string): Promise<IngestResult> {
    return this.remote.applyRemoteUpdate(update, origin);
  }

  /** The parts of a state in parts (a sync file in parts), in order: see Remote.applyRemoteParts. */
  applyRemoteParts(parts: readonly Uint8Array[], origin: string): Promise<IngestResult> {
    return this.remote.applyRemoteParts(parts, origin);
  }

  catchUpKeys(): Promise<SyncFileKeys | null> {
    return this.remote.catchUpKeys();
  }

  keyFromCatchUp(catchUp: CatchUp | null): Promise<CryptoKey | null> {
    return this.remote.keyFromCatchUp(catchUp);
  }

  /** The member list as the doc has it, once it is loaded (see StoreContext.currentMembers). */
  currentMembers(): Promise<MemberState | null> {
    return this.ctx.currentMembers();
  }

  /** Sets aside something a peer sent that failed its checks: shown under Problems, never counted. */
  recordProblem(where: string, reason: DomainMessage, cause?: unknown): Promise<void> {
    return this.ctx.recordProblem(where, reason, cause);
  }

  async rebuildProjections() {
    await this.ctx.ready;
    return this.ctx.persistence.rebuild();
  }

  close(): void {
    this.ctx.persistence.destroy();
    this.ctx.db.close();
  }
}
