import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DEFLATE_PUSH } from '../../../shared/sync/compress';
import { deriveSecrets, type CryptoKey } from '../../../shared/sync/keys';
import {
  openSyncFile,
  sealSyncFile,
  SYNC_FILE_MESSAGES as M,
  SYNC_FILE_VERSION,
  type SyncFileInput,
} from '../../../shared/sync/syncfile';
import { fcOptions } from '../arbitraries';

const NETWORK = 'k3v9q2m7x1c8b4z0';
const keyBytes = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + seed) & 0xff);
const fixedIv = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 1);

let fileKey: CryptoKey;
let otherKey: CryptoKey;
beforeAll(async () => {
  fileKey = (await deriveSecrets(keyBytes(1))).fileKey;
  otherKey = (await deriveSecrets(keyBytes(2))).fileKey;
});

function smallInput(): SyncFileInput {
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

const open = (bytes: Uint8Array, key = fileKey, networkId = NETWORK) =>
  openSyncFile(bytes, { networkId, fileKey: key });
const headerLength = (file: Uint8Array) => new DataView(file.buffer, file.byteOffset).getUint32(12);
const ALL_MESSAGES = new Set<string>(Object.values(M).map((m) => m.code));

/** The regions of a file, by byte position. */
function regionOf(file: Uint8Array, i: number): string {
  const h = headerLength(file);
  if (i < 11) return 'magic';
  if (i === 11) return 'version';
  if (i < 16) return 'length';
  if (i < 16 + h) return 'header';
  if (i < 28 + h) return 'iv';
  if (i < file.length - 16) return 'ciphertext';
  return 'tag';
}

describe('sync files', () => {
  it('round-trip: header and update come back as sealed', async () => {
    const input = smallInput();
    const file = await sealSyncFile(input, fileKey, fixedIv);
    expect(new TextDecoder().decode(file.subarray(0, 11))).toBe('LARDER-SYNC');
    expect(file[11]).toBe(2);
    const opened = await open(file);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    const { update, ...header } = input;
    expect(opened.header).toEqual(header);
    expect(opened.updates[0]!).toEqual(update);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, opened.updates[0]!);
    expect(doc.getMap('items').get('itma')).toEqual({ name: 'Rice' });
  });

  it('round-trip of a partial file made for a device, and of an empty update', async () => {
    const input = { ...smallInput(), since: true, forDevice: 'devb5678', update: new Uint8Array([0, 0]) };
    const opened = await open(await sealSyncFile(input, fileKey, fixedIv));
    expect(opened).toMatchObject({ ok: true, header: { since: true, forDevice: 'devb5678' } });
  });

  it('keeps the update secret and the header free of names', async () => {
    const input = smallInput();
    const file = await sealSyncFile(input, fileKey, fixedIv);
    const text = new TextDecoder('latin1').decode(file);
    expect(text).not.toContain('Rice');
    const header = JSON.parse(new TextDecoder().decode(file.subarray(16, 16 + headerLength(file)))) as object;
    expect(Object.keys(header).sort()).toEqual([
      'createdAt',
      'device',
      'for',
      'network',
      'since',
      'size',
      'stateVector',
    ]);
  });

  it('uses a fresh IV each time: the same input seals differently', async () => {
    let n = 0;
    const counter = (len: number) => new Uint8Array(len).fill(++n);
    const input = smallInput();
    const [a, b] = [await sealSyncFile(input, fileKey, counter), await sealSyncFile(input, fileKey, counter)];
    expect(a).not.toEqual(b);
  });

  it('refuses to seal an invalid header (a programming error)', async () => {
    await expect(sealSyncFile({ ...smallInput(), network: 'NOT AN ID' }, fileKey, fixedIv)).rejects.toThrow();
    await expect(sealSyncFile(smallInput(), fileKey, () => new Uint8Array(4))).rejects.toThrow();
  });

  it('says a file of another network belongs to another network, and returns nothing from it', async () => {
    const theirs = await sealSyncFile({ ...smallInput(), network: 'zzzz0000yyyy1111' }, otherKey, fixedIv);
    const opened = await open(theirs);
    expect(opened).toEqual({ ok: false, message: M.otherNetwork });
    expect('update' in opened).toBe(false);
  });

  it('says a file that claims this network but was sealed with another key is damaged', async () => {
    const forged = await sealSyncFile(smallInput(), otherKey, fixedIv);
    expect(await open(forged)).toEqual({ ok: false, message: M.damaged });
  });

  it('says a file from a newer Larder needs a newer Larder', async () => {
    const file = await sealSyncFile(smallInput(), fileKey, fixedIv);
    file[11] = SYNC_FILE_VERSION + 1;
    expect(await open(file)).toEqual({ ok: false, message: M.newer });
  });

  it('says a file of the first, uncompressed format is no longer read', async () => {
    const file = await sealSyncFile(smallInput(), fileKey, fixedIv);
    file[11] = 1;
    expect(await open(file)).toEqual({ ok: false, message: M.older });
  });

  it('deflates the update: a day of ledger entries is several times smaller, and comes back whole', async () => {
    const doc = new Y.Doc();
    doc.clientID = 42;
    const ledger = doc.getArray<unknown[]>('deva1234');
    for (let i = 0; i < 12_000; i++)
      ledger.push([[i, 1, 'huba1234', 'deva1234', `itm${i % 40}`, 1 + (i % 7), 1.7e12 + i]]);
    const input = { ...smallInput(), update: Y.encodeStateAsUpdate(doc) };
    expect(input.update.byteLength).toBeGreaterThan(DEFLATE_PUSH);
    const file = await sealSyncFile(input, fileKey, fixedIv);
    expect(file.byteLength).toBeLessThan(input.update.byteLength / 3);
    const opened = await open(file);
    expect(opened.ok && opened.updates[0]!).toEqual(input.update);

    // Deflated in steps (an export in the app lets the page run between them): the same update comes back.
    let pauses = 0;
    const paced = await sealSyncFile(input, fileKey, fixedIv, () => Promise.resolve(void pauses++));
    expect(pauses).toBe(Math.ceil(input.update.byteLength / DEFLATE_PUSH) - 1);
    expect(paced.byteLength).toBeLessThan(input.update.byteLength / 3);
    const reopened = await open(paced);
    expect(reopened.ok && reopened.updates[0]!).toEqual(input.update);
  });

  it('says other files are not sync files', async () => {
    const enc = new TextEncoder();
    for (const bytes of [
      new Uint8Array(0),
      enc.encode('LARDER-SYN'),
      enc.encode('LARDER-SYNC'),
      enc.encode('PK\u0003\u0004 a zip file'),
      enc.encode('%PDF-1.7 ...............................................'),
      enc.encode('larder-sync lower case ............................'),
    ])
      expect(await open(bytes)).toEqual({ ok: false, message: M.notSyncFile });
  });

  it('says an unreadable header is one', async () => {
    const file = await sealSyncFile(smallInput(), fileKey, fixedIv);
    const h = headerLength(file);
    const broken = new Uint8Array(file);
    broken[16] = '['.charCodeAt(0); // '{' -> '[': no longer the JSON object a header is
    expect(await open(broken)).toEqual({ ok: false, message: M.badHeader });
    const notUtf8 = new Uint8Array(file);
    notUtf8[16 + h - 2] = 0xff;
    expect(await open(notUtf8)).toEqual({ ok: false, message: M.badHeader });
  });

  it('authenticates the header: a changed header with the original ciphertext is damaged', async () => {
    const input = smallInput();
    const file = await sealSyncFile(input, fileKey, fixedIv);
    const h = headerLength(file);
    const header = JSON.parse(new TextDecoder().decode(file.subarray(16, 16 + h))) as Record<string, unknown>;
    const edited = new TextEncoder().encode(JSON.stringify({ ...header, since: true, for: 'devb5678' }));
    const out = new Uint8Array(16 + edited.length + (file.length - 16 - h));
    out.set(file.subarray(0, 16));
    new DataView(out.buffer).setUint32(12, edited.length);
    out.set(edited, 16);
    out.set(file.subarray(16 + h), 16 + edited.length);
    expect(await open(out)).toEqual({ ok: false, message: M.damaged });
  });

  it('refuses a file with any single byte changed, in every part of it', async () => {
    const file = await sealSyncFile(smallInput(), fileKey, fixedIv);
    expect(file.length).toBeLessThan(400);
    const refusedIn = new Map<string, Set<string>>();
    for (let i = 0; i < file.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = new Uint8Array(file);
        bad[i]! ^= mask;
        const r = await open(bad);
        expect(r.ok, `byte ${i} ^ ${mask} (${regionOf(file, i)}) was accepted`).toBe(false);
        if (r.ok) continue;
        expect(ALL_MESSAGES.has(r.message.code)).toBe(true);
        const region = regionOf(file, i);
        if (!refusedIn.has(region)) refusedIn.set(region, new Set());
        refusedIn.get(region)!.add(r.message.code);
      }
    }
    expect([...refusedIn.keys()].sort()).toEqual(
      ['ciphertext', 'header', 'iv', 'length', 'magic', 'tag', 'version'].sort(),
    );
    expect(refusedIn.get('magic')).toEqual(new Set([M.notSyncFile.code]));
    for (const region of ['iv', 'ciphertext', 'tag'])
      expect(refusedIn.get(region)).toEqual(new Set([M.damaged.code]));
  });

  it('refuses the file cut at every length', async () => {
    const file = await sealSyncFile(smallInput(), fileKey, fixedIv);
    for (let n = 0; n < file.length; n++) {
      const r = await open(file.slice(0, n));
      expect(r.ok, `cut to ${n} bytes`).toBe(false);
    }
    // ...and with bytes added at the end.
    expect((await open(new Uint8Array([...file, 0]))).ok).toBe(false);
  });

  it('property: random bytes, with or without a valid start, are refused and never throw', async () => {
    const file = await sealSyncFile(smallInput(), fileKey, fixedIv);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }).map((tail) => new Uint8Array([...file.subarray(0, 12), ...tail])),
          fc.uint8Array({ maxLength: 300 }).map((tail) => new Uint8Array([...file.subarray(0, 16), ...tail])),
          fc
            .tuple(fc.nat(file.length), fc.uint8Array({ minLength: 1, maxLength: 40 }))
            .map(([at, junk]) => new Uint8Array([...file.subarray(0, at), ...junk, ...file.subarray(at)])),
        ),
        async (bytes) => {
          const r = await open(bytes);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(ALL_MESSAGES.has(r.message.code)).toBe(true);
        },
      ),
      fcOptions(),
    );
  });

  it('never throws, whatever it is given', async () => {
    for (const junk of [null, undefined, 'LARDER-SYNC', 42, {}, [1, 2, 3], new ArrayBuffer(20)])
      expect((await open(junk as unknown as Uint8Array)).ok).toBe(false);
    // A key that cannot decrypt is a failure to open, not an exception.
    const file = await sealSyncFile(smallInput(), fileKey, fixedIv);
    const encryptOnly = await crypto.subtle.importKey('raw', new Uint8Array(32), 'AES-GCM', false, [
      'encrypt',
    ]);
    expect(await open(file, encryptOnly)).toEqual({ ok: false, message: M.damaged });
  });

  it('opens a file held in a view into a larger buffer', async () => {
    const file = await sealSyncFile(smallInput(), fileKey, fixedIv);
    const big = new Uint8Array(file.length + 10);
    big.set(file, 5);
    expect((await open(big.subarray(5, 5 + file.length))).ok).toBe(true);
  });
});
