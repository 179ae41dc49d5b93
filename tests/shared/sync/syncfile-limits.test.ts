import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_INFLATED_BYTES } from '../../../shared/sync/compress';
import { toBase64Url } from '../../../shared/sync/encoding';
import { deriveSecrets, type CryptoKey } from '../../../shared/sync/keys';
import {
  MAX_OLDER_CATCH_UPS,
  openSyncFile,
  readCatchUp,
  sealSyncFile,
  SYNC_FILE_MESSAGES as M,
  type CatchUp,
  type SyncFileInput,
} from '../../../shared/sync/syncfile';
import { MAX_SEALED } from '../../../shared/trust/members';

/**
 * The two limits a sync file has, at exactly the limit and one past it: the update it carries (64 MiB once
 * inflated, about a 1M-entry network's whole doc) and its readable header (1 MiB, a state vector of ~50,000
 * Yjs clients). A network exactly at a limit still travels by file; one byte more is refused when sealing,
 * and a file past it that some other exporter wrote is refused when opening.
 */

const NETWORK = 'k3v9q2m7x1c8b4z0';
const MIB = 1 << 20;
const keyOf = async (seed: number) =>
  (await deriveSecrets(Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + seed) & 0xff))).fileKey;
let fileKey: CryptoKey;
let previousKey: CryptoKey;
beforeAll(async () => {
  fileKey = await keyOf(0);
  previousKey = await keyOf(1);
});
const keys: CatchUp = { epoch: 3, sealed: { devb1234: 'sealed-for-b' } };

const fixedIv = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 9);
const open = (file: Uint8Array) => openSyncFile(file, { networkId: NETWORK, fileKey });
const headerLengthOf = (file: Uint8Array) => new DataView(file.buffer, file.byteOffset).getUint32(12);

/**
 * A state vector that Yjs reads as "no clients" (its first varint is 0) padded with zero bytes, with a device
 * id of 4 to 16 characters chosen so that the header sealSyncFile writes is exactly `bytes` long (with the
 * catch-up, when there is one, which is as long as its keys' JSON, its IV and its tag in base64url).
 */
function inputWithHeaderOf(bytes: number, catchUp?: SyncFileInput['catchUp']): SyncFileInput {
  const wrapped = catchUp ? 12 + new TextEncoder().encode(JSON.stringify(catchUp.keys)).length + 16 : 0;
  const catchUpField = catchUp ? { catchUp: toBase64Url(new Uint8Array(wrapped)) } : {};
  const header = (device: string, stateVector: Uint8Array) =>
    JSON.stringify({
      network: NETWORK,
      device,
      createdAt: 1_750_000_000_000,
      stateVector: toBase64Url(stateVector),
      since: false,
      for: null,
      size: 3,
      ...catchUpField,
    }).length;
  const fixed = header('dev0', new Uint8Array(0));
  // Base64url takes 4 characters per 3 bytes; the device id's length makes up what that step leaves.
  for (let k = Math.floor(((bytes - fixed) * 3) / 4); k > 0; k--)
    for (let idLength = 4; idLength <= 16; idLength++) {
      const device = 'd'.repeat(idLength);
      const stateVector = new Uint8Array(k);
      if (header(device, stateVector) === bytes)
        return {
          network: NETWORK,
          device,
          createdAt: 1_750_000_000_000,
          stateVector,
          since: false,
          forDevice: null,
          update: Uint8Array.of(1, 2, 3),
          ...(catchUp ? { catchUp } : {}),
        };
    }
  throw new Error(`no header of ${bytes} bytes`);
}

/** The deflated update inside a file sealed with `fileKey`, as it was before sealing. */
async function deflatedUpdateOf(file: Uint8Array): Promise<Uint8Array> {
  const ivAt = 16 + headerLengthOf(file);
  return new Uint8Array(
    await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: file.slice(ivAt, ivAt + 12),
        additionalData: file.slice(0, ivAt),
        tagLength: 128,
      },
      fileKey,
      file.slice(ivAt + 12),
    ),
  );
}

/**
 * The same file with its header rewritten by `edit` (as text) and sealed again with the network's key:
 * what another, careless exporter holding the key could write.
 */
async function rewritten(file: Uint8Array, edit: (header: string) => string): Promise<Uint8Array> {
  const header = new TextEncoder().encode(
    edit(new TextDecoder().decode(file.subarray(16, 16 + headerLengthOf(file)))),
  );
  const prefix = new Uint8Array(16 + header.length);
  prefix.set(file.subarray(0, 12));
  new DataView(prefix.buffer).setUint32(12, header.length);
  prefix.set(header, 16);
  const iv = fixedIv(12);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: prefix, tagLength: 128 },
      fileKey,
      new Uint8Array(await deflatedUpdateOf(file)),
    ),
  );
  const out = new Uint8Array(prefix.length + 12 + sealed.length);
  out.set(prefix);
  out.set(iv, prefix.length);
  out.set(sealed, prefix.length + 12);
  return out;
}
/** One space more in the header, between two of its fields: the same header, one byte longer. */
const oneByteLonger = (header: string) => header.replace('"since"', ' "since"');

describe('the readable header', () => {
  it('of exactly 1 MiB is sealed, and opens', async () => {
    const input = inputWithHeaderOf(MIB);
    const file = await sealSyncFile(input, fileKey, fixedIv);
    expect(headerLengthOf(file)).toBe(MIB);
    const opened = await open(file);
    expect(opened).toMatchObject({ ok: true, updates: [Uint8Array.of(1, 2, 3)] });
    expect(opened.ok && opened.header.device).toBe(input.device);
  });

  it('one byte past 1 MiB is refused when sealing, and damaged when another exporter wrote it', async () => {
    const input = inputWithHeaderOf(MIB + 1);
    await expect(sealSyncFile(input, fileKey, fixedIv)).rejects.toThrow('sync file header too large');

    // The same file written by a careless exporter: authentic, yet refused before decrypting.
    const over = await rewritten(await sealSyncFile(inputWithHeaderOf(MIB), fileKey, fixedIv), oneByteLonger);
    expect(headerLengthOf(over)).toBe(MIB + 1);
    expect(await open(over)).toEqual({ ok: false, message: M.damaged });
  });
});

describe('the catch-up for devices that were away', () => {
  it('is read from a header of exactly 1 MiB, and not from one a byte longer', async () => {
    const input = inputWithHeaderOf(MIB, { keys, previousFileKey: previousKey });
    const file = await sealSyncFile(input, fileKey, fixedIv);
    expect(headerLengthOf(file)).toBe(MIB);
    expect(await readCatchUp(file, previousKey)).toEqual(keys);
    const over = await rewritten(file, oneByteLonger);
    expect(headerLengthOf(over)).toBe(MIB + 1);
    expect(await readCatchUp(over, previousKey)).toBeNull();
    // The rewriting alone changes nothing: the same header, as long as it was, still carries it.
    expect(await readCatchUp(await rewritten(file, (h) => h), previousKey)).toEqual(keys);
  });

  it('names at most 480 devices (what one rotation seals to): a file naming more gives none', async () => {
    const naming = (n: number): CatchUp => ({
      epoch: 4,
      sealed: Object.fromEntries(Array.from({ length: n }, (_, i) => [`dev${i}`, `sealed-${i}`])),
    });
    expect(MAX_SEALED).toBe(480);
    const seal = (catchUp: CatchUp) =>
      sealSyncFile(
        { ...inputWithHeaderOf(400), catchUp: { keys: catchUp, previousFileKey: previousKey } },
        fileKey,
        fixedIv,
      );
    expect(await readCatchUp(await seal(naming(MAX_SEALED)), previousKey)).toEqual(naming(MAX_SEALED));
    expect(await readCatchUp(await seal(naming(MAX_SEALED + 1)), previousKey)).toBeNull();
  });

  it('is sealed under the previous key and the 8 newest older ones: a device holding a ninth finds nothing', async () => {
    const older = await Promise.all(Array.from({ length: MAX_OLDER_CATCH_UPS + 1 }, (_, i) => keyOf(10 + i)));
    const file = await sealSyncFile(
      { ...inputWithHeaderOf(400), catchUp: { keys, previousFileKey: previousKey, olderFileKeys: older } },
      fileKey,
      fixedIv,
    );
    const header = JSON.parse(new TextDecoder().decode(file.subarray(16, 16 + headerLengthOf(file)))) as {
      catchUpOlder: string[];
    };
    expect(header.catchUpOlder).toHaveLength(MAX_OLDER_CATCH_UPS);
    expect(await readCatchUp(file, previousKey)).toEqual(keys);
    expect(await readCatchUp(file, older[0]!)).toEqual(keys);
    expect(await readCatchUp(file, older[MAX_OLDER_CATCH_UPS - 1]!)).toEqual(keys);
    expect(await readCatchUp(file, older[MAX_OLDER_CATCH_UPS]!)).toBeNull();
    expect((await open(file)).ok).toBe(true);
  });

  it('is not read from a header that is not UTF-8, which opening refuses too', async () => {
    const file = await sealSyncFile(
      { ...inputWithHeaderOf(400), catchUp: { keys, previousFileKey: previousKey } },
      fileKey,
      fixedIv,
    );
    // A field nothing reads, holding "ab"; then its "a" made a byte no UTF-8 text holds.
    const withField = await rewritten(file, (h) => h.replace('"since"', '"x":"ab","since"'));
    expect(await readCatchUp(withField, previousKey)).toEqual(keys);
    const bad = withField.slice();
    bad[16 + new TextDecoder().decode(bad.subarray(16)).indexOf('"ab"') + 1] = 0xff;
    expect(await readCatchUp(bad, previousKey)).toBeNull();
    expect(await open(bad)).toEqual({ ok: false, message: M.badHeader });
  });
});

describe('a file that is not quite bytes', () => {
  it('is damaged, never a throw: a look-alike of a Uint8Array whose length cannot be read', async () => {
    const file = await sealSyncFile(inputWithHeaderOf(400), fileKey, fixedIv);
    const lookAlike = new Proxy(file, {});
    expect(lookAlike instanceof Uint8Array).toBe(true);
    expect(await open(lookAlike)).toEqual({ ok: false, message: M.damaged });
    expect(await readCatchUp(lookAlike, previousKey)).toBeNull();
  });
});

// Last in the file: mutation testing stops at the first failing test, and this one takes seconds.
describe('the update', () => {
  it('of exactly 64 MiB is sealed and opens whole', async () => {
    const update = new Uint8Array(MAX_INFLATED_BYTES);
    update[0] = 1;
    update[MAX_INFLATED_BYTES - 1] = 2;
    const file = await sealSyncFile({ ...inputWithHeaderOf(200), update }, fileKey, fixedIv);
    const opened = await open(file);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.updates[0]!.byteLength).toBe(MAX_INFLATED_BYTES);
    expect([
      opened.updates[0]![0],
      opened.updates[0]![1],
      opened.updates[0]![MAX_INFLATED_BYTES - 1],
    ]).toEqual([1, 0, 2]);
  }, 120_000);
});
