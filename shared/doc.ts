import * as Y from 'yjs';
import { itemSchema, type Item } from './catalog';
import type { Entry } from './entries';
import { z } from 'zod';
import { lazySchema } from './lazy';
import { ID_PATTERN } from './ids';
import { hubKey as levelsKey } from './keys';
import type { Levels } from './status';
import { msg, type DomainMessage } from './messages';
import { decodeEntry, packedEntry, storedEntry, type WireEntry } from './wire';
import { PACKED_FORM, type EntryForm } from './entryForms';
import {
  SETTING_COPIES,
  SETTING_VERSIONS,
  settingValue,
  writtenBySetting,
  parseCopyKey,
  parseVersionKey,
  type SettingMap,
} from './trust/settings';
import { headKey, type Restart } from './trust/chain';

/**
 * The layout of a network's Y.Doc: one doc per network, shared by every hub and device in it.
 *
 * - `ledgers`: a Y.Map from device id to that device's Y.Array of entries. Only the device itself ever
 *   appends to its array, so arrays are never created concurrently, a device's entries stay one
 *   contiguous run (Yjs merges them into a few structs: cheap to store and to load), and an entry found
 *   in another device's array is rejected as a forgery.
 * - `items`, `hubs`, `devices`, `levels`, `network`: settings, Y.Maps of plain values. Concurrent edits of
 *   a setting resolve last-writer-wins, which is fine for names and levels. Quantities never live here.
 * - `settingCopies`: on a signed network, each writer's own copy of the settings it wrote (see
 *   shared/trust/settings.ts): what counts when a map's value was replaced by one that does not.
 */
export const LEDGERS = 'ledgers';

export const hubSchema = lazySchema(() =>
  z.object({
    name: z.string().min(1).max(80),
    createdAt: z.number().int(),
    /** Where donors can bring things. Shown on a needs list only when `publishAddress` is true. */
    address: z.string().max(200).optional(),
    publishAddress: z.boolean().optional(),
  }),
);
export const deviceSchema = lazySchema(() =>
  z.object({
    name: z.string().min(1).max(80),
    /** Null for a coordinator's device, which holds no stock of its own. */
    hub: z.string().regex(ID_PATTERN).nullable(),
    createdAt: z.number().int(),
    /** The newest entry form the device reads (shared/entryForms.ts); absent in records from before. */
    reads: z.number().int().min(1).max(1000).optional(),
  }),
);
export const levelsSchema = lazySchema(() =>
  z
    .object({ min: z.number().int().min(0).max(1_000_000), target: z.number().int().min(0).max(1_000_000) })
    .refine((l) => l.target >= l.min, 'target is below minimum'),
);

export type HubInfo = z.infer<typeof hubSchema>;
export type DeviceInfo = z.infer<typeof deviceSchema>;

/** What a device's ledger array holds: packed strings, and tuples written before them (shared/wire.ts). */
export type LedgerWire = string | WireEntry;

export const ledgersOf = (doc: Y.Doc) => doc.getMap<Y.Array<LedgerWire>>(LEDGERS);
export const itemsOf = (doc: Y.Doc) => doc.getMap<unknown>('items');
export const hubsOf = (doc: Y.Doc) => doc.getMap<unknown>('hubs');
export const devicesOf = (doc: Y.Doc) => doc.getMap<unknown>('devices');
export const levelsOf = (doc: Y.Doc) => doc.getMap<unknown>('levels');
export const networkOf = (doc: Y.Doc) => doc.getMap<unknown>('network');
/** Per hub and category: the minimum and target an item gets when it has none of its own. */
export const categoryLevelsOf = (doc: Y.Doc) => doc.getMap<unknown>('categoryLevels');
export const settingCopiesOf = (doc: Y.Doc) => doc.getMap<unknown>(SETTING_COPIES);

export const settingVersionsOf = (doc: Y.Doc) => doc.getMap<unknown>(SETTING_VERSIONS);

/** What each writer wrote of every setting, by setting (`writtenBySetting`). */
export const writtenOf = (doc: Y.Doc) =>
  writtenBySetting(settingVersionsOf(doc).entries(), settingCopiesOf(doc).entries());

/** Up to this many settings are read one by one (`writtenFor`); more, through the index of all of them. */
export const FEW_SETTINGS = 8;

/**
 * What each writer wrote of the settings `wanted` names, as `writtenOf` has them: a change of a few settings
 * (a level, a hub's name) reads each on its own (`writtenOfSetting`), not every writer's version of every
 * setting (at 30,000 signed levels, 50-180 ms each time). Another setting asked for is read when asked.
 */
export function writtenFor(
  doc: Y.Doc,
  wanted: readonly (readonly [SettingMap, string, ...unknown[]])[],
): (map: SettingMap, key: string) => [string, unknown][] {
  if (wanted.length > FEW_SETTINGS) {
    const index = writtenOf(doc);
    return (map, key) => index.get(`${map}/${key}`) ?? [];
  }
  const found = new Map(wanted.map(([map, key]) => [`${map}/${key}`, writtenOfSetting(doc, map, key)]));
  return (map, key) => found.get(`${map}/${key}`) ?? writtenOfSetting(doc, map, key);
}

/**
 * What each writer wrote of one setting: its versions and old-style copies (for `judgeSetting`), as
 * `writtenOf(doc).get(...)` has them, without indexing every other setting: the Network's catch-up days
 * are judged after every commit, and a network with 30,000 signed levels spent about 100 ms a commit
 * parsing every writer's version of all of them. Only the keys of `map` ending in `key` are parsed, and only
 * the values of this setting read.
 */
export function writtenOfSetting(doc: Y.Doc, map: SettingMap, key: string): [string, unknown][] {
  const prefix = `${map}/`;
  const suffix = `/${key}`;
  const out: [string, unknown][] = [];
  const collect = (
    written: Y.Map<unknown>,
    parse: (k: string) => { map: SettingMap; device: string; key: string } | null,
  ) => {
    for (const k of written.keys()) {
      if (!k.startsWith(prefix) || !k.endsWith(suffix)) continue;
      const parsed = parse(k);
      if (parsed && parsed.map === map && parsed.key === key) out.push([parsed.device, written.get(k)]);
    }
  };
  collect(settingVersionsOf(doc), parseVersionKey);
  collect(settingCopiesOf(doc), parseCopyKey);
  return out;
}

export function initNetwork(
  doc: Y.Doc,
  init: {
    networkId: string;
    hubId: string;
    hubName: string;
    deviceId: string;
    deviceName: string;
    now: number;
  },
): void {
  doc.transact(() => {
    networkOf(doc).set('id', init.networkId);
    networkOf(doc).set('createdAt', init.now);
    hubsOf(doc).set(init.hubId, { name: init.hubName, createdAt: init.now } satisfies HubInfo);
    devicesOf(doc).set(init.deviceId, {
      name: init.deviceName,
      hub: init.hubId,
      createdAt: init.now,
    } satisfies DeviceInfo);
  }, 'local');
}

export function addHub(doc: Y.Doc, hubId: string, hub: HubInfo): void {
  doc.transact(() => hubsOf(doc).set(hubId, hub), 'local');
}

export function addDevice(doc: Y.Doc, deviceId: string, device: DeviceInfo): void {
  doc.transact(() => devicesOf(doc).set(deviceId, device), 'local');
}

/**
 * A device's signed chain head, in the doc's `heads` map under its id: [seq, hash, signature], and the
 * restarts of its chain after it lost entries of its own, if any (shared/trust/chain.ts).
 */
export type SignedHead =
  | readonly [seq: number, hash: string, sig: string]
  | readonly [seq: number, hash: string, sig: string, restarts: readonly Restart[]];
/** The newest signed head of each device (only the newest matters: it covers every entry before it). */
export const HEADS = 'heads';
export const headsOf = (doc: Y.Doc) => doc.getMap<unknown>(HEADS);
/** The signed, append-only member list (shared/trust/members.ts). */
export const MEMBERS = 'members';
export const membersOf = (doc: Y.Doc) => doc.getArray<unknown>(MEMBERS);

export function appendMemberOp(doc: Y.Doc, op: readonly [string, string, string]): void {
  doc.transact(() => membersOf(doc).push([[...op]]), 'local');
}

/**
 * The Yjs client id a doc writes its device's signed heads under: a second id next to the doc's own.
 *
 * Each save replaces the device's head in the `heads` map, and a replaced map item stays in the doc as a
 * tombstone. Written under the doc's own client id, those tombstones sit between the ledger appends of
 * successive saves: each costs its own struct and delete-set range, and it splits the ledger items that
 * Yjs would otherwise merge (7.5 B per entry at two lines per save). Under a client id of their own, a
 * device's replaced heads have consecutive clocks, so Yjs merges them into one deleted struct and one
 * range, and the ledger appends merge as if there were no heads (0.07 B per entry; docs/benchmarks-trust.md).
 *
 * Derived from the doc's id so that a staging doc (which takes the live doc's id) writes under the same
 * one. Yjs picks client ids at random from 32 bits; this one collides with another doc's as rarely. Nothing
 * trusts a Yjs client id: a head counts only when its device's key signed it.
 */
export function headsClientId(doc: Y.Doc): number {
  return (doc.clientID ^ 0x5bd1e995) >>> 0;
}

/**
 * Appends this device's new entries to its own ledger array, with the head that signs them, in one
 * transaction. The head is written under `headsClientId(doc)`. `form`: what every device of the network
 * reads (shared/entryForms.ts `formToWrite`).
 */
export function appendEntries(
  doc: Y.Doc,
  device: string,
  entries: readonly Entry[],
  head?: SignedHead,
  form: EntryForm = PACKED_FORM,
): void {
  if (entries.length === 0) return;
  for (const e of entries) {
    if (e.device !== device) throw new Error(`entry of device ${e.device} appended by ${device}`);
  }
  doc.transact(() => {
    const ledgers = ledgersOf(doc);
    let array = ledgers.get(device);
    if (!array) {
      array = new Y.Array<LedgerWire>();
      ledgers.set(device, array);
    }
    array.push(entries.map((e): LedgerWire => (form === PACKED_FORM ? packedEntry(e) : storedEntry(e))));
    if (head) putHead(doc, device, head);
  }, 'local');
}

/** Writes a device's signed head, under the heads' own Yjs client id (`headsClientId`). */
export function putHead(doc: Y.Doc, device: string, head: SignedHead): void {
  doc.transact(() => {
    const own = doc.clientID;
    doc.clientID = headsClientId(doc);
    try {
      headsOf(doc).set(headKey(device, head.length === 4 ? head[3].length : 0), [...head]);
    } finally {
      doc.clientID = own;
    }
  }, 'local');
}

export interface SetAside {
  /** Where it was found: `ledger/<device>/<index>`, `items/<id>`... */
  where: string;
  reason: DomainMessage;
}

/** Validates one wire entry found in `device`'s ledger (a stored tuple takes its device from there). */
export function checkLedgerEntry(
  device: string,
  wire: unknown,
): { ok: true; entry: Entry } | { ok: false; reason: DomainMessage } {
  const decoded = decodeEntry(wire, device);
  if (!decoded.ok) return decoded;
  if (decoded.entry.device !== device)
    return { ok: false, reason: msg('entry.wrongLedger', { device: decoded.entry.device, ledger: device }) };
  return decoded;
}

/**
 * Entries already decoded, by where their wire value is in its device's ledger, with the value itself. A
 * wire value in the doc is never changed (an entry is immutable), so an entry decoded once from the value
 * found at a device's position is what decoding the value found there again would give, when it is the same
 * value. `entriesFromEvents` fills one; `readAllEntriesPaced` takes from it: a new device's catch-up rebuild
 * reads back the million entries its first sync brought without checking each again (about 2 s).
 *
 * Kept by position, in arrays, rather than in a Map keyed by the values: putting a million strings in a Map
 * spent 4.2 s of four joining pages (hashing, and the table doubling as it grew). Its owner lets it go when
 * nothing waits to be projected.
 */
export class DecodedWires {
  /** Each device's decoded run: its first position, then the values and their entries from there on. */
  private readonly runs = new Map<string, { from: number; wires: unknown[]; entries: Entry[] }>();

  set(device: string, index: number, wire: unknown, entry: Entry): void {
    const run = this.runs.get(device);
    if (run && index >= run.from && index <= run.from + run.wires.length) {
      run.wires[index - run.from] = wire;
      run.entries[index - run.from] = entry;
      return;
    }
    // Not next to what is held (the first, or after a gap): a run of its own from here (only a cache).
    this.runs.set(device, { from: index, wires: [wire], entries: [entry] });
  }

  /** The entry decoded from `wire` at this position of the device's ledger, if it is the same value. */
  get(device: string, index: number, wire: unknown): Entry | undefined {
    const run = this.runs.get(device);
    if (!run || index < run.from) return undefined;
    const at = index - run.from;
    return at < run.wires.length && run.wires[at] === wire ? run.entries[at] : undefined;
  }
}

/** Every valid entry in the doc, and what was set aside and why. */
export function readAllEntries(doc: Y.Doc): { entries: Entry[]; problems: SetAside[] } {
  const read = emptyRead();
  const pieces = checkWires(ledgerWires(doc), intoRead(read));
  while (!pieces.next().done);
  return read;
}

/**
 * `readAllEntries`, letting other tasks run (`breathe`) between pieces of the checks, which cost about
 * 4 ms per thousand entries (seconds at a million). What it reads is what the ledgers held when it was
 * called: entries a peer's update brings meanwhile are not read, even into an array not reached yet.
 */
export async function readAllEntriesPaced(
  doc: Y.Doc,
  breathe: () => Promise<void>,
  decoded?: DecodedWires,
  /** Told, at each pause, how many of the doc's ledger values have been read, of how many. */
  progress?: (read: number, of: number) => void,
): Promise<{ entries: Entry[]; problems: SetAside[] }> {
  const read = emptyRead();
  const ledgers = ledgerWires(doc);
  const of = ledgers.reduce((n, [, runs]) => n + (runs?.reduce((k, [, length]) => k + length, 0) ?? 0), 0);
  const pieces = checkWires(ledgers, intoRead(read), decoded);
  for (let step = pieces.next(); !step.done; step = pieces.next()) {
    progress?.(step.value, of);
    await breathe();
  }
  return read;
}

/**
 * `readAllEntriesPaced` for a reader that needs each entry once and keeps none (`take`): the entries are not
 * gathered into one array (at ten million, gigabytes beside the doc's 600 MB). The problems are returned.
 */
export async function eachEntryPaced(
  doc: Y.Doc,
  breathe: () => Promise<void>,
  take: (entry: Entry) => void,
): Promise<SetAside[]> {
  const problems: SetAside[] = [];
  const pieces = checkWires(ledgerWires(doc), { take, setAside: (p) => problems.push(p) });
  while (!pieces.next().done) await breathe();
  return problems;
}

const emptyRead = (): { entries: Entry[]; problems: SetAside[] } => ({ entries: [], problems: [] });

/** Where `checkWires` hands each valid entry and each value set aside. */
interface WireSink {
  take(entry: Entry): void;
  setAside(problem: SetAside): void;
}

const intoRead = (read: ReturnType<typeof emptyRead>): WireSink => ({
  take: (entry) => read.entries.push(entry),
  setAside: (problem) => read.problems.push(problem),
});

/**
 * Each device's ledger as its wire values stand now, as the runs of values its Yjs items hold and how many
 * each holds now (null: not an array). A snapshot without copying a value: Yjs changes an item's array
 * of values only by appending to it (when it merges the next item into it: patches/yjs+13.6.33.patch) and
 * otherwise makes new arrays (splits), so the first `length` values of an array taken here stay what they
 * are. Copied into one array per ledger (`toArray`), a million values held a page 75 ms.
 */
type Run = readonly [values: readonly unknown[], length: number];
function ledgerWires(doc: Y.Doc): [device: string, runs: Run[] | null][] {
  const out: [string, Run[] | null][] = [];
  ledgersOf(doc).forEach((array, device) => {
    if (!(array instanceof Y.Array)) return void out.push([device, null]);
    const runs: Run[] = [];
    for (let item = array._start; item; item = item.right)
      if (item.countable && !item.deleted) runs.push([item.content.getContent(), item.length]);
    out.push([device, runs]);
  });
  return out;
}

/** Checks the wires into `sink`, pausing (yielding how many it has checked) after every 256. */
function* checkWires(
  ledgers: [string, Run[] | null][],
  sink: WireSink,
  decoded?: DecodedWires,
): Generator<number, void> {
  let n = 0;
  for (const [device, runs] of ledgers) {
    if (!runs) {
      sink.setAside({ where: `ledger/${device}`, reason: msg('ledger.notList') });
      continue;
    }
    let index = 0;
    for (const [wires, length] of runs)
      for (let i = 0; i < length; i++) {
        const wire = wires[i];
        // Only a valid wire is remembered, where it was and with its device: junk finds nothing, and is
        // checked.
        const known = decoded?.get(device, index, wire);
        const r =
          known?.device === device ? { ok: true as const, entry: known } : checkLedgerEntry(device, wire);
        if (r.ok) sink.take(r.entry);
        else sink.setAside({ where: `ledger/${device}/${index}`, reason: r.reason });
        index++;
        if ((++n & 0xff) === 0) yield n;
      }
  }
}

/**
 * The new entries a transaction brought, from the events of `ledgersOf(doc).observeDeep`. A device's
 * array that appeared contributes all its entries; an existing array contributes its inserts.
 */
export function entriesFromEvents(
  events: readonly Y.YEvent<Y.AbstractType<unknown>>[],
  decoded?: DecodedWires,
  /**
   * Values of a device's ledger before the first in its array (a doc started from a skeleton holds only the
   * last it left out: shared/sync/skeleton.ts), so that positions are the whole ledger's.
   */
  before: (device: string) => number = () => 0,
): {
  entries: Entry[];
  problems: SetAside[];
} {
  const entries: Entry[] = [];
  const problems: SetAside[] = [];
  const take = (device: string, wires: readonly unknown[], firstIndex: number) => {
    wires.forEach((wire, i) => {
      const r = checkLedgerEntry(device, wire);
      if (r.ok) {
        entries.push(r.entry);
        decoded?.set(device, firstIndex + i, wire, r.entry);
      } else problems.push({ where: `ledger/${device}/${firstIndex + i}`, reason: r.reason });
    });
  };
  for (const event of events) {
    // Only the ledgers map itself and the device arrays directly in it hold entries; anything nested
    // deeper is not part of the layout (a rebuild ignores it too), so it never reaches the projection.
    if (event.path.length === 0 && event.target instanceof Y.Map) {
      const map = event.target as Y.Map<unknown>;
      event.changes.keys.forEach((change, device) => {
        if (change.action !== 'add') return;
        const value = map.get(device);
        if (value instanceof Y.Array) take(device, value.toArray(), 0);
        else problems.push({ where: `ledger/${device}`, reason: msg('ledger.notList') });
      });
    } else if (event.path.length === 1 && event.target instanceof Y.Array) {
      const array = event.target as Y.Array<unknown>;
      const device = String(event.path[0]);
      // A freshly added array is fully handled by its map event above.
      if (events.some((e) => e.path.length === 0 && e.changes.keys.get(device)?.action === 'add')) continue;
      let index = before(device);
      for (const op of event.changes.delta) {
        if (op.retain) index += op.retain;
        if (op.insert && Array.isArray(op.insert)) {
          take(device, op.insert, index);
          index += op.insert.length;
        }
      }
      void array;
    }
  }
  return { entries, problems };
}

export function readItem(
  doc: Y.Doc,
  id: string,
): { ok: true; item: Item } | { ok: false; reason: DomainMessage } {
  return parseItem(id, settingValue(itemsOf(doc).get(id)));
}

/** Validates an item's settings value (already verified on a signed network). */
export function parseItem(
  id: string,
  raw: unknown,
): { ok: true; item: Item } | { ok: false; reason: DomainMessage } {
  const parsed = itemSchema.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      reason: msg('item.invalid', { id, field: parsed.error.issues[0]?.path.join('.') ?? '' }),
    };
  if (parsed.data.id !== id)
    return { ok: false, reason: msg('item.idMismatch', { id, other: parsed.data.id }) };
  return { ok: true, item: parsed.data };
}

export function putItem(doc: Y.Doc, item: Item): void {
  doc.transact(() => itemsOf(doc).set(item.id, item), 'local');
}

/** A levels row's key: `hub|item` for an item's own, `hub|category` for a category's default. */
export { levelsKey };

export function setLevels(doc: Y.Doc, hub: string, item: string, levels: Levels | null): void {
  doc.transact(() => {
    if (levels) levelsOf(doc).set(levelsKey(hub, item), { min: levels.min, target: levels.target });
    else levelsOf(doc).delete(levelsKey(hub, item));
  }, 'local');
}

export function setCategoryLevels(doc: Y.Doc, hub: string, category: string, levels: Levels | null): void {
  doc.transact(() => {
    if (levels)
      categoryLevelsOf(doc).set(levelsKey(hub, category), { min: levels.min, target: levels.target });
    else categoryLevelsOf(doc).delete(levelsKey(hub, category));
  }, 'local');
}

/** Sets the same levels for many items of one hub in one change (bulk editing). */
export function setManyLevels(
  doc: Y.Doc,
  hub: string,
  items: readonly string[],
  levels: Levels | null,
): void {
  doc.transact(() => {
    for (const item of items) {
      if (levels) levelsOf(doc).set(levelsKey(hub, item), { min: levels.min, target: levels.target });
      else levelsOf(doc).delete(levelsKey(hub, item));
    }
  }, 'local');
}

export function readLevels(doc: Y.Doc, key: string): Levels | null {
  const parsed = levelsSchema.safeParse(settingValue(levelsOf(doc).get(key)));
  return parsed.success ? parsed.data : null;
}
