// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Room } from 'y-webrtc';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { generateNetwork } from '../../bench/generate';
import { LarderDB } from '../../renderer/storage/db';
import { ingestInSteps, LARGE_UPDATE_BYTES } from '../../renderer/storage/largeUpdates';
import { DocPersistence } from '../../renderer/storage/persistence';
import { updatePieces } from '../../renderer/storage/pieces';
import {
  peerUpdatesIdle,
  readSyncMessage,
  Reassembler,
  setRefusedHandler,
  writeUpdate,
} from '../../renderer/sync/guardedSync';
import { appendEntries, ledgersOf, readAllEntries } from '../../shared/doc';
import type { DomainMessage } from '../../shared/messages';
import { ingestUpdate } from '../../shared/sync/ingest';
import { donations } from '../shared/sync/donations';
import { sameDoc } from '../shared/sync/sameDoc';
import { uniqueName } from './faults';

/**
 * A large update taken in steps (a new device's first sync, a sync file) hands DocPersistence and y-webrtc
 * each piece as it was applied, instead of Yjs encoding every piece's transaction again for them
 * (shared/sync/ingest.ts `applyPiece`). What is stored still gives the same doc at the next start, what a
 * peer sent still reaches the other peers, and what Yjs holds back is still never stored before it applies.
 */
const ENTRIES = 20_000;
const NOW = () => Date.UTC(2026, 0, 10);
let state: Uint8Array;
let network: Y.Doc;
const opened: LarderDB[] = [];
const docs: DocPersistence[] = [];

beforeAll(() => {
  network = generateNetwork(ENTRIES, 'pieces-as-themselves').doc;
  state = Y.encodeStateAsUpdate(network);
});

afterEach(() => {
  for (const p of docs.splice(0)) p.destroy();
  for (const db of opened.splice(0)) db.close();
});

async function started(db: LarderDB): Promise<DocPersistence> {
  const persistence = new DocPersistence(db, NOW);
  docs.push(persistence);
  await persistence.load();
  await persistence.rebuilt();
  return persistence;
}

function emptyDb(): LarderDB {
  const db = new LarderDB(uniqueName('as-themselves'));
  opened.push(db);
  return db;
}

describe('a large update taken in steps into a stored doc', () => {
  it('is stored as its pieces, each entry counted once; the next start gives the same doc', async () => {
    expect(state.byteLength).toBeGreaterThan(LARGE_UPDATE_BYTES);
    const db = emptyDb();
    const first = await started(db);
    const given: Uint8Array[] = [];
    first.doc.on('update', (update: Uint8Array) => given.push(update));
    let brought = 0;
    first.onLedgerBrought((_, b) => (brought += b.entries));
    expect(await ingestInSteps(first.doc, state, 'peer')).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    await first.flush();
    await first.projected();
    // The pieces, byte for byte (Yjs's encoding of each piece's transaction is not the same bytes).
    expect(given).toEqual(updatePieces(state));
    expect(brought).toBe(readAllEntries(network).entries.length);
    const stock = await db.stock.toArray();
    expect(stock.length).toBeGreaterThan(0);
    first.destroy();

    const again = await started(db);
    sameDoc(network, again.doc);
    expect(await db.stock.toArray()).toEqual(stock);
  });

  it('a delete held back for items not here is not stored: it cannot delete ledger entries at the next start', async () => {
    // Device D's 100 entries, which this device has not received yet.
    const d = new Y.Doc();
    d.clientID = 50;
    appendEntries(d, 'devd0001', donations('devd0001', 1, 100));
    // A peer (a holder of the network key) that has them sends a large update of its own entries, with a
    // delete set that covers D's: Yjs holds that delete back until D's entries are here.
    const x = new Y.Doc();
    x.clientID = 60;
    Y.applyUpdate(x, Y.encodeStateAsUpdate(d));
    x.getMap('notes').set('a', 'a note');
    const note = Y.encodeStateAsUpdate(x, Y.encodeStateVector(d));
    appendEntries(x, 'deve0001', donations('deve0001', 1, 3_000));
    x.getMap('notes').delete('a');
    ledgersOf(x).get('devd0001')!.delete(0, 100);
    // What it sends leaves out D's entries (as if it had them from elsewhere and this device did too).
    const known = new Y.Doc();
    Y.applyUpdate(known, Y.encodeStateAsUpdate(d));
    Y.applyUpdate(known, note);

    const db = emptyDb();
    const first = await started(db);
    // This device has the peer's note already: the large update's delete set deletes it at once.
    expect(ingestUpdate(first.doc, note, 'peer')).toMatchObject({ ok: true, changed: true });
    const large = Y.encodeStateAsUpdate(x, Y.encodeStateVector(known));
    expect(large.byteLength).toBeGreaterThan(LARGE_UPDATE_BYTES);
    expect(await ingestInSteps(first.doc, large, 'peer')).toEqual({ ok: true, changed: true, pending: true });
    expect(first.doc.store.pendingDs).not.toBeNull();
    await first.flush();
    // D's entries arrive: the held-back delete would delete them, so the door drops it, not them.
    expect(ingestUpdate(first.doc, Y.encodeStateAsUpdate(d), 'peer')).toMatchObject({
      ok: true,
      changed: true,
    });
    expect(first.doc.store.pendingDs).toBeNull();
    await first.flush();
    await first.projected();
    const counted = (doc: Y.Doc) => readAllEntries(doc).entries.filter((e) => e.device === 'devd0001').length;
    expect(counted(first.doc)).toBe(100);
    first.destroy();

    // A stored row is applied at the next start without the door: had the delete been stored (the last
    // piece as it came), it would take D's entries out of the doc now.
    const again = await started(db);
    expect(counted(again.doc)).toBe(100);
    expect(readAllEntries(again.doc).entries).toHaveLength(3_100);
    expect(again.doc.getMap('notes').toJSON()).toEqual({});
  });
});

/** A y-webrtc connection as far as this test goes: what was sent over it. */
function connection(name: string) {
  const sent: Uint8Array[] = [];
  const conn = {
    remotePeerId: name,
    closed: false,
    destroy: () => undefined,
    peer: {
      send: (m: Uint8Array) => sent.push(m),
      _channel: { bufferedAmount: 0 },
      destroy: () => undefined,
    },
  };
  return { conn, sent };
}

/** What a peer's doc takes from the messages sent to it over a connection (y-webrtc's sync messages). */
async function takeAll(doc: Y.Doc, frames: readonly Uint8Array[]): Promise<void> {
  const frames2 = new Reassembler();
  for (const frame of frames) {
    const got = frames2.push(frame);
    if (!('message' in got)) continue;
    const decoder = decoding.createDecoder(got.message);
    expect(decoding.readVarUint(decoder)).toBe(0); // y-webrtc's messageSync
    readSyncMessage(decoder, encoding.createEncoder(), doc, 'relay');
  }
  await peerUpdatesIdle(doc);
}

describe('a large update from one peer, taken in steps', () => {
  it('reaches a third peer through the y-webrtc room, and is not sent back to the peer it came from', async () => {
    const refused: DomainMessage[] = [];
    setRefusedHandler((message) => refused.push(message));
    const doc = new Y.Doc();
    const provider = { awareness: new Awareness(doc), peerOpts: {}, maxConns: 20, shouldConnect: true };
    const room = new Room(doc, provider as never, 'larder-pieces-as-themselves', null);
    const second = connection('second');
    const third = connection('third');
    room.webrtcConns.set('second', second.conn as never);
    room.webrtcConns.set('third', third.conn as never);
    room.connect();
    try {
      // The second peer's message, as y-webrtc reads it: the room names the connection it came from.
      const encoder = encoding.createEncoder();
      writeUpdate(encoder, state);
      const holder = room as unknown as { deliveringConn: unknown };
      holder.deliveringConn = second.conn;
      readSyncMessage(
        decoding.createDecoder(encoding.toUint8Array(encoder)),
        encoding.createEncoder(),
        doc,
        room,
      );
      holder.deliveringConn = null;
      await peerUpdatesIdle(doc);
      sameDoc(network, doc);

      expect(second.sent).toEqual([]);
      expect(third.sent.length).toBeGreaterThan(0);
      const thirdDoc = new Y.Doc();
      await takeAll(thirdDoc, third.sent);
      sameDoc(network, thirdDoc);
      expect(refused).toEqual([]);
    } finally {
      room.destroy();
      setRefusedHandler((message) => console.warn('Larder refused a peer update', message));
    }
  });
});
