// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { ledgerOf } from './ledgerTable';
import { ledgerRowsInSlots, putLedgerRows } from '../../renderer/storage/ledgerRows';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { LarderDB } from '../../renderer/storage/db';
import { makeStoreCheckpoint, seedFromCheckpoint } from '../../renderer/storage/checkpoint';
import type { LarderStore } from '../../renderer/storage/store';
import { TrustLayer } from '../../renderer/storage/trust';
import { decodeHead } from '../../shared/checkpoint/format';
import { CheckpointError, type SignedCheckpoint } from '../../shared/checkpoint/make';
import { coveredBy } from '../../shared/checkpoint/seed';
import {
  checkpointRows,
  chooseCheckpoint,
  verifyCheckpoint,
  type VerifiedCheckpoint,
} from '../../shared/checkpoint/verify';
import {
  checkLedgerEntry,
  entriesFromEvents,
  headsOf,
  hubsOf,
  ledgersOf,
  membersOf,
  readAllEntries,
  type LedgerWire,
} from '../../shared/doc';
import { signSkeleton, verifySkeleton } from '../../shared/checkpoint/skeleton';
import { checkpointSkeleton } from '../../shared/sync/cut';
import { startedFromSkeleton, type Skeleton } from '../../shared/sync/skeleton';
import { testDevice } from '../shared/trust/fixtures';
import { DISCARD_REASONS, DONATION_SOURCES, type Entry } from '../../shared/entries';
import { ValidationError } from '../../shared/errors';
import { Projector, type LedgerRow, type StockRow, type UsageRow } from '../../shared/projection';
import { ingestUpdate } from '../../shared/sync/ingest';
import { transferViews } from '../../shared/transfers';
import { evaluateMembers, type MemberState } from '../../shared/trust/members';
import {
  canonicalJson,
  FakeClock,
  openReplica,
  Prng,
  reopenReplica,
  SimNetwork,
  type Replica,
} from './replicas';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { startFromBundle } from '../../renderer/storage/checkpoint';
import { openSyncFile } from '../../shared/sync/syncfile';
import { msg } from '../../shared/messages';

/**
 * Seeded randomized convergence with checkpoints (issue 11, point 2). Six real stores record random
 * entries (donations, pickups, counts, discards, undos, transfers with concurrent receipts) while a
 * simulated network delivers their updates in random order, with partitions, duplicates, losses and full
 * state exchanges. At random moments the admin and two coordinators each make a checkpoint of what they
 * have (`makeStoreCheckpoint`), unaware of each other's. Devices started from a checkpoint run beside
 * them: each verifies one as the app would (`verifyCheckpoint` with its member list, `checkpointRows`),
 * seeds an empty database with it (`seedFromCheckpoint`), and from then on counts what its doc brings
 * that the checkpoint does not cover, through the real TrustLayer (gate, signed heads, member list) and
 * the projector, batch by batch as the store's persistence does:
 *
 * - peer 6 is offline from the start and seeded mid-run from the checkpoint every device would choose
 *   (`chooseCheckpoint`), then receives the whole history (the covered part too) in random order;
 * - peer 7 first receives history, including the checkpoint maker's entries made after the checkpoint,
 *   and only then is seeded from the admin's oldest checkpoint that covers any entry;
 * - coordinator 5 also keeps a second database seeded from a checkpoint and fed by its own doc; later
 *   that seeded database makes a checkpoint of its own (signed with 5's key), which seeds peer 8;
 * - now and then one of them restarts: its database is opened again and its gate loaded from it;
 * - store 9 is the app itself joining by a sync file: a new device (a real store) joins with an invite while
 *   offline, imports the full sync file the admin or a coordinator exports at that moment, starts from the
 *   checkpoint it carries (`startFromBundle`, `DocPersistence.seed`: verified by the member log that came
 *   with it), takes the file's history behind it, then comes online and receives the rest in random order;
 *   or, half the time, it takes the file's checkpoint alone and the whole history from the network, in
 *   random order; now and then it restarts, also while it is behind its checkpoint.
 *
 * When everything is delivered, every seeded database must hold exactly the stock rows (on hand, lots,
 * last count, warnings, entry counts), usage rows (the inputs of days of cover), ledger rows (each
 * entry's effect and undo) and transfer states of the stores that have the whole history, and of a full
 * rebuild. Then every checkpoint made during the run, plus the rest fed in random order, must too.
 *
 * A store cannot yet run from a checkpoint alone (a device's later Yjs structs need its earlier ones:
 * docs/checkpoints.md, "Continuing over Yjs"), so a seeded device here still receives the whole doc, and
 * only its projection starts from the checkpoint: covered entries arriving behind it are skipped. But each
 * checkpoint is also made with its maker's skeleton (shared/sync/cut.ts: the maker's doc, as it is right then,
 * up to a cut before which every ledger value is counted), signed and checked as it would travel; at the end a
 * device whose doc starts from that skeleton, given only the answer to its state vector, must have the
 * figures of the whole history too.
 *
 *   CHECKPOINT_CONVERGENCE_SEED=123    replays one seed
 *   CHECKPOINT_CONVERGENCE_SEEDS=100   runs 100 seeds
 *   CHECKPOINT_CONVERGENCE_STEPS=120   steps per seed (default 60)
 *   CHECKPOINT_CONVERGENCE_VERBOSE=1   prints what each seed did
 */
/** 5,022: store 9 takes a checkpoint alone and restarts three times while behind it (the others: a file). */
const FIXED_SEEDS = [20_261_201, 7, 5_022];
const envInt = (name: string) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not ${raw}`);
  return n;
};
const ONE_SEED = envInt('CHECKPOINT_CONVERGENCE_SEED');
const SEED_COUNT = envInt('CHECKPOINT_CONVERGENCE_SEEDS');
const STEPS = envInt('CHECKPOINT_CONVERGENCE_STEPS') ?? 60;
const VERBOSE = !!process.env.CHECKPOINT_CONVERGENCE_VERBOSE;
const SEEDS =
  ONE_SEED !== undefined
    ? [ONE_SEED]
    : SEED_COUNT !== undefined
      ? Array.from({ length: SEED_COUNT }, (_, i) => FIXED_SEEDS[i] ?? 5_000 + i)
      : FIXED_SEEDS;

/**
 * Stores 0-5: 0 the admin (hub 0), 1 and 5 coordinators (no hub; odd stores project a large update two
 * entries per transaction), 2 a hub device, 3 and 4 two devices of one hub (both may receive one transfer).
 */
const STORES = 6;
const ADMIN = 0;
const COORDINATORS = [1, 5];
/** Makers of checkpoints: the admin and the two coordinators. */
const MAKERS = [ADMIN, ...COORDINATORS];
/** Peers started from a checkpoint, on the network beside the stores. */
const CHOSEN_PEER = 6;
const LATE_PEER = 7;
const CHAINED_PEER = 8;
/** A real store that joins by a sync file carrying a checkpoint. */
const JOINER = 9;
const EXPIRIES = ['2025-04-01', '2025-05-15', '2026-01-01'];

/**
 * A device's projection started from a checkpoint: its own database, seeded, and from then on the
 * entries its doc brings (those the checkpoint does not cover) through the TrustLayer and the projector,
 * a batch at a time, as the store's persistence does (DocPersistence.write and .project).
 */
class Seeded {
  private readonly covered: (e: Pick<Entry, 'device' | 'seq'>) => boolean;
  private readonly queue: Entry[] = [];
  private changed = { members: true, heads: true };
  private chain: Promise<void> = Promise.resolve();
  private readonly detach: (() => void)[] = [];
  /** Everything the gate or the projector set aside: nothing here is forged, so it must stay empty. */
  readonly problems: string[] = [];
  trust: TrustLayer;
  restarts = 0;

  private constructor(
    readonly name: string,
    public db: LarderDB,
    readonly doc: Y.Doc,
    readonly checkpoint: VerifiedCheckpoint,
    private readonly network: string,
  ) {
    this.covered = coveredBy(checkpoint.head.covers);
    this.trust = new TrustLayer(network, doc);
  }

  /**
   * Verifies `signed` with the member list `members` (the receiver's), seeds a new database with it,
   * and starts counting what `doc` holds (unless `takeDoc` is false) and brings; a refusal fails the test.
   */
  static async start(
    name: string,
    signed: SignedCheckpoint,
    network: string,
    members: MemberState,
    doc: Y.Doc,
    takeDoc = true,
  ): Promise<Seeded> {
    const verdict = await verifyCheckpoint(signed, network, members);
    if (!verdict.ok) throw new Error(`${name}: checkpoint refused: ${JSON.stringify(verdict.refusal)}`);
    const rows = checkpointRows(verdict.checkpoint, signed.rows);
    if (!rows.ok) throw new Error(`${name}: checkpoint rows refused: ${JSON.stringify(rows.refusal)}`);
    const db = new LarderDB(`larder-cpconv-${name}-${process.pid}-${++opened}`);
    await db.open();
    await seedFromCheckpoint(db, verdict.checkpoint, rows.rows);
    const seeded = new Seeded(name, db, doc, verdict.checkpoint, network);
    await seeded.trust.load(db);
    // From this moment on, every new entry of the doc is queued; what it already holds goes first.
    const onLedgers = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
      const found = entriesFromEvents(events);
      seeded.queue.push(...found.entries);
      for (const p of found.problems) seeded.problems.push(`${p.where}: ${p.reason.code}`);
    };
    const onMembers = () => (seeded.changed.members = true);
    const onHeads = () => (seeded.changed.heads = true);
    ledgersOf(doc).observeDeep(onLedgers);
    membersOf(doc).observe(onMembers);
    headsOf(doc).observe(onHeads);
    seeded.detach.push(
      () => ledgersOf(doc).unobserveDeep(onLedgers),
      () => membersOf(doc).unobserve(onMembers),
      () => headsOf(doc).unobserve(onHeads),
    );
    if (takeDoc) seeded.queue.push(...readAllEntries(doc).entries);
    await seeded.pump();
    return seeded;
  }

  /**
   * As after quitting the app and starting it again: the database is opened again and the gate loaded
   * from it, so what continues counting is only what was stored (the doc stays: it is the peer's own).
   */
  restart(): Promise<void> {
    const run = this.chain.then(async () => {
      this.db.close();
      this.db = new LarderDB(this.db.name);
      await this.db.open();
      this.trust = new TrustLayer(this.network, this.doc);
      await this.trust.load(this.db);
      this.changed = { members: true, heads: true };
      this.restarts += 1;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Entries handed over directly (not through the doc), counted as one batch. */
  feed(entries: readonly Entry[]): Promise<void> {
    this.queue.push(...entries);
    return this.pump();
  }

  /** Counts what was queued since the last call (one batch, one transaction), after any batch before it. */
  pump(): Promise<void> {
    const run = this.chain.then(() => this.batch());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async batch(): Promise<void> {
    const entries = this.queue.splice(0).filter((e) => !this.covered(e));
    const changed = this.changed;
    this.changed = { members: false, heads: false };
    if (entries.length === 0 && !changed.members && !changed.heads) return;
    const plan = await this.trust.plan(entries, changed);
    // Only a revocation or a role change behind counted entries asks for one; this run has neither.
    if (plan.rebuild) throw new Error(`${this.name}: the gate asks for a rebuild from the whole history`);
    const db = this.db;
    await db.transaction(
      'rw',
      [...db.gateTables, db.members, db.problems, db.stock, ...db.ledgerTables, db.usage],
      async () => {
        await this.trust.write(db, plan);
        for (const p of plan.result.problems) this.problems.push(`${p.where}: ${p.reason.code}`);
        for (const p of await projectInto(db, plan.release))
          this.problems.push(`entry/${p.id}: ${p.reason.code}`);
      },
    );
    this.trust.adopt(plan);
  }

  /** The member list this device's doc gives now (for the problems it raises). */
  async memberProblems(): Promise<string[]> {
    const state = await this.trust.currentMembers();
    return state.problems.map((p) => `${p.where}: ${p.reason.code}`);
  }

  /**
   * A store-shaped view of this device for makeStoreCheckpoint: its identity (kept in its own database,
   * as a device keeps it), its seeded projection, its doc.
   */
  async asMaker(host: LarderStore): Promise<LarderStore> {
    const identity = await host.db.meta.get('identity');
    if (identity) await this.db.meta.put(identity);
    const view = {
      self: host.self,
      db: this.db,
      currentMembers: () => this.trust.currentMembers(),
      persistence: {
        trust: this.trust,
        doc: this.doc,
        // Each batch is projected in one transaction: once pumped, nothing is left to project.
        flush: () => this.pump(),
        projected: () => this.pump(),
        // It never rebuilds.
        rebuilt: () => Promise.resolve(),
      },
    };
    return view as unknown as LarderStore;
  }

  close(): void {
    for (const d of this.detach.splice(0)) d();
    this.db.close();
  }
}
let opened = 0;

/**
 * Projects released entries into the database incrementally, as DocPersistence.project does: only the
 * rows they touch are read (their targets, the other entries of their slots, their stock and usage rows).
 */
async function projectInto(db: LarderDB, entries: readonly Entry[]) {
  if (entries.length === 0) return [];
  const need = Projector.lookups(entries);
  const [ledger, bySlot] = await Promise.all([
    ledgerOf(db).bulkGet(need.entryIds),
    ledgerRowsInSlots(db, need.slots),
  ]);
  const rows = new Map<string, LedgerRow>();
  for (const row of [...ledger, ...bySlot]) if (row) rows.set(row.id, row);
  const asked = new Set(need.slots);
  const moreSlots = Projector.slotsOf(rows.values()).filter((slot) => !asked.has(slot));
  if (moreSlots.length > 0) for (const row of await ledgerRowsInSlots(db, moreSlots)) rows.set(row.id, row);
  const stockKeys = [...new Set([...need.stockKeys, ...Projector.stockKeysOf(rows.values())])];
  const usageKeys = [...new Set([...need.usageKeys, ...Projector.usageKeysOf(rows.values())])];
  const [stock, usage] = await Promise.all([db.stock.bulkGet(stockKeys), db.usage.bulkGet(usageKeys)]);
  const projector = new Projector({
    stock: stock.filter((r): r is StockRow => r !== undefined),
    usage: usage.filter((r): r is UsageRow => r !== undefined),
    ledger: rows.values(),
  });
  for (const e of entries) projector.apply(e);
  const changes = projector.changes();
  await Promise.all([
    db.stock.bulkPut(changes.stock),
    putLedgerRows(db, changes.ledger),
    db.usage.bulkPut(changes.usage),
  ]);
  return projector.problems;
}

/** A device on the simulated network that is not a store: a doc that takes updates as a store does. */
class DocPeer {
  readonly persistence = { doc: new Y.Doc() };
  seeded: Seeded | null = null;

  async applyRemoteUpdate(update: Uint8Array, origin: string) {
    const result = ingestUpdate(this.persistence.doc, update, origin);
    if (result.ok && result.changed) await this.seeded?.pump();
    return result;
  }
}

/** What the screens show from the projection: stock, usage (days of cover), the ledger's effects, transfers. */
async function figures(db: LarderDB) {
  const sorted = (rows: ({ key: string } | { id: string })[]) =>
    rows
      .map((r) => ['key' in r ? r.key : r.id, canonicalJson(r)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, json]) => json);
  const ledger = await ledgerOf(db).toArray();
  return {
    stock: sorted(await db.stock.toArray()),
    usage: sorted(await db.usage.toArray()),
    ledger: sorted(ledger),
    transfers: transferViews(ledger)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map(canonicalJson),
  };
}

interface Made {
  by: string;
  step: number;
  signed: SignedCheckpoint & { digest: string };
  /** The maker's skeleton for it, made from its doc right after, signed and checked (`checkpointSkeleton`). */
  skeleton: Skeleton;
  /** The maker's doc (the store's; the shadow's is its host's): its skeleton is made again at the end. */
  doc: Y.Doc;
}

/** Signs the skeletons here (the skeleton's signature is tested in tests/shared/checkpoint/skeleton.test.ts). */
const skeletonKey = testDevice(72);

/**
 * The skeleton `signed`'s maker would carry with it: `doc` (the maker's, as it is now) up to the cut before
 * which every ledger value is one the checkpoint covers; signed, and checked as a receiver checks it.
 */
async function skeletonFor(doc: Y.Doc, signed: SignedCheckpoint & { digest: string }): Promise<Skeleton> {
  const head = decodeHead(signed.head);
  const covered = coveredBy(head.covers);
  const counted = (device: string, value: LedgerWire) => {
    const checked = checkLedgerEntry(device, value);
    return checked.ok && covered(checked.entry);
  };
  const { skeleton } = checkpointSkeleton(doc, counted);
  const key = await skeletonKey;
  const carried = await signSkeleton(skeleton, head.network, head.by, signed.digest, key.keys.privateKey);
  return verifySkeleton(
    carried,
    { network: head.network, by: head.by, key: key.key, digest: signed.digest },
    counted,
  );
}

interface Ctx {
  seed: number;
  rng: Prng;
  clock: FakeClock;
  replicas: Replica[];
  peers: Map<number, DocPeer>;
  net: SimNetwork;
  step: number;
  made: Made[];
  waited: number;
  /** Checkpoints asked for while the maker takes a state exchange. */
  duringExchange: number;
  refused: number;
  entries: number;
  seeded: Seeded[];
  /** Coordinator 5's second database, started from a checkpoint and fed by its own doc. */
  shadow: Seeded | null;
  /** Store 9, and whether it has joined and started from a checkpoint yet. */
  joiner: {
    replica: Replica;
    joined: boolean;
    started: string | null;
    restarts: number;
    /** Restarts while behind its checkpoint (its doc lacking history the checkpoint covers). */
    restartsBehind: number;
    rng: Prng;
  };
}

const where = (ctx: Ctx, what: string) =>
  `seed ${ctx.seed} (replay: CHECKPOINT_CONVERGENCE_SEED=${ctx.seed} CHECKPOINT_CONVERGENCE_STEPS=${STEPS}), ` +
  `step ${ctx.step}: ${what}`;

/** One random command at store `r`; a refusal the screens would also show (undone already, say) is skipped. */
async function command(ctx: Ctx, r: number): Promise<void> {
  const { rng } = ctx;
  const store = ctx.replicas[r]!.store;
  const self = store.self!;
  const items = [...store.itemsInDoc().keys()];
  const hubs = [...hubsOf(store.persistence.doc).keys()];
  const qty = () => String(rng.int(1, 30));
  const run = async (save: () => Promise<Entry | Entry[]>) => {
    try {
      const made = await save();
      ctx.entries += Array.isArray(made) ? made.length : 1;
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      ctx.refused += 1;
    }
  };
  const views = transferViews(await ledgerOf(store.db).toArray());
  const hub = self.hubId;
  const mine = (v: { to: string; from: string }) => !hub || v.to === hub || v.from === hub;
  const kind = rng.weighted({
    donation: hub ? 24 : 0,
    pickup: hub ? 18 : 0,
    count: hub ? 8 : 0,
    discard: hub ? 6 : 0,
    undo: 16,
    send: 10,
    receive: 14,
    request: 4,
    settle: 3,
  });
  const item = () => rng.pick(items);
  switch (kind) {
    case 'donation':
      return run(() =>
        store.recordDonation({
          source: rng.pick(DONATION_SOURCES),
          lines: Array.from({ length: rng.int(1, 2) }, () => ({
            item: item(),
            quantity: qty(),
            ...(rng.bool(0.4) ? { expiry: rng.pick(EXPIRIES) } : {}),
          })),
        }),
      );
    case 'pickup':
      return run(() =>
        store.recordPickup({
          lines: [{ item: item(), quantity: qty() }],
          acknowledgeBelowZero: true,
          ...(rng.bool(0.15) ? { at: ctx.clock.now() - rng.int(0, 2 * 86_400_000) } : {}),
        }),
      );
    case 'count':
      return run(() => store.recordCount({ lines: [{ item: item(), counted: String(rng.int(0, 60)) }] }));
    case 'discard':
      return run(() =>
        store.recordDiscard({
          reason: rng.pick(DISCARD_REASONS),
          lines: [{ item: item(), quantity: qty() }],
        }),
      );
    case 'undo': {
      const visible = (await ledgerOf(store.db).toArray()).filter(
        (row) =>
          row.kind !== 'reversal' &&
          row.kind !== 'transfer_resolve' &&
          !row.reversedBy &&
          (hub ? row.hub === hub : row.device === self.deviceId),
      );
      if (visible.length > 0) await run(() => store.undo(rng.pick(visible).id));
      return;
    }
    case 'send': {
      const asked = views.filter((v) => v.status === 'requested' && (hub ? v.from === hub : true));
      if (asked.length > 0 && rng.bool(0.5)) {
        const v = rng.pick(asked);
        return run(() =>
          store.sendTransfer({
            item: v.item,
            to: v.to,
            quantity: qty(),
            request: v.id,
            from: v.from,
            acknowledgeBelowZero: true,
          }),
        );
      }
      const from = hub ?? rng.pick(hubs);
      const to = rng.bool(0.5) ? ctx.replicas[3]!.store.self!.hubId! : rng.pick(hubs);
      if (to === from) return;
      return run(() =>
        store.sendTransfer({ item: item(), to, quantity: qty(), from, acknowledgeBelowZero: true }),
      );
    }
    case 'receive': {
      const coming = views.filter((v) => v.status === 'in transit' && (hub ? v.to === hub : true));
      if (coming.length === 0) return;
      const v = rng.pick(coming);
      return run(() => store.receiveTransfer(v.id, String(rng.bool(0.8) ? v.inTransit : rng.int(0, 25))));
    }
    case 'request': {
      const from = rng.pick(hubs);
      const to = rng.pick(hubs);
      if (from === to || (hub && from !== hub)) return;
      return run(() => store.requestTransfer({ item: item(), from, to, quantity: qty() }));
    }
    case 'settle': {
      const open = views.filter((v) => v.status === 'discrepancy' && mine(v));
      if (open.length > 0) await run(() => store.settleTransfer(rng.pick(open).id, 'Counted again'));
      return;
    }
  }
}

/** A checkpoint by store `r` of what it has now; one made while entries wait for a signed head waits too. */
async function checkpointAt(ctx: Ctx, r: number): Promise<void> {
  const store = ctx.replicas[r]!.store;
  try {
    const signed = await makeStoreCheckpoint(store, ctx.clock.now());
    const skeleton = await skeletonFor(store.persistence.doc, signed);
    ctx.made.push({ by: `store ${r}`, step: ctx.step, signed, skeleton, doc: store.persistence.doc });
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    ctx.waited += 1;
  }
}

/** The checkpoints made so far that `members` accepts. */
async function acceptable(ctx: Ctx, members: MemberState): Promise<{ made: Made; v: VerifiedCheckpoint }[]> {
  const network = ctx.replicas[ADMIN]!.store.self!.networkId;
  const out: { made: Made; v: VerifiedCheckpoint }[] = [];
  for (const made of ctx.made) {
    const verdict = await verifyCheckpoint(made.signed, network, members);
    if (verdict.ok) out.push({ made, v: verdict.checkpoint });
  }
  return out;
}

const membersOfStore = (store: LarderStore) => store.persistence.trust!.currentMembers();
/** The member list a doc gives (a device that is not a store evaluates it as the TrustLayer does). */
const membersOfDoc = (doc: Y.Doc, network: string) =>
  evaluateMembers(network, membersOf(doc).toArray(), network);

/** Seeds a peer from the checkpoint its member list lets it choose, if there is one yet. */
async function seedPeer(
  ctx: Ctx,
  index: number,
  pick: (ok: { made: Made; v: VerifiedCheckpoint }[]) => Made | null,
) {
  const peer = ctx.peers.get(index)!;
  // Its member list is the one of the store it first syncs with (the doc it has may not hold one yet).
  const via = ctx.replicas[ctx.rng.int(0, STORES - 1)]!.store;
  const members = await membersOfStore(via);
  const made = pick(await acceptable(ctx, members));
  if (!made) return false;
  const network = via.self!.networkId;
  peer.seeded = await Seeded.start(`peer${index}`, made.signed, network, members, peer.persistence.doc);
  ctx.seeded.push(peer.seeded);
  ctx.net.setOnline(index, true);
  return true;
}

/**
 * Peer 7 starts from the admin's oldest checkpoint (the admin makes one if it has none yet) after it has
 * received history that includes an entry the admin made after that checkpoint.
 */
async function seedLatePeer(ctx: Ctx): Promise<void> {
  const admin = ctx.replicas[ADMIN]!.store;
  const network = admin.self!.networkId;
  // The admin's oldest checkpoint that covers any entry (one made before anything was signed is trivial).
  const oldest = () =>
    ctx.made.find(
      (m) => m.by === `store ${ADMIN}` && decodeHead(m.signed.head).covers.some((c) => c.seq > 0),
    );
  if (!oldest()) await checkpointAt(ctx, ADMIN);
  const first = oldest();
  if (!first) return;
  ctx.clock.advance(60_000);
  await admin.recordDonation({
    source: 'individual',
    lines: [{ item: [...admin.itemsInDoc().keys()][0]!, quantity: '3' }],
  });
  ctx.entries += 1;
  ctx.net.setOnline(ADMIN, true);
  ctx.net.setOnline(LATE_PEER, true);
  await ctx.net.exchange(ADMIN, LATE_PEER);
  const peer = ctx.peers.get(LATE_PEER)!;
  const doc = peer.persistence.doc;
  const members = await membersOfDoc(doc, network);
  const verdict = await verifyCheckpoint(first.signed, network, members);
  if (!verdict.ok) throw new Error(where(ctx, `peer 7 refuses: ${JSON.stringify(verdict.refusal)}`));
  const covered = coveredBy(verdict.checkpoint.head.covers);
  const later = readAllEntries(doc).entries.filter((e) => e.device === admin.self!.deviceId && !covered(e));
  expect(
    later.length,
    where(ctx, 'peer 7 holds entries of the admin made after its checkpoint'),
  ).toBeGreaterThan(0);
  peer.seeded = await Seeded.start(`peer${LATE_PEER}`, first.signed, network, members, doc);
  ctx.seeded.push(peer.seeded);
}

/**
 * Store 9 joins (once, with a pre-approved invite, while offline) and imports the full sync file a maker
 * exports now. A file without a checkpoint (the maker cannot make one yet: entries waiting for a signed
 * head) is not imported: it tries again at a later step. `surely`: the admin's file, after everything
 * was delivered, which carries one.
 */
async function joinByFile(ctx: Ctx, surely = false): Promise<void> {
  const { joiner } = ctx;
  const store = joiner.replica.store;
  if (!joiner.joined) {
    await store.joinNetwork({
      invite: await ctx.replicas[ADMIN]!.store.preApprovedInvite(),
      deviceName: 'Device 9',
    });
    joiner.joined = true;
  }
  const maker = surely ? ADMIN : joiner.rng.pick(MAKERS);
  const file = await exportSyncFile(ctx.replicas[maker]!.store, { now: ctx.clock.now() });
  if (file.checkpointCovers === undefined) {
    if (surely) throw new Error(where(ctx, 'the admin could not make a checkpoint once all was delivered'));
    return;
  }
  // Half the time only the file's checkpoint is taken (as a device joining over sync will), and the
  // history behind it comes from the network, in random order, with restarts while it is behind.
  const historyByNetwork = !surely && joiner.rng.bool(0.5);
  if (historyByNetwork) {
    const { fileKey } = await store.secrets();
    const opened = await openSyncFile(file.bytes, { networkId: store.self!.networkId, fileKey });
    if (!opened.ok || !opened.checkpoint) throw new Error(where(ctx, `store ${maker}'s file did not open`));
    const started = await startFromBundle(store, opened.checkpoint);
    expect(started, where(ctx, `store 9 starts from store ${maker}'s checkpoint`)).toMatchObject({
      ok: true,
    });
    expect(store.persistence.behindCheckpoint).toBe(file.checkpointCovers > 0);
  } else {
    const result = await importSyncFile(store, file.bytes, { now: ctx.clock.now() });
    expect(result, where(ctx, `store 9 imports store ${maker}'s file`)).toMatchObject({
      ok: true,
      notes: [msg('syncFile.fromCheckpoint', { from: `Device ${maker}` })],
    });
  }
  joiner.started =
    `store ${maker}'s ${historyByNetwork ? 'checkpoint alone' : 'file'} at step ${ctx.step}, ` +
    `covering ${file.checkpointCovers}`;
  ctx.net.setOnline(JOINER, true);
}

/** Store 9 quits and starts again (its doc a new session), perhaps still behind its checkpoint. */
async function restartJoiner(ctx: Ctx): Promise<void> {
  const { joiner } = ctx;
  if (joiner.replica.store.persistence.behindCheckpoint) joiner.restartsBehind += 1;
  joiner.replica.store.close();
  joiner.replica = await reopenReplica(joiner.replica, ctx.clock, joiner.rng);
  ctx.net.attach(joiner.replica.store, JOINER);
  joiner.restarts += 1;
}

async function run(seed: number, steps: number): Promise<void> {
  const rng = new Prng(seed);
  const clock = new FakeClock();
  const replicas: Replica[] = [];
  for (let i = 0; i < STORES; i++) replicas.push(await openReplica(i, clock, rng, `cpconv${seed}`));
  const peers = new Map([CHOSEN_PEER, LATE_PEER, CHAINED_PEER].map((i) => [i, new DocPeer()]));
  // Its own random source, so that the other devices' runs stay as they were for each seed.
  const joinerRng = new Prng(seed + 1);
  const joiner = {
    replica: await openReplica(JOINER, clock, joinerRng, `cpconv${seed}`),
    joined: false,
    started: null as string | null,
    restarts: 0,
    restartsBehind: 0,
    rng: joinerRng,
  };
  const all = () => [...replicas.map((r) => r.store), ...peers.values(), joiner.replica.store];
  const net = new SimNetwork(all, rng.fork(), { duplicate: 0.05, drop: 0.02, reorder: 0.3 });
  const ctx: Ctx = {
    seed,
    rng,
    clock,
    replicas,
    peers,
    net,
    step: -1,
    made: [],
    waited: 0,
    duringExchange: 0,
    refused: 0,
    entries: 0,
    seeded: [],
    shadow: null,
    joiner,
  };
  for (const i of [...peers.keys(), JOINER]) net.setOnline(i, false);
  const store = (i: number) => replicas[i]!.store;
  try {
    await store(ADMIN).createNetwork({ hubName: 'Hub 0', deviceName: 'Device 0' });
    for (const name of ['Rice', 'Beans', 'Soap']) {
      clock.advance(1_000);
      await store(ADMIN).saveItem({ name, category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
    }
    for (let i = 1; i < STORES; i++) {
      const invite = await store(ADMIN).preApprovedInvite();
      await store(i).joinNetwork({
        invite,
        deviceName: `Device ${i}`,
        asCoordinator: COORDINATORS.includes(i),
      });
    }
    await net.deliverAll();
    for (const i of [2, 3, 4]) {
      clock.advance(1_000);
      if (i === 4) {
        await net.deliverAll();
        await store(4).chooseHub({ hubId: store(3).self!.hubId! });
      } else await store(i).chooseHub({ newHubName: `Hub ${i}` });
    }
    await net.deliverAll();
    await net.exchangeAll();

    // When the special devices start: the shadow and peer 6 once checkpoints exist, peer 7 late.
    const shadowAt = Math.floor(steps * (0.3 + 0.2 * rng.next()));
    const chosenAt = Math.floor(steps * (0.35 + 0.3 * rng.next()));
    const lateAt = Math.floor(steps * (0.6 + 0.2 * rng.next()));
    const chainedAt = Math.floor(steps * (0.7 + 0.2 * rng.next()));
    const joinAt = Math.floor(steps * (0.3 + 0.5 * joinerRng.next()));
    let shadowMade: Made | null = null;

    for (ctx.step = 0; ctx.step < steps; ctx.step++) {
      clock.advance(rng.int(1_000, 30 * 60_000));
      if (rng.bool(0.12)) {
        const r = rng.int(0, STORES - 1);
        net.setOnline(r, !net.online[r]);
      }
      if (rng.bool(0.03)) for (let i = 0; i < STORES; i++) net.setOnline(i, true);
      const actions = Array.from({ length: rng.int(1, 4) }, (): (() => Promise<void>) => {
        const roll = rng.next();
        if (roll < 0.55) {
          const r = rng.int(0, STORES - 1);
          return () => command(ctx, r);
        }
        // The admin and the coordinators make checkpoints at moments of their own, each of what it has.
        if (roll < 0.63) {
          const r = rng.pick(MAKERS);
          if (!rng.bool(0.4)) return () => checkpointAt(ctx, r);
          // Asked for while the maker takes a reconnect's state exchange (a large update: the coordinators
          // project it two entries per transaction).
          const other = rng.pick([...Array(STORES).keys()].filter((i) => i !== r));
          return async () => {
            ctx.duringExchange += 1;
            net.setOnline(r, true);
            net.setOnline(other, true);
            await Promise.all([net.exchange(r, other), checkpointAt(ctx, r)]);
          };
        }
        if (roll < 0.94) {
          const n = rng.int(1, 12);
          return () => net.deliverSome(n);
        }
        return () => net.exchangeRandom();
      });
      // Sometimes commands, checkpoints and deliveries run concurrently, as they do in the app.
      if (rng.bool(0.3)) await Promise.all(actions.map((a) => a()));
      else for (const a of actions) await a();
      await ctx.shadow?.pump();
      // Now and then a device started from a checkpoint quits and starts again.
      if (rng.bool(0.1) && ctx.seeded.length > 0) await rng.pick(ctx.seeded).restart();

      // Coordinator 5 starts a second database from the checkpoint its member list chooses.
      if (!ctx.shadow && ctx.step >= shadowAt) {
        const host = store(5);
        const members = await membersOfStore(host);
        const ok = await acceptable(ctx, members);
        const chosen = chooseCheckpoint(ok.map((c) => c.v));
        if (chosen) {
          const made = ok.find((c) => c.v.digest === chosen.digest)!.made;
          ctx.shadow = await Seeded.start(
            'shadow5',
            made.signed,
            host.self!.networkId,
            members,
            host.persistence.doc,
          );
          ctx.seeded.push(ctx.shadow);
        }
      }
      // Peer 6: the checkpoint every device would choose among those it accepts, then the whole history.
      if (!peers.get(CHOSEN_PEER)!.seeded && ctx.step >= chosenAt)
        await seedPeer(ctx, CHOSEN_PEER, (ok) => {
          const chosen = chooseCheckpoint(ok.map((c) => c.v));
          return chosen ? ok.find((c) => c.v.digest === chosen.digest)!.made : null;
        });
      // Peer 7 syncs first; then it holds an entry the admin made after its oldest checkpoint covering
      // anything, and starts from that checkpoint.
      if (ctx.step === lateAt - 5) net.setOnline(LATE_PEER, true);
      if (!peers.get(LATE_PEER)!.seeded && ctx.step >= lateAt) await seedLatePeer(ctx);
      // The shadow, seeded from a checkpoint and fed since, makes one of its own; it seeds peer 8.
      if (ctx.shadow && !shadowMade && ctx.step >= chainedAt) {
        try {
          const signed = await makeStoreCheckpoint(await ctx.shadow.asMaker(store(5)), clock.now());
          const skeleton = await skeletonFor(store(5).persistence.doc, signed);
          shadowMade = {
            by: 'shadow of store 5',
            step: ctx.step,
            signed,
            skeleton,
            doc: store(5).persistence.doc,
          };
          ctx.made.push(shadowMade);
        } catch (error) {
          if (!(error instanceof CheckpointError)) throw error;
          ctx.waited += 1;
        }
      }
      if (shadowMade && !peers.get(CHAINED_PEER)!.seeded)
        await seedPeer(ctx, CHAINED_PEER, (ok) => ok.find((c) => c.made === shadowMade)?.made ?? null);
      // Store 9 joins by a maker's sync file (again at each later step until one carries a checkpoint).
      if (!joiner.started && ctx.step >= joinAt) await joinByFile(ctx);
      else if (joiner.started && joinerRng.bool(0.08)) await restartJoiner(ctx);
    }

    // Everything heals and is delivered; the seeded devices count what they have not yet.
    const settle = async () => {
      net.heal();
      await net.deliverAll();
      await net.exchangeAll();
      for (const s of ctx.seeded) await s.pump();
    };
    await settle();
    // A run too short (or too partitioned) for the chained case gets it now, and everything settles again.
    if (ctx.shadow && !shadowMade) {
      const signed = await makeStoreCheckpoint(await ctx.shadow.asMaker(store(5)), clock.now());
      const skeleton = await skeletonFor(store(5).persistence.doc, signed);
      shadowMade = {
        by: 'shadow of store 5',
        step: ctx.step,
        signed,
        skeleton,
        doc: store(5).persistence.doc,
      };
      ctx.made.push(shadowMade);
    }
    if (!peers.get(LATE_PEER)!.seeded) {
      await seedLatePeer(ctx);
      await settle();
    }
    if (shadowMade && !peers.get(CHAINED_PEER)!.seeded) {
      await seedPeer(ctx, CHAINED_PEER, (ok) => ok.find((c) => c.made === shadowMade)?.made ?? null);
      await settle();
    }
    if (!joiner.started) {
      await joinByFile(ctx, true);
      await settle();
    }
    // The device that joined by a file holds the whole history now: counted once, as every store does.
    const joined = joiner.replica.store;
    await joined.persistence.seedHistoryWritten();
    await joined.persistence.flush();
    await joined.persistence.rebuilt();
    expect(joined.persistence.behindCheckpoint, where(ctx, 'store 9 still behind its checkpoint')).toBe(
      false,
    );

    const full = await figures(store(ADMIN).db);
    for (let i = 1; i < STORES; i++)
      expect(await figures(store(i).db), where(ctx, `store ${i} vs store 0`)).toEqual(full);
    expect(
      await figures(joined.db),
      where(ctx, `store 9 (joined by a file, from ${joiner.started}) vs store 0`),
    ).toEqual(full);
    expect(await joined.db.problems.toArray(), where(ctx, 'problems at store 9')).toEqual([]);
    expect(
      ctx.seeded.map((s) => s.name),
      where(ctx, 'devices started from a checkpoint'),
    ).toEqual(
      expect.arrayContaining(['shadow5', `peer${CHOSEN_PEER}`, `peer${LATE_PEER}`, `peer${CHAINED_PEER}`]),
    );
    for (const s of ctx.seeded) {
      const got = await figures(s.db);
      for (const part of ['stock', 'usage', 'ledger', 'transfers'] as const)
        expect(
          got[part],
          where(ctx, `${part} of ${s.name} (from ${s.checkpoint.digest}) vs the whole history`),
        ).toEqual(full[part]);
      expect([...s.problems, ...(await s.memberProblems())], where(ctx, `problems at ${s.name}`)).toEqual([]);
    }
    // A rebuild from the whole doc gives the same figures.
    await store(ADMIN).rebuildProjections();
    expect(await figures(store(ADMIN).db), where(ctx, 'a full rebuild vs the incremental figures')).toEqual(
      full,
    );

    // Every checkpoint made during the run, plus the rest of the history in random order and batches.
    const network = store(ADMIN).self!.networkId;
    const members = await membersOfStore(store(ADMIN));
    const finalState = Y.encodeStateAsUpdate(store(ADMIN).persistence.doc);
    /** What each skeleton's answer weighed, against the whole doc. */
    const skeletonAnswers: number[] = [];
    for (const made of ctx.made) {
      // A new device holding the final doc (its member list and signed heads), started from the
      // checkpoint, then given every entry in random order and random batches.
      const doc = new Y.Doc();
      Y.applyUpdate(doc, finalState);
      const s = await Seeded.start(
        `end-${made.signed.digest.slice(0, 8)}`,
        made.signed,
        network,
        members,
        doc,
        false,
      );
      const entries = readAllEntries(doc).entries;
      for (let i = entries.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [entries[i], entries[j]] = [entries[j]!, entries[i]!];
      }
      while (entries.length > 0) await s.feed(entries.splice(0, rng.int(1, 40)));
      const got = await figures(s.db);
      expect(got, where(ctx, `checkpoint by ${made.by} at step ${made.step} plus the rest`)).toEqual(full);
      expect(s.problems, where(ctx, `problems from checkpoint by ${made.by} at step ${made.step}`)).toEqual(
        [],
      );
      s.close();

      // A new device whose doc starts from the checkpoint's skeleton, given only the answer to its state
      // vector (what follows the cut) through the ingest: every entry the checkpoint does not count reaches it.
      // Twice: the skeleton made right after the checkpoint, and one made now from the maker's doc, which holds
      // every entry made since (none of them counted: all past the cut).
      const late = await skeletonFor(made.doc, made.signed);
      for (const [when, skeleton] of [
        ['right after', made.skeleton],
        ['at the end', late],
      ] as const) {
        const fromSkeleton = new Y.Doc();
        for (const update of skeleton.updates) Y.applyUpdate(fromSkeleton, update);
        startedFromSkeleton(fromSkeleton, skeleton);
        const k = await Seeded.start(
          `skeleton-${made.signed.digest.slice(0, 8)}`,
          made.signed,
          network,
          members,
          fromSkeleton,
          false,
        );
        const answer = Y.encodeStateAsUpdate(store(ADMIN).persistence.doc, Y.encodeStateVector(fromSkeleton));
        const what = `the skeleton of the checkpoint by ${made.by} at step ${made.step}, made ${when}`;
        expect(ingestUpdate(fromSkeleton, answer, 'peer'), where(ctx, `the answer to ${what}`)).toMatchObject(
          {
            ok: true,
          },
        );
        await k.pump();
        expect(fromSkeleton.store.pendingStructs, where(ctx, `structs ${what} left pending`)).toBeNull();
        expect(await figures(k.db), where(ctx, `${what}, plus what follows its cut`)).toEqual(full);
        expect(k.problems, where(ctx, `problems from ${what}`)).toEqual([]);
        skeletonAnswers.push(answer.byteLength / finalState.byteLength);
        k.close();
      }
    }

    if (VERBOSE)
      console.log(
        `seed ${seed}: ${ctx.entries} entries (${ctx.refused} refused), ${ctx.made.length} checkpoints ` +
          `(${ctx.made.map((m) => `${m.by}@${m.step}`).join(', ')}; ${ctx.waited} waited, ${ctx.duringExchange} during an exchange), seeded: ` +
          `${ctx.seeded.map((s) => `${s.name} covering ${s.checkpoint.covered}, ${s.restarts} restarts`).join(', ')}; ` +
          `store 9 joined by a file from ${joiner.started}, ${joiner.restarts} restarts (${joiner.restartsBehind} behind it); network ${JSON.stringify(net.stats)}; ` +
          `answers to skeletons, of the whole doc: ${skeletonAnswers.map((f) => `${Math.round(100 * f)}%`).join(', ')}`,
      );
  } finally {
    net.detach();
    for (const s of ctx.seeded) s.close();
    for (const r of replicas) r.store.close();
    joiner.replica.store.close();
  }
}

describe('convergence with devices started from checkpoints made concurrently', () => {
  it.each(SEEDS)(`seed %i (${STEPS} steps)`, (seed) => run(seed, STEPS), Math.max(60_000, STEPS * 3_000));
});
