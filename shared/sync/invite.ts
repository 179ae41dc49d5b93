import { z } from 'zod';
import { lazySchema } from '../lazy';
import { ID_PATTERN } from '../ids';
import { fromBase64Url, toBase64Url } from './encoding';
import { NETWORK_KEY_BYTES } from './keys';
import { preApprovalPayload, preApprovalSchema, type SignedToken } from '../trust/members';
import { msg, type DomainMessage } from '../messages';

/**
 * An invite carries what a new device needs to join: the network id, the network key, and the signaling
 * and relay addresses known to the inviter. It is a secret: whoever holds it can read and write the network.
 */
export interface Invite {
  networkId: string;
  key: Uint8Array;
  signaling: string[];
  /** The network's devices sign what they write: a joining device makes its own key pair. */
  signed?: boolean;
  /** An admin's single-use pre-approval for the device that uses this invite. */
  preApproval?: SignedToken;
  /**
   * The founder's id, when it is not the network id: a network made before signing came keeps its id, and
   * the admin who upgraded it anchors its member list (shared/trust/members.ts).
   */
  anchor?: string;
  /**
   * The relays the inviter's device uses (docs/relay.md), on a signed network: the joining device uses
   * them from its first sync. Older invites carry none, and older versions of Larder ignore them.
   */
  relays?: string[];
}

const PREFIX = 'LARDER1-';

export const signalingUrlSchema = lazySchema(() =>
  z
    .string()
    .max(200)
    .refine((u) => {
      try {
        const url = new URL(u);
        return (
          (url.protocol === 'ws:' || url.protocol === 'wss:') && !url.username && !url.password && !url.hash
        );
      } catch {
        return false;
      }
    }, 'not a ws:// or wss:// address'),
);

/** A relay's address follows the sync servers' rules (ws:// or wss://, no user or password, bounded). */
export const relayUrlSchema = signalingUrlSchema;
/** How many relays a device uses, and an invite carries, at most. */
export const MAX_RELAYS = 5;

const payloadSchema = lazySchema(() =>
  z.object({
    v: z.literal(1),
    n: z.string().regex(ID_PATTERN),
    k: z.string(),
    s: z.array(signalingUrlSchema).max(10),
    t: z.literal(1).optional(),
    a: z.string().regex(ID_PATTERN).optional(),
    r: z.array(relayUrlSchema).max(MAX_RELAYS).optional(),
    /** A pre-approval, as its parts (id, role, expiry in seconds, admin, signature): short enough for a QR code. */
    p: z
      .tuple([
        z.string().regex(/^[0-9a-z]{8,32}$/),
        z.enum(['hub', 'coordinator']),
        z.number().int().min(0),
        z.string().regex(ID_PATTERN),
        z.string().regex(/^[A-Za-z0-9_-]{86}$/),
      ])
      .optional(),
  }),
);

export function encodeInvite(invite: Invite): string {
  const payload = {
    v: 1,
    n: invite.networkId,
    k: toBase64Url(invite.key),
    s: invite.signaling,
    ...(invite.signed ? { t: 1 } : {}),
    ...(invite.signed && invite.anchor ? { a: invite.anchor } : {}),
    ...(invite.signed && invite.relays?.length ? { r: invite.relays } : {}),
    ...(invite.preApproval ? { p: compactToken(invite.preApproval) } : {}),
  };
  return PREFIX + toBase64Url(new TextEncoder().encode(JSON.stringify(payload)));
}

type CompactToken = [id: string, role: 'hub' | 'coordinator', expSec: number, by: string, sig: string];

function compactToken(token: SignedToken): CompactToken {
  const parsed = preApprovalSchema.parse(JSON.parse(token.p));
  return [parsed.id, parsed.role, Math.round(parsed.exp / 1000), token.by, token.s];
}

function expandToken(net: string, [id, role, expSec, by, s]: CompactToken): SignedToken {
  return { p: preApprovalPayload({ t: 'pre', net, id, role, exp: expSec * 1000 }), by, s };
}

export type InviteResult = { ok: true; invite: Invite } | { ok: false; message: DomainMessage };
const fail = (message: DomainMessage): InviteResult => ({ ok: false, message });

/** Reads a pasted (or scanned) invite; every way it can be wrong has its own message. */
export function parseInvite(text: string): InviteResult {
  const code = text.replace(/\s+/g, '');
  if (!code) return fail(msg('invite.empty'));
  if (!code.startsWith(PREFIX)) return fail(msg('invite.notInvite', { prefix: PREFIX }));
  const body = code.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) return fail(msg('invite.badCharacters'));
  const bytes = fromBase64Url(body);
  if (!bytes) return fail(msg('invite.incomplete'));
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return fail(msg('invite.incomplete'));
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0];
    if (field === 's' || field === 'r') return fail(msg('invite.badAddress'));
    return fail(msg('invite.damaged'));
  }
  const key = fromBase64Url(parsed.data.k);
  if (!key || key.length !== NETWORK_KEY_BYTES) return fail(msg('invite.keyIncomplete'));
  return {
    ok: true,
    invite: {
      networkId: parsed.data.n,
      key,
      signaling: parsed.data.s,
      ...(parsed.data.t === 1 ? { signed: true } : {}),
      ...(parsed.data.t === 1 && parsed.data.a ? { anchor: parsed.data.a } : {}),
      ...(parsed.data.t === 1 && parsed.data.r?.length ? { relays: [...new Set(parsed.data.r)] } : {}),
      ...(parsed.data.p ? { preApproval: expandToken(parsed.data.n, parsed.data.p) } : {}),
    },
  };
}
