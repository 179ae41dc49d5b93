import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateNetwork } from '../../bench/generate';
import { PIECE_BYTES, pieceBatches, updatePieces } from '../../renderer/storage/pieces';

const docPieces = (doc: Y.Doc, maxBytes?: number, sliceValues?: number) =>
  updatePieces(Y.encodeStateAsUpdate(doc), maxBytes, sliceValues);
import { readAllEntries } from '../../shared/doc';
import { fcOptions } from '../shared/arbitraries';
import { sameDoc } from '../shared/sync/sameDoc';

/**
 * A start applies the stored doc one row per step, the page running between steps; a large row is cut by
 * `updatePieces` into rows that must give exactly what it gave, in their order or any other.
 */

function fromPieces(pieces: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const piece of pieces) Y.applyUpdate(doc, piece);
  return doc;
}

/** A few replicas edit maps, a list and nested lists (appends, deletes, overwrites), then merge. */
const opArb = fc.oneof(
  fc.record({ t: fc.constant('set' as const), key: fc.constantFrom('a', 'b', 'c'), v: fc.integer() }),
  fc.record({ t: fc.constant('del' as const), key: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ t: fc.constant('push' as const), v: fc.array(fc.string(), { minLength: 1, maxLength: 30 }) }),
  fc.record({ t: fc.constant('cut' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    t: fc.constant('nest' as const),
    key: fc.constantFrom('x', 'y'),
    v: fc.array(fc.nat(), { maxLength: 40 }),
  }),
);
const historyArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), opArb, fc.boolean()), { maxLength: 60 });

type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

function replay(history: History): Y.Doc {
  const replicas = [0, 1, 2].map((i) => {
    const doc = new Y.Doc();
    doc.clientID = 1000 + i * 7919;
    return doc;
  });
  const sync = (from: Y.Doc, to: Y.Doc) =>
    Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
  for (const [who, op, merge] of history) {
    const doc = replicas[who]!;
    const settings = doc.getMap<unknown>('settings');
    const log = doc.getArray<string>('log');
    const nested = doc.getMap<Y.Array<number>>('nested');
    if (op.t === 'set') settings.set(op.key, op.v);
    else if (op.t === 'del') settings.delete(op.key);
    else if (op.t === 'push') log.push(op.v);
    else if (op.t === 'cut' && log.length > 0) {
      const at = op.at % log.length;
      log.delete(at, Math.min(op.n, log.length - at));
    } else if (op.t === 'nest') {
      let list = nested.get(op.key);
      if (!list) {
        list = new Y.Array<number>();
        nested.set(op.key, list);
      }
      list.push(op.v);
    }
    if (merge) for (const other of replicas) if (other !== doc) sync(doc, other);
  }
  for (const a of replicas) for (const b of replicas) if (a !== b) sync(a, b);
  return replicas[0]!;
}

describe('updatePieces', () => {
  it('a generated network: pieces within the size, and the same doc from them', () => {
    const net = generateNetwork(3_000, 'pieces');
    const pieces = docPieces(net.doc, 16 * 1024);
    expect(pieces.length).toBeGreaterThan(10);
    const structs = pieces.slice(0, -1);
    // A piece closes once it reaches the size: at most one struct over it (the bench doc's are < 16 kB).
    for (const p of structs) expect(p.byteLength).toBeLessThan(2 * 16 * 1024);
    const whole = Y.encodeStateAsUpdate(net.doc).byteLength;
    const cut = pieces.reduce((sum, p) => sum + p.byteLength, 0);
    // A few bytes of framing per piece, nothing re-encoded.
    expect(cut).toBeLessThan(whole + pieces.length * 16);
    const rebuilt = fromPieces(pieces);
    sameDoc(net.doc, rebuilt);
    const byId = (doc: Y.Doc) =>
      readAllEntries(doc).entries.sort((x, y) => x.device.localeCompare(y.device) || x.seq - y.seq);
    expect(byId(rebuilt)).toEqual(byId(net.doc));
  });

  it('by default a piece closes once it holds PIECE_BYTES', () => {
    const doc = new Y.Doc();
    const log = doc.getArray<string>('log');
    // 600 saves of 1 kB each, every one a struct of its own (an insert before the last one never merges).
    for (let i = 0; i < 600; i++) log.insert(0, [`${i}`.padEnd(1024, '.')]);
    const pieces = docPieces(doc);
    // No deletions: no piece for them.
    const sizes = pieces.map((p) => p.byteLength);
    expect(PIECE_BYTES).toBe(128 * 1024);
    // About 600 kB: four full pieces and the rest.
    expect(sizes.length).toBe(5);
    for (const size of sizes.slice(0, -1)) {
      expect(size).toBeGreaterThanOrEqual(PIECE_BYTES);
      expect(size).toBeLessThan(PIECE_BYTES + 2 * 1024);
    }
    sameDoc(doc, fromPieces(pieces));
  });

  it('any history of maps, lists, nested lists, deletions and overwrites, cut at any size, in any order', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        (history, maxBytes, sliceValues, seed) => {
          const doc = replay(history);
          // Runs of values cut too (a list's appends merge into one struct): slices of 1 to 8 values.
          const pieces = docPieces(doc, maxBytes, sliceValues);
          sameDoc(doc, fromPieces(pieces));
          // Any order: a deterministic shuffle by the seed.
          const order = pieces.map((p, i) => ({ p, k: (i * 2654435761 + seed) % 4294967296 }));
          order.sort((x, y) => x.k - y.k);
          sameDoc(doc, fromPieces(order.map((o) => o.p)));
        },
      ),
      fcOptions(),
    );
  });

  it('the deletions piece is byte for byte what Yjs gives for the update against its own state vector', () => {
    fc.assert(
      fc.property(historyArb, (history) => {
        const update = Y.encodeStateAsUpdate(replay(history));
        const deletions = Y.diffUpdate(update, Y.encodeStateVectorFromUpdate(update));
        const pieces = updatePieces(update);
        const empty = deletions.length === 2 && deletions[0] === 0 && deletions[1] === 0;
        if (empty) expect(pieces.every((p) => Y.decodeUpdate(p).structs.length > 0)).toBe(true);
        else expect(pieces.at(-1)).toEqual(deletions);
      }),
      fcOptions(),
    );
  });

  it('in batches: the same pieces in the same order, each batch but the last holding at least its bytes', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 2000 }),
        (history, maxBytes, batchBytes) => {
          const update = Y.encodeStateAsUpdate(replay(history));
          const batches = [...pieceBatches(update, batchBytes, maxBytes, 4)];
          expect(batches.flat()).toEqual(updatePieces(update, maxBytes, 4));
          for (const [i, batch] of batches.entries()) {
            expect(batch.length).toBeGreaterThan(0);
            const bytes = batch.reduce((n, p) => n + p.byteLength, 0);
            // Closed as soon as it holds batchBytes: without its last piece it held less.
            expect(bytes - batch.at(-1)!.byteLength).toBeLessThan(batchBytes);
            if (i < batches.length - 1) expect(bytes).toBeGreaterThanOrEqual(batchBytes);
          }
        },
      ),
      fcOptions(),
    );
  });

  it('a long run of values one device appended at once (one struct) is cut into slices', () => {
    const doc = new Y.Doc();
    const log = doc.getArray<unknown>('log');
    doc.getMap<unknown>('settings').set('a', 1);
    log.push(Array.from({ length: 40_000 }, (_, i) => [i, 'donation', `item-${i % 500}-of-the-catalog`, 3]));
    const before = doc.store.clients.get(doc.clientID)!.length;
    const pieces = docPieces(doc);
    expect(pieces.length).toBeGreaterThan(3);
    for (const p of pieces) expect(p.byteLength).toBeLessThan(PIECE_BYTES + 64 * 1024);
    const rebuilt = fromPieces(pieces);
    sameDoc(doc, rebuilt);
    // Yjs merges the slices back: as few structs as the doc cut.
    expect(rebuilt.store.clients.get(doc.clientID)!.length).toBe(before);
  });

  it('an empty doc is no piece; a doc that deleted something ends with its deletions', () => {
    expect(docPieces(new Y.Doc())).toEqual([]);
    const doc = new Y.Doc();
    doc.getArray<number>('log').push([1, 2, 3]);
    doc.getArray<number>('log').delete(1, 1);
    const pieces = docPieces(doc);
    expect(pieces).toHaveLength(2);
    sameDoc(doc, fromPieces(pieces));
    const last = Y.decodeUpdate(pieces[1]!);
    expect(last.structs).toEqual([]);
    expect(last.ds.clients.get(doc.clientID)).toHaveLength(1);
  });

  it('an update merged from non-consecutive ones (a gap in a client’s clocks) is cut around the gap', () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 6; i++) doc.getArray<string>('log').insert(0, [`${i}`.repeat(50)]);
    // Rows 1, 2, 4, 5 and 6 merged, row 3 missing (a damaged row set aside, say).
    const merged = Y.mergeUpdates(updates.filter((_, i) => i !== 2));
    expect(Y.decodeUpdate(merged).structs.some((s) => s instanceof Y.Skip)).toBe(true);
    const pieces = updatePieces(merged, 60);
    const rebuilt = fromPieces(pieces);
    // What comes after the gap waits for it, as it would from the merged row itself.
    expect(rebuilt.store.pendingStructs).not.toBeNull();
    Y.applyUpdate(rebuilt, updates[2]!);
    sameDoc(doc, rebuilt);
  });
});
