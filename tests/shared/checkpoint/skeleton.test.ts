import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { decodeBundle, encodeBundle, type CheckpointBundle } from '../../../shared/checkpoint/bundle';
import { CheckpointFormatError } from '../../../shared/checkpoint/errors';
import { digestOf } from '../../../shared/checkpoint/format';
import {
  signSkeleton,
  skeletonMessage,
  verifySkeleton,
  type SkeletonSigner,
} from '../../../shared/checkpoint/skeleton';
import type { LedgerWire } from '../../../shared/doc';
import { checkpointSkeleton } from '../../../shared/sync/cut';
import { encodeSkeleton, holdsHistory, type Skeleton } from '../../../shared/sync/skeleton';
import { sign } from '../../../shared/trust/crypto';
import { ledgerOf, push } from '../sync/replicas';
import { testDevices } from '../trust/fixtures';

/**
 * A checkpoint's skeleton as it travels (shared/checkpoint/skeleton.ts, bundle.ts version 2): signed by the
 * maker for one checkpoint, and checked by the receiver before its doc starts from it. What the app's encoders
 * answer peers by is worked out from the skeleton's own updates, never taken from the carrier.
 */

const [maker, other] = await testDevices(11, 12);
const NETWORK = 'network0000001';
const DIGEST = 'checkpointdigest';
const signer: SkeletonSigner = { network: NETWORK, by: maker.id, key: maker.key, digest: DIGEST };

/** Three devices' ledgers, a setting overwritten, and two values of d1 the checkpoint does not count. */
function makerDoc() {
  const doc = new Y.Doc();
  doc.clientID = 7;
  for (let i = 0; i < 3; i++) {
    push(doc, 'd0', 3);
    push(doc, 'd1', 2);
    doc.getMap('items').set('rice', i);
  }
  const other = new Y.Doc();
  other.clientID = 8;
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
  push(other, 'd2', 4);
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)));
  const uncounted = new Set(ledgerOf(doc, 'd1').slice(-2));
  const counted = (_: string, value: LedgerWire) => !uncounted.has(value);
  return { doc, counted, ...checkpointSkeleton(doc, counted) };
}

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointFormatError);
    return (error as Error).message;
  }
  throw new Error('not refused');
}

describe('a checkpoint skeleton as it travels', () => {
  it('signed by the maker, carried in a bundle, verified: what answers peers is worked out from its updates', async () => {
    const { counted, skeleton } = makerDoc();
    const carried = await signSkeleton(skeleton, NETWORK, maker.id, DIGEST, maker.keys.privateKey);
    const bundle: CheckpointBundle = {
      checkpoint: { head: Uint8Array.of(1, 2), rows: Uint8Array.of(3), by: maker.id, sig: 'sig' },
      members: [['op']],
      skeleton: carried,
    };
    const bytes = encodeBundle(bundle);
    expect(bytes[0]).toBe(2);
    const decoded = decodeBundle(bytes);
    expect(decoded).toEqual(bundle);
    // Cut anywhere before its rows: refused (a cut inside the rows is found by their digest).
    for (let n = 0; n < bytes.length - 1; n++)
      expect(() => decodeBundle(bytes.subarray(0, n)), `cut at ${n}`).toThrow(CheckpointFormatError);
    // One without a skeleton stays version 1, which older Larders read.
    expect(encodeBundle({ ...bundle, skeleton: undefined })[0]).toBe(1);

    const verified = await verifySkeleton(decoded.skeleton!, signer, counted);
    expect(verified.updates).toEqual(skeleton.updates);
    expect(verified.holes).toEqual(skeleton.holes);
    expect(verified.deletes).toEqual(skeleton.deletes);
    expect(verified.through).toEqual(skeleton.through);
    expect(verified.holeArrays).toEqual(skeleton.holeArrays);
    expect(verified.kept).toEqual(skeleton.kept);
  });

  it('refuses one signed by another device, for another checkpoint, or changed on the way', async () => {
    const { counted, skeleton } = makerDoc();
    const carried = await signSkeleton(skeleton, NETWORK, maker.id, DIGEST, maker.keys.privateKey);
    const byOther = await signSkeleton(skeleton, NETWORK, maker.id, DIGEST, other.keys.privateKey);
    const otherCheckpoint = await signSkeleton(skeleton, NETWORK, maker.id, 'another', maker.keys.privateKey);
    const changed = { ...carried, bytes: Uint8Array.from(carried.bytes) };
    changed.bytes[changed.bytes.length - 1]! ^= 1;
    for (const bad of [byOther, otherCheckpoint, changed])
      expect(await refusal(() => verifySkeleton(bad, signer, counted))).toMatch(/did not sign it/);
  });

  it('refuses, signed by the maker, a skeleton that holds a value not counted, does not read or fit, or misstates what it keeps', async () => {
    const { doc, counted, skeleton } = makerDoc();
    const signed = async (s: Skeleton) => signSkeleton(s, NETWORK, maker.id, DIGEST, maker.keys.privateKey);
    const asSigned = async (bytes: Uint8Array) => ({
      bytes,
      sig: await sign(maker.keys.privateKey, skeletonMessage(NETWORK, maker.id, DIGEST, digestOf(bytes))),
    });
    // Its kept values include one the checkpoint does not count (a skeleton of the whole doc).
    const whole = checkpointSkeleton(doc, () => true).skeleton;
    expect(await refusal(async () => verifySkeleton(await signed(whole), signer, counted))).toMatch(
      /holds a value of d1 the checkpoint does not count/,
    );
    // Bytes that are no skeleton.
    expect(
      await refusal(async () => verifySkeleton(await asSigned(Uint8Array.of(1, 2, 3)), signer, counted)),
    ).toMatch(/not a skeleton/);
    // Updates that name structs it does not hold (a struct of the maker's doc past the cut, with nothing before).
    const later = new Y.Doc();
    later.clientID = 9;
    Y.applyUpdate(later, Y.encodeStateAsUpdate(doc));
    later.getMap('items').set('rice', 99);
    const orphan = Y.encodeStateAsUpdate(later, Y.encodeStateVector(doc));
    expect(
      await refusal(async () =>
        verifySkeleton(await signed({ ...skeleton, updates: [orphan] }), signer, counted),
      ),
    ).toMatch(/name structs it does not hold/);
    const cutShort = skeleton.updates[0]!.subarray(0, 40);
    expect(
      await refusal(async () =>
        verifySkeleton(await signed({ ...skeleton, updates: [cutShort] }), signer, counted),
      ),
    ).toMatch(/Yjs cannot read its updates/);
    // Says it keeps more, or other, values than it holds.
    const kept = new Map(skeleton.kept);
    kept.set('d0', (kept.get('d0') ?? 0) + 1);
    expect(
      await refusal(async () => verifySkeleton(await signed({ ...skeleton, kept }), signer, counted)),
    ).toMatch(/keeps \d+ values of d0/);
    const ghost = new Map(skeleton.kept).set('d9', 1);
    expect(
      await refusal(async () => verifySkeleton(await signed({ ...skeleton, kept: ghost }), signer, counted)),
    ).toMatch(/keeps values of d9/);
    const short = new Map(skeleton.lengths).set('d0', 0);
    expect(
      await refusal(async () =>
        verifySkeleton(await signed({ ...skeleton, lengths: short }), signer, counted),
      ),
    ).toMatch(/length of d0 is short/);
    // Names as left out a range it holds, or an array that is no ledger.
    const [client, arrays] = [...skeleton.holeArrays][0]!;
    const wide = new Map(skeleton.holeArrays).set(client, [{ ...arrays[0]!, to: arrays[0]!.to + 1000 }]);
    expect(
      await refusal(async () =>
        verifySkeleton(await signed({ ...skeleton, holeArrays: wide }), signer, counted),
      ),
    ).toMatch(/is not left out/);
    const rice = doc.getMap('items')._map.get('rice')!.id;
    const elsewhere = new Map(skeleton.holeArrays).set(client, [{ ...arrays[0]!, holder: rice }]);
    expect(
      await refusal(async () =>
        verifySkeleton(await signed({ ...skeleton, holeArrays: elsewhere }), signer, counted),
      ),
    ).toMatch(/names an array that is no ledger/);
  });

  it('never takes from the carrier what answers peers: a skeleton claiming nothing left out still answers no peer short of history', async () => {
    const { counted, skeleton } = makerDoc();
    const lying: Skeleton = { ...skeleton, holes: new Map(), through: new Map(), deletes: new Map() };
    const verified = await verifySkeleton(
      await signSkeleton(lying, NETWORK, maker.id, DIGEST, maker.keys.privateKey),
      signer,
      counted,
    );
    expect(verified.holes).toEqual(skeleton.holes);
    expect(verified.through).toEqual(skeleton.through);
    // A peer with nothing is short of history: it is answered from history, never from the skeleton.
    expect(holdsHistory(verified, new Map())).toBe(false);
    expect(encodeSkeleton(lying)).not.toEqual(encodeSkeleton(verified));
  });
});
