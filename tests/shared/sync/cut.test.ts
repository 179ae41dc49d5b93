import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ledgersOf, type LedgerWire } from '../../../shared/doc';
import {
  checkpointCut,
  checkpointCutPaced,
  checkpointSkeleton,
  skeletonUpTo,
  skeletonUpToPaced,
} from '../../../shared/sync/cut';
import { encodeAppliedState, ingestUpdate } from '../../../shared/sync/ingest';
import { startedFromSkeleton } from '../../../shared/sync/skeleton';
import { fcOptions } from '../arbitraries';
import { DEVICES, fresh, insertsOf, ledgerOf, opArb, push, Replicas, run, settingsOf } from './replicas';

/**
 * A checkpoint's skeleton (shared/sync/cut.ts): the maker's doc up to a cut before which every ledger value
 * is one the checkpoint counts. A new device that starts its doc from it and takes a peer's answer to its
 * state vector must get, as ledger events, every value the checkpoint does not count (else it would never
 * count them), end with the maker's state and settings, and go on syncing as any replica.
 */

/** Which of a ledger's values a checkpoint counts: a prefix of each device's, or any of them. */
type Counting = { kind: 'prefix'; upTo: number[] } | { kind: 'any'; salt: number };
const countingArb: fc.Arbitrary<Counting> = fc.oneof(
  fc.record({
    kind: fc.constant('prefix' as const),
    upTo: fc.array(fc.nat(30), { minLength: 3, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('any' as const), salt: fc.nat(6) }),
);

/** What a checkpoint of `maker` as it is now counts, by `counting`. */
function countedBy(maker: Y.Doc, counting: Counting) {
  const at = new Map(
    DEVICES.map((device) => [device, new Map(ledgerOf(maker, device).map((v, i) => [v, i]))]),
  );
  return (device: string, value: LedgerWire) => {
    const index = at.get(device as (typeof DEVICES)[number])?.get(value);
    if (index === undefined) return false;
    if (counting.kind === 'prefix') return index < counting.upTo[DEVICES.indexOf(device as 'd0')]!;
    return (String(value).length + index + counting.salt) % 3 !== 0;
  };
}

describe('checkpointSkeleton', () => {
  it('a new device starts from it, takes what follows the cut, and has every value the checkpoint does not count', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 40 }),
        countingArb,
        fc.array(opArb, { maxLength: 30 }),
        (before, counting, after) => {
          const replicas = new Replicas();
          const docs = replicas.docs;
          const deviceOf = (doc: Y.Doc) => DEVICES[docs.indexOf(doc)]!;
          for (const op of before) run(replicas, op, deviceOf);
          const maker = docs[0]!;
          const counted = countedBy(maker, counting);
          const { cut, skeleton } = checkpointSkeleton(maker, counted);
          expect(checkpointCut(maker, counted)).toEqual(cut);
          // It holds nothing past the cut, deletions included.
          for (const [client, ranges] of skeleton.deletes)
            for (const [, to] of ranges) expect(to).toBeLessThanOrEqual(cut.get(client) ?? 0);

          // The new device's doc, from the skeleton alone: Yjs places all of it, at the cut.
          const device = new Y.Doc();
          device.clientID = fresh();
          for (const update of skeleton.updates) Y.applyUpdate(device, update);
          expect(device.store.pendingStructs).toBeNull();
          expect(device.store.pendingDs).toBeNull();
          expect(Y.decodeStateVector(Y.encodeStateVector(device))).toEqual(cut);
          // Every value it holds is counted: it is taken without a ledger event.
          for (const d of DEVICES)
            for (const v of ledgerOf(device, d)) expect(counted(d, v), `${d} ${v}`).toBe(true);
          startedFromSkeleton(device, skeleton);
          const got = insertsOf(device);

          // The maker answers its state vector: what follows the cut, through the ingest.
          const answer = Y.encodeStateAsUpdate(maker, Y.encodeStateVector(device));
          expect(ingestUpdate(device, answer, 'peer')).toMatchObject({ ok: true });
          expect(device.store.pendingStructs).toBeNull();
          expect(Y.decodeStateVector(Y.encodeStateVector(device))).toEqual(
            Y.decodeStateVector(Y.encodeStateVector(maker)),
          );
          expect(settingsOf(device)).toEqual(settingsOf(maker));
          for (const d of DEVICES) {
            const arrived = new Set(got.get(d) ?? []);
            for (const v of ledgerOf(maker, d))
              if (!counted(d, v)) expect(arrived.has(v), `${d} ${v}`).toBe(true);
          }

          // Then it goes on as a replica of its own (a device of its own, d3): the three write and sync on, it
          // writes too and exchanges with the maker, through the app's encoders.
          const known = new Map(DEVICES.map((d) => [d, new Set(ledgerOf(maker, d))]));
          for (const op of after) run(replicas, op, deviceOf);
          push(device, 'd3', 2);
          for (let i = 0; i < 2; i++)
            for (const from of docs)
              for (const to of docs)
                if (from !== to) Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
          const now = docs[0]!;
          expect(
            ingestUpdate(device, Y.encodeStateAsUpdate(now, Y.encodeStateVector(device)), 'peer'),
          ).toMatchObject({ ok: true });
          Y.applyUpdate(now, encodeAppliedState(device, Y.encodeStateVector(now)));
          expect(device.store.pendingStructs).toBeNull();
          expect(now.store.pendingStructs).toBeNull();
          expect(Y.decodeStateVector(Y.encodeStateVector(device))).toEqual(
            Y.decodeStateVector(Y.encodeStateVector(now)),
          );
          expect(settingsOf(device)).toEqual(settingsOf(now));
          for (const d of DEVICES) {
            // Everything written since, and everything not counted, reached the new device as ledger events.
            const arrived = new Set(got.get(d) ?? []);
            for (const v of ledgerOf(now, d))
              if (!known.get(d)!.has(v) || !counted(d, v)) expect(arrived.has(v), `${d} ${v}`).toBe(true);
          }
          // And what it wrote reached the others.
          expect(ledgerOf(now, 'd3')).toEqual(ledgerOf(device, 'd3'));
          expect(ledgerOf(now, 'd3')).toHaveLength(2);
        },
      ),
      fcOptions(),
    );
  });

  it('a value in an array made past the cut is past it too (its parent would be missing)', () => {
    // Client A writes a value the checkpoint does not count, then makes d1's array, empty; client B fills it.
    const a = new Y.Doc();
    a.clientID = 1;
    push(a, 'd0', 1);
    const uncounted = ledgerOf(a, 'd0')[0]!;
    a.transact(() => ledgersOf(a).set('d1', new Y.Array<LedgerWire>()));
    const b = new Y.Doc();
    b.clientID = 2;
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    b.transact(() => ledgersOf(b).get('d1')!.push(['d1:a', 'd1:b']));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
    const counted = (_: string, value: LedgerWire) => value !== uncounted;
    const { cut, skeleton } = checkpointSkeleton(a, counted);
    // A's cut is at its uncounted value (after d0's array), before d1's array; B's at its first value, whose
    // array is past the cut: nothing of B is in the skeleton.
    expect(cut).toEqual(new Map([[1, 1]]));
    const device = new Y.Doc();
    for (const update of skeleton.updates) Y.applyUpdate(device, update);
    expect(device.store.pendingStructs).toBeNull();
    startedFromSkeleton(device, skeleton);
    const got = insertsOf(device);
    expect(ingestUpdate(device, Y.encodeStateAsUpdate(a, Y.encodeStateVector(device)), 'peer')).toMatchObject(
      {
        ok: true,
      },
    );
    expect(got.get('d0')).toEqual([uncounted]);
    expect(got.get('d1')).toEqual(['d1:a', 'd1:b']);
  });

  it('read in steps, with the doc written to between them, is the skeleton read in one go', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 40 }),
        countingArb,
        fc.oneof(fc.constant([]), fc.array(opArb, { maxLength: 10 })),
        async (before, counting, meanwhile) => {
          const replicas = new Replicas();
          const docs = replicas.docs;
          const deviceOf = (doc: Y.Doc) => DEVICES[docs.indexOf(doc)]!;
          for (const op of before) run(replicas, op, deviceOf);
          // Long runs, so that the doc is read in several parts.
          push(docs[1]!, 'd1', 3_000);
          Y.applyUpdate(docs[0]!, Y.encodeStateAsUpdate(docs[1]!, Y.encodeStateVector(docs[0]!)));
          const maker = docs[0]!;
          const counted = countedBy(maker, counting);
          const cut = checkpointCut(maker, counted);
          const whole = skeletonUpTo(maker, cut);
          // The others write, and the maker takes it, at each pause.
          let pauses = 0;
          const pause = async () => {
            const op = meanwhile[pauses++];
            if (op) run(replicas, op, deviceOf);
            Y.applyUpdate(maker, Y.encodeStateAsUpdate(docs[2]!, Y.encodeStateVector(maker)));
            await Promise.resolve();
          };
          const paced = await skeletonUpToPaced(maker, cut, pause);
          expect(pauses).toBeGreaterThan(1);
          const docOf = (updates: Uint8Array[]) => {
            const doc = new Y.Doc();
            for (const update of updates) Y.applyUpdate(doc, update);
            expect(doc.store.pendingStructs).toBeNull();
            expect(doc.store.pendingDs).toBeNull();
            return doc;
          };
          const { updates: wholeUpdates, deletes: wholeDeletes, ...wholeRest } = whole;
          const { updates: pacedUpdates, deletes: pacedDeletes, ...pacedRest } = paced;
          expect(pacedRest).toEqual(wholeRest);
          const pacedDoc = docOf(pacedUpdates);
          expect(Y.decodeStateVector(Y.encodeStateVector(pacedDoc))).toEqual(cut);
          if (meanwhile.length === 0) {
            // Nothing written meanwhile: the same skeleton.
            expect(pacedDeletes).toEqual(wholeDeletes);
            expect(Y.encodeStateAsUpdate(pacedDoc)).toEqual(Y.encodeStateAsUpdate(docOf(wholeUpdates)));
          } else {
            // Deletions made meanwhile may be in it (as of when it was read): only ones the maker has.
            const now = Y.createDeleteSetFromStructStore(maker.store);
            for (const [client, ranges] of pacedDeletes)
              for (const [from, to] of ranges)
                for (let clock = from; clock < to; clock++)
                  expect(Y.isDeleted(now, Y.createID(client, clock))).toBe(true);
          }
        },
      ),
      fcOptions(0.3),
    );
  });

  it('judges a ledger that is one long item in steps too, and cuts it where its first value not counted is', async () => {
    // A device's ledger written by its own client is one item: a coordinator's 100,000 entries were judged in
    // one task of 163 ms.
    const doc = new Y.Doc();
    doc.clientID = 1;
    push(doc, 'd0', 10_000);
    expect(ledgersOf(doc).get('d0')!._start!.length).toBe(10_000);
    const values = ledgerOf(doc, 'd0');
    for (const first of [7_000, 10_000]) {
      const counted = (_: string, value: LedgerWire) => values.indexOf(value) < first;
      let pauses = 0;
      const cut = await checkpointCutPaced(doc, counted, async () => {
        pauses++;
        await Promise.resolve();
      });
      expect(cut).toEqual(checkpointCut(doc, counted));
      expect(pauses).toBeGreaterThanOrEqual(Math.floor(first / 2_048));
      const start = Y.decodeStateVector(Y.encodeStateVector(doc)).get(1)! - 10_000;
      expect(cut.get(1)).toBe(start + first);
    }
  });
});
