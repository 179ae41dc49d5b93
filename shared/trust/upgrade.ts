import { idOf, type Entry } from '../entries';
import { chainStart, entryLine, extendChain, headHash } from './chain';
import { deviceIdOf, verify } from './crypto';
import { networkIdOf, opMessage } from './members';

/**
 * Networks made before signing came: anyone holding the network key could write as anyone. An admin
 * upgrades such a network once (LarderStore.upgradeToSigned):
 *
 * 1. Its device makes a key pair and writes a `genesis` for the network's existing id; the member list is
 *    then anchored on that key (networkIdOf), which every later invite carries.
 * 2. It signs the history as its device has it: for every device seen so far, an `adopt` operation names
 *    the last entry of that device that counts (the cut) and the chain hash up to it. What was recorded
 *    before counts as it did; nothing that device id writes later counts.
 * 3. It signs every setting again.
 *
 * Every other device adopts the upgrade when it first sees the genesis (by sync or sync file): it makes its
 * own key pair, asks to join under its new device id, and records again under that id whatever it had
 * recorded after its cut (so nothing it saved is lost, and nothing counts twice: the old copies never
 * count). Its new entries count once an admin approves it.
 */

/** Where an upgrade freezes a device from before signing: entries 1..seq count, verified by `hash`. */
export interface LegacyCut {
  device: string;
  seq: number;
  /** The chain hash over the device's entries 1..seq (null when seq is 0). */
  hash: string | null;
}

/**
 * The cut of every device in `entries`: its longest run of sequence numbers from 1 without a gap, taking
 * at each position the first entry there (as the gate tries them), hashed as its chain on `network`.
 */
export function legacyCuts(network: string, entries: readonly Entry[]): LegacyCut[] {
  const byDevice = new Map<string, Map<number, Entry>>();
  for (const e of entries) {
    let seqs = byDevice.get(e.device);
    if (!seqs) byDevice.set(e.device, (seqs = new Map()));
    if (!seqs.has(e.seq)) seqs.set(e.seq, e);
  }
  const cuts: LegacyCut[] = [];
  for (const device of [...byDevice.keys()].sort()) {
    const seqs = byDevice.get(device)!;
    const lines: string[] = [];
    while (seqs.has(lines.length + 1)) lines.push(entryLine(seqs.get(lines.length + 1)!));
    const chain = extendChain(chainStart(network, device), lines);
    cuts.push({ device, seq: chain.seq, hash: chain.seq > 0 ? headHash(chain) : null });
  }
  return cuts;
}

/**
 * A device's own entries recorded after its cut, recorded again under its new id from `firstSeq` on.
 * References between them (an undo of one of them, a transfer's later steps) follow to the new ids;
 * references to anything else stay as they are.
 */
export function carryOver(entries: readonly Entry[], device: string, firstSeq: number): Entry[] {
  const moved = new Map<string, string>();
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  sorted.forEach((e, i) => moved.set(idOf(e), `${device}.${firstSeq + i}`));
  return sorted.map((e, i) => {
    const copy: Record<string, unknown> = { ...e, device, seq: firstSeq + i };
    // Entry ids hold a dot; no other field's value does, so only references to moved entries change.
    for (const [field, value] of Object.entries(copy))
      if (moved.has(value as string)) copy[field] = moved.get(value as string);
    return copy as unknown as Entry;
  });
}

/**
 * The first genesis in the member log that its own key signed, for `network`: the upgrade a device from
 * before signing adopts. Later geneses (someone else holding the old key) are ignored; from then on the
 * device's member list is anchored on this one's key.
 */
export async function firstGenesis(
  network: string,
  raw: readonly unknown[],
): Promise<{ anchor: string; device: string } | null> {
  // As many operations as a member list is read for (members.ts), no more.
  for (const value of raw.slice(0, 10_000)) {
    // Anything malformed throws on the way (or fails verify) and is passed over.
    try {
      const [payload, by, sig] = value as [string, string, string];
      const op = JSON.parse(payload) as { t: unknown; net: unknown; dev: unknown; key: string };
      if (op.t !== 'genesis' || op.net !== network || by !== op.dev || deviceIdOf(op.key) !== by) continue;
      if (await verify(op.key, opMessage(payload), sig)) return { anchor: networkIdOf(op.key), device: by };
    } catch {
      continue;
    }
  }
  return null;
}
