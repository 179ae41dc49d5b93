import fc from 'fast-check';
import * as enc from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendEntries,
  headsClientId,
  headsOf,
  itemsOf,
  ledgersOf,
  levelsOf,
  readAllEntries,
} from '../../../shared/doc';
import {
  checkUpdateBytes,
  ingestUpdate,
  INGEST_MESSAGES as M,
  waitingUpdates,
} from '../../../shared/sync/ingest';
import { encodeEntry } from '../../../shared/wire';
import { fcOptions } from '../arbitraries';
import { msg, type DomainMessage } from '../../../shared/messages';
import { donation, donations } from './donations';

function replica(clientID: number): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientID;
  return doc;
}

/** A network with device `deva`'s ledger of 5 entries, an item and a level. */
function network(): Y.Doc {
  const a = replica(1);
  appendEntries(a, 'deva', donations('deva', 1, 5));
  itemsOf(a).set('itma', { name: 'Rice' });
  levelsOf(a).set('hub1|itma', { min: 1, target: 5 });
  return a;
}

/** A second replica holding everything `from` has. */
function copyOf(from: Y.Doc, clientID: number): Y.Doc {
  const b = replica(clientID);
  Y.applyUpdate(b, Y.encodeStateAsUpdate(from));
  return b;
}

/** What `to` lacks of `from`, as a peer sends it after exchanging state vectors. */
const diff = (from: Y.Doc, to: Y.Doc) => Y.encodeStateAsUpdate(from, Y.encodeStateVector(to));

/** Everything observable about a doc, to show it is untouched. */
function snapshot(doc: Y.Doc) {
  return {
    sv: Y.encodeStateVector(doc),
    state: Y.encodeStateAsUpdate(doc),
    json: JSON.stringify(doc.toJSON()),
    pending: [doc.store.pendingStructs?.update ?? null, doc.store.pendingDs],
  };
}

function expectRefused(doc: Y.Doc, update: Uint8Array, message: DomainMessage) {
  const before = snapshot(doc);
  let events = 0;
  const count = () => events++;
  doc.on('update', count);
  const r = ingestUpdate(doc, update, 'peer');
  doc.off('update', count);
  expect(r).toEqual({ ok: false, message });
  expect(events).toBe(0);
  expect(snapshot(doc)).toEqual(before);
}

// --- Hand-written updates (Yjs update format v1), for what no Yjs API would produce. ---------------------

type Id = [client: number, clock: number];
type StructSpec =
  | {
      kind: 'any';
      values: unknown[];
      origin?: Id;
      rightOrigin?: Id;
      parent?: string | Id;
      parentSub?: string;
    }
  | { kind: 'deleted'; len: number; parent: string | Id; parentSub?: string }
  | { kind: 'gc'; len: number }
  | { kind: 'binary'; bytes: Uint8Array; parent: string | Id; parentSub?: string }
  | { kind: 'array' | 'doc'; parent: string | Id; parentSub?: string };

function craft(
  clients: { client: number; clock: number; structs: StructSpec[] }[],
  ds: [number, Id[]][] = [],
) {
  const e = enc.createEncoder();
  enc.writeVarUint(e, clients.length);
  for (const { client, clock, structs } of clients) {
    enc.writeVarUint(e, structs.length);
    enc.writeVarUint(e, client);
    enc.writeVarUint(e, clock);
    for (const s of structs) {
      if (s.kind === 'gc') {
        enc.writeUint8(e, 0);
        enc.writeVarUint(e, s.len);
        continue;
      }
      const ref = { any: 8, deleted: 1, binary: 3, array: 7, doc: 9 }[s.kind];
      const origin = 'origin' in s ? s.origin : undefined;
      const rightOrigin = 'rightOrigin' in s ? s.rightOrigin : undefined;
      const parent = 'parent' in s ? s.parent : undefined;
      const parentSub = 'parentSub' in s ? s.parentSub : undefined;
      const hasOrigins = origin !== undefined || rightOrigin !== undefined;
      enc.writeUint8(
        e,
        ref | (origin ? 128 : 0) | (rightOrigin ? 64 : 0) | (!hasOrigins && parentSub !== undefined ? 32 : 0),
      );
      for (const id of [origin, rightOrigin]) if (id) id.forEach((n) => enc.writeVarUint(e, n));
      if (!hasOrigins) {
        if (typeof parent === 'string') {
          enc.writeVarUint(e, 1);
          enc.writeVarString(e, parent);
        } else {
          enc.writeVarUint(e, 0);
          parent!.forEach((n) => enc.writeVarUint(e, n));
        }
        if (parentSub !== undefined) enc.writeVarString(e, parentSub);
      }
      if (s.kind === 'any') {
        enc.writeVarUint(e, s.values.length);
        for (const v of s.values) enc.writeAny(e, v as never);
      } else if (s.kind === 'deleted') enc.writeVarUint(e, s.len);
      else if (s.kind === 'binary') enc.writeVarUint8Array(e, s.bytes);
      else if (s.kind === 'array') enc.writeVarUint(e, 0);
      else {
        enc.writeVarString(e, 'a-sub-document');
        enc.writeAny(e, {});
      }
    }
  }
  enc.writeVarUint(e, ds.length);
  for (const [client, ranges] of ds) {
    enc.writeVarUint(e, client);
    enc.writeVarUint(e, ranges.length);
    for (const [clock, len] of ranges) {
      enc.writeVarUint(e, clock);
      enc.writeVarUint(e, len);
    }
  }
  return enc.toUint8Array(e);
}

describe('ingestUpdate accepts what peers legitimately send', () => {
  it('applies a peer update, then finds nothing new in it the second time', () => {
    const a = network();
    const b = replica(2);
    const r = ingestUpdate(b, Y.encodeStateAsUpdate(a), 'peer');
    expect(r).toEqual({ ok: true, changed: true, pending: false });
    expect(Y.encodeStateVector(b)).toEqual(Y.encodeStateVector(a));
    expect(readAllEntries(b).entries).toHaveLength(5);
    expect(ingestUpdate(b, Y.encodeStateAsUpdate(a), 'peer')).toEqual({
      ok: true,
      changed: false,
      pending: false,
    });
  });

  it('applies appends to existing ledgers, new ledgers and edited settings (with their deletes)', () => {
    const a = network();
    const b = copyOf(a, 2);
    appendEntries(b, 'deva', donations('deva', 6, 3)); // deva's own entries, recorded on replica b
    appendEntries(b, 'devb', donations('devb', 1, 2));
    itemsOf(b).set('itma', { name: 'Brown rice' }); // overwrites: the old value is deleted
    const r = ingestUpdate(a, diff(b, a), 'peer');
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(readAllEntries(a).entries).toHaveLength(10);
    expect(itemsOf(a).get('itma')).toEqual({ name: 'Brown rice' });
  });

  it('takes a peer’s level set and cleared again since the last sync (a client this device knows)', () => {
    const a = network();
    const b = copyOf(a, 2);
    levelsOf(b).set('hub1|itmb', { min: 2, target: 4 });
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true, changed: true });
    // The update holds the new level as deleted content, and a delete starting where a's copy of b ends.
    levelsOf(b).set('hub1|itmc', { min: 1, target: 3 });
    levelsOf(b).delete('hub1|itmc');
    expect(ingestUpdate(a, diff(b, a), 'peer')).toMatchObject({ ok: true });
    expect(levelsOf(a).has('hub1|itmc')).toBe(false);
    expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
  });

  it('reports a change for an update that only deletes (a cleared level)', () => {
    const a = network();
    const b = copyOf(a, 2);
    levelsOf(b).delete('hub1|itma');
    const update = diff(b, a);
    expect(Y.decodeUpdate(update).structs).toHaveLength(0);
    expect(ingestUpdate(a, update, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(levelsOf(a).has('hub1|itma')).toBe(false);
  });

  it('takes incremental updates in any order: early ones wait, pending, until what they build on arrives', () => {
    const a = network();
    const b = copyOf(a, 2);
    const updates: Uint8Array[] = [];
    b.on('update', (u: Uint8Array) => updates.push(u));
    appendEntries(b, 'devb', donations('devb', 1, 2));
    appendEntries(b, 'devb', donations('devb', 3, 2));
    itemsOf(b).set('itma', { name: 'Long rice' });
    itemsOf(b).set('itma', { name: 'Jasmine rice' });
    expect(updates).toHaveLength(4);
    const r3 = ingestUpdate(a, updates[3]!, 'peer');
    expect(r3).toEqual({ ok: true, changed: false, pending: true });
    expect(ingestUpdate(a, updates[1]!, 'peer')).toMatchObject({ ok: true, pending: true });
    expect(ingestUpdate(a, updates[0]!, 'peer')).toMatchObject({ ok: true, changed: true, pending: true });
    expect(ingestUpdate(a, updates[2]!, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
    expect(ledgersOf(a).toJSON()).toEqual(ledgersOf(b).toJSON());
    expect(itemsOf(a).toJSON()).toEqual(itemsOf(b).toJSON());
  });

  it('keeps a setting until its new value can be applied (Yjs alone would delete the old one at once)', () => {
    const a = network();
    const b = copyOf(a, 2);
    const updates: Uint8Array[] = [];
    b.on('update', (u: Uint8Array) => updates.push(u));
    appendEntries(b, 'devb', donations('devb', 1, 2));
    itemsOf(b).set('itma', { name: 'Long rice' });
    // The edit arrives first: it waits, whole, and the item keeps its name meanwhile.
    expect(ingestUpdate(a, updates[1]!, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    expect(itemsOf(a).get('itma')).toEqual({ name: 'Rice' });
    expect(waitingUpdates(a)).toBe(1);
    expect(ingestUpdate(a, updates[0]!, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(itemsOf(a).get('itma')).toEqual({ name: 'Long rice' });
    expect(waitingUpdates(a)).toBe(0);
    expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
    // What Yjs alone does: the item is gone until the earlier change arrives.
    const raw = network();
    Y.applyUpdate(raw, updates[1]!);
    expect(itemsOf(raw).get('itma')).toBeUndefined();
  });

  it('an edit made on top of another device’s edit waits for that edit, whole', () => {
    const a = network();
    const b = copyOf(a, 2);
    const c = copyOf(a, 3);
    const fromB: Uint8Array[] = [];
    b.on('update', (u: Uint8Array) => fromB.push(u));
    itemsOf(b).set('itma', { name: 'Brown rice' });
    Y.applyUpdate(c, fromB[0]!);
    const fromC: Uint8Array[] = [];
    c.on('update', (u: Uint8Array) => fromC.push(u));
    itemsOf(c).set('itma', { name: 'Jasmine rice' }); // inserted next to b's value, deleting it
    // c's edit reaches a first: it waits for b's, and the item keeps its name meanwhile.
    expect(ingestUpdate(a, fromC[0]!, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    expect(waitingUpdates(a)).toBe(1);
    expect(a.store.pendingStructs).toBeNull();
    expect(itemsOf(a).get('itma')).toEqual({ name: 'Rice' });
    expect(ingestUpdate(a, fromB[0]!, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(waitingUpdates(a)).toBe(0);
    expect(itemsOf(a).get('itma')).toEqual({ name: 'Jasmine rice' });
  });

  it('checkUpdateBytes accepts real updates, empty ones included', () => {
    expect(checkUpdateBytes(Y.encodeStateAsUpdate(network()))).toEqual({ ok: true });
    expect(checkUpdateBytes(Y.encodeStateAsUpdate(new Y.Doc()))).toEqual({ ok: true });
  });
});

describe('ingestUpdate refuses, leaving the doc untouched', () => {
  it('bytes that are not an update', () => {
    const a = network();
    const real = diff(copyOf(a, 2), new Y.Doc());
    for (const bytes of [
      new Uint8Array(0),
      new Uint8Array([1]),
      new TextEncoder().encode('{"not":"an update"}'),
      real.slice(0, real.length - 3),
      real.slice(0, 5),
    ])
      expectRefused(a, bytes, M.malformed);
    // v2 bytes where v1 is expected: these happen to read as an empty v1 update. Nothing changes.
    const before = snapshot(a);
    expect(ingestUpdate(a, Y.encodeStateAsUpdateV2(network()), 'peer')).toMatchObject({ changed: false });
    expect(snapshot(a)).toEqual(before);
    expect(checkUpdateBytes(new Uint8Array([1]))).toEqual({ ok: false, message: M.malformed });
    expect(ingestUpdate(a, 'junk' as unknown as Uint8Array, 'peer')).toEqual({
      ok: false,
      message: M.malformed,
    });
  });

  it('deleting an entry of a ledger', () => {
    const a = network();
    const b = copyOf(a, 2);
    const emitted: Uint8Array[] = [];
    b.on('update', (u: Uint8Array) => emitted.push(u));
    ledgersOf(b).get('deva')!.delete(2, 1);
    expectRefused(a, emitted[0]!, M.deletesLedger);
    expectRefused(a, diff(b, a), M.deletesLedger);
    expectRefused(a, Y.encodeStateAsUpdate(b), M.deletesLedger);
  });

  it('deleting a device’s whole ledger', () => {
    const a = network();
    const b = copyOf(a, 2);
    ledgersOf(b).delete('deva');
    expectRefused(a, diff(b, a), M.deletesLedger);
  });

  it('replacing a device’s ledger with another value (a map overwrite deletes without a delete set)', () => {
    const a = network();
    const b = copyOf(a, 2);
    const emitted: Uint8Array[] = [];
    b.on('update', (u: Uint8Array) => emitted.push(u));
    const forged = new Y.Array<unknown>();
    ledgersOf(b).set('deva', forged as never);
    forged.push([encodeEntry(donation('deva', 1))]);
    // The overwrite itself carries a delete set; its struct alone would do the same harm when integrated.
    expectRefused(a, emitted[0]!, M.replacesLedger('deva'));
    expectRefused(a, diff(b, a), M.replacesLedger('deva'));
  });

  it('a concurrent ledger for a device that already has one, from a replica that never saw it', () => {
    const a = network();
    const c = replica(3);
    appendEntries(c, 'deva', donations('deva', 1, 1));
    expectRefused(a, Y.encodeStateAsUpdate(c), M.replacesLedger('deva'));
  });

  it('the same overwrite hand-written with no delete set at all', () => {
    const a = network();
    const slot = ledgersOf(a)._map.get('deva')!;
    // A value under 'deva' whose left origin is the current ledger: it wins and deletes the ledger.
    const update = craft([
      {
        client: 9,
        clock: 0,
        structs: [{ kind: 'any', values: ['x'], origin: [slot.id.client, slot.id.clock] }],
      },
    ]);
    expectRefused(a, update, M.replacesLedger('deva'));
    // Yjs alone would replace the ledger:
    const copy = copyOf(a, 5);
    Y.applyUpdate(copy, update);
    expect(ledgersOf(copy).get('deva')).toBe('x');
  });

  it('new ledger data that arrives already deleted', () => {
    const a = network();
    const z = copyOf(a, 4);
    appendEntries(z, 'devz', donations('devz', 1, 3));
    ledgersOf(z).get('devz')!.delete(0, 1);
    expectRefused(a, diff(z, a), M.deletesLedger);
  });

  it('an update that Yjs would apply halfway and then throw on', () => {
    const a = network();
    const update = craft([
      {
        client: 7,
        clock: 0,
        structs: [
          { kind: 'any', values: ['hello'], parent: 'items', parentSub: 'itmz' },
          { kind: 'any', values: ['x'], origin: [7, 5] }, // its own client's future: Yjs looks it up unchecked
        ],
      },
    ]);
    expectRefused(a, update, M.malformed);
    const copy = copyOf(a, 5);
    expect(() => Y.applyUpdate(copy, update)).toThrow();
    expect(itemsOf(copy).get('itmz')).toBe('hello'); // the first half went in
  });

  it('structurally unsound updates Yjs does not check', () => {
    const a = network();
    const cases: [string, Uint8Array, DomainMessage][] = [
      [
        'an empty struct',
        craft([
          { client: 7, clock: 0, structs: [{ kind: 'deleted', len: 0, parent: 'items', parentSub: 'x' }] },
        ]),
        M.malformed,
      ],
      [
        'an empty GC struct',
        craft([{ client: 7, clock: 0, structs: [{ kind: 'gc', len: 0 }] }]),
        M.malformed,
      ],
      [
        'a client written twice',
        craft([
          { client: 7, clock: 0, structs: [{ kind: 'gc', len: 1 }] },
          { client: 8, clock: 0, structs: [{ kind: 'gc', len: 1 }] },
          { client: 7, clock: 1, structs: [{ kind: 'gc', len: 1 }] },
        ]),
        M.malformed,
      ],
      [
        'a parent later than its child, same client',
        craft([{ client: 7, clock: 0, structs: [{ kind: 'any', values: [1], parent: [7, 3] }] }]),
        M.malformed,
      ],
      [
        'a right origin at its own clock',
        craft([{ client: 7, clock: 4, structs: [{ kind: 'any', values: [1], rightOrigin: [7, 4] }] }]),
        M.malformed,
      ],
      [
        'an absurd clock',
        craft([{ client: 7, clock: 2 ** 45, structs: [{ kind: 'gc', len: 1 }] }]),
        M.malformed,
      ],
      ['an absurd delete range', craft([], [[7, [[0, 2 ** 50]]]]), M.malformed],
      // Yjs re-encodes what it cannot apply yet, and throws on an empty range after integrating the structs.
      [
        'an empty delete range after a struct',
        craft([{ client: 7, clock: 0, structs: [{ kind: 'gc', len: 1 }] }], [[8, [[5, 0]]]]),
        M.malformed,
      ],
      [
        'delete ranges out of order',
        craft(
          [],
          [
            [
              8,
              [
                [10, 2],
                [3, 2],
              ],
            ],
          ],
        ),
        M.malformed,
      ],
      [
        'overlapping delete ranges',
        craft(
          [],
          [
            [
              8,
              [
                [3, 5],
                [6, 2],
              ],
            ],
          ],
        ),
        M.malformed,
      ],
      [
        'an embedded document',
        craft([{ client: 7, clock: 0, structs: [{ kind: 'doc', parent: 'items', parentSub: 'x' }] }]),
        M.subdocument,
      ],
    ];
    for (const [label, update, message] of cases) {
      expect(checkUpdateBytes(update), label).toEqual({ ok: false, message });
      expectRefused(a, update, message);
    }
  });

  it('clocks up to 2^40 are plausible, past it they are not; adjacent delete ranges are fine', () => {
    const top = 2 ** 40;
    const ok = [
      craft([{ client: 7, clock: top - 1, structs: [{ kind: 'gc', len: 1 }] }]),
      craft([], [[7, [[top - 2, 2]]]]),
      craft(
        [],
        [
          [
            8,
            [
              [3, 2],
              [5, 1],
            ],
          ],
        ],
      ),
    ];
    for (const update of ok) expect(checkUpdateBytes(update)).toEqual({ ok: true });
    const bad = [
      craft([{ client: 7, clock: top - 1, structs: [{ kind: 'gc', len: 2 }] }]),
      craft([], [[7, [[top - 1, 2]]]]),
    ];
    for (const update of bad) expect(checkUpdateBytes(update)).toEqual({ ok: false, message: M.malformed });
    // Applied, a far-off struct only waits; adjacent deletes of this doc's items apply.
    const a = network();
    expect(ingestUpdate(a, ok[0]!, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    const b = copyOf(a, 2);
    itemsOf(b).set('itma', { name: 'Brown rice' }); // deletes clock 6 of client 1
    levelsOf(b).delete('hub1|itma'); // deletes clock 7
    const update = diff(b, a);
    expect(ingestUpdate(a, update, 'peer')).toMatchObject({ ok: true, changed: true });
    expect(levelsOf(a).has('hub1|itma')).toBe(false);
  });

  it('an empty delete range, which Yjs would throw on after integrating the structs', () => {
    const a = network();
    const update = craft(
      [
        {
          client: 7,
          clock: 0,
          structs: [{ kind: 'any', values: ['hello'], parent: 'items', parentSub: 'itmz' }],
        },
      ],
      [[8, [[5, 0]]]],
    );
    expectRefused(a, update, M.malformed);
    const copy = copyOf(a, 5);
    expect(() => Y.applyUpdate(copy, update)).toThrow();
    expect(itemsOf(copy).get('itmz')).toBe('hello');
  });

  it('a struct that continues one this device has, but claims another place for its new part', () => {
    const a = network();
    const q = copyOf(a, 9);
    appendEntries(q, 'devq', donations('devq', 1, 3)); // client 9: devq's ledger at clock 0, entries 1..3
    expect(ingestUpdate(a, diff(q, a), 'peer')).toMatchObject({ ok: true, changed: true });
    // Clocks 1..5 of client 9 as one value under items/k: this doc has 1..3 (ledger entries), not 4..5.
    const forged = craft([
      {
        client: 9,
        clock: 1,
        structs: [{ kind: 'any', values: [1, 2, 3, 4, 5], parent: 'items', parentSub: 'k' }],
      },
    ]);
    expectRefused(a, forged, M.contradicts);
    // Yjs alone links the new part after devq's last entry yet under items/k: it deletes that entry as a
    // replaced map value and leaves the ledger array's length wrong.
    const raw = copyOf(a, 5);
    Y.applyUpdate(raw, forged);
    expect(readAllEntries(a).entries).toHaveLength(8);
    expect(readAllEntries(raw).entries.length).toBeLessThan(8);
    expect(ledgersOf(raw).get('devq')!.length).not.toBe(ledgersOf(raw).get('devq')!.toArray().length);
  });

  it('a dependency cycle', () => {
    const a = network();
    const update = craft([
      { client: 7, clock: 0, structs: [{ kind: 'any', values: [1], origin: [8, 0] }] },
      { client: 8, clock: 0, structs: [{ kind: 'any', values: [2], origin: [7, 0] }] },
    ]);
    expectRefused(a, update, M.malformed);
  });

  it('property: random bytes never throw; refused ones leave the doc untouched, accepted ones keep its ledger', () => {
    const base = network();
    const state = Y.encodeStateAsUpdate(base);
    const baseLedger = (ledgersOf(base).get('deva')!.toArray() as unknown[]).map((w) => JSON.stringify(w));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          // Random bytes after a plausible start: one client, two structs.
          fc.uint8Array({ maxLength: 100 }).map((tail) => new Uint8Array([1, 2, 77, 0, ...tail])),
        ),
        (bytes) => {
          const a = replica(2);
          Y.applyUpdate(a, state);
          a.clientID = base.clientID; // the device that recorded them, as in a running app
          const before = snapshot(a);
          const r = ingestUpdate(a, bytes, 'peer');
          if (!r.ok) {
            expect(snapshot(a)).toEqual(before);
            return;
          }
          // Accepted (some random bytes are valid updates): every entry of deva's ledger is still there.
          const now = ledgersOf(a).get('deva')!.toArray() as unknown[];
          let i = 0;
          for (const w of now) if (i < baseLedger.length && JSON.stringify(w) === baseLedger[i]) i++;
          expect(i).toBe(baseLedger.length);
        },
      ),
      fcOptions(2),
    );
  });
});

describe('what Yjs holds back (pending) is checked with the next update', () => {
  it('refuses deletes of clocks this device has not used yet (they would delete its next entries)', () => {
    const a = network();
    const trap = craft([], [[a.clientID, [[Y.getState(a.store, a.clientID), 1000]]]]);
    expectRefused(a, trap, M.malformed);
    // What Yjs alone does with it: parks it, then deletes the device's next entries on the next apply.
    const raw = network();
    Y.applyUpdate(raw, craft([], [[raw.clientID, [[Y.getState(raw.store, raw.clientID), 1000]]]]));
    expect(raw.store.pendingDs).not.toBeNull();
    appendEntries(raw, 'deva', donations('deva', 6, 3));
    Y.applyUpdate(raw, craft([{ client: 9, clock: 0, structs: [{ kind: 'gc', len: 1 }] }]));
    expect(readAllEntries(raw).entries).toHaveLength(5);
  });

  it('refuses deletes of clocks its signed heads have not used yet (they would delete its next head)', () => {
    const a = network();
    const heads = headsClientId(a);
    expectRefused(a, craft([], [[heads, [[Y.getState(a.store, heads), 1000]]]]), M.malformed);
    // What Yjs alone does with it: parks it, then deletes the device's next head on the next apply.
    const raw = network();
    const rawHeads = headsClientId(raw);
    Y.applyUpdate(raw, craft([], [[rawHeads, [[Y.getState(raw.store, rawHeads), 1000]]]]));
    expect(raw.store.pendingDs).not.toBeNull();
    appendEntries(raw, 'deva', donations('deva', 6, 3), [8, 'hash', 'sig']);
    expect(headsOf(raw).size).toBe(1);
    Y.applyUpdate(raw, craft([{ client: 9, clock: 0, structs: [{ kind: 'gc', len: 1 }] }]));
    expect(headsOf(raw).size).toBe(0);
  });

  it('drops a parked delete of another device’s entries when they arrive, and takes the entries', () => {
    const a = network();
    const x = copyOf(a, 50);
    const trap = craft([], [[50, [[0, 1000]]]]);
    expect(ingestUpdate(a, trap, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    appendEntries(x, 'devx', donations('devx', 1, 3));
    expect(ingestUpdate(a, diff(x, a), 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(readAllEntries(a).entries).toHaveLength(8);
    expect(a.store.pendingDs).toBeNull();
  });

  it('drops parked structs that would do harm once what they wait for arrives', () => {
    const a = network();
    const slot = ledgersOf(a)._map.get('deva')!;
    // Left of it deva's ledger, right of it client 60's first struct, which has not arrived: Yjs parks it.
    // Once integrated it would be the value under 'deva', deleting the ledger.
    const parked = craft([
      {
        client: 61,
        clock: 0,
        structs: [
          { kind: 'any', values: ['x'], origin: [slot.id.client, slot.id.clock], rightOrigin: [60, 0] },
        ],
      },
    ]);
    expect(ingestUpdate(a, parked, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    // Client 60's struct is harmless alone; with it, Yjs would integrate the parked one.
    const unlock = craft([
      { client: 60, clock: 0, structs: [{ kind: 'any', values: ['y'], parent: 'items', parentSub: 'itmq' }] },
    ]);
    expect(ingestUpdate(a, unlock, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(ledgersOf(a).get('deva')!.length).toBe(5);
    expect(Y.getState(a.store, 61)).toBe(0);
    // What Yjs alone does:
    const raw = copyOf(a, 5);
    Y.applyUpdate(raw, parked);
    Y.applyUpdate(raw, unlock);
    expect(ledgersOf(raw).get('deva')).toBe('x');
  });

  it('keeps a delete that arrives before what it deletes, and applies it when that arrives', () => {
    const a = network();
    const c = copyOf(a, 3);
    const b = copyOf(a, 2);
    const fromC: Uint8Array[] = [];
    c.on('update', (u: Uint8Array) => fromC.push(u));
    levelsOf(c).set('hub1|itmb', { min: 2, target: 4 }); // device c sets a level
    Y.applyUpdate(b, fromC[0]!);
    const fromB: Uint8Array[] = [];
    b.on('update', (u: Uint8Array) => fromB.push(u));
    levelsOf(b).delete('hub1|itmb'); // device b clears it
    // b's delete reaches a first: Yjs holds it until the level arrives.
    expect(ingestUpdate(a, fromB[0]!, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    // Something unrelated in between keeps it waiting, harmless.
    const d = copyOf(a, 4);
    itemsOf(d).set('itmd', { name: 'Dates' });
    expect(ingestUpdate(a, diff(d, a), 'peer')).toEqual({ ok: true, changed: true, pending: true });
    expect(a.store.pendingDs).not.toBeNull();
    // The level arrives, and goes at once, as on b.
    expect(ingestUpdate(a, fromC[0]!, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(levelsOf(a).has('hub1|itmb')).toBe(false);
    expect(levelsOf(a).toJSON()).toEqual(levelsOf(b).toJSON());
  });

  it('drops what Yjs holds back when it no longer reads as a sound update, and takes the next update', () => {
    const a = network();
    const b = copyOf(a, 2);
    appendEntries(b, 'devb', donations('devb', 1, 1));
    a.store.pendingDs = new Uint8Array([1, 2, 3]);
    a.store.pendingStructs = { missing: new Map([[99, 0]]), update: new Uint8Array([9, 9, 9]) };
    expect(ingestUpdate(a, diff(b, a), 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(a.store.pendingDs).toBeNull();
    expect(a.store.pendingStructs).toBeNull();
    expect(readAllEntries(a).entries).toHaveLength(6);
  });

  it('exports leave pending data out (Y.encodeStateAsUpdate would carry it to peers)', async () => {
    const { encodeAppliedState } = await import('../../../shared/sync/ingest');
    const a = network();
    expect(ingestUpdate(a, craft([], [[50, [[0, 10]]]]), 'peer')).toMatchObject({ pending: true });
    expect(Y.decodeUpdate(Y.encodeStateAsUpdate(a)).ds.clients.has(50)).toBe(true);
    expect(Y.decodeUpdate(encodeAppliedState(a)).ds.clients.has(50)).toBe(false);
    expect(a.store.pendingDs).not.toBeNull();
    // Only what a peer lacks, given its state vector, and still without what is pending.
    const b = copyOf(a, 2);
    appendEntries(a, 'deva', donations('deva', 6, 1));
    const sent = Y.decodeUpdate(encodeAppliedState(a, Y.encodeStateVector(b)));
    expect(sent.structs.map((s) => [s.id.client, s.length])).toEqual([[1, 1]]);
    expect(sent.ds.clients.has(50)).toBe(false);
  });
});

describe('legitimate cases next to the refusals they must not trip', () => {
  it('a peer re-sending its whole state, which overlaps what this device has, adds only what is new', () => {
    const a = replica(1);
    appendEntries(a, 'deva', donations('deva', 1, 5));
    const b = copyOf(a, 2);
    appendEntries(a, 'deva', donations('deva', 6, 3));
    // The whole state holds deva's entries as one struct of 8; b has the first 5 of it.
    const whole = Y.encodeStateAsUpdate(a);
    expect(Y.decodeUpdate(whole).structs.map((s) => s.length)).toEqual([1, 8]);
    expect(ingestUpdate(b, whole, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(readAllEntries(b).entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ingestUpdate(b, whole, 'peer')).toEqual({ ok: true, changed: false, pending: false });
  });

  it('a re-sent run is refused when the part this device has ends in garbage-collected data', () => {
    const a = network();
    expect(
      ingestUpdate(a, craft([{ client: 7, clock: 0, structs: [{ kind: 'gc', len: 3 }] }]), 'peer'),
    ).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    // Clocks 1..4 of client 7 as one value: 1..2 are a GC struct here, so the new part has nothing to follow.
    const forged = craft([
      {
        client: 7,
        clock: 1,
        structs: [{ kind: 'any', values: [1, 2, 3, 4], parent: 'items', parentSub: 'k' }],
      },
    ]);
    expectRefused(a, forged, M.contradicts);
  });

  it('a re-sent run whose new part follows a change not here yet waits instead of being refused', () => {
    const a = network();
    const q = copyOf(a, 9);
    appendEntries(q, 'devq', donations('devq', 1, 3));
    expect(ingestUpdate(a, diff(q, a), 'peer')).toMatchObject({ ok: true, changed: true });
    // Clocks 1..5 of client 9 inserted after an item of client 30 that has not arrived.
    const waiting = craft([
      { client: 9, clock: 1, structs: [{ kind: 'any', values: [1, 2, 3, 4, 5], origin: [30, 0] }] },
    ]);
    expect(ingestUpdate(a, waiting, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    expect(readAllEntries(a).entries).toHaveLength(8);
  });

  it('a setting edited just before a ledger began: the delete ends where the ledger starts', () => {
    // Here: the item is set (clock 0 of client 1), then deva's ledger starts at clock 1.
    const a = replica(1);
    itemsOf(a).set('itma', { name: 'Rice' });
    appendEntries(a, 'deva', donations('deva', 1, 3));
    const b = copyOf(a, 2);
    itemsOf(b).set('itma', { name: 'Brown rice' });
    const update = diff(b, a);
    expect(Y.decodeUpdate(update).ds.clients.get(1)).toEqual([expect.objectContaining({ clock: 0, len: 1 })]);
    expect(ingestUpdate(a, update, 'peer')).toMatchObject({ ok: true, changed: true });
    expect(itemsOf(a).get('itma')).toEqual({ name: 'Brown rice' });
    // Arriving together: a new device that set an item, began its ledger, then edited the item.
    const c = replica(3);
    itemsOf(c).set('itmc', { name: 'Oats' });
    appendEntries(c, 'devc', donations('devc', 1, 2));
    itemsOf(c).set('itmc', { name: 'Rolled oats' });
    expect(Y.decodeUpdate(Y.encodeStateAsUpdate(c)).ds.clients.get(3)).toEqual([
      expect.objectContaining({ clock: 0, len: 1 }),
    ]);
    expect(ingestUpdate(a, Y.encodeStateAsUpdate(c), 'peer')).toMatchObject({ ok: true, changed: true });
    expect(itemsOf(a).get('itmc')).toEqual({ name: 'Rolled oats' });
    expect(readAllEntries(a).entries).toHaveLength(5);
  });

  it('a delete that reaches one past its end into a ledger is refused', () => {
    const a = replica(1);
    itemsOf(a).set('itma', { name: 'Rice' });
    appendEntries(a, 'deva', donations('deva', 1, 3));
    expectRefused(a, craft([], [[1, [[0, 2]]]]), M.deletesLedger);
    // Up to its end, it only clears the item.
    expect(ingestUpdate(a, craft([], [[1, [[0, 1]]]]), 'peer')).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect(itemsOf(a).has('itma')).toBe(false);
    expect(readAllEntries(a).entries).toHaveLength(3);
  });

  it('one client’s structs in one run are taken; repeated or with a gap they are refused', () => {
    const a = network();
    const one = craft([
      {
        client: 7,
        clock: 0,
        structs: [
          { kind: 'gc', len: 1 },
          { kind: 'gc', len: 2 },
        ],
      },
    ]);
    expect(checkUpdateBytes(one)).toEqual({ ok: true });
    expect(ingestUpdate(a, one, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(Y.getState(a.store, 7)).toBe(3);
    for (const [label, update] of [
      [
        'a gap inside one client',
        craft([
          { client: 8, clock: 0, structs: [{ kind: 'gc', len: 1 }] },
          { client: 8, clock: 5, structs: [{ kind: 'gc', len: 1 }] },
        ]),
      ],
      [
        'the same clocks twice',
        craft([
          { client: 8, clock: 0, structs: [{ kind: 'gc', len: 2 }] },
          { client: 8, clock: 1, structs: [{ kind: 'gc', len: 1 }] },
        ]),
      ],
    ] as const) {
      expect(checkUpdateBytes(update), label).toEqual({ ok: false, message: M.malformed });
      expectRefused(a, update, M.malformed);
    }
  });
});

describe('when Yjs throws while applying', () => {
  it('an app observer throwing after the update went in: the result says it was applied', () => {
    const a = network();
    const b = copyOf(a, 2);
    appendEntries(b, 'devb', donations('devb', 1, 2));
    const failing = () => {
      throw new Error('observer failed');
    };
    ledgersOf(a).observeDeep(failing);
    const r = ingestUpdate(a, diff(b, a), 'peer');
    ledgersOf(a).unobserveDeep(failing);
    expect(r).toEqual({
      ok: false,
      applied: true,
      message: msg('update.failedAfter'),
      detail: 'observer failed',
    });
    // The part Yjs applied is consistent data, in the doc like any other change.
    expect(readAllEntries(a).entries).toHaveLength(7);
    expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
  });

  it('a failure before anything changed: refused, with the reason, and the doc as it was', () => {
    const a = network();
    const b = copyOf(a, 2);
    appendEntries(b, 'devb', donations('devb', 1, 2));
    const before = snapshot(a);
    const failing = () => {
      throw 'no room left'; // not an Error: its text is still given
    };
    a.on('beforeTransaction', failing);
    const r = ingestUpdate(a, diff(b, a), 'peer');
    a.off('beforeTransaction', failing);
    expect(r).toEqual({ ok: false, message: msg('update.failed'), detail: 'no room left' });
    expect(snapshot(a)).toEqual(before);
  });
});

describe('updates waiting for changes that have not arrived', () => {
  /** Client 70's clocks from 1 on, as one binary value of `size` bytes: it waits for clock 0. */
  const waitingValue = (clock: number, size: number, key: string) =>
    craft([
      {
        client: 70,
        clock,
        structs: [
          { kind: 'binary', bytes: new Uint8Array(size).fill(clock), parent: 'items', parentSub: key },
        ],
      },
    ]);

  it('keeps at most 64 MB waiting: past it the oldest are dropped, a later sync brings them again', () => {
    const a = network();
    const MB = 1024 * 1024;
    const first = waitingValue(1, 22 * MB, 'one');
    const second = waitingValue(2, 22 * MB, 'two');
    // The third brings what waits to exactly 64 MB: all three are kept.
    const rest = 64 * MB - first.byteLength - second.byteLength;
    const overhead = waitingValue(3, rest, 'three').byteLength - rest;
    const third = waitingValue(3, rest - overhead, 'three');
    expect(first.byteLength + second.byteLength + third.byteLength).toBe(64 * MB);
    for (const update of [first, second, third])
      expect(ingestUpdate(a, update, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    expect(waitingUpdates(a)).toBe(3);
    // One byte more would wait: the oldest goes.
    expect(ingestUpdate(a, waitingValue(4, 1, 'four'), 'peer')).toMatchObject({ pending: true });
    expect(waitingUpdates(a)).toBe(3);
    // Clock 0 arrives: the others still wait for the first.
    const unlock = craft([
      {
        client: 70,
        clock: 0,
        structs: [{ kind: 'any', values: ['zero'], parent: 'items', parentSub: 'zero' }],
      },
    ]);
    expect(ingestUpdate(a, unlock, 'peer')).toEqual({ ok: true, changed: true, pending: true });
    expect(waitingUpdates(a)).toBe(3);
    expect(itemsOf(a).get('zero')).toBe('zero');
    expect(Y.getState(a.store, 70)).toBe(1);
    // Sent again, the first fills the gap and the rest follows.
    expect(ingestUpdate(a, first, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(waitingUpdates(a)).toBe(0);
    expect(Y.getState(a.store, 70)).toBe(5);
    expect((itemsOf(a).get('three') as Uint8Array).byteLength).toBe(rest - overhead);
  });

  it('keeps updates that fit under 64 MB together, and applies them in order once they can', () => {
    const a = network();
    for (const clock of [3, 1, 2]) {
      expect(ingestUpdate(a, waitingValue(clock, 1000, `v${clock}`), 'peer')).toMatchObject({
        pending: true,
      });
    }
    expect(waitingUpdates(a)).toBe(3);
    const unlock = craft([{ client: 70, clock: 0, structs: [{ kind: 'gc', len: 1 }] }]);
    expect(ingestUpdate(a, unlock, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(waitingUpdates(a)).toBe(0);
    expect(Y.getState(a.store, 70)).toBe(4);
    expect(['v1', 'v2', 'v3'].every((k) => itemsOf(a).has(k))).toBe(true);
  });
});

describe('a device receiving its first sync, and updates shaped in other ways', () => {
  it('a fresh device (no ledgers here yet) takes a network whole, and refuses it with an entry deleted', () => {
    const z = network();
    appendEntries(z, 'devz', donations('devz', 1, 3));
    const fresh = replica(5);
    expect(ingestUpdate(fresh, Y.encodeStateAsUpdate(z), 'peer')).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect(readAllEntries(fresh).entries).toHaveLength(8);
    ledgersOf(z).get('devz')!.delete(1, 1);
    expectRefused(replica(6), Y.encodeStateAsUpdate(z), M.deletesLedger);
    // The member list is append-only too, even before this device has one.
    const m = replica(7);
    m.getArray('members').push(['op1', 'op2']);
    m.getArray('members').delete(0, 1);
    expectRefused(replica(8), Y.encodeStateAsUpdate(m), M.deletesLedger);
    // A fresh device's first ledger under a key is not a replacement.
    const y = replica(9);
    appendEntries(y, 'devy', donations('devy', 1, 1));
    expect(ingestUpdate(replica(10), Y.encodeStateAsUpdate(y), 'peer')).toMatchObject({
      ok: true,
      changed: true,
    });
  });

  it('takes shared types nested a little deeper than Larder makes them, and refuses absurd nesting', () => {
    const nested = (depth: number) => {
      const d = replica(11);
      d.transact(() => {
        let parent: Y.Array<unknown> = d.getArray('other');
        for (let i = 0; i < depth; i++) {
          const child = new Y.Array<unknown>();
          parent.push([child]);
          parent = child;
        }
        parent.push(['leaf']);
      });
      return Y.encodeStateAsUpdate(d);
    };
    const a = network();
    expect(ingestUpdate(a, nested(10), 'peer')).toMatchObject({ ok: true, changed: true });
    expectRefused(network(), nested(80), M.malformed);
  });

  it('a merged update with a gap waits whole; the next sync from its sender brings everything in', () => {
    const a = network();
    const b = copyOf(a, 2);
    const updates: Uint8Array[] = [];
    b.on('update', (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 3; i++) appendEntries(b, 'devb', donations('devb', 2 * i + 1, 2));
    const merged = Y.mergeUpdates([updates[0]!, updates[2]!]);
    expect(Y.decodeUpdate(merged).structs.some((s) => s instanceof Y.Skip)).toBe(true);
    expect(ingestUpdate(a, merged, 'peer')).toEqual({ ok: true, changed: false, pending: true });
    expect(readAllEntries(a).entries).toHaveLength(5);
    expect(waitingUpdates(a)).toBe(1);
    expect(ingestUpdate(a, diff(b, a), 'peer')).toEqual({ ok: true, changed: true, pending: false });
    expect(waitingUpdates(a)).toBe(0);
    expect(
      readAllEntries(a)
        .entries.filter((e) => e.device === 'devb')
        .map((e) => e.seq),
    ).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
