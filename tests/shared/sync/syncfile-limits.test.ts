import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_INFLATED_BYTES } from '../../../shared/sync/compress';
import { toBase64Url } from '../../../shared/sync/encoding';
import { deriveSecrets, type CryptoKey } from '../../../shared/sync/keys';
import {
  openSyncFile,
  sealSyncFile,
  SYNC_FILE_MESSAGES as M,
  type SyncFileInput,
} from '../../../shared/sync/syncfile';

/**
 * The two limits a sync file has, at exactly the limit and one past it: the update it carries (64 MiB once
 * inflated, about a 1M-entry network's whole doc) and its readable header (1 MiB, a state vector of ~50,000
 * Yjs clients). A network exactly at a limit still travels by file; one byte more is refused when sealing,
 * and a file past it that some other exporter wrote is refused when opening.
 */

const NETWORK = 'k3v9q2m7x1c8b4z0';
const MIB = 1 << 20;
let fileKey: CryptoKey;
beforeAll(async () => {
  fileKey = (await deriveSecrets(Uint8Array.from({ length: 32 }, (_, i) => i * 7))).fileKey;
});

const fixedIv = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 9);
const open = (file: Uint8Array) => openSyncFile(file, { networkId: NETWORK, fileKey });
const headerLengthOf = (file: Uint8Array) => new DataView(file.buffer, file.byteOffset).getUint32(12);

/**
 * A state vector that Yjs reads as "no clients" (its first varint is 0) padded with zero bytes, with a device
 * id of 4 to 16 characters chosen so that the header sealSyncFile writes is exactly `bytes` long.
 */
function inputWithHeaderOf(bytes: number): SyncFileInput {
  const header = (device: string, stateVector: Uint8Array) =>
    JSON.stringify({
      network: NETWORK,
      device,
      createdAt: 1_750_000_000_000,
      stateVector: toBase64Url(stateVector),
      since: false,
      for: null,
      size: 3,
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
        };
    }
  throw new Error(`no header of ${bytes} bytes`);
}

describe('the readable header', () => {
  it('of exactly 1 MiB is sealed, and opens', async () => {
    const input = inputWithHeaderOf(MIB);
    const file = await sealSyncFile(input, fileKey, fixedIv);
    expect(headerLengthOf(file)).toBe(MIB);
    const opened = await open(file);
    expect(opened).toMatchObject({ ok: true, update: Uint8Array.of(1, 2, 3) });
    expect(opened.ok && opened.header.device).toBe(input.device);
  });

  it('one byte past 1 MiB is refused when sealing, and damaged when another exporter wrote it', async () => {
    const input = inputWithHeaderOf(MIB + 1);
    await expect(sealSyncFile(input, fileKey, fixedIv)).rejects.toThrow('sync file header too large');

    // The same file laid out and sealed as a careless exporter would: authentic, yet refused before decrypting.
    const atLimit = await sealSyncFile(inputWithHeaderOf(MIB), fileKey, fixedIv);
    const header = new TextEncoder().encode(
      new TextDecoder().decode(atLimit.subarray(16, 16 + MIB)).replace('"since"', ' "since"'),
    );
    expect(header.length).toBe(MIB + 1);
    const prefix = new Uint8Array(16 + header.length);
    prefix.set(atLimit.subarray(0, 12));
    new DataView(prefix.buffer).setUint32(12, header.length);
    prefix.set(header, 16);
    const iv = fixedIv(12);
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: prefix, tagLength: 128 },
        fileKey,
        await deflatedUpdateOf(atLimit),
      ),
    );
    const over = new Uint8Array(prefix.length + 12 + sealed.length);
    over.set(prefix);
    over.set(iv, prefix.length);
    over.set(sealed, prefix.length + 12);
    expect(await open(over)).toEqual({ ok: false, message: M.damaged });
  });
});

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

describe('the update', () => {
  it('of exactly 64 MiB is sealed and opens whole', async () => {
    const update = new Uint8Array(MAX_INFLATED_BYTES);
    update[0] = 1;
    update[MAX_INFLATED_BYTES - 1] = 2;
    const file = await sealSyncFile({ ...inputWithHeaderOf(200), update }, fileKey, fixedIv);
    const opened = await open(file);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.update.byteLength).toBe(MAX_INFLATED_BYTES);
    expect([opened.update[0], opened.update[1], opened.update[MAX_INFLATED_BYTES - 1]]).toEqual([1, 0, 2]);
  }, 120_000);
});
