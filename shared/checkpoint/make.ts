import type { CryptoKey } from '../sync/keys';
import type { SignedHead } from '../doc';
import { idOf } from '../entries';
import type { LedgerRow, StockRow, UsageRow } from '../projection';
import { headHash } from '../trust/chain';
import { sign } from '../trust/crypto';
import type { DeviceGate } from '../trust/gate';
import type { MemberState } from '../trust/members';
import {
  digestOf,
  encodeBody,
  encodeBodyPaced,
  type CheckpointBody,
  type CheckpointSetting,
  type Cover,
  type EncodedCheckpoint,
} from './format';

/** A checkpoint as it travels: its two parts' exact bytes, who signed the head, and the signature. */
export interface SignedCheckpoint extends EncodedCheckpoint {
  by: string;
  sig: string;
}

/** A covered position as the gate knows it (what counts there comes from the projection). */
export type CoverPosition = Omit<Cover, 'counted'>;

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** SHA-256 of the head, base64url: names a checkpoint (the head names its rows), breaks ties between two. */
export const checkpointDigest = digestOf;

/** The exact text the maker signs: bound to the network, the maker and the head's digest. */
export function checkpointMessage(network: string, by: string, digest: string): string {
  return `larder checkpoint v1|${network}|${by}|${digest}`;
}

/**
 * The positions a checkpoint can cover, from the gate's per-device states: for every device whose
 * verified entries all have a verdict, its chain state there and the proof of that position (the
 * device's signed head at exactly that point, or the admin's revocation or adoption cut there).
 *
 * `waiting` lists devices whose counted entries cannot be proven yet (a newer head arrived but has not
 * gone through the gate, entries wait for an approval, or positions wait behind a restart of the device's
 * chain): a checkpoint made now would carry figures a receiver could not tie to signed history, or would
 * hide entries still to come below its cut, so the caller makes it once they are settled. A head that
 * names restarts of its chain is not a proof a checkpoint can carry yet: such a device waits too.
 */
export function coversFromGate(
  devices: Iterable<Omit<DeviceGate, 'pending'>>,
  heads: ReadonlyMap<string, SignedHead>,
  members: Pick<MemberState, 'members'>,
): { covers: CoverPosition[]; waiting: string[] } {
  const covers: CoverPosition[] = [];
  const waiting: string[] = [];
  for (const d of devices) {
    // Nothing of it counts yet (it waits for an approval, or its head): left to the receiver's own gate.
    if (d.decided === 0) continue;
    if (d.decided !== d.chain.seq || d.held.length > 0 || hasOpenGaps(d)) {
      waiting.push(d.device);
      continue;
    }
    const hash = headHash(d.chain);
    const head = heads.get(d.device);
    const revoked = members.members.get(d.device)?.revoked;
    const base = {
      device: d.device,
      seq: d.chain.seq,
      block: d.chain.block,
      partial: [...d.chain.partial],
      judgedAs: d.judgedAs ?? '',
    };
    if (head && head[0] === d.chain.seq && head[1] === hash)
      covers.push({ ...base, proof: { kind: 'head', sig: head[2] } });
    else if (revoked && revoked.cut === d.chain.seq && revoked.hash === hash)
      covers.push({ ...base, proof: { kind: 'cut' } });
    else waiting.push(d.device);
  }
  return { covers, waiting };
}

/**
 * Positions left open behind a restart of a device's chain (the gate records them as `gaps` where it
 * supports restarts): entries that fill them would count after the checkpoint although they lie below its
 * cut, so such a device waits.
 */
function hasOpenGaps(d: Omit<DeviceGate, 'pending'>): boolean {
  return ((d as { gaps?: readonly unknown[] }).gaps?.length ?? 0) > 0;
}

export interface CheckpointSource {
  network: string;
  /** The making device: it signs, and must be an admin or a coordinator for receivers to accept it. */
  by: string;
  at: number;
  covers: readonly CoverPosition[];
  /** The projection of exactly the counted entries the covers reach (Projector.allStock() etc.). */
  stock: Iterable<StockRow>;
  usage: Iterable<UsageRow>;
  ledger: Iterable<LedgerRow>;
  settings: readonly CheckpointSetting[];
}

/** The body of a checkpoint, checked for what the maker can check: every row within a covered position. */
export function checkpointBody(source: CheckpointSource): CheckpointBody {
  const cut = new Map(source.covers.map((c) => [c.device, c.seq]));
  const counted = new Map<string, number>();
  const rows = [...source.ledger];
  for (const r of rows) {
    const last = cut.get(r.device);
    if (last === undefined || r.seq > last)
      throw new CheckpointError(
        `Entry ${idOf(r)} counts but is beyond what device ${r.device} has signed; make the checkpoint once it is`,
      );
    counted.set(r.device, Math.max(counted.get(r.device) ?? 0, r.seq));
  }
  return {
    network: source.network,
    by: source.by,
    at: source.at,
    covers: source.covers.map((c) => ({ ...c, counted: counted.get(c.device) ?? 0 })),
    stock: [...source.stock],
    usage: [...source.usage],
    rows,
    settings: [...source.settings],
  };
}

/**
 * Encodes and signs a checkpoint with the device's Ed25519 key; with `pause`, its rows are encoded in steps,
 * `pause` awaited between them (the same bytes).
 */
export async function signCheckpoint(
  body: CheckpointBody,
  privateKey: CryptoKey,
  pause?: () => Promise<void>,
): Promise<SignedCheckpoint & { digest: string }> {
  const encoded = pause ? await encodeBodyPaced(body, pause) : encodeBody(body);
  return signEncoded(encoded, body.network, body.by, privateKey);
}

/**
 * Signs a checkpoint already encoded (by `network`'s device `by`, whose key `privateKey` is): its head's
 * digest, which names the rows' digest.
 */
export async function signEncoded(
  encoded: EncodedCheckpoint,
  network: string,
  by: string,
  privateKey: CryptoKey,
): Promise<SignedCheckpoint & { digest: string }> {
  const digest = checkpointDigest(encoded.head);
  const sig = await sign(privateKey, checkpointMessage(network, by, digest));
  return { head: encoded.head, rows: encoded.rows, by, sig, digest };
}

export async function makeCheckpoint(
  source: CheckpointSource,
  privateKey: CryptoKey,
  pause?: () => Promise<void>,
): Promise<SignedCheckpoint & { digest: string }> {
  return signCheckpoint(checkpointBody(source), privateKey, pause);
}
