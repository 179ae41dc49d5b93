import { CheckpointFormatError, fault } from './errors';
import type { SignedCheckpoint } from './make';

/**
 * A checkpoint as it travels to a new device (in a sync file, shared/sync/syncfile.ts): the signed head, its
 * rows, and the **member list** the receiver verifies it with. A new device has no member list of its own
 * yet (its doc holds only its own join request until the history arrives), so the maker's log travels with
 * the checkpoint. It needs no trust in the sender: the log is a chain of signed operations founded by the
 * network id itself (the founder's key's hash, which the invite gave the device), so the receiver replays
 * it exactly as it replays its own doc's (`evaluateMembers`) and judges the maker and every covered device
 * from that. What a sender can do is withhold the newest operations (a revocation); the same sender could
 * withhold them from the doc too, and the doc's log replaces this one as soon as it arrives.
 *
 *   offset  size  content
 *   0       1     bundle version (1)
 *   1       4     length J of the JSON part, unsigned big-endian
 *   5       J     UTF-8 JSON {by, sig, members}: the maker, its signature over the head, the raw member log
 *   5+J     4     length H of the head
 *   9+J     H     the head's exact bytes (format.ts)
 *   9+J+H   rest  the rows' exact bytes (rows.ts)
 *
 * Version 2 (a bundle carrying its maker's skeleton, shared/checkpoint/skeleton.ts) has the JSON's `skeletonSig`
 * (the maker's signature over the head's digest and the skeleton's: `skeletonMessage`) and, between the head and
 * the rows, the skeleton's length (4 bytes) and bytes (`encodeSkeleton`). A bundle without one is written as
 * version 1, which older Larders read.
 */
export const BUNDLE_VERSION = 1;
export const BUNDLE_VERSION_SKELETON = 2;

/** Bounds a sender controls: a member log of more is an attack, not a network. */
export const BUNDLE_LIMITS = {
  json: 16 * 1024 * 1024,
  members: 100_000,
  head: 64 * 1024 * 1024,
  skeleton: 64 * 1024 * 1024,
} as const;

export interface CheckpointBundle {
  checkpoint: Pick<SignedCheckpoint, 'head' | 'rows' | 'by' | 'sig'>;
  /** The member log's operations as the maker's doc holds them (`members` Y.Array), unchecked. */
  members: readonly unknown[];
  /** The maker's doc up to the checkpoint (`encodeSkeleton`) and its signature over it (`skeletonMessage`). */
  skeleton?: { bytes: Uint8Array; sig: string };
}

const LENGTH = 4;

export function encodeBundle(bundle: CheckpointBundle): Uint8Array {
  const { head, rows, by, sig } = bundle.checkpoint;
  const skeleton = bundle.skeleton;
  const json = new TextEncoder().encode(
    JSON.stringify(
      skeleton
        ? { by, sig, members: bundle.members, skeletonSig: skeleton.sig }
        : { by, sig, members: bundle.members },
    ),
  );
  if (json.length > BUNDLE_LIMITS.json)
    throw new CheckpointFormatError('The member log is too large to carry');
  if (head.length > BUNDLE_LIMITS.head) throw new CheckpointFormatError("The checkpoint's head is too large");
  if (skeleton && skeleton.bytes.length > BUNDLE_LIMITS.skeleton)
    throw new CheckpointFormatError("The checkpoint's skeleton is too large");
  const skeletonPart = skeleton ? LENGTH + skeleton.bytes.length : 0;
  const out = new Uint8Array(1 + LENGTH + json.length + LENGTH + head.length + skeletonPart + rows.length);
  const view = new DataView(out.buffer);
  out[0] = skeleton ? BUNDLE_VERSION_SKELETON : BUNDLE_VERSION;
  view.setUint32(1, json.length);
  out.set(json, 1 + LENGTH);
  let at = 1 + LENGTH + json.length;
  view.setUint32(at, head.length);
  at += LENGTH;
  out.set(head, at);
  at += head.length;
  if (skeleton) {
    view.setUint32(at, skeleton.bytes.length);
    out.set(skeleton.bytes, at + LENGTH);
    at += skeletonPart;
  }
  out.set(rows, at);
  return out;
}

const isString = (value: unknown, most: number): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= most;

/**
 * Reads a bundle; throws a CheckpointFormatError naming what is wrong. Checks only its shape and bounds:
 * the head, its signature, the rows and the member log are checked by their own rules after
 * (verifyCheckpoint, checkpointRows, evaluateMembers). The head and rows are views into `bytes`.
 */
export function decodeBundle(bytes: Uint8Array): CheckpointBundle {
  if (bytes.length < 1 + 2 * LENGTH) fault('its bundle', 'it is cut short');
  const version = bytes[0];
  if (version !== BUNDLE_VERSION && version !== BUNDLE_VERSION_SKELETON)
    fault('its bundle', `version ${version} is not one this Larder reads`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(1);
  if (jsonLength > BUNDLE_LIMITS.json) fault('its bundle', 'its member log is over the limit');
  const headAt = 1 + LENGTH + jsonLength + LENGTH;
  if (headAt > bytes.length) fault('its bundle', 'it is cut short');
  const headLength = view.getUint32(headAt - LENGTH);
  if (headLength > BUNDLE_LIMITS.head) fault('its bundle', 'its head is over the limit');
  if (headAt + headLength > bytes.length) fault('its bundle', 'it is cut short');
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(1 + LENGTH, headAt - LENGTH)),
    );
  } catch {
    fault('its bundle', 'its JSON part does not read');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fault('its bundle', 'its JSON part is not an object');
  const { by, sig, members, skeletonSig } = json as Record<string, unknown>;
  if (!isString(by, 64)) fault('its bundle', 'it names no maker');
  if (!isString(sig, 200)) fault('its bundle', 'it carries no signature');
  if (!Array.isArray(members) || members.length === 0) fault('its bundle', 'it carries no member log');
  if (members.length > BUNDLE_LIMITS.members) fault('its bundle', 'its member log is over the limit');
  let rowsAt = headAt + headLength;
  let skeleton: CheckpointBundle['skeleton'];
  if (version === BUNDLE_VERSION_SKELETON) {
    if (!isString(skeletonSig, 200)) fault('its bundle', 'its skeleton carries no signature');
    if (rowsAt + LENGTH > bytes.length) fault('its bundle', 'it is cut short');
    const skeletonLength = view.getUint32(rowsAt);
    if (skeletonLength > BUNDLE_LIMITS.skeleton) fault('its bundle', 'its skeleton is over the limit');
    if (rowsAt + LENGTH + skeletonLength > bytes.length) fault('its bundle', 'it is cut short');
    skeleton = { bytes: bytes.subarray(rowsAt + LENGTH, rowsAt + LENGTH + skeletonLength), sig: skeletonSig };
    rowsAt += LENGTH + skeletonLength;
  } else if (skeletonSig !== undefined) fault('its bundle', 'it signs a skeleton it does not carry');
  return {
    checkpoint: {
      by,
      sig,
      head: bytes.subarray(headAt, headAt + headLength),
      rows: bytes.subarray(rowsAt),
    },
    members,
    ...(skeleton ? { skeleton } : {}),
  };
}
