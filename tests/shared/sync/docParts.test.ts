import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateNetwork } from '../../../bench/generate';
import { appendEntries, readAllEntries } from '../../../shared/doc';
import {
  docParts,
  docPartsPaced,
  SLICE_VALUES,
  slicesFor,
  stateParts,
  valuesPast,
} from '../../../shared/sync/docParts';
import { encodeAppliedState, ingestUpdate } from '../../../shared/sync/ingest';
import { fcOptions } from '../arbitraries';
import { donations } from './donations';
import { sameDoc } from './sameDoc';

/**
 * A network too large for one sync message or one sync file goes in parts (`docParts`): applied one after
 * another to a device that has some of it, no part may wait for a later one (Yjs would hold structs back,
 * and the ingest checks would hold the whole part), and together they must give exactly what the whole
 * state past the device's state vector gives.
 */

/** Applies the parts in order; none may leave anything held back. */
function applyAll(doc: Y.Doc, parts: readonly Uint8Array[]): void {
  for (const [i, part] of parts.entries()) {
    Y.applyUpdate(doc, part);
    expect(doc.store.pendingStructs, `part ${i + 1} of ${parts.length}`).toBeNull();
    expect(doc.store.pendingDs, `part ${i + 1} of ${parts.length}`).toBeNull();
  }
}

const copyOf = (doc: Y.Doc) => {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
};

/**
 * Replicas edit maps, a list that several of them append to, and lists nested in a map that one replica
 * creates and others append to (cross-client dependencies both ways), with deletions and overwrites.
 */
const opArb = fc.oneof(
  fc.record({ t: fc.constant('set' as const), key: fc.constantFrom('a', 'b', 'c'), v: fc.integer() }),
  fc.record({ t: fc.constant('del' as const), key: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ t: fc.constant('push' as const), v: fc.array(fc.string(), { minLength: 1, maxLength: 30 }) }),
  fc.record({ t: fc.constant('insert' as const), at: fc.nat(), v: fc.string() }),
  fc.record({ t: fc.constant('cut' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    t: fc.constant('nest' as const),
    key: fc.constantFrom('x', 'y'),
    v: fc.array(fc.nat(), { maxLength: 40 }),
  }),
);
const historyArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), opArb, fc.boolean()), {
  maxLength: 60,
});
type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

/** The replicas after the history, and a copy of `watch`'s state taken after step `at`. */
function replay(history: History, watch: number, at: number): { source: Y.Doc; receiver: Y.Doc } {
  const replicas = [0, 1, 2, 3].map((i) => {
    const doc = new Y.Doc();
    doc.clientID = 1000 + i * 7919;
    return doc;
  });
  const sync = (from: Y.Doc, to: Y.Doc) =>
    Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
  let receiver = new Y.Doc();
  for (const [step, [who, op, merge]] of history.entries()) {
    const doc = replicas[who]!;
    const settings = doc.getMap<unknown>('settings');
    const log = doc.getArray<string>('log');
    const nested = doc.getMap<Y.Array<number>>('nested');
    if (op.t === 'set') settings.set(op.key, op.v);
    else if (op.t === 'del') settings.delete(op.key);
    else if (op.t === 'push') log.push(op.v);
    else if (op.t === 'insert') log.insert(op.at % (log.length + 1), [op.v]);
    else if (op.t === 'cut' && log.length > 0) {
      const from = op.at % log.length;
      log.delete(from, Math.min(op.n, log.length - from));
    } else if (op.t === 'nest') {
      let list = nested.get(op.key);
      if (!list) {
        list = new Y.Array<number>();
        nested.set(op.key, list);
      }
      list.push(op.v);
    }
    if (merge) for (const other of replicas) if (other !== doc) sync(doc, other);
    if (step === at) receiver = copyOf(replicas[watch]!);
  }
  for (const a of replicas) for (const b of replicas) if (a !== b) sync(a, b);
  return { source: replicas[0]!, receiver };
}

describe('docParts', () => {
  it('any history, any receiver, any size: parts in order never wait and give the whole state', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.integer({ min: 0, max: 3 }),
        fc.nat(),
        // Small parts most of the time: a struct placed too early shows only when what it builds on is in a
        // later part (within one part Yjs integrates in whatever order it takes).
        fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 })),
        fc.integer({ min: 1, max: 8 }),
        (history, watch, at, maxBytes, sliceValues) => {
          const { source, receiver } = replay(history, watch, history.length === 0 ? 0 : at % history.length);
          const sv = Y.encodeStateVector(receiver);
          const { parts, complete } = docParts(source, sv, { maxBytes, sliceValues });
          expect(complete).toBe(true);
          // Parts of one byte: one struct each, so each was placed on its own, after what it builds on.
          // (the last may hold the delete set alone).
          if (maxBytes === 1) {
            const structs = parts.map((part) => Y.decodeUpdate(part).structs.length);
            expect(structs.slice(0, -1).every((n) => n === 1)).toBe(true);
            expect(structs.at(-1)).toBeLessThanOrEqual(1);
          }
          applyAll(receiver, parts);
          sameDoc(source, receiver);
        },
      ),
      fcOptions(),
    );
  });

  it('one part at a time, asked again from the state it left, gives the same', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 60 }), (history, maxBytes) => {
        const { source } = replay(history, 0, 0);
        const receiver = new Y.Doc();
        let rounds = 0;
        for (let complete = false; !complete; rounds++) {
          const got = docParts(source, Y.encodeStateVector(receiver), { maxBytes, most: 1, sliceValues: 4 });
          expect(got.parts).toHaveLength(1);
          applyAll(receiver, got.parts);
          // What the receiver holds after the part, as docParts says (relay.ts records it as the relay's state).
          expect(Y.decodeStateVector(got.reached)).toEqual(
            Y.decodeStateVector(Y.encodeStateVector(receiver)),
          );
          complete = got.complete;
          expect(rounds).toBeLessThan(10_000);
        }
        sameDoc(source, receiver);
      }),
      fcOptions(),
    );
  });

  it('a generated network: parts about the size asked, each taken by the ingest checks at once, the same entries', () => {
    const net = generateNetwork(6_000, 'parts');
    const whole = encodeAppliedState(net.doc);
    const maxBytes = 24 * 1024;
    const { parts, complete } = docParts(net.doc, undefined, { maxBytes });
    expect(complete).toBe(true);
    // Every part but the last holds at least maxBytes.
    expect(parts.length).toBeGreaterThan(10);
    expect(parts.length).toBeLessThanOrEqual(whole.byteLength / maxBytes + 1);
    // A part closes once it holds maxBytes: one slice of 512 entries more at most (about 30 kB).
    for (const part of parts) expect(part.byteLength).toBeLessThan(maxBytes + 40 * 1024);
    // Nothing re-encoded: a few bytes of framing per client and part.
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    expect(total).toBeLessThan(whole.byteLength + parts.length * 200);
    const receiver = new Y.Doc();
    for (const part of parts) {
      const result = ingestUpdate(receiver, part, 'test');
      expect(result).toEqual({ ok: true, changed: true, pending: false });
    }
    sameDoc(net.doc, receiver);
    const byId = (doc: Y.Doc) =>
      readAllEntries(doc).entries.sort((x, y) => x.device.localeCompare(y.device) || x.seq - y.seq);
    expect(byId(receiver)).toEqual(byId(net.doc));
  });

  it('starts where the receiver stands, inside a run of values, and sends nothing it has', () => {
    const doc = new Y.Doc();
    appendEntries(doc, 'dev1', donations('dev1', 1, 3_000));
    // One struct for the device's ledger array, one for its 3,000 values.
    expect(doc.store.clients.get(doc.clientID)).toHaveLength(2);
    const partial = new Y.Doc();
    const one = docParts(doc, undefined, { maxBytes: 1, sliceValues: 1 }).parts;
    expect(one).toHaveLength(3_001);
    applyAll(partial, one.slice(0, 1_235));
    expect(Y.decodeStateVector(Y.encodeStateVector(partial))).toEqual(new Map([[doc.clientID, 1_235]]));
    const { parts } = docParts(doc, Y.encodeStateVector(partial), { maxBytes: Infinity });
    expect(parts).toHaveLength(1);
    const decoded = Y.decodeUpdate(parts[0]!);
    expect(decoded.structs).toHaveLength(Math.ceil((3_001 - 1_235) / 512));
    expect(decoded.structs[0]!.id.clock).toBe(1_235);
    applyAll(partial, parts);
    sameDoc(doc, partial);
  });

  describe('each struct after what it builds on, in parts of one struct each', () => {
    /** Two devices: `low` writes first, then `high` (the higher client id, which Yjs writes first). */
    function pair(first: (low: Y.Doc) => void, then: (high: Y.Doc) => void): Y.Doc {
      const low = new Y.Doc();
      low.clientID = 1;
      const high = new Y.Doc();
      high.clientID = 2;
      first(low);
      Y.applyUpdate(high, Y.encodeStateAsUpdate(low));
      then(high);
      return high;
    }
    const cases: [string, Y.Doc][] = [
      [
        'its left neighbour',
        pair(
          (d) => d.getArray('log').push(['a']),
          (d) => d.getArray('log').push(['b']),
        ),
      ],
      [
        'its right neighbour',
        pair(
          (d) => d.getArray('log').push(['a']),
          (d) => d.getArray('log').insert(0, ['b']),
        ),
      ],
      [
        'the list it is the first in',
        pair(
          (d) => d.getMap('nested').set('x', new Y.Array()),
          (d) => (d.getMap('nested').get('x') as Y.Array<string>).push(['b']),
        ),
      ],
      [
        'the value it replaces in a map',
        pair(
          (d) => d.getMap('settings').set('k', 1),
          (d) => d.getMap('settings').set('k', 2),
        ),
      ],
    ];
    for (const [what, doc] of cases)
      it(what, () => {
        const { parts } = docParts(doc, undefined, { maxBytes: 1 });
        const clients = parts.map((p) => Y.decodeUpdate(p).structs.map((s) => s.id.client));
        // The earlier device's struct first, though Yjs would write the higher client id first.
        expect(clients.slice(0, 2)).toEqual([[1], [2]]);
        const receiver = new Y.Doc();
        applyAll(receiver, parts);
        sameDoc(doc, receiver);
      });

    it('a chain over three devices, each after the one before (placed over three rounds)', () => {
      const docs = [1, 2, 3].map((id) => {
        const d = new Y.Doc();
        d.clientID = id;
        return d;
      });
      for (const [i, d] of docs.entries()) {
        if (i > 0) Y.applyUpdate(d, Y.encodeStateAsUpdate(docs[i - 1]!));
        d.getArray('log').push([i]);
      }
      const doc = docs[2]!;
      const { parts } = docParts(doc, undefined, { maxBytes: 1 });
      expect(parts.map((p) => Y.decodeUpdate(p).structs.map((s) => s.id.client))).toEqual([[1], [2], [3]]);
      const receiver = new Y.Doc();
      applyAll(receiver, parts);
      sameDoc(doc, receiver);
    });

    it('devices that build on nothing of each other: the higher client id first, as Yjs writes them', () => {
      const doc = pair(
        (d) => d.getArray('a').push([1]),
        (d) => d.getArray('b').push([2]),
      );
      const { parts } = docParts(doc, undefined, { maxBytes: 1 });
      expect(parts.map((p) => Y.decodeUpdate(p).structs.map((s) => s.id.client))).toEqual([[2], [1]]);
    });
  });

  it('a receiver that holds part of a deleted run, or of a text: the rest from where it stands', () => {
    for (const kind of ['deleted', 'text'] as const) {
      const doc = new Y.Doc();
      doc.clientID = 7;
      const receiver = new Y.Doc();
      if (kind === 'deleted') {
        doc.getArray<number>('log').push([1, 2, 3, 4, 5]);
        Y.applyUpdate(receiver, Y.encodeStateAsUpdate(doc));
        doc.getArray<number>('log').push([6, 7, 8, 9, 10]);
        doc.getArray<number>('log').delete(0, 10);
      } else {
        doc.getText('note').insert(0, 'hello');
        Y.applyUpdate(receiver, Y.encodeStateAsUpdate(doc));
        doc.getText('note').insert(5, ' world');
      }
      // The source holds one struct (a deleted run, or one string) the receiver holds the start of.
      expect(doc.store.clients.get(7), kind).toHaveLength(1);
      const { parts } = docParts(doc, Y.encodeStateVector(receiver), { maxBytes: 1 });
      expect(Y.decodeUpdate(parts[0]!).structs[0]!.id.clock, kind).toBe(5);
      applyAll(receiver, parts);
      sameDoc(doc, receiver);
      if (kind === 'text') expect(receiver.getText('note').toString()).toBe('hello world');
    }
  });

  it('nothing past the state vector: one empty part; deletions only: one part of them', () => {
    const doc = new Y.Doc();
    doc.getArray<number>('log').push([1, 2, 3]);
    const sv = Y.encodeStateVector(doc);
    expect(docParts(doc, sv, { maxBytes: 10 })).toMatchObject({
      parts: [new Uint8Array([0, 0])],
      complete: true,
    });
    const receiver = copyOf(doc);
    doc.getArray<number>('log').delete(1, 1);
    const { parts } = docParts(doc, Y.encodeStateVector(receiver), { maxBytes: 10 });
    expect(parts).toHaveLength(1);
    applyAll(receiver, parts);
    sameDoc(doc, receiver);
  });

  it('the delete set goes in a part of its own when the last part has no room for it, and counts in `most`', () => {
    const doc = new Y.Doc();
    const log = doc.getArray<string>('log');
    log.push(['a'.repeat(40)]);
    for (let i = 0; i < 20; i++) log.insert(0, [`${i}`]);
    for (let i = 0; i < 10; i++) log.delete(i, 1);
    const all = docParts(doc, undefined, { maxBytes: 60 });
    const last = Y.decodeUpdate(all.parts.at(-1)!);
    expect(last.structs).toEqual([]);
    expect(last.ds.clients.size).toBe(1);
    const receiver = new Y.Doc();
    applyAll(receiver, all.parts);
    sameDoc(doc, receiver);
    const first = docParts(doc, undefined, { maxBytes: 60, most: all.parts.length - 1 });
    expect(first).toMatchObject({ parts: all.parts.slice(0, -1), complete: false });
    // All the structs went: the state vector reached is the doc's, though the deletions are still to come.
    expect(Y.decodeStateVector(first.reached)).toEqual(Y.decodeStateVector(Y.encodeStateVector(doc)));
    // With room for it, the delete set goes in the last part of structs.
    const roomy = docParts(doc, undefined, { maxBytes: 100_000 });
    expect(roomy.parts).toHaveLength(1);
    const one = Y.decodeUpdate(roomy.parts[0]!);
    expect(one.structs.length).toBeGreaterThan(1);
    expect(one.ds.clients.size).toBe(1);
  });
});

describe('docPartsPaced', () => {
  const net = () => generateNetwork(3_000, 'paced');
  const more = (doc: Y.Doc, seq: number) => appendEntries(doc, 'devzzzz1', donations('devzzzz1', seq, 5));

  const listening = (doc: Y.Doc) =>
    (doc as unknown as { _observers: Map<string, Set<unknown>> })._observers.get('afterTransaction')?.size ??
    0;

  it('the parts docParts gives, with pauses between its steps, and the doc’s state vector', async () => {
    const { doc } = net();
    const before = listening(doc);
    let pauses = 0;
    const paced = await docPartsPaced(doc, undefined, { maxBytes: 24 * 1024 }, async () => void pauses++);
    expect(paced).toEqual({
      ...docParts(doc, undefined, { maxBytes: 24 * 1024 }),
      stateVector: Y.encodeStateVector(doc),
    });
    // A pause after every slice written: 3,000 entries in slices of at most 512 values, and the settings.
    expect(pauses).toBeGreaterThan(6);
    // It stops watching the doc once done.
    expect(listening(doc)).toBe(before);
  });

  it('a change during a pause starts it again: the parts hold it and describe the doc as it then stands', async () => {
    const { doc } = net();
    let pauses = 0;
    const paced = await docPartsPaced(doc, undefined, { maxBytes: 24 * 1024 }, async () => {
      if (++pauses === 3) more(doc, 1);
    });
    const receiver = new Y.Doc();
    applyAll(receiver, paced.parts);
    sameDoc(doc, receiver);
    expect(paced.stateVector).toEqual(Y.encodeStateVector(doc));
    expect(readAllEntries(receiver).entries.filter((e) => e.device === 'devzzzz1')).toHaveLength(5);
  });

  it('changed during every try: the third walks the doc in one go, with nothing left out', async () => {
    const { doc } = net();
    let pauses = 0;
    let seq = 1;
    const paced = await docPartsPaced(doc, undefined, { maxBytes: 24 * 1024 }, async () => {
      pauses++;
      more(doc, seq);
      seq += 5;
    });
    // Two tries, each stopped at its first pause; then no pause.
    expect(pauses).toBe(2);
    const receiver = new Y.Doc();
    applyAll(receiver, paced.parts);
    sameDoc(doc, receiver);
    expect(readAllEntries(receiver).entries.filter((e) => e.device === 'devzzzz1')).toHaveLength(10);
  });
});

describe('valuesPast', () => {
  it('counts the values (clock units) a doc holds past a state vector; null for one that does not read', () => {
    const doc = new Y.Doc();
    appendEntries(doc, 'deva0001', donations('deva0001', 1, 30));
    const all = valuesPast(doc);
    // 30 entries, and the device's ledger array itself.
    expect(all).toBe(Y.getState(doc.store, doc.clientID));
    expect(all).toBeGreaterThanOrEqual(30);
    const half = new Y.Doc();
    Y.applyUpdate(half, Y.encodeStateAsUpdate(doc));
    appendEntries(doc, 'deva0001', donations('deva0001', 31, 12));
    expect(valuesPast(doc, Y.encodeStateVector(half))).toBe(12);
    expect(valuesPast(doc, Y.encodeStateVector(doc))).toBe(0);
    // A receiver ahead of the doc lacks nothing from it.
    expect(valuesPast(half, Y.encodeStateVector(doc))).toBe(0);
    expect(valuesPast(doc, new Uint8Array([0xff, 0xff, 0xff]))).toBeNull();
  });
});

describe('slicesFor', () => {
  it('512 values a slice for parts of 32 kB or more, fewer for smaller parts, never none', () => {
    expect([1, 63, 64, 640, 32_767, 32_768, 56 * 2 ** 20].map(slicesFor)).toEqual([
      1, 1, 1, 10, 511, 512, 512,
    ]);
    expect(SLICE_VALUES).toBe(512);
  });

  it('parts of a device’s long run of entries stay near the size asked', () => {
    const doc = new Y.Doc();
    appendEntries(doc, 'dev1', donations('dev1', 1, 4_500));
    const { parts } = docParts(doc, undefined, { maxBytes: 4096 });
    expect(parts.length).toBeGreaterThan(20);
    for (const part of parts) expect(part.byteLength).toBeLessThan(2 * 4096);
  });
});

describe('stateParts', () => {
  it('the whole state as Yjs encodes it when it fits, else docParts’ parts', () => {
    const doc = new Y.Doc();
    appendEntries(doc, 'dev1', donations('dev1', 1, 300));
    const whole = encodeAppliedState(doc);
    expect(stateParts(doc, undefined, { maxBytes: whole.byteLength })).toEqual({
      parts: [whole],
      complete: true,
    });
    const cut = stateParts(doc, undefined, { maxBytes: whole.byteLength - 1, most: 1 });
    const { parts, complete } = docParts(doc, undefined, { maxBytes: whole.byteLength - 1, most: 1 });
    expect(cut).toMatchObject({ parts, complete });
  });
});
