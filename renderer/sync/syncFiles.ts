import * as Y from 'yjs';
import { devicesOf, deviceSchema, ledgersOf } from '../../shared/doc';
import { docHolding } from '../../shared/sync/skeleton';
import { localDay } from '../../shared/days';
import { randomId, type RandomBytes } from '../../shared/ids';
import { PACED_PARTS_FROM, PART_BYTES, statePartsPaced } from '../../shared/sync/docParts';
import { checkUpdateBytes } from '../../shared/sync/ingest';
import { pacer } from '../../shared/pace';
import { takeInSteps } from '../storage/largeUpdates';
import { readCatchUp, SYNC_FILE_EXTENSION, type OpenedSyncFile } from '../../shared/sync/syncfile';
import { openHere, sealHere, systemRandom, type OpenRequest, type SealRequest } from './syncFileWork';
import { askOwnWorker, buffersOf, offPage } from '../platform/oneShotWorker';
import type { MetaRow, PeerRow } from '../storage/db';
import type { LarderStore } from '../storage/store';
import { settingValue } from '../../shared/trust/settings';
import { msg, type DomainMessage } from '../../shared/messages';

/**
 * "Export sync file" and "Import sync file": the network's updates carried between devices by hand, for
 * hubs with no connection. A file holds everything this device has, or, for a device that once sent this
 * device a file of its own, only what that device lacked then (its state vector came in its file's header).
 * Importing is idempotent (Yjs skips what it has): twice, out of order or an old file only says "Nothing
 * new". Files of another network, altered files and malformed updates are refused with a message, and
 * change nothing.
 */

/** The origin of the doc transaction an import makes. */
export const FILE_ORIGIN = 'file';

/** A file's update larger than this goes in parts of about this size (shared/sync/docParts.ts). */
export const FILE_PART_BYTES = PART_BYTES;

const peerKey = (device: string): PeerRow['key'] => `peer:${device}`;
const isPeerRow = (row: MetaRow | undefined): row is PeerRow => !!row && row.key.startsWith('peer:');

export interface ExportOptions {
  /** Export only what this device lacks, if it ever sent us a file (else everything). */
  forDevice?: string;
  /** Past this many bytes the update goes in parts of about this size (default FILE_PART_BYTES). */
  partBytes?: number;
  /** Past this many values to write, the update is written in steps (default PACED_EXPORT_FROM; tests). */
  pacedFrom?: number;
  /**
   * Whether a full export carries a checkpoint for a new device to start from, when this device may make
   * one (an admin's or a coordinator's; default true).
   */
  checkpoint?: boolean;
  /** Clock and randomness (tests pass deterministic ones). */
  now?: number;
  randomBytes?: RandomBytes;
}

export interface ExportedSyncFile {
  bytes: Uint8Array;
  fileName: string;
  /** Ledger entries in the file (all entries, or those the receiver lacks). */
  entries?: number;
  /** True when the file holds only what `forDevice` lacked. */
  since: boolean;
  /** Entries the checkpoint it carries spares a new device from counting, when it carries one. */
  checkpointCovers?: number;
}

export interface ImportOptions {
  now?: number;
  /**
   * Called once a new device has started from the file's checkpoint (its stock figures are committed and
   * shown) and before the history behind it is taken, which at a million entries takes a while longer.
   */
  onCheckpoint?: (started: { from: string; covered: number }) => void;
}

/** What an import did, as messages the panel puts into words: the outcome, then any notes about it. */
export type ImportResult =
  | { ok: true; newEntries: number; from: string; message: DomainMessage; notes?: DomainMessage[] }
  | { ok: false; message: DomainMessage };

export interface KnownPeer {
  device: string;
  name: string;
  exportedAt: number;
  importedAt: number;
}

function requireSetUp(store: LarderStore) {
  const self = store.self;
  if (!self) throw new Error('This device has not been set up yet');
  return self;
}

/** A device's name in the doc, or a short stand-in when the doc does not know it (yet). */
function deviceName(doc: Y.Doc, device: string): string {
  const parsed = deviceSchema.safeParse(settingValue(devicesOf(doc).get(device)));
  return parsed.success ? parsed.data.name : `device ${device}`;
}

/**
 * A sync file's name says what it is and when it was made, and nothing about who made it: no device,
 * hub or network name or id (a USB stick gets lost, a file gets emailed). A random part keeps two
 * exports of one day apart. Imports never read the name: they read the file's header.
 */
export function syncFileName(now: number, randomBytes: RandomBytes): string {
  return `larder-sync-${localDay(now)}-${randomId(randomBytes, 6)}${SYNC_FILE_EXTENSION}`;
}

/** Ledger entries the doc holds past a state vector (all of them for an empty one). */
function countEntriesPast(doc: Y.Doc, stateVector: Map<number, number>): number {
  let n = 0;
  ledgersOf(doc).forEach((array) => {
    if (!(array instanceof Y.Array)) return;
    for (let item = array._start; item; item = item.right) {
      if (item.deleted || !item.countable) continue;
      const known = stateVector.get(item.id.client) ?? 0;
      n += Math.max(0, item.id.clock + item.length - Math.max(item.id.clock, known));
    }
  });
  return n;
}

async function peerRow(store: LarderStore, device: string): Promise<PeerRow | undefined> {
  const row = await store.db.meta.get(peerKey(device));
  return isPeerRow(row) ? row : undefined;
}

/** Past this many values to write, a sync file's update is written in steps (shared/sync/docParts.ts). */
export const PACED_EXPORT_FROM = PACED_PARTS_FROM;

/** Writes a sync file: everything, or only what `forDevice` lacked when it last exported to this device. */
export async function exportSyncFile(
  store: LarderStore,
  options: ExportOptions = {},
): Promise<ExportedSyncFile> {
  await store.ready;
  const self = requireSetUp(store);
  const now = options.now ?? Date.now();
  const random = options.randomBytes ?? systemRandom;
  const peer = options.forDevice !== undefined ? await peerRow(store, options.forDevice) : undefined;
  // The doc, or its whole history from disk when it runs on a skeleton the file's reader lacks.
  const doc = await docHolding(store.persistence.doc, peer?.stateVector);
  // All from the same synchronous moment: the state vector in the header describes exactly this update.
  // More than one update may carry (about 1.1M entries): in parts, each applied after the one before.
  // Much to write (about 1 MB of entries or more): in steps, the page let run between them.
  const known = peer ? Y.decodeStateVector(peer.stateVector) : new Map<number, number>();
  // Made before the doc's state is taken, so the file's history holds everything the checkpoint covers.
  const checkpoint =
    !peer && options.checkpoint !== false
      ? await import('../storage/checkpoint').then(({ storeCheckpointBundle }) =>
          storeCheckpointBundle(store, now),
        )
      : null;
  /** The doc's state to seal, written in steps (again, should a worker have been given it and failed). */
  const write = async () => {
    let entries = 0;
    const { parts, stateVector } = await statePartsPaced(
      doc,
      peer?.stateVector,
      { maxBytes: options.partBytes ?? FILE_PART_BYTES },
      pacer(),
      {
        pacedFrom: options.pacedFrom ?? PACED_EXPORT_FROM,
        atLastStep: () => {
          entries = countEntriesPast(doc, known);
        },
      },
    );
    return { update: parts, stateVector, entries };
  };
  const { fileKey } = await store.secrets();
  const catchUp = await store.catchUpKeys();
  const sealing = ({
    update,
    stateVector,
  }: {
    update: Uint8Array[];
    stateVector: Uint8Array;
  }): SealRequest => ({
    kind: 'seal',
    input: {
      network: self.networkId,
      device: self.deviceId,
      createdAt: now,
      stateVector,
      since: peer !== undefined,
      forDevice: peer ? peer.device : null,
      update,
      ...(checkpoint ? { checkpoint: checkpoint.bytes } : {}),
      ...(catchUp ? { catchUp } : {}),
    },
    fileKey,
  });
  let written = await write();
  let bytes: Uint8Array;
  if (options.randomBytes || typeof Worker === 'undefined') bytes = await sealHere(random)(sealing(written));
  else
    try {
      // The update is moved to the worker, not copied (57 MB at a million entries: a copy held the page
      // 150 ms); should the worker fail, it is written again for the page to seal.
      bytes = await askSyncFileWorker<Uint8Array>(sealing(written), buffersOf(written.update));
    } catch (error) {
      console.warn('Larder could not seal the sync file in a worker; doing it on the page', error);
      written = await write();
      bytes = await sealHere(random)(sealing(written));
    }
  const entries = written.entries;
  const fileName = syncFileName(now, random);
  return {
    bytes,
    fileName,
    entries,
    since: peer !== undefined,
    ...(checkpoint ? { checkpointCovers: checkpoint.covered } : {}),
  };
}

/** Per Yjs client id, the larger clock: a peer's state only grows, whatever order its files come in. */
function mergeStateVectors(a: Uint8Array, b: Uint8Array): Uint8Array {
  const merged = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b))
    merged.set(client, Math.max(clock, merged.get(client) ?? 0));
  return Y.encodeStateVector(merged);
}

/** Asks a worker of its own (syncFile.worker.ts) to open or seal a sync file. */
const askSyncFileWorker = <Reply>(request: OpenRequest | SealRequest, transfer?: ArrayBuffer[]) =>
  askOwnWorker<OpenRequest | SealRequest, Reply>(
    () => new Worker(new URL('./syncFile.worker.ts', import.meta.url), { type: 'module' }),
    'sync file worker',
    request,
    transfer,
  );

/** Opens a sync file in a worker, or here where there is none. */
const openOffPage = offPage(
  'open the sync file',
  (request: OpenRequest) => askSyncFileWorker<OpenedSyncFile>(request),
  openHere,
);

/** Reads a sync file and merges what it holds; resolves once that is committed. Never throws on bad files. */
export async function importSyncFile(
  store: LarderStore,
  bytes: Uint8Array,
  options: ImportOptions = {},
): Promise<ImportResult> {
  await store.ready;
  const self = store.self;
  if (!self) return { ok: false, message: msg('syncFile.setUpFirst') };
  const doc = store.persistence.doc;
  const { fileKey } = await store.secrets();
  // Opened in a worker (a large file inflates to tens of megabytes), or here letting the page run.
  let opened = await openOffPage({ kind: 'open', bytes, networkId: self.networkId, fileKey });
  if (!opened.ok && opened.message.code === 'syncFile.damaged') {
    // Perhaps sealed with a newer key: an admin revoked a device while this one was away. The file then
    // carries the new key sealed to this device; the signed rotation inside it is what makes it stick.
    const newer = await store.keyFromCatchUp(await readCatchUp(bytes, fileKey));
    if (newer) {
      const retried = await openOffPage({ kind: 'open', bytes, networkId: self.networkId, fileKey: newer });
      if (retried.ok) opened = retried;
    }
  }
  if (!opened.ok) return opened;
  const { header, updates } = opened;
  if (header.device === self.deviceId)
    return {
      ok: true,
      newEntries: 0,
      from: self.deviceName,
      message: msg('syncFile.ownExport'),
    };
  // Bytes Yjs could not read are refused before anything else; a large update is read through in steps
  // as it is taken (store.applyRemoteUpdate), where such bytes are refused the same way.
  const large = updates.length > 1 || takeInSteps(updates[0]!);
  if (!large && !checkUpdateBytes(updates[0]!).ok) return { ok: false, message: msg('syncFile.unusable') };

  // A new device (nothing counted yet) starts from the file's checkpoint when it verifies: its figures are
  // right in seconds, then the history behind them is taken as any file's is (what the checkpoint counted
  // is not counted again). One that does not verify is left aside, and the history counted instead.
  const notes: DomainMessage[] = [];
  // The entries counted by a checkpoint this file started the device from with its skeleton: the file brought
  // them, but their history goes to its disk behind the checkpoint's figures, not through its doc (whose
  // entries are counted below).
  let fromCheckpoint = 0;
  if (opened.checkpoint && store.persistence.mayStartFromCheckpoint) {
    const { startFromBundle } = await import('../storage/checkpoint');
    // A peer's entries arriving while it is verified make the device no longer new: the history, then.
    const started = await startFromBundle(store, opened.checkpoint).catch((error: unknown) => ({
      ok: false as const,
      refusal: String(error),
    }));
    if (started.ok) {
      // Started from its skeleton too: the covered entries' history goes to disk, not through the doc.
      if (store.persistence.historyArriving) fromCheckpoint = started.covered;
      notes.push(msg('syncFile.fromCheckpoint', { from: started.byName }));
      options.onCheckpoint?.({ from: started.byName, covered: started.covered });
    } else {
      console.warn("The sync file's checkpoint was not used:", started.refusal);
      notes.push(msg('syncFile.checkpointRefused'));
    }
  }

  let newEntries = 0;
  let setAside = 0;
  // Counted as the store captures them (each entry is read once).
  const stopCounting = store.persistence.onLedgerBrought((origin, brought) => {
    if (origin !== FILE_ORIGIN) return;
    newEntries += brought.entries;
    setAside += brought.setAside;
  });
  let result;
  try {
    result =
      updates.length === 1
        ? await store.applyRemoteUpdate(updates[0]!, FILE_ORIGIN)
        : await store.applyRemoteParts(updates, FILE_ORIGIN);
  } catch {
    // The doc took the update but it could not be saved; the next change retries the save.
    return { ok: false, message: msg('syncFile.notSaved') };
  } finally {
    stopCounting();
  }
  if (!result.ok) {
    if (large && !result.applied && result.message.code === 'update.malformed')
      return { ok: false, message: msg('syncFile.unusable') };
    // Not applied: the refusal says why and that nothing was applied.
    return { ok: false, message: result.applied ? msg('syncFile.failedAfter') : result.message };
  }

  const now = options.now ?? Date.now();
  const previous = await peerRow(store, header.device);
  await store.db.meta.put({
    key: peerKey(header.device),
    device: header.device,
    stateVector: previous ? mergeStateVectors(previous.stateVector, header.stateVector) : header.stateVector,
    exportedAt: Math.max(previous?.exportedAt ?? 0, header.createdAt),
    importedAt: now,
  } satisfies PeerRow);

  const from = deviceName(doc, header.device);
  const changed = result.changed || fromCheckpoint > 0;
  newEntries += fromCheckpoint;
  if (!changed && result.pending)
    return { ok: true, newEntries: 0, from, message: msg('syncFile.waiting', { from }) };
  const message = !changed
    ? msg('syncFile.nothingNew')
    : newEntries > 0
      ? msg('syncFile.imported', { count: newEntries, from })
      : msg('syncFile.importedChanges', { from });
  if (setAside > 0) notes.push(msg('syncFile.setAside', { count: setAside }));
  if (result.pending) notes.push(msg('syncFile.partlyWaiting'));
  return { ok: true, newEntries, from, message, ...(notes.length > 0 ? { notes } : {}) };
}

/** Devices this device can export "only what they lack" for: those that sent it a sync file. */
export async function knownPeers(store: LarderStore): Promise<KnownPeer[]> {
  const rows = await store.db.meta.where('key').startsWith('peer:').toArray();
  const doc = store.persistence.doc;
  return rows
    .filter(isPeerRow)
    .map((row) => ({
      device: row.device,
      name: deviceName(doc, row.device),
      exportedAt: row.exportedAt,
      importedAt: row.importedAt,
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || (a.device < b.device ? -1 : 1));
}
