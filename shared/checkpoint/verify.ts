import { headHash, headMessage } from '../trust/chain';
import { verify } from '../trust/crypto';
import { inBatches } from '../pace';
import type { VerifiedHead } from '../trust/gate';
import type { MemberState, Role } from '../trust/members';
import { verifySetting, type SettingMap, type SettingVerdict } from '../trust/settings';
import type { LedgerRow } from '../projection';
import {
  CheckpointFormatError,
  decodeHead,
  decodeRows,
  type CheckpointHead,
  type CheckpointSetting,
} from './format';
import { checkpointDigest, checkpointMessage, type SignedCheckpoint } from './make';

/**
 * Who may make a checkpoint. A checkpoint states every hub's figures, and a receiver that starts from it
 * cannot check them without the history it is meant to spare. So only a device that may write for every
 * hub may state them: admins and coordinators (members.ts `mayWriteFor`). A hub device may write only for
 * its own hub; letting it state another hub's stock would give it, by the back door, a right the gate
 * denies it entry by entry.
 */
export const CHECKPOINT_MAKERS: readonly Role[] = ['admin', 'coordinator'];

export interface VerifiedCheckpoint {
  /** The head, with only the settings that hold. */
  head: CheckpointHead;
  digest: string;
  /** Entries covered, all devices together: how much history a device starting here skips. */
  covered: number;
  /** Settings whose signature or writer's right did not hold: left out, with the verdict's reason. */
  rejectedSettings: { map: SettingMap; key: string; reason: RejectedSetting['reason'] }[];
  /** The value each setting that holds counts as (undefined: cleared), as its verdict gave it. */
  settingValues: { map: SettingMap; key: string; value: unknown }[];
}
type RejectedSetting = Extract<SettingVerdict, { ok: false }>;

/**
 * Why a checkpoint is refused, as a code (the renderer words it): `device` names the covered device
 * concerned, `detail` says more for logs (a malformed body's first fault).
 */
export type CheckpointRefusal =
  | { code: 'checkpoint.malformed'; detail: string }
  | { code: 'checkpoint.otherNetwork' | 'checkpoint.makerMismatch' | 'checkpoint.badSignature' }
  | { code: 'checkpoint.makerNotMember' | 'checkpoint.makerRevoked'; device: string }
  | { code: 'checkpoint.makerRole'; device: string; role: Role }
  | {
      code:
        | 'checkpoint.coverNotMember'
        | 'checkpoint.coverJudgedOtherwise'
        | 'checkpoint.coverPastRevocation'
        | 'checkpoint.coverFork'
        | 'checkpoint.coverNotSigned'
        | 'checkpoint.coverNoCut';
      device: string;
    };

export type CheckpointVerdict =
  { ok: true; checkpoint: VerifiedCheckpoint } | { ok: false; refusal: CheckpointRefusal };

const refuse = (refusal: CheckpointRefusal): CheckpointVerdict => ({ ok: false, refusal });

/**
 * Accepts a checkpoint's head only if every part a receiver can check holds, from its member list (and the
 * heads it has verified, when it has any):
 * - the head is well formed (format.ts), for this network;
 * - its maker is an approved, unrevoked admin or coordinator, and signed exactly these bytes;
 * - every covered position is proven by the device's own signed head there, or by the admin's
 *   revocation or adoption cut there; the device is a member, judged now as it was then (role and hub:
 *   the gate's verdicts depend on them), and none of its entries after its revocation counts;
 * - its rows are checked after, against the digest the signed head names (`checkpointRows`);
 * - no covered position contradicts a head the receiver verified at that same position (a device that
 *   signed two histories).
 * Settings are checked one by one as the doc's are; one that fails is left out and reported, not fatal.
 */
export async function verifyCheckpoint(
  signed: Pick<SignedCheckpoint, 'head' | 'by' | 'sig'>,
  network: string,
  members: MemberState,
  known: ReadonlyMap<string, VerifiedHead> = new Map(),
): Promise<CheckpointVerdict> {
  let body: CheckpointHead;
  try {
    body = decodeHead(signed.head);
  } catch (error) {
    if (error instanceof CheckpointFormatError)
      return refuse({ code: 'checkpoint.malformed', detail: error.message });
    throw error;
  }
  if (body.network !== network) return refuse({ code: 'checkpoint.otherNetwork' });
  if (body.by !== signed.by) return refuse({ code: 'checkpoint.makerMismatch' });
  const maker = members.members.get(body.by);
  if (!maker) return refuse({ code: 'checkpoint.makerNotMember', device: body.by });
  if (maker.revoked) return refuse({ code: 'checkpoint.makerRevoked', device: body.by });
  if (!CHECKPOINT_MAKERS.includes(maker.role))
    return refuse({ code: 'checkpoint.makerRole', device: body.by, role: maker.role });
  const digest = checkpointDigest(signed.head);
  if (!(await verify(maker.key, checkpointMessage(network, body.by, digest), signed.sig)))
    return refuse({ code: 'checkpoint.badSignature' });

  let covered = 0;
  for (const c of body.covers) {
    const device = c.device;
    const member = members.members.get(device);
    if (!member) return refuse({ code: 'checkpoint.coverNotMember', device });
    if (c.judgedAs !== `${member.role}|${member.hub ?? ''}`)
      return refuse({ code: 'checkpoint.coverJudgedOtherwise', device });
    // Covering positions past a revocation is right when they were set aside; counting one is not.
    if (member.revoked && c.counted > member.revoked.cut)
      return refuse({ code: 'checkpoint.coverPastRevocation', device });
    const hash = headHash({ seq: c.seq, block: c.block, partial: c.partial });
    const seen = known.get(device);
    if (seen && seen.seq === c.seq && seen.hash !== hash)
      return refuse({ code: 'checkpoint.coverFork', device });
    if (c.proof.kind === 'head') {
      // A device from before signing has no key: only its adoption by an admin can cover it.
      if (
        member.legacy ||
        !(await verify(member.key, headMessage(network, device, c.seq, hash), c.proof.sig))
      )
        return refuse({ code: 'checkpoint.coverNotSigned', device });
    } else if (!member.revoked || member.revoked.cut !== c.seq || member.revoked.hash !== hash) {
      return refuse({ code: 'checkpoint.coverNoCut', device });
    }
    covered += c.seq;
  }

  const settings: CheckpointSetting[] = [];
  const rejectedSettings: VerifiedCheckpoint['rejectedSettings'] = [];
  const settingValues: VerifiedCheckpoint['settingValues'] = [];
  // In batches checked together, other tasks let run between two (shared/pace.ts): one signature awaited
  // after the other, a new device's 7,207 settings (3,600 items and their levels) took 1.1-1.4 s.
  const verdicts = await inBatches(body.settings, (s) =>
    verifySetting(network, s.map, s.key, s.env, members),
  );
  for (const [i, s] of body.settings.entries()) {
    const verdict = verdicts[i]!;
    if (verdict.ok) {
      settings.push(s);
      settingValues.push({ map: s.map, key: s.key, value: verdict.value });
    } else rejectedSettings.push({ map: s.map, key: s.key, reason: verdict.reason });
  }
  return {
    ok: true,
    checkpoint: { head: { ...body, settings }, digest, covered, rejectedSettings, settingValues },
  };
}

/**
 * The rows of a verified checkpoint, checked against its head (decodeRows): needed before the first
 * entry after the checkpoint is counted, not for the stock view, so a device can show stock first.
 */
export function checkpointRows(
  checkpoint: VerifiedCheckpoint,
  rows: Uint8Array,
): { ok: true; rows: LedgerRow[] } | { ok: false; refusal: CheckpointRefusal } {
  try {
    return { ok: true, rows: decodeRows(checkpoint.head, rows) };
  } catch (error) {
    if (error instanceof CheckpointFormatError)
      return { ok: false, refusal: { code: 'checkpoint.malformed', detail: error.message } };
    throw error;
  }
}

/**
 * Of several verified checkpoints (made concurrently by different devices), the one to start from: the
 * one covering the most entries, so the least must follow it; on a tie the lowest digest, so every device
 * picks the same one whatever order they arrived in. The maker's clock is never used: it is a claim.
 *
 * Two checkpoints are never merged, even when they cover different devices: each holds sums over all
 * devices (on hand per hub and item), and the part they share cannot be told apart from the figures alone.
 * Whatever the chosen one does not cover arrives as ordinary entries, checked by the gate as usual.
 */
export function chooseCheckpoint(candidates: readonly VerifiedCheckpoint[]): VerifiedCheckpoint | null {
  let best: VerifiedCheckpoint | null = null;
  for (const c of candidates) {
    if (!best || c.covered > best.covered || (c.covered === best.covered && c.digest < best.digest)) best = c;
  }
  return best;
}
