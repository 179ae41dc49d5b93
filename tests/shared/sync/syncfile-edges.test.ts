import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { deflate, MAX_INFLATED_BYTES } from '../../../shared/sync/compress';
import { toBase64Url } from '../../../shared/sync/encoding';
import { deriveSecrets, type CryptoKey } from '../../../shared/sync/keys';
import {
  openSyncFile,
  readCatchUp,
  sealSyncFile,
  SYNC_FILE_MESSAGES as M,
  type SyncFileInput,
} from '../../../shared/sync/syncfile';

/**
 * What a volunteer is told about a sync file that is cut short, or whose header a faulty exporter wrote
 * wrongly but sealed with the right key: each case gets the one message that fits it (a cut file is
 * "damaged", never "its description cannot be read"), and nothing is imported.
 */

const NETWORK = 'k3v9q2m7x1c8b4z0';
let fileKey: CryptoKey;
let previousKey: CryptoKey;
beforeAll(async () => {
  fileKey = (await deriveSecrets(Uint8Array.from({ length: 32 }, (_, i) => i * 5))).fileKey;
  previousKey = (await deriveSecrets(Uint8Array.from({ length: 32 }, (_, i) => i * 3))).fileKey;
});

const fixedIv = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 1);
const open = (file: Uint8Array) => openSyncFile(file, { networkId: NETWORK, fileKey });

function input(): SyncFileInput {
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
  };
}

/** A well-formed header as sealSyncFile writes it, for an update of `size` bytes. */
const goodHeader = (size: number) => ({
  network: NETWORK,
  device: 'deva1234',
  createdAt: Date.UTC(2025, 5, 1),
  stateVector: toBase64Url(Y.encodeStateVector(new Y.Doc())),
  since: false,
  for: null,
  size,
});

/** A file laid out as syncfile.ts describes, its header any bytes, sealed with the network's file key. */
async function craft(header: Uint8Array, update: Uint8Array): Promise<Uint8Array> {
  const prefix = new Uint8Array(16 + header.length);
  prefix.set(new TextEncoder().encode('LARDER-SYNC'), 0);
  prefix[11] = 2;
  new DataView(prefix.buffer).setUint32(12, header.length);
  prefix.set(header, 16);
  const iv = new Uint8Array(12).fill(7);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: prefix, tagLength: 128 },
      fileKey,
      new Uint8Array(deflate(update)),
    ),
  );
  const file = new Uint8Array(prefix.length + 12 + sealed.length);
  file.set(prefix, 0);
  file.set(iv, prefix.length);
  file.set(sealed, prefix.length + 12);
  return file;
}
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const update = Y.encodeStateAsUpdate(new Y.Doc());

describe('a file cut short', () => {
  it('is not a sync file up to its 11-byte mark, and damaged from the version byte on', async () => {
    const file = await sealSyncFile(input(), fileKey, fixedIv);
    for (let n = 0; n < file.length; n++) {
      const expected = n <= 11 ? M.notSyncFile : M.damaged;
      expect(await open(file.slice(0, n)), `cut to ${n} bytes`).toEqual({ ok: false, message: expected });
    }
  });

  it('is damaged when its length field says more than the file holds, or more than 1 MiB', async () => {
    const file = await sealSyncFile(input(), fileKey, fixedIv);
    for (const length of [0xffffffff, (1 << 20) + 1, file.length]) {
      const bad = new Uint8Array(file);
      new DataView(bad.buffer).setUint32(12, length);
      expect(await open(bad), String(length)).toEqual({ ok: false, message: M.damaged });
    }
  });
});

describe('a header written wrongly but sealed with the right key', () => {
  it('opens when it is what sealSyncFile writes (the crafting is faithful)', async () => {
    const opened = await open(await craft(json(goodHeader(update.byteLength)), update));
    expect(opened).toMatchObject({ ok: true, updates: [update] });
  });

  it('cannot be read when a field is missing, though it is valid JSON', async () => {
    const { size: _size, ...noSize } = goodHeader(update.byteLength);
    expect(await open(await craft(json(noSize), update))).toEqual({ ok: false, message: M.badHeader });
  });

  it('cannot be read when it is not UTF-8, even inside a string JSON would take', async () => {
    const text = JSON.stringify({ ...goodHeader(update.byteLength), x: 'ab' });
    const bytes = new TextEncoder().encode(text);
    bytes[text.indexOf('"ab"') + 1] = 0xff; // "a" becomes a byte no UTF-8 text holds
    expect(await open(await craft(bytes, update))).toEqual({ ok: false, message: M.badHeader });
    expect(await readCatchUp(await craft(bytes, update), previousKey)).toBeNull();
  });

  it('cannot be read when its state vector is not one, though it is base64url', async () => {
    // A state vector that announces five clients and holds none.
    const header = { ...goodHeader(update.byteLength), stateVector: toBase64Url(Uint8Array.of(5)) };
    expect(await open(await craft(json(header), update))).toEqual({ ok: false, message: M.badHeader });
    const notBase64 = { ...goodHeader(update.byteLength), stateVector: 'not base64!' };
    expect(await open(await craft(json(notBase64), update))).toEqual({ ok: false, message: M.badHeader });
  });

  it('is damaged when the update inflates to more or less than the size it states', async () => {
    for (const size of [update.byteLength + 1, update.byteLength - 1])
      expect(await open(await craft(json(goodHeader(size)), update))).toEqual({
        ok: false,
        message: M.damaged,
      });
  });
});

describe('sealing', () => {
  it('names what is wrong with an invalid header', async () => {
    await expect(sealSyncFile({ ...input(), network: 'NOT AN ID' }, fileKey, fixedIv)).rejects.toThrow(
      /^invalid sync file header: \S/,
    );
  });

  it('refuses an update past 64 MB before doing anything with it', async () => {
    let asked = 0;
    const big = { ...input(), update: new Uint8Array(MAX_INFLATED_BYTES + 1) };
    await expect(
      sealSyncFile(big, fileKey, (n) => {
        asked++;
        return fixedIv(n);
      }),
    ).rejects.toThrow();
    expect(asked).toBe(0);
  });
});
