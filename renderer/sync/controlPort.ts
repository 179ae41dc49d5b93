import type { LarderDB } from '../storage/db';
import { receivedError, sendError, type Port, type SentError } from '../storage/hostPort';
import type { RelayHandle, SyncHandle } from './control';
import type { RelayStatus } from './relay';
import type { ExportedSyncFile, ExportOptions, ImportOptions, ImportResult, KnownPeer } from './syncFiles';
import type { SyncStatus } from './webrtc';

/*
 * Sync's handle served over a port, as the store is (renderer/storage/hostPort.ts): where the doc lives in
 * the device's Worker, sync runs there beside it, and the page has a `SyncHandle` whose commands are calls
 * and whose status (and the relays') is the copy last sent. A sync file's bytes are moved, not copied, each
 * way (a coordinator's full file is 15 MB at a million entries).
 */

export const SYNC_COMMANDS = [
  'start',
  'restart',
  'stop',
  'exportFile',
  'importFile',
  'knownPeers',
  'syncNow',
] as const;
type SyncCommand = (typeof SYNC_COMMANDS)[number];

export type ToSync = { syncCall: number; command: SyncCommand; args: unknown[] };

interface Told {
  status: SyncStatus;
  relay: RelayStatus[];
}
export type FromSync =
  | ({ syncAnswer: number; value: unknown } & Told)
  | ({ syncAnswer: number; error: SentError } & Told)
  | ({ syncTold: true } & Told)
  | { checkpointOf: number; started: { from: string; covered: number } };

/** A port that may move buffers with a message. */
interface MovingPort extends Port {
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

/** The buffer under `bytes`, when it is theirs alone to move (a view of all of it). */
function movable(bytes: unknown): Transferable[] {
  if (!(bytes instanceof Uint8Array)) return [];
  const { buffer } = bytes;
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength
    ? [buffer]
    : [];
}

/** Answers the calls that come through `port` with `control`'s, and tells of its status. Returns how to stop. */
export function serveSync(control: SyncHandle, port: MovingPort): () => void {
  const told = (): Told => ({ status: control.status(), relay: control.relay.status() });
  const send = (message: FromSync, transfer: Transferable[] = []) => port.postMessage(message, transfer);
  const onMessage = (event: MessageEvent) => {
    const message = event.data as Partial<ToSync> | null;
    if (typeof message?.syncCall !== 'number') return;
    const call = message.syncCall;
    const args = Array.isArray(message.args) ? message.args : [];
    run(control, message.command, args, call, send).then(
      (value) =>
        send({ syncAnswer: call, value, ...told() }, movable((value as { bytes?: unknown } | null)?.bytes)),
      (error: unknown) => send({ syncAnswer: call, error: sendError(error), ...told() }),
    );
  };
  port.addEventListener('message', onMessage);
  port.start?.();
  const tell = () => send({ syncTold: true, ...told() });
  const stops = [control.subscribe(tell), control.relay.subscribe(tell)];
  tell();
  return () => {
    port.removeEventListener('message', onMessage);
    for (const stop of stops) stop();
  };
}

function run(
  control: SyncHandle,
  command: unknown,
  args: unknown[],
  call: number,
  send: (message: FromSync) => void,
): Promise<unknown> {
  return Promise.resolve().then((): unknown => {
    switch (command as SyncCommand) {
      case 'start':
        return control.start();
      case 'restart':
        return control.restart();
      case 'stop':
        return control.stop();
      case 'exportFile':
        return control.exportFile(options<ExportOptions>(args[0]));
      case 'importFile': {
        const bytes = args[0];
        if (!(bytes instanceof Uint8Array)) throw new TypeError('A sync file comes as bytes');
        return control.importFile(bytes, {
          ...options<Omit<ImportOptions, 'onCheckpoint'>>(args[1]),
          onCheckpoint: (started) => send({ checkpointOf: call, started }),
        });
      }
      case 'knownPeers':
        return control.knownPeers();
      case 'syncNow':
        return control.relay.syncNow();
      default:
        throw new TypeError(`No such sync command: ${String(command)}`);
    }
  });
}

/** Options as a plain object (what came over the port; a function could not have). */
function options<T extends object>(value: unknown): T {
  return (typeof value === 'object' && value !== null ? value : {}) as T;
}

/**
 * Sync as the page has it when it runs in the device's Worker (`serveSync` there). `db` is the page's own
 * handle on the device's database: the peers' rows are read here too, so that a live query of them
 * follows the Worker's writes.
 */
export class SyncPort implements SyncHandle {
  private told: Told = { status: { running: false, signaling: [], connected: 0, peers: [] }, relay: [] };
  private next = 0;
  private stopped: Error | null = null;
  private readonly calls = new Map<
    number,
    {
      resolve: (v: unknown) => void;
      reject: (e: Error) => void;
      onCheckpoint?: ImportOptions['onCheckpoint'];
    }
  >();
  private readonly listeners = new Set<() => void>();
  private readonly relayListeners = new Set<() => void>();

  constructor(
    private readonly db: LarderDB,
    private readonly port: MovingPort,
  ) {
    port.addEventListener('message', (event) => this.heard(event.data as FromSync));
    port.start?.();
  }

  private heard(message: FromSync): void {
    if (typeof message !== 'object' || message === null) return;
    if ('checkpointOf' in message) {
      this.calls.get(message.checkpointOf)?.onCheckpoint?.(message.started);
      return;
    }
    if (!('status' in message)) return;
    this.told = { status: message.status, relay: message.relay };
    if ('syncAnswer' in message) {
      const call = this.calls.get(message.syncAnswer);
      this.calls.delete(message.syncAnswer);
      if ('error' in message) call?.reject(receivedError(message.error));
      else call?.resolve(message.value);
    }
    for (const listener of [...this.listeners, ...this.relayListeners]) listener();
  }

  private call<T>(
    command: SyncCommand,
    args: unknown[] = [],
    extra: { transfer?: Transferable[]; onCheckpoint?: ImportOptions['onCheckpoint'] } = {},
  ): Promise<T> {
    if (this.stopped) return Promise.reject(this.stopped);
    const syncCall = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(syncCall, {
        resolve: resolve as (v: unknown) => void,
        reject,
        ...(extra.onCheckpoint ? { onCheckpoint: extra.onCheckpoint } : {}),
      });
      try {
        const message: ToSync = { syncCall, command, args };
        this.port.postMessage(message, extra.transfer ?? []);
      } catch (error) {
        this.calls.delete(syncCall);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** The Worker stopped: every call waiting, and every later one, is refused with `reason`. */
  stopAll(reason: Error): void {
    this.stopped ??= reason;
    for (const { reject } of this.calls.values()) reject(this.stopped);
    this.calls.clear();
  }

  start(): Promise<void> {
    return this.call('start');
  }

  restart(): Promise<void> {
    return this.call('restart');
  }

  stop(): void {
    void this.call('stop').catch(() => undefined);
  }

  status(): SyncStatus {
    return this.told.status;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  exportFile(options: ExportOptions = {}): Promise<ExportedSyncFile> {
    return this.call('exportFile', [options]);
  }

  /** The file's bytes are moved to the Worker: the caller must not use them after. */
  importFile(bytes: Uint8Array, { onCheckpoint, ...rest }: ImportOptions = {}): Promise<ImportResult> {
    return this.call('importFile', [bytes, rest], {
      transfer: movable(bytes),
      ...(onCheckpoint ? { onCheckpoint } : {}),
    });
  }

  /**
   * Read in a live query (data/peers.ts): the peers' rows are read here, so that the query runs again when
   * the Worker writes them; their names come from the Worker's doc (through `Promise.resolve`, as Dexie asks
   * of other work awaited in a live query).
   */
  async knownPeers(): Promise<KnownPeer[]> {
    await this.db.meta.where('key').startsWith('peer:').toArray();
    return Promise.resolve(this.call<KnownPeer[]>('knownPeers'));
  }

  readonly relay: RelayHandle = {
    status: () => this.told.relay,
    subscribe: (listener) => {
      this.relayListeners.add(listener);
      return () => this.relayListeners.delete(listener);
    },
    syncNow: () => this.call('syncNow'),
  };
}
