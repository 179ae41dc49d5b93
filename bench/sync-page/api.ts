import type { SelfRow } from '../../renderer/storage/db';

/** What the sync bench page (bench/sync-page/main.ts) exposes as `window.larderSyncBench`. */
export interface SyncSeedResult {
  stateBytes: number;
  fetchMs: number;
  storeMs: number;
  loadMs: number;
  rebuildMs: number;
  rebuiltEntries: number;
  rebuildProblems: number;
}

export interface RecordResult {
  entries: number;
  /** Wall time of the whole loop. */
  totalMs: number;
  /** Each record, from the call until it resolved (committed). */
  perRecordMs: number[];
  /** The device's next sequence number afterwards: its ledger then holds nextSeq - 1 entries. */
  nextSeq: number;
}

/** Times are epoch milliseconds (performance.timeOrigin + performance.now()), comparable across browsers. */
export interface ConvergeResult {
  startedAt: number;
  /** The RTCPeerConnection that carried the sync reached 'connected' (the last one to, before the entries came). */
  connectedAt: number | null;
  /** The doc holds every entry the other hub recorded offline. */
  docAt: number;
  /** Those entries are committed in IndexedDB (update row and projections). */
  committedAt: number;
  /** The probe's timeline since the last reset, with the watcher's moments added. */
  events: [string, number][];
}

/** y-webrtc message kinds, from the first bytes of each data-channel message. */
export type MessageKind =
  'sync step 1' | 'sync step 2' | 'sync update' | 'awareness' | 'query awareness' | 'other';

export interface WireStats {
  /** RTCDataChannel.send calls in this page, counted by a wrapper: payload bytes by message kind. */
  sent: Record<string, { messages: number; bytes: number }>;
  /** getStats() over every RTCPeerConnection made since the last reset. */
  dataChannelBytesSent: number;
  dataChannelBytesReceived: number;
  /** The selected ICE transport: DTLS records with SCTP inside, i.e. what crossed the loopback socket. */
  transportBytesSent: number;
  transportBytesReceived: number;
  peerConnections: number;
}

export interface ExportResult {
  /** Parts the file holds (1 for a file of format 2). */
  parts: number;
  bytes: number;
  entries: number | undefined;
  exportMs: number;
}

/** A device with an empty database joining over WebRTC (`joinOverWebrtc`). */
export interface JoinResult {
  ok: boolean;
  message: string;
  /** From starting sync until the doc held every entry. */
  docMs: number;
  /** Until the figures were right: every entry in the doc, committed and projected (saves work). */
  figuresMs: number;
  caughtUpByRebuild: boolean;
  /** Sync steps 2 it took: the parts of a state in parts (1 when it came whole). */
  parts: number;
  /** The page's long tasks (over 50 ms) until the figures were right. */
  longTasks: number;
  longestTaskMs: number;
  /** The longest a 50 ms timer waited past its time: how long the page ran no other task. */
  longestTimerWaitMs: number;
  /** The longest script runs (over 50 ms), what invoked them and where, when the browser tells. */
  longestScripts: string[];
}

export interface ImportResult {
  ok: boolean;
  message: string;
  /** Until importSyncFile resolved: the figures are right from then on (saves work). */
  importMs: number;
  /** Until the history (usage and ledger rows) was written too, from the start of the import. */
  historyMs: number;
  /** Whether the figures were caught up by a rebuild (its history still being written when the import resolved). */
  caughtUpByRebuild: boolean;
  ledgerRows: number;
  /** The page's long tasks (over 50 ms) while the file was imported: how many, and the longest. */
  longTasks: number;
  longestTaskMs: number;
  /** The same while the history was written after that. */
  historyLongTasks: number;
  historyLongestTaskMs: number;
  /** The longest a 50 ms timer waited past its time while the file was imported, and while the history was written. */
  longestTimerWaitMs: number;
  historyLongestTimerWaitMs: number;
  /** The longest script runs while the file was imported, and while the history was written. */
  longestScripts: string[];
  historyLongestScripts: string[];
}

export interface LarderSyncBench {
  /** Fetches the generated doc state, stores it as the app does after compact(), loads and rebuilds. */
  seed(dataUrl: string, entries: number, self: SelfRow): Promise<SyncSeedResult>;
  /**
   * Parts of at most this many bytes for sync step 2 and sync files (guardedSync's setSyncPartBytes), so
   * that syncing a whole state in parts can be measured without a network past 1.1M entries.
   */
  partBytes(bytes: number): void;
  /** Rewrites the self row (a copied profile becomes another device of another hub). */
  setSelf(self: SelfRow): Promise<void>;
  open(): Promise<{ readyMs: number; nextSeq: number }>;
  /** Records `count` one-line donations and pickups, one after the other, as a volunteer would. */
  record(count: number, seed: number): Promise<RecordResult>;
  /** Arms the watchers: resolves `converged()` once `device`'s ledger holds `length` entries, committed. */
  expect(device: string, length: number): void;
  startSync(): Promise<number>;
  signalingConnected(): boolean;
  converged(timeoutMs: number): Promise<ConvergeResult>;
  stopSync(): void;
  /** y-webrtc's and the browser's view of the peer connections, for a round that did not converge. */
  debug(): Promise<string>;
  resetWire(): void;
  wire(): Promise<WireStats>;
  exportFile(): Promise<ExportResult>;
  /**
   * Opens a joined device's empty database (this page's profile must hold no other) and syncs over WebRTC
   * until its doc holds `entries` entries and their figures are projected.
   */
  joinOverWebrtc(self: SelfRow, entries: number, timeoutMs: number): Promise<JoinResult>;
  /** Ledger entries in this page's doc. */
  entryCount(): number;
  /** Starts recording this page's long tasks (over 50 ms), dropping what was recorded before. */
  watchLongTasks(): void;
  /** The long tasks recorded since `watchLongTasks`: how many, and the longest (0 when none). */
  longTasks(): { count: number; longestMs: number };
  /** Imports the file exported last into a second, empty database of a joined device, in this page. */
  importIntoFresh(self: SelfRow, timeoutMs: number): Promise<ImportResult>;
}

/** What the init script (sync.ts) leaves on the page: every peer connection and the bytes sent. */
export interface RtcProbe {
  pcs: RTCPeerConnection[];
  /** When each of them first reached connectionState 'connected' (epoch ms), or null. */
  connectedAt: (number | null)[];
  sent: Record<string, { messages: number; bytes: number }>;
  /** A timeline: signaling socket, key derivation, peer connections, data-channel sends (epoch ms). */
  events: [string, number][];
}

declare global {
  interface Window {
    larderSyncBench?: LarderSyncBench;
    __larderRtc?: RtcProbe;
  }
}
