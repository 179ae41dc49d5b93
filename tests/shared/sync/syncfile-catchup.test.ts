import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { toBase64Url } from '../../../shared/sync/encoding';
import { deriveSecrets, type CryptoKey } from '../../../shared/sync/keys';
import {
  openSyncFile,
  readCatchUp,
  sealSyncFile,
  SYNC_FILE_MESSAGES as M,
  type CatchUp,
  type SyncFileInput,
} from '../../../shared/sync/syncfile';
import { ValidationError, issue } from '../../../shared/errors';
import { msg } from '../../../shared/messages';

/**
 * After a key rotation, a sync file sealed with the new key carries the new key sealed to each device that
 * was away, under the previous file key: a device that still holds the old key reads its own copy, and
 * nothing else of the file.
 */

const NETWORK = 'k3v9q2m7x1c8b4z0';
const keyBytes = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + seed) & 0xff);
const counterBytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

let oldKey: CryptoKey;
let newKey: CryptoKey;
let strangerKey: CryptoKey;
beforeAll(async () => {
  const key = async (seed: number) => (await deriveSecrets(keyBytes(seed))).fileKey;
  oldKey = await key(1);
  newKey = await key(2);
  strangerKey = await key(3);
});

const keys: CatchUp = { epoch: 2, sealed: { devb1234: 'sealed-for-b', devc1234: 'sealed-for-c' } };

function input(extra: Partial<SyncFileInput> = {}): SyncFileInput {
  const doc = new Y.Doc();
  doc.clientID = 42;
  doc.getMap('items').set('itma', { name: 'Rice' });
  return {
    network: NETWORK,
    device: 'deva1234',
    createdAt: Date.UTC(2025, 5, 1),
    stateVector: Y.encodeStateVector(doc),
    since: false,
    forDevice: null,
    update: Y.encodeStateAsUpdate(doc),
    ...extra,
  };
}

/** A file's first bytes with this header: what readCatchUp reads (it needs nothing after the header). */
function withHeader(header: unknown, declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(16 + json.length);
  out.set(new TextEncoder().encode('LARDER-SYNC'));
  out[11] = 2;
  new DataView(out.buffer).setUint32(12, declaredLength ?? json.length);
  out.set(json, 16);
  return out;
}

function headerOf(file: Uint8Array): Record<string, unknown> {
  const length = new DataView(file.buffer, file.byteOffset).getUint32(12);
  return JSON.parse(new TextDecoder().decode(file.subarray(16, 16 + length))) as Record<string, unknown>;
}

describe('sync files after a key rotation', () => {
  it('a device that was away reads the new keys with its old file key, and the content with the new one', async () => {
    const file = await sealSyncFile(
      input({ catchUp: { keys, previousFileKey: oldKey } }),
      newKey,
      counterBytes,
    );
    expect(await readCatchUp(file, oldKey)).toEqual(keys);
    const opened = await openSyncFile(file, { networkId: NETWORK, fileKey: newKey });
    expect(opened.ok && new Uint8Array(opened.updates[0]!)).toEqual(input().update);
    // The old key opens the catch-up only, never the content.
    expect(await openSyncFile(file, { networkId: NETWORK, fileKey: oldKey })).toEqual({
      ok: false,
      message: M.damaged,
    });
  });

  it('a device that missed two or three rotations reads the catch-up with the older file key it holds', async () => {
    const olderKey = (await deriveSecrets(keyBytes(4))).fileKey;
    const oldestKey = (await deriveSecrets(keyBytes(5))).fileKey;
    const file = await sealSyncFile(
      input({ catchUp: { keys, previousFileKey: oldKey, olderFileKeys: [olderKey, oldestKey] } }),
      newKey,
      counterBytes,
    );
    for (const held of [oldKey, olderKey, oldestKey]) expect(await readCatchUp(file, held)).toEqual(keys);
    // Each older key opens its own sealed copy of the catch-up only, never the content.
    expect(await openSyncFile(file, { networkId: NETWORK, fileKey: oldestKey })).toEqual({
      ok: false,
      message: M.damaged,
    });
    expect(await readCatchUp(file, strangerKey)).toBeNull();
    expect(await readCatchUp(file, newKey)).toBeNull();
  });

  it('refuses more older copies than a file may carry', async () => {
    const file = await sealSyncFile(
      input({ catchUp: { keys, previousFileKey: oldKey, olderFileKeys: [oldKey] } }),
      newKey,
      counterBytes,
    );
    const header = headerOf(file);
    const copies = header.catchUpOlder as string[];
    expect(copies).toHaveLength(1);
    const many = withHeader({ ...header, catchUpOlder: Array.from({ length: 9 }, () => copies[0]) });
    expect(await readCatchUp(many, oldKey)).toBeNull();
    expect(await readCatchUp(withHeader({ ...header, catchUpOlder: copies }), oldKey)).toEqual(keys);
  });

  it('a device without the previous key finds nothing to read', async () => {
    const file = await sealSyncFile(
      input({ catchUp: { keys, previousFileKey: oldKey } }),
      newKey,
      counterBytes,
    );
    expect(await readCatchUp(file, newKey)).toBeNull();
    expect(await readCatchUp(file, strangerKey)).toBeNull();
  });

  it('a file made without a rotation carries no catch-up', async () => {
    const file = await sealSyncFile(input(), newKey, counterBytes);
    expect(headerOf(file)).not.toHaveProperty('catchUp');
    expect(await readCatchUp(file, oldKey)).toBeNull();
    expect(await readCatchUp(file, newKey)).toBeNull();
  });

  it('reads a file held in a view into a larger buffer', async () => {
    const file = await sealSyncFile(
      input({ catchUp: { keys, previousFileKey: oldKey } }),
      newKey,
      counterBytes,
    );
    const big = new Uint8Array(file.length + 10);
    big.set(file, 7);
    expect(await readCatchUp(big.subarray(7, 7 + file.length), oldKey)).toEqual(keys);
  });

  it('the catch-up is sealed with its own random IV and changes with any altered byte', async () => {
    const file = await sealSyncFile(
      input({ catchUp: { keys, previousFileKey: oldKey } }),
      newKey,
      counterBytes,
    );
    const header = headerOf(file);
    const blob = String(header.catchUp);
    // IV first: the first 12 bytes the random source gave (the file's own IV comes after).
    expect(blob.startsWith(toBase64Url(counterBytes(12)).slice(0, 16))).toBe(true);
    for (const at of [0, 20, blob.length - 1]) {
      const flipped = blob.slice(0, at) + (blob[at] === 'A' ? 'B' : 'A') + blob.slice(at + 1);
      expect(await readCatchUp(withHeader({ ...header, catchUp: flipped }), oldKey), String(at)).toBeNull();
    }
    expect(await readCatchUp(withHeader(header), oldKey)).toEqual(keys);
  });

  it('refuses what is not a catch-up, without throwing', async () => {
    const file = await sealSyncFile(
      input({ catchUp: { keys, previousFileKey: oldKey } }),
      newKey,
      counterBytes,
    );
    const header = headerOf(file);
    const notCatchUps: [string, Uint8Array][] = [
      ['nothing', new Uint8Array(0)],
      ['too short for a header length', file.subarray(0, 15)],
      ['a header longer than the file', withHeader(header, 100_000)],
      ['a header length past 1 MB', withHeader(header, 2 ** 20 + 1)],
      ['a header that is not JSON', withHeader('x').map((b, i) => (i === 16 ? 0x7b : b))],
      ['a header of another shape', withHeader({ ...header, since: 'no' })],
      [
        'a blob too short to hold an IV and a tag',
        withHeader({ ...header, catchUp: toBase64Url(new Uint8Array(27)) }),
      ],
      ['a blob that is not base64url', withHeader({ ...header, catchUp: '*'.repeat(60) })],
    ];
    for (const [label, bytes] of notCatchUps) expect(await readCatchUp(bytes, oldKey), label).toBeNull();
    expect(await readCatchUp('a file' as unknown as Uint8Array, oldKey)).toBeNull();
    // Sealed with the right key but not holding a catch-up (an epoch must be 1 or more).
    const odd = await sealSyncFile(
      input({ catchUp: { keys: { epoch: 0, sealed: {} }, previousFileKey: oldKey } }),
      newKey,
      counterBytes,
    );
    expect(await readCatchUp(odd, oldKey)).toBeNull();
  });
});

describe('sealing refuses what no file may hold (programming errors)', () => {
  it('an update past 64 MB', async () => {
    const huge = input({ update: new Uint8Array(64 * 1024 * 1024 + 1) });
    const refused = await sealSyncFile(huge, newKey, counterBytes).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues).toEqual([
      issue('', msg('syncFile.networkTooLarge', { megabytes: 64 })),
    ]);
  });

  it('a header past 1 MB, and a random source that gives the wrong number of bytes', async () => {
    const sealed = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`dev${String(i).padStart(5, '0')}`, 'x'.repeat(200)]),
    );
    const big = input({
      stateVector: new Uint8Array(760_000),
      catchUp: { keys: { epoch: 3, sealed }, previousFileKey: oldKey },
    });
    await expect(sealSyncFile(big, newKey, counterBytes)).rejects.toThrow('sync file header too large');
    await expect(sealSyncFile(input(), newKey, (n) => new Uint8Array(n - 1))).rejects.toThrow(
      'randomBytes returned the wrong number of bytes',
    );
  });
});
