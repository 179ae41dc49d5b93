import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEntries, headsClientId, headsOf, type SignedHead } from '../../shared/doc';
import type { Entry } from '../../shared/entries';

/**
 * Signed heads are written under a Yjs client id of their own (shared/doc.ts `headsClientId`), so that a
 * device's replaced heads merge into one tombstone and its ledger appends merge as if unsigned. These
 * tests hold the byte figure of docs/benchmarks-trust.md: signatures cost a head, not bytes per save.
 */
const pickup = (seq: number): Entry => ({
  kind: 'pickup',
  hub: 'hub0000001',
  device: 'dev0000001',
  seq,
  item: 'item000001',
  at: Date.UTC(2026, 0, 1) + seq * 60_000,
  recordedAt: Date.UTC(2026, 0, 1) + seq * 60_000,
  qty: 1 + (seq % 5),
});

function saves(signed: boolean, count: number, perSave = 2): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 123_456;
  let seq = 0;
  for (let s = 0; s < count; s++) {
    const batch = Array.from({ length: perSave }, () => pickup(++seq));
    const head: SignedHead = [seq, `h${seq}`.padEnd(43, 'x'), 'A'.repeat(86)];
    appendEntries(doc, 'dev0000001', batch, signed ? head : undefined);
  }
  return doc;
}

describe('signed heads under their own client id', () => {
  it('is another id than the doc’s own, fixed for a given doc id', () => {
    const doc = new Y.Doc();
    expect(headsClientId(doc)).not.toBe(doc.clientID);
    const twin = new Y.Doc();
    twin.clientID = doc.clientID;
    expect(headsClientId(twin)).toBe(headsClientId(doc));
    expect(Number.isInteger(headsClientId(doc)) && headsClientId(doc) >= 0).toBe(true);
    expect(headsClientId(doc)).toBeLessThan(2 ** 32);
  });

  it('writes the head under that id and leaves the doc’s own id as it was', () => {
    const doc = saves(true, 3);
    expect(doc.clientID).toBe(123_456);
    expect(headsOf(doc).get('dev0000001')).toEqual([6, 'h6'.padEnd(43, 'x'), 'A'.repeat(86)]);
    const state = Y.decodeStateVector(Y.encodeStateVector(doc));
    expect(state.get(headsClientId(doc))).toBe(3); // one struct per head
    expect([...state.keys()].sort()).toEqual([123_456, headsClientId(doc)].sort());
  });

  it('costs one head in all, however many saves were signed (not bytes per save)', () => {
    const unsigned = Y.encodeStateAsUpdate(saves(false, 500)).byteLength;
    const signed = Y.encodeStateAsUpdate(saves(true, 500)).byteLength;
    const oneHead =
      Y.encodeStateAsUpdate(saves(true, 1)).byteLength - Y.encodeStateAsUpdate(saves(false, 1)).byteLength;
    // One head, plus one merged tombstone and one delete range for the 499 heads it replaced.
    expect(signed - unsigned).toBeLessThan(oneHead + 32);

    // The same heads under the doc's own id, as before: a tombstone per save, and split ledger appends.
    const ownId = saves(false, 0);
    let seq = 0;
    for (let s = 0; s < 500; s++) {
      const batch = [pickup(++seq), pickup(++seq)];
      appendEntries(ownId, 'dev0000001', batch);
      ownId.transact(() =>
        headsOf(ownId).set('dev0000001', [seq, `h${seq}`.padEnd(43, 'x'), 'A'.repeat(86)]),
      );
    }
    expect(Y.encodeStateAsUpdate(ownId).byteLength - unsigned).toBeGreaterThan(5_000);
  });

  it('syncs to another doc, which reads the newest head and nothing else', () => {
    const source = saves(true, 40, 3);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(source));
    expect(headsOf(copy).get('dev0000001')).toEqual([120, 'h120'.padEnd(43, 'x'), 'A'.repeat(86)]);
    expect(copy.getMap('ledgers').get('dev0000001')).toHaveProperty('length', 120);
  });
});
