import Dexie from 'dexie';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore } from '../../renderer/storage/store';
import { exportSyncFile, importSyncFile, type ExportedSyncFile } from '../../renderer/sync/syncFiles';
import { syncWithRelay, type SocketFactory, type SocketLike } from '../../renderer/sync/relay';
import { loadFastSha256 } from '../../shared/trust/crypto';
import type { CoordinatorExport, CoordinatorRecord, JoinArgs, NewDeviceRun, SaveAfterFigures } from './api';
import { joinOverChannel, ledgerLengths, serveOverChannel } from './wire';

/**
 * bench/join-file.ts's two devices, each in a page of its own (so each has its own heap, as two machines
 * do): the coordinator's, which records a history, exports sync files and answers sync messages, and the
 * new device's, which joins from them. Files go from one page to the other over a BroadcastChannel, as
 * sync messages do (wire.ts).
 */
const FILES = 'larder-bench-files';
const COORDINATOR = 'larder-join-a';

let coordinator: LarderStore | null = null;
let items: string[] = [];
let exported: ExportedSyncFile | null = null;
let files: BroadcastChannel | null = null;
let stopServing: (() => number) | null = null;
/** The new device's store after a join, until `deviceClose`. */
let device: LarderStore | null = null;

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
const key = (r: { key: string }) => r.key;
const longest = (tasks: PerformanceEntry[]) => Math.max(0, ...tasks.map((t) => t.duration));

/** The coordinator's device makes a signed network and records `entries` in saves of 200 lines. */
export async function coordinatorRecord(entries: number): Promise<CoordinatorRecord> {
  await loadFastSha256();
  await Dexie.delete(COORDINATOR);
  const a = await LarderStore.open(new LarderDB(COORDINATOR));
  coordinator = a;
  await a.ready;
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Coordinator laptop' });
  items = [];
  for (let i = 0; i < 300; i++) {
    const item = await a.saveItem({
      name: `Item ${i}`,
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    items.push(item.id);
  }
  const recording = performance.now();
  const saveMs: number[] = [];
  for (let done = 0, save = 0; done < entries; save++) {
    const t = performance.now();
    const count = Math.min(200, entries - done);
    const lines = Array.from({ length: count }, (_, i) => ({
      item: items[(done + i) % items.length]!,
      quantity: String(save % 4 === 3 ? 1 : 1 + ((done + i) % 9)),
    }));
    if (save % 4 === 3) await a.recordPickup({ lines });
    else await a.recordDonation({ source: 'individual', lines });
    saveMs.push(performance.now() - t);
    done += count;
  }
  const recordMs = performance.now() - recording;
  const tenth = Math.max(1, Math.floor(saveMs.length / 10));
  await a.persistence.flush();
  const stock = JSON.stringify((await a.db.stock.toArray()).sort((x, y) => (key(x) < key(y) ? -1 : 1)));
  return {
    recordMs,
    saves: { first: median(saveMs.slice(0, tenth)), last: median(saveMs.slice(-tenth)) },
    item: items[0]!,
    stock,
  };
}

function requireCoordinator(): LarderStore {
  if (!coordinator) throw new Error('coordinatorRecord() first');
  return coordinator;
}

/** An invite a new device joins with, approved ahead. */
export function coordinatorInvite(): Promise<string> {
  return requireCoordinator().preApprovedInvite();
}

/** Exports a full sync file, kept to send to the new device's page when it asks. */
export async function coordinatorExport(checkpoint: boolean): Promise<CoordinatorExport> {
  const a = requireCoordinator();
  const tasks: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
  observer.observe({ type: 'longtask', buffered: false });
  const exporting = performance.now();
  exported = await exportSyncFile(a, { checkpoint });
  const exportMs = performance.now() - exporting;
  // Tasks are reported after they end: the export's last one, once the next task has begun.
  await new Promise((resolve) => setTimeout(resolve, 0));
  tasks.push(...observer.takeRecords());
  observer.disconnect();
  files?.close();
  files = new BroadcastChannel(FILES);
  files.onmessage = () => files!.postMessage(exported!.bytes);
  return {
    exportMs,
    exportLongestTaskMs: longest(tasks),
    fileBytes: exported.bytes.byteLength,
    checkpointCovers: exported.checkpointCovers ?? null,
  };
}

/** Starts answering sync messages from the new device's page: the coordinator's entries per device. */
export function coordinatorServe(): [string, number][] {
  const a = requireCoordinator();
  stopServing?.();
  stopServing = serveOverChannel(a);
  return ledgerLengths(a);
}

/** Stops answering, and drops the file kept: the bytes sent over sync. */
export function coordinatorStop(): number {
  const sent = stopServing?.() ?? 0;
  stopServing = null;
  files?.close();
  files = null;
  exported = null;
  return sent;
}

export function coordinatorClose(): void {
  coordinatorStop();
  coordinator?.close();
  coordinator = null;
}

/** Whether the gate has decided each device's entries up to `expected` (a join is in then). */
async function gateDecided(c: LarderStore, expected: [string, number][]): Promise<boolean> {
  const rows = await c.db.gate.bulkGet(expected.map(([device]) => device));
  return expected.every(([, length], i) => (rows[i]?.decided ?? 0) >= length);
}

/** The new device's stock rows but those of a hub of its own. */
async function sharedStockOf(c: LarderStore): Promise<string> {
  const own = c.self?.hubId;
  const rows = (await c.db.stock.toArray()).filter((r) => !own || !r.key.startsWith(`${own}|`));
  return JSON.stringify(rows.sort((x, y) => (key(x) < key(y) ? -1 : 1)));
}

/**
 * Why a new device's stock differs from the coordinator's, as far as its tables tell (a run at 100k once
 * ended over sync with none of its rows): what is still to project, held by the gate, set aside, and the
 * rows a few seconds later.
 */
async function whyDifferent(c: LarderStore, theirs: string): Promise<string> {
  const unprojected = c.persistence.unprojected;
  const [gate, pending, problems] = await Promise.all([
    c.db.gate.toArray(),
    c.db.gatePending.count(),
    c.db.problems.count(),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await c.persistence.flush();
  await c.persistence.projected();
  const later = (await sharedStockOf(c)) === theirs;
  return ` (then: ${unprojected} unprojected, gate ${JSON.stringify(gate.map((d) => [d.device.slice(0, 6), d.decided, d.chain.seq, d.waiting]))}, ${pending} pending parts, ${problems} problems; 3 s later the same stock: ${later}, ${await c.db.stock.count()} rows)`;
}

/**
 * A donation on the new device as soon as its figures are right, at a hub of its own (its stock rows left
 * out of the comparison): from the figures to the save committed (its message if it failed).
 */
function saveOnce(c: LarderStore, item: string): Promise<SaveAfterFigures | string> {
  const t = performance.now();
  return (async () => {
    await c.chooseHub({ newHubName: 'New tablet hub' });
    const hubMs = performance.now() - t;
    await c.recordDonation({ source: 'individual', lines: [{ item, quantity: '5' }] });
    const savedMs = performance.now() - t;
    // Counted: in this device's own stock view (its entries count once the member list approves it).
    const row = `${c.self!.hubId}|${item}`;
    while (((await c.db.stock.get(row))?.onHand ?? 0) < 5) {
      if (performance.now() - t > 600_000) return { hubMs, savedMs, countedMs: null };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { hubMs, savedMs, countedMs: performance.now() - t };
  })().catch((error: unknown) => String(error));
}

/** A new device joined with the coordinator's invite, and the long tasks of its page from now on. */
async function newDevice(name: string, invite: string) {
  await loadFastSha256();
  await Dexie.delete(name);
  const c = await LarderStore.open(new LarderDB(name));
  await c.ready;
  await c.joinNetwork({ invite, deviceName: 'New tablet' });
  const tasks: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries()));
  observer.observe({ type: 'longtask', buffered: false });
  return { c, tasks, observer };
}

/** The file the coordinator's page exported, sent over when asked. */
function fileFromCoordinator(): Promise<Uint8Array> {
  const channel = new BroadcastChannel(FILES);
  return new Promise<Uint8Array>((resolve) => {
    channel.onmessage = (event: MessageEvent<Uint8Array>) => {
      channel.close();
      resolve(event.data);
    };
    channel.postMessage('file, please');
  });
}

/** A new device imports the file the coordinator's page exported last. */
export async function joinByFile({ name, invite, checkpoint, stock, item }: JoinArgs): Promise<NewDeviceRun> {
  const bytes = await fileFromCoordinator();
  const { c, tasks, observer } = await newDevice(name, invite);
  const start = performance.now();
  let ready: number | null = null;
  let tasksToReady = 0;
  let saving: Promise<SaveAfterFigures | string> | null = null;
  const result = await importSyncFile(c, bytes, {
    onCheckpoint: () => {
      ready = performance.now() - start;
      tasksToReady = longest(tasks);
      saving = saveOnce(c, item);
    },
  });
  return finish({ c, tasks, observer }, start, saving, stock, {
    way: 'file',
    checkpoint,
    fileBytes: bytes.byteLength,
    checkpointReadyMs: ready,
    message: JSON.stringify(result.ok ? [result.message, ...(result.notes ?? [])] : result.message),
    longestTaskToReadyMs: tasksToReady,
  });
}

/**
 * A join's end, the same either way: the import done now, then the checkpoint's history written, the save
 * made after the figures, and the stock compared with the coordinator's. The store is left open (`device`).
 */
async function finish(
  { c, tasks, observer }: Awaited<ReturnType<typeof newDevice>>,
  start: number,
  saving: Promise<SaveAfterFigures | string> | null,
  stock: string,
  run: Pick<
    NewDeviceRun,
    'way' | 'checkpoint' | 'fileBytes' | 'checkpointReadyMs' | 'message' | 'longestTaskToReadyMs'
  >,
): Promise<NewDeviceRun> {
  const importMs = performance.now() - start;
  await c.persistence.seedHistoryWritten();
  const historyMs = performance.now() - start;
  observer.disconnect();
  const saved = await saving;
  device = c;
  return {
    ...run,
    saveAfterFiguresMs: saved ?? null,
    importMs,
    historyMs,
    same: (await sharedStockOf(c)) === stock || `false${await whyDifferent(c, stock)}`,
    stockRows: await c.db.stock.count(),
    longestTaskMs: longest(tasks),
  };
}

/** A new device joins over sync messages from the coordinator's page (serving: `coordinatorServe`). */
export async function joinBySync(
  { name, invite, checkpoint, stock, item }: JoinArgs,
  expected: [string, number][],
): Promise<NewDeviceRun> {
  const { c, tasks, observer } = await newDevice(name, invite);
  const start = performance.now();
  let saving: Promise<SaveAfterFigures | string> | null = null;
  const { readyMs, sent, received } = await joinOverChannel(
    c,
    checkpoint,
    expected,
    () => (saving = saveOnce(c, item)),
  );
  const tasksToReady = readyMs === null ? 0 : longest(tasks.filter((t) => t.startTime - start < readyMs));
  // In once the gate has decided every entry it was sent: a device's signed head can come in a later message
  // than its entries, which wait for it (the doc held them all while the stock did not count them yet).
  await c.persistence.flush();
  await c.persistence.projected();
  const deciding = performance.now();
  while (!(await gateDecided(c, expected)) && performance.now() - deciding < 600_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    await c.persistence.flush();
    await c.persistence.projected();
  }
  return finish({ c, tasks, observer }, start, saving, stock, {
    way: 'sync',
    checkpoint,
    fileBytes: sent + received,
    checkpointReadyMs: readyMs,
    message: readyMs === null ? 'no checkpoint' : 'started from the checkpoint',
    longestTaskToReadyMs: tasksToReady,
  });
}

/** The page's WebSocket, counting the bytes of the text frames it sends and receives. */
function countingSockets(): { connect: SocketFactory; bytes: () => number } {
  let bytes = 0;
  const connect: SocketFactory = (url) => {
    const socket = new WebSocket(url);
    socket.addEventListener('message', (event: MessageEvent) => {
      if (typeof event.data === 'string') bytes += event.data.length;
    });
    return {
      get readyState() {
        return socket.readyState;
      },
      send(data: string) {
        bytes += data.length;
        socket.send(data);
      },
      close: (code?: number) => socket.close(code),
      addEventListener: (type: string, listener: (event: { data: unknown }) => void) =>
        socket.addEventListener(type, listener as never),
    } as SocketLike;
  };
  return { connect, bytes: () => bytes };
}

/** The coordinator's round with the relay: uploads everything, and leaves a checkpoint when asked to. */
export async function coordinatorRelay(
  url: string,
  checkpoint: boolean,
): Promise<{ ms: number; sentBytes: number }> {
  const a = coordinator!;
  const { connect, bytes } = countingSockets();
  const t = performance.now();
  for (;;) {
    const round = await syncWithRelay(a, url, {
      connect,
      timeoutMs: 600_000,
      checkpointEveryMs: 0,
      ...(checkpoint ? {} : { checkpoint: () => Promise.resolve(null) }),
    });
    if (round.waiting) throw new Error(`The coordinator's upload waits: ${round.waiting}`);
    // The round that uploads the last blobs leaves the checkpoint (when asked to); the next has nothing to do.
    if (round.uploaded === 0) break;
  }
  return { ms: performance.now() - t, sentBytes: bytes() };
}

/** A new device joins through the relay alone: rounds until one brings nothing more. */
export async function joinByRelay(
  { name, invite, checkpoint, stock, item }: JoinArgs,
  url: string,
): Promise<NewDeviceRun> {
  const { c, tasks, observer } = await newDevice(name, invite);
  const { connect, bytes } = countingSockets();
  const start = performance.now();
  let ready: number | null = null;
  let tasksToReady = 0;
  let saving: Promise<SaveAfterFigures | string> | null = null;
  let started = false;
  for (;;) {
    const round = await syncWithRelay(c, url, {
      connect,
      timeoutMs: 600_000,
      checkpoint: () => Promise.resolve(null),
      onCheckpoint: () => {
        ready = performance.now() - start;
        tasksToReady = longest(tasks);
        saving = saveOnce(c, item);
      },
    });
    started ||= round.startedFrom !== null;
    if (round.downloaded === 0) break;
  }
  await c.persistence.flush();
  await c.persistence.projected();
  return finish({ c, tasks, observer }, start, saving, stock, {
    way: 'relay',
    checkpoint,
    fileBytes: bytes(),
    checkpointReadyMs: ready,
    message: started ? 'started from the checkpoint' : 'no checkpoint',
    longestTaskToReadyMs: tasksToReady,
  });
}

/** Closes the new device's store, left open for the runner to measure its page's heap. */
export function deviceClose(): void {
  device?.close();
  device = null;
}
