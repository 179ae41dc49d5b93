// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { LarderDB } from '../../renderer/storage/db';
import { listedItemBlocks } from '../../renderer/storage/itemBlocks';
import { decodeLedgerRows } from '../../shared/checkpoint/rows';
import { encodeAppliedState } from '../../shared/sync/ingest';
import { docHolding, HistoryLeftOutError, stateVectorToAsk } from '../../shared/sync/skeleton';
import { LarderStore, type StoreDeps } from '../../renderer/storage/store';

/**
 * Helpers for tests that run several replicas of one network side by side, each with its own LarderDB
 * (in fake-indexeddb) and LarderStore, connected by a simulated network that delivers, holds, reorders,
 * duplicates and drops Yjs updates (in the manner of Yjs's own tests/testHelper.js).
 */

/** mulberry32: a small seeded PRNG, so a failing seed replays the same run. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let r = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return (r ^ (r >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 2 ** 32;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** Picks a key with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let roll = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [key, w] of entries) {
      roll -= w;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.uint32() & 0xff);
  }

  /** An independent stream derived from this one. */
  fork(): Prng {
    return new Prng(this.uint32() ^ 0x9e3779b9);
  }
}

export const START = Date.UTC(2025, 2, 1, 9, 0, 0);

/** One clock shared by every replica, moved only by the test. */
export class FakeClock {
  constructor(private t = START) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

let opened = 0;

export interface Replica {
  index: number;
  dbName: string;
  store: LarderStore;
}

/**
 * Odd replicas project every update of more than two entries a chunk at a time, two entries per
 * transaction (the app does so past 20,000): the chunked path must converge to the same tables.
 */
export const chunkOf = (index: number): number | undefined => (index % 2 === 1 ? 2 : undefined);
/**
 * Replica 3 (and 7...) catches up a backlog of four entries or more that is longer than its projected
 * history by a rebuild (the app does so past 20,000): early in a run, or after a partition, it takes
 * that path, with saves and peers' updates arriving while the rebuild writes its history.
 */
export const catchUpOf = (index: number): number | undefined => (index % 4 === 3 ? 4 : undefined);

/**
 * Opens a replica on a fresh database. The doc's Yjs client id is fixed from the PRNG (Yjs's own test
 * helper does the same): it decides which of two concurrent edits of a setting wins, so a seed must fix it
 * too to replay a run. It is set before the doc holds anything of its own.
 */
export async function openReplica(index: number, clock: FakeClock, rng: Prng, tag: string): Promise<Replica> {
  const dbName = `larder-${tag}-r${index}-${process.pid}-${++opened}`;
  const random = rng.fork();
  const deps: StoreDeps = {
    now: clock.now,
    randomBytes: (n) => random.bytes(n),
    projectChunk: chunkOf(index),
    catchUpAt: catchUpOf(index),
  };
  const store = await LarderStore.open(new LarderDB(dbName), deps);
  await store.ready;
  store.persistence.doc.clientID = random.uint32();
  return { index, dbName, store };
}

/**
 * Opens the same database again, as after a restart. A restarted doc is a new Yjs session with a new
 * client id; it is drawn from the PRNG too.
 */
export async function reopenReplica(replica: Replica, clock: FakeClock, rng: Prng): Promise<Replica> {
  const random = rng.fork();
  const deps: StoreDeps = {
    now: clock.now,
    randomBytes: (n) => random.bytes(n),
    projectChunk: chunkOf(replica.index),
    catchUpAt: catchUpOf(replica.index),
  };
  const store = await LarderStore.open(new LarderDB(replica.dbName), deps);
  await store.ready;
  const doc = store.persistence.doc;
  do doc.clientID = random.uint32();
  while (doc.store.clients.has(doc.clientID));
  return { ...replica, store };
}

/** The origin updates delivered by the simulated network carry; anything else is a local change. */
export const PEER = 'peer';

interface Message {
  from: number;
  /** Position in the sender's stream of local updates (for the out-of-order statistics). */
  n: number;
  update: Uint8Array;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  outOfOrder: number;
  duplicated: number;
  dropped: number;
  exchanges: number;
}

export interface Chaos {
  /** Probability that a delivered message is also kept in the queue, to be delivered again later. */
  duplicate: number;
  /** Probability that a message is lost (a full state exchange makes up for it). */
  drop: number;
  /** Probability that the next message delivered on a link is a random one rather than the oldest. */
  reorder: number;
}

export const NO_CHAOS: Chaos = { duplicate: 0, drop: 0, reorder: 0 };

/** What the simulated network needs of a replica: its doc, and the way it takes a peer's update. */
export type NetPeer = Pick<LarderStore, 'applyRemoteUpdate'> & { persistence: { doc: Y.Doc } };

/**
 * A full-mesh network between replicas. Every update a replica's doc emits for a local change is queued
 * for every other replica; `deliverOne` hands one message of a random link to its recipient. A replica
 * that is offline neither sends nor receives: its queues hold until it comes back.
 */
export class SimNetwork {
  readonly online: boolean[];
  readonly stats: NetworkStats = {
    sent: 0,
    delivered: 0,
    outOfOrder: 0,
    duplicated: 0,
    dropped: 0,
    exchanges: 0,
  };
  /** queues[from][to] */
  private readonly queues: Message[][][];
  private readonly sentCount: number[];
  private readonly lastDelivered: number[][];
  private readonly detachers: (() => void)[] = [];

  constructor(
    private readonly stores: () => readonly NetPeer[],
    private readonly rng: Prng,
    private readonly chaos: Chaos,
  ) {
    const n = stores().length;
    this.online = Array.from({ length: n }, () => true);
    this.queues = Array.from({ length: n }, () => Array.from({ length: n }, () => []));
    this.sentCount = Array.from({ length: n }, () => 0);
    this.lastDelivered = Array.from({ length: n }, () => Array.from({ length: n }, () => 0));
    stores().forEach((store, from) => this.attach(store, from));
  }

  /** Starts capturing the local updates of `store` as replica `from` (again after a reopen). */
  attach(store: NetPeer, from: number): void {
    const doc = store.persistence.doc;
    const onUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin === PEER || origin === 'load') return;
      const n = ++this.sentCount[from]!;
      this.stats.sent += 1;
      this.queues[from]!.forEach((queue, to) => {
        if (to !== from) queue.push({ from, n, update });
      });
    };
    doc.on('update', onUpdate);
    this.detachers.push(() => doc.off('update', onUpdate));
  }

  detach(): void {
    for (const d of this.detachers.splice(0)) d();
  }

  private get size(): number {
    return this.online.length;
  }

  /** Messages still queued (on any link, online or not). */
  get queued(): number {
    return this.queues.flat().reduce((s, q) => s + q.length, 0);
  }

  private deliverableLinks(): [number, number][] {
    const links: [number, number][] = [];
    for (let from = 0; from < this.size; from++)
      for (let to = 0; to < this.size; to++)
        if (from !== to && this.online[from] && this.online[to] && this.queues[from]![to]!.length > 0)
          links.push([from, to]);
    return links;
  }

  /** Delivers one message of a random online link; false when nothing can be delivered. */
  async deliverOne(chaos: Chaos = this.chaos): Promise<boolean> {
    const links = this.deliverableLinks();
    if (links.length === 0) return false;
    const [from, to] = this.rng.pick(links);
    const queue = this.queues[from]![to]!;
    const index = this.rng.bool(chaos.reorder) ? this.rng.int(0, queue.length - 1) : 0;
    const [message] = queue.splice(index, 1);
    if (this.rng.bool(chaos.drop)) {
      this.stats.dropped += 1;
      return true;
    }
    if (this.rng.bool(chaos.duplicate)) {
      queue.splice(this.rng.int(0, queue.length), 0, message!);
      this.stats.duplicated += 1;
    }
    const last = this.lastDelivered[from]![to]!;
    if (message!.n < last) this.stats.outOfOrder += 1;
    this.lastDelivered[from]![to] = Math.max(last, message!.n);
    this.stats.delivered += 1;
    const result = await this.stores()[to]!.applyRemoteUpdate(message!.update, PEER);
    if (!result.ok) throw new Error(`replica ${to} refused an update of replica ${from}: ${result.message}`);
    return true;
  }

  async deliverSome(count: number): Promise<void> {
    for (let i = 0; i < count; i++) if (!(await this.deliverOne())) return;
  }

  /** Delivers every message that can be delivered, without losing or duplicating any. */
  async deliverAll(): Promise<void> {
    while (await this.deliverOne(NO_CHAOS));
  }

  /**
   * A reconnect: each side sends its state vector, then each sends the other what it lacks (the two
   * diffs are computed before either is applied, as on the wire).
   */
  async exchange(a: number, b: number): Promise<void> {
    const stores = this.stores();
    const docA = stores[a]!.persistence.doc;
    const docB = stores[b]!.persistence.doc;
    // (A device started from a checkpoint's skeleton asks for the history it lacks too, as in the app.)
    const [svA, svB] = [stateVectorToAsk(docA), stateVectorToAsk(docB)];
    // As the app answers (renderer/sync/guardedSync.ts): a doc that runs on a skeleton answers a peer short of
    // its history from its history on disk (shared/sync/skeleton.ts).
    // A device started from a checkpoint's skeleton whose history is not on its disk yet answers no peer short
    // of that history (the app leaves that peer to a device that holds it).
    const holding = (doc: Y.Doc, sv: Uint8Array) =>
      docHolding(doc, sv).catch((error: unknown) => {
        if (error instanceof HistoryLeftOutError) return null;
        throw error;
      });
    const [fromB, fromA] = await Promise.all([holding(docB, svA), holding(docA, svB)]);
    this.stats.exchanges += 1;
    const results = await Promise.all([
      fromB ? stores[a]!.applyRemoteUpdate(encodeAppliedState(fromB, svA), PEER) : { ok: true as const },
      fromA ? stores[b]!.applyRemoteUpdate(encodeAppliedState(fromA, svB), PEER) : { ok: true as const },
    ]);
    for (const r of results)
      if (!r.ok) throw new Error(`state exchange ${a}<->${b} refused: ${JSON.stringify(r.message)}`);
  }

  /** A state exchange between two random online replicas, if there are two. */
  async exchangeRandom(): Promise<void> {
    const up = this.online.flatMap((on, i) => (on ? [i] : []));
    if (up.length < 2) return;
    const a = this.rng.pick(up);
    const b = this.rng.pick(up.filter((i) => i !== a));
    await this.exchange(a, b);
  }

  /** Every online pair exchanges state: afterwards every online replica holds everything any of them has. */
  async exchangeAll(): Promise<void> {
    for (let a = 0; a < this.size; a++)
      for (let b = a + 1; b < this.size; b++) if (this.online[a] && this.online[b]) await this.exchange(a, b);
  }

  setOnline(replica: number, online: boolean): void {
    this.online[replica] = online;
  }

  heal(): void {
    this.online.fill(true);
  }
}

/** JSON with object keys sorted, so equal values give equal strings whatever the insertion order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return Array.from(v);
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    return v;
  });
}

/**
 * What a network's doc holds, as canonical JSON: every root map (each device's ledger in order, every
 * settings map, the member list).
 */
export function docContent(doc: Y.Doc): string {
  // A root type with nothing in it says nothing: a doc has one for each name its code asked for (a history
  // read from disk, only those its updates named).
  const roots = [...doc.share.entries()]
    .filter(([, type]) => type._start !== null || type._map.size > 0)
    .map(([name]) => name)
    .sort();
  // The member list is the one root Y.Array (shared/doc.ts: membersOf).
  const root = (name: string) => (name === 'members' ? doc.getArray(name) : doc.getMap(name));
  return canonicalJson(Object.fromEntries(roots.map((name) => [name, root(name).toJSON()])));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The doc's state vector and delete set (Yjs's snapshot), hex-encoded: equal iff the docs hold the same structs. */
export function docSnapshot(doc: Y.Doc): { stateVector: string; snapshot: string } {
  return {
    stateVector: hex(Y.encodeStateVector(doc)),
    snapshot: hex(Y.encodeSnapshot(Y.snapshot(doc))),
  };
}

/** Whether the doc holds updates it could not integrate yet (their dependencies have not arrived). */
export function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

const byKey =
  <T>(key: (row: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * The blocks of `db` not listed under a hub and item their rows are of (itemBlocks.ts), as text: none while
 * the lists are whole. A list may name more blocks than hold its item (lists only grow), so two devices' lists
 * differ legitimately, and what is compared is this.
 */
export async function unlistedItemBlocks(db: LarderDB): Promise<string[]> {
  const missing: string[] = [];
  for (const block of await db.blocks.toArray())
    for (const row of decodeLedgerRows(block.packed!)) {
      const listed = await listedItemBlocks(db, row.hub, row.item);
      // (Listed no sooner than its newest entry of the item: History stops reading by it.)
      if (
        listed &&
        !listed.some(
          ({ key: [d, b], newest }) => d === block.device && b === block.bucket && newest >= row.at,
        )
      )
        missing.push(`${row.hub}|${row.item} in ${block.device}/${block.bucket}`);
    }
  return [...new Set(missing)];
}

/**
 * Every projection table (`db.projectionTables`, so a new table is compared without touching this file),
 * each as a list of canonical JSON rows sorted by primary key: compared with toEqual, a diff names the
 * rows that differ. `seenAt` of a problem is when this device noticed it, which legitimately differs
 * between devices, so it is left out. The blocks listed by item are given as those not listed that should
 * be (`unlistedItemBlocks`): none.
 */
export async function projectionJson(store: LarderStore): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of store.db.projectionTables) {
    if (table.name === 'itemLists') {
      out[table.name] = await unlistedItemBlocks(store.db);
      continue;
    }
    const keyPath = table.schema.primKey.keyPath;
    // A compound key (the ledger's blocks: device and bucket) as its parts joined.
    const keyOf = (r: Record<string, unknown>) =>
      typeof keyPath === 'string'
        ? String(r[keyPath])
        : (keyPath ?? []).map((k) => String(r[k])).join('\u0000');
    const rows = (await table.toArray()) as Record<string, unknown>[];
    out[table.name] = rows.sort(byKey(keyOf)).map((r) => {
      if (table.name !== 'problems') return canonicalJson(r);
      const { seenAt: _seenAt, ...rest } = r;
      return canonicalJson(rest);
    });
  }
  return out;
}
