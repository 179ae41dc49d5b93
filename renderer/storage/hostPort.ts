import { BelowZeroWarning } from '../../shared/belowZero';
import { ValidationError, type ValidationIssue } from '../../shared/errors';
import type { LarderDB, SelfRow } from './db';
import type { StoreCommands, StoreEvents, StoreHost, StoreState } from './host';
import type { Commit } from './persistence';
import { EarlierSaveFailed } from './saveErrors';

/**
 * The store served over a message port (docs/worker.md, step 2): `serveStore` answers at one end for a
 * store it holds (a Worker's, where the doc lives), and `PortHost` is the `StoreHost` the page has at the
 * other. Every command is a call answered once the store's promise settles; the store's state is copied to
 * the page with every change the store tells of (and with every answer), before the event itself, so a
 * listener reads the new state; a commit goes over as it is (its entries and the kinds of settings).
 *
 * Errors cross as what the forms tell apart (renderer/app/errors.ts): a form's problems (ValidationError,
 * with its issues), a pickup below zero (with its shortfalls), a save refused after an earlier one failed,
 * and a full disk (QuotaExceededError, however deep Dexie wrapped it); any other as its name and message.
 * Comlink, which the plan named, hands back errors as their message and stack only, and has no state that
 * answers at once: this is the few lines that do both.
 */

/** Every command of `StoreCommands`, by name: what the host answers (a name not in it is refused). */
export const COMMANDS = [
  'ready',
  'createNetwork',
  'joinNetwork',
  'chooseHub',
  'setSignaling',
  'upgradeToSigned',
  'inviteCode',
  'preApprovedInvite',
  'approveDevice',
  'revokeDevice',
  'setCatchUpDays',
  'catalogForSave',
  'saveItem',
  'saveItems',
  'attachBarcode',
  'setLevels',
  'setManyLevels',
  'setCategoryLevels',
  'updateHub',
  'transfer',
  'requestTransfer',
  'sendTransfer',
  'receiveTransfer',
  'settleTransfer',
  'recordDonation',
  'recordPickup',
  'recordCount',
  'recordDiscard',
  'undo',
  'undoMany',
  'checkData',
  'repairData',
] as const satisfies readonly (keyof StoreCommands)[];

type Command = (typeof COMMANDS)[number];
/** Fails to compile if a command of StoreCommands is missing from COMMANDS. */
export type EveryCommand = Exclude<keyof StoreCommands, Command> extends never ? true : never;
const everyCommand: EveryCommand = true;
void everyCommand;

/** The store's state as the page keeps it (StoreState's members that are not functions, and two that are). */
export interface StateCopy {
  self: SelfRow | null;
  /** Counts the changes of `self`: a copy comes with every message, a new snapshot only with a change. */
  selfVersion: number;
  signed: boolean;
  ownHubName: string | null;
  catchUpDays: number;
  unprojected: number;
  loadProgress: StoreState['loadProgress'];
  figuresProgress: StoreState['figuresProgress'];
  rebuildProgress: StoreState['rebuildProgress'];
  checkpointProgress: StoreState['checkpointProgress'];
  takesEarlySaves: boolean;
  takesSavesWhileRebuilding: boolean;
  savesWaitForDoc: boolean;
  /** The host's `performance.timeOrigin`: the progress' `startedAt` are on its clock. */
  timeOrigin: number;
}

export type SentError =
  | { kind: 'validation'; issues: ValidationIssue[] }
  | { kind: 'belowZero'; shortfalls: BelowZeroWarning['shortfalls'] }
  | { kind: 'earlierSaveFailed' }
  | { kind: 'other'; name: string; message: string; quota: boolean };

/** From the page: a command, or "hello" (the page asks for the state to start from). */
export type ToHost = { call: number; command: Command; args: unknown[] } | { hello: true };

/** From the host. */
export type FromHost =
  | { answer: number; value: unknown; state: StateCopy }
  | { answer: number; error: SentError; state: StateCopy }
  | { state: StateCopy; told: 'backlog' | 'self' | 'catchUp' }
  | { state: StateCopy; committed: Commit };

/** What `serveStore` and `PortHost` need of a port: a MessagePort, or a Worker and its `self`. */
export interface Port {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  start?(): void;
}

/** What the host reads of the store: the page's interface, which `LarderStore` implements. */
type Served = StoreCommands & StoreState & StoreEvents;

/** The store's state, as copied to the page (`selfVersion`: see StateCopy). */
export function stateOf(store: Served, selfVersion = 0): StateCopy {
  return {
    self: store.self,
    selfVersion,
    signed: orElse(() => store.signed, false),
    ownHubName: store.ownHubName(),
    catchUpDays: orElse(() => store.catchUpDays, 0),
    unprojected: store.unprojected,
    loadProgress: store.loadProgress,
    figuresProgress: store.figuresProgress,
    rebuildProgress: store.rebuildProgress,
    checkpointProgress: store.checkpointProgress,
    takesEarlySaves: store.takesEarlySaves,
    takesSavesWhileRebuilding: store.takesSavesWhileRebuilding,
    savesWaitForDoc: store.savesWaitForDoc,
    timeOrigin: performance.timeOrigin,
  };
}

/** The state of a store opened with its parts later, as the page reads it itself (`PortHost.provisional`). */
function provisionalState(self: SelfRow | null): StateCopy {
  return {
    self,
    // Never a host's (they count from 0): the host's first state replaces it.
    selfVersion: -1,
    signed: false,
    ownHubName: null,
    catchUpDays: 0,
    unprojected: 0,
    loadProgress: null,
    figuresProgress: null,
    rebuildProgress: null,
    checkpointProgress: null,
    takesEarlySaves: false,
    takesSavesWhileRebuilding: false,
    savesWaitForDoc: false,
    timeOrigin: performance.timeOrigin,
  };
}

/** Whether two reads of this device's settings hold the same (rows from IndexedDB: plain data). */
function sameRow(a: SelfRow | null, b: SelfRow | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `read()`, or `fallback` while the store cannot answer it yet (its code still loading). */
function orElse<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/**
 * Answers the calls that come through `port` with `store`'s commands, and tells the other end of its state
 * and events. Returns how to stop (the store is not closed).
 */
export function serveStore(store: Served, port: Port): () => void {
  const send = (message: FromHost) => port.postMessage(message);
  // The store's snapshot of this device's settings is a new box at each change.
  let box = store.selfSnapshot;
  let selfVersion = 0;
  const state = () => {
    if (store.selfSnapshot !== box) {
      box = store.selfSnapshot;
      selfVersion++;
    }
    return stateOf(store, selfVersion);
  };
  const onMessage = (event: MessageEvent) => {
    const message = event.data as {
      call?: unknown;
      command?: unknown;
      args?: unknown;
      hello?: unknown;
    } | null;
    if (message?.hello === true) return send({ state: state(), told: 'self' });
    if (typeof message?.call !== 'number') return;
    const { call } = message;
    const command = String(message.command);
    const args = Array.isArray(message.args) ? message.args : [];
    if (!COMMANDS.includes(command as Command)) {
      const error: SentError = {
        kind: 'other',
        name: 'TypeError',
        message: `No such command: ${command}`,
        quota: false,
      };
      send({ answer: call, error, state: state() });
      return;
    }
    run(store, command as Command, args).then(
      (value) => send({ answer: call, value, state: state() }),
      (error: unknown) => send({ answer: call, error: sendError(error), state: state() }),
    );
  };
  port.addEventListener('message', onMessage);
  port.start?.();
  const stops = [
    store.onBacklog(() => send({ state: state(), told: 'backlog' })),
    store.onSelfChanged(() => send({ state: state(), told: 'self' })),
    store.onCatchUpChanged(() => send({ state: state(), told: 'catchUp' })),
    store.onCommitted((committed) => send({ state: state(), committed })),
  ];
  // The first state, for a page already connecting (one that connects later says hello).
  send({ state: state(), told: 'self' });
  return () => {
    port.removeEventListener('message', onMessage);
    for (const stop of stops) stop();
  };
}

function run(store: Served, command: Command, args: unknown[]): Promise<unknown> {
  return Promise.resolve().then(() => {
    if (command === 'ready') return store.ready;
    const method = store[command] as (...args: unknown[]) => Promise<unknown>;
    return method.apply(store, args);
  });
}

/** An error as it crosses to the page (see the module's comment). */
export function sendError(error: unknown): SentError {
  if (error instanceof ValidationError) return { kind: 'validation', issues: [...error.issues] };
  if (error instanceof BelowZeroWarning) return { kind: 'belowZero', shortfalls: error.shortfalls };
  if (error instanceof EarlierSaveFailed) return { kind: 'earlierSaveFailed' };
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  return { kind: 'other', name, message, quota: isQuota(error) };
}

/** The error `sendError` sent, made again on the page. */
export function receivedError(sent: SentError): Error {
  switch (sent.kind) {
    case 'validation':
      return new ValidationError(sent.issues);
    case 'belowZero':
      return new BelowZeroWarning(sent.shortfalls);
    case 'earlierSaveFailed':
      return new EarlierSaveFailed();
    case 'other': {
      const error = new Error(sent.message);
      error.name = sent.name;
      if (sent.quota && sent.name !== 'QuotaExceededError') error.cause = { name: 'QuotaExceededError' };
      return error;
    }
  }
}

/** A full disk, however deep it is wrapped (Dexie's `inner`, a `cause`). */
function isQuota(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    if ((e as { name?: unknown }).name === 'QuotaExceededError') return true;
    e = (e as { inner?: unknown; cause?: unknown }).inner ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The store as the page has it when the store lives at the other end of a port (`serveStore`): commands
 * are calls, state is the copy last sent, events are the host's, told in order. `db` is the page's own
 * handle on the same database (its reads stay on the page).
 */
export class PortHost implements StoreHost {
  private state: StateCopy;
  private box: { readonly row: SelfRow | null };
  private next = 0;
  /** The state is the page's own read (`provisional`) until the host's first comes. */
  private provisional = false;
  /** Why the host can answer no more (`stop`), once it cannot. */
  private stopped: Error | null = null;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = {
    backlog: new Set<() => void>(),
    self: new Set<() => void>(),
    catchUp: new Set<() => void>(),
    committed: new Set<(commit: Commit) => void>(),
  };

  private constructor(
    readonly db: LarderDB,
    private readonly port: Port,
    first: StateCopy,
  ) {
    this.state = first;
    this.box = { row: first.self };
    port.addEventListener('message', (event) => this.heard(event.data as FromHost));
  }

  /** Resolves with the page's host once the store at the other end has sent its state. */
  static connect(db: LarderDB, port: Port): Promise<PortHost> {
    return new Promise((resolve) => {
      const first = (event: MessageEvent) => {
        const message = event.data as FromHost;
        if (!('told' in message)) return;
        port.removeEventListener('message', first);
        resolve(new PortHost(db, port, message.state));
      };
      port.addEventListener('message', first);
      port.start?.();
      const hello: ToHost = { hello: true };
      port.postMessage(hello);
    });
  }

  /**
   * The page's host at once, before the store at the other end has opened: its state is what the page read
   * itself of this device's settings (`self`: the stored row, its keys opened), until the host's first state
   * comes. Calls wait in the port meanwhile. The host's state is taken as it comes; its settings keep the
   * page's snapshot if they are the same, so the screens drawn from it are not drawn again.
   */
  static provisional(db: LarderDB, port: Port, self: SelfRow | null): PortHost {
    const host = new PortHost(db, port, provisionalState(self));
    host.provisional = true;
    port.start?.();
    return host;
  }

  /** Whether the state is still the page's own read (`provisional`): the host has not answered yet. */
  get answered(): boolean {
    return !this.provisional;
  }

  private heard(message: FromHost): void {
    // The port may carry other messages too (a Worker's own, beside the store's): not the store's, not read.
    if (typeof message !== 'object' || message === null || !('state' in message)) return;
    const same = this.provisional && sameRow(this.state.self, message.state.self);
    this.provisional = false;
    if (message.state.selfVersion !== this.state.selfVersion && !same) this.box = { row: message.state.self };
    this.state = message.state;
    if ('answer' in message) {
      const call = this.calls.get(message.answer);
      this.calls.delete(message.answer);
      if ('error' in message) call?.reject(receivedError(message.error));
      else call?.resolve(message.value);
      return;
    }
    if ('committed' in message) {
      for (const listener of [...this.listeners.committed]) listener(message.committed);
      return;
    }
    for (const listener of [...this.listeners[message.told]]) listener();
  }

  private call<T>(command: Command, ...args: unknown[]): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const call = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(call, { resolve: resolve as (v: unknown) => void, reject });
      const message: ToHost = { call, command, args };
      try {
        this.port.postMessage(message);
      } catch (error) {
        // Arguments that cannot be copied (a function in a form, say): refused here, nothing sent.
        this.calls.delete(call);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /**
   * The host at the other end stopped (its Worker failed or was ended): every call waiting for an answer,
   * and every later one, is refused with `reason`, so that no form waits for ever for a save that will not
   * come. What the host had committed before is in the database.
   */
  stop(reason: Error): void {
    this.stopped ??= reason;
    for (const { reject } of this.calls.values()) reject(this.stopped);
    this.calls.clear();
  }

  /** Whether the page has asked the host anything yet (until then the host has written nothing). */
  get asked(): boolean {
    return this.next > 0;
  }

  /** Asks the host for its state again (it changed without an event: its code loaded, say). */
  refresh(): void {
    if (this.stopped) return;
    const hello: ToHost = { hello: true };
    this.port.postMessage(hello);
  }

  private listen<L>(set: Set<L>, listener: L): () => void {
    set.add(listener);
    return () => set.delete(listener);
  }

  // Events.
  onBacklog(listener: () => void): () => void {
    return this.listen(this.listeners.backlog, listener);
  }
  onSelfChanged(listener: () => void): () => void {
    return this.listen(this.listeners.self, listener);
  }
  onCatchUpChanged(listener: () => void): () => void {
    return this.listen(this.listeners.catchUp, listener);
  }
  onCommitted(listener: (commit: Commit) => void): () => void {
    return this.listen(this.listeners.committed, listener);
  }

  // State, from the copy last sent.
  get self(): SelfRow | null {
    return this.state.self;
  }
  get selfSnapshot(): { readonly row: SelfRow | null } {
    return this.box;
  }
  get signed(): boolean {
    return this.state.signed;
  }
  ownHubName(): string | null {
    return this.state.ownHubName;
  }
  get catchUpDays(): number {
    return this.state.catchUpDays;
  }
  get unprojected(): number {
    return this.state.unprojected;
  }
  get loadProgress() {
    return this.onPageClock(this.state.loadProgress);
  }
  get figuresProgress() {
    return this.onPageClock(this.state.figuresProgress);
  }
  get rebuildProgress() {
    return this.state.rebuildProgress;
  }
  get checkpointProgress() {
    return this.state.checkpointProgress;
  }
  get takesEarlySaves(): boolean {
    return this.state.takesEarlySaves;
  }
  get takesSavesWhileRebuilding(): boolean {
    return this.state.takesSavesWhileRebuilding;
  }
  get savesWaitForDoc(): boolean {
    return this.state.savesWaitForDoc;
  }

  /** A progress whose `startedAt` is on the host's clock (a Worker's starts when it does), on the page's. */
  private onPageClock<P extends { startedAt: number }>(progress: P | null): P | null {
    if (!progress) return null;
    return { ...progress, startedAt: progress.startedAt + this.state.timeOrigin - performance.timeOrigin };
  }

  // Commands.
  get ready(): Promise<void> {
    return this.call('ready');
  }
  createNetwork: StoreCommands['createNetwork'] = (...a) => this.call('createNetwork', ...a);
  joinNetwork: StoreCommands['joinNetwork'] = (...a) => this.call('joinNetwork', ...a);
  chooseHub: StoreCommands['chooseHub'] = (...a) => this.call('chooseHub', ...a);
  setSignaling: StoreCommands['setSignaling'] = (...a) => this.call('setSignaling', ...a);
  upgradeToSigned: StoreCommands['upgradeToSigned'] = (...a) => this.call('upgradeToSigned', ...a);
  inviteCode: StoreCommands['inviteCode'] = (...a) => this.call('inviteCode', ...a);
  preApprovedInvite: StoreCommands['preApprovedInvite'] = (...a) => this.call('preApprovedInvite', ...a);
  approveDevice: StoreCommands['approveDevice'] = (...a) => this.call('approveDevice', ...a);
  revokeDevice: StoreCommands['revokeDevice'] = (...a) => this.call('revokeDevice', ...a);
  setCatchUpDays: StoreCommands['setCatchUpDays'] = (...a) => this.call('setCatchUpDays', ...a);
  catalogForSave: StoreCommands['catalogForSave'] = (...a) => this.call('catalogForSave', ...a);
  saveItem: StoreCommands['saveItem'] = (...a) => this.call('saveItem', ...a);
  saveItems: StoreCommands['saveItems'] = (...a) => this.call('saveItems', ...a);
  attachBarcode: StoreCommands['attachBarcode'] = (...a) => this.call('attachBarcode', ...a);
  setLevels: StoreCommands['setLevels'] = (...a) => this.call('setLevels', ...a);
  setManyLevels: StoreCommands['setManyLevels'] = (...a) => this.call('setManyLevels', ...a);
  setCategoryLevels: StoreCommands['setCategoryLevels'] = (...a) => this.call('setCategoryLevels', ...a);
  updateHub: StoreCommands['updateHub'] = (...a) => this.call('updateHub', ...a);
  transfer: StoreCommands['transfer'] = (...a) => this.call('transfer', ...a);
  requestTransfer: StoreCommands['requestTransfer'] = (...a) => this.call('requestTransfer', ...a);
  sendTransfer: StoreCommands['sendTransfer'] = (...a) => this.call('sendTransfer', ...a);
  receiveTransfer: StoreCommands['receiveTransfer'] = (...a) => this.call('receiveTransfer', ...a);
  settleTransfer: StoreCommands['settleTransfer'] = (...a) => this.call('settleTransfer', ...a);
  recordDonation: StoreCommands['recordDonation'] = (...a) => this.call('recordDonation', ...a);
  recordPickup: StoreCommands['recordPickup'] = (...a) => this.call('recordPickup', ...a);
  recordCount: StoreCommands['recordCount'] = (...a) => this.call('recordCount', ...a);
  recordDiscard: StoreCommands['recordDiscard'] = (...a) => this.call('recordDiscard', ...a);
  undo: StoreCommands['undo'] = (...a) => this.call('undo', ...a);
  undoMany: StoreCommands['undoMany'] = (...a) => this.call('undoMany', ...a);
  checkData: StoreCommands['checkData'] = (...a) => this.call('checkData', ...a);
  repairData: StoreCommands['repairData'] = (...a) => this.call('repairData', ...a);
}
