/**
 * The contract between preload.ts (window.larder) and the renderer. Types only, no runtime
 * imports, so the renderer can `import type { LarderBridge } from '../electron/bridge-types'`
 * without pulling Electron into its bundle. ipc-schemas.ts checks its zod schemas against these.
 */

/** A save/open dialog filter, e.g. `{ name: 'Larder backup', extensions: ['larder'] }`. */
export interface FileFilter {
  name: string;
  /** Without the dot; `'*'` for all files. */
  extensions: string[];
}

export interface SaveFileRequest {
  /** A plain file name (no folders); the dialog opens in the user's Documents folder. */
  suggestedName: string;
  data: Uint8Array;
  filters?: FileFilter[];
}

/** `saved: false` when the person cancelled the dialog. */
export interface SaveFileResult {
  saved: boolean;
  path?: string;
}

export interface OpenFileRequest {
  filters?: FileFilter[];
}

export interface OpenedFile {
  /** File name only, never the full path. */
  name: string;
  data: Uint8Array;
}

/** "Host sync on this computer": runs a signaling server on this computer for the LAN. */
export interface SyncHostStartRequest {
  /** Preferred port, 1024-65535 (default 4444); a random free port is used when it is taken. */
  port?: number;
  /** Announce the server over mDNS so `discover()` on other computers finds it. Default false. */
  advertise?: boolean;
}

export interface SyncHostStatus {
  running: boolean;
  /**
   * Every URL the server answers on: ws://<LAN IPv4>:PORT for each network interface (for the
   * invite, so other hubs can reach it), then ws://127.0.0.1:PORT. Empty when not running.
   */
  urls: string[];
  /** ws://127.0.0.1:PORT: what this computer's own renderer connects to. Null when not running. */
  localUrl: string | null;
  port: number | null;
  /** True while announced over mDNS. */
  advertised: boolean;
}

export interface SyncDiscoverRequest {
  /** How long to listen for announcements, 250-5000 ms (default 2000). */
  durationMs?: number;
}

export interface SyncDiscoverResult {
  /** ws:// URLs other Larder hosts on the LAN announced. Unverified: let the person choose. */
  urls: string[];
}

export interface HostSyncBridge {
  /**
   * Starts the server, or returns the running one's status (then `port` is ignored, and
   * `advertise: true` only switches the announcement on). Rejects if it cannot listen at all.
   */
  start(request?: SyncHostStartRequest): Promise<SyncHostStatus>;
  stop(): Promise<SyncHostStatus>;
  status(): Promise<SyncHostStatus>;
  /** Browses mDNS for other hosts for `durationMs`; resolves to an empty list when mDNS fails. */
  discover(request?: SyncDiscoverRequest): Promise<SyncDiscoverResult>;
}

/** The sync servers the renderer is configured with: the only WebSocket hosts its CSP allows. */
export interface SyncServersRequest {
  urls: string[];
}

export interface SyncServersResult {
  /** The loaded page's CSP does not allow one of them yet: reload the page to get one that does. */
  reload: boolean;
}

export interface LarderBridge {
  readonly platform: 'electron';
  /** Tells the main process which sync servers to allow in the Content-Security-Policy. */
  allowSyncServers(request: SyncServersRequest): Promise<SyncServersResult>;
  saveFile(request: SaveFileRequest): Promise<SaveFileResult>;
  /** Resolves to null when the person cancelled the dialog. */
  openFile(request?: OpenFileRequest): Promise<OpenedFile | null>;
  readonly hostSync: HostSyncBridge;
  /** The network key at rest, sealed with the computer's keychain (electron/secrets.ts). */
  readonly secrets: SecretsBridge;
}

export interface SecretSealRequest {
  text: string;
}
export interface SecretOpenRequest {
  sealed: string;
}

export interface SecretsBridge {
  /** The sealed text (base64), or null when the computer has no keychain to seal with. */
  seal(request: SecretSealRequest): Promise<string | null>;
  /** Rejects with a message to show when the keychain cannot open it. */
  open(request: SecretOpenRequest): Promise<string>;
}

/** What the preload adds to `window`; absent in the plain web build. */
export interface LarderWindow {
  readonly larder?: LarderBridge;
}
