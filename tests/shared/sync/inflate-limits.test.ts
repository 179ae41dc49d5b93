import { Deflate, deflateSync } from 'fflate';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  inflateBounded,
  inflateExactly,
  inflateSteps,
  MAX_INFLATED_BYTES,
} from '../../../shared/sync/compress';
import { toBase64Url } from '../../../shared/sync/encoding';
import { deriveSecrets, type CryptoKey } from '../../../shared/sync/keys';
import { openSyncFile, SYNC_FILE_MESSAGES } from '../../../shared/sync/syncfile';
import {
  messageLarderUpdate,
  messageUnreadable,
  peerUpdatesIdle,
  readSyncMessage,
  setRefusedHandler,
} from '../../../renderer/sync/guardedSync';
import { msg, type DomainMessage } from '../../../shared/messages';
import { concatBytes } from '../../../shared/sync/encoding';

/**
 * Issue 8, part 3: what a key holder (a peer, or whoever made a sync file) can make a device inflate.
 * At most 64 MB comes out of one message or one file, decided while inflating, and nothing is ever
 * reserved from what a message or a header claims.
 */

const MB = 1024 * 1024;

/** `mb` MB of zeros, deflated in pieces (so the test never holds the whole of it): ~1 kB per MB. */
function bomb(mb: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const deflater = new Deflate({ level: 1 }, (chunk) => parts.push(chunk));
  const zeros = new Uint8Array(MB);
  for (let i = 0; i < mb; i++) deflater.push(zeros, i === mb - 1);
  return concatBytes(parts);
}

/** ArrayBuffer bytes allocated (and not yet collected) while `run` runs. */
function arrayBufferGrowth(run: () => void): number {
  const before = process.memoryUsage().arrayBuffers;
  run();
  return process.memoryUsage().arrayBuffers - before;
}

/** `arrayBufferGrowth` of something that goes on after it returns, until it resolves. */
async function arrayBufferGrowthUntil(run: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage().arrayBuffers;
  await run();
  return process.memoryUsage().arrayBuffers - before;
}

/** Byte-for-byte equality (vitest's toEqual walks a typed array element by element: slow for megabytes). */
const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.from(a).equals(Buffer.from(b));

let bomb80: Uint8Array;
beforeAll(() => {
  bomb80 = bomb(80);
});

describe('inflating is bounded while streaming', () => {
  it('a deflate bomb (80 MB of zeros in ~80 kB) gives nothing, whatever length is claimed', () => {
    expect(bomb80.byteLength).toBeLessThan(200_000);
    expect(inflateBounded(bomb80)).toBeNull();
    expect(inflateExactly(bomb80, 80 * MB)).toBeNull();
    expect(inflateExactly(bomb80, MAX_INFLATED_BYTES)).toBeNull();
    expect(inflateExactly(bomb80, 1000)).toBeNull();
  });

  it('stops the stream soon after the cap: a bomb under a 1 MB claim is pushed one piece of five, not whole', () => {
    expect(inflateExactly(bomb80, MB)).toBeNull();
    // Counted in pieces pushed into the inflater, not in the process's memory: what V8 had collected
    // meanwhile moved that figure from under 16 MB to 33 MB from one run to the next (stop 60's CI).
    // One piece of at most 16 kB of the 80 kB bomb: at most 16 kB times MAX_RATIO inflated (16 MB), not 80 MB.
    const steps = inflateSteps(bomb80, MB);
    let pieces = 1;
    let step = steps.next();
    for (; !step.done; step = steps.next()) pieces += 1;
    expect(step.value).toBeNull();
    expect(pieces).toBe(1);
    expect(bomb80.byteLength).toBeGreaterThan(4 * 16 * 1024);
  });

  it('what is allowed still inflates exactly, in one piece or many', () => {
    const text = new TextEncoder().encode('rice, beans, pasta; '.repeat(200_000));
    expect(same(inflateExactly(deflateSync(text), text.byteLength), text)).toBe(true);
    expect(same(inflateBounded(deflateSync(text), text.byteLength), text)).toBe(true);
    expect(inflateExactly(deflateSync(text), text.byteLength - 1)).toBeNull();
    expect(inflateExactly(deflateSync(text), text.byteLength + 1)).toBeNull();
    const random = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 2_654_435_761) >>> 24);
    expect(same(inflateExactly(deflateSync(random), random.byteLength), random)).toBe(true);
    expect(inflateExactly(deflateSync(new Uint8Array()), 0)).toEqual(new Uint8Array());
    // Cut short, or not deflate at all.
    expect(inflateExactly(deflateSync(text).subarray(0, 1000), text.byteLength)).toBeNull();
    expect(inflateExactly(Uint8Array.of(1, 2, 3), 3)).toBeNull();
  });
});

describe('a sync message from a peer holding the key', () => {
  let refused: DomainMessage[] = [];
  beforeAll(() => setRefusedHandler((message) => refused.push(message)));
  afterEach(() => {
    refused = [];
  });

  const packedMessage = (statedLength: number, body: Uint8Array) => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, messageLarderUpdate);
    encoding.writeVarUint(encoder, statedLength);
    encoding.writeVarUint8Array(encoder, body);
    return encoding.toUint8Array(encoder);
  };
  const deliver = (message: Uint8Array) => {
    const doc = new Y.Doc();
    const encoder = encoding.createEncoder();
    const type = readSyncMessage(decoding.createDecoder(message), encoder, doc, 'peer');
    return { type, doc, answer: encoding.toUint8Array(encoder) };
  };

  it('an 11-byte message claiming 1 GB is refused without reserving the gigabyte', () => {
    const message = packedMessage(1_000_000_000, deflateSync(new Uint8Array(0)));
    expect(message.byteLength).toBeLessThanOrEqual(11);
    let result: ReturnType<typeof deliver> | undefined;
    const growth = arrayBufferGrowth(() => {
      result = deliver(message);
    });
    expect(growth).toBeLessThan(16 * MB);
    expect(result!.answer).toEqual(new Uint8Array());
    expect(refused).toEqual([msg('update.tooLarge', { bytes: 1_000_000_000, megabytes: 64 })]);
  });

  it('a message claiming exactly the 64 MB limit reserves nothing for it either', async () => {
    const message = packedMessage(MAX_INFLATED_BYTES, deflateSync(Uint8Array.of(1, 2, 3)));
    // Inflated in steps (it states more than a megabyte): measured until it is done.
    const growth = await arrayBufferGrowthUntil(() => peerUpdatesIdle(deliver(message).doc));
    expect(growth).toBeLessThan(16 * MB);
    expect(refused).toEqual([msg('update.wrongLength')]);
  });

  it('a deflate bomb is cut off and refused, whatever it claims', async () => {
    for (const claimed of [80 * MB, MAX_INFLATED_BYTES, MB]) {
      const { type, doc } = deliver(packedMessage(claimed, bomb80));
      await peerUpdatesIdle(doc);
      expect(type).not.toBe(messageUnreadable);
      expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(new Y.Doc()));
    }
    expect(refused.map((r) => r.code)).toEqual([
      'update.tooLarge',
      'update.wrongLength',
      'update.wrongLength',
    ]);
  });
});

describe('a sync file sealed with the network key', () => {
  const NETWORK = 'k3v9q2m7x1c8b4z0';
  let fileKey: CryptoKey;
  beforeAll(async () => {
    fileKey = (await deriveSecrets(Uint8Array.from({ length: 32 }, (_, i) => i * 7))).fileKey;
  });

  /** A file laid out as syncfile.ts describes, with any stated size and any sealed bytes. */
  async function craft(size: number, packed: Uint8Array): Promise<Uint8Array> {
    const header = new TextEncoder().encode(
      JSON.stringify({
        network: NETWORK,
        device: 'devx1234',
        createdAt: Date.UTC(2026, 0, 1),
        stateVector: toBase64Url(Y.encodeStateVector(new Y.Doc())),
        since: false,
        for: null,
        size,
      }),
    );
    const prefix = new Uint8Array(16 + header.length);
    prefix.set(new TextEncoder().encode('LARDER-SYNC'), 0);
    prefix[11] = 2;
    new DataView(prefix.buffer).setUint32(12, header.length);
    prefix.set(header, 16);
    const iv = new Uint8Array(12).fill(3);
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: prefix, tagLength: 128 },
        fileKey,
        new Uint8Array(packed),
      ),
    );
    const file = new Uint8Array(prefix.length + 12 + sealed.length);
    file.set(prefix, 0);
    file.set(iv, prefix.length);
    file.set(sealed, prefix.length + 12);
    return file;
  }
  const open = (file: Uint8Array) => openSyncFile(file, { networkId: NETWORK, fileKey });

  it('a ~80 kB file that honestly states 80 MB is refused as too large', async () => {
    const file = await craft(80 * MB, bomb80);
    expect(file.byteLength).toBeLessThan(200_000);
    expect(await open(file)).toEqual({ ok: false, message: SYNC_FILE_MESSAGES.tooLarge });
  });

  it('a bomb under a small stated size is cut off and refused as damaged', async () => {
    expect(await open(await craft(MB, bomb80))).toEqual({ ok: false, message: SYNC_FILE_MESSAGES.damaged });
    expect(await open(await craft(MAX_INFLATED_BYTES, bomb80))).toEqual({
      ok: false,
      message: SYNC_FILE_MESSAGES.damaged,
    });
  });

  it('a file within the limit still opens', async () => {
    const doc = new Y.Doc();
    doc.getMap('items').set('itma', { name: 'Rice' });
    const update = Y.encodeStateAsUpdate(doc);
    const opened = await open(await craft(update.byteLength, deflateSync(update)));
    expect(opened.ok && opened.updates[0]!).toEqual(update);
  });
});
