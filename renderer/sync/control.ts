import { onceUntilFailed } from '../../shared/lazy';
import type { LarderStore } from '../storage/store';
import type { RelayStatus } from './relay';
import type { SyncService as Service, SyncOptions, SyncStatus } from './webrtc';
import type { ExportedSyncFile, ExportOptions, ImportOptions, ImportResult, KnownPeer } from './syncFiles';

/** The sync service's module (webrtc.ts and what it imports), once loaded: one for the page. */
let serviceModule: { SyncService: typeof Service } | null = null;
// A load that failed (the page's server gone for a moment, on a hub's LAN) is tried again next time.
const loadServiceModule = onceUntilFailed(() => import('./webrtc'));

// Sync files' code (syncFiles.ts), loaded when a screen first writes, reads or lists them.
const loadFilesModule = onceUntilFailed(() => import('./syncFiles'));

const STOPPED: SyncStatus = { running: false, signaling: [], connected: 0, peers: [] };

/** What the screens have of the relays' rounds (relay.ts `RelayService`). */
export interface RelayHandle {
  status(): RelayStatus[];
  subscribe(listener: () => void): () => void;
  /** A round with every relay now; resolves when all are done (errors are in the status). */
  syncNow(): Promise<void>;
}

/**
 * What the page has of sync: `SyncControl` where the doc is on the page, its proxy over a port
 * (controlPort.ts `SyncPort`) where the doc is in the device's Worker (docs/worker.md).
 */
export interface SyncHandle {
  start(): Promise<void>;
  restart(): Promise<void>;
  stop(): void;
  /** Answered at once; a new object only when it changed (for `useSyncExternalStore`). */
  status(): SyncStatus;
  subscribe(listener: () => void): () => void;
  exportFile(options?: ExportOptions): Promise<ExportedSyncFile>;
  importFile(bytes: Uint8Array, options?: ImportOptions): Promise<ImportResult>;
  knownPeers(): Promise<KnownPeer[]>;
  readonly relay: RelayHandle;
}

/**
 * The app's handle on sync (SyncService, webrtc.ts), from its first screen: sync's code (WebRTC, the relay,
 * sync files, sealed catch-up) is not needed before sync starts, which the app does once its first screen is
 * painted, so the service's module loads then. Until then the status is "not running"; `relay` is for the
 * screens loaded after it (renderer/app/lazyScreen.ts).
 *
 * Sync files go through it too: they are written and read where the doc is, beside the store (the page's,
 * for now), so the screens hand over bytes and get bytes back, and never hold the store's doc
 * (renderer/storage/host.ts).
 */
export class SyncControl implements SyncHandle {
  private service: Service | null = null;
  private readonly listeners = new Set<() => void>();

  /** `options`: what the service reaches through its page when it runs in a Worker (webrtc.ts). */
  constructor(
    private readonly store: LarderStore,
    private readonly options: SyncOptions = {},
  ) {}

  /**
   * Keeps sync in the right rooms while it runs: a key rotation (a device was revoked) moves it to a new
   * room with a new password; a change of what this device offers in earlier keys' rooms (an admin's
   * waiting time, or a grant to a device approved since the rotation) joins them again with it.
   */
  followStore(): void {
    const restart = () => {
      if (this.status().running) void this.restart();
    };
    this.store.onKeyChanged(restart);
    this.store.onCatchUpChanged(restart);
  }

  /** Loads the sync service's module (once for the page). */
  static load(): Promise<void> {
    return loadServiceModule().then((module) => {
      serviceModule = module;
    });
  }

  /** The service, made the first time it is asked for (its module must be loaded). */
  private get made(): Service {
    if (this.service) return this.service;
    if (!serviceModule)
      throw new Error('Sync was asked for its service before it was loaded (SyncControl.load)');
    const service = new serviceModule.SyncService(this.store, this.options);
    service.subscribe(() => {
      for (const listener of [...this.listeners]) listener();
    });
    this.service = service;
    // Its status is the service's from now on (a new snapshot): whoever shows it reads it again.
    for (const listener of [...this.listeners]) listener();
    return service;
  }

  async start(): Promise<void> {
    await SyncControl.load();
    await this.made.start();
  }

  async restart(): Promise<void> {
    await SyncControl.load();
    await this.made.restart();
  }

  stop(): void {
    this.service?.stop();
  }

  status(): SyncStatus {
    return this.service?.status() ?? STOPPED;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A sync file of everything, or of what `options.forDevice` lacks (syncFiles.ts `exportSyncFile`). */
  exportFile(options: ExportOptions = {}): Promise<ExportedSyncFile> {
    return loadFilesModule().then(({ exportSyncFile }) => exportSyncFile(this.store, options));
  }

  /** Takes in a sync file's bytes (syncFiles.ts `importSyncFile`). */
  importFile(bytes: Uint8Array, options: ImportOptions = {}): Promise<ImportResult> {
    return loadFilesModule().then(({ importSyncFile }) => importSyncFile(this.store, bytes, options));
  }

  /**
   * The devices this device can export "only what they lack" for. Read in a live query (data/peers.ts): the
   * module's load goes through `Promise.resolve`, as Dexie asks of other work awaited in one, so that the
   * reads after it are still watched.
   */
  async knownPeers(): Promise<KnownPeer[]> {
    const { knownPeers } = await Promise.resolve(loadFilesModule());
    return knownPeers(this.store);
  }

  /** Rounds with the relays this device uses, while sync runs. */
  get relay(): RelayHandle {
    return this.made.relay;
  }
}
