import * as Y from 'yjs';
import { ledgersOf, type LedgerWire } from '../doc';
import type { CryptoKey } from '../sync/keys';
import {
  decodeSkeleton,
  encodeSkeleton,
  withRanges,
  type HoleArray,
  type Ranges,
  type Skeleton,
} from '../sync/skeleton';
import { sign, verify } from '../trust/crypto';
import { fault } from './errors';
import { digestOf } from './format';

/**
 * A checkpoint's skeleton as it travels (bundle.ts, version 2): the maker's doc up to a cut before which every
 * ledger value is one the checkpoint counts (shared/sync/cut.ts), so that a new device starts its doc from it
 * and takes over Yjs only what follows, instead of the whole history.
 *
 * The maker signs it apart from the head (`skeletonMessage`: the network, the maker, the head's digest and
 * the skeleton's), so a head signed before skeletons travelled still verifies, and a skeleton cannot be moved
 * to another checkpoint or changed on the way.
 *
 * What a receiver cannot check without the history: that the values the skeleton leaves out are values the
 * checkpoint counts. It trusts the maker (an admin or a coordinator) for that, as for the figures. What it
 * checks (`verifySkeleton`), and what it never takes from the carrier but works out itself, is what would
 * otherwise let a skeleton harm it or its peers:
 * - it reads (bounded: `decodeSkeleton`), and Yjs places all of it in an empty doc;
 * - every ledger value it holds is counted by the checkpoint (it is taken without a ledger event, so one not
 *   counted would never be);
 * - the ranges left out, the clocks past which a peer needs history and the deletions (what the app's encoders
 *   answer peers by: a skeleton claiming less left out would answer them GC structs and delete their history)
 *   are read from its updates' own GC structs, delete set and kept values, every GC struct taken as left out;
 * - the arrays its ranges left out were values of (where a lost device's next values go) are arrays of its
 *   `ledgers` map, within those ranges, and the values it keeps of each ledger are as many as it says.
 */

export function skeletonMessage(network: string, by: string, checkpoint: string, skeleton: string): string {
  return `larder checkpoint skeleton v1|${network}|${by}|${checkpoint}|${skeleton}`;
}

/** The skeleton's bytes and the maker's signature over them, for the checkpoint of digest `checkpoint`. */
export async function signSkeleton(
  skeleton: Skeleton,
  network: string,
  by: string,
  checkpoint: string,
  privateKey: CryptoKey,
): Promise<{ bytes: Uint8Array; sig: string }> {
  const bytes = encodeSkeleton(skeleton);
  return { bytes, sig: await sign(privateKey, skeletonMessage(network, by, checkpoint, digestOf(bytes))) };
}

/** The verified checkpoint a skeleton came with: its network, maker, the maker's key and the head's digest. */
export interface SkeletonSigner {
  network: string;
  by: string;
  key: string;
  digest: string;
}

function addRange(ranges: Ranges, client: number, from: number, to: number) {
  let list = ranges.get(client);
  if (!list) ranges.set(client, (list = []));
  list.push([from, to]);
}

const inside = (ranges: Ranges, client: number, from: number, to: number) =>
  (ranges.get(client) ?? []).some(([a, b]) => a <= from && to <= b);

/**
 * A skeleton that came with a verified checkpoint, checked (above) and with what the app's encoders answer
 * peers by worked out from its updates. `counted` says whether the checkpoint counts a ledger value. Throws a
 * CheckpointFormatError naming the fault.
 */
export async function verifySkeleton(
  carried: { bytes: Uint8Array; sig: string },
  signer: SkeletonSigner,
  counted: (device: string, value: LedgerWire) => boolean,
): Promise<Skeleton> {
  const message = skeletonMessage(signer.network, signer.by, signer.digest, digestOf(carried.bytes));
  if (!(await verify(signer.key, message, carried.sig)))
    fault('its skeleton', 'the maker did not sign it for this checkpoint');
  const skeleton = decodeSkeleton(carried.bytes);
  if (!skeleton) fault('its skeleton', 'it is not a skeleton this Larder reads');

  const holes: Ranges = new Map();
  const deletes: Ranges = new Map();
  const doc = new Y.Doc();
  try {
    for (const update of skeleton.updates) {
      const { structs, ds } = Y.decodeUpdate(update);
      for (const struct of structs)
        if (struct instanceof Y.GC)
          addRange(holes, struct.id.client, struct.id.clock, struct.id.clock + struct.length);
      for (const [client, items] of ds.clients)
        for (const item of items) addRange(deletes, client, item.clock, item.clock + item.len);
      Y.applyUpdate(doc, update);
    }
  } catch {
    fault('its skeleton', 'Yjs cannot read its updates');
  }
  if (doc.store.pendingStructs || doc.store.pendingDs)
    fault('its skeleton', 'its updates name structs it does not hold');

  const arrays = new Map<string, string>();
  ledgersOf(doc).forEach((array, device) => {
    if (!(array instanceof Y.Array)) return;
    arrays.set(`${array._item!.id.client}:${array._item!.id.clock}`, device);
    for (const value of array.toArray())
      if (!counted(device, value))
        fault('its skeleton', `it holds a value of ${device} the checkpoint does not count`);
    if ((skeleton.kept.get(device) ?? 0) !== array.length)
      fault('its skeleton', `it keeps ${array.length} values of ${device}, not the number it says`);
  });
  for (const device of skeleton.kept.keys())
    if (![...arrays.values()].includes(device))
      fault('its skeleton', `it says it keeps values of ${device}, and holds none`);
  for (const [device, length] of skeleton.lengths)
    if (length < (skeleton.kept.get(device) ?? 0)) fault('its skeleton', `its length of ${device} is short`);

  const leftOut = withRanges(new Map(), [holes]);
  const holeArrays = new Map<number, HoleArray[]>();
  for (const [client, list] of skeleton.holeArrays) {
    for (const { from, to, holder } of list) {
      if (!arrays.has(`${holder.client}:${holder.clock}`))
        fault('its skeleton', 'a range it left out names an array that is no ledger');
      if (!inside(holes, client, from, to))
        fault('its skeleton', 'a range it says it left out is not left out');
    }
    holeArrays.set(client, list);
  }
  // A peer short of a range left out, or of a value kept (written here after the one before it, not where its
  // writer put it), is answered from history.
  const through = new Map<number, number>();
  const past = (client: number, to: number) => through.set(client, Math.max(through.get(client) ?? 0, to));
  for (const [client, list] of leftOut) past(client, list.at(-1)![1]);
  ledgersOf(doc).forEach((array) => {
    if (!(array instanceof Y.Array)) return;
    for (let item = array._start; item; item = item.right) past(item.id.client, item.id.clock + item.length);
  });
  doc.destroy();
  return { ...skeleton, holes: leftOut, holeArrays, through, deletes: withRanges(new Map(), [deletes]) };
}
