import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { LEDGERS } from '../doc';

/**
 * A doc without its ledgers' history: the doc's updates rewritten so that, applied to an empty doc, they give
 * one that holds every setting as it is (items, hubs, devices, levels, heads, members...) but, of each
 * device's ledger, only its last value. Every other ledger value is a Yjs GC struct: a clock range with
 * nothing in it, which Yjs keeps as one small struct per run (a device's ledger is one run).
 *
 * What it is for (issue 11: the heap at ten million entries): a device that has its ledger's figures in its
 * projections (and its history on disk, or behind a checkpoint) need not hold every entry in memory to go on
 * syncing. The skeleton has the doc's state vector, so Yjs asks peers for nothing it had; and since a device
 * appends to its own array only, right after its last value, every later entry of every device (its own
 * saves and its peers') integrates after a value kept (the last each Yjs client, each run of the app, wrote
 * there), as in the whole doc: the ledger events a skeleton doc emits are the new entries, as the whole doc's.
 * A value appended after one left out (a device that lost entries writes on from what it kept), which Yjs
 * would drop as it drops anything next to garbage-collected content, the ingest takes rewritten
 * (`rewriteIntoHoles`).
 *
 * What it must never do is answer a peer: encoded, a skeleton gives GC structs where the history was, and a
 * peer that took them would believe it had that history. Sync answers and sync files come from the whole
 * history (on disk), never from a skeleton doc.
 *
 * Read one update at a time (`add`), so a history stored in many pieces is never decoded whole. A value's
 * place (a ledger array, the `ledgers` map, anything else) is its parent's, named by the struct or, for one
 * inserted next to another, that one's: a struct whose place cannot be told (it names a struct no update
 * brought) is kept as it is.
 */

/** Where a struct went. */
type Place =
  | { kind: 'ledgers'; device: string | null } // a value of the root `ledgers` map: a device's array, or junk
  | { kind: 'ledger'; holder: string } // a value in a device's ledger array, whose holder is named
  | { kind: 'other' };

const OTHER: Place = { kind: 'other' };
const idKey = (id: Y.ID) => `${id.client}:${id.clock}`;

/** One client's structs as ranges of clocks, each with its place, to tell a struct's from its neighbour's. */
class Places {
  private starts: number[] = [];
  private ends: number[] = [];
  private places: Place[] = [];

  set(clock: number, length: number, place: Place) {
    // Mostly appended in clock order; an update out of order goes in its place.
    let at = this.starts.length;
    while (at > 0 && this.starts[at - 1]! > clock) at--;
    this.starts.splice(at, 0, clock);
    this.ends.splice(at, 0, clock + length);
    this.places.splice(at, 0, place);
  }

  get(clock: number): Place | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! > clock) hi = mid - 1;
      else if (this.ends[mid]! <= clock) lo = mid + 1;
      else return this.places[mid];
    }
    return undefined;
  }
}

/** What goes out for a run of one client's clocks. */
type Segment =
  | { clock: number; length: number; kind: 'gc'; holder?: string }
  | { clock: number; length: number; kind: 'item'; item: Y.Item };

/** A ledger's last value as the skeleton keeps it: the unit at `clock` of `item`. */
interface Tail {
  item: Y.Item;
  clock: number;
  holder: Y.ID;
}

export interface Skeleton {
  /** To apply in this order (one, unless a client's clocks have gaps). */
  updates: Uint8Array[];
  /**
   * How many values each device's ledger holds in the whole doc (of which the skeleton keeps the last): what
   * a value's index in the skeleton's array is offset by. By device, as the `ledgers` map names them.
   */
  lengths: Map<string, number>;
  /**
   * How many values of each device's ledger the skeleton keeps: the last each client (each run of the app)
   * wrote there, in the whole ledger's order (`lengths` less these come before the first in its array).
   */
  kept: Map<string, number>;
  /** By client, the ranges of clocks left out (as [from, to)): GC structs in the skeleton, values in the doc. */
  holes: Map<number, [number, number][]>;
  /** By client, the ranges left out with the array each was a value of (its holder's id), in order. */
  holeArrays: Map<number, HoleArray[]>;
  /** By client, the clock past the last ledger value it holds (left out or kept): a peer short of it needs history. */
  through: Map<number, number>;
  /** The deletions the updates held, by client, as [from, to) ranges in order. */
  deletes: Map<number, [number, number][]>;
}

/** Clocks [from, to) of one client left out of one ledger array, named by the item that holds the array. */
export interface HoleArray {
  from: number;
  to: number;
  holder: Y.ID;
}

export class SkeletonBuilder {
  private places = new Map<number, Places>();
  private segments = new Map<number, Segment[]>();
  /** Each ledger's last value, by holder and client (an honest ledger has one client: its device's). */
  private tails = new Map<string, Tail>();
  /**
   * Each client's first value in each ledger, by holder and client: its clock and its left neighbour, to tell
   * the order of the clients' runs (an app run appends after the last value of the run before it).
   */
  private firsts = new Map<string, { clock: number; origin: Y.ID | null }>();
  /** The device each ledger array is kept for, by its holder. */
  private devices = new Map<string, string>();
  private deleteSets: DeleteSet[] = [];
  /** While a stored skeleton is read back (`resume`): its holes, by client. */
  private resuming: Ranges | null = null;

  /**
   * `upTo`: a state vector (clock by client) past which nothing is read: the skeleton of the doc as it was
   * there, for a checkpoint to carry (shared/sync/cut.ts, which makes a cut that nothing before it names
   * anything past). Absent: everything.
   */
  constructor(private readonly upTo?: ReadonlyMap<number, number>) {}

  /**
   * A builder that has read what `skeleton` was made from: the rows stored after it are read on from here
   * (`add`), and `finish` gives what reading every row would (the property test checks it). A start then reads
   * the skeleton stored at an earlier start and the rows since, not the whole history.
   */
  static resume(skeleton: Skeleton): SkeletonBuilder {
    const builder = new SkeletonBuilder();
    for (const [client, arrays] of skeleton.holeArrays)
      for (const { from, to, holder } of arrays) {
        const key = idKey(holder);
        builder.put({ clock: from, length: to - from, kind: 'gc', holder: key }, client, {
          kind: 'ledger',
          holder: key,
        });
      }
    builder.resuming = skeleton.holes;
    try {
      for (const update of skeleton.updates) builder.add(update);
    } finally {
      builder.resuming = null;
    }
    return builder;
  }

  /** The deletions of every update read, merged. */
  private deletes(): Ranges {
    const out: Ranges = new Map();
    for (const [client, items] of Y.mergeDeleteSets(this.deleteSets).clients)
      out.set(
        client,
        items.map((item) => [item.clock, item.clock + item.len]),
      );
    return out;
  }

  /** Reads one V1 update (a stored row, a piece of one, a sync message). */
  add(update: Uint8Array): void {
    const decoded = Y.decodeUpdate(update);
    const upTo = this.upTo;
    const structs = upTo ? decoded.structs.map((s) => clipped(s, upTo)) : decoded.structs;
    this.deleteSets.push(upTo ? clippedDeletes(decoded.ds, upTo) : decoded.ds);
    let waiting: Y.Item[] = [];
    for (const struct of structs) {
      if (struct instanceof Y.GC) {
        const { client, clock } = struct.id;
        // Resuming (`resume`): a skeleton's GC structs are its holes, put already as the ledger values they were.
        const holes = this.resuming?.get(client);
        const ranges: [number, number][] = holes
          ? without([[clock, clock + struct.length]], holes)
          : [[clock, clock + struct.length]];
        for (const [from, to] of ranges)
          this.put({ clock: from, length: to - from, kind: 'gc' }, client, OTHER);
      } else if (struct instanceof Y.Item && !this.place(struct)) waiting.push(struct);
      // Skips (gaps in a merged update) bring nothing.
    }
    // In rounds, as Yjs integrates: a struct naming one later in the same update.
    for (let progress = true; progress && waiting.length > 0;) {
      const next = waiting.filter((item) => !this.place(item));
      progress = next.length < waiting.length;
      waiting = next;
    }
    for (const item of waiting) this.keep(item, OTHER);
  }

  /** Places an item if its place can be told; false if it names a struct not read yet. */
  private place(item: Y.Item): boolean {
    const parent = item.parent as unknown;
    let place: Place | undefined;
    if (typeof parent === 'string')
      place = parent === LEDGERS ? { kind: 'ledgers', device: item.parentSub } : OTHER;
    else if (parent instanceof Y.ID) {
      const holder = this.placeOf(parent);
      if (!holder) return false;
      place = holder.kind === 'ledgers' ? { kind: 'ledger', holder: idKey(parent) } : OTHER;
    } else {
      const neighbour = item.origin ?? item.rightOrigin;
      // Stryker disable next-line ConditionalExpression: Yjs decodes every item with a parent or a neighbour
      if (!neighbour) return false;
      place = this.placeOf(neighbour);
      if (!place) return false;
    }
    if (place.kind === 'ledger') this.leaveOut(item, place.holder);
    else this.keep(item, place);
    return true;
  }

  private placeOf(id: Y.ID): Place | undefined {
    return this.places.get(id.client)?.get(id.clock);
  }

  private put(segment: Segment, client: number, place: Place) {
    let places = this.places.get(client);
    if (!places) this.places.set(client, (places = new Places()));
    places.set(segment.clock, segment.length, place);
    let segments = this.segments.get(client);
    if (!segments) this.segments.set(client, (segments = []));
    segments.push(segment);
  }

  private keep(item: Y.Item, place: Place) {
    if (place.kind === 'ledgers' && place.device !== null) this.devices.set(idKey(item.id), place.device);
    this.put({ clock: item.id.clock, length: item.length, kind: 'item', item }, item.id.client, place);
  }

  private leaveOut(item: Y.Item, holder: string) {
    const { client, clock } = item.id;
    this.put({ clock, length: item.length, kind: 'gc', holder }, client, { kind: 'ledger', holder });
    const key = `${holder}/${client}`;
    const last = clock + item.length - 1;
    const tail = this.tails.get(key);
    if (!tail || tail.clock < last) {
      const [holderClient, holderClock] = holder.split(':').map(Number);
      this.tails.set(key, { item, clock: last, holder: Y.createID(holderClient!, holderClock!) });
    }
    const first = this.firsts.get(key);
    if (!first || first.clock > clock) this.firsts.set(key, { clock, origin: item.origin });
  }

  /**
   * Each ledger's kept values (one per client), in the order the whole ledger has them. Each client's run
   * follows the value its first one was appended after: runs of the app follow one another, so the honest
   * ledger is one chain and this is its order. A run appended after a value in the middle of another's (a
   * device that lost entries: shared/trust/chain.ts) is put after that run, where Yjs may put it before part
   * of it; and runs after the same one go by client id, as Yjs orders items after the same neighbour.
   */
  private orderedTails(): Tail[][] {
    const byHolder = new Map<string, Map<number, Tail>>();
    for (const [key, tail] of this.tails) {
      const holder = key.slice(0, key.lastIndexOf('/'));
      let clients = byHolder.get(holder);
      if (!clients) byHolder.set(holder, (clients = new Map()));
      clients.set(tail.item.id.client, tail);
    }
    const out: Tail[][] = [];
    for (const [holder, clients] of byHolder) {
      const after = new Map<number | null, number[]>();
      for (const client of clients.keys()) {
        const origin = this.firsts.get(`${holder}/${client}`)?.origin ?? null;
        const parent =
          origin && origin.client !== client && clients.has(origin.client) ? origin.client : null;
        const list = after.get(parent);
        if (list) list.push(client);
        else after.set(parent, [client]);
      }
      const order: Tail[] = [];
      const seen = new Set<number>();
      const visit = (parent: number | null) => {
        for (const client of (after.get(parent) ?? []).sort((a, b) => a - b)) {
          if (seen.has(client)) continue;
          seen.add(client);
          order.push(clients.get(client)!);
          visit(client);
        }
      };
      visit(null);
      // Runs that name one another in a loop (no honest ledger has one): by client id, after the rest.
      for (const client of [...clients.keys()].sort((a, b) => a - b))
        if (!seen.has(client)) {
          seen.add(client);
          order.push(clients.get(client)!);
          visit(client);
        }
      out.push(order);
    }
    return out;
  }

  /**
   * The skeleton as updates to apply in this order (one, unless a client's clocks have gaps). The ledgers'
   * last values are in them as values of their arrays with no neighbour, so that they need nothing left out.
   */
  finish(): Skeleton {
    const lengths = new Map<string, number>();
    const holes = new Map<number, [number, number][]>();
    const holeArrays = new Map<number, HoleArray[]>();
    const through = new Map<number, number>();
    const tails = new Map<number, Map<number, Y.Item>>();
    const kept = new Map<string, number>();
    for (const ordered of this.orderedTails()) {
      // The first with no neighbour, each next after the one before: the whole ledger's order.
      let before: Y.ID | null = null;
      for (const { item, clock, holder } of ordered) {
        const offset = clock - item.id.clock;
        const content = offset > 0 ? item.content.copy().splice(offset) : item.content.copy();
        const id = Y.createID(item.id.client, clock);
        const value = new Y.Item(id, null, before, null, null, holder, null, content);
        before = id;
        let byClock = tails.get(item.id.client);
        if (!byClock) tails.set(item.id.client, (byClock = new Map()));
        byClock.set(clock, value);
        const device = this.devices.get(idKey(holder));
        if (device !== undefined) kept.set(device, (kept.get(device) ?? 0) + 1);
      }
    }
    // Each client's structs in clock order, once each, as runs of clocks with no gap.
    const runs = new Map<number, (Y.Item | Y.GC | [Y.Item, number])[][]>();
    for (const [client, segments] of this.segments) {
      segments.sort((a, b) => a.clock - b.clock);
      const clientRuns: (Y.Item | Y.GC | [Y.Item, number])[][] = [];
      let run: (Y.Item | Y.GC | [Y.Item, number])[] = [];
      let end = -1;
      let gcFrom = -1;
      const closeGc = (to: number) => {
        if (gcFrom >= 0 && to > gcFrom) run.push(new Y.GC(Y.createID(client, gcFrom), to - gcFrom));
        gcFrom = -1;
      };
      const clientHoles: [number, number][] = [];
      const clientArrays: HoleArray[] = [];
      const clientTails = tails.get(client);
      const tailClocks = clientTails ? [...clientTails.keys()].sort((a, b) => a - b) : [];
      for (const segment of segments) {
        const segmentEnd = segment.clock + segment.length;
        if (segmentEnd <= end) continue; // read twice
        let from = segment.clock;
        if (end >= 0 && from > end) {
          closeGc(end);
          clientRuns.push(run);
          run = [];
        } else if (end >= 0) from = end; // overlaps what went before: the rest of it
        if (segment.kind === 'gc') {
          const device = segment.holder === undefined ? undefined : this.devices.get(segment.holder);
          if (device !== undefined) lengths.set(device, (lengths.get(device) ?? 0) + segmentEnd - from);
          const ledger = segment.holder !== undefined;
          if (ledger) through.set(client, Math.max(through.get(client) ?? 0, segmentEnd));
          const hole = (to: number) => {
            if (!ledger || to <= at) return;
            const last = clientHoles.at(-1);
            if (last && last[1] === at) last[1] = to;
            else clientHoles.push([at, to]);
            const array = clientArrays.at(-1);
            if (array && array.to === at && idKey(array.holder) === segment.holder) array.to = to;
            else {
              const [holderClient, holderClock] = segment.holder!.split(':').map(Number);
              clientArrays.push({ from: at, to, holder: Y.createID(holderClient!, holderClock!) });
            }
          };
          // Left out, but for the ledgers' last values in it.
          let at = from;
          for (const clock of tailClocks) {
            if (clock < at || clock >= segmentEnd) continue;
            if (gcFrom < 0 && clock > at) gcFrom = at;
            hole(clock);
            closeGc(clock);
            run.push(clientTails!.get(clock)!);
            at = clock + 1;
          }
          hole(segmentEnd);
          if (gcFrom < 0 && at < segmentEnd) gcFrom = at;
        } else {
          closeGc(from);
          run.push(from === segment.clock ? segment.item : [segment.item, from - segment.clock]);
        }
        end = segmentEnd;
      }
      closeGc(end);
      if (run.length > 0) clientRuns.push(run);
      runs.set(client, clientRuns);
      if (clientHoles.length > 0) holes.set(client, clientHoles);
      if (clientArrays.length > 0) holeArrays.set(client, clientArrays);
    }
    const updates: Uint8Array[] = [];
    for (let round = 0; ; round++) {
      const sections = [...runs.entries()].filter(([, clientRuns]) => clientRuns.length > round);
      if (sections.length === 0 && round > 0) break;
      const encoder = new Y.UpdateEncoderV1();
      encoding.writeVarUint(encoder.restEncoder, sections.length);
      // Yjs writes clients with higher ids first.
      sections.sort(([a], [b]) => b - a);
      for (const [client, clientRuns] of sections) {
        const run = clientRuns[round]!;
        const first = run[0]!;
        const firstClock = Array.isArray(first) ? first[0].id.clock + first[1] : first.id.clock;
        encoding.writeVarUint(encoder.restEncoder, run.length);
        encoder.writeClient(client);
        encoding.writeVarUint(encoder.restEncoder, firstClock);
        for (const struct of run) {
          if (Array.isArray(struct)) struct[0].write(encoder, struct[1]);
          else struct.write(encoder, 0);
        }
      }
      const last = !runs.size || [...runs.values()].every((clientRuns) => clientRuns.length <= round + 1);
      writeDeleteSet(encoder, last ? this.deletes() : new Map());
      updates.push(encoder.toUint8Array());
      if (last) break;
    }
    return { updates, lengths, kept, holes, holeArrays, through, deletes: this.deletes() };
  }
}

/**
 * Writes the struct part of a V1 update (Yjs does not export its writer): per client, its structs in one run
 * of clocks with no gap, from the first's clock.
 */
export function writeStructs(
  encoder: Y.UpdateEncoderV1,
  sections: Iterable<readonly [number, readonly (Y.Item | Y.GC | Y.Skip)[]]>,
): void {
  const list = [...sections];
  encoding.writeVarUint(encoder.restEncoder, list.length);
  for (const [client, structs] of list) {
    encoding.writeVarUint(encoder.restEncoder, structs.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, structs[0]!.id.clock);
    for (const struct of structs) struct.write(encoder, 0);
  }
}

/** Ranges of clocks by client, as [from, to) in order. */
export type Ranges = Map<number, [number, number][]>;

/** A delete set as Yjs writes one (its writer is not exported). */
export function writeDeleteSet(encoder: Y.UpdateEncoderV1, ranges: Ranges): void {
  const clients = [...ranges.entries()].filter(([, r]) => r.length > 0).sort(([a], [b]) => b - a);
  encoding.writeVarUint(encoder.restEncoder, clients.length);
  for (const [client, items] of clients) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, items.length);
    for (const [from, to] of items) {
      encoder.writeDsClock(from);
      encoder.writeDsLen(to - from);
    }
  }
}

type DeleteSet = ReturnType<typeof Y.decodeUpdate>['ds'];

/** `struct` less its clocks at or past `upTo`'s for its client: null when none are left. */
function clipped(
  struct: Y.Item | Y.GC | Y.Skip,
  upTo: ReadonlyMap<number, number>,
): Y.Item | Y.GC | Y.Skip | null {
  const { client, clock } = struct.id;
  const end = upTo.get(client) ?? 0;
  if (clock >= end) return null;
  if (clock + struct.length <= end) return struct;
  if (struct instanceof Y.GC) return new Y.GC(struct.id, end - clock);
  if (!(struct instanceof Y.Item)) return null;
  // Only contents of more than one unit are cut (strings, lists of values, deleted runs), and those all split.
  const content = struct.content.copy();
  content.splice(end - clock);
  return withContent(struct, content);
}

/** `item` as it was written (its id, neighbours and parent), holding `content`: the first part of it, cut. */
export function withContent(item: Y.Item, content: Y.Item['content']): Y.Item {
  return new Y.Item(item.id, null, item.origin, null, item.rightOrigin, item.parent, item.parentSub, content);
}

/** A delete set's ranges before `upTo`'s clock of their client. */
function clippedDeletes(ds: DeleteSet, upTo: ReadonlyMap<number, number>): DeleteSet {
  const out = Y.createDeleteSet();
  for (const [client, items] of ds.clients) {
    const end = upTo.get(client) ?? 0;
    const kept = items
      .filter((item) => item.clock < end)
      .map((item) => ({ clock: item.clock, len: Math.min(item.len, end - item.clock) }));
    if (kept.length > 0) out.clients.set(client, kept as typeof items);
  }
  return out;
}

/** The skeleton of a doc stored as `updates` (see the top of this file). */
export function ledgerSkeleton(updates: Iterable<Uint8Array>): Skeleton {
  const builder = new SkeletonBuilder();
  for (const update of updates) builder.add(update);
  return builder.finish();
}

/** `a` less `b`, for one client's ranges (each in order, none overlapping). */
function without(a: readonly [number, number][], b: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let j = 0;
  for (const [from, to] of a) {
    let at = from;
    while (j < b.length && b[j]![1] <= at) j++;
    for (let k = j; k < b.length && b[k]![0] < to; k++) {
      if (b[k]![0] > at) out.push([at, b[k]![0]]);
      at = Math.max(at, b[k]![1]);
    }
    if (at < to) out.push([at, to]);
  }
  return out;
}

/** `a` within `b`, for one client's ranges (each in order, none overlapping). */
function within(a: readonly [number, number][], b: readonly [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [from, to] of a)
    for (const [bFrom, bTo] of b) {
      const lo = Math.max(from, bFrom);
      const hi = Math.min(to, bTo);
      if (lo < hi) out.push([lo, hi]);
    }
  return out;
}

/** One client's ranges (in order, none overlapping) with those next to each other joined. */
function joined(ranges: [number, number][]): [number, number][] {
  ranges.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [from, to] of ranges) {
    const last = out.at(-1);
    if (last && last[1] >= from) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/** A doc started from a skeleton cannot answer a peer that lacks history the skeleton left out. */
export class HistoryLeftOutError extends Error {
  override name = 'HistoryLeftOutError';
}

/** What `startedFromSkeleton` and the encoders need of a skeleton. */
type Started = Pick<Skeleton, 'through' | 'holes' | 'deletes'> &
  Partial<Pick<Skeleton, 'lengths' | 'kept' | 'holeArrays'>> & {
    /**
     * Values taken since the start that were appended after a value left out, and so went in rewritten
     * (`rewriteIntoHoles`): by client, the clock past the last. A peer short of one is answered from history.
     */
    rewritten?: Map<number, number>;
    /** Those updates as they were written, for a doc of the history (`tookRewritten`). */
    originals?: Uint8Array[];
    /**
     * A doc started from a checkpoint's skeleton, whose device does not hold the history it left out yet
     * (shared/sync/cut.ts, renderer/storage/persistence.ts `seed`): what peers and files still send of that
     * history, which Yjs skips as held, is handed here by the ingest (`historyIn`), to be stored without the doc.
     */
    history?: HistoryArrival;
  };

/** Where history that a doc started from a checkpoint's skeleton left out goes when it arrives. */
export interface HistoryArrival {
  /**
   * What the device's disk must come to hold (by client, [from, to)): everything before the skeleton's cut, its
   * settings and kept values too (the skeleton is no row: `beforeCut`).
   */
  wanted: Ranges;
  /** `update` (as it was written) holds `ranges` of `wanted` (by client, [from, to)). */
  take(update: Uint8Array, ranges: Ranges): void;
  /** By client, the first clock of what the skeleton left out that has not arrived: what to ask peers from. */
  lacking(): ReadonlyMap<number, number>;
}

/**
 * The state vector a doc asks its peers with (a sync step 1): its own, but for a doc started from a
 * checkpoint's skeleton whose history has not all arrived, each client's clock brought back to the first of
 * that history it lacks, so that peers send it (Yjs skips what the doc holds; the ingest hands the history to
 * `history.take`). Asked with its own state vector, it would never be sent the history.
 */
export function stateVectorToAsk(doc: Y.Doc): Uint8Array {
  const lacking = skeletons.get(doc)?.history?.lacking();
  if (!lacking || lacking.size === 0) return Y.encodeStateVector(doc);
  const sv = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const [client, clock] of lacking) sv.set(client, Math.min(sv.get(client) ?? 0, clock));
  return Y.encodeStateVector(sv);
}

/** `a` less `b`, by client (`b`'s ranges in any order): the clients with anything left. */
export function rangesWithout(a: Ranges, b: Ranges): Ranges {
  const out: Ranges = new Map();
  for (const [client, list] of a) {
    const left = without(joined([...list]), joined([...(b.get(client) ?? [])]));
    if (left.length > 0) out.set(client, left);
  }
  return out;
}

/** By client, the first clock of `leftOut` that `held` does not hold (each client's ranges in order). */
export function firstLacking(leftOut: Ranges, held: Ranges): Map<number, number> {
  const out = new Map<number, number>();
  for (const [client, holes] of leftOut) {
    const missing = without(holes, joined([...(held.get(client) ?? [])]));
    if (missing.length > 0) out.set(client, missing[0]![0]);
  }
  return out;
}
/** The docs started from a skeleton, with what they left out (`startedFromSkeleton`). */
const skeletons = new WeakMap<Y.Doc, Started>();
/** For each, how to have its whole history: a doc of it, as it stands now. */
const histories = new WeakMap<Y.Doc, () => Promise<Y.Doc>>();

/**
 * Marks `doc` as started from `skeleton` (its updates applied): from then on, `encodeAppliedState` and
 * `docParts` (shared/sync/ingest.ts, docParts.ts: every answer, sync file and relay upload goes through them)
 * answer from it as the whole doc would, or throw `HistoryLeftOutError` for a receiver short of history,
 * instead of writing its GC structs and a delete set that would delete the history at the receiver.
 * `history` gives a doc of the whole history as it stands (from disk), for those (`docHolding`).
 */
export function startedFromSkeleton(doc: Y.Doc, skeleton: Started, history?: () => Promise<Y.Doc>): void {
  skeletons.set(doc, skeleton);
  if (history) histories.set(doc, history);
  // The mark Larder's patch of Yjs reads (patches/yjs+13.6.33.patch): Yjs's own encoders refuse the doc, so
  // that no code encodes it as it is (see the top of this file) but through the encoders here.
  (doc as MarkedDoc).larderSkeleton = { encoding: false };
}

/** A doc as Larder's patch of Yjs marks one started from a skeleton. */
type MarkedDoc = Y.Doc & { larderSkeleton?: { encoding: boolean } };

/** Runs `encode` with Yjs's own encoders let through for `doc` (one started from a skeleton or not). */
function encodingItself<T>(doc: Y.Doc, encode: () => T): T {
  const mark = (doc as MarkedDoc).larderSkeleton;
  if (!mark || mark.encoding) return encode();
  mark.encoding = true;
  try {
    return encode();
  } finally {
    mark.encoding = false;
  }
}

/**
 * The doc's state as Yjs encodes it, for a copy that stays on this device (a staging doc: it is a skeleton too,
 * and never answers a peer): a doc started from a skeleton is let through Yjs's own encoder here only.
 */
export function localCopyOf(doc: Y.Doc): Uint8Array {
  return encodingItself(doc, () => Y.encodeStateAsUpdate(doc));
}

/**
 * The doc to answer a receiver at `stateVector` from (everything when absent): `doc` itself, unless it was
 * started from a skeleton and the receiver lacks history it left out; then a doc of the whole history, as it
 * stands now (read from disk: seconds at millions of entries, and let go by the caller's next task).
 */
export async function docHolding(doc: Y.Doc, stateVector?: Uint8Array | Map<number, number>): Promise<Y.Doc> {
  const skeleton = skeletons.get(doc);
  if (!skeleton) return doc;
  const known =
    stateVector instanceof Uint8Array ? Y.decodeStateVector(stateVector) : (stateVector ?? new Map());
  if (holdsHistory(skeleton, known)) return doc;
  const history = histories.get(doc);
  if (!history) throw new HistoryLeftOutError('the doc runs on a skeleton, and nothing gives its history');
  return history();
}

/** What `doc` left out, if it was started from a skeleton. */
export function skeletonOf(doc: Y.Doc): Started | undefined {
  return skeletons.get(doc);
}

/**
 * How many values of `device`'s ledger come before the first its array holds in a doc started from a skeleton
 * (the whole ledger's length then, less the values it kept: the last of each client); 0 in any other doc.
 */
export function valuesBefore(doc: Y.Doc, device: string): number {
  const skeleton = skeletons.get(doc);
  const length = skeleton?.lengths?.get(device);
  return length ? length - (skeleton?.kept?.get(device) ?? 1) : 0;
}

/**
 * Whether a receiver at `stateVector` holds every value a skeleton left out (and each ledger's last), and
 * every value taken rewritten since (`rewriteIntoHoles`).
 */
export function holdsHistory(
  skeleton: Pick<Started, 'through' | 'rewritten'>,
  stateVector: Map<number, number>,
): boolean {
  for (const ends of [skeleton.through, skeleton.rewritten ?? new Map<number, number>()])
    for (const [client, clock] of ends) if ((stateVector.get(client) ?? 0) < clock) return false;
  return true;
}

/**
 * What the whole doc would answer a peer whose state vector is `stateVector` (`Y.encodeStateAsUpdate`),
 * from a doc started from `skeleton`, or null when the peer lacks history the skeleton left out (answer it
 * from the history on disk). Encoding the skeleton doc itself would be wrong in two ways, both set right
 * here: its GC structs would tell the peer it had history it has not (so a peer must hold all of it, up to
 * `through`), and Yjs counts GC structs as deleted, so its delete set would delete every ledger value left
 * out (the delete set here is the doc's, less what was left out, plus what the history itself deleted).
 */
export function answerFromSkeleton(
  doc: Y.Doc,
  skeleton: Pick<Started, 'through' | 'holes' | 'deletes' | 'rewritten'>,
  stateVector: Uint8Array,
): Uint8Array | null {
  if (!holdsHistory(skeleton, Y.decodeStateVector(stateVector))) return null;
  const [update, storeDeletes] = encodingItself(
    doc,
    () =>
      [
        Y.encodeStateAsUpdate(doc, stateVector),
        // Against its own state vector, Yjs writes no struct, only the delete set: [0][delete set].
        Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc)).byteLength - 1,
      ] as const,
  );
  const structs = update.subarray(0, update.byteLength - storeDeletes);
  const deletes: Ranges = new Map();
  for (const [client, items] of Y.createDeleteSetFromStructStore(doc.store).clients) {
    const holes = skeleton.holes.get(client) ?? [];
    const ranges = without(
      items.map((item): [number, number] => [item.clock, item.clock + item.len]),
      holes,
    );
    ranges.push(...within(skeleton.deletes.get(client) ?? [], holes));
    deletes.set(client, joined(ranges));
  }
  const encoder = new Y.UpdateEncoderV1();
  writeDeleteSet(encoder, deletes);
  const tail = encoder.toUint8Array();
  const out = new Uint8Array(structs.byteLength + tail.byteLength);
  out.set(structs);
  out.set(tail, structs.byteLength);
  return out;
}

/**
 * Whether an update deletes a value the skeleton left out that the history had not deleted: one a doc started from it cannot hold (Yjs counts
 * a GC struct as deleted already), so its ingest must refuse the update as it refuses any deletion of a ledger
 * value (shared/sync/ingest.ts), rather than let it through unseen.
 */
export function deletesLeftOut(update: Uint8Array, skeleton: Pick<Skeleton, 'holes' | 'deletes'>): boolean {
  for (const [client, items] of Y.decodeUpdate(update).ds.clients)
    for (const item of items)
      if (deletesHistory(skeleton, client, item.clock, item.clock + item.len)) return true;
  return false;
}

/** Whether deleting `client`'s clocks [from, to) deletes a value the skeleton left out that the history had not. */
export function deletesHistory(
  skeleton: Pick<Skeleton, 'holes' | 'deletes'>,
  client: number,
  from: number,
  to: number,
): boolean {
  const holes = skeleton.holes.get(client);
  if (!holes) return false;
  // What the history already deleted comes again in every peer's delete set: only a new deletion counts.
  return without(within([[from, to]], holes), skeleton.deletes.get(client) ?? []).length > 0;
}

/** The array a value left out was in, if `id` names one. */
function holeArrayOf(skeleton: Pick<Started, 'holeArrays'>, id: Y.ID | null): HoleArray | undefined {
  if (!id) return undefined;
  const arrays = skeleton.holeArrays?.get(id.client);
  if (!arrays) return undefined;
  let lo = 0;
  let hi = arrays.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const array = arrays[mid]!;
    if (array.from > id.clock) hi = mid - 1;
    else if (array.to <= id.clock) lo = mid + 1;
    else return array;
  }
  return undefined;
}

/**
 * Whether any of an update's structs (as Y.decodeUpdate gives them) names a value a doc started from a skeleton
 * left out as its neighbour: the update must be taken rewritten (`rewriteIntoHoles`). Reads, changes nothing.
 */
export function namesLeftOut(doc: Y.Doc, structs: readonly (Y.Item | Y.GC | Y.Skip)[]): boolean {
  const skeleton = skeletons.get(doc);
  if (!skeleton?.holeArrays?.size) return false;
  for (const struct of structs)
    if (
      struct instanceof Y.Item &&
      !held(doc, struct) &&
      (holeArrayOf(skeleton, struct.origin) || holeArrayOf(skeleton, struct.rightOrigin))
    )
      return true;
  return false;
}

/** Whether the doc has `struct` already (Yjs skips it): history a skeleton left out, or a repeat. */
const held = (doc: Y.Doc, struct: Y.Item | Y.GC | Y.Skip) =>
  struct.id.clock + struct.length <= Y.getState(doc.store, struct.id.client);

/**
 * For a doc started from a checkpoint's skeleton whose device does not hold the history yet (`history`): the
 * ranges of `structs` that are history the skeleton left out, by client, handed with `update` to its
 * `history.take` (the ingest calls it for each update it takes, before applying it). Nothing for other docs.
 */
export function historyIn(
  doc: Y.Doc,
  update: Uint8Array,
  structs: readonly (Y.Item | Y.GC | Y.Skip)[],
): void {
  const history = skeletons.get(doc)?.history;
  if (!history) return;
  const ranges = structsWithin(structs, history.wanted);
  if (ranges.size > 0) history.take(update, ranges);
}

/** Everything before a skeleton's cut, by client ([0, its clock)): what a device started from it lacks on disk. */
export function beforeCut(skeleton: Pick<Skeleton, 'updates'>): Ranges {
  const out: Ranges = new Map();
  for (const [client, clock] of Y.decodeStateVector(
    Y.encodeStateVectorFromUpdate(Y.mergeUpdates(skeleton.updates)),
  ))
    if (clock > 0) out.set(client, [[0, clock]]);
  return out;
}

/** `a` with every range of `more` added, each client's ranges in order and joined (a new map). */
export function withRanges(a: Ranges, more: readonly Ranges[]): Ranges {
  const out: Ranges = new Map();
  for (const ranges of [a, ...more])
    for (const [client, list] of ranges) out.set(client, [...(out.get(client) ?? []), ...list]);
  for (const [client, list] of out) out.set(client, joined(list));
  return out;
}

/** The ranges of `update`'s structs within `wanted` (`beforeCut`), by client (a stored row read again). */
export function wantedIn(wanted: Ranges, update: Uint8Array): Ranges {
  return structsWithin(Y.decodeUpdate(update).structs, wanted);
}

/** The clocks of `structs` within `ranges`, by client. */
function structsWithin(structs: readonly (Y.Item | Y.GC | Y.Skip)[], ranges: Ranges): Ranges {
  const out: Ranges = new Map();
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue;
    const { client, clock } = struct.id;
    const of = ranges.get(client);
    if (!of) continue;
    const found = within([[clock, clock + struct.length]], of);
    if (found.length === 0) continue;
    const list = out.get(client);
    if (list) list.push(...found);
    else out.set(client, found);
  }
  return out;
}

/**
 * Whether `held` (by client, [from, to) ranges, in any order) holds every range of `wanted` (`beforeCut`): a
 * device started from a checkpoint's skeleton then holds the history (`history` is for until then).
 */
export function holdsAllWanted(wanted: Ranges, heldRanges: Ranges): boolean {
  for (const [client, holes] of wanted) {
    const have = joined([...(heldRanges.get(client) ?? [])]);
    if (without(holes, have).length > 0) return false;
  }
  return true;
}

/** An update rewritten for a doc started from a skeleton, and what it rewrote. */
export interface Rewritten {
  update: Uint8Array;
  /** By client, the clock past the last value rewritten. */
  ends: Map<number, number>;
}

/**
 * An update for a doc started from a skeleton whose values name a value left out as their neighbour, rewritten
 * so that the doc can take them; null when none does (or the doc is no skeleton's).
 *
 * Yjs drops an item whose neighbour is a GC struct. An honest device never appends after a value left out but
 * once: when it lost entries of its own (damaged storage) and restarts its chain (shared/trust/chain.ts), its
 * next entries follow its last value as it has it, in the middle of its ledger as its peers have it. Such a
 * value is rewritten as the skeleton writes the values it keeps: with no neighbour, a value of the array the
 * value it names was in. Its id and content are its own, so its entry counts, later values naming it go after
 * it, and the doc's state vector is the whole doc's. What differs is its place in the array, which the doc
 * cannot tell without the history: a value set aside there is named at a place the history does not give it.
 *
 * The rewritten update never leaves the device: its taker stores and passes on the update as it was written
 * (`tookRewritten`; shared/sync/ingest.ts hands it to the doc's listeners), and a peer short of the values
 * rewritten is answered from the history (`holdsHistory`).
 */
export function rewriteIntoHoles(doc: Y.Doc, update: Uint8Array): Rewritten | null {
  const skeleton = skeletons.get(doc);
  if (!skeleton?.holeArrays?.size) return null;
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return null; // the ingest refuses it, with its message
  }
  const ends = new Map<number, number>();
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item) || held(doc, struct)) continue;
    const array = holeArrayOf(skeleton, struct.origin) ?? holeArrayOf(skeleton, struct.rightOrigin);
    if (!array) continue;
    struct.origin = null;
    struct.rightOrigin = null;
    struct.parent = array.holder;
    struct.parentSub = null;
    const { client, clock } = struct.id;
    ends.set(client, Math.max(ends.get(client) ?? 0, clock + struct.length));
  }
  if (ends.size === 0) return null;
  // Written back as the update had them: each client's structs (skips included) in one run from its first.
  const sections = new Map<number, (Y.Item | Y.GC | Y.Skip)[]>();
  for (const struct of decoded.structs) {
    const list = sections.get(struct.id.client);
    if (list) list.push(struct);
    else sections.set(struct.id.client, [struct]);
  }
  const encoder = new Y.UpdateEncoderV1();
  writeStructs(encoder, sections);
  const deletes: Ranges = new Map();
  for (const [client, items] of decoded.ds.clients)
    deletes.set(
      client,
      items.map((item) => [item.clock, item.clock + item.len]),
    );
  writeDeleteSet(encoder, deletes);
  return { update: encoder.toUint8Array(), ends };
}

/**
 * Notes that a doc started from a skeleton took `rewritten` in place of `original` (`rewriteIntoHoles`): from
 * then on a peer short of the values rewritten is answered from the history, and a doc of the history takes
 * `original` (`originalsOf`: kept while the doc runs, as the rows on disk may not hold it yet; such updates
 * follow a loss of stored data, which is rare).
 */
export function tookRewritten(doc: Y.Doc, original: Uint8Array, rewritten: Rewritten): void {
  const skeleton = skeletons.get(doc);
  if (!skeleton) return;
  skeleton.rewritten ??= new Map();
  for (const [client, end] of rewritten.ends)
    skeleton.rewritten.set(client, Math.max(skeleton.rewritten.get(client) ?? 0, end));
  (skeleton.originals ??= []).push(original);
}

/** The updates a doc started from a skeleton took rewritten, as they were written (`tookRewritten`). */
export function originalsOf(doc: Y.Doc): readonly Uint8Array[] {
  return skeletons.get(doc)?.originals ?? [];
}

/** The stored form's version: a skeleton stored in another form is not read (the start reads every row). */
const STORED_FORMAT = 1;

/**
 * A skeleton as bytes, to store beside the rows it was made from (renderer/storage/persistence.ts): its
 * updates, and what it left out, by device and by client.
 */
export function encodeSkeleton(skeleton: Skeleton): Uint8Array {
  const e = encoding.createEncoder();
  const u = encoding.writeVarUint;
  u(e, STORED_FORMAT);
  u(e, skeleton.updates.length);
  for (const update of skeleton.updates) encoding.writeVarUint8Array(e, update);
  for (const counts of [skeleton.lengths, skeleton.kept]) {
    u(e, counts.size);
    for (const [device, n] of counts) {
      encoding.writeVarString(e, device);
      u(e, n);
    }
  }
  u(e, skeleton.holeArrays.size);
  for (const [client, arrays] of skeleton.holeArrays) {
    u(e, client);
    u(e, arrays.length);
    for (const { from, to, holder } of arrays)
      for (const n of [from, to, holder.client, holder.clock]) u(e, n);
  }
  u(e, skeleton.through.size);
  for (const [client, clock] of skeleton.through) {
    u(e, client);
    u(e, clock);
  }
  u(e, skeleton.deletes.size);
  for (const [client, ranges] of skeleton.deletes) {
    u(e, client);
    u(e, ranges.length);
    for (const [from, to] of ranges) {
      u(e, from);
      u(e, to);
    }
  }
  return encoding.toUint8Array(e);
}

/** A skeleton stored with `encodeSkeleton`, or null if the bytes are not one (of this form). */
export function decodeSkeleton(bytes: Uint8Array): Skeleton | null {
  try {
    const d = decoding.createDecoder(bytes);
    const u = () => decoding.readVarUint(d);
    // Every count is bounded by the bytes left: a damaged count fails here, not in a huge allocation.
    const count = () => {
      const n = u();
      if (n > bytes.byteLength) throw new Error('a count larger than the bytes');
      return n;
    };
    const range = (from: number, to: number): [number, number] => {
      if (!(from < to)) throw new Error('an empty range');
      return [from, to];
    };
    if (u() !== STORED_FORMAT) return null;
    const updates = Array.from({ length: count() }, () => decoding.readVarUint8Array(d));
    const [lengths, kept] = [0, 1].map(() => {
      const counts = new Map<string, number>();
      for (let n = count(); n > 0; n--) counts.set(decoding.readVarString(d), u());
      return counts;
    }) as [Map<string, number>, Map<string, number>];
    const holeArrays = new Map<number, HoleArray[]>();
    const holes: Ranges = new Map();
    for (let n = count(); n > 0; n--) {
      const client = u();
      const arrays: HoleArray[] = [];
      for (let k = count(); k > 0; k--) {
        const [from, to] = range(u(), u());
        arrays.push({ from, to, holder: Y.createID(u(), u()) });
      }
      holeArrays.set(client, arrays);
      holes.set(client, joined(arrays.map(({ from, to }): [number, number] => [from, to])));
    }
    const through = new Map<number, number>();
    for (let n = count(); n > 0; n--) through.set(u(), u());
    const deletes: Ranges = new Map();
    for (let n = count(); n > 0; n--) {
      const client = u();
      deletes.set(
        client,
        Array.from({ length: count() }, () => range(u(), u())),
      );
    }
    if (decoding.hasContent(d)) return null;
    return { updates, lengths, kept, holes, holeArrays, through, deletes };
  } catch {
    return null;
  }
}
