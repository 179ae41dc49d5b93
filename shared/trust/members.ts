import { z } from 'zod';
import { ID_PATTERN } from '../ids';
import { lazySchema, once } from '../lazy';
import { deviceIdOf, sign, verify } from './crypto';
import type { CryptoKey } from '../sync/keys';
import { sha256Bytes } from './crypto';
import { msg, type DomainMessage } from '../messages';
import { toBase64Url } from '../sync/encoding';
import { inBatches } from '../pace';

/**
 * The member list: a signed, append-only log of operations in the doc's `members` array. What a device
 * may write is decided from it, the same way on every replica:
 *
 * - `genesis`: the network's first admin. Valid only for the key the network id is derived from
 *   (networkIdOf), so the anchor of trust is in every invite and no one else can claim it.
 * - `request`: a device asks to join with its own key, name and hub (self-signed). It can carry a
 *   pre-approval an admin signed into an invite: single-use, for 24 hours.
 * - `approve`: an admin admits a device (or changes its role or hub).
 * - `revoke`: an admin cuts a device off after a given sequence number (and the chain hash there).
 * - `adopt`: on a network made before signing came, the admin who upgraded it signs a device's history
 *   from before: its entries up to a cut-off (and the chain hash there) count; nothing later does.
 *
 * Operations are replayed in the log's order (the same on every replica), and each counts only if its
 * signer is an admin at that point of the replay. Keys come with the operations: a device id is derived
 * from its key (deviceIdOf), so any operation naming a key names the device it belongs to.
 */
export type Role = 'admin' | 'coordinator' | 'hub';
export const ROLES: readonly Role[] = ['admin', 'coordinator', 'hub'];
export const PRE_APPROVAL_MS = 24 * 60 * 60 * 1000;

/** At most this many operations from before chains (no `n`) that a revocation accepts, by hash. */
export const MAX_KEEP_OLD = 256;
/** An operation's JSON, at most; a rotation (one sealed key per remaining device) may be longer. */
const MAX_OP_CHARS = 4000;
/** A rotation seals the key to at most this many devices (about 130 characters each). */
export const MAX_SEALED = 480;
export const MAX_ROTATE_CHARS = 64_000;

/** The schemas, made the first time one is used (shared/lazy.ts): the app's first view reads none of them. */
const schemas = once(() => {
  const id = z.string().regex(ID_PATTERN);
  const key = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
  const name = z.string().min(1).max(80);
  const at = z
    .number()
    .int()
    .min(0)
    .max(Date.UTC(2100, 0, 1));
  const sig = z.string().regex(/^[A-Za-z0-9_-]{86}$/);
  /** An operation's hash (opHash): SHA-256, base64url. */
  const hash = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
  const counter = z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1);
  /**
   * Each operation's place in its signer's own chain: `n` counts the signer's operations (1 for its first),
   * `p` is the hash of its operation `n - 1`. A revocation names the last of them it accepts (`keep`), so
   * what a revoked admin signs later never counts, wherever Yjs places it in the log.
   */
  const link = { n: counter.min(1).optional(), p: hash.optional() };

  const preApprovalSchema = z.object({
    t: z.literal('pre'),
    net: id,
    /** Random: a token can be used by one device only. */
    id: z.string().regex(/^[0-9a-z]{8,32}$/),
    role: z.enum(['coordinator', 'hub']),
    exp: at,
  });

  const signedToken = z.object({ p: z.string().max(2000), by: id, s: sig });

  /** A network key sealed to each of up to MAX_SEALED devices (seal.ts), by device id: rotations and grants. */
  const sealedCopies = z
    .record(id, z.string().max(200))
    .refine((sealed) => Object.keys(sealed).length <= MAX_SEALED, 'too many devices');

  const opSchema = z.discriminatedUnion('t', [
    z.object({
      t: z.literal('genesis'),
      net: id,
      dev: id,
      key,
      box: key.optional(),
      name,
      /** Null when a coordinator's device upgrades a network made before signing. */
      hub: id.nullable(),
      at,
      ...link,
    }),
    z.object({
      t: z.literal('request'),
      net: id,
      dev: id,
      key,
      /** X25519 key to seal a rotated network key to. */
      box: key.optional(),
      name,
      hub: id.nullable(),
      /** The name of the hub, when the device starts a new one (an admin sees it before approving). */
      hubName: name.optional(),
      role: z.enum(['coordinator', 'hub']),
      at,
      ...link,
      pre: signedToken.optional(),
    }),
    z.object({
      t: z.literal('approve'),
      net: id,
      dev: id,
      key,
      box: key.optional(),
      name,
      hub: id.nullable(),
      role: z.enum(['admin', 'coordinator', 'hub']),
      at,
      ...link,
    }),
    z.object({
      t: z.literal('revoke'),
      net: id,
      dev: id,
      /** The last sequence number of the device that still counts. */
      cut: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
      /** The device's chain head hash at `cut`, as the admin's device had it (null when cut is 0). */
      hash: z.string().max(64).nullable(),
      /**
       * The revoked device's own member operations that still count: its chain up to operation `n` (whose
       * hash is `h`), and those it signed before chains by hash. Absent in revocations from before chains:
       * those restrict nothing of the member log.
       */
      keep: z.object({ n: counter, h: hash.nullable(), old: z.array(hash).max(MAX_KEEP_OLD) }).optional(),
      at,
      ...link,
    }),
    z.object({
      t: z.literal('adopt'),
      net: id,
      /** A device id from before signing (not derived from a key). */
      dev: id,
      name,
      hub: id.nullable(),
      /** Its last sequence number that counts, and its chain hash there (null when cut is 0). */
      cut: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
      hash: z.string().max(64).nullable(),
      at,
      ...link,
    }),
    z.object({
      t: z.literal('rotate'),
      net: id,
      /** The key's generation: 1 for the first rotation. */
      epoch: z.number().int().min(1).max(1_000_000),
      /** The new network key sealed to each remaining device (seal.ts), by device id. */
      sealed: sealedCopies,
      at,
      ...link,
    }),
    z.object({
      t: z.literal('grant'),
      net: id,
      /** The rotation whose key this passes on. */
      epoch: z.number().int().min(1).max(1_000_000),
      /**
       * That key sealed to members its rotation left out: devices approved after it, or waiting for approval
       * while it was made (a rotation seals only to members; a request may come from the lost laptop itself).
       */
      sealed: sealedCopies,
      at,
      ...link,
    }),
  ]);

  return { preApprovalSchema, signedToken, opSchema };
});

export const preApprovalSchema = lazySchema(() => schemas().preApprovalSchema);
export type PreApproval = z.infer<typeof preApprovalSchema>;
export type SignedToken = z.infer<ReturnType<typeof schemas>['signedToken']>;
const opSchema = lazySchema(() => schemas().opSchema);
export type MemberOp = z.infer<typeof opSchema>;
/** As stored in the doc: the op's exact JSON, the signer's device id, the signature. */
export type SignedOp = readonly [payload: string, by: string, sig: string];

export interface Member {
  device: string;
  key: string;
  box?: string;
  name: string;
  hub: string | null;
  role: Role;
  approvedBy: string;
  approvedAt: number;
  /**
   * Set when an admin revoked it: entries after `cut` never count, nor member operations it signed other
   * than those `keep` names (when the revocation names them).
   */
  revoked?: { cut: number; hash: string | null; by: string; at: number; keep?: Keep };
  /**
   * A device from before signing, adopted when its network was upgraded (`revoked` holds the cut-off):
   * it had no key, and what it wrote before the cut counts for whichever hub, as it did then.
   */
  legacy?: true;
}

/** The member operations of a revoked device that still count (a revocation's `keep`). */
export interface Keep {
  /** Its chain up to operation `n` (0: none)... */
  n: number;
  /** ...whose hash is `h`. */
  h: string | null;
  /** Operations it signed before chains, by hash. */
  old: string[];
}

/** Where a device's next member operation goes in its chain. */
export interface Link {
  n: number;
  p?: string;
}

export interface JoinRequest {
  device: string;
  key: string;
  box?: string;
  name: string;
  hub: string | null;
  hubName?: string;
  role: 'coordinator' | 'hub';
  at: number;
}

export interface MemberState {
  network: string;
  members: Map<string, Member>;
  /** Devices that asked to join and are not members (yet). */
  requests: Map<string, JoinRequest>;
  /** Every device's key that appears in a valid operation (to verify its heads, even before approval). */
  keys: Map<string, string>;
  /**
   * The newest key rotation an admin signed: the network key of that epoch, sealed to each device (the
   * copies admins granted later to members it left out included; the rotation's own copy comes first).
   */
  rotation: { epoch: number; sealed: Record<string, string>; by: string } | null;
  /**
   * What each device has signed into the log, as a revocation of it would name it (`keep`): the newest
   * operation of its chain, and its operations from before chains. Signatures checked.
   */
  signed: Map<string, Keep>;
  problems: { where: string; reason: DomainMessage }[];
}

/** The network id a genesis key anchors: every invite carries it, so it is the root of trust. */
export function networkIdOf(publicKey: string): string {
  return deviceIdOf(`network|${publicKey}`);
}

export function opMessage(payload: string): string {
  return `larder member op v1|${payload}`;
}

export async function signOp(op: MemberOp, by: string, privateKey: CryptoKey): Promise<SignedOp> {
  const payload = JSON.stringify(op);
  return [payload, by, await sign(privateKey, opMessage(payload))];
}

/** An operation's hash: what the next operation of its signer (`p`) and a revocation (`keep`) name. */
export function opHash(payload: string, by: string): string {
  return toBase64Url(sha256Bytes(new TextEncoder().encode(`larder member op hash|${by}|${payload}`)));
}

/** Where the next operation of a device that has signed `signed` goes (nothing signed yet: its first). */
export function nextLink(signed: Keep | undefined): Link {
  return signed?.h ? { n: signed.n + 1, p: signed.h } : { n: 1 };
}

/** Where the operation after `op` (of the same signer) goes. */
export function linkAfter(op: SignedOp): Link {
  const json = JSON.parse(op[0]) as { n?: number };
  return { n: (json.n ?? 0) + 1, p: opHash(op[0], op[1]) };
}

/** The exact text of a pre-approval, in one field order: an invite carries its parts, not the text. */
export function preApprovalPayload(token: PreApproval): string {
  return JSON.stringify({ t: 'pre', net: token.net, id: token.id, role: token.role, exp: token.exp });
}

export async function signPreApproval(
  token: PreApproval,
  by: string,
  privateKey: CryptoKey,
): Promise<SignedToken> {
  const p = preApprovalPayload(token);
  return { p, by, s: await sign(privateKey, opMessage(p)) };
}

/** The most operations a member log replay reads (a longer log is cut there). */
const MAX_OPS = 10_000;

/**
 * The member log a device replays while it lacks the network's own: its doc's operations, with those of a
 * log it was lent (the one that came with the checkpoint it started from: shared/checkpoint/bundle.ts) that
 * the doc does not hold yet. Every operation is signed and replayed by the same rules, so a lent log can add
 * only what its signers wrote, never forge; its order is kept (the maker's doc's), and the doc's own
 * operations it lacks (this device's request, what was written since) follow it. Once the doc holds every
 * lent operation, the doc's log alone, in its own order, is the log.
 */
export function withLentOps(own: readonly unknown[], lent: readonly unknown[] | null): readonly unknown[] {
  if (!lent || lent.length === 0) return own;
  const keyOf = (value: unknown) => JSON.stringify(value) ?? '';
  const ownKeys = own.map(keyOf);
  const held = new Set(ownKeys);
  const lentKeys = lent.map(keyOf);
  if (lentKeys.every((key) => held.has(key))) return own;
  const inLent = new Set(lentKeys);
  const out = lent.slice();
  ownKeys.forEach((key, i) => {
    if (!inLent.has(key)) out.push(own[i]);
  });
  // A replay reads MAX_OPS operations: a lent log that would push the doc's own past them (padded by whoever
  // made it, to hide a revocation the doc holds, say) is not used.
  return out.length > MAX_OPS ? own : out;
}

interface Parsed {
  op: MemberOp;
  by: string;
  sig: string;
  index: number;
  payload: string;
  hash: string;
}

function parseAll(network: string, raw: readonly unknown[], problems: MemberState['problems']): Parsed[] {
  const out: Parsed[] = [];
  raw.slice(0, MAX_OPS).forEach((value, index) => {
    const where = `members/${index}`;
    if (!Array.isArray(value) || value.length !== 3 || value.some((v) => typeof v !== 'string')) {
      problems.push({ where, reason: msg('member.malformed') });
      return;
    }
    const [payload, by, s] = value as [string, string, string];
    let json: unknown;
    try {
      json = payload.length <= MAX_ROTATE_CHARS ? JSON.parse(payload) : undefined;
    } catch {
      json = undefined;
    }
    const parsed = opSchema.safeParse(json);
    const tooLong =
      parsed.success &&
      parsed.data.t !== 'rotate' &&
      parsed.data.t !== 'grant' &&
      parsed.data.t !== 'revoke' &&
      payload.length > MAX_OP_CHARS;
    if (!parsed.success || tooLong || !ID_PATTERN.test(by)) {
      problems.push({ where, reason: msg('member.malformed') });
      return;
    }
    if (parsed.data.net !== network) {
      problems.push({ where, reason: msg('member.otherNetwork') });
      return;
    }
    out.push({ op: parsed.data, by, sig: s, index, payload, hash: opHash(payload, by) });
  });
  if (raw.length > MAX_OPS) problems.push({ where: 'members', reason: msg('member.listTooLong') });
  return out;
}

/**
 * Which operations carry a valid signature. Async (WebCrypto); results are cached by key, signature and
 * the exact payload: a signature checked once must never vouch for another text (of the same length, say).
 */
const verified = new Map<string, boolean>();

async function checkSignature(publicKey: string | undefined, payload: string, s: string): Promise<boolean> {
  if (!publicKey) return false;
  const cacheKey = `${publicKey}|${s}|${payload}`;
  const hit = verified.get(cacheKey);
  if (hit !== undefined) return hit;
  const ok = await verify(publicKey, opMessage(payload), s);
  if (verified.size > 50_000) verified.clear();
  verified.set(cacheKey, ok);
  return ok;
}

/**
 * The replay order is the log's own: a Y.Array has the same order on every replica, and an operation
 * made after another was seen is placed after it, so causality holds for honest devices.
 */
function order(a: Parsed, b: Parsed): number {
  return a.index - b.index;
}

/**
 * The member list as the log says it is. Deterministic: the same set of operations gives the same state,
 * whatever order they arrived in.
 */
export async function evaluateMembers(
  network: string,
  raw: readonly unknown[],
  /** Whose key founds the list: the network id, or for an upgraded older network its admin's (upgrade.ts). */
  anchor: string = network,
): Promise<MemberState> {
  const problems: MemberState['problems'] = [];
  const ops = parseAll(network, raw, problems);
  // Keys: any op naming a key whose hash is its device id.
  const keys = new Map<string, string>();
  for (const { op } of ops) if ('key' in op && deviceIdOf(op.key) === op.dev) keys.set(op.dev, op.key);
  // In batches, other tasks let run between two (a long log's checks started at once ran in one task).
  const valid = await inBatches(ops, async (p) => {
    if (p.op.t === 'genesis' || p.op.t === 'request') {
      if (p.by !== p.op.dev || deviceIdOf(p.op.key) !== p.op.dev) return false;
      return checkSignature(p.op.key, p.payload, p.sig);
    }
    return checkSignature(keys.get(p.by), p.payload, p.sig);
  });
  // Whether the network's founding operation is here: a device may join, and ask, before any operation of
  // the network reaches it (its first sync, or the history behind a checkpoint, brings them).
  const founded = ops.some((p, i) => valid[i] && p.op.t === 'genesis' && networkIdOf(p.op.key) === anchor);
  const tokens = new Map<number, { token: PreApproval; by: string } | null>();
  await inBatches(
    ops.map((p, i) => ({ p, i })).filter(({ p, i }) => valid[i] && p.op.t === 'request' && !!p.op.pre),
    async ({ p, i }) => {
      if (p.op.t !== 'request' || !p.op.pre) return;
      const pre = p.op.pre;
      // Signed by a device this log does not know yet, before the network's operations arrived: judged once
      // they have (a request meanwhile), not reported as invalid until then.
      if (!founded && !keys.has(pre.by)) return;
      let json: unknown;
      try {
        json = JSON.parse(pre.p);
      } catch {
        json = undefined;
      }
      const token = preApprovalSchema.safeParse(json);
      const ok = token.success && (await checkSignature(keys.get(pre.by), pre.p, pre.s));
      tokens.set(i, ok ? { token: token.data, by: pre.by } : null);
    },
  );
  const indexed = ops.map((p, i) => ({ p, i })).filter(({ i }) => valid[i]);
  for (const { p, i } of ops.map((p, i) => ({ p, i })))
    if (!valid[i]) problems.push({ where: `members/${p.index}`, reason: msg('member.badSignature') });
  indexed.sort((a, b) => order(a.p, b.p));
  const signedBy = signedOps(indexed.map(({ p }) => p));
  /**
   * Replays the log. A pre-approval counts when its signer is an admin at the end of the log: a device
   * may join (and its request land in the log) before the network's first operations reach it, so its
   * request can sit before the admin's genesis. Pre-approvals never make admins, so a first replay that
   * ignores them gives the admins every pre-approval is judged against.
   */
  const replay = (
    tokenAdmins: Set<string> | null,
    problems: MemberState['problems'],
    removal: Removal,
    trace: Trace = newTrace(),
  ): MemberState => {
    const state: MemberState = {
      network,
      members: new Map(),
      requests: new Map(),
      keys,
      rotation: null,
      signed: new Map([...signedBy].map(([device, ops]) => [device, ops.keep])),
      problems,
    };
    const isTokenAdmin = (device: string) => tokenAdmins?.has(device) ?? false;
    /** An admin, or one revoked since, whose revocation keeps this operation (it was seen before). */
    const isAdmin = (device: string, op: string) => {
      const m = state.members.get(device);
      return !!m && m.role === 'admin' && (!m.revoked || !!removal.kept.get(device)?.has(op));
    };
    const usedTokens = new Set<string>();
    /** Copies of each epoch's key that admins granted, by device: the first in the log for each. */
    const granted = new Map<number, Map<string, string>>();
    for (const { p, i } of indexed) {
      if (removal.excluded.has(p.index)) continue;
      const { op, by } = p;
      const where = `members/${p.index}`;
      if ((op.t === 'genesis' || (op.t === 'approve' && op.role === 'admin')) && !trace.since.has(op.dev))
        trace.since.set(op.dev, p.index);
      switch (op.t) {
        case 'genesis':
          if (networkIdOf(op.key) !== anchor) {
            problems.push({ where, reason: msg('member.falseFounder') });
          } else if (!state.members.has(op.dev)) {
            state.members.set(op.dev, {
              device: op.dev,
              key: op.key,
              ...(op.box ? { box: op.box } : {}),
              name: op.name,
              hub: op.hub,
              role: 'admin',
              approvedBy: op.dev,
              approvedAt: op.at,
            });
          }
          break;
        case 'request': {
          const member = state.members.get(op.dev);
          if (!member) {
            state.requests.set(op.dev, {
              device: op.dev,
              key: op.key,
              ...(op.box ? { box: op.box } : {}),
              name: op.name,
              hub: op.hub,
              ...(op.hubName ? { hubName: op.hubName } : {}),
              role: op.role,
              at: op.at,
            });
          }
          const pre = tokens.get(i);
          if (pre === null) problems.push({ where, reason: msg('member.preApprovalInvalid') });
          if (!pre || member) break;
          const { token } = pre;
          const fresh = op.at <= token.exp && op.at >= token.exp - PRE_APPROVAL_MS;
          if (!isTokenAdmin(pre.by) || token.net !== network || !fresh || usedTokens.has(token.id)) {
            problems.push({
              where,
              reason: usedTokens.has(token.id)
                ? msg('member.preApprovalUsed')
                : msg('member.preApprovalExpired'),
            });
            break;
          }
          usedTokens.add(token.id);
          state.requests.delete(op.dev);
          state.members.set(op.dev, {
            device: op.dev,
            key: op.key,
            ...(op.box ? { box: op.box } : {}),
            name: op.name,
            hub: op.hub,
            // The token's role is the most it grants: a coordinator's token admits a hub device too.
            role: op.role === 'coordinator' && token.role === 'coordinator' ? 'coordinator' : 'hub',
            approvedBy: pre.by,
            approvedAt: op.at,
          });
          break;
        }
        case 'approve': {
          if (!isAdmin(by, p.hash)) {
            problems.push({ where, reason: msg('member.approveNotAdmin') });
            break;
          }
          if (deviceIdOf(op.key) !== op.dev) {
            problems.push({ where, reason: msg('member.approveWrongKey') });
            break;
          }
          const previous = state.members.get(op.dev);
          if (previous?.revoked) {
            problems.push({ where, reason: msg('member.approveRevoked') });
            break;
          }
          const box = op.box ?? previous?.box ?? state.requests.get(op.dev)?.box;
          state.requests.delete(op.dev);
          state.members.set(op.dev, {
            device: op.dev,
            key: op.key,
            ...(box ? { box } : {}),
            name: op.name,
            hub: op.hub,
            role: op.role,
            approvedBy: by,
            approvedAt: op.at,
          });
          break;
        }
        case 'revoke': {
          if (!isAdmin(by, p.hash)) {
            if (state.members.get(by)?.revoked) trace.blocked.push(p);
            problems.push({ where, reason: msg('member.revokeNotAdmin') });
            break;
          }
          const member = state.members.get(op.dev);
          if (!member) {
            // A device that was never approved: nothing it wrote counts anyway; keep it out for good.
            const request = state.requests.get(op.dev);
            const deviceKey = request?.key ?? keys.get(op.dev);
            if (!deviceKey) break;
            state.requests.delete(op.dev);
            state.members.set(op.dev, {
              device: op.dev,
              key: deviceKey,
              name: request?.name ?? op.dev,
              hub: request?.hub ?? null,
              role: 'hub',
              approvedBy: by,
              approvedAt: op.at,
              revoked: revocation(op, by),
            });
            break;
          }
          if (member.revoked) break; // the first revocation's cut-off stands
          member.revoked = revocation(op, by);
          trace.revokedAt.set(op.dev, p);
          break;
        }
        case 'adopt': {
          if (!isAdmin(by, p.hash)) {
            problems.push({
              where,
              reason: msg('member.adoptNotAdmin'),
            });
            break;
          }
          if (state.members.has(op.dev) || state.requests.has(op.dev) || keys.has(op.dev)) break;
          state.members.set(op.dev, {
            device: op.dev,
            key: '',
            name: op.name,
            hub: op.hub,
            role: op.hub ? 'hub' : 'coordinator',
            approvedBy: by,
            approvedAt: op.at,
            revoked: { cut: op.cut, hash: op.hash, by, at: op.at },
            legacy: true,
          });
          break;
        }
        case 'rotate': {
          if (!isAdmin(by, p.hash)) {
            problems.push({ where, reason: msg('member.rotateNotAdmin') });
            break;
          }
          // The newest epoch wins; of two rotations to one epoch (two admins at once), the first in the log.
          if (!state.rotation || op.epoch > state.rotation.epoch)
            state.rotation = { epoch: op.epoch, sealed: op.sealed, by };
          break;
        }
        case 'grant': {
          if (!isAdmin(by, p.hash)) {
            problems.push({ where, reason: msg('member.grantNotAdmin') });
            break;
          }
          let copies = granted.get(op.epoch);
          if (!copies) granted.set(op.epoch, (copies = new Map()));
          for (const [device, sealed] of Object.entries(op.sealed))
            if (!copies.has(device)) copies.set(device, sealed);
          break;
        }
      }
    }
    // A grant may sit before its rotation in the log (made concurrently, or placed there): it counts for
    // the rotation of its epoch wherever it sits, and only for members the list still holds.
    const copies = state.rotation && granted.get(state.rotation.epoch);
    if (state.rotation && copies) {
      const sealed = { ...state.rotation.sealed };
      for (const [device, copy] of copies) {
        const member = state.members.get(device);
        if (member && !member.revoked && !Object.prototype.hasOwnProperty.call(sealed, device))
          sealed[device] = copy;
      }
      state.rotation = { ...state.rotation, sealed };
    }

    return state;
  };
  const settle = (removal: Removal, problems: MemberState['problems'], trace?: Trace) => {
    const first = replay(null, [], removal);
    const admins = new Set(
      [...first.members.values()].filter((m) => m.role === 'admin' && !m.revoked).map((m) => m.device),
    );
    return replay(admins, problems, removal, trace);
  };
  /**
   * Strong removal: a revoked device's own operations count only as far as its revocation names them
   * (`keep`). Leaving out what it signed later can change who was an admin when (a revocation of the
   * revoker, placed early in the log, no longer counts), so the replay runs again until what is left out
   * no longer changes; each round is a function of the log alone, so every replica stops at the same one.
   */
  let removal: Removal = { excluded: new Set(), kept: new Map(), digest: '' };
  // A revocation once overruled by seniority stays overruled in later rounds. Judged afresh each round,
  // two revocations of the founder that a revoked admin placed before its own revocation took turns: the
  // first overruled let the second count, which overruled let the first count again, until the rounds ran
  // out with the founder revoked on every replica (the Byzantine test's seeds 167 and 320).
  const overruledSoFar = new Set<number>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const trace = newTrace();
    const state = settle(removal, [], trace);
    for (const index of overruled(trace, signedBy)) overruledSoFar.add(index);
    const next = strongRemoval(state, signedBy, trace, overruledSoFar);
    if (next.digest === removal.digest) break;
    removal = next;
  }
  const state = settle(removal, problems);
  for (const index of [...removal.excluded].sort((a, b) => a - b))
    problems.push({ where: `members/${index}`, reason: msg('member.afterRevocation') });
  return state;
}

/** Rounds of strong removal at most (a chain of revoked admins revoking each other is never this long). */
const MAX_ROUNDS = 8;

function revocation(op: Extract<MemberOp, { t: 'revoke' }>, by: string): NonNullable<Member['revoked']> {
  return { cut: op.cut, hash: op.hash, by, at: op.at, ...(op.keep ? { keep: op.keep } : {}) };
}

interface SignerOps {
  ops: Parsed[];
  /** What a revocation of the signer made now would keep. */
  keep: Keep;
}

/** Each signer's operations (signatures checked), and the newest of its chain. */
function signedOps(ops: readonly Parsed[]): Map<string, SignerOps> {
  const out = new Map<string, SignerOps>();
  for (const p of ops) {
    let mine = out.get(p.by);
    if (!mine) out.set(p.by, (mine = { ops: [], keep: { n: 0, h: null, old: [] } }));
    mine.ops.push(p);
    const n = p.op.n;
    if (n === undefined) {
      if (mine.keep.old.length < MAX_KEEP_OLD) mine.keep.old.push(p.hash);
    } else if (n > mine.keep.n) {
      mine.keep.n = n;
      mine.keep.h = p.hash;
    }
  }
  return out;
}

/** What a replay saw that strong removal needs: who became an admin where, revocations and refusals. */
interface Trace {
  /** The log position where each device first became an admin (the genesis, or its approval). */
  since: Map<string, number>;
  /** The revocation that revoked each device. */
  revokedAt: Map<string, Parsed>;
  /** Revocations refused because their signer had been revoked. */
  blocked: Parsed[];
}

function newTrace(): Trace {
  return { since: new Map(), revokedAt: new Map(), blocked: [] };
}

/**
 * Two admins that revoke each other, neither having seen the other's revocation: the log's order would
 * let whichever sits first win, and anyone can place an operation early in the log. A revoked admin's
 * laptop can always claim not to have seen its revocation, so the rule must not depend on the order:
 * the more senior admin (the one that became an admin earlier in the log, which no one can move) wins,
 * as in @localfirst/auth. Returns the revocations overruled (their log positions).
 */
function overruled(trace: Trace, signedBy: ReadonlyMap<string, SignerOps>): Set<number> {
  const out = new Set<number>();
  for (const refused of trace.blocked) {
    if (refused.op.t !== 'revoke') continue;
    const signer = refused.by;
    const other = refused.op.dev;
    const against = trace.revokedAt.get(signer);
    if (!against || against.by !== other) continue;
    // It had seen the revocation of itself (it keeps it), so it was no longer an admin when it signed.
    if (refused.op.keep && keptOf(refused.op.keep, signedBy.get(other)).has(against.hash)) continue;
    const mine = trace.since.get(signer);
    const theirs = trace.since.get(other);
    if (mine !== undefined && theirs !== undefined && mine < theirs) out.add(against.index);
  }
  return out;
}

/**
 * The hashes of the operations a revocation's `keep` names: its chain followed back from the operation
 * it names, one step per number, down to the first; older operations by the hashes it lists.
 */
function keptOf(keep: Keep, mine: SignerOps | undefined): Set<string> {
  const kept = new Set(keep.old);
  const linked = new Map<string, Parsed>();
  for (const p of mine?.ops ?? []) if (p.op.n !== undefined) linked.set(p.hash, p);
  let at: Parsed | undefined = keep.h ? linked.get(keep.h) : undefined;
  for (let n = keep.n; at && at.op.n === n && n >= 1; n--) {
    kept.add(at.hash);
    if (n === 1 || !at.op.p) break;
    at = linked.get(at.op.p);
  }
  return kept;
}

interface Removal {
  /** Log positions of revoked devices' operations that their revocation does not keep. */
  excluded: ReadonlySet<number>;
  /** The hashes of the operations each revoked device's revocation keeps. */
  kept: ReadonlyMap<string, ReadonlySet<string>>;
  digest: string;
}

/** What revocations keep of their devices' operations (keptOf), and the rest, left out. */
function strongRemoval(
  state: MemberState,
  signedBy: ReadonlyMap<string, SignerOps>,
  trace: Trace,
  overruled: ReadonlySet<number>,
): Removal {
  const out = new Set<number>(overruled);
  const keptBy = new Map<string, Set<string>>();
  for (const member of state.members.values()) {
    const keep = member.revoked?.keep;
    const mine = signedBy.get(member.device);
    const by = trace.revokedAt.get(member.device);
    // A revocation overruled by the senior admin it revoked leaves out nothing.
    if (!keep || !mine || (by && overruled.has(by.index))) continue;
    const kept = keptOf(keep, mine);
    keptBy.set(member.device, kept);
    for (const p of mine.ops) if (!kept.has(p.hash)) out.add(p.index);
  }
  const digest = [
    [...out].sort((a, b) => a - b).join(','),
    ...[...keptBy].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, k]) => `${d}:${[...k].sort().join(',')}`),
  ].join('|');
  return { excluded: out, kept: keptBy, digest };
}

/** A stable digest of a member state, to tell whether anything that decides verdicts changed. */
export function memberStateDigest(state: MemberState): string {
  const rows = [...state.members.values()]
    .sort((a, b) => (a.device < b.device ? -1 : 1))
    .map((m) => [m.device, m.key, m.hub, m.role, m.revoked?.cut ?? -1, m.revoked?.hash ?? ''].join(','));
  const keys = [...state.keys.entries()].sort().map((k) => k.join('='));
  const bytes = new TextEncoder().encode([...rows, '|', ...keys].join(';'));
  return [...sha256Bytes(bytes).slice(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Whether a member may write entries for `hub`: its own hub, or any hub for admins and coordinators. */
export function mayWriteFor(member: Member, hub: string): boolean {
  return member.hub === hub || member.role === 'admin' || member.role === 'coordinator';
}
