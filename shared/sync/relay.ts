import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { z } from 'zod';
import { ID_PATTERN, type RandomBytes } from '../ids';
import { lazySchema } from '../lazy';
import { deflate, inflateExactlyPaced, MAX_INFLATED_BYTES } from './compress';
import { concatBytes, fromBase64Url, toBase64Url } from './encoding';
import type { CryptoKey } from './keys';

/**
 * What a relay and the devices that use it agree on (docs/relay.md). Pure: the relay (electron/relay) and
 * the app (renderer/sync/relay.ts) both import it.
 *
 * From the network key, by HKDF (same salt as keys.ts, other infos):
 * - the **read key**: an Ed25519 key pair. The relay keeps its public key (the verifier) and asks each
 *   connection to sign a fresh challenge with the private key, as the sync server does with topics. It
 *   never receives the network key or anything derived from it that opens a blob.
 * - the **blob key**: AES-256-GCM, seals every blob a device uploads.
 * The **mailbox** is the SHA-256 of the read key and the network's anchor (the genesis admin's public
 * signing key): both change nothing about each other, so a key holder who claims another anchor gets
 * another mailbox, never the network's. A key rotation gives a new read key, hence a new mailbox.
 *
 * A blob is [version 1][IV 12][AES-GCM(blob key, plaintext, AAD = mailbox, device key, seq)], and its
 * plaintext [varUint8Array base state vector][varUint8Array after state vector][varUint length][varUint8Array
 * deflated Yjs update]: the update holds what its device had past `base`, up to `after`. The relay sees the
 * length and nothing else; the AAD stops it from moving a blob to another device, sequence or mailbox.
 */

export const RELAY_PROTOCOL = 'larder-relay-1';
/** Ed25519 public keys and signatures in base64url. */
export const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{86}$/;
/** A mailbox id: base64url of a SHA-256. */
export const MAILBOX_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const BLOB_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (text: string) => new TextEncoder().encode(text);
const subtle = () => globalThis.crypto.subtle;

export interface RelayKeys {
  /** The read key's public half, base64url: what the relay stores. */
  readKey: string;
  /** The read key's private seed: signs the relay's challenges, never leaves the device. */
  readSeed: Uint8Array;
  blobKey: CryptoKey;
}

export async function deriveRelayKeys(networkKey: Uint8Array): Promise<RelayKeys> {
  if (networkKey.length !== 32) throw new Error('network key must be 32 bytes');
  const salt = utf8('larder network v1');
  const readSeed = hkdf(sha256, networkKey, salt, utf8('larder relay read'), 32);
  const blob = hkdf(sha256, networkKey, salt, utf8('larder relay blob'), 32);
  const blobKey = await subtle().importKey('raw', blob, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  blob.fill(0);
  return { readKey: toBase64Url(ed25519.getPublicKey(readSeed)), readSeed, blobKey };
}

/** The mailbox of a read key and an anchor key: what a relay files a network's blobs under. */
export function mailboxIdOf(readKey: string, anchorKey: string): string {
  return toBase64Url(sha256(utf8(`larder relay mailbox v1|${readKey}|${anchorKey}`)));
}

/** What a client signs with the read key to answer the relay's challenge. */
export function readProofMessage(nonce: string, readKey: string, anchor: string): string {
  return `larder relay read v1\n${nonce}\n${readKey}\n${anchor}`;
}

export function proveRead(keys: RelayKeys, nonce: string, anchor: string): string {
  return toBase64Url(ed25519.sign(utf8(readProofMessage(nonce, keys.readKey, anchor)), keys.readSeed));
}

/** SHA-256 of a blob, base64url: what its device signs and the relay compares on a re-upload. */
export function blobHash(blob: Uint8Array): string {
  return toBase64Url(sha256(blob));
}

/** What a device signs for each blob it uploads (with its own Ed25519 key). */
export function blobMessage(mailbox: string, deviceKey: string, seq: number, hash: string): string {
  return `larder relay blob v1\n${mailbox}\n${deviceKey}\n${seq}\n${hash}`;
}

/**
 * A membership statement an admin signs for the relay: which device keys may upload to one mailbox, and
 * up to which of their sequence numbers when revoked. It names keys and roles only: no device, hub or
 * network name. `at` orders statements about one key: an older one never replaces a newer.
 */
export const statementSchema = lazySchema(() =>
  z.object({
    t: z.literal('relay-member'),
    mailbox: z.string().regex(MAILBOX_PATTERN),
    key: z.string().regex(KEY_PATTERN),
    role: z.enum(['admin', 'member']),
    /** Null while the device is a member; its last sequence number that counts once revoked. */
    cut: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .nullable(),
    at: z
      .number()
      .int()
      .min(0)
      .max(Date.UTC(2100, 0, 1)),
  }),
);
export type Statement = z.infer<typeof statementSchema>;
/** A statement as it travels: its exact JSON, the signer's public key, the signature. */
export interface SignedStatement {
  p: string;
  by: string;
  s: string;
}

export function statementMessage(payload: string): string {
  return `larder relay statement v1|${payload}`;
}

/** One statement's canonical payload (one field order, so two admins stating the same thing agree). */
export function statementPayload(s: Statement): string {
  return JSON.stringify({ t: s.t, mailbox: s.mailbox, key: s.key, role: s.role, cut: s.cut, at: s.at });
}

export const MAX_SEQ = 2 ** 31 - 1;

/**
 * Checkpoints at the relay (docs/relay.md, "Checkpoints"). A device that makes checkpoints (a coordinator's
 * or an admin's: shared/checkpoint) leaves its newest one at the relay, so that a device joining through
 * the relay alone starts from it, with right figures in seconds, before the history behind it arrives.
 * A checkpoint bundle (shared/checkpoint/bundle.ts) is deflated whole, then cut into parts of at most the
 * relay's blob size, each sealed like a blob (AAD: mailbox, device key, checkpoint id, part, parts) and
 * signed by its device. The relay keeps, per device, its newest complete checkpoint and at most one being
 * uploaded; it sees sizes and nothing else. A bundle inflates to at most MAX_INFLATED_BYTES (as over live
 * sync), which deflates to far fewer than MAX_CHECKPOINT_PARTS parts of the default 8 MB.
 */
export const MAX_CHECKPOINT_PARTS = 16;
/**
 * The size of a checkpoint's parts (before sealing) when it takes at most MAX_CHECKPOINT_PARTS of them:
 * 16 MiB deflated, about 2.5M entries of a real network's (docs/checkpoints.md, "Figures"). Larger ones
 * take larger parts, up to the relay's blob size.
 */
export const CHECKPOINT_PART_BYTES = 1024 * 1024;
/** A checkpoint's id at the relay: 16 random bytes, base64url. */
export const CHECKPOINT_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** What a device signs for each part of a checkpoint it leaves at the relay. */
export function checkpointPartMessage(
  mailbox: string,
  deviceKey: string,
  ck: string,
  part: number,
  parts: number,
  hash: string,
): string {
  return `larder relay checkpoint v1\n${mailbox}\n${deviceKey}\n${ck}\n${part}\n${parts}\n${hash}`;
}
/** Devices one cursor may name: members (1,000 at most) and the devices that asked to join. */
export const MAX_CURSOR_DEVICES = 10_000;
/** Messages a client sends (JSON text frames). */
export const clientMessageSchema = lazySchema(() => {
  const seq = z.number().int().min(1).max(MAX_SEQ);
  const key = z.string().regex(KEY_PATTERN);
  const sig = z.string().regex(SIGNATURE_PATTERN);
  const deviceId = z.string().regex(ID_PATTERN);
  const requestId = z.number().int().min(0).max(MAX_SEQ);
  const ck = z.string().regex(CHECKPOINT_ID_PATTERN);
  /** A part's number, from 0; the relay refuses one not below its checkpoint's `parts`. */
  const part = z
    .number()
    .int()
    .min(0)
    .max(MAX_CHECKPOINT_PARTS - 1);
  return z.discriminatedUnion('type', [
    z.object({
      type: z.literal('hello'),
      protocol: z.literal(RELAY_PROTOCOL),
      read: key,
      /** The network's anchor id (networkIdOf the genesis key), as every invite carries it. */
      anchor: deviceId,
      proof: sig,
      /** The anchor's public key, when the client knows it: lets the first client create the mailbox. */
      anchorKey: key.optional(),
    }),
    z.object({
      type: z.literal('members'),
      id: requestId,
      statements: z.array(z.object({ p: z.string().max(1000), by: key, s: sig })).max(256),
    }),
    z.object({
      type: z.literal('upload'),
      id: requestId,
      key,
      seq,
      /** base64url of the sealed blob. */
      blob: z.string().regex(/^[A-Za-z0-9_-]+$/),
      sig,
    }),
    z.object({
      type: z.literal('fetch'),
      id: requestId,
      /** Per device id, the last sequence number the client has. */
      cursor: z
        .record(deviceId, z.number().int().min(0).max(MAX_SEQ))
        .refine((c) => Object.keys(c).length <= MAX_CURSOR_DEVICES, 'too many devices in the cursor'),
    }),
    z.object({
      type: z.literal('checkpoint-put'),
      id: requestId,
      key,
      /** The checkpoint's id (16 random bytes, base64url), the same for each of its parts. */
      ck,
      part,
      parts: z.number().int().min(1).max(MAX_CHECKPOINT_PARTS),
      /** base64url of the sealed part. */
      blob: z.string().regex(/^[A-Za-z0-9_-]+$/),
      sig,
    }),
    z.object({ type: z.literal('checkpoint-list'), id: requestId }),
    z.object({
      type: z.literal('checkpoint-get'),
      id: requestId,
      device: deviceId,
      ck,
      part,
    }),
    z.object({ type: z.literal('ping') }),
  ]);
});
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export interface RelayMemberView {
  key: string;
  role: 'admin' | 'member';
  cut: number | null;
  at: number;
}

/** A complete checkpoint the relay holds: its device, id, parts, size, and when its last part came (relay's clock). */
export interface RelayCheckpoint {
  device: string;
  key: string;
  ck: string;
  parts: number;
  bytes: number;
  at: number;
}

export interface RelayBlob {
  device: string;
  key: string;
  seq: number;
  blob: string;
  sig: string;
}

/** Why the relay refused a request, as a code a client can act on. */
export type RefusalCode =
  | 'malformed'
  | 'not-member'
  | 'revoked'
  | 'bad-signature'
  | 'taken'
  | 'gap'
  | 'too-large'
  | 'quota'
  | 'rate'
  | 'no-mailbox'
  | 'busy'
  | 'not-found';

/** Messages the relay sends. */
export type ServerMessage =
  | { type: 'challenge'; nonce: string; protocol: typeof RELAY_PROTOCOL }
  | {
      type: 'welcome';
      mailbox: string | null;
      anchorKey: string | null;
      /** Per device id, its highest sequence number held. */
      heads: Record<string, number>;
      members: RelayMemberView[];
      limits: { maxBlobBytes: number; quotaBytes: number; usedBytes: number };
    }
  | { type: 'members-ok'; id: number; accepted: number; refused: string[] }
  | { type: 'ack'; id: number; seq: number; duplicate: boolean }
  | { type: 'refused'; id: number; code: RefusalCode; message: string }
  | { type: 'blobs'; id: number; blobs: RelayBlob[]; more: boolean }
  | { type: 'new'; device: string; seq: number }
  | { type: 'checkpoint-ack'; id: number; ck: string; part: number; duplicate: boolean; complete: boolean }
  | { type: 'checkpoints'; id: number; checkpoints: RelayCheckpoint[] }
  | {
      type: 'checkpoint-part';
      id: number;
      device: string;
      key: string;
      ck: string;
      part: number;
      parts: number;
      blob: string;
      sig: string;
    }
  | { type: 'pong' }
  | { type: 'error'; code: RefusalCode; message: string };

/** The contents of a blob once opened. */
export interface BlobContents {
  /** The state vector (encoded) the update starts from, and the one it reaches. */
  base: Uint8Array;
  after: Uint8Array;
  update: Uint8Array;
}

function blobAad(mailbox: string, deviceKey: string, seqNo: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(utf8(`larder relay blob v1|${mailbox}|${deviceKey}|${seqNo}`));
}

/** `plain` sealed with the blob key under `aad`: [version][IV][AES-GCM]. */
async function seal(
  plain: Uint8Array,
  aad: Uint8Array<ArrayBuffer>,
  blobKey: CryptoKey,
  randomBytes: RandomBytes,
): Promise<Uint8Array> {
  const iv = randomBytes(IV_BYTES);
  if (iv.length !== IV_BYTES) throw new Error('randomBytes returned the wrong number of bytes');
  const sealed = new Uint8Array(
    await subtle().encrypt(
      { name: 'AES-GCM', iv: new Uint8Array(iv), additionalData: aad, tagLength: TAG_BYTES * 8 },
      blobKey,
      new Uint8Array(plain),
    ),
  );
  const out = new Uint8Array(1 + IV_BYTES + sealed.length);
  out[0] = BLOB_VERSION;
  out.set(iv, 1);
  out.set(sealed, 1 + IV_BYTES);
  return out;
}

/** What `seal` sealed under `aad`; null for anything cut short or of another version. Throws when it does not open. */
async function unseal(
  bytes: Uint8Array,
  aad: Uint8Array<ArrayBuffer>,
  blobKey: CryptoKey,
): Promise<Uint8Array | null> {
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== BLOB_VERSION) return null;
  return new Uint8Array(
    await subtle().decrypt(
      {
        name: 'AES-GCM',
        iv: new Uint8Array(bytes.subarray(1, 1 + IV_BYTES)),
        additionalData: aad,
        tagLength: TAG_BYTES * 8,
      },
      blobKey,
      new Uint8Array(bytes.subarray(1 + IV_BYTES)),
    ),
  );
}

export async function sealRelayBlob(
  contents: BlobContents,
  at: { mailbox: string; deviceKey: string; seq: number },
  blobKey: CryptoKey,
  randomBytes: RandomBytes,
): Promise<Uint8Array> {
  if (contents.update.byteLength > MAX_INFLATED_BYTES)
    throw new Error('An update larger than 64 MB cannot go to the relay in one piece');
  const encoder = encoding.createEncoder();
  encoding.writeVarUint8Array(encoder, contents.base);
  encoding.writeVarUint8Array(encoder, contents.after);
  encoding.writeVarUint(encoder, contents.update.byteLength);
  encoding.writeVarUint8Array(encoder, deflate(contents.update));
  return seal(
    encoding.toUint8Array(encoder),
    blobAad(at.mailbox, at.deviceKey, at.seq),
    blobKey,
    randomBytes,
  );
}

const noPause = async () => undefined;

/** Opens a blob sealed for this mailbox, device and sequence number; null for anything else. Never throws. */
export async function openRelayBlob(
  bytes: Uint8Array,
  at: { mailbox: string; deviceKey: string; seq: number },
  blobKey: CryptoKey,
  /**
   * Awaited between the pieces it inflates (`pacer`): inflated at once, a blob of a joining device's history
   * was most of a task of 194 ms at 100,000 entries.
   */
  pause: () => Promise<void> = noPause,
): Promise<BlobContents | null> {
  try {
    const plain = await unseal(bytes, blobAad(at.mailbox, at.deviceKey, at.seq), blobKey);
    if (!plain) return null;
    const decoder = decoding.createDecoder(plain);
    const base = decoding.readVarUint8Array(decoder);
    const after = decoding.readVarUint8Array(decoder);
    const length = decoding.readVarUint(decoder);
    const packed = decoding.readVarUint8Array(decoder);
    if (decoding.hasContent(decoder)) return null;
    const update = await inflateExactlyPaced(packed, length, pause);
    return update ? { base, after, update } : null;
  } catch {
    return null;
  }
}

function checkpointAad(
  at: { mailbox: string; deviceKey: string; ck: string },
  part: number,
  parts: number,
): Uint8Array<ArrayBuffer> {
  return new Uint8Array(
    utf8(`larder relay checkpoint v1|${at.mailbox}|${at.deviceKey}|${at.ck}|${part}|${parts}`),
  );
}

/**
 * A checkpoint bundle sealed for the relay: deflated whole ([varUint length][deflated]), cut into parts
 * that are each at most `maxPartBytes` sealed, each sealed with its place in the whole. Throws for a bundle
 * over MAX_INFLATED_BYTES or one that would need more than MAX_CHECKPOINT_PARTS parts.
 */
export async function sealRelayCheckpoint(
  bundle: Uint8Array,
  at: { mailbox: string; deviceKey: string; ck: string },
  blobKey: CryptoKey,
  randomBytes: RandomBytes,
  maxPartBytes: number,
): Promise<Uint8Array[]> {
  if (bundle.byteLength > MAX_INFLATED_BYTES)
    throw new Error('A checkpoint larger than 64 MB cannot go to the relay');
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, bundle.byteLength);
  encoding.writeUint8Array(encoder, deflate(bundle));
  const packed = encoding.toUint8Array(encoder);
  const most = maxPartBytes - 1 - IV_BYTES - TAG_BYTES;
  if (most < 1) throw new Error('The relay takes parts too small for a checkpoint');
  // Parts of CHECKPOINT_PART_BYTES unless that would make too many: each part is one answer of the relay,
  // which a joining device on a slow link must take within its timeout (30 s: 8 MB is a minute at
  // 1 Mbit/s), and a frame of 8 MB is twice what the relay lets wait for a reader.
  const room = Math.min(
    most,
    Math.max(CHECKPOINT_PART_BYTES, Math.ceil(packed.byteLength / MAX_CHECKPOINT_PARTS)),
  );
  const parts = Math.ceil(packed.byteLength / room);
  if (parts > MAX_CHECKPOINT_PARTS)
    throw new Error(`A checkpoint of ${parts} parts is more than the relay takes (${MAX_CHECKPOINT_PARTS})`);
  const out: Uint8Array[] = [];
  for (let part = 0; part < parts; part++)
    out.push(
      await seal(
        packed.subarray(part * room, (part + 1) * room),
        checkpointAad(at, part, parts),
        blobKey,
        randomBytes,
      ),
    );
  return out;
}

/**
 * The bundle of a checkpoint's sealed parts, all of them in order; null when any part does not open for
 * this mailbox, device, checkpoint and place, or the whole does not inflate to the length it states (at
 * most MAX_INFLATED_BYTES). Never throws.
 */
export async function openRelayCheckpoint(
  parts: readonly Uint8Array[],
  at: { mailbox: string; deviceKey: string; ck: string },
  blobKey: CryptoKey,
  /** Awaited between the pieces it inflates, as for a blob: a task of 100 ms at 100,000 entries in one go. */
  pause: () => Promise<void> = noPause,
): Promise<Uint8Array | null> {
  try {
    if (parts.length === 0 || parts.length > MAX_CHECKPOINT_PARTS) return null;
    const plain: Uint8Array[] = [];
    for (const [part, bytes] of parts.entries()) {
      const opened = await unseal(bytes, checkpointAad(at, part, parts.length), blobKey);
      if (!opened) return null;
      plain.push(opened);
    }
    const whole = concatBytes(plain);
    const decoder = decoding.createDecoder(whole);
    const length = decoding.readVarUint(decoder);
    return await inflateExactlyPaced(whole.subarray(decoder.pos), length, pause);
  } catch {
    return null;
  }
}

export { fromBase64Url, toBase64Url };
