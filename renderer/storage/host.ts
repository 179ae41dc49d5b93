import type { Item, ItemForm } from '../../shared/catalog';
import type { CountForm, DiscardForm, DonationForm, PickupForm } from '../../shared/commands';
import type { Reversal } from '../../shared/entries';
import type { LevelsForm } from '../../shared/levels';
import type { TransferView } from '../../shared/transfers';
import type { Role } from '../../shared/trust/members';
import type { LarderDB, SelfRow } from './db';
import type { DataCheck } from './check';
import type { Commit, RebuildProgress } from './persistence';
import type { Ledger } from './store/ledger';
import type { Transfers } from './store/transfers';

/**
 * What the page's screens, hooks and data modules have of the device's store: the store as a host of the doc
 * that the page talks to (docs/worker.md, step 1). `LarderStore` is that host on the page today; a Worker's
 * proxy of the same type is the next step, so nothing here hands out the doc, its persistence or anything
 * that only lives where the doc does. Sync (renderer/sync) is the doc's other user and takes the store
 * itself; the page reaches sync files through `SyncControl`, which the app makes beside the store.
 *
 * Three kinds of member, each of which a proxy can answer over `postMessage`:
 * - commands (`StoreCommands`): every one returns a promise, resolved once what it did is committed;
 * - state (`StoreState`): answered at once, from a copy the host keeps up to date and says has changed
 *   through one of the events;
 * - events (`StoreEvents`): a listener in, a way to stop out.
 *
 * And the device's database, whose reads stay on the page (Dexie tells every context of the origin of a
 * commit, so the page's live queries follow a Worker's writes).
 */
export interface StoreHost extends StoreCommands, StoreState, StoreEvents {
  readonly db: LarderDB;
}

/** What changes data, or asks the host for something: every member returns a promise. */
export interface StoreCommands {
  /** Resolves when the doc is loaded (starting the load if nothing has yet). */
  readonly ready: Promise<void>;
  // This device's own settings.
  createNetwork(form: { hubName: string; deviceName: string }): Promise<SelfRow>;
  joinNetwork(form: { invite: string; deviceName: string; asCoordinator?: boolean }): Promise<SelfRow>;
  chooseHub(choice: { hubId: string } | { newHubName: string }): Promise<SelfRow>;
  setSignaling(urls: string[]): Promise<void>;
  upgradeToSigned(): Promise<SelfRow>;
  // Invites and the member log.
  inviteCode(signaling?: string[], relays?: string[]): Promise<string>;
  preApprovedInvite(role?: 'hub' | 'coordinator', signaling?: string[], relays?: string[]): Promise<string>;
  approveDevice(device: string, role?: Role): Promise<void>;
  revokeDevice(device: string): Promise<{ cut: number }>;
  setCatchUpDays(form: { days: string }): Promise<number>;
  // The catalog, hubs and levels.
  catalogForSave(): Promise<Map<string, Item>>;
  saveItem(form: ItemForm, id?: string): Promise<Item>;
  saveItems(forms: readonly ItemForm[]): Promise<Item[]>;
  attachBarcode(itemId: string, code: string): Promise<Item>;
  setLevels(itemId: string, form: LevelsForm, hub?: string): Promise<void>;
  setManyLevels(itemIds: readonly string[], form: LevelsForm, hub?: string): Promise<void>;
  setCategoryLevels(category: string, form: LevelsForm, hub?: string): Promise<void>;
  updateHub(form: { name: string; address: string; publishAddress: boolean }, hub?: string): Promise<void>;
  // Transfers between hubs.
  transfer(id: string): Promise<TransferView | null>;
  requestTransfer(
    form: Parameters<Transfers['requestTransfer']>[0],
  ): ReturnType<Transfers['requestTransfer']>;
  sendTransfer(form: Parameters<Transfers['sendTransfer']>[0]): ReturnType<Transfers['sendTransfer']>;
  receiveTransfer(id: string, quantity: string): ReturnType<Transfers['receiveTransfer']>;
  settleTransfer(id: string, note: string): ReturnType<Transfers['settleTransfer']>;
  // This device's ledger entries.
  recordDonation(form: DonationForm): ReturnType<Ledger['recordDonation']>;
  recordPickup(form: PickupForm): ReturnType<Ledger['recordPickup']>;
  recordCount(form: CountForm): ReturnType<Ledger['recordCount']>;
  recordDiscard(form: DiscardForm): ReturnType<Ledger['recordDiscard']>;
  undo(entryId: string, note?: string): Promise<Reversal>;
  undoMany(entryIds: readonly string[], note?: string): ReturnType<Ledger['undoMany']>;
  // "Check data": every figure against the ledger; repaired, if asked.
  checkData(): Promise<DataCheck>;
  repairData(): Promise<DataCheck>;
}

/**
 * What the host answers at once. Each is a copy a proxy keeps: `self` and `selfSnapshot` change with
 * `onSelfChanged`, the progress and backlog figures with `onBacklog`, `catchUpDays` with `onCatchUpChanged`;
 * `signed` and `ownHubName` with `onSelfChanged` or a commit of the settings (`onCommitted`).
 */
export interface StoreState {
  readonly self: SelfRow | null;
  /** A box that is new each time this device's settings change: a snapshot for `useSyncExternalStore`. */
  readonly selfSnapshot: { readonly row: SelfRow | null };
  readonly signed: boolean;
  ownHubName(): string | null;
  readonly catchUpDays: number;
  /** Entries of a very large update not yet added to the figures. */
  readonly unprojected: number;
  readonly loadProgress: { done: number; total: number; startedAt: number } | null;
  readonly figuresProgress: { done: number; total: number; startedAt: number } | null;
  readonly rebuildProgress: RebuildProgress | null;
  readonly checkpointProgress: { arrived: number; covered: number } | null;
  readonly takesEarlySaves: boolean;
  readonly takesSavesWhileRebuilding: boolean;
  readonly savesWaitForDoc: boolean;
}

/** What the host tells: each takes a listener and returns how to stop. */
export interface StoreEvents {
  /** Each commit of the projections: the entries and settings it wrote. */
  onCommitted(listener: (commit: Commit) => void): () => void;
  /** The backlog, or the progress of a load, a rebuild or the history behind a checkpoint, changed. */
  onBacklog(listener: () => void): () => void;
  onSelfChanged(listener: () => void): () => void;
  onCatchUpChanged(listener: () => void): () => void;
}

/** The members of `T` that are functions not returning a promise (none, for commands). */
type NotAsync<T> = {
  [K in keyof T]: T[K] extends (...args: never[]) => infer R
    ? R extends Promise<unknown>
      ? never
      : K
    : never;
}[keyof T];

/** Fails to compile if a command answers other than with a promise: a proxy could not answer it. */
export type CommandsAreAsync = NotAsync<StoreCommands> extends never ? true : never;
const commandsAreAsync: CommandsAreAsync = true;
void commandsAreAsync;
