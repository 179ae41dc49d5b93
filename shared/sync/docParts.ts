import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { MAX_INFLATED_BYTES } from './compress';
import { encodeAppliedState } from './ingest';
import { HistoryLeftOutError, holdsHistory, skeletonOf, withContent } from './skeleton';

/**
 * A doc's state past a state vector as several updates, for a network whose whole state is more than one
 * sync message or one sync file may carry (64 MiB inflated, about 1.1M ledger entries).
 *
 * Each part holds runs of the doc's structs, written as Yjs writes them (`Item.write`), a long run of
 * values cut into slices first (SLICE_VALUES), and closes once it holds `maxBytes` (so a part is at most
 * `maxBytes` plus one slice or one struct of another kind, plus the delete set in the last part). The structs
 * go in an order where each builds only on what the receiver has (the state vector), on what went before
 * in the same or an earlier part: the left and right neighbours it was inserted between and, at the start
 * of a list, the type it went into. So applied one after another, no part waits for a later one (the
 * ingest checks would hold it back whole) and Yjs never holds a struct back. The delete set goes in the last
 * part, after every struct it may name. Applied in order, the parts give the receiver exactly what
 * `encodeAppliedState(doc, stateVector)` would.
 *
 * Reads the doc's struct store directly, as Yjs does when it encodes: nothing held back as pending goes.
 */

/**
 * The size of the parts a sync step 2 or a sync file is cut into when the whole is larger (the whole goes as
 * one up to this size: a 1M-entry network's 57.5 MB, as before parts). Under what one message or one file
 * part may inflate to (MAX_INFLATED_BYTES, 64 MiB), with 8 MiB left for the struct that closes a part.
 */
export const PART_BYTES = MAX_INFLATED_BYTES - 8 * 1024 * 1024;

/** Values per slice of a long run of values (a device's ledger appended in one go is one struct). */
export const SLICE_VALUES = 512;

/**
 * A struct as structs of at most `most` values each, from value `from` on, as Yjs itself writes an item
 * that later inserts split: each slice after the first has the slice before it as its origin and the same
 * right origin, so it integrates right after it (and Yjs merges them again). Only runs of values
 * (`ContentAny`, what ledgers hold) are cut; anything else is returned whole (write it at offset `from`).
 */
export function slices(struct: Y.Item | Y.GC, most: number, from = 0): (Y.Item | Y.GC)[] {
  if (!(struct instanceof Y.Item) || !(struct.content instanceof Y.ContentAny)) return [struct];
  // Stryker disable next-line ConditionalExpression,EqualityOperator: one slice of it is the same item
  if (from === 0 && struct.length <= most) return [struct];
  const { client, clock } = struct.id;
  const values = struct.content.arr;
  const out: Y.Item[] = [];
  for (let at = from; at < values.length; at += most) {
    const content = new Y.ContentAny(values.slice(at, at + most));
    out.push(
      at === 0
        ? withContent(struct, content)
        : new Y.Item(
            Y.createID(client, clock + at),
            null,
            Y.createID(client, clock + at - 1),
            null,
            struct.rightOrigin,
            null,
            null,
            content,
          ),
    );
  }
  return out;
}

/**
 * Values per slice for parts of `maxBytes`: SLICE_VALUES (about 30 kB of ledger entries), or fewer when parts
 * are smaller than that (a relay that takes small blobs), counting 64 bytes a value, so that one slice does not
 * make a part several times its size.
 */
export function slicesFor(maxBytes: number): number {
  return Math.max(1, Math.min(SLICE_VALUES, Math.floor(maxBytes / 64)));
}

export interface DocParts {
  /** The parts, to be applied in this order. */
  parts: Uint8Array[];
  /** False when `most` parts were made and more of the state is left (ask again from the new state). */
  complete: boolean;
  /**
   * The state vector of a receiver that had `targetStateVector` and applied the parts. (Yjs's
   * encodeStateVectorFromUpdate cannot tell: for a client whose structs do not start at clock 0 it says 0.)
   */
  reached: Uint8Array;
}

/** One client's run in the part being written. */
interface Section {
  clock: number;
  count: number;
  body: Y.UpdateEncoderV1;
}

/** Where the walk stands in one client's structs. */
interface Cursor {
  client: number;
  structs: (Y.Item | Y.GC)[];
  index: number;
  /** Values of `structs[index]` already written. */
  offset: number;
}

export interface PartOptions {
  /** A part closes once it holds this many bytes of structs. */
  maxBytes: number;
  /** At most this many parts (default: as many as it takes). */
  most?: number;
  /** Values per slice of a long run of values (default SLICE_VALUES, fewer for small parts: `slicesFor`). */
  sliceValues?: number;
}

/**
 * The doc's state past `targetStateVector` (everything when it is absent) as parts of about `maxBytes`
 * each, at most `most` of them. See the top of this file.
 */
export function docParts(
  doc: Y.Doc,
  targetStateVector: Uint8Array | undefined,
  options: PartOptions,
): DocParts {
  const steps = docPartSteps(doc, targetStateVector, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * How many values (Yjs clock units: a ledger entry is one, a setting a few) the doc holds past a state
 * vector (everything when it is absent): what an answer or a sync file for it would carry. Null when the
 * state vector does not read as one.
 */
export function valuesPast(doc: Y.Doc, encodedStateVector?: Uint8Array): number | null {
  let known = new Map<number, number>();
  if (encodedStateVector) {
    try {
      known = Y.decodeStateVector(encodedStateVector);
    } catch {
      return null;
    }
  }
  let values = 0;
  for (const [client, structs] of doc.store.clients) {
    const last = structs[structs.length - 1];
    // Stryker disable next-line ConditionalExpression: Yjs keeps no client with no structs
    if (last) values += Math.max(0, last.id.clock + last.length - (known.get(client) ?? 0));
  }
  return values;
}

/**
 * How many times `docPartsPaced` starts again because the doc changed during a pause before it walks the
 * doc in one go.
 */
const PACED_TRIES = 3;

/**
 * `docParts` with the page let run between its steps (`pause`, shared/pace.ts `pacer`): a new device's
 * first sync asked a hub for 57 MB at a million entries, written in one task of 1.2-1.5 s on the hub's
 * page. The walk reads the doc's struct store as it stands, so a change made during a pause (a save, a
 * peer's update: Yjs may split or replace the structs the walk holds) starts it again, and the third time
 * it runs in one go. What it gives is the doc as it stood at its last step, together with the doc's own
 * state vector then (`stateVector`: a sync file's header describes exactly its parts).
 */
export async function docPartsPaced(
  doc: Y.Doc,
  targetStateVector: Uint8Array | undefined,
  options: PartOptions,
  pause: () => Promise<void>,
  /** Called at the last step, with the doc as the parts give it (a sync file counts its entries then). */
  atLastStep: () => void = () => undefined,
): Promise<DocParts & { stateVector: Uint8Array }> {
  const withState = (parts: DocParts) => {
    atLastStep();
    return { ...parts, stateVector: Y.encodeStateVector(doc) };
  };
  for (let tries = 1; tries < PACED_TRIES; tries++) {
    let changed = false;
    const onTransaction = () => {
      changed = true;
    };
    doc.on('afterTransaction', onTransaction);
    try {
      const steps = docPartSteps(doc, targetStateVector, options);
      for (;;) {
        const step = steps.next();
        if (step.done) return withState(step.value);
        await pause();
        if (changed) break;
      }
    } finally {
      doc.off('afterTransaction', onTransaction);
    }
  }
  return withState(docParts(doc, targetStateVector, options));
}

/** `docParts` as steps: it yields after each slice or struct it writes, and returns the parts. */
function* docPartSteps(
  doc: Y.Doc,
  targetStateVector: Uint8Array | undefined,
  { maxBytes, most = Infinity, sliceValues = slicesFor(maxBytes) }: PartOptions,
): Generator<void, DocParts> {
  const known = targetStateVector ? Y.decodeStateVector(targetStateVector) : new Map<number, number>();
  // A doc started from a skeleton has none of the history to give (its delete set is set right below, by
  // encodeAppliedState).
  const skeleton = skeletonOf(doc);
  if (skeleton && !holdsHistory(skeleton, known))
    throw new HistoryLeftOutError('the receiver lacks history this doc left out (its skeleton)');
  const placed = new Map<number, number>();
  const state = (client: number) => placed.get(client) ?? known.get(client) ?? 0;
  const done = (complete: boolean): DocParts => {
    const reached = new Map(known);
    for (const [client, clock] of placed) reached.set(client, Math.max(clock, reached.get(client) ?? 0));
    return { parts, complete, reached: Y.encodeStateVector(reached) };
  };
  const cursors: Cursor[] = [];
  // Yjs writes clients with higher ids first (its conflict resolution then integrates fewer conflicts).
  const clients = [...doc.store.clients.entries()].sort(([a], [b]) => b - a);
  for (const [client, structs] of clients) {
    const from = known.get(client) ?? 0;
    const last = structs[structs.length - 1];
    if (!last || last.id.clock + last.length <= from) continue;
    const index = Y.findIndexSS(structs, from);
    cursors.push({ client, structs, index, offset: from - structs[index]!.id.clock });
  }
  // What a struct builds on: another client's struct not placed yet (its own earlier ones always are).
  const needs = (id: Y.ID | null, client: number) =>
    // Stryker disable next-line ConditionalExpression: a struct's own client is placed up to it (the walk goes in clock order)
    !!id && id.client !== client && id.clock >= state(id.client);
  const ready = (struct: Y.Item | Y.GC, offset: number): boolean => {
    // Stryker disable next-line ConditionalExpression,BooleanLiteral: a GC struct has no origins or parent, so it is ready either way
    if (!(struct instanceof Y.Item)) return true;
    const client = struct.id.client;
    if (needs(struct.rightOrigin, client)) return false;
    // Past the first value, a slice's left neighbour is the value before it, of the same client.
    // Stryker disable next-line ConditionalExpression: checking it anyway finds the first slice's origin placed
    if (offset > 0) return true;
    if (needs(struct.origin, client)) return false;
    // The item holding the list or map it went into (a struct at the start of a list names it; any other
    // was inserted after one that is placed, inside the same holder). A root type has none.
    // Stryker disable next-line OptionalChaining: an item in a doc always has a parent
    const holder = (struct.parent as Y.AbstractType<unknown> | null)?._item;
    return !holder || !needs(holder.id, client);
  };

  const parts: Uint8Array[] = [];
  let sections = new Map<number, Section>();
  let bytes = 0;
  function* close(deletes?: Uint8Array): Generator<void> {
    parts.push(yield* partSteps(sections, deletes));
    sections = new Map();
    bytes = 0;
  }
  const write = (client: number, struct: Y.Item | Y.GC, offset: number) => {
    let section = sections.get(client);
    if (!section) {
      section = { clock: struct.id.clock + offset, count: 0, body: new Y.UpdateEncoderV1() };
      sections.set(client, section);
    }
    const before = encoding.length(section.body.restEncoder);
    struct.write(section.body, offset);
    section.count++;
    bytes += encoding.length(section.body.restEncoder) - before;
    placed.set(client, struct.id.clock + struct.length);
  };

  // In rounds, as Yjs integrates: each client as far as what it builds on is placed; until none moves.
  for (let progress = true; progress;) {
    progress = false;
    for (const cursor of cursors) {
      const { client, structs } = cursor;
      while (cursor.index < structs.length) {
        const struct = structs[cursor.index]!;
        if (!ready(struct, cursor.offset)) break;
        progress = true;
        for (const piece of slices(struct, sliceValues, cursor.offset)) {
          // A whole struct other than a run of values is written from the offset the walk stands at.
          write(client, piece, piece === struct ? cursor.offset : 0);
          // Stryker disable next-line EqualityOperator: a part of exactly maxBytes closes one struct later
          if (bytes >= maxBytes) {
            yield* close();
            if (parts.length >= most) return done(false);
          }
          yield;
        }
        cursor.index++;
        cursor.offset = 0;
      }
    }
  }
  // A doc's structs always have an order (each was integrated after what it builds on), so nothing is left
  // here; if something were (a struct naming one the doc does not hold), it would go as it is, in the last
  // part, for the receiver to hold back as it would from the whole update.
  // Stryker disable all: not reached by a doc Yjs built (see above)
  for (const cursor of cursors)
    for (; cursor.index < cursor.structs.length; cursor.index++, cursor.offset = 0)
      write(cursor.client, cursor.structs[cursor.index]!, cursor.offset);
  // Stryker restore all
  // Against the doc's own state vector, Yjs writes no struct, only the delete set: [0][delete set].
  const deletes = encodeAppliedState(doc, Y.encodeStateVector(doc)).subarray(1);
  // Stryker disable next-line EqualityOperator: exactly maxBytes with the delete set is one part more
  if (sections.size > 0 && bytes + deletes.length > maxBytes) {
    yield* close();
    if (parts.length >= most) return done(false);
  }
  if (sections.size > 0 || !isNothing(deletes) || parts.length === 0) yield* close(deletes);
  return done(true);
}

/**
 * The doc's state past `targetStateVector` as one update when it holds at most `maxBytes` (Yjs's own
 * encoding: what every sync and file carried before parts), else as `docParts` cuts it.
 */
export function stateParts(
  doc: Y.Doc,
  targetStateVector: Uint8Array | undefined,
  options: PartOptions,
): Pick<DocParts, 'parts' | 'complete'> {
  const whole = encodeAppliedState(doc, targetStateVector);
  if (whole.byteLength <= options.maxBytes) return { parts: [whole], complete: true };
  return docParts(doc, targetStateVector, options);
}

/**
 * Past this many values (Yjs clock units: a ledger entry is one, a setting a few) past a state vector,
 * about 1 MB of entries, writing the state is done in steps (`docPartsPaced`): a million entries written at
 * once held a page 1.2-1.5 s.
 */
export const PACED_PARTS_FROM = 16_384;

/**
 * `stateParts`, or `docPartsPaced` when the doc holds at least `pacedFrom` values past the state vector;
 * with the doc's own state vector at the moment the parts describe, when `atLastStep` is called too.
 */
export async function statePartsPaced(
  doc: Y.Doc,
  targetStateVector: Uint8Array | undefined,
  options: PartOptions,
  pause: () => Promise<void>,
  {
    pacedFrom = PACED_PARTS_FROM,
    atLastStep = () => undefined,
  }: { pacedFrom?: number; atLastStep?: () => void } = {},
): Promise<Pick<DocParts, 'parts' | 'complete'> & { stateVector: Uint8Array }> {
  if ((valuesPast(doc, targetStateVector) ?? 0) >= pacedFrom)
    return docPartsPaced(doc, targetStateVector, options, pause, atLastStep);
  const parts = stateParts(doc, targetStateVector, options);
  atLastStep();
  return { ...parts, stateVector: Y.encodeStateVector(doc) };
}

/** An empty delete set: it starts with its number of clients, 0. */
const isNothing = (deletes: Uint8Array) => deletes[0] === 0;

/**
 * A V1 update of the runs in `sections`, then `deletes` (an encoded delete set) or none: written into one
 * array at once, a run's buffers copied one at a time with a step between them (a first sync's part of
 * 57 MB, put together by three copies, held the page over 100 ms).
 */
function* partSteps(sections: Map<number, Section>, deletes?: Uint8Array): Generator<void, Uint8Array> {
  const chunks: Uint8Array[] = [];
  const head = encoding.createEncoder();
  encoding.writeVarUint(head, sections.size);
  chunks.push(encoding.toUint8Array(head));
  for (const [client, { clock, count, body }] of sections) {
    const runHead = encoding.createEncoder();
    encoding.writeVarUint(runHead, count);
    encoding.writeVarUint(runHead, client);
    encoding.writeVarUint(runHead, clock);
    chunks.push(encoding.toUint8Array(runHead));
    // The encoder's buffers as they are, not copied into one first.
    const rest = body.restEncoder;
    for (const buf of rest.bufs) chunks.push(buf);
    chunks.push(rest.cbuf.subarray(0, rest.cpos));
  }
  chunks.push(deletes ?? Uint8Array.of(0));
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: a step more or less changes no byte
    if (chunk.byteLength > 64 * 1024) yield;
  }
  return out;
}
