import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEntries, ledgersOf, readAllEntries } from '../../../shared/doc';
import { ingestLarge, type LargeIngest } from '../../../shared/sync/ingest';
import { updatePieces } from '../../../renderer/storage/pieces';
import { donations } from './donations';
import { sameDoc } from './sameDoc';

/**
 * A large update taken in steps hands the doc's 'update' listeners (DocPersistence stores what they get,
 * y-webrtc relays it) each piece itself, not Yjs's encoding of the piece's transaction (Yjs encodes every
 * transaction again for them): when the transaction took exactly what the piece holds. A piece part of
 * which Yjs holds back, or that lets in something held back, is handed over as Yjs encodes it, as before.
 */

/** Pieces of 8 kB (slices of 64 values), cut before the ingest so that the test holds the same objects. */
function inPieces(update: Uint8Array): { pieces: Uint8Array[]; steps: LargeIngest } {
  const pieces = updatePieces(update, 8_192, 64);
  return { pieces, steps: { cut: async () => pieces, pause: async () => undefined } };
}

/** What a doc's 'update' listeners are given (with their origins). */
function given(doc: Y.Doc): { updates: Uint8Array[]; origins: unknown[] } {
  const updates: Uint8Array[] = [];
  const origins: unknown[] = [];
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    updates.push(update);
    origins.push(origin);
  });
  return { updates, origins };
}

/** A fresh doc holding what `updates` hold. */
function docOf(updates: readonly Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  return doc;
}

/** Three devices' ledgers: 3 × 1,500 entries, written by three Yjs clients. */
function network(): Y.Doc {
  const doc = new Y.Doc();
  for (const [client, device] of [
    [11, 'deva0001'],
    [22, 'devb0001'],
    [33, 'devc0001'],
  ] as const) {
    doc.clientID = client;
    appendEntries(doc, device, donations(device, 1, 1_500));
  }
  return doc;
}

describe('a large update’s pieces', () => {
  it('are handed to the update listeners themselves, once each, in order: together they give the same doc', async () => {
    const source = network();
    const update = Y.encodeStateAsUpdate(source);
    const { pieces, steps } = inPieces(update);
    expect(pieces.length).toBeGreaterThan(10);
    const doc = new Y.Doc();
    const seen = given(doc);
    expect(await ingestLarge(doc, update, 'peer', steps)).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect(seen.updates).toHaveLength(pieces.length);
    seen.updates.forEach((u, i) => expect(u).toBe(pieces[i]));
    expect(new Set(seen.origins)).toEqual(new Set(['peer']));
    sameDoc(source, doc);
    sameDoc(source, docOf(seen.updates));
    expect(readAllEntries(docOf(seen.updates)).entries).toHaveLength(4_500);
  });

  it('a piece the doc already holds changes nothing and is handed to no one', async () => {
    const source = network();
    const update = Y.encodeStateAsUpdate(source);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, update);
    const seen = given(doc);
    expect(await ingestLarge(doc, update, 'peer', inPieces(update).steps)).toEqual({
      ok: true,
      changed: false,
      pending: false,
    });
    expect(seen.updates).toEqual([]);
  });

  it('a change an observer makes in answer to a piece still reaches the update listeners', async () => {
    const source = network();
    const update = Y.encodeStateAsUpdate(source);
    const { pieces, steps } = inPieces(update);
    const doc = new Y.Doc();
    doc.clientID = 99;
    const seen = given(doc);
    // An observer that notes each ledger change in a map of its own: a transaction of its own, made while
    // the piece's is cleaned up.
    let notes = 0;
    ledgersOf(doc).observeDeep((events) => {
      if (events[0]?.transaction.origin === 'peer') doc.getMap('notes').set(String(notes++), 'seen');
    });
    expect(await ingestLarge(doc, update, 'peer', steps)).toMatchObject({ ok: true, changed: true });
    expect(notes).toBe(pieces.length);
    expect(seen.updates).toHaveLength(2 * pieces.length);
    expect(seen.origins.filter((o) => o === 'peer')).toHaveLength(pieces.length);
    // The notes were encoded by Yjs (they are in no piece), and nothing is lost: the same doc from what
    // the listeners were given.
    sameDoc(doc, docOf(seen.updates));
    expect(docOf(seen.updates).getMap('notes').size).toBe(pieces.length);
  });

  it('with no update listener, nothing is encoded and the listeners added later get the next change', async () => {
    const update = Y.encodeStateAsUpdate(network());
    const doc = new Y.Doc();
    expect(await ingestLarge(doc, update, 'peer', inPieces(update).steps)).toMatchObject({
      ok: true,
      changed: true,
    });
    const seen = given(doc);
    doc.getMap('notes').set('a', 1);
    expect(seen.updates).toHaveLength(1);
  });
});

describe('a piece Yjs holds back part of', () => {
  it('is handed over as Yjs encodes it, and so is the piece that lets it in: nothing is lost', async () => {
    // Client 90's value replaces client 10's: in the update (clients in descending order) it comes first,
    // and waits, held back, for the piece that brings client 10's.
    const one = new Y.Doc();
    one.clientID = 10;
    appendEntries(one, 'deva0001', donations('deva0001', 1, 1_500));
    one.getMap('notes').set('k', 'first');
    const two = new Y.Doc();
    two.clientID = 90;
    Y.applyUpdate(two, Y.encodeStateAsUpdate(one));
    two.getMap('notes').set('k', 'second');
    const update = Y.encodeStateAsUpdate(two);
    const { pieces, steps } = inPieces(update);
    const doc = new Y.Doc();
    const heldBack: boolean[] = [];
    doc.on('afterTransaction', () => heldBack.push(doc.store.pendingStructs !== null));
    const seen = given(doc);
    expect(await ingestLarge(doc, update, 'peer', steps)).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect(heldBack[0]).toBe(true);
    // The first piece (client 90's) changed nothing yet; the one that let it in is Yjs's encoding.
    expect(seen.updates).not.toContain(pieces[0]);
    expect(seen.updates.filter((u) => pieces.includes(u)).length).toBeGreaterThan(0);
    sameDoc(two, doc);
    sameDoc(two, docOf(seen.updates));
    expect(docOf(seen.updates).getMap('notes').get('k')).toBe('second');
  });

  it('a delete of items not here is not handed over before it applies; what applied with it is', async () => {
    // A peer deleted a value of a device this doc has not heard of (client 30), and one of its own that
    // this doc has.
    const absent = new Y.Doc();
    absent.clientID = 30;
    absent.getMap('notes').set('x', 'from 30');
    const peer = new Y.Doc();
    peer.clientID = 40;
    peer.getMap('notes').set('y', 'from 40');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer));
    const had = Y.encodeStateAsUpdate(doc);
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(absent));
    appendEntries(peer, 'deva0001', donations('deva0001', 1, 1_500));
    peer.getMap('notes').delete('x');
    peer.getMap('notes').delete('y');
    // What the peer sends this doc, leaving out client 30's value (as a relay that lacks it would): its
    // structs this doc lacks, and every delete it knows of.
    const update = Y.encodeStateAsUpdate(
      peer,
      Y.encodeStateVector(docOf([had, Y.encodeStateAsUpdate(absent)])),
    );
    const { pieces, steps } = inPieces(update);
    const seen = given(doc);
    expect(await ingestLarge(doc, update, 'peer', steps)).toEqual({ ok: true, changed: true, pending: true });
    expect(doc.store.pendingDs).not.toBeNull();
    // The last piece holds the delete set: Yjs applied the delete of 'y' and holds back that of 'x'.
    expect(seen.updates).not.toContain(pieces[pieces.length - 1]);
    const stored = docOf([had, ...seen.updates]);
    expect(stored.store.pendingDs).toBeNull();
    expect(stored.getMap('notes').toJSON()).toEqual({});
    expect(readAllEntries(stored).entries).toHaveLength(1_500);
    // Once client 30's value arrives, both delete it.
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(absent));
    Y.applyUpdate(stored, Y.encodeStateAsUpdate(absent));
    expect(doc.getMap('notes').toJSON()).toEqual({});
    expect(stored.getMap('notes').toJSON()).toEqual({ x: 'from 30' });
  });
});
