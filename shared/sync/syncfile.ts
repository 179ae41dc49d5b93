import * as Y from 'yjs';
import { z } from 'zod';
import { lazySchema, once } from '../lazy';
import { ID_PATTERN, type RandomBytes } from '../ids';
import { deflate, deflatePaced, inflateExactly, inflateExactlyPaced, MAX_INFLATED_BYTES } from './compress';
import { concatBytes, fromBase64Url, toBase64Url } from './encoding';
import type { CryptoKey } from './keys';
import { msg, type DomainMessage } from '../messages';
import { ValidationError, issue } from '../errors';
import { MAX_SEALED } from '../trust/members';

/**
 * A sync file carries a network's Yjs updates from one device to another on a USB stick or by email,
 * sealed with the network's file key (AES-256-GCM, derived from the network key by HKDF, see keys.ts).
 *
 *   offset  size  content
 *   0       11    "LARDER-SYNC" (ASCII)
 *   11      1     format version (2; 3 for a file in parts, below)
 *   12      4     header length H, unsigned big-endian
 *   16      H     header: UTF-8 JSON {network, device, createdAt, stateVector, since, for, size}
 *   16+H    12    AES-GCM IV (random)
 *   28+H    rest  AES-GCM ciphertext of the deflated Yjs update (v1), then its 16-byte tag
 *
 * A network whose state is more than one update may carry (64 MiB inflated, about 1.1M entries) goes in
 * parts (shared/sync/docParts.ts), in a file of format version 3: the header lists each part's inflated
 * size (`parts`), and after it come the parts, each [4-byte length L, big-endian][IV][ciphertext and tag]
 * (L counts the IV, the ciphertext and the tag), sealed with the header bytes and the part's index (4 bytes,
 * big-endian) as additional data, so no part can be dropped, repeated or moved. A file of one part is
 * written as version 2, which every earlier Larder reads.
 *
 * A full export by an admin or a coordinator also carries a **checkpoint** (shared/checkpoint/bundle.ts), so a
 * new device can show right figures in seconds and take the history behind them after. That file is version 4:
 * laid out as version 3 (every part length-prefixed and sealed with its index), the update's parts first (the
 * header's `parts`, or its `size` for one), then the checkpoint's bytes in parts of their own, their inflated
 * sizes listed in the header's `checkpoint`. A Larder from before checkpoints says the file is newer.
 *
 * The update is deflated before it is sealed (about four times smaller: 58 MB → 15 MB for a 1M-entry
 * network); `size` is its length once inflated. It only bounds the inflating, which is a stream with a
 * running count (compress.ts): no file gives more than 64 MB, whatever its header says.
 *
 * Bytes 0..16+H (magic, version, length and header) are the GCM additional data: the header is readable
 * without the key, so a file from another network is recognised before decrypting anything, yet any
 * change to it fails authentication. The header holds no names, only random ids, a time and a Yjs state
 * vector (client ids and counters). `stateVector` is what the exporter had, so the receiver can later
 * export only what the exporter lacks; `since` says the file holds only what was new since a state the
 * receiver exported earlier (`for` names that receiver).
 */

export const SYNC_FILE_MAGIC = 'LARDER-SYNC';
/** The newest format this code reads; it writes version 2 for a file of one part, 3 for several, 4 with a checkpoint. */
export const SYNC_FILE_VERSION = 4;
const ONE_PART_VERSION = 2;
const PARTS_VERSION = 3;
/** A file holds at most this many parts. */
export const MAX_FILE_PARTS = 1024;
/**
 * What all the parts of one file may inflate to together: 1 GiB (a 10M-entry network's doc is about 575 MB).
 * Opening a file inflates every part before any is taken, so this bounds the memory a file can make a device
 * hold, whatever its exporter wrote (1,024 parts of 64 MiB would be 64 GiB from a file of 64 MB).
 */
export const MAX_FILE_INFLATED_BYTES = 16 * MAX_INFLATED_BYTES;
const PART_LENGTH_BYTES = 4;
export const SYNC_FILE_EXTENSION = '.larder-sync';

const MAGIC = new TextEncoder().encode(SYNC_FILE_MAGIC);
const VERSION_AT = MAGIC.length;
const LENGTH_AT = VERSION_AT + 1;
const HEADER_AT = LENGTH_AT + 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A state vector is ~10 bytes per Yjs client id a network has ever seen; this allows 50,000 of them. */
const MAX_HEADER_BYTES = 1 << 20;
/** Copies of the catch-up under file keys older than the previous one, at most (catchUp.ts keeps as many). */
export const MAX_OLDER_CATCH_UPS = 8;

export interface SyncFileHeader {
  /** The network the file belongs to. */
  network: string;
  /** The exporting device. */
  device: string;
  /** When it was exported (ms since epoch, the exporter's clock). */
  createdAt: number;
  /** The exporter's Yjs state vector (encoded) when it exported. */
  stateVector: Uint8Array;
  /** True when the file holds only what is new since a state its receiver exported earlier. */
  since: boolean;
  /** The device the file was made for, when it was made for one. */
  forDevice: string | null;
}

/**
 * After a key rotation, a file sealed with the new key also carries, for devices that were away, the new
 * key sealed to each of them (as in the signed rotation), encrypted with the previous file key, and once
 * more with each older file key the exporter still holds (`catchUpOlder`, for a device that missed two
 * rotations or more): a device that still holds an old key finds its own sealed copy, and a revoked device
 * finds none. The sealed copies are the same in each; only the wrapping differs.
 */
export interface CatchUp {
  epoch: number;
  sealed: Record<string, string>;
}

export type SyncFileInput = SyncFileHeader & {
  /** The update, or its parts in the order they apply (each at most MAX_INFLATED_BYTES). */
  update: Uint8Array | readonly Uint8Array[];
  /** A checkpoint bundle (shared/checkpoint/bundle.ts) for a new device to start from, when there is one. */
  checkpoint?: Uint8Array;
  /**
   * The rotation's sealed keys, and the file key before it, when this device's key was rotated; and the
   * file keys before that, newest first, that it still holds (at most MAX_OLDER_CATCH_UPS).
   */
  catchUp?: { keys: CatchUp; previousFileKey: CryptoKey; olderFileKeys?: readonly CryptoKey[] };
};

export type OpenedSyncFile =
  | {
      ok: true;
      header: SyncFileHeader;
      /** The file's update, or its parts, to be applied in this order. */
      updates: Uint8Array[];
      /** The checkpoint bundle it carries (version 4), unchecked: verified by whoever starts from it. */
      checkpoint?: Uint8Array;
    }
  | { ok: false; message: DomainMessage };

export const SYNC_FILE_MESSAGES = {
  notSyncFile: msg('syncFile.notSyncFile'),
  newer: msg('syncFile.newer'),
  otherNetwork: msg('syncFile.otherNetwork'),
  damaged: msg('syncFile.damaged'),
  badHeader: msg('syncFile.badHeader'),
  older: msg('syncFile.older'),
  tooLarge: msg('syncFile.tooLarge', { megabytes: MAX_INFLATED_BYTES / 2 ** 20 }),
} as const satisfies Record<string, DomainMessage>;

/** The schemas, made the first time one is used (shared/lazy.ts): the app's first view reads none of them. */
const schemas = once(() => {
  const idSchema = z.string().regex(ID_PATTERN);
  const headerSchema = z.object({
    network: idSchema,
    device: idSchema,
    createdAt: z.number().int().min(0).max(8.64e15),
    stateVector: z.string().max(MAX_HEADER_BYTES),
    since: z.boolean(),
    for: idSchema.nullable(),
    size: z.number().int().min(0),
    /** Version 3: each part's size once inflated. */
    // A part stated larger than one may inflate to is refused as too large, as `size` is (below).
    parts: z.array(z.number().int().min(0)).min(2).max(MAX_FILE_PARTS).optional(),
    /** Version 4: the checkpoint's parts' sizes once inflated, after the update's parts. */
    checkpoint: z.array(z.number().int().min(0)).min(1).max(MAX_FILE_PARTS).optional(),
    /** base64url of IV || AES-GCM(previous file key, JSON CatchUp). */
    catchUp: z.string().max(MAX_HEADER_BYTES).optional(),
    /** The same, under older file keys. */
    catchUpOlder: z.array(z.string().max(MAX_HEADER_BYTES)).max(MAX_OLDER_CATCH_UPS).optional(),
  });
  const catchUpSchema = z.object({
    epoch: z.number().int().min(1),
    sealed: z
      .record(idSchema, z.string().max(200))
      .refine((sealed) => Object.keys(sealed).length <= MAX_SEALED),
  });
  return { headerSchema, catchUpSchema };
});
const headerSchema = lazySchema(() => schemas().headerSchema);
const catchUpSchema = lazySchema(() => schemas().catchUpSchema);

const subtle = () => globalThis.crypto.subtle;

/** A copy backed by a plain ArrayBuffer, which is what WebCrypto's typings ask for. */
const copy = (bytes: Uint8Array) => new Uint8Array(bytes);

function encodeHeader(
  h: SyncFileHeader,
  sizes: readonly number[],
  checkpointSizes: readonly number[],
  catchUp?: string,
  catchUpOlder?: readonly string[],
): Uint8Array {
  const json = {
    network: h.network,
    device: h.device,
    createdAt: h.createdAt,
    stateVector: toBase64Url(h.stateVector),
    since: h.since,
    for: h.forDevice,
    size: sizes.reduce((n, size) => n + size, 0),
    ...(sizes.length > 1 ? { parts: sizes } : {}),
    ...(checkpointSizes.length > 0 ? { checkpoint: checkpointSizes } : {}),
    ...(catchUp ? { catchUp } : {}),
    ...(catchUpOlder && catchUpOlder.length > 0 ? { catchUpOlder } : {}),
  };
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid sync file header: ${parsed.error.issues[0]?.message}`);
  return new TextEncoder().encode(JSON.stringify(json));
}

/**
 * Seals an update into a sync file. Throws a ValidationError when the network holds more than one file can
 * carry; otherwise only on invalid input (a programming error). With `pause`, each part is deflated in
 * steps, other tasks let run between them (a whole network at a million entries deflated in one task of
 * about 1.5 s).
 */
export async function sealSyncFile(
  input: SyncFileInput,
  fileKey: CryptoKey,
  randomBytes: RandomBytes,
  pause?: () => Promise<void>,
): Promise<Uint8Array> {
  const updateParts = input.update instanceof Uint8Array ? [input.update] : [...input.update];
  const checkpointParts: Uint8Array[] = [];
  for (let at = 0; input.checkpoint && at < input.checkpoint.length; at += MAX_INFLATED_BYTES)
    checkpointParts.push(input.checkpoint.subarray(at, at + MAX_INFLATED_BYTES));
  const parts = [...updateParts, ...checkpointParts];
  if (updateParts.length === 0 || parts.length > MAX_FILE_PARTS)
    throw new Error(`a sync file holds 1 to ${MAX_FILE_PARTS} parts, not ${parts.length}`);
  if (
    parts.some((part) => part.byteLength > MAX_INFLATED_BYTES) ||
    parts.reduce((n, part) => n + part.byteLength, 0) > MAX_FILE_INFLATED_BYTES
  )
    throw new ValidationError([
      issue('', msg('syncFile.networkTooLarge', { megabytes: MAX_INFLATED_BYTES / 2 ** 20 })),
    ]);
  let catchUp: string | undefined;
  const catchUpOlder: string[] = [];
  if (input.catchUp) {
    const plain = new TextEncoder().encode(JSON.stringify(input.catchUp.keys));
    const wrap = async (key: CryptoKey) => {
      const iv = randomBytes(IV_BYTES);
      const sealed = new Uint8Array(
        await subtle().encrypt({ name: 'AES-GCM', iv: copy(iv), tagLength: TAG_BYTES * 8 }, key, plain),
      );
      const both = new Uint8Array(IV_BYTES + sealed.length);
      both.set(iv);
      both.set(sealed, IV_BYTES);
      return toBase64Url(both);
    };
    catchUp = await wrap(input.catchUp.previousFileKey);
    for (const key of (input.catchUp.olderFileKeys ?? []).slice(0, MAX_OLDER_CATCH_UPS))
      catchUpOlder.push(await wrap(key));
  }
  const sizes = updateParts.map((part) => part.byteLength);
  const header = encodeHeader(
    input,
    sizes,
    checkpointParts.map((part) => part.byteLength),
    catchUp,
    catchUpOlder,
  );
  if (header.length > MAX_HEADER_BYTES) throw new Error('sync file header too large');
  const prefix = new Uint8Array(HEADER_AT + header.length);
  prefix.set(MAGIC, 0);
  prefix[VERSION_AT] =
    checkpointParts.length > 0 ? SYNC_FILE_VERSION : parts.length === 1 ? ONE_PART_VERSION : PARTS_VERSION;
  new DataView(prefix.buffer).setUint32(LENGTH_AT, header.length);
  prefix.set(header, HEADER_AT);
  const seal = async (part: Uint8Array, additionalData: Uint8Array) => {
    const iv = randomBytes(IV_BYTES);
    if (iv.length !== IV_BYTES) throw new Error('randomBytes returned the wrong number of bytes');
    const sealed = new Uint8Array(
      await subtle().encrypt(
        { name: 'AES-GCM', iv: copy(iv), additionalData: copy(additionalData), tagLength: TAG_BYTES * 8 },
        fileKey,
        copy(pause ? await deflatePaced(part, pause) : deflate(part)),
      ),
    );
    const both = new Uint8Array(IV_BYTES + sealed.length);
    both.set(iv);
    both.set(sealed, IV_BYTES);
    return both;
  };
  if (parts.length === 1) return concatBytes([prefix, await seal(parts[0]!, prefix)]);
  const out: Uint8Array[] = [prefix];
  for (const [i, part] of parts.entries()) {
    const sealed = await seal(part, partData(prefix, i));
    const length = new Uint8Array(PART_LENGTH_BYTES);
    new DataView(length.buffer).setUint32(0, sealed.length);
    out.push(length, sealed);
  }
  return concatBytes(out);
}

/** A part's additional data: the file's magic, version, length and header, then the part's index. */
function partData(prefix: Uint8Array, index: number): Uint8Array {
  const data = new Uint8Array(prefix.length + 4);
  data.set(prefix);
  new DataView(data.buffer).setUint32(prefix.length, index);
  return data;
}

const fail = (message: DomainMessage): OpenedSyncFile => ({ ok: false, message });

/**
 * The sealed keys a file carries for devices that missed a key rotation, readable with the file key this
 * device holds (the previous one); null when the file carries none or this key does not open them.
 */
export async function readCatchUp(bytes: Uint8Array, fileKey: CryptoKey): Promise<CatchUp | null> {
  try {
    if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_AT) return null;
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(LENGTH_AT);
    if (headerLength > MAX_HEADER_BYTES || HEADER_AT + headerLength > bytes.length) return null;
    const json: unknown = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_AT, HEADER_AT + headerLength)),
    );
    const header = headerSchema.safeParse(json);
    if (!header.success) return null;
    // The previous file key's copy first, then the older ones: the first that opens with this key.
    for (const blob of [header.data.catchUp, ...(header.data.catchUpOlder ?? [])]) {
      const found = blob ? await openCatchUp(blob, fileKey) : null;
      if (found) return found;
    }
    return null;
  } catch {
    return null;
  }
}

async function openCatchUp(blob: string, fileKey: CryptoKey): Promise<CatchUp | null> {
  const raw = fromBase64Url(blob);
  if (!raw || raw.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const plain = await subtle().decrypt(
      { name: 'AES-GCM', iv: copy(raw.subarray(0, IV_BYTES)), tagLength: TAG_BYTES * 8 },
      fileKey,
      copy(raw.subarray(IV_BYTES)),
    );
    const parsed = catchUpSchema.safeParse(JSON.parse(new TextDecoder().decode(plain)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // sealed with another key
  }
}

/**
 * Opens a sync file for this network. Every way a file can be wrong has its own message; nothing is
 * returned from a file that fails any check, and no input makes it throw.
 */
export async function openSyncFile(
  bytes: Uint8Array,
  network: { networkId: string; fileKey: CryptoKey },
  /** Lets other tasks run while a large file inflates (shared/pace.ts `pacer`); at once without it. */
  pause?: () => Promise<void>,
): Promise<OpenedSyncFile> {
  try {
    if (!(bytes instanceof Uint8Array) || bytes.length <= VERSION_AT)
      return fail(SYNC_FILE_MESSAGES.notSyncFile);
    for (let i = 0; i < MAGIC.length; i++)
      if (bytes[i] !== MAGIC[i]) return fail(SYNC_FILE_MESSAGES.notSyncFile);
    const version = bytes[VERSION_AT]!;
    if (version > SYNC_FILE_VERSION) return fail(SYNC_FILE_MESSAGES.newer);
    if (version === 1) return fail(SYNC_FILE_MESSAGES.older);
    if (version < ONE_PART_VERSION || bytes.length < HEADER_AT) return fail(SYNC_FILE_MESSAGES.damaged);
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(LENGTH_AT);
    const ivAt = HEADER_AT + headerLength;
    if (headerLength > MAX_HEADER_BYTES || ivAt + IV_BYTES + TAG_BYTES > bytes.length)
      return fail(SYNC_FILE_MESSAGES.damaged);

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_AT, ivAt)));
    } catch {
      return fail(SYNC_FILE_MESSAGES.badHeader);
    }
    const parsed = headerSchema.safeParse(json);
    if (!parsed.success) return fail(SYNC_FILE_MESSAGES.badHeader);
    // Before decrypting: another network's key would only fail as "damaged", which misleads.
    if (parsed.data.network !== network.networkId) return fail(SYNC_FILE_MESSAGES.otherNetwork);
    // Version 2 is one part of `size`; version 3 lists its parts (and only it does); version 4 is either
    // of those, then the checkpoint's parts (and only it has them).
    const { parts: listed, checkpoint: checkpointSizes = [] } = parsed.data;
    const updateSizes =
      version === ONE_PART_VERSION || (version === SYNC_FILE_VERSION && !listed)
        ? [parsed.data.size]
        : listed;
    if (
      !updateSizes ||
      (version === ONE_PART_VERSION && listed) ||
      (version === SYNC_FILE_VERSION) !== checkpointSizes.length > 0 ||
      updateSizes.length + checkpointSizes.length > MAX_FILE_PARTS
    )
      return fail(SYNC_FILE_MESSAGES.badHeader);
    const sizes = [...updateSizes, ...checkpointSizes];
    if (sizes.some((size) => size > MAX_INFLATED_BYTES)) return fail(SYNC_FILE_MESSAGES.tooLarge);
    if (sizes.reduce((n, size) => n + size, 0) > MAX_FILE_INFLATED_BYTES)
      return fail(msg('syncFile.tooLarge', { megabytes: MAX_FILE_INFLATED_BYTES / 2 ** 20 }));

    // Every part's seal is checked before anything is inflated: a file cut short or altered anywhere
    // gives nothing. The bounds below only fail early: past them DataView throws or the seal fails,
    // damaged either way.
    const prefix = bytes.subarray(0, ivAt);
    const sealed: { data: Uint8Array; additional: Uint8Array }[] = [];
    if (version === ONE_PART_VERSION) sealed.push({ data: bytes.subarray(ivAt), additional: prefix });
    else {
      let at = ivAt;
      for (let i = 0; i < sizes.length; i++) {
        // Stryker disable next-line all: early only (see above)
        if (at + PART_LENGTH_BYTES > bytes.length) return fail(SYNC_FILE_MESSAGES.damaged);
        const length = new DataView(bytes.buffer, bytes.byteOffset + at, PART_LENGTH_BYTES).getUint32(0);
        at += PART_LENGTH_BYTES;
        // Stryker disable next-line all: early only (see above)
        if (length < IV_BYTES + TAG_BYTES || at + length > bytes.length)
          return fail(SYNC_FILE_MESSAGES.damaged);
        sealed.push({ data: bytes.subarray(at, at + length), additional: partData(prefix, i) });
        at += length;
      }
      if (at !== bytes.length) return fail(SYNC_FILE_MESSAGES.damaged);
    }
    const packed: Uint8Array[] = [];
    for (const { data, additional } of sealed) {
      try {
        packed.push(
          new Uint8Array(
            await subtle().decrypt(
              {
                name: 'AES-GCM',
                iv: copy(data.subarray(0, IV_BYTES)),
                additionalData: copy(additional),
                tagLength: TAG_BYTES * 8,
              },
              network.fileKey,
              copy(data.subarray(IV_BYTES)),
            ),
          ),
        );
      } catch {
        return fail(SYNC_FILE_MESSAGES.damaged);
      }
    }
    // Authentic, so only a faulty exporter (or one holding the key on purpose) could make this fail.
    // Streamed and counted: a part that inflates to more than its header states is cut off there.
    const inflated: Uint8Array[] = [];
    for (const [i, part] of packed.entries()) {
      const size = sizes[i]!;
      const update = pause ? await inflateExactlyPaced(part, size, pause) : inflateExactly(part, size);
      if (!update) return fail(SYNC_FILE_MESSAGES.damaged);
      inflated.push(update);
    }
    const updates = inflated.slice(0, updateSizes.length);
    const checkpoint =
      checkpointSizes.length > 0 ? concatBytes(inflated.slice(updateSizes.length)) : undefined;

    // The header is authentic from here on; a state vector that does not decode means a faulty exporter.
    const stateVector = fromBase64Url(parsed.data.stateVector);
    if (!stateVector) return fail(SYNC_FILE_MESSAGES.badHeader);
    try {
      Y.decodeStateVector(stateVector);
    } catch {
      return fail(SYNC_FILE_MESSAGES.badHeader);
    }
    return {
      ok: true,
      header: {
        network: parsed.data.network,
        device: parsed.data.device,
        createdAt: parsed.data.createdAt,
        stateVector,
        since: parsed.data.since,
        forDevice: parsed.data.for,
      },
      updates,
      ...(checkpoint ? { checkpoint } : {}),
    };
  } catch {
    return fail(SYNC_FILE_MESSAGES.damaged);
  }
}
