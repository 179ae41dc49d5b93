import * as Y from 'yjs';
import {
  devicesOf,
  deviceSchema,
  entriesFromEvents,
  hubsOf,
  hubSchema,
  itemsOf,
  ledgersOf,
  levelsOf,
  levelsSchema,
  categoryLevelsOf,
  headsOf,
  membersOf,
  readAllEntries,
  parseItem,
  type SetAside,
} from '../../shared/doc';
import { appendAll } from '../../shared/arrays';
import type { Entry } from '../../shared/entries';
import { normalizeName } from '../../shared/catalog';
import { Projector, type LedgerRow, type StockRow, type UsageRow } from '../../shared/projection';
import type { LarderDB, ProblemRow } from './db';
import { TrustLayer, type TrustPlan } from './trust';
import { settingValue, type SettingMap, type SettingVerdict } from '../../shared/trust/settings';
import { guardHeads } from '../../shared/sync/ingest';
import { headCheckFor } from '../../shared/sync/headCheck';

/** Bump when the projection code changes what it writes: projections are then rebuilt from the doc. */
export const PROJECTION_VERSION = 4;
/** Small update rows are merged into one when there are more than this many. */
const MERGE_AFTER_ROWS = 200;
/**
 * A batch with more entries than this (a new device's first sync, a whole-history sync file) is
 * projected this many at a time, one transaction each, so the device's own saves go in between.
 */
export const PROJECT_CHUNK = 20_000;

type SettingChange<T> = Map<string, T | undefined>;

/** What a committed batch brought: its entries, and whether any setting changed. */
export interface Commit {
  entries: readonly Entry[];
  settingsChanged: boolean;
}

/** Extra writes that must commit atomically with the batch (the device's own sequence number). */
type AlsoWrite = () => Promise<unknown>;

interface Batch {
  updates: Uint8Array[];
  also: AlsoWrite[];
  entries: Entry[];
  problems: SetAside[];
  items: SettingChange<unknown>;
  hubs: SettingChange<unknown>;
  devices: SettingChange<unknown>;
  levels: SettingChange<unknown>;
  categoryLevels: SettingChange<unknown>;
  /** The member list or a signed head changed (signed networks). */
  membersChanged: boolean;
  headsChanged: boolean;
}

const emptyBatch = (): Batch => ({
  updates: [],
  also: [],
  entries: [],
  problems: [],
  items: new Map(),
  hubs: new Map(),
  devices: new Map(),
  levels: new Map(),
  categoryLevels: new Map(),
  membersChanged: false,
  headsChanged: false,
});

/**
 * Keeps a Y.Doc and the device's IndexedDB in step. Every change to the doc, local or remote, is
 * captured as its Yjs update plus the entries and settings it brought; changes are batched and written
 * in ONE Dexie transaction (update row + projections), so a committed entry always has its projection and
 * a projection never shows an entry the disk does not hold. `flush()` resolves once that commit is done:
 * that is when the UI may say "Saved".
 */
export class DocPersistence {
  readonly doc = new Y.Doc({ gc: true });
  private batch = emptyBatch();
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private loaded = false;
  /** Called after each committed batch with the entries it held (for sync status, alerts...). */
  private readonly committedListeners = new Set<(commit: Commit) => void>();
  /**
   * Entries whose update row is committed but which are not projected yet: the rest of a very large
   * batch, taken `chunk` at a time. While any are left, the projection meta row says `incomplete`, so a
   * device stopped halfway rebuilds its projections from the doc when it starts again.
   */
  private backlog: Entry[] = [];
  private backlogAt = 0;
  private readonly backlogListeners = new Set<() => void>();
  private drained: { promise: Promise<void>; resolve: () => void } | null = null;
  private chunkQueued = false;
  /** Set on a signed network: what counts is decided from signatures and the member list. */
  private trustLayer: TrustLayer | null = null;

  constructor(
    private readonly db: LarderDB,
    private readonly now: () => number,
    private readonly chunk = PROJECT_CHUNK,
  ) {}

  /**
   * Starts capturing changes. Done after the persisted doc is applied, not before: with a listener
   * attached, Yjs would re-encode the whole loaded doc as one update only for it to be dropped (about
   * half the load time at a million entries).
   */
  private attach(): void {
    this.doc.on('update', (update: Uint8Array) => {
      this.batch.updates.push(update);
      this.schedule();
    });
    ledgersOf(this.doc).observeDeep((events) => {
      const found = entriesFromEvents(events);
      appendAll(this.batch.entries, found.entries);
      appendAll(this.batch.problems, found.problems);
    });
    const watch = (map: Y.Map<unknown>, pick: (b: Batch) => SettingChange<unknown>) =>
      map.observe((event) => {
        for (const key of event.keysChanged) pick(this.batch).set(key, map.get(key));
      });
    watch(itemsOf(this.doc), (b) => b.items);
    watch(hubsOf(this.doc), (b) => b.hubs);
    watch(devicesOf(this.doc), (b) => b.devices);
    watch(levelsOf(this.doc), (b) => b.levels);
    watch(categoryLevelsOf(this.doc), (b) => b.categoryLevels);
    membersOf(this.doc).observe(() => (this.batch.membersChanged = true));
    headsOf(this.doc).observe(() => (this.batch.headsChanged = true));
  }

  /**
   * Turns on signature checks for a signed network (before `load`, or on a new device before anything
   * arrives). Entries then count only as the gate decides (shared/trust/gate.ts).
   */
  enableTrust(network: string, anchor: string = network): void {
    if (this.trustLayer?.network === network && this.trustLayer.anchor === anchor) return;
    this.trustLayer = new TrustLayer(network, this.doc, anchor);
    guardHeads(this.doc, headCheckFor(network));
  }

  get trust(): TrustLayer | null {
    return this.trustLayer;
  }

  /** Called after each committed batch: views that keep figures in memory patch just what changed. */
  onCommitted(listener: (commit: Commit) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  /** Loads the persisted doc. Projections are already on disk, so the UI need not wait for this. */
  async load(): Promise<void> {
    const rows = await this.db.updates.toArray();
    this.doc.transact(() => {
      for (const row of rows) Y.applyUpdate(this.doc, row.update, 'load');
    }, 'load');
    this.attach();
    this.loaded = true;
    await this.trustLayer?.load(this.db);
    const meta = await this.db.meta.get('projection');
    if (!meta || meta.key !== 'projection' || meta.version !== PROJECTION_VERSION || meta.incomplete)
      await this.rebuild();
  }

  /** Entries committed in the doc but not projected yet (0 almost always: see `backlog`). */
  get unprojected(): number {
    return this.backlog.length - this.backlogAt;
  }

  /** Called when `unprojected` changes. */
  onBacklog(listener: () => void): () => void {
    this.backlogListeners.add(listener);
    return () => this.backlogListeners.delete(listener);
  }

  /** Resolves once every committed entry is projected. */
  projected(): Promise<void> {
    return this.unprojected === 0 ? Promise.resolve() : this.drained!.promise;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Remote updates arrive in bursts: one transaction per burst, not one per update.
    queueMicrotask(() => void this.flush());
  }

  /**
   * Commits everything captured so far; resolves when it is in IndexedDB. `also` runs inside the same
   * transaction, so what it writes commits together with the batch or not at all.
   */
  flush(also?: AlsoWrite): Promise<void> {
    this.scheduled = false;
    const batch = this.batch;
    if (also) batch.also.push(also);
    this.batch = emptyBatch();
    const run = this.chain.then(() =>
      this.write(batch).catch((error: unknown) => {
        // The doc already holds these changes: keep them queued so the next commit retries them,
        // and let the caller say "not saved".
        this.requeue(batch);
        throw error;
      }),
    );
    this.chain = run.catch(() => undefined);
    // A chunk of the backlog that failed earlier is tried again behind this save.
    if (this.unprojected > 0 && !this.chunkQueued) this.continueBacklog();
    return run;
  }

  private requeue(failed: Batch): void {
    const next = this.batch;
    next.updates = [...failed.updates, ...next.updates];
    next.also = [...failed.also, ...next.also];
    next.entries = [...failed.entries, ...next.entries];
    next.problems = [...failed.problems, ...next.problems];
    next.membersChanged ||= failed.membersChanged;
    next.headsChanged ||= failed.headsChanged;
    for (const key of ['items', 'hubs', 'devices', 'levels', 'categoryLevels'] as const) {
      for (const [k, v] of failed[key]) if (!next[key].has(k)) next[key].set(k, v);
    }
  }

  private async write(batch: Batch): Promise<void> {
    if (batch.updates.length === 0 && batch.also.length === 0) return;
    const db = this.db;
    const seenAt = this.now();
    // On a signed network only what the gate releases counts (signatures are checked before the
    // transaction: WebCrypto is asynchronous and would end an IndexedDB transaction).
    const trust = this.trustLayer;
    const plan: TrustPlan | null = trust
      ? await trust.plan(batch.entries, { members: batch.membersChanged, heads: batch.headsChanged })
      : null;
    const counted = plan ? plan.release : batch.entries;
    // A changed member list can change which settings count: all of them are judged again.
    if (plan?.members) this.allSettings(batch);
    const verdicts = await this.settingVerdicts(batch);
    // A very large batch: its update row commits now with the first chunk's projections; the rest
    // goes to the backlog, projected a chunk at a time after this (and after saves queued meanwhile).
    const now = counted.length > this.chunk ? counted.slice(0, this.chunk) : counted;
    const later = now === counted ? [] : counted.slice(this.chunk);
    await db.transaction('rw', [db.updates, ...db.projectionTables, db.meta], async () => {
      if (batch.updates.length > 0)
        await db.updates.add({ update: Y.mergeUpdates(batch.updates), entries: batch.entries.length });
      for (const write of batch.also) await write();
      const problems: ProblemRow[] = batch.problems.map((p) => ({ ...p, seenAt }));
      if (plan) {
        await trust!.write(db, plan);
        for (const p of plan.problems) problems.push({ ...p, seenAt });
      }
      if (now.length > 0) appendAll(problems, await this.project(now, seenAt));
      appendAll(problems, await this.writeSettings(batch, seenAt, verdicts));
      if (problems.length > 0) await db.problems.bulkPut(problems);
      if (later.length > 0) await this.markProjection(true, seenAt);
    });
    if (plan) trust!.adopt(plan);
    if (later.length > 0) this.addToBacklog(later);
    // Entries that counted no longer should (a revocation behind them): derive everything again.
    if (plan?.rebuild) void this.rebuild().catch(() => undefined);
    const commit: Commit = {
      entries: now,
      settingsChanged:
        (plan?.members ? 1 : 0) +
          batch.items.size +
          batch.hubs.size +
          batch.devices.size +
          batch.levels.size +
          batch.categoryLevels.size >
        0,
    };
    for (const listener of this.committedListeners) listener(commit);
    await this.mergeSmallUpdates();
  }

  private async markProjection(incomplete: boolean, at: number): Promise<void> {
    const meta = await this.db.meta.get('projection');
    const rebuiltAt = meta?.key === 'projection' ? meta.rebuiltAt : at;
    await this.db.meta.put({
      key: 'projection',
      version: PROJECTION_VERSION,
      rebuiltAt,
      ...(incomplete ? { incomplete: true } : {}),
    });
  }

  private addToBacklog(entries: Entry[]): void {
    if (this.unprojected === 0) {
      this.backlog = entries;
      this.backlogAt = 0;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.drained = { promise, resolve };
    } else {
      this.backlog = this.backlog.slice(this.backlogAt);
      this.backlogAt = 0;
      appendAll(this.backlog, entries);
    }
    this.notifyBacklog();
    this.continueBacklog();
  }

  /** Queues the next chunk of the backlog behind whatever is queued now (saves go first). */
  private continueBacklog(): void {
    this.chunkQueued = true;
    const run = this.chain.then(() => this.projectNextChunk());
    this.chain = run.catch(() => undefined);
  }

  private async projectNextChunk(): Promise<void> {
    this.chunkQueued = false;
    if (this.unprojected === 0) return;
    const db = this.db;
    const seenAt = this.now();
    const chunk = this.backlog.slice(this.backlogAt, this.backlogAt + this.chunk);
    const last = this.backlogAt + chunk.length >= this.backlog.length;
    try {
      await db.transaction('rw', [...db.projectionTables, db.meta], async () => {
        const problems = await this.project(chunk, seenAt);
        if (problems.length > 0) await db.problems.bulkPut(problems);
        if (last) await this.markProjection(false, seenAt);
      });
    } catch (error) {
      // Left in the backlog: the next save tries again, and a restart rebuilds (the meta row says so).
      console.error('Larder could not project part of a large update; it will try again', error);
      return;
    }
    this.backlogAt += chunk.length;
    const commit: Commit = { entries: chunk, settingsChanged: false };
    for (const listener of this.committedListeners) listener(commit);
    if (!last) this.notifyBacklog();
    if (last) this.finishBacklog();
    else this.continueBacklog();
  }

  /** Everything committed is projected: empty the backlog and tell whoever waits. */
  private finishBacklog(): void {
    this.backlog = [];
    this.backlogAt = 0;
    this.drained?.resolve();
    this.drained = null;
    this.notifyBacklog();
  }

  private notifyBacklog(): void {
    for (const listener of this.backlogListeners) listener();
  }

  private async project(entries: Entry[], seenAt: number): Promise<ProblemRow[]> {
    const db = this.db;
    const need = Projector.lookups(entries);
    const [ledger, bySlot] = await Promise.all([
      db.ledger.bulkGet(need.entryIds),
      db.ledger.where('slot').anyOf(need.slots).toArray(),
    ]);
    const ledgerById = new Map<string, LedgerRow>();
    for (const row of [...ledger, ...bySlot]) if (row) ledgerById.set(row.id, row);
    // Second round: the other members of the slots those rows are in.
    const asked = new Set(need.slots);
    const moreSlots = Projector.slotsOf(ledgerById.values()).filter((slot) => !asked.has(slot));
    if (moreSlots.length > 0)
      for (const row of await db.ledger.where('slot').anyOf(moreSlots).toArray()) ledgerById.set(row.id, row);
    const stockKeys = new Set([...need.stockKeys, ...Projector.stockKeysOf(ledgerById.values())]);
    const usageKeys = new Set([...need.usageKeys, ...Projector.usageKeysOf(ledgerById.values())]);
    const [stock, usage] = await Promise.all([
      db.stock.bulkGet([...stockKeys]),
      db.usage.bulkGet([...usageKeys]),
    ]);
    const projector = new Projector({
      stock: stock.filter((r): r is StockRow => r !== undefined),
      ledger: ledgerById.values(),
      usage: usage.filter((r): r is UsageRow => r !== undefined),
    });
    for (const e of entries) projector.apply(e);
    const changes = projector.changes();
    await Promise.all([
      db.stock.bulkPut(changes.stock),
      db.ledger.bulkPut(changes.ledger),
      db.usage.bulkPut(changes.usage),
    ]);
    return projector.problems.map((p) => ({ where: `entry/${p.id}`, reason: p.reason, seenAt }));
  }

  /**
   * Projects changed settings exactly as a rebuild would: valid → row, cleared or invalid → no row (and
   * invalid → a problem), so the incremental path and a rebuild never disagree. On a signed network a
   * value counts only with its verdict (signed by a device with the right: shared/trust/settings.ts).
   */
  private async writeSettings(
    batch: Batch,
    seenAt: number,
    verdicts: Map<string, SettingVerdict> | null,
  ): Promise<ProblemRow[]> {
    const db = this.db;
    const problems: ProblemRow[] = [];
    /** The value that counts, or undefined (cleared, absent, or set aside with a problem). */
    const valueOf = (map: SettingMap, key: string, raw: unknown): unknown => {
      if (!verdicts) return raw;
      const verdict = verdicts.get(`${map}/${key}`);
      if (!verdict) return undefined;
      if (verdict.ok) return verdict.value;
      if (!verdict.held) problems.push({ where: `${map}/${key}`, reason: verdict.reason, seenAt });
      return undefined;
    };
    for (const [id, raw] of batch.items) {
      const value = valueOf('items', id, verdicts ? raw : settingValue(itemsOf(this.doc).get(id)));
      const r = parseItem(id, value);
      if (r.ok) await db.items.put({ ...r.item, nameKey: normalizeName(r.item.name) });
      else {
        await db.items.delete(id);
        if (value !== undefined) problems.push({ where: `items/${id}`, reason: r.reason, seenAt });
      }
    }
    for (const [id, raw] of batch.hubs) {
      const value = valueOf('hubs', id, raw);
      const p = hubSchema.safeParse(value);
      if (p.success) await db.hubs.put({ ...p.data, id });
      else {
        await db.hubs.delete(id);
        if (value !== undefined)
          problems.push({ where: `hubs/${id}`, reason: 'Hub settings are invalid', seenAt });
      }
    }
    for (const [id, raw] of batch.devices) {
      const value = valueOf('devices', id, raw);
      const p = deviceSchema.safeParse(value);
      if (p.success) await db.devices.put({ ...p.data, id });
      else {
        await db.devices.delete(id);
        if (value !== undefined)
          problems.push({ where: `devices/${id}`, reason: 'Device settings are invalid', seenAt });
      }
    }
    for (const [key, raw] of batch.levels) {
      const [hub = '', item = ''] = key.split('|');
      const value = valueOf('levels', key, raw);
      const p = levelsSchema.safeParse(value);
      if (p.success) await db.levels.put({ ...p.data, key, hub, item });
      else {
        await db.levels.delete(key);
        if (value !== undefined)
          problems.push({ where: `levels/${key}`, reason: 'Minimum and target are invalid', seenAt });
      }
    }
    for (const [key, raw] of batch.categoryLevels) {
      const [hub = '', category = ''] = key.split('|');
      const value = valueOf('categoryLevels', key, raw);
      const p = levelsSchema.safeParse(value);
      if (p.success) await db.categoryLevels.put({ ...p.data, key, hub, category });
      else {
        await db.categoryLevels.delete(key);
        if (value !== undefined)
          problems.push({ where: `categoryLevels/${key}`, reason: 'Minimum and target are invalid', seenAt });
      }
    }
    return problems;
  }

  /** Every setting in the doc, as a batch's setting changes (a rebuild, or a member list that changed). */
  private allSettings(into: Batch): Batch {
    itemsOf(this.doc).forEach((v, k) => into.items.set(k, v));
    hubsOf(this.doc).forEach((v, k) => into.hubs.set(k, v));
    devicesOf(this.doc).forEach((v, k) => into.devices.set(k, v));
    levelsOf(this.doc).forEach((v, k) => into.levels.set(k, v));
    categoryLevelsOf(this.doc).forEach((v, k) => into.categoryLevels.set(k, v));
    return into;
  }

  /** Verdicts for a batch's settings on a signed network (null on an unsigned one). */
  private async settingVerdicts(batch: Batch): Promise<Map<string, SettingVerdict> | null> {
    const trust = this.trustLayer;
    if (!trust) return null;
    const keys: [SettingMap, string][] = [];
    for (const map of ['items', 'hubs', 'devices', 'levels', 'categoryLevels'] as const)
      for (const key of batch[map].keys()) keys.push([map, key]);
    return trust.settingVerdicts(keys);
  }

  /**
   * Keeps loading fast: merges the small rows written since the last merge into one, leaving the large
   * base row alone (merging updates is cheap and needs no doc).
   */
  private async mergeSmallUpdates(): Promise<void> {
    const db = this.db;
    if ((await db.updates.count()) <= MERGE_AFTER_ROWS) return;
    await db.transaction('rw', db.updates, async () => {
      const rows = await db.updates.orderBy('id').toArray();
      const [, ...small] = rows;
      if (small.length < 2) return;
      const merged = Y.mergeUpdates(small.map((r) => r.update));
      await db.updates.bulkDelete(small.map((r) => r.id!));
      await db.updates.add({ update: merged, entries: small.reduce((s, r) => s + r.entries, 0) });
    });
  }

  /** Replaces every row of the doc with one update: done after a rebuild, when the doc is loaded anyway. */
  async compact(): Promise<void> {
    const db = this.db;
    await this.chain;
    const state = Y.encodeStateAsUpdate(this.doc);
    await db.transaction('rw', db.updates, async () => {
      const total = (await db.updates.toArray()).reduce((s, r) => s + r.entries, 0);
      await db.updates.clear();
      await db.updates.add({ update: state, entries: total });
    });
  }

  /** Throws away every projection and derives them again from the doc (the backlog included). */
  rebuild(): Promise<{ entries: number; problems: number }> {
    if (!this.loaded) return Promise.reject(new Error('rebuild before the doc is loaded'));
    const run = this.chain.then(() => this.rebuildNow());
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async rebuildNow(): Promise<{ entries: number; problems: number }> {
    const db = this.db;
    const { entries, problems } = readAllEntries(this.doc);
    const trust = this.trustLayer;
    const plan = trust ? await trust.plan(entries, { members: true, heads: true }, true) : null;
    const projector = new Projector();
    for (const e of plan ? plan.release : entries) projector.apply(e);
    const seenAt = this.now();
    const all: ProblemRow[] = [
      ...problems.map((p) => ({ ...p, seenAt })),
      ...(plan?.problems ?? []).map((p) => ({ ...p, seenAt })),
      ...projector.problems.map((p) => ({ where: `entry/${p.id}`, reason: p.reason, seenAt })),
    ];
    const settings = this.allSettings(emptyBatch());
    const verdicts = await this.settingVerdicts(settings);
    await db.transaction('rw', [...db.projectionTables, db.meta], async () => {
      await Promise.all(db.projectionTables.map((t) => t.clear()));
      await db.stock.bulkPut(projector.allStock());
      await db.usage.bulkPut(projector.allUsage());
      const ledger = projector.allLedger();
      for (let i = 0; i < ledger.length; i += 50_000) await db.ledger.bulkPut(ledger.slice(i, i + 50_000));
      appendAll(all, await this.writeSettings(settings, seenAt, verdicts));
      if (plan) await trust!.write(db, plan);
      if (all.length > 0) await db.problems.bulkPut(all);
      await db.meta.put({ key: 'projection', version: PROJECTION_VERSION, rebuiltAt: seenAt });
    });
    if (plan) trust!.adopt(plan);
    // Everything in the doc is projected now, the backlog too.
    if (this.unprojected > 0) this.finishBacklog();
    return { entries: entries.length, problems: all.length };
  }

  destroy(): void {
    this.doc.destroy();
  }
}
