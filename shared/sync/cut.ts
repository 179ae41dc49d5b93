import * as Y from 'yjs';
import { ledgersOf, type LedgerWire } from '../doc';
import { docPartsPaced } from './docParts';
import { SkeletonBuilder, type Skeleton } from './skeleton';

/**
 * A checkpoint's skeleton (issue 11, point 2: "a compacted state to continue syncing from"): the doc as a
 * checkpoint's maker had it, without the ledger values the checkpoint counts, so that a new device starts its
 * doc from it and takes over Yjs only what follows (docs/checkpoints.md, "Continuing over Yjs").
 *
 * A checkpoint counts entries by position in each device's signed chain; Yjs knows structs by client and
 * clock. A skeleton that left out a value the checkpoint does not count (an entry waiting for its device's
 * signed head, a device not covered) would lose it on the new device for good: its state vector would say it
 * had it. So the skeleton is made of the doc **up to a cut**: a clock per client before which every ledger
 * value is one the checkpoint counts. What is past the cut reaches the new device as a peer's answer to that
 * state vector, through the gate, as any update does (a counted entry among it is known as one and not
 * counted twice: shared/checkpoint/seed.ts `coveredBy`).
 *
 * The cut must also be one a doc can have been at: nothing before it may name anything past it (a value
 * inserted after another, a map value overwriting one, a value of an array made past it), or Yjs would keep
 * it pending. `checkpointCut` brings each client's cut back before any struct that does.
 */

/** Clock by client: a state vector. */
export type Cut = Map<number, number>;

/**
 * The cut of `doc` for a checkpoint that counts the ledger values `counted` says it counts (a device's id and
 * one value of its ledger): each client's clock, less everything from its first ledger value not counted on,
 * and less what names something past the cut. `doc` holds its history (not a skeleton doc).
 */
export function checkpointCut(doc: Y.Doc, counted: (device: string, value: LedgerWire) => boolean): Cut {
  const steps = cutSteps(doc, counted);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * `checkpointCut` with `pause` awaited every so often (a million ledger values are a second or two of
 * decoding): for a device whose saves must not wait that long.
 */
export async function checkpointCutPaced(
  doc: Y.Doc,
  counted: (device: string, value: LedgerWire) => boolean,
  pause: () => Promise<void>,
): Promise<Cut> {
  const steps = cutSteps(doc, counted);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await pause();
  }
}

/** Values or structs looked at between two steps of `cutSteps`. */
const CUT_STEP = 2_048;

function* cutSteps(
  doc: Y.Doc,
  counted: (device: string, value: LedgerWire) => boolean,
): Generator<void, Cut> {
  const cut: Cut = Y.decodeStateVector(Y.encodeStateVector(doc));
  const lower = (client: number, clock: number) => {
    if (clock < (cut.get(client) ?? 0)) cut.set(client, clock);
  };
  let done = 0;
  for (const [device, array] of ledgersOf(doc).entries()) {
    if (!(array instanceof Y.Array)) continue;
    for (let item = array._start; item; item = item.right) {
      if (item.deleted) continue;
      // A device's ledger appended by its own client is one item (Yjs merges them): a coordinator's 100,000
      // entries were one, judged in one task of 163 ms. So an item is judged CUT_STEP values at a time (if
      // Yjs splits it meanwhile, what is left of it is `item.right`: the loop comes to it next).
      for (let from = 0; from < item.length;) {
        const values = item.content.getContent() as LedgerWire[];
        const to = Math.min(values.length, from + CUT_STEP - done);
        let at = from;
        while (at < to && counted(device, values[at]!)) at++;
        done += at - from;
        if (at < to) {
          // The rest of the item is past the cut.
          lower(item.id.client, item.id.clock + at);
          break;
        }
        from = to;
        if (done >= CUT_STEP) {
          done = 0;
          yield;
        }
      }
    }
  }
  const past = (id: Y.ID | null) => id !== null && id.clock >= (cut.get(id.client) ?? 0);
  // Until nothing before the cut names anything past it: each pass brings clients back, never forward.
  for (let moved = true; moved;) {
    moved = false;
    for (const [client, structs] of doc.store.clients) {
      for (const struct of structs) {
        if (struct.id.clock >= (cut.get(client) ?? 0)) break;
        if (++done >= CUT_STEP) {
          done = 0;
          yield;
        }
        if (!(struct instanceof Y.Item)) continue;
        const parent = struct.parent instanceof Y.AbstractType ? (struct.parent._item?.id ?? null) : null;
        if (past(struct.origin) || past(struct.rightOrigin) || past(parent)) {
          lower(client, struct.id.clock);
          moved = true;
          break;
        }
      }
    }
  }
  for (const [client, clock] of cut) if (clock === 0) cut.delete(client);
  return cut;
}

/**
 * The skeleton a checkpoint carries: `doc` up to its cut for the values `counted` (above), every ledger value
 * before the cut left out but each run's last, as `SkeletonBuilder` leaves them out. Its state vector is the
 * cut: a peer answers it with everything past the cut.
 */
export function checkpointSkeleton(
  doc: Y.Doc,
  counted: (device: string, value: LedgerWire) => boolean,
): { cut: Cut; skeleton: Skeleton } {
  const cut = checkpointCut(doc, counted);
  return { cut, skeleton: skeletonUpTo(doc, cut) };
}

/** The skeleton of `doc` up to `cut` (`checkpointCut`'s). */
export function skeletonUpTo(doc: Y.Doc, cut: Cut): Skeleton {
  const builder = new SkeletonBuilder(cut);
  builder.add(Y.encodeStateAsUpdate(doc));
  return builder.finish();
}

/** The size of the parts `skeletonUpToPaced` reads the doc in: a few milliseconds of work each. */
const SKELETON_PART_BYTES = 128 * 1024;

/**
 * `skeletonUpTo` with the device's other work going on between its steps (`pause`, shared/pace.ts `pacer`):
 * the doc written in parts (`docPartsPaced`, which writes each struct after what it builds on, so the builder
 * places every struct as it reads it), each read in turn. Read whole, the doc's encoding alone was a task of
 * 136 ms at 100,000 entries on the maker's page. What is past `cut` is written too, and clipped as read.
 */
export async function skeletonUpToPaced(doc: Y.Doc, cut: Cut, pause: () => Promise<void>): Promise<Skeleton> {
  const { parts } = await docPartsPaced(doc, undefined, { maxBytes: SKELETON_PART_BYTES }, pause);
  const builder = new SkeletonBuilder(cut);
  for (const part of parts) {
    builder.add(part);
    await pause();
  }
  return builder.finish();
}
