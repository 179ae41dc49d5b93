import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  appendEntries,
  appendMemberOp,
  headsOf,
  itemsOf,
  ledgersOf,
  readAllEntries,
} from '../../../shared/doc';
import { headCheckFor, type HeadCheck } from '../../../shared/sync/headCheck';
import { docParts } from '../../../shared/sync/docParts';
import {
  expectMore,
  guardHeads,
  ingestIdle,
  ingestLarge,
  ingestLargeParts,
  ingestSettled,
  ingestUpdate,
  INGEST_MESSAGES as M,
  waitingUpdates,
  type LargeIngest,
} from '../../../shared/sync/ingest';
import { headMessage } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { signSetting, type SignedSetting } from '../../../shared/trust/settings';
import { updatePieces } from '../../../renderer/storage/pieces';
import { genesis, network as trustNetwork, request, type TestDevice } from '../trust/fixtures';
import { T, donation } from './donations';

/**
 * A large update taken in steps (`ingestLarge`: a new device's first sync, a whole network's sync file):
 * the same doc and the same verdicts as the whole update taken at once, with the page let run between
 * steps; what arrives meanwhile waits for it.
 */
let net: string;
let founder: TestDevice;
let other: TestDevice;
beforeAll(async () => {
  const n = await trustNetwork();
  net = n.net;
  founder = n.founder;
  other = n.a;
});

async function head(d: TestDevice, seq: number) {
  const sig = await sign(d.keys.privateKey, headMessage(net, d.id, seq, 'h'.repeat(43)));
  return [seq, 'h'.repeat(43), sig] as const;
}

/** The founder's network with `n` entries in `sessions` appends, an item, and another device asking to join. */
async function peerState(n = 3000, sessions = 6): Promise<Y.Doc> {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = 1;
  appendMemberOp(doc, await genesis(net, founder));
  appendMemberOp(doc, await request(net, other));
  const per = n / sessions;
  for (let s = 0; s < sessions; s++) {
    const from = s * per + 1;
    const entries = Array.from({ length: per }, (_, i) => donation(founder.id, from + i));
    appendEntries(doc, founder.id, entries, await head(founder, from + per - 1));
  }
  itemsOf(doc).set(
    'itma',
    await signSetting(net, 'items', 'itma', { name: 'Rice' }, founder.id, T, founder.keys.privateKey),
  );
  return doc;
}

function fresh(clientID: number): Y.Doc {
  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientID;
  guardHeads(doc, headCheckFor(net));
  return doc;
}

/** Small pieces (8 kB, slices of 64 values), and a count of the pauses between steps. */
function steps(onPause: (n: number) => void | Promise<void> = () => undefined) {
  let pauses = 0;
  const large: LargeIngest = {
    cut: async (update) => updatePieces(update, 8_192, 64),
    checkStep: 4,
    pause: async () => {
      pauses++;
      await onPause(pauses);
    },
  };
  return { large, pauses: () => pauses };
}

describe('a large update taken in steps', () => {
  it('gives the doc the whole update gives, pausing between pieces and during the check', async () => {
    const peer = await peerState();
    const update = Y.encodeStateAsUpdate(peer);
    const whole = fresh(5);
    expect(ingestUpdate(whole, update, 'peer')).toEqual({ ok: true, changed: true, pending: false });
    const doc = fresh(6);
    const s = steps();
    expect(await ingestLarge(doc, update, 'peer', s.large)).toEqual({
      ok: true,
      changed: true,
      pending: false,
    });
    expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(whole));
    expect(readAllEntries(doc).entries).toEqual(readAllEntries(whole).entries);
    expect(readAllEntries(doc).entries).toHaveLength(3000);
    expect(headsOf(doc).toJSON()).toEqual(headsOf(whole).toJSON());
    expect(itemsOf(doc).toJSON()).toEqual(itemsOf(whole).toJSON());
    // One pause per piece decoded and applied, and more during the check.
    const pieces = updatePieces(update, 8_192, 64).length;
    expect(pieces).toBeGreaterThan(10);
    expect(s.pauses()).toBeGreaterThanOrEqual(2 * pieces);
  });

  it('refuses what the whole update is refused for, and applies nothing of it', async () => {
    const bad = await peerState();
    headsOf(bad).set(founder.id, [...(await head(other, 3000))]);
    const update = Y.encodeStateAsUpdate(bad);
    expect(ingestUpdate(fresh(7), update, 'peer')).toEqual({ ok: false, message: M.badHead(founder.id) });
    const doc = fresh(8);
    expect(await ingestLarge(doc, update, 'peer', steps().large)).toEqual({
      ok: false,
      message: M.badHead(founder.id),
    });
    expect(Y.encodeStateAsUpdate(doc)).toEqual(Y.encodeStateAsUpdate(fresh(8)));
  });

  it('refuses bytes it cannot cut', async () => {
    const doc = fresh(9);
    const cut = async () => {
      throw new Error('not an update');
    };
    expect(
      await ingestLarge(doc, new Uint8Array([1, 2, 3]), 'peer', { cut, pause: async () => undefined }),
    ).toEqual({ ok: false, message: M.malformed });
  });

  it('an update that builds on it, arriving meanwhile, waits and is taken once the large one is in', async () => {
    const peer = await peerState();
    const update = Y.encodeStateAsUpdate(peer);
    const doc = fresh(10);
    // The peer records more while the large update is being taken; it sends that at the third pause.
    const sv = Y.encodeStateVector(peer);
    appendEntries(peer, founder.id, [donation(founder.id, 3001)], await head(founder, 3001));
    const later = Y.encodeStateAsUpdate(peer, sv);
    let meanwhile: unknown = null;
    const s = steps((n) => {
      if (n === 3) meanwhile = ingestUpdate(doc, later, 'peer');
    });
    const taking = ingestLarge(doc, update, 'peer', s.large);
    await taking;
    expect(meanwhile).toEqual({ ok: true, changed: false, pending: true });
    await ingestIdle(doc);
    expect(waitingUpdates(doc)).toBe(0);
    expect(readAllEntries(doc).entries).toHaveLength(3001);
  });

  it('a ledger this device started during its steps is not replaced (ingest-steps.test.ts: the check run again)', async () => {
    const peer = await peerState();
    const update = Y.encodeStateAsUpdate(peer);
    const doc = fresh(11);
    // After every piece is decoded (while its settings are listed), this device starts a ledger under the
    // same key.
    const pieces = updatePieces(update, 8_192, 64).length;
    const s = steps((n) => {
      if (n === pieces + 2) appendEntries(doc, founder.id, [donation(founder.id, 1)]);
    });
    expect(await ingestLarge(doc, update, 'peer', s.large)).toEqual({
      ok: false,
      message: M.replacesLedger(founder.id),
    });
    // Only this device's own ledger is there.
    expect(ledgersOf(doc).get(founder.id)!.length).toBe(1);
  });

  it('verifies the settings and heads it brings ahead, with WebCrypto, and still refuses a forged one', async () => {
    const peer = await peerState(600, 2);
    for (let i = 0; i < 40; i++)
      itemsOf(peer).set(
        `itm${i}`,
        await signSetting(
          net,
          'items',
          `itm${i}`,
          { name: `Item ${i}` },
          founder.id,
          T,
          founder.keys.privateKey,
        ),
      );
    const real = headCheckFor(net);
    let prepared = 0;
    const heads: string[] = [];
    const counting = (): HeadCheck => ({
      ...real,
      prepareSettings: async (items) => {
        prepared += items.length;
        await real.prepareSettings(items);
      },
      prepareHeads: async (items) => {
        for (const h of items) heads.push(h.device);
        await real.prepareHeads(items);
      },
    });
    const doc = new Y.Doc({ gc: true });
    doc.clientID = 13;
    guardHeads(doc, counting());
    expect(await ingestLarge(doc, Y.encodeStateAsUpdate(peer), 'peer', steps().large)).toMatchObject({
      ok: true,
      changed: true,
    });
    // Rice and the 40 items: every setting whose writer's key the update brings.
    expect(prepared).toBe(41);
    expect(itemsOf(doc).size).toBe(41);
    // And the founder's head (its earlier ones arrive replaced, with nothing to verify).
    expect(heads).toEqual([founder.id]);

    // A forged value under the founder's name among them: refused, verified ahead or not.
    const genuine = itemsOf(peer).get('itm7') as SignedSetting;
    itemsOf(peer).set('itm7', { ...genuine, v: { name: 'Forged' } });
    const other = new Y.Doc({ gc: true });
    other.clientID = 14;
    guardHeads(other, headCheckFor(net));
    expect(await ingestLarge(other, Y.encodeStateAsUpdate(peer), 'peer', steps().large)).toEqual({
      ok: false,
      message: M.badSetting('items/itm7'),
    });
  });

  it('says it changed nothing when it brings nothing new, though this device saves between its steps', async () => {
    const peer = await peerState(600, 2);
    const update = Y.encodeStateAsUpdate(peer);
    const doc = fresh(15);
    expect(ingestUpdate(doc, update, 'peer')).toMatchObject({ ok: true, changed: true });
    const s = steps((n) => {
      doc.getMap('local').set('n', n);
    });
    expect(await ingestLarge(doc, update, 'peer', s.large)).toEqual({
      ok: true,
      changed: false,
      pending: false,
    });
    expect(s.pauses()).toBeGreaterThan(3);
  });

  it('a doc that keeps changing is checked in one go at the last try', async () => {
    const peer = await peerState(600, 2);
    const update = Y.encodeStateAsUpdate(peer);
    const doc = fresh(12);
    const pieces = updatePieces(update, 8_192, 64).length;
    let checking = false;
    let changes = 0;
    const other = new Y.Doc({ gc: true });
    other.clientID = 99;
    const s = steps((n) => {
      checking = n > pieces;
      // Something unrelated changes in the doc at every pause of the check: another peer's small update.
      if (checking) {
        changes++;
        other.getMap('unrelated').set('n', changes);
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)));
      }
    });
    expect(await ingestLarge(doc, update, 'peer', s.large)).toMatchObject({ ok: true, changed: true });
    expect(readAllEntries(doc).entries).toHaveLength(600);
    expect(changes).toBeGreaterThan(0);
  });
});

describe('the parts of a state in parts, taken in one turn (ingestLargeParts)', () => {
  it('in order, each as a large update; nothing else is taken between two of them', async () => {
    const peer = await peerState();
    const { parts } = docParts(peer, undefined, { maxBytes: 16_384 });
    expect(parts.length).toBeGreaterThan(3);
    const doc = fresh(7);
    let between = 0;
    const s = steps(() => {
      // Another peer's update arriving meanwhile waits for the last part.
      if (between++ === 3)
        expect(ingestUpdate(doc, Y.encodeStateAsUpdate(new Y.Doc()), 'other').ok).toBe(true);
    });
    const results = await ingestLargeParts(doc, parts, 'peer', s.large);
    expect(results).toHaveLength(parts.length);
    expect(results.every((r) => r.ok && r.changed)).toBe(true);
    expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(peer));
    expect(readAllEntries(doc).entries).toHaveLength(3000);
  });

  it('stops at the first part refused: the parts after it are not taken', async () => {
    const peer = await peerState();
    const { parts } = docParts(peer, undefined, { maxBytes: 16_384 });
    const doc = fresh(8);
    const bad = new Uint8Array([1, 2, 3]);
    const results = await ingestLargeParts(doc, [parts[0]!, bad, ...parts.slice(1)], 'peer', steps().large);
    expect(results).toEqual([
      { ok: true, changed: true, pending: false },
      { ok: false, message: M.malformed },
    ]);
    expect(Y.decodeStateVector(Y.encodeStateVector(doc))).toEqual(
      Y.decodeStateVector(docParts(peer, undefined, { maxBytes: 16_384, most: 1 }).reached),
    );
  });
});

describe('waiting for a state in parts (expectMore, ingestSettled)', () => {
  /** Whether a wait started now is still going after the tasks queued so far. */
  const stillWaiting = async (doc: Y.Doc) => {
    let settled = false;
    void ingestSettled(doc).then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    return !settled;
  };

  it('settles once no large update is being taken and no part awaited is still to come', async () => {
    const doc = new Y.Doc();
    expect(await stillWaiting(doc)).toBe(false);
    // Two parts awaited at once (two peers): each is waited for, whichever comes first.
    let first = () => undefined as void;
    let second = () => undefined as void;
    expectMore(doc, new Promise<void>((resolve) => (first = resolve)));
    expectMore(doc, new Promise<void>((resolve) => (second = resolve)));
    let settled = false;
    void ingestSettled(doc).then(() => (settled = true));
    expect(await stillWaiting(doc)).toBe(true);
    second();
    expect(await stillWaiting(doc)).toBe(true);
    expect(settled).toBe(false);
    // The first part arrives (a large update starts) as its wait ends: the wait goes on until it is in.
    const peer = await peerState(600, 2);
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const taking = ingestLarge(
      doc,
      Y.encodeStateAsUpdate(peer),
      'peer',
      steps((n) => (n === 1 ? held : undefined)).large,
    );
    first();
    expect(await stillWaiting(doc)).toBe(true);
    expect(settled).toBe(false);
    release();
    await taking;
    await ingestIdle(doc);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(settled).toBe(true);
    // Nothing is left waiting.
    expect(await stillWaiting(doc)).toBe(false);
    // A wait that starts after everything settled, for a part awaited later, waits for that one.
    let third = () => undefined as void;
    expectMore(doc, new Promise<void>((resolve) => (third = resolve)));
    expect(await stillWaiting(doc)).toBe(true);
    third();
    expect(await stillWaiting(doc)).toBe(false);
  });
});
