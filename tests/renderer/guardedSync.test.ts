import fc from 'fast-check';
import { deflateSync } from 'fflate';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { appendEntries, ledgersOf, readAllEntries } from '../../shared/doc';
import { DONATION_SOURCES, type Entry } from '../../shared/entries';
import {
  holdNoDoc,
  MAX_UPDATE_BYTES,
  NEXT_PART_WAIT_MS,
  messageLarderNoDoc,
  messageLarderSyncStep2,
  messageLarderSyncStep2Part,
  messageLarderUpdate,
  messageUnreadable,
  messageYjsSyncStep1,
  messageYjsSyncStep2,
  messageYjsUpdate,
  readSyncMessage,
  PACED_INFLATE_FROM,
  PACED_INFLATED_FROM,
  peerUpdatesIdle,
  MAX_QUEUED_BYTES,
  setMaxQueuedBytes,
  setPacedInflateFrom,
  setRefusedHandler,
  setSyncPartBytes,
  SYNC_PART_BYTES,
  writeSyncStep1,
  writeUpdate,
  answersSent,
  HISTORY_ANSWERS_EVERY_MS,
  HISTORY_SHARED_MS,
  setHistoryAnswers,
  ANSWER_IN_STEPS_FROM,
  setAnswerInStepsFrom,
  messageAnsweredLater,
  PACED_DEFLATE_FROM,
  Reassembler,
  setPacedDeflateFrom,
  type PeerOrigin,
} from '../../renderer/sync/guardedSync';
import { msg, type DomainMessage } from '../../shared/messages';
import { connection } from './peerConns';
import {
  encodeAppliedState,
  ingestBusy,
  ingestIdle,
  ingestSettled,
  waitingUpdates,
} from '../../shared/sync/ingest';
import { LARGE_UPDATE_BYTES } from '../../renderer/storage/largeUpdates';
import { ledgerSkeleton, startedFromSkeleton } from '../../shared/sync/skeleton';

const AT = Date.UTC(2025, 5, 2, 9, 0, 0);

/** A hub device's day: `n` donations and pickups of 40 items, as the desk records them. */
function dayOf(device: string, hub: string, n: number): Entry[] {
  return Array.from({ length: n }, (_, i): Entry => {
    const base = {
      hub,
      device,
      seq: i + 1,
      item: `item${String(i % 40).padStart(4, '0')}`,
      qty: 1 + (i % 7),
    };
    const at = AT + i * 60_000;
    return i % 2 === 0
      ? {
          ...base,
          kind: 'donation',
          at,
          recordedAt: at,
          source: DONATION_SOURCES[i % DONATION_SOURCES.length]!,
        }
      : { ...base, kind: 'pickup', at, recordedAt: at };
  });
}

function docWith(device: string, hub: string, n: number): Y.Doc {
  const doc = new Y.Doc();
  appendEntries(doc, device, dayOf(device, hub, n));
  return doc;
}

/** One peer reads `message`: what readSyncMessage returned and the answer it wrote (if any). */
function deliver(doc: Y.Doc, message: Uint8Array): { type: number; answer: Uint8Array } {
  const encoder = encoding.createEncoder();
  const type = readSyncMessage(decoding.createDecoder(message), encoder, doc, 'peer');
  return { type, answer: encoding.toUint8Array(encoder) };
}

const firstVarUint = (message: Uint8Array) => decoding.readVarUint(decoding.createDecoder(message));

let refused: DomainMessage[] = [];
setRefusedHandler((message) => refused.push(message));
afterEach(() => {
  refused = [];
});

describe('guarded sync messages between peers', () => {
  it('answer a sync step 1 with the missing entries deflated, at least 3 times smaller, and apply them', () => {
    const a = docWith('deva0001', 'huba0001', 1000);
    const b = new Y.Doc();
    const step1 = encoding.createEncoder();
    writeSyncStep1(step1, b);
    const { type, answer } = deliver(a, encoding.toUint8Array(step1));
    expect(type).toBe(messageYjsSyncStep1);
    expect(firstVarUint(answer)).toBe(messageLarderSyncStep2);
    const plain = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)).byteLength;
    expect(answer.byteLength).toBeLessThan(plain / 3);

    // y-webrtc marks a peer synced on a sync step 2: a deflated one reads as one.
    expect(deliver(b, answer)).toEqual({ type: messageYjsSyncStep2, answer: new Uint8Array() });
    expect(readAllEntries(b)).toEqual(readAllEntries(a));
    expect(readAllEntries(b).entries).toHaveLength(1000);
    expect(refused).toEqual([]);
  });

  it('send a one-entry update as it is, and a large one deflated; both apply', () => {
    for (const [n, expected] of [
      [1, messageYjsUpdate],
      [200, messageLarderUpdate],
    ] as const) {
      const source = docWith('deva0001', 'huba0001', n);
      const message = encoding.createEncoder();
      writeUpdate(message, Y.encodeStateAsUpdate(source));
      const bytes = encoding.toUint8Array(message);
      expect(firstVarUint(bytes), `${n} entries`).toBe(expected);
      const target = new Y.Doc();
      expect(deliver(target, bytes).type).toBe(messageYjsUpdate);
      expect(readAllEntries(target).entries).toHaveLength(n);
    }
    expect(refused).toEqual([]);
  });
});

describe('large updates from a peer', () => {
  it('are taken in steps, one at a time: another large one arriving meanwhile waits, held, and is taken after', async () => {
    const target = new Y.Doc();
    const message = (device: string) => {
      const encoder = encoding.createEncoder();
      writeUpdate(encoder, Y.encodeStateAsUpdate(docWith(device, 'huba0001', 12_000)));
      return encoding.toUint8Array(encoder);
    };
    const first = message('deva0001');
    const second = message('devb0001');
    expect(Y.encodeStateAsUpdate(docWith('deva0001', 'huba0001', 12_000)).byteLength).toBeGreaterThan(
      LARGE_UPDATE_BYTES,
    );
    deliver(target, first);
    // The first is being taken in steps; the second is held (bounded), not queued as another large one.
    expect(ingestBusy(target)).toBe(true);
    deliver(target, second);
    expect(waitingUpdates(target)).toBe(1);
    await ingestIdle(target);
    expect(waitingUpdates(target)).toBe(0);
    expect(readAllEntries(target).entries).toHaveLength(24_000);
    expect(refused).toEqual([]);
  });
});

describe('what a peer’s message brings into the doc', () => {
  it('is taken with an origin naming its connection, also in the later steps of a large update', async () => {
    const target = new Y.Doc();
    const conn = { peer: { send: () => undefined }, closed: false };
    const room = { deliveringConn: conn as unknown };
    const origins: unknown[] = [];
    target.on('update', (_: Uint8Array, origin: unknown) => origins.push(origin));
    const encoder = encoding.createEncoder();
    writeUpdate(encoder, Y.encodeStateAsUpdate(docWith('deva0001', 'huba0001', 12_000)));
    readSyncMessage(
      decoding.createDecoder(encoding.toUint8Array(encoder)),
      encoding.createEncoder(),
      target,
      room,
    );
    // y-webrtc clears the delivering connection once the message is read; the steps come after.
    room.deliveringConn = null;
    await ingestIdle(target);
    expect(readAllEntries(target).entries).toHaveLength(12_000);
    expect(origins.length).toBeGreaterThan(1);
    // One object per connection, naming the room and the connection (the y-webrtc patch relays the update
    // to every peer but that one).
    const origin = origins[0] as PeerOrigin;
    expect(origin).toEqual({ larderRoom: room, larderConn: conn });
    for (const other of origins) expect(other).toBe(origin);
    expect(refused).toEqual([]);
  });
});

describe('guarded sync messages refuse what a peer should not send', () => {
  const update = Y.encodeStateAsUpdate(docWith('devb0001', 'hubb0001', 300));
  const packed = deflateSync(update);
  const packedMessage = (statedLength: number, body: Uint8Array, type = messageLarderUpdate) => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, type);
    encoding.writeVarUint(encoder, statedLength);
    encoding.writeVarUint8Array(encoder, body);
    return encoding.toUint8Array(encoder);
  };

  const cases: [string, Uint8Array, DomainMessage][] = [
    [
      'a length past the limit (a decompression bomb)',
      packedMessage(MAX_UPDATE_BYTES + 1, packed),
      msg('update.tooLarge', { bytes: MAX_UPDATE_BYTES + 1, megabytes: 64 }),
    ],
    [
      'a stated length shorter than the update',
      packedMessage(update.byteLength - 10, packed),
      msg('update.wrongLength'),
    ],
    [
      'a stated length longer than the update',
      packedMessage(update.byteLength + 10, packed),
      msg('update.wrongLength'),
    ],
    [
      'bytes that are not deflate',
      packedMessage(100, Uint8Array.of(1, 2, 3, 4, 5)),
      msg('update.wrongLength'),
    ],
    [
      'a truncated message',
      packedMessage(update.byteLength, packed).subarray(0, 40),
      msg('update.truncated'),
    ],
    ['an unknown message type', Uint8Array.of(9, 1, 0), msg('update.unknownMessage', { type: 9 })],
    ['an empty message', new Uint8Array(), msg('update.truncated')],
  ];
  for (const [what, message, reason] of cases) {
    it(`refuse ${what}, with a reason, without an answer or a change`, () => {
      const doc = docWith('deva0001', 'huba0001', 5);
      const before = Y.encodeStateAsUpdate(doc);
      const { type, answer } = deliver(doc, message);
      expect(type).not.toBe(messageYjsSyncStep1);
      expect(answer).toEqual(new Uint8Array());
      expect(refused).toEqual([reason]);
      expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
    });
  }

  it('a deflated update that would delete ledger entries is refused by the ingest checks', () => {
    const doc = docWith('deva0001', 'huba0001', 5);
    const hostile = new Y.Doc();
    Y.applyUpdate(hostile, Y.encodeStateAsUpdate(doc));
    const ledger = ledgersOf(hostile).get('deva0001') as Y.Array<unknown>;
    // Make it big enough to be deflated, then delete the victim's entries.
    appendEntries(hostile, 'devb0001', dayOf('devb0001', 'hubb0001', 100));
    ledger.delete(0, 5);
    const message = encoding.createEncoder();
    writeUpdate(message, Y.encodeStateAsUpdate(hostile, Y.encodeStateVector(doc)));
    const bytes = encoding.toUint8Array(message);
    expect(firstVarUint(bytes)).toBe(messageLarderUpdate);
    const before = Y.encodeStateAsUpdate(doc);
    deliver(doc, bytes);
    expect(refused).toHaveLength(1);
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });

  it('never throws on random bytes after a Larder message type, and never changes the doc (seeded)', () => {
    const doc = docWith('deva0001', 'huba0001', 5);
    const before = Y.encodeStateAsUpdate(doc);
    fc.assert(
      fc.property(
        fc.constantFrom(messageLarderSyncStep2, messageLarderUpdate),
        fc.nat({ max: 100_000 }),
        fc.uint8Array({ maxLength: 200 }),
        (type, length, body) => {
          const { type: read, answer } = deliver(doc, packedMessage(length, body, type));
          expect([messageUnreadable, messageYjsSyncStep2, messageYjsUpdate]).toContain(read);
          expect(answer.byteLength).toBe(0);
          expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
        },
      ),
      { seed: 20_261_126, numRuns: 500 },
    );
  });
});

describe('a room held without a doc (an earlier key’s room, where only catch-up material is offered)', () => {
  it('asks for nothing, reads nothing, answers nothing; its peer marks the connection catch-up only', () => {
    const empty = new Y.Doc();
    holdNoDoc(empty);
    // What it sends on connecting instead of a state vector.
    const hello = encoding.createEncoder();
    writeSyncStep1(hello, empty);
    expect([...encoding.toUint8Array(hello)]).toEqual([messageLarderNoDoc]);

    // The peer that receives it (a device that was away, or the revoked one) marks the connection.
    const peerDoc = docWith('dev1', 'hub1', 5);
    const conn: { catchUpOnly?: boolean } = {};
    const reply = encoding.createEncoder();
    const type = readSyncMessage(decoding.createDecoder(encoding.toUint8Array(hello)), reply, peerDoc, {
      deliveringConn: conn,
    });
    expect(type).toBe(messageUnreadable);
    expect(encoding.length(reply)).toBe(0);
    expect(conn.catchUpOnly).toBe(true);

    // Whatever a peer sends into the room without a doc is never read or applied: not a state vector
    // (no doc goes back), not an update, not garbage.
    const step1 = encoding.createEncoder();
    writeSyncStep1(step1, peerDoc);
    const update = encoding.createEncoder();
    writeUpdate(update, Y.encodeStateAsUpdate(peerDoc));
    for (const message of [
      encoding.toUint8Array(step1),
      encoding.toUint8Array(update),
      new Uint8Array([9, 9]),
    ]) {
      const answer = encoding.createEncoder();
      expect(readSyncMessage(decoding.createDecoder(message), answer, empty, null)).toBe(messageUnreadable);
      expect(encoding.length(answer)).toBe(0);
    }
    expect(readAllEntries(empty).entries).toEqual([]);
    expect(Y.encodeStateVector(empty)).toEqual(Y.encodeStateVector(new Y.Doc()));
  });
});

describe('a whole state larger than one message: a sync step 2 in parts, each asked for in turn', () => {
  /** A sync step 1 this module sent to a peer: y-webrtc's message type (0), then the sync message. */
  const unwrap = (sent: Uint8Array) => {
    expect(sent[0]).toBe(0);
    return sent.subarray(1);
  };
  afterEach(() => setSyncPartBytes());

  it('a new device gets the network in parts; marked synced only by the last, the same entries as at once', async () => {
    // 56 MiB: a 1M-entry network (35 MB) goes whole, with 8 MiB under the 64 MiB a peer takes.
    expect(SYNC_PART_BYTES).toBe(56 * 1024 * 1024);
    expect(SYNC_PART_BYTES).toBe(MAX_UPDATE_BYTES - 8 * 1024 * 1024);
    setSyncPartBytes(48 * 1024);
    const source = docWith('deva0001', 'huba0001', 2000);
    for (const device of ['devb0001', 'devc0001'])
      Y.applyUpdate(source, Y.encodeStateAsUpdate(docWith(device, 'hubb0001', 2000)));
    const whole = Y.encodeStateAsUpdate(source).byteLength;
    expect(whole).toBeGreaterThan(3 * 48 * 1024);
    const target = new Y.Doc();
    const { sent, room } = connection();
    const hello = encoding.createEncoder();
    writeSyncStep1(hello, target);
    let ask: Uint8Array = encoding.toUint8Array(hello);
    const types: number[] = [];
    // What waits for the whole state before weighing a rebuild (persistence's catch-up) waits for every part.
    let settled: number | null = null;
    for (let round = 0; round < 20; round++) {
      const { answer } = deliver(source, ask);
      types.push(firstVarUint(answer));
      const reply = encoding.createEncoder();
      const type = readSyncMessage(decoding.createDecoder(answer), reply, target, room);
      expect(encoding.length(reply)).toBe(0);
      if (round === 0) void ingestSettled(target).then(() => (settled = types.length));
      // The last (packed, or plain when its few bytes would not shrink): y-webrtc marks the peer synced.
      if (firstVarUint(answer) === messageLarderSyncStep2 || firstVarUint(answer) === messageYjsSyncStep2) {
        expect(type).toBe(messageYjsSyncStep2);
        break;
      }
      // A part: read as an update (not synced yet); the rest is asked for once the part is in.
      expect(type).toBe(messageYjsUpdate);
      await vi.waitFor(() => expect(sent).toHaveLength(round + 1));
      ask = unwrap(sent[round]!);
      expect(firstVarUint(ask)).toBe(messageYjsSyncStep1);
    }
    await ingestIdle(target);
    await vi.waitFor(() => expect(settled).toBe(types.length));
    expect(types.length).toBeGreaterThanOrEqual(4);
    expect(types.slice(0, -1).every((t) => t === messageLarderSyncStep2Part)).toBe(true);
    expect([messageLarderSyncStep2, messageYjsSyncStep2]).toContain(types.at(-1));
    // Keys of a map read in the order they arrived: compared by device and number.
    const entries = (doc: Y.Doc) =>
      readAllEntries(doc).entries.sort((x, y) => x.device.localeCompare(y.device) || x.seq - y.seq);
    expect(entries(target)).toEqual(entries(source));
    expect(entries(target)).toHaveLength(6000);
    expect(Y.encodeStateVector(target)).toEqual(Y.encodeStateVector(source));
    expect(target.store.pendingStructs).toBeNull();
    expect(refused).toEqual([]);
  });

  it('the rest is not asked for over a closed connection, nor after a part that changed nothing', async () => {
    setSyncPartBytes(16 * 1024);
    const source = docWith('deva0001', 'huba0001', 2000);
    const step1 = encoding.createEncoder();
    writeSyncStep1(step1, new Y.Doc());
    const { answer: part } = deliver(source, encoding.toUint8Array(step1));
    expect(firstVarUint(part)).toBe(messageLarderSyncStep2Part);

    const closed = connection();
    closed.conn.closed = true;
    const target = new Y.Doc();
    readSyncMessage(decoding.createDecoder(part), encoding.createEncoder(), target, closed.room);
    await ingestIdle(target);
    await vi.waitFor(() => expect(readAllEntries(target).entries.length).toBeGreaterThan(0));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(closed.sent).toEqual([]);
    // Nothing more is coming over it: nothing waits for it (not NEXT_PART_WAIT_MS).
    expect(NEXT_PART_WAIT_MS).toBe(30_000);
    await ingestSettled(target);

    // The same part again moves nothing: reported, and not asked again (a loop otherwise).
    const open = connection();
    readSyncMessage(decoding.createDecoder(part), encoding.createEncoder(), target, open.room);
    await vi.waitFor(() => expect(refused).toEqual([msg('update.partStuck')]));
    expect(open.sent).toEqual([]);
    await ingestSettled(target);
  });
});

describe('a peer’s sync step 1 whose answer is large, over a connection', () => {
  /** The messages `sent` carried, put together from their frames, each without y-webrtc's type (0). */
  const received = (sent: Uint8Array[]) => {
    const frames = new Reassembler();
    return sent.flatMap((data) => {
      const got = frames.push(data);
      expect(got).not.toHaveProperty('refused');
      if (!('message' in got)) return [];
      const { message } = got;
      expect(message[0]).toBe(0);
      return [message.subarray(1)];
    });
  };
  afterEach(() => {
    setPacedDeflateFrom();
    setSyncPartBytes();
    setAnswerInStepsFrom();
  });

  /** A new device's sync step 1 to `source` over a connection: answered later, y-webrtc sends nothing now. */
  const askedLater = (source: Y.Doc) => {
    const ask = encoding.createEncoder();
    writeSyncStep1(ask, new Y.Doc());
    const connected = connection();
    const reply = encoding.createEncoder();
    expect(
      readSyncMessage(decoding.createDecoder(encoding.toUint8Array(ask)), reply, source, connected.room),
    ).toBe(messageAnsweredLater);
    expect(encoding.length(reply)).toBe(0);
    return connected;
  };
  /** A new device's sync step 1 to `source` again, over the connection `room` names. */
  const askAgain = (source: Y.Doc, room: Parameters<typeof readSyncMessage>[3]) => {
    const ask = encoding.createEncoder();
    writeSyncStep1(ask, new Y.Doc());
    return readSyncMessage(
      decoding.createDecoder(encoding.toUint8Array(ask)),
      encoding.createEncoder(),
      source,
      room,
    );
  };
  /** `source`'s front desk records `n` entries more, from sequence number `seq`. */
  const recordMore = (source: Y.Doc, n: number, seq: number) =>
    appendEntries(
      source,
      'deva0001',
      dayOf('deva0001', 'huba0001', n).map((e, i) => ({ ...e, seq: seq + i })),
    );

  /** `peer`'s sync step 1 read by `source` over a connection: answered at once, the answer's bytes. */
  const answeredAtOnce = (source: Y.Doc, peer: Y.Doc) => {
    const ask = encoding.createEncoder();
    writeSyncStep1(ask, peer);
    const reply = encoding.createEncoder();
    expect(
      readSyncMessage(decoding.createDecoder(encoding.toUint8Array(ask)), reply, source, connection().room),
    ).toBe(messageYjsSyncStep1);
    return encoding.toUint8Array(reply);
  };

  /** The one answer `sent` carried: its first type, what reading it returned, and the entries it gave a new doc. */
  const theAnswer = async (sent: Uint8Array[]) => {
    const [answer, ...more] = received(sent);
    expect(more).toEqual([]);
    const target = new Y.Doc();
    const read = readSyncMessage(decoding.createDecoder(answer!), encoding.createEncoder(), target, 'peer');
    await ingestIdle(target);
    return { type: firstVarUint(answer!), read, entries: readAllEntries(target).entries.length };
  };

  it('a peer lacking much is answered with an answer written in steps: what the doc holds once it is written', async () => {
    expect(ANSWER_IN_STEPS_FROM).toBe(16_384);
    setAnswerInStepsFrom(1000);
    const source = docWith('deva0001', 'huba0001', 3000);
    const { sent } = askedLater(source);
    // Written after the question, before the answer: in it.
    recordMore(source, 5, 3001);
    await answersSent(source);
    // Under PACED_DEFLATE_FROM: deflated at once, one whole answer.
    expect(await theAnswer(sent)).toEqual({
      type: messageLarderSyncStep2,
      read: messageYjsSyncStep2,
      entries: 3005,
    });
    expect(refused).toEqual([]);

    // A peer that lacks less than that: answered at once.
    const near = new Y.Doc();
    Y.applyUpdate(near, Y.encodeStateAsUpdate(source));
    recordMore(source, 10, 3006);
    expect(answeredAtOnce(source, near).byteLength).toBeGreaterThan(0);
  });

  it('a device running on a skeleton answers a new device from its history, later; one holding the history at once', async () => {
    const whole = docWith('deva0001', 'huba0001', 3000);
    const source = new Y.Doc();
    const made = ledgerSkeleton([Y.encodeStateAsUpdate(whole)]);
    for (const update of made.updates) Y.applyUpdate(source, update);
    let historyRead = 0;
    startedFromSkeleton(source, made, async () => {
      historyRead++;
      // What the skeleton doc has that the history lacks (as DocPersistence.historyDoc catches up).
      Y.applyUpdate(whole, encodeAppliedState(source, Y.encodeStateVector(whole)));
      return whole;
    });
    expect(ledgersOf(source).get('deva0001')!.length).toBe(1);
    // A new device lacks the history: answered later (however little it lacks), from the history.
    const { sent } = askedLater(source);
    await answersSent(source);
    expect(historyRead).toBe(1);
    expect(await theAnswer(sent)).toEqual({
      type: messageLarderSyncStep2,
      read: messageYjsSyncStep2,
      entries: 3000,
    });

    // A peer holding the history: answered at once, from the skeleton, the entries since and nothing deleted.
    const near = new Y.Doc();
    Y.applyUpdate(near, Y.encodeStateAsUpdate(whole));
    source.clientID = whole.clientID + 1;
    appendEntries(source, 'devb0001', dayOf('devb0001', 'hubb0001', 4));
    readSyncMessage(
      decoding.createDecoder(answeredAtOnce(source, near)),
      encoding.createEncoder(),
      near,
      'peer',
    );
    await ingestIdle(near);
    expect(historyRead).toBe(1);
    expect(readAllEntries(near).entries).toHaveLength(3004);
    expect(refused).toEqual([]);
  });

  it('answers from the history start at most once a period: the next new device waits for it, those asking meanwhile share it', async () => {
    expect([HISTORY_ANSWERS_EVERY_MS, HISTORY_SHARED_MS]).toEqual([300_000, 20_000]);
    const whole = docWith('deva0001', 'huba0001', 300);
    const source = new Y.Doc();
    const made = ledgerSkeleton([Y.encodeStateAsUpdate(whole)]);
    for (const update of made.updates) Y.applyUpdate(source, update);
    const reads: number[] = [];
    startedFromSkeleton(source, made, async () => {
      reads.push(Date.now());
      return whole;
    });
    try {
      // Asked within the time a read is shared: both answered from one turn, neither waits for the next.
      setHistoryAnswers(3_600_000, 3_600_000);
      const [one, two] = [askedLater(source), askedLater(source)];
      await answersSent(source);
      for (const { sent } of [one, two]) expect((await theAnswer(sent)).entries).toBe(300);
      expect(reads).toHaveLength(2);

      // Past it: the next new device waits for the period's end, and a peer asking again meanwhile gets one answer.
      setHistoryAnswers(400, 0);
      const started = Date.now();
      const three = askedLater(source);
      await answersSent(source);
      expect(reads).toHaveLength(3);
      const four = askedLater(source);
      askAgain(source, four.room);
      expect(received(four.sent)).toEqual([]);
      await answersSent(source);
      expect(reads).toHaveLength(4);
      expect(reads[3]! - reads[2]!).toBeGreaterThanOrEqual(400);
      expect(reads[2]!).toBeGreaterThanOrEqual(started);
      for (const { sent } of [three, four]) expect((await theAnswer(sent)).entries).toBe(300);
    } finally {
      setHistoryAnswers();
    }
  });

  it('a peer asking again before its answer is written gets one answer; another peer gets its own', async () => {
    setAnswerInStepsFrom(1000);
    const source = docWith('deva0001', 'huba0001', 3000);
    const one = askedLater(source);
    for (let i = 0; i < 5; i++) expect(askAgain(source, one.room)).toBe(messageAnsweredLater);
    const other = askedLater(source);
    await answersSent(source);
    expect(await theAnswer(one.sent)).toMatchObject({ entries: 3000 });
    expect(await theAnswer(other.sent)).toMatchObject({ entries: 3000 });
    // Once answered, the peer's next question is answered again.
    askAgain(source, one.room);
    await answersSent(source);
    expect(received(one.sent)).toHaveLength(2);
  });

  it('is answered once deflated in steps: nothing at once, then the same state a direct answer gives', async () => {
    expect(PACED_DEFLATE_FROM).toBe(1024 * 1024);
    setPacedDeflateFrom(32 * 1024);
    const source = docWith('deva0001', 'huba0001', 3000);
    const { conn, sent } = askedLater(source);
    // Written to the doc after the question: not in this answer (it goes to the peer as an update).
    recordMore(source, 5, 3001);
    await answersSent(source);
    expect(await theAnswer(sent)).toEqual({
      type: messageLarderSyncStep2,
      read: messageYjsSyncStep2,
      entries: 3000,
    });
    expect(refused).toEqual([]);
    expect(conn.closed).toBe(false);
  });

  it('in parts too; a small answer goes at once; nothing goes over a connection closed meanwhile', async () => {
    setPacedDeflateFrom(32 * 1024);
    setSyncPartBytes(64 * 1024);
    const source = docWith('deva0001', 'huba0001', 3000);
    const ask = encoding.createEncoder();
    writeSyncStep1(ask, new Y.Doc());
    const question = encoding.toUint8Array(ask);
    const parts = connection();
    readSyncMessage(decoding.createDecoder(question), encoding.createEncoder(), source, parts.room);
    await answersSent(source);
    expect(received(parts.sent).map(firstVarUint)).toEqual([messageLarderSyncStep2Part]);

    const closing = connection();
    readSyncMessage(decoding.createDecoder(question), encoding.createEncoder(), source, closing.room);
    closing.conn.closed = true;
    await answersSent(source);
    expect(closing.sent).toEqual([]);

    // A peer that lacks little: answered at once, as y-webrtc sends a reply.
    const near = new Y.Doc();
    Y.applyUpdate(near, Y.encodeStateAsUpdate(source));
    recordMore(source, 10, 3001);
    const nearAsk = encoding.createEncoder();
    writeSyncStep1(nearAsk, near);
    const small = connection();
    const reply = encoding.createEncoder();
    expect(
      readSyncMessage(decoding.createDecoder(encoding.toUint8Array(nearAsk)), reply, source, small.room),
    ).toBe(messageYjsSyncStep1);
    expect(encoding.length(reply)).toBeGreaterThan(0);
    expect(small.sent).toEqual([]);
  });
});

describe('a large deflated message from a peer', () => {
  afterEach(() => {
    setPacedInflateFrom();
    setMaxQueuedBytes();
  });

  it('what waits behind it is bounded: past two whole messages a message is refused, and the queue empties', async () => {
    expect(MAX_QUEUED_BYTES).toBe(2 * (MAX_UPDATE_BYTES + 1024 * 1024));
    setPacedInflateFrom(1024);
    const packed = (device: string) => {
      const encoder = encoding.createEncoder();
      writeUpdate(encoder, Y.encodeStateAsUpdate(docWith(device, 'huba0001', 300)));
      return encoding.toUint8Array(encoder);
    };
    const [a, b, c] = [packed('deva0001'), packed('devb0001'), packed('devc0001')];
    // Room for the first and one more, not a third.
    setMaxQueuedBytes(a.byteLength + b.byteLength + 10);
    const target = new Y.Doc();
    for (const m of [a, b, c]) deliver(target, m);
    const plain = encoding.createEncoder();
    writeUpdate(plain, Y.encodeStateAsUpdate(docWith('devd0001', 'hubd0001', 1)));
    deliver(target, encoding.toUint8Array(plain));
    await peerUpdatesIdle(target);
    expect(refused).toEqual([msg('update.queueFull'), msg('update.queueFull')]);
    expect(new Set(readAllEntries(target).entries.map((e) => e.device))).toEqual(
      new Set(['deva0001', 'devb0001']),
    );
    // All taken: the queue holds nothing, and what comes next is taken.
    refused = [];
    deliver(target, c);
    await peerUpdatesIdle(target);
    expect(refused).toEqual([]);
    expect(readAllEntries(target).entries).toHaveLength(900);
  });

  it('is inflated in steps, and what the peer sent after it is taken after it, in order', async () => {
    // 1 MiB deflated (about 4 MB of doc): inflating a 56 MiB part took 786 ms in one task.
    expect(PACED_INFLATE_FROM).toBe(1024 * 1024);
    setPacedInflateFrom(1024);
    // Small enough for the ingest to take at once (under LARGE_UPDATE_BYTES): only the inflating holds it.
    const big = docWith('deva0001', 'huba0001', 300);
    expect(Y.encodeStateAsUpdate(big).byteLength).toBeLessThan(LARGE_UPDATE_BYTES);
    const bigMessage = encoding.createEncoder();
    writeUpdate(bigMessage, Y.encodeStateAsUpdate(big));
    expect(firstVarUint(encoding.toUint8Array(bigMessage))).toBe(messageLarderUpdate);
    const after = docWith('devb0001', 'hubb0001', 1);
    const smallMessage = encoding.createEncoder();
    writeUpdate(smallMessage, Y.encodeStateAsUpdate(after));
    expect(firstVarUint(encoding.toUint8Array(smallMessage))).toBe(messageYjsUpdate);

    const target = new Y.Doc();
    const order: string[] = [];
    target.on('update', () => order.push([...ledgersOf(target).keys()].sort().join('+')));
    expect(deliver(target, encoding.toUint8Array(bigMessage)).type).toBe(messageYjsUpdate);
    expect(deliver(target, encoding.toUint8Array(smallMessage)).type).toBe(messageYjsUpdate);
    // Nothing taken yet: the first is being inflated, the second waits behind it.
    expect(order).toEqual([]);
    await peerUpdatesIdle(target);
    expect(order[0]).toBe('deva0001');
    expect(order.at(-1)).toBe('deva0001+devb0001');
    expect(readAllEntries(target).entries).toHaveLength(301);
    expect(refused).toEqual([]);
  });

  it('is inflated in steps when it states a large update, however small it is deflated', async () => {
    expect(PACED_INFLATED_FROM).toBe(1024 * 1024);
    // 5 MB that deflate to a few kilobytes (a first sync at 100,000 entries: 3 MB in 0.7 MB, inflated at once
    // in a task of 250-600 ms).
    const zeros = new Uint8Array(5 * 1024 * 1024);
    const message = encoding.createEncoder();
    encoding.writeVarUint(message, messageLarderUpdate);
    encoding.writeVarUint(message, zeros.byteLength);
    encoding.writeVarUint8Array(message, deflateSync(zeros));
    expect(encoding.length(message)).toBeLessThan(PACED_INFLATE_FROM);
    const target = new Y.Doc();
    deliver(target, encoding.toUint8Array(message));
    // Not inflated in the task that read it (inflated, it would be handed to the ingest at once), and what
    // the peer sent next waits behind it.
    expect(ingestBusy(target)).toBe(false);
    const next = encoding.createEncoder();
    writeUpdate(next, Y.encodeStateAsUpdate(docWith('devb0001', 'hubb0001', 1)));
    deliver(target, encoding.toUint8Array(next));
    expect(readAllEntries(target).entries).toEqual([]);
    await peerUpdatesIdle(target);
    expect(readAllEntries(target).entries).toHaveLength(1);
  });

  it('that does not inflate to its stated length is refused, and what came after it is still taken', async () => {
    setPacedInflateFrom(1024);
    const big = docWith('deva0001', 'huba0001', 2_000);
    const update = Y.encodeStateAsUpdate(big);
    const wrong = encoding.createEncoder();
    encoding.writeVarUint(wrong, messageLarderUpdate);
    encoding.writeVarUint(wrong, update.byteLength + 1);
    encoding.writeVarUint8Array(wrong, deflateSync(update));
    const target = new Y.Doc();
    deliver(target, encoding.toUint8Array(wrong));
    const small = encoding.createEncoder();
    writeUpdate(small, Y.encodeStateAsUpdate(docWith('devb0001', 'hubb0001', 1)));
    deliver(target, encoding.toUint8Array(small));
    await peerUpdatesIdle(target);
    expect(refused).toEqual([msg('update.wrongLength')]);
    expect(readAllEntries(target).entries.map((e) => e.device)).toEqual(['devb0001']);
  });
});
