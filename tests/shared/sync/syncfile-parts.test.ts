import { deflateSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { docParts } from '../../../shared/sync/docParts';
import { MAX_INFLATED_BYTES } from '../../../shared/sync/compress';
import { deriveSecrets, type CryptoKey } from '../../../shared/sync/keys';
import { ValidationError } from '../../../shared/errors';
import { msg } from '../../../shared/messages';
import {
  MAX_FILE_INFLATED_BYTES,
  MAX_FILE_PARTS,
  openSyncFile,
  sealSyncFile,
  SYNC_FILE_MESSAGES as M,
  SYNC_FILE_VERSION,
  type SyncFileInput,
} from '../../../shared/sync/syncfile';
import { concatBytes } from '../../../shared/sync/encoding';

/**
 * A network whose state is more than one update may carry goes in a file of several parts (format 3):
 * each sealed on its own, bound to the header and to its place, so that a part dropped, repeated, moved or
 * cut short makes the whole file damaged.
 */

const NETWORK = 'k3v9q2m7x1c8b4z0';
const keyBytes = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + seed) & 0xff);
let counter = 0;
const ivs = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i + ++counter) & 0xff);

let fileKey: CryptoKey;
beforeAll(async () => {
  fileKey = (await deriveSecrets(keyBytes(1))).fileKey;
});

/** A doc of a few hundred values in a list and some settings, and its parts of about 2 kB. */
function partsInput(): { doc: Y.Doc; input: SyncFileInput } {
  const doc = new Y.Doc();
  doc.clientID = 42;
  const log = doc.getArray<string>('log');
  for (let i = 0; i < 300; i++) log.insert(0, [`line ${i} of a hub's day`]);
  doc.getMap('items').set('itma', { name: 'Rice' });
  const { parts } = docParts(doc, undefined, { maxBytes: 2048 });
  expect(parts.length).toBeGreaterThan(3);
  return {
    doc,
    input: {
      network: NETWORK,
      device: 'deva1234',
      createdAt: Date.UTC(2025, 5, 1),
      stateVector: Y.encodeStateVector(doc),
      since: false,
      forDevice: null,
      update: parts,
    },
  };
}

const open = (bytes: Uint8Array) => openSyncFile(bytes, { networkId: NETWORK, fileKey });
const headerEnd = (file: Uint8Array) => 16 + new DataView(file.buffer, file.byteOffset).getUint32(12);

/** The file's parts as [start, end) byte ranges, each [length][IV][ciphertext and tag]. */
function partRanges(file: Uint8Array): [number, number][] {
  const ranges: [number, number][] = [];
  for (let at = headerEnd(file); at < file.length;) {
    const length = new DataView(file.buffer, file.byteOffset + at).getUint32(0);
    ranges.push([at, at + 4 + length]);
    at += 4 + length;
  }
  return ranges;
}

/** A file of `version` whose header is `header`, sealed part by part as syncfile.ts describes (format 3). */
async function craft(version: number, header: object, parts: Uint8Array[]): Promise<Uint8Array> {
  const text = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(16 + text.length);
  prefix.set(new TextEncoder().encode('LARDER-SYNC'), 0);
  prefix[11] = version;
  new DataView(prefix.buffer).setUint32(12, text.length);
  prefix.set(text, 16);
  const chunks: Uint8Array[] = [prefix];
  for (const [i, part] of parts.entries()) {
    const additional = new Uint8Array(prefix.length + 4);
    additional.set(prefix);
    new DataView(additional.buffer).setUint32(prefix.length, i);
    const iv = new Uint8Array(12).fill(i + 1);
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: version === 2 ? prefix : additional, tagLength: 128 },
        fileKey,
        new Uint8Array(deflateSync(part)),
      ),
    );
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, 12 + sealed.length);
    chunks.push(...(version === 2 ? [] : [length]), iv, sealed);
  }
  return concatBytes(chunks);
}

const header = (sizes: number[]) => ({
  network: NETWORK,
  device: 'deva1234',
  createdAt: Date.UTC(2025, 5, 1),
  stateVector: 'AA',
  since: false,
  for: null,
  size: sizes.reduce((n, x) => n + x, 0),
  parts: sizes,
});

describe('sync files in parts', () => {
  it('round-trip: format 3, each part back in order, the doc they make the same', async () => {
    const { doc, input } = partsInput();
    const parts = input.update as Uint8Array[];
    const file = await sealSyncFile(input, fileKey, ivs);
    expect(file[11]).toBe(3);
    // The newest format read is 4, a file with a checkpoint (below); without one, parts are format 3.
    expect(SYNC_FILE_VERSION).toBe(4);
    const header = JSON.parse(new TextDecoder().decode(file.subarray(16, headerEnd(file))));
    expect(header.parts).toEqual(parts.map((p) => p.byteLength));
    expect(header.size).toBe(parts.reduce((n, p) => n + p.byteLength, 0));
    expect(partRanges(file)).toHaveLength(parts.length);
    const opened = await open(file);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.updates).toEqual(parts);
    const copy = new Y.Doc();
    for (const update of opened.updates) Y.applyUpdate(copy, update);
    expect(copy.getArray('log').toJSON()).toEqual(doc.getArray('log').toJSON());
  });

  it('one part is written as format 2, which earlier Larders read', async () => {
    const { input } = partsInput();
    const one = [(input.update as Uint8Array[])[0]!];
    const file = await sealSyncFile({ ...input, update: one }, fileKey, ivs);
    expect(file[11]).toBe(2);
    expect(JSON.parse(new TextDecoder().decode(file.subarray(16, headerEnd(file)))).parts).toBeUndefined();
    expect(await open(file)).toMatchObject({ ok: true, updates: one });
  });

  it('a part dropped, repeated, moved, cut short or altered, or bytes added: damaged', async () => {
    const { input } = partsInput();
    const file = await sealSyncFile(input, fileKey, ivs);
    const head = file.subarray(0, headerEnd(file));
    const parts = partRanges(file).map(([a, b]) => file.subarray(a, b));
    const altered = file.slice();
    altered[partRanges(file)[2]![0] + 20]! ^= 1;
    const longer = file.slice();
    new DataView(longer.buffer).setUint32(partRanges(file)[1]![0], parts[1]!.length - 4 + 1);
    for (const [what, bytes] of [
      ['dropped', concatBytes([head, ...parts.slice(0, -1)])],
      ['repeated', concatBytes([head, parts[0]!, ...parts.slice(0, -1)])],
      ['moved', concatBytes([head, parts[1]!, parts[0]!, ...parts.slice(2)])],
      ['cut short', file.subarray(0, file.length - 1)],
      ['cut inside a length', file.subarray(0, partRanges(file)[1]![0] + 2)],
      ['altered', altered],
      ['a length that runs into the next part', longer],
      ['added to', concatBytes([file, Uint8Array.of(0)])],
      ['a part added', concatBytes([file, parts[0]!])],
    ] as const)
      expect(await open(bytes), what).toEqual({ ok: false, message: M.damaged });
    // A part's seal covers its place: the same part sealed as the first does not open as the second.
    expect(await open(file)).toMatchObject({ ok: true });
  });

  it('parts of the same size, swapped: damaged (each part is sealed to its place, not only to its size)', async () => {
    const { input } = partsInput();
    const file = await sealSyncFile(
      { ...input, update: [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6)] },
      fileKey,
      ivs,
    );
    const [first, second] = partRanges(file).map(([a, b]) => file.subarray(a, b));
    expect(await open(concatBytes([file.subarray(0, headerEnd(file)), second!, first!]))).toEqual({
      ok: false,
      message: M.damaged,
    });
    expect(await open(file)).toMatchObject({
      ok: true,
      updates: [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6)],
    });
  });

  it('a header that does not match its format, or a part larger than one may be: refused before decrypting', async () => {
    const parts = [Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5)];
    // As crafted, they open: the crafting is faithful.
    expect(await open(await craft(3, header([2, 3]), parts))).toMatchObject({ ok: true, updates: parts });
    const { parts: _, ...onePart } = header([2]);
    expect(await open(await craft(2, onePart, [parts[0]!]))).toMatchObject({ ok: true, updates: [parts[0]] });
    // Format 3 must list its parts, and format 2 must not.
    expect(await open(await craft(3, onePart, [parts[0]!]))).toEqual({ ok: false, message: M.badHeader });
    expect(await open(await craft(2, header([2]), [parts[0]!]))).toEqual({ ok: false, message: M.badHeader });
    // One part (not the first) stated larger than a part may be: too large, as a format 2 file's size.
    expect(await open(await craft(3, header([2, MAX_INFLATED_BYTES + 1]), parts))).toEqual({
      ok: false,
      message: M.tooLarge,
    });
    // Parts each within the limit that together pass what one file may inflate to (1 GiB): too large, before
    // anything is decrypted or inflated.
    expect(MAX_FILE_INFLATED_BYTES).toBe(1024 * 2 ** 20);
    const most = Array.from({ length: 16 }, () => MAX_INFLATED_BYTES);
    expect(await open(await craft(3, header([...most, 2]), parts))).toEqual({
      ok: false,
      message: msg('syncFile.tooLarge', { megabytes: 1024 }),
    });
    expect(await open(await craft(3, header([...most.slice(1), 2]), parts))).toEqual({
      ok: false,
      message: M.damaged,
    });
    // A part that inflates to other than its stated size.
    expect(await open(await craft(3, header([2, 4]), parts))).toEqual({ ok: false, message: M.damaged });
  });

  it('with a checkpoint: format 4, its bytes after the update in parts of their own, each sealed to its place', async () => {
    const { input } = partsInput();
    const checkpoint = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
    for (const update of [input.update, (input.update as Uint8Array[])[0]!]) {
      const file = await sealSyncFile({ ...input, update, checkpoint }, fileKey, ivs);
      expect(file[11]).toBe(4);
      const updates = update instanceof Uint8Array ? [update] : [...update];
      const stated = JSON.parse(new TextDecoder().decode(file.subarray(16, headerEnd(file))));
      expect(stated.checkpoint).toEqual([5000]);
      expect(stated.size).toBe(updates.reduce((n, p) => n + p.byteLength, 0));
      expect(partRanges(file)).toHaveLength(updates.length + 1);
      expect(await open(file)).toEqual({ ok: true, header: expect.anything(), updates, checkpoint });
      // The checkpoint's part moved before the update's, or dropped: damaged.
      const head = file.subarray(0, headerEnd(file));
      const parts = partRanges(file).map(([a, b]) => file.subarray(a, b));
      for (const bytes of [
        concatBytes([head, parts.at(-1)!, ...parts.slice(0, -1)]),
        concatBytes([head, ...parts.slice(0, -1)]),
      ])
        expect(await open(bytes)).toEqual({ ok: false, message: M.damaged });
    }
    // Without one, the file is as before (format 2 or 3) and opens with no checkpoint.
    const without = await open(await sealSyncFile(input, fileKey, ivs));
    expect(without.ok && 'checkpoint' in without).toBe(false);
  });

  it('a checkpoint only in format 4, and format 4 only with one', async () => {
    const parts = [Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5)];
    const cp = Uint8Array.of(9, 8, 7, 6);
    const { parts: _, ...onePart } = header([2]);
    // As crafted, they open: one update part (its size in `size`) or several (in `parts`), then the checkpoint.
    expect(await open(await craft(4, { ...onePart, checkpoint: [4] }, [parts[0]!, cp]))).toMatchObject({
      ok: true,
      updates: [parts[0]],
      checkpoint: cp,
    });
    expect(
      await open(
        await craft(4, { ...header([2, 3]), checkpoint: [2, 2] }, [
          ...parts,
          cp.subarray(0, 2),
          cp.subarray(2),
        ]),
      ),
    ).toMatchObject({
      ok: true,
      updates: parts,
      checkpoint: cp,
    });
    // Format 4 without one, formats 2 and 3 with one: refused.
    expect(await open(await craft(4, header([2, 3]), parts))).toEqual({ ok: false, message: M.badHeader });
    expect(await open(await craft(3, { ...header([2, 3]), checkpoint: [4] }, [...parts, cp]))).toEqual({
      ok: false,
      message: M.badHeader,
    });
    expect(await open(await craft(2, { ...onePart, checkpoint: [4] }, [parts[0]!]))).toEqual({
      ok: false,
      message: M.badHeader,
    });
    // A checkpoint stated larger than a part may be, or the file over what it may inflate to: too large.
    expect(
      await open(await craft(4, { ...onePart, checkpoint: [MAX_INFLATED_BYTES + 1] }, [parts[0]!, cp])),
    ).toEqual({
      ok: false,
      message: M.tooLarge,
    });
    const most = Array.from({ length: 16 }, () => MAX_INFLATED_BYTES);
    expect(await open(await craft(4, { ...onePart, checkpoint: most }, [parts[0]!, cp]))).toEqual({
      ok: false,
      message: msg('syncFile.tooLarge', { megabytes: 1024 }),
    });
    // More parts, update and checkpoint together, than a file holds.
    const many = Array.from({ length: MAX_FILE_PARTS }, () => 1);
    expect(await open(await craft(4, { ...header([1, 1]), checkpoint: many }, parts))).toEqual({
      ok: false,
      message: M.badHeader,
    });
  });

  it('refuses to seal a part over what one part may inflate to, or more parts than a file holds', async () => {
    const { input } = partsInput();
    const big = new Uint8Array(MAX_INFLATED_BYTES + 1);
    const refused = await sealSyncFile(
      { ...input, update: [new Uint8Array([0, 0]), big] },
      fileKey,
      ivs,
    ).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues).toEqual([
      { field: '', ...msg('syncFile.networkTooLarge', { megabytes: 64 }) },
    ]);
    const many = Array.from({ length: MAX_FILE_PARTS + 1 }, () => new Uint8Array([0, 0]));
    await expect(sealSyncFile({ ...input, update: many }, fileKey, ivs)).rejects.toThrow(/1 to 1024 parts/);
    await expect(sealSyncFile({ ...input, update: [] }, fileKey, ivs)).rejects.toThrow(/not 0/);
    const most = Array.from({ length: MAX_FILE_PARTS }, () => new Uint8Array([0, 0]));
    const opened = await open(await sealSyncFile({ ...input, update: most }, fileKey, ivs));
    expect(opened.ok && opened.updates).toHaveLength(MAX_FILE_PARTS);
  });
});
