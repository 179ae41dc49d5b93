import { createHash, createPublicKey, hkdfSync, verify } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_INFLATED_BYTES } from '../../../shared/sync/compress';
import {
  blobHash,
  blobMessage,
  checkpointPartMessage,
  CHECKPOINT_ID_PATTERN,
  CHECKPOINT_PART_BYTES,
  clientMessageSchema,
  deriveRelayKeys,
  fromBase64Url,
  mailboxIdOf,
  MAX_CHECKPOINT_PARTS,
  MAX_CURSOR_DEVICES,
  MAX_SEQ,
  openRelayBlob,
  openRelayCheckpoint,
  proveRead,
  readProofMessage,
  RELAY_PROTOCOL,
  sealRelayBlob,
  sealRelayCheckpoint,
  statementMessage,
  statementPayload,
  statementSchema,
  toBase64Url,
  type BlobContents,
  type RelayKeys,
  type Statement,
} from '../../../shared/sync/relay';
import { fcOptions } from '../arbitraries';

/**
 * What a relay and the devices that use it agree on (shared/sync/relay.ts), without a relay: the keys a
 * network key gives, checked against Node's own HKDF, SHA-256 and Ed25519; the exact texts that are signed;
 * which messages a relay takes from a client, at every bound; and the blobs a relay stores, which open only
 * for the mailbox, device and sequence number they were sealed for. tests/electron/relay*.test.ts and
 * tests/renderer/relay.test.ts run the same code against a real relay.
 */

const NETWORK_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
/**
 * Each test derives its keys itself (not in a beforeAll): mutation testing switches a mutant on per test, so
 * code run only by a hook would never be tested with the mutant in place.
 */
const derive = async (): Promise<{ keys: RelayKeys; other: RelayKeys }> => ({
  keys: await deriveRelayKeys(NETWORK_KEY),
  other: await deriveRelayKeys(OTHER_KEY),
});

const salt = 'larder network v1';
const nodeHkdf = (info: string) => new Uint8Array(hkdfSync('sha256', NETWORK_KEY, salt, info, 32));
/** Node's own Ed25519, independent of @noble. */
function nodeVerifies(publicKey: string, message: string, signature: string): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
  return verify(null, new TextEncoder().encode(message), key, fromBase64Url(signature)!);
}
const sha256 = (text: string | Uint8Array) =>
  toBase64Url(new Uint8Array(createHash('sha256').update(text).digest()));

/** A pause that lets other work run, and counts how often it was awaited. */
function countingPause() {
  let count = 0;
  return {
    pause: async () => {
      count++;
      await Promise.resolve();
    },
    pauses: () => count,
  };
}

describe('the keys a network key gives', () => {
  it('are the HKDF-SHA256 of the network key under the relay’s own infos', async () => {
    const { keys, other } = await derive();
    expect(keys.readSeed).toEqual(nodeHkdf('larder relay read'));
    expect(keys.readKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The blob key never leaves WebCrypto: it cannot be exported, and it only seals and opens.
    expect(keys.blobKey.extractable).toBe(false);
    expect([...keys.blobKey.usages].sort()).toEqual(['decrypt', 'encrypt']);
    // The blob key is HKDF's "larder relay blob": a blob sealed with it opens with Node's key of that value.
    const nodeBlobKey = await crypto.subtle.importKey(
      'raw',
      nodeHkdf('larder relay blob'),
      'AES-GCM',
      false,
      ['decrypt'],
    );
    const at = { mailbox: 'm', deviceKey: 'd', seq: 1 };
    const contents = { base: Uint8Array.of(0), after: Uint8Array.of(1, 5, 2), update: Uint8Array.of(9, 9) };
    const blob = await sealRelayBlob(contents, at, keys.blobKey, (n) => new Uint8Array(n));
    expect(await openRelayBlob(blob, at, nodeBlobKey)).toEqual(contents);
    expect(await openRelayBlob(blob, at, other.blobKey)).toBeNull();
  });

  it('are the same from the same network key and differ from another', async () => {
    const { keys, other } = await derive();
    const again = await deriveRelayKeys(NETWORK_KEY.slice());
    expect(again.readKey).toBe(keys.readKey);
    expect(again.readSeed).toEqual(keys.readSeed);
    expect(other.readKey).not.toBe(keys.readKey);
    expect(other.readSeed).not.toEqual(keys.readSeed);
  });

  it('come only from a key of 32 bytes', async () => {
    for (const length of [0, 31, 33])
      await expect(deriveRelayKeys(new Uint8Array(length)), String(length)).rejects.toThrow(
        'network key must be 32 bytes',
      );
  });
});

describe('what is signed and hashed', () => {
  const anchorKey = 'A'.repeat(43);

  it('a mailbox is the SHA-256 of the read key and the anchor, so another anchor is another mailbox', async () => {
    const { keys, other } = await derive();
    expect(mailboxIdOf(keys.readKey, anchorKey)).toBe(
      sha256(`larder relay mailbox v1|${keys.readKey}|${anchorKey}`),
    );
    expect(mailboxIdOf(keys.readKey, 'B'.repeat(43))).not.toBe(mailboxIdOf(keys.readKey, anchorKey));
    expect(mailboxIdOf(other.readKey, anchorKey)).not.toBe(mailboxIdOf(keys.readKey, anchorKey));
  });

  it('the answer to a challenge is the read key’s signature of the nonce, the read key and the anchor', async () => {
    const { keys, other } = await derive();
    expect(readProofMessage('n0nce', 'READ', 'anch0r')).toBe('larder relay read v1\nn0nce\nREAD\nanch0r');
    const proof = proveRead(keys, 'n0nce', 'anch0r');
    expect(proof).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(nodeVerifies(keys.readKey, readProofMessage('n0nce', keys.readKey, 'anch0r'), proof)).toBe(true);
    expect(nodeVerifies(keys.readKey, readProofMessage('n0nce', keys.readKey, 'other0'), proof)).toBe(false);
    expect(nodeVerifies(other.readKey, readProofMessage('n0nce', other.readKey, 'anch0r'), proof)).toBe(
      false,
    );
  });

  it('a blob’s hash is its SHA-256, and a device signs it with the mailbox, its key and the sequence number', () => {
    const blob = Uint8Array.of(1, 2, 3, 250);
    expect(blobHash(blob)).toBe(sha256(blob));
    expect(blobMessage('MBOX', 'DKEY', 7, 'HASH')).toBe('larder relay blob v1\nMBOX\nDKEY\n7\nHASH');
  });

  it('a statement’s payload has one field order, whatever order it was built in', () => {
    const s: Statement = {
      t: 'relay-member',
      mailbox: 'M'.repeat(43),
      key: 'K'.repeat(43),
      role: 'member',
      cut: null,
      at: 5,
    };
    const reordered = {
      at: 5,
      cut: null,
      role: 'member',
      key: 'K'.repeat(43),
      mailbox: 'M'.repeat(43),
      t: 'relay-member',
    } as Statement;
    const payload = `{"t":"relay-member","mailbox":"${'M'.repeat(43)}","key":"${'K'.repeat(43)}","role":"member","cut":null,"at":5}`;
    expect(statementPayload(s)).toBe(payload);
    expect(statementPayload(reordered)).toBe(payload);
    // What an admin signs: the payload under the statement's own prefix.
    expect(statementMessage(payload)).toBe(`larder relay statement v1|${payload}`);
  });
});

describe('a membership statement', () => {
  const good: Statement = {
    t: 'relay-member',
    mailbox: 'M'.repeat(43),
    key: 'K'.repeat(43),
    role: 'admin',
    cut: null,
    at: 0,
  };
  const takes = (s: unknown) => statementSchema.safeParse(s).success;

  it('is taken for an admin or a member, current or cut at any sequence number, at any time up to 2100', () => {
    expect(takes(good)).toBe(true);
    expect(takes({ ...good, role: 'member' })).toBe(true);
    for (const cut of [0, 1, 2 ** 31 - 1]) expect(takes({ ...good, cut }), String(cut)).toBe(true);
    expect(takes({ ...good, at: Date.UTC(2100, 0, 1) })).toBe(true);
  });

  it('is refused with any field out of shape', () => {
    const bad: [string, unknown][] = [
      ['t', 'relay-admin'],
      ['mailbox', 'M'.repeat(42)],
      ['mailbox', 'M'.repeat(44)],
      ['mailbox', `${'M'.repeat(42)}+`],
      ['key', 'K'.repeat(42)],
      ['key', 'K'.repeat(44)],
      ['key', `${'K'.repeat(42)}/`],
      ['role', 'owner'],
      ['cut', -1],
      ['cut', 2 ** 31],
      ['cut', 1.5],
      ['cut', undefined],
      ['at', -1],
      ['at', Date.UTC(2100, 0, 1) + 1],
      ['at', 0.5],
    ];
    for (const [field, value] of bad)
      expect(takes({ ...good, [field]: value }), `${field}: ${value}`).toBe(false);
  });
});

describe('a message from a client', () => {
  const KEY = 'K'.repeat(43);
  const SIG = 'S'.repeat(86);
  const takes = (m: unknown) => clientMessageSchema.safeParse(m).success;
  const hello = { type: 'hello', protocol: RELAY_PROTOCOL, read: KEY, anchor: 'anch0r', proof: SIG };
  const upload = { type: 'upload', id: 0, key: KEY, seq: 1, blob: 'AQID', sig: SIG };
  const statement = { p: 'x', by: KEY, s: SIG };

  it('hello: with or without the anchor’s key, only in this protocol', () => {
    expect(takes(hello)).toBe(true);
    expect(takes({ ...hello, anchorKey: KEY })).toBe(true);
    expect(takes({ ...hello, protocol: 'larder-relay-2' })).toBe(false);
    expect(takes({ ...hello, read: SIG })).toBe(false);
    expect(takes({ ...hello, proof: KEY })).toBe(false);
    expect(takes({ ...hello, anchor: 'AN' })).toBe(false);
    expect(takes({ ...hello, anchorKey: 'short' })).toBe(false);
  });

  it('members: at most 256 statements of at most 1,000 characters each', () => {
    const members = (statements: unknown[]) => ({ type: 'members', id: 3, statements });
    expect(takes(members([]))).toBe(true);
    expect(takes(members(Array(256).fill(statement)))).toBe(true);
    expect(takes(members(Array(257).fill(statement)))).toBe(false);
    expect(takes(members([{ ...statement, p: 'x'.repeat(1000) }]))).toBe(true);
    expect(takes(members([{ ...statement, p: 'x'.repeat(1001) }]))).toBe(false);
    expect(takes(members([{ ...statement, by: SIG }]))).toBe(false);
    expect(takes(members([{ ...statement, s: KEY }]))).toBe(false);
  });

  it('upload: sequence numbers 1 to 2^31 - 1, request ids from 0, a blob in base64url', () => {
    expect(takes(upload)).toBe(true);
    expect(takes({ ...upload, seq: MAX_SEQ, id: MAX_SEQ })).toBe(true);
    expect(MAX_SEQ).toBe(2 ** 31 - 1);
    for (const [field, value] of [
      ['seq', 0],
      ['seq', MAX_SEQ + 1],
      ['seq', 1.5],
      ['id', -1],
      ['id', MAX_SEQ + 1],
      ['id', 0.5],
      ['blob', ''],
      ['blob', 'AQ=='],
      ['blob', 'A+B/'],
      ['key', SIG],
      ['sig', KEY],
    ] as const)
      expect(takes({ ...upload, [field]: value }), `${field}: ${value}`).toBe(false);
  });

  it('fetch: a cursor of device ids to sequence numbers from 0, naming at most 10,000 devices', () => {
    const fetchOf = (cursor: Record<string, number>) => ({ type: 'fetch', id: 1, cursor });
    const devices = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`dev${i}`, 0]));
    expect(takes(fetchOf({}))).toBe(true);
    expect(takes(fetchOf({ dev1: 0, dev2: MAX_SEQ }))).toBe(true);
    expect(takes(fetchOf(devices(MAX_CURSOR_DEVICES)))).toBe(true);
    const tooMany = clientMessageSchema.safeParse(fetchOf(devices(MAX_CURSOR_DEVICES + 1)));
    expect(tooMany.success).toBe(false);
    expect(tooMany.error?.issues.map((i) => i.message)).toEqual(['too many devices in the cursor']);
    expect(takes(fetchOf({ dev1: -1 }))).toBe(false);
    expect(takes(fetchOf({ dev1: MAX_SEQ + 1 }))).toBe(false);
    expect(takes(fetchOf({ 'Not An Id': 1 }))).toBe(false);
  });

  it('checkpoint-put: a checkpoint id of 22 base64url characters, parts 1 to 16, a part from 0 to 15', () => {
    const put = {
      type: 'checkpoint-put',
      id: 2,
      key: KEY,
      ck: 'C'.repeat(22),
      part: 0,
      parts: 1,
      blob: 'AQID',
      sig: SIG,
    };
    expect(takes(put)).toBe(true);
    expect(MAX_CHECKPOINT_PARTS).toBe(16);
    expect(takes({ ...put, part: 15, parts: 16 })).toBe(true);
    expect(CHECKPOINT_ID_PATTERN.test('C'.repeat(22))).toBe(true);
    for (const [field, value] of [
      ['ck', 'C'.repeat(21)],
      ['ck', 'C'.repeat(23)],
      ['ck', `${'C'.repeat(21)}=`],
      ['part', -1],
      ['part', 16],
      ['part', 0.5],
      ['parts', 0],
      ['parts', 17],
      ['blob', ''],
      ['blob', 'AQ=='],
      ['key', SIG],
      ['sig', KEY],
    ] as const)
      expect(takes({ ...put, [field]: value }), `${field}: ${value}`).toBe(false);
  });

  it('checkpoint-list and checkpoint-get: a device id, a checkpoint id and a part', () => {
    expect(takes({ type: 'checkpoint-list', id: 4 })).toBe(true);
    expect(takes({ type: 'checkpoint-list' })).toBe(false);
    const get = { type: 'checkpoint-get', id: 5, device: 'dev1', ck: 'C'.repeat(22), part: 15 };
    expect(takes(get)).toBe(true);
    expect(takes({ ...get, part: 16 })).toBe(false);
    expect(takes({ ...get, device: 'Not An Id' })).toBe(false);
    expect(takes({ ...get, ck: 'short' })).toBe(false);
  });

  it('ping; and nothing of another type', () => {
    expect(takes({ type: 'ping' })).toBe(true);
    expect(takes({ type: 'pong' })).toBe(false);
    expect(takes({ ...upload, type: 'fetch' })).toBe(false);
  });
});

describe('a blob', () => {
  const at = { mailbox: 'M'.repeat(43), deviceKey: 'K'.repeat(43), seq: 12 };
  const ivOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => 40 + i);

  function contentsOf(count: number): BlobContents {
    const doc = new Y.Doc();
    doc.clientID = 7;
    const before = Y.encodeStateVector(doc);
    for (let i = 0; i < count; i++) doc.getMap('items').set(`itm${i}`, { name: `Item ${i}` });
    return { base: before, after: Y.encodeStateVector(doc), update: Y.encodeStateAsUpdate(doc, before) };
  }

  it('is [1][IV][sealed] and opens to what was sealed, for the mailbox, device and sequence number it was sealed for', async () => {
    const { keys } = await derive();
    const contents = contentsOf(20);
    const blob = await sealRelayBlob(contents, at, keys.blobKey, ivOf);
    expect(blob[0]).toBe(1);
    expect(blob.subarray(1, 13)).toEqual(ivOf(12));
    expect(await openRelayBlob(blob, at, keys.blobKey)).toEqual(contents);
    expect(await openRelayBlob(blob, { ...at }, keys.blobKey)).toEqual(contents);
  });

  it('opens the same in steps, other work let run between the pieces it inflates, and to nothing just the same when damaged', async () => {
    const { keys } = await derive();
    // Random names, so that it does not deflate to a few bytes: several pieces to inflate.
    const doc = new Y.Doc();
    const rand = fc.sample(fc.string({ minLength: 40, maxLength: 40 }), { seed: 7, numRuns: 4_000 });
    rand.forEach((name, i) => doc.getMap('items').set(`itm${i}`, { name }));
    const contents = {
      base: new Uint8Array([0]),
      after: Y.encodeStateVector(doc),
      update: Y.encodeStateAsUpdate(doc),
    };
    const blob = await sealRelayBlob(contents, at, keys.blobKey, ivOf);
    const { pause, pauses } = countingPause();
    expect(await openRelayBlob(blob, at, keys.blobKey, pause)).toEqual(contents);
    expect(pauses()).toBeGreaterThan(1);
    const bad = blob.slice();
    bad[blob.length - 1]! ^= 1;
    expect(await openRelayBlob(bad, at, keys.blobKey, pause)).toBeNull();
  });

  it('opens to nothing elsewhere: another mailbox, device or sequence number, or another network', async () => {
    const { keys, other } = await derive();
    const blob = await sealRelayBlob(contentsOf(3), at, keys.blobKey, ivOf);
    for (const moved of [
      { ...at, mailbox: 'N'.repeat(43) },
      { ...at, deviceKey: 'L'.repeat(43) },
      { ...at, seq: 13 },
    ])
      expect(await openRelayBlob(blob, moved, keys.blobKey)).toBeNull();
    expect(await openRelayBlob(blob, at, other.blobKey)).toBeNull();
  });

  it('opens to nothing when any byte is changed, cut short, or of another version', async () => {
    const { keys } = await derive();
    const blob = await sealRelayBlob(contentsOf(3), at, keys.blobKey, ivOf);
    for (const i of [0, 1, 12, 13, blob.length - 1]) {
      const bad = blob.slice();
      bad[i]! ^= 1;
      expect(await openRelayBlob(bad, at, keys.blobKey), `byte ${i}`).toBeNull();
    }
    for (const n of [0, 1, 13, 28, 29, blob.length - 1])
      expect(await openRelayBlob(blob.slice(0, n), at, keys.blobKey), `${n} bytes`).toBeNull();
  });

  /** A blob sealed with the right key around any plaintext: what a faulty or hostile device could upload. */
  async function sealedAround(plain: Uint8Array): Promise<Uint8Array> {
    const iv = ivOf(12);
    const aad = new TextEncoder().encode(`larder relay blob v1|${at.mailbox}|${at.deviceKey}|${at.seq}`);
    const nodeBlobKey = await crypto.subtle.importKey(
      'raw',
      nodeHkdf('larder relay blob'),
      'AES-GCM',
      false,
      ['encrypt'],
    );
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 },
        nodeBlobKey,
        new Uint8Array(plain),
      ),
    );
    return Uint8Array.from([1, ...iv, ...sealed]);
  }

  it('that is authentic but holds anything past its update, or an update of another length, opens to nothing', async () => {
    const { keys } = await derive();
    const blob = await sealRelayBlob(contentsOf(3), at, keys.blobKey, ivOf);
    const plain = new Uint8Array(
      await crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: blob.slice(1, 13),
          additionalData: new TextEncoder().encode(
            `larder relay blob v1|${at.mailbox}|${at.deviceKey}|${at.seq}`,
          ),
          tagLength: 128,
        },
        keys.blobKey,
        blob.slice(13),
      ),
    );
    // The crafting is faithful: the same plaintext sealed again opens.
    expect(await openRelayBlob(await sealedAround(plain), at, keys.blobKey)).toEqual(contentsOf(3));
    expect(
      await openRelayBlob(await sealedAround(Uint8Array.from([...plain, 0])), at, keys.blobKey),
    ).toBeNull();
    // Nothing at all inside, and a stream cut short.
    expect(await openRelayBlob(await sealedAround(new Uint8Array(0)), at, keys.blobKey)).toBeNull();
    expect(await openRelayBlob(await sealedAround(plain.slice(0, -1)), at, keys.blobKey)).toBeNull();
  });

  it('opens to the same contents for any contents and sequence number (property)', async () => {
    const { keys } = await derive();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: MAX_SEQ }),
        async (base, after, update, seq) => {
          const here = { ...at, seq };
          const blob = await sealRelayBlob({ base, after, update }, here, keys.blobKey, ivOf);
          expect(await openRelayBlob(blob, here, keys.blobKey)).toEqual({ base, after, update });
        },
      ),
      fcOptions(0.5),
    );
  });

  it('is refused when sealing with an IV of the wrong length, or an update past 64 MB', async () => {
    const { keys } = await derive();
    await expect(sealRelayBlob(contentsOf(1), at, keys.blobKey, (n) => ivOf(n - 1))).rejects.toThrow(
      'randomBytes returned the wrong number of bytes',
    );
    let asked = 0;
    const big = { ...contentsOf(0), update: new Uint8Array(MAX_INFLATED_BYTES + 1) };
    await expect(
      sealRelayBlob(big, at, keys.blobKey, (n) => {
        asked++;
        return ivOf(n);
      }),
    ).rejects.toThrow('An update larger than 64 MB cannot go to the relay in one piece');
    expect(asked).toBe(0);
  });

  it('of exactly 64 MB is sealed and opens whole', async () => {
    const { keys } = await derive();
    const update = new Uint8Array(MAX_INFLATED_BYTES);
    update[MAX_INFLATED_BYTES - 1] = 3;
    const blob = await sealRelayBlob(
      { base: Uint8Array.of(0), after: Uint8Array.of(0), update },
      at,
      keys.blobKey,
      ivOf,
    );
    const opened = await openRelayBlob(blob, at, keys.blobKey);
    expect(opened?.update.byteLength).toBe(MAX_INFLATED_BYTES);
    expect(opened?.update[MAX_INFLATED_BYTES - 1]).toBe(3);
  }, 120_000);
});

describe('a checkpoint at the relay', () => {
  const at = { mailbox: 'M'.repeat(43), deviceKey: 'K'.repeat(43), ck: 'C'.repeat(22) };
  const ivOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => 90 + i);
  /** Bytes that deflate poorly (a checkpoint's rows deflate to about half), from a seed. */
  const bundleOf = (length: number, seed = 1) => {
    const out = new Uint8Array(length);
    let x = seed;
    for (let i = 0; i < length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    return out;
  };

  it('is signed with its mailbox, device key, id, place and hash', () => {
    expect(checkpointPartMessage('M', 'K', 'C', 2, 3, 'H')).toBe(
      'larder relay checkpoint v1\nM\nK\nC\n2\n3\nH',
    );
  });

  it('is cut into parts of at most the relay’s size, each [1][IV][sealed], that open together to the bundle', async () => {
    const { keys } = await derive();
    const bundle = bundleOf(10_000);
    const parts = await sealRelayCheckpoint(bundle, at, keys.blobKey, ivOf, 3000);
    expect(parts.length).toBe(4);
    for (const part of parts) {
      expect(part.byteLength).toBeLessThanOrEqual(3000);
      expect(part[0]).toBe(1);
      expect(part.subarray(1, 13)).toEqual(ivOf(12));
    }
    expect(await openRelayCheckpoint(parts, at, keys.blobKey)).toEqual(bundle);
    // One part when it fits.
    const one = await sealRelayCheckpoint(bundle, at, keys.blobKey, ivOf, 1 << 20);
    expect(one.length).toBe(1);
    expect(await openRelayCheckpoint(one, at, keys.blobKey)).toEqual(bundle);
  });

  it('opens in steps, other work let run between the pieces it inflates', async () => {
    const { keys } = await derive();
    const bundle = bundleOf(300_000);
    const parts = await sealRelayCheckpoint(bundle, at, keys.blobKey, ivOf, 1 << 20);
    const { pause, pauses } = countingPause();
    expect(await openRelayCheckpoint(parts, at, keys.blobKey, pause)).toEqual(bundle);
    expect(pauses()).toBeGreaterThan(1);
  });

  it('takes parts of 1 MiB under the relay’s size, larger only when 16 of them would not hold it', async () => {
    const { keys } = await derive();
    expect(CHECKPOINT_PART_BYTES).toBe(1024 * 1024);
    const overhead = 1 + 12 + 16;
    // 3.5 MiB that do not deflate, under a relay taking 8 MB: four parts, three of exactly 1 MiB.
    const bundle = bundleOf(3.5 * 1024 * 1024);
    const parts = await sealRelayCheckpoint(bundle, at, keys.blobKey, ivOf, 8 * 1024 * 1024);
    expect(parts.length).toBe(4);
    expect(parts.slice(0, 3).map((p) => p.byteLength)).toEqual(
      Array(3).fill(CHECKPOINT_PART_BYTES + overhead),
    );
    const whole = await openRelayCheckpoint(parts, at, keys.blobKey);
    // Compared as buffers: a deep comparison of megabytes takes the test runner seconds.
    expect(whole && Buffer.from(whole).equals(bundle)).toBe(true);
    // 20 MiB: 16 parts of 1 MiB would not hold it, so 16 larger ones.
    const large = bundleOf(20 * 1024 * 1024, 3);
    const sixteen = await sealRelayCheckpoint(large, at, keys.blobKey, ivOf, 8 * 1024 * 1024);
    expect(sixteen.length).toBe(16);
    expect(sixteen[0]!.byteLength).toBeGreaterThan(CHECKPOINT_PART_BYTES + overhead);
    expect(sixteen[0]!.byteLength).toBeLessThan(1.3 * CHECKPOINT_PART_BYTES + overhead);
    const opened = await openRelayCheckpoint(sixteen, at, keys.blobKey);
    expect(opened && Buffer.from(opened).equals(large)).toBe(true);
  }, 60_000);

  it('opens to nothing with a part missing, moved, changed or another checkpoint’s, or elsewhere', async () => {
    const { keys, other } = await derive();
    const parts = await sealRelayCheckpoint(bundleOf(10_000), at, keys.blobKey, ivOf, 3000);
    // Another checkpoint of the same device (another id).
    const otherParts = await sealRelayCheckpoint(
      bundleOf(10_000, 2),
      { ...at, ck: 'D'.repeat(22) },
      keys.blobKey,
      ivOf,
      3000,
    );
    const none = async (ps: Uint8Array[], where = at, key = keys.blobKey) =>
      expect(await openRelayCheckpoint(ps, where, key)).toBeNull();
    await none(parts.slice(0, 3));
    await none(parts.slice(1));
    await none([parts[1]!, parts[0]!, parts[2]!, parts[3]!]);
    await none([parts[0]!, otherParts[1]!, parts[2]!, parts[3]!]);
    const changed = parts.map((p) => p.slice());
    changed[2]![40]! ^= 1;
    await none(changed);
    await none([]);
    await none(parts, { ...at, mailbox: 'N'.repeat(43) });
    await none(parts, { ...at, deviceKey: 'L'.repeat(43) });
    await none(parts, { ...at, ck: 'D'.repeat(22) });
    await none(parts, at, other.blobKey);
    // Sealed as blobs are, but in a blob's place it opens to nothing (another AAD), nor a blob in its.
    expect(await openRelayBlob(parts[0]!, { ...at, seq: 1 }, keys.blobKey)).toBeNull();
  });

  it('opens to nothing when its whole does not inflate to the length it states', async () => {
    const { keys } = await derive();
    const bundle = bundleOf(500);
    const [part] = await sealRelayCheckpoint(bundle, at, keys.blobKey, ivOf, 1 << 20);
    expect(await openRelayCheckpoint([part!], at, keys.blobKey)).toEqual(bundle);
    // The same deflated bytes under another stated length, sealed as the client would.
    const { deflate } = await import('../../../shared/sync/compress');
    const { webcrypto } = await import('node:crypto');
    const sealAs = async (length: number) => {
      const packed = deflate(bundle);
      const head = Uint8Array.of((length & 0x7f) | 0x80, length >> 7);
      const plain = new Uint8Array([...head, ...packed]);
      const aad = new TextEncoder().encode(
        `larder relay checkpoint v1|${at.mailbox}|${at.deviceKey}|${at.ck}|0|1`,
      );
      const sealed = new Uint8Array(
        await webcrypto.subtle.encrypt(
          { name: 'AES-GCM', iv: ivOf(12), additionalData: aad, tagLength: 128 },
          keys.blobKey as never,
          plain,
        ),
      );
      return new Uint8Array([1, ...ivOf(12), ...sealed]);
    };
    expect(await openRelayCheckpoint([await sealAs(500)], at, keys.blobKey)).toEqual(bundle);
    expect(await openRelayCheckpoint([await sealAs(499)], at, keys.blobKey)).toBeNull();
    expect(await openRelayCheckpoint([await sealAs(501)], at, keys.blobKey)).toBeNull();
  });

  it('is refused when it would need more than 16 parts, when a part holds nothing, or past 64 MB', async () => {
    const { keys } = await derive();
    await expect(sealRelayCheckpoint(bundleOf(10_000), at, keys.blobKey, ivOf, 29 + 600)).rejects.toThrow(
      /more than the relay takes \(16\)/,
    );
    await expect(sealRelayCheckpoint(bundleOf(10), at, keys.blobKey, ivOf, 29)).rejects.toThrow(
      'The relay takes parts too small for a checkpoint',
    );
    await expect(
      sealRelayCheckpoint(new Uint8Array(MAX_INFLATED_BYTES + 1), at, keys.blobKey, ivOf, 1 << 23),
    ).rejects.toThrow('A checkpoint larger than 64 MB cannot go to the relay');
    await expect(
      sealRelayCheckpoint(bundleOf(10), at, keys.blobKey, (n) => ivOf(n - 1), 1 << 20),
    ).rejects.toThrow('randomBytes returned the wrong number of bytes');
    const parts = await sealRelayCheckpoint(bundleOf(10_000), at, keys.blobKey, ivOf, 29 + 700);
    expect(parts.length).toBe(MAX_CHECKPOINT_PARTS - 1);
    expect(await openRelayCheckpoint([...parts, parts[0]!, parts[0]!], at, keys.blobKey)).toBeNull();
  });
});
