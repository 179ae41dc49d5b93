import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Item } from '../../shared/catalog';
import {
  appendEntries,
  devicesOf,
  entriesFromEvents,
  hubsOf,
  initNetwork,
  ledgersOf,
  networkOf,
  putItem,
  readAllEntries,
  readItem,
  readLevels,
  setLevels,
  levelsKey,
  itemsOf,
  type SetAside,
} from '../../shared/doc';
import type { Donation, Entry } from '../../shared/entries';
import { encodeEntry } from '../../shared/wire';
import { DEVICES, anyPools, entryArb, fcOptions, movementArb } from './arbitraries';

const T = Date.UTC(2025, 0, 1);
const donation = (device: string, seq: number, qty = 5): Donation => ({
  kind: 'donation',
  hub: 'hub1',
  device,
  seq,
  item: 'itma',
  at: T,
  recordedAt: T,
  qty,
  source: 'other',
});
const byId = (a: Entry, b: Entry) => (a.device !== b.device ? (a.device < b.device ? -1 : 1) : a.seq - b.seq);
const sortedEntries = (es: readonly Entry[]) => [...es].sort(byId);

/** Sends everything doc `from` has that doc `to` lacks, as a peer would. */
function sync(from: Y.Doc, to: Y.Doc): void {
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)), 'remote');
}

/** Collects what entriesFromEvents reports for each transaction on `doc`. */
function watch(doc: Y.Doc) {
  const seen: { entries: Entry[]; problems: SetAside[] }[] = [];
  ledgersOf(doc).observeDeep((events) => seen.push(entriesFromEvents(events)));
  return {
    take() {
      const all = { entries: seen.flatMap((s) => s.entries), problems: seen.flatMap((s) => s.problems) };
      seen.length = 0;
      return all;
    },
  };
}

/** Entries grouped by device, each device's sequence numbers 1, 2, 3... */
const perDeviceArb = fc
  .array(
    fc.tuple(fc.constantFrom(...DEVICES), entryArb({ ...anyPools, device: fc.constantFrom(...DEVICES) })),
    {
      maxLength: 20,
    },
  )
  .map((pairs) => {
    const next = new Map<string, number>();
    return pairs.map(([device, e]) => {
      const seq = (next.get(device) ?? 0) + 1;
      next.set(device, seq);
      return { ...e, device, seq } as Entry;
    });
  });

function appendAll(doc: Y.Doc, entries: readonly Entry[]): void {
  for (const device of new Set(entries.map((e) => e.device)))
    appendEntries(
      doc,
      device,
      entries.filter((e) => e.device === device),
    );
}

describe('appendEntries / readAllEntries', () => {
  it('reads back every appended entry, also on a replica that received the doc as an update', () => {
    fc.assert(
      fc.property(perDeviceArb, (entries) => {
        const doc = new Y.Doc();
        appendAll(doc, entries);
        const local = readAllEntries(doc);
        expect(local.problems).toEqual([]);
        expect(sortedEntries(local.entries)).toStrictEqual(sortedEntries(entries));
        const replica = new Y.Doc();
        Y.applyUpdate(replica, Y.encodeStateAsUpdate(doc));
        const remote = readAllEntries(replica);
        expect(remote.problems).toEqual([]);
        expect(sortedEntries(remote.entries)).toStrictEqual(sortedEntries(entries));
      }),
      fcOptions(0.5),
    );
  });

  it("keeps each device's entries in its own array, in order", () => {
    const doc = new Y.Doc();
    appendEntries(doc, 'deva', [donation('deva', 1), donation('deva', 2)]);
    appendEntries(doc, 'devb', [donation('devb', 1)]);
    appendEntries(doc, 'deva', [donation('deva', 3)]);
    appendEntries(doc, 'deva', []);
    expect([...ledgersOf(doc).keys()].sort()).toEqual(['deva', 'devb']);
    expect(ledgersOf(doc).get('deva')!.toArray()).toEqual(
      [1, 2, 3].map((s) => encodeEntry(donation('deva', s))),
    );
  });

  it("refuses to append another device's entries", () => {
    const doc = new Y.Doc();
    expect(() => appendEntries(doc, 'deva', [donation('deva', 1), donation('devb', 1)])).toThrow(
      'entry of device devb appended by deva',
    );
    expect(ledgersOf(doc).size).toBe(0);
  });

  it('sets aside an entry found in the ledger of a device it does not claim', () => {
    const doc = new Y.Doc();
    appendEntries(doc, 'devx', [donation('devx', 1)]);
    ledgersOf(doc)
      .get('devx')!
      .push([encodeEntry(donation('devy', 1))]);
    expect(readAllEntries(doc)).toEqual({
      entries: [donation('devx', 1)],
      problems: [{ where: 'ledger/devx/1', reason: 'Entry claims device devy but is in the ledger of devx' }],
    });
  });

  it('sets aside junk in a ledger, and a ledger that is not a list, without throwing', () => {
    const doc = new Y.Doc();
    appendEntries(doc, 'devx', [donation('devx', 1)]);
    const junk = [42, 'str', [1, [2, [3]]], { a: 1 }, null, true, [], [1, 0, 'hub1']];
    ledgersOf(doc)
      .get('devx')!
      .push(junk as never[]);
    appendEntries(doc, 'devx', [donation('devx', 2)]);
    (ledgersOf(doc) as Y.Map<unknown>).set('devz', 5);
    const nested = new Y.Array<unknown>();
    nested.push([encodeEntry(donation('devw', 1))]);
    ledgersOf(doc)
      .get('devx')!
      .push([nested as never]);
    const { entries, problems } = readAllEntries(doc);
    expect(entries).toEqual([donation('devx', 1), donation('devx', 2)]);
    expect(problems.map((p) => p.where)).toEqual([
      ...junk.map((_, i) => `ledger/devx/${i + 1}`),
      'ledger/devx/10',
      'ledger/devz',
    ]);
    for (const p of problems) expect(p.reason.length).toBeGreaterThan(0);
    expect(problems.find((p) => p.where === 'ledger/devz')!.reason).toBe('Ledger of a device is not a list');
    expect(problems[0]!.reason).toBe('Entry is not a list of fields');
  });
});

describe('entriesFromEvents', () => {
  it('yields whole new arrays on the first sync, then only the appended entries', () => {
    const doc1 = new Y.Doc();
    const doc2 = new Y.Doc();
    const seen = watch(doc2);
    appendEntries(doc1, 'deva', [donation('deva', 1), donation('deva', 2)]);
    appendEntries(doc1, 'devb', [donation('devb', 1)]);
    sync(doc1, doc2);
    expect(sortedEntries(seen.take().entries)).toEqual([
      donation('deva', 1),
      donation('deva', 2),
      donation('devb', 1),
    ]);

    appendEntries(doc1, 'deva', [donation('deva', 3), donation('deva', 4)]);
    appendEntries(doc1, 'devc', [donation('devc', 1)]);
    sync(doc1, doc2);
    expect(sortedEntries(seen.take().entries)).toEqual([
      donation('deva', 3),
      donation('deva', 4),
      donation('devc', 1),
    ]);

    // Nothing new: nothing reported.
    sync(doc1, doc2);
    expect(seen.take()).toEqual({ entries: [], problems: [] });
  });

  it('also works when the whole state is sent again (duplicates are not reported twice)', () => {
    const doc1 = new Y.Doc();
    const doc2 = new Y.Doc();
    const seen = watch(doc2);
    appendEntries(doc1, 'deva', [donation('deva', 1)]);
    Y.applyUpdate(doc2, Y.encodeStateAsUpdate(doc1));
    appendEntries(doc1, 'deva', [donation('deva', 2)]);
    Y.applyUpdate(doc2, Y.encodeStateAsUpdate(doc1));
    Y.applyUpdate(doc2, Y.encodeStateAsUpdate(doc1));
    expect(seen.take().entries).toEqual([donation('deva', 1), donation('deva', 2)]);
  });

  it('sets aside junk arriving in a sync, with its index in the array', () => {
    const doc1 = new Y.Doc();
    const doc2 = new Y.Doc();
    const seen = watch(doc2);
    appendEntries(doc1, 'devx', [donation('devx', 1), donation('devx', 2)]);
    sync(doc1, doc2);
    seen.take();
    doc1.transact(() => {
      ledgersOf(doc1)
        .get('devx')!
        .push(['junk' as never, encodeEntry(donation('devy', 7)), encodeEntry(donation('devx', 3))]);
      (ledgersOf(doc1) as Y.Map<unknown>).set('devz', 'not a list');
    });
    sync(doc1, doc2);
    const got = seen.take();
    expect(got.entries).toEqual([donation('devx', 3)]);
    expect([...got.problems].sort((a, b) => (a.where < b.where ? -1 : 1))).toEqual([
      { where: 'ledger/devx/2', reason: 'Entry is not a list of fields' },
      { where: 'ledger/devx/3', reason: 'Entry claims device devy but is in the ledger of devx' },
      { where: 'ledger/devz', reason: 'Ledger of a device is not a list' },
    ]);
  });

  it('over random rounds of appends and syncs, yields exactly the new entries each time', () => {
    const roundArb = fc.array(
      fc.tuple(fc.constantFrom(...DEVICES), fc.array(movementArb(), { minLength: 1, maxLength: 4 })),
      {
        maxLength: 4,
      },
    );
    fc.assert(
      fc.property(fc.array(roundArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (rounds, fullState) => {
        const doc1 = new Y.Doc();
        const doc2 = new Y.Doc();
        const seen = watch(doc2);
        const next = new Map<string, number>();
        for (const round of rounds) {
          const added: Entry[] = [];
          for (const [device, batch] of round) {
            const entries = batch.map((e) => {
              const seq = (next.get(device) ?? 0) + 1;
              next.set(device, seq);
              return { ...e, device, seq } as Entry;
            });
            appendEntries(doc1, device, entries);
            added.push(...entries);
          }
          if (fullState) Y.applyUpdate(doc2, Y.encodeStateAsUpdate(doc1));
          else sync(doc1, doc2);
          const got = seen.take();
          expect([...got.problems].sort((a, b) => (a.where < b.where ? -1 : 1))).toEqual([]);
          expect(sortedEntries(got.entries)).toStrictEqual(sortedEntries(added));
        }
        expect(sortedEntries(readAllEntries(doc2).entries)).toStrictEqual(
          sortedEntries(readAllEntries(doc1).entries),
        );
      }),
      fcOptions(0.5),
    );
  });
});

describe('settings', () => {
  const rice: Item = {
    id: 'rice0001',
    name: 'Rice',
    category: 'Food',
    unit: 'bag',
    barcodes: [],
    createdAt: T,
    updatedAt: T,
  };

  it('initNetwork writes the network, hub and device', () => {
    const doc = new Y.Doc();
    initNetwork(doc, {
      networkId: 'n'.repeat(16),
      hubId: 'hub1',
      hubName: 'North',
      deviceId: 'deva',
      deviceName: 'Desk',
      now: T,
    });
    expect(networkOf(doc).toJSON()).toEqual({ id: 'n'.repeat(16), createdAt: T });
    expect(hubsOf(doc).get('hub1')).toEqual({ name: 'North', createdAt: T });
    expect(devicesOf(doc).get('deva')).toEqual({ name: 'Desk', hub: 'hub1', createdAt: T });
  });

  it('reads back a stored item and refuses a malformed one or one under another id', () => {
    const doc = new Y.Doc();
    putItem(doc, rice);
    expect(readItem(doc, 'rice0001')).toEqual({ ok: true, item: rice });
    itemsOf(doc).set('evil0001', { ...rice });
    expect(readItem(doc, 'evil0001')).toEqual({ ok: false, reason: 'Item evil0001 carries the id rice0001' });
    itemsOf(doc).set('bad00001', { ...rice, id: 'bad00001', name: '' });
    expect(readItem(doc, 'bad00001').ok).toBe(false);
    expect(readItem(doc, 'none0001').ok).toBe(false);
  });

  it('stores, clears and validates levels', () => {
    const doc = new Y.Doc();
    setLevels(doc, 'hub1', 'rice0001', { min: 5, target: 20 });
    expect(readLevels(doc, levelsKey('hub1', 'rice0001'))).toEqual({ min: 5, target: 20 });
    setLevels(doc, 'hub1', 'rice0001', null);
    expect(readLevels(doc, 'hub1|rice0001')).toBeNull();
    doc.getMap('levels').set('hub1|rice0001', { min: 20, target: 5 });
    expect(readLevels(doc, 'hub1|rice0001')).toBeNull();
  });
});

// Each of these reproduced a bug found by review; they stay as regression tests.
describe('regressions', () => {
  it('entries inside a non-list value under ledgers are not projected (incremental agrees with readAllEntries)', () => {
    // A hostile peer stores a Y.Map under a device key, then adds to that map an array of entries claiming
    // another device. observeDeep reports the nested map's change like a change of `ledgers` itself, so
    // entriesFromEvents takes the entries; readAllEntries (a rebuild) sets the whole value aside.
    const doc1 = new Y.Doc();
    const doc2 = new Y.Doc();
    const seen = watch(doc2);
    const nested = new Y.Map<unknown>();
    (ledgersOf(doc1) as Y.Map<unknown>).set('devx', nested);
    sync(doc1, doc2);
    const forged = new Y.Array<unknown>();
    forged.push([encodeEntry(donation('devy', 1, 1000))]);
    nested.set('devy', forged);
    sync(doc1, doc2);
    expect(readAllEntries(doc2).entries).toEqual([]);
    expect(seen.take().entries).toEqual([]);
  });

  it('a field holding an object whose toString is not a function is set aside, not thrown', () => {
    // decodeEntry formats the bad field with String(), which throws for {toString: 1}; such an object
    // survives Yjs encoding, so one hostile entry makes readAllEntries (and so every load) throw.
    const doc1 = new Y.Doc();
    appendEntries(doc1, 'devx', [donation('devx', 1)]);
    ledgersOf(doc1)
      .get('devx')!
      .push([[{ toString: 1 }] as never]);
    const doc2 = new Y.Doc();
    sync(doc1, doc2);
    expect(() => readAllEntries(doc2)).not.toThrow();
  });
});
