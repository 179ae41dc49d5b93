/**
 * What the relay keeps, and the rules it applies to it (docs/relay.md). Every write runs in one
 * transaction that first locks its mailbox's row (SELECT ... FOR UPDATE), so several relay processes on
 * one PostgreSQL apply the same rules as one: quotas, sequence numbers and upload budgets are read and
 * written under that lock; an upload is acknowledged only after its COMMIT, and announced to every
 * process (NOTIFY, sent by the COMMIT) for their connections' 'new' push.
 */
import crypto from 'node:crypto';
import { deviceIdOf } from '../../shared/trust/crypto';
import { networkIdOf } from '../../shared/trust/members';
import {
  blobHash,
  blobMessage,
  checkpointPartMessage,
  KEY_PATTERN,
  MAX_CHECKPOINT_PARTS,
  mailboxIdOf,
  statementPayload,
  statementMessage,
  statementSchema,
  type RefusalCode,
  type RelayBlob,
  type RelayCheckpoint,
  type RelayMemberView,
  type SignedStatement,
} from '../../shared/sync/relay';
import { NEW_BLOB_CHANNEL, type Db } from './db';

export interface StoreLimits {
  /** Largest blob accepted, in bytes. */
  maxBlobBytes: number;
  /** Bytes of blobs one mailbox may hold. */
  quotaBytes: number;
  /** Membership statements (device keys) one mailbox may hold. */
  maxMembersPerMailbox: number;
  /** A fetch answers with at most this many bytes of blobs (and at least one blob). */
  pageBytes: number;
  /**
   * A device no statement names yet (it just joined: its request to join must reach an admin through the
   * relay) may upload this many blobs, each at most `maxApplicantBlobBytes`; all such devices of a
   * mailbox together at most `maxApplicantBytes`.
   */
  maxApplicantBlobs: number;
  maxApplicantBlobBytes: number;
  maxApplicantBytes: number;
  /** Per device and mailbox, across every relay process of the store: a token bucket of a minute's worth. */
  uploadsPerMinute: number;
  uploadBytesPerMinute: number;
}

/** What NOTIFY carries about a stored blob: `origin` is the connection it came from (not told again). */
export interface NewBlobNotice {
  mailbox: string;
  device: string;
  seq: number;
  origin: string;
}

export interface Mailbox {
  id: string;
  readKey: string;
  anchorId: string;
  anchorKey: string;
}

export type Refusal = { ok: false; code: RefusalCode; message: string };
const refuse = (code: RefusalCode, message: string): Refusal => ({ ok: false, code, message });

/** Verifies an Ed25519 signature with Node's own implementation; false for anything malformed. */
export function verifyEd25519(publicKey: string, message: string, signature: string): boolean {
  if (!KEY_PATTERN.test(publicKey)) return false;
  try {
    const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
    return crypto.verify(null, Buffer.from(message, 'utf8'), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

interface MemberRow {
  device_key: string;
  role: 'admin' | 'member';
  cut: number | null;
  at: number | string;
}

type Query = Pick<Db, 'query'>;

/**
 * Whose checkpoints are shown (a condition on `c`, a relay_checkpoints row, with `b` its mailbox and `m`
 * the member row of its key, left-joined): a member not revoked, or the anchor when no statement names
 * it. A revoked device's checkpoint stays stored (and counted in the mailbox's bytes) but is never listed
 * nor served; applicants never leave one.
 */
const CHECKPOINT_SHOWN = `(m.device_key IS NOT NULL AND m.cut IS NULL
    OR m.device_key IS NULL AND c.device_key = b.anchor_key)`;

export class RelayStore {
  constructor(
    readonly db: Db,
    readonly limits: StoreLimits,
  ) {}

  async findMailbox(readKey: string, anchorId: string): Promise<Mailbox | null> {
    const { rows } = await this.db.query<{ id: string; anchor_key: string }>(
      'SELECT id, anchor_key FROM relay_mailboxes WHERE read_key = $1 AND anchor_id = $2',
      [readKey, anchorId],
    );
    const row = rows[0];
    return row ? { id: row.id, readKey, anchorId, anchorKey: row.anchor_key } : null;
  }

  /**
   * The mailbox of a read key and an anchor key, created when it does not exist yet. The anchor key must
   * be the one the anchor id names (networkIdOf): a client cannot file a network under another anchor.
   */
  async openMailbox(
    readKey: string,
    anchorId: string,
    anchorKey: string,
    now: number,
  ): Promise<Mailbox | null> {
    if (!KEY_PATTERN.test(anchorKey) || networkIdOf(anchorKey) !== anchorId) return null;
    const id = mailboxIdOf(readKey, anchorKey);
    await this.db.query(
      `INSERT INTO relay_mailboxes (id, read_key, anchor_id, anchor_key, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [id, readKey, anchorId, anchorKey, now],
    );
    return this.findMailbox(readKey, anchorId);
  }

  async heads(mailbox: string): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ device: string; head: number }>(
      'SELECT device, head FROM relay_heads WHERE mailbox = $1',
      [mailbox],
    );
    return Object.fromEntries(rows.map((r) => [r.device, Number(r.head)]));
  }

  async members(mailbox: string): Promise<RelayMemberView[]> {
    const { rows } = await this.db.query<MemberRow>(
      'SELECT device_key, role, cut, at FROM relay_members WHERE mailbox = $1 ORDER BY device_key',
      [mailbox],
    );
    return rows.map((r) => ({ key: r.device_key, role: r.role, cut: r.cut, at: Number(r.at) }));
  }

  async usedBytes(mailbox: string): Promise<number> {
    const { rows } = await this.db.query<{ bytes: number | string }>(
      'SELECT bytes FROM relay_mailboxes WHERE id = $1',
      [mailbox],
    );
    return Number(rows[0]?.bytes ?? 0);
  }

  private async lock(tx: Query, mailbox: string): Promise<number> {
    const { rows } = await tx.query<{ bytes: number | string }>(
      'SELECT bytes FROM relay_mailboxes WHERE id = $1 FOR UPDATE',
      [mailbox],
    );
    if (!rows[0]) throw new Error('mailbox vanished');
    return Number(rows[0].bytes);
  }

  private async member(tx: Query, mailbox: string, key: string): Promise<MemberRow | null> {
    const { rows } = await tx.query<MemberRow>(
      'SELECT device_key, role, cut, at FROM relay_members WHERE mailbox = $1 AND device_key = $2',
      [mailbox, key],
    );
    return rows[0] ?? null;
  }

  /**
   * Applies admins' membership statements in the order given. A statement counts when its signature
   * verifies and its signer is, at that point, the anchor (unless a statement revoked or demoted it) or a
   * member with the admin role that is not revoked. An older statement about a key never replaces a newer
   * one; a revoked key stays revoked (a second revocation can only move its cut-off earlier).
   */
  async applyStatements(
    box: Mailbox,
    statements: SignedStatement[],
  ): Promise<{ accepted: number; refused: string[] }> {
    let accepted = 0;
    const refused: string[] = [];
    for (const [i, st] of statements.entries()) {
      const why = await this.applyStatement(box, st);
      if (why) refused.push(`statement ${i}: ${why}`);
      else accepted += 1;
    }
    return { accepted, refused };
  }

  private async applyStatement(box: Mailbox, st: SignedStatement): Promise<string | null> {
    let json: unknown;
    try {
      json = JSON.parse(st.p);
    } catch {
      return 'not JSON';
    }
    const parsed = statementSchema.safeParse(json);
    if (!parsed.success) return 'malformed';
    const s = parsed.data;
    if (statementPayload(s) !== st.p) return 'not in canonical form';
    if (s.mailbox !== box.id) return 'for another mailbox';
    if (!verifyEd25519(st.by, statementMessage(st.p), st.s)) return 'signature does not verify';
    return this.db.transaction(async (tx) => {
      await this.lock(tx, box.id);
      const signer = await this.member(tx, box.id, st.by);
      const signerIsAdmin = signer ? signer.role === 'admin' && signer.cut === null : st.by === box.anchorKey;
      if (!signerIsAdmin) return 'signed by a key that is not an admin here';
      const existing = await this.member(tx, box.id, s.key);
      if (existing && Number(existing.at) >= s.at) return null; // as new or newer already: nothing to do
      let cut = s.cut;
      if (existing && existing.cut !== null) cut = cut === null ? existing.cut : Math.min(cut, existing.cut);
      if (!existing) {
        const { rows } = await tx.query<{ n: number | string }>(
          'SELECT count(*) AS n FROM relay_members WHERE mailbox = $1',
          [box.id],
        );
        if (Number(rows[0]?.n ?? 0) >= this.limits.maxMembersPerMailbox)
          return `the mailbox holds ${this.limits.maxMembersPerMailbox} members already`;
      }
      await tx.query(
        `INSERT INTO relay_members (mailbox, device_key, role, cut, at, payload, signed_by, sig)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (mailbox, device_key) DO UPDATE SET role = $3, cut = $4, at = $5, payload = $6,
           signed_by = $7, sig = $8`,
        [box.id, s.key, s.role, cut, s.at, st.p, st.by, st.s],
      );
      // A revoked device's checkpoints are never listed nor served again: they go, and free their bytes.
      if (cut !== null)
        await tx.query(
          `WITH dropped AS (
             DELETE FROM relay_checkpoints WHERE mailbox = $1 AND device_key = $2
             RETURNING octet_length(body) AS n
           )
           UPDATE relay_mailboxes SET bytes = bytes - (SELECT coalesce(sum(n), 0) FROM dropped) WHERE id = $1`,
          [box.id, s.key],
        );
      return null;
    });
  }

  /**
   * Stores one blob of a device. Checked, in order: its size; its signature (the device's own key over
   * mailbox, key, sequence number and the blob's hash); then, locked: the device is a member (the
   * anchor is one unless a statement says otherwise), or a device asking to join within its small
   * allowance, and the sequence number is not past its cut-off; a
   * taken sequence number is acknowledged again for the same blob and refused for another; a new one
   * must follow the device's last; the mailbox's quota.
   */
  async upload(
    box: Mailbox,
    up: { key: string; seq: number; blob: Uint8Array; sig: string },
    now: number,
    origin = '',
  ): Promise<{ ok: true; duplicate: boolean } | Refusal> {
    if (up.blob.byteLength > this.limits.maxBlobBytes)
      return refuse('too-large', `A blob may hold at most ${this.limits.maxBlobBytes} bytes`);
    const hash = blobHash(up.blob);
    if (!verifyEd25519(up.key, blobMessage(box.id, up.key, up.seq, hash), up.sig))
      return refuse('bad-signature', 'The blob is not signed by the key it names');
    const device = deviceIdOf(up.key);
    return this.db.transaction(async (tx) => {
      // The lock first, alone: in READ COMMITTED each later statement sees what was committed before it
      // was granted (a statement that waited on the lock would read with its older snapshot).
      const used = await this.lock(tx, box.id);
      // Then everything the rules read, in one round trip (it matters on a server across the network).
      const { rows } = await tx.query<{
        role: 'admin' | 'member' | null;
        cut: number | null;
        b_uploads: number | null;
        b_bytes: number | null;
        b_at: number | string | null;
        taken: string | null;
        head: number | null;
      }>(
        `SELECT r.role, r.cut, g.uploads AS b_uploads, g.bytes AS b_bytes, g.at AS b_at,
           (SELECT hash FROM relay_blobs WHERE mailbox = $1 AND device = $3 AND seq = $4) AS taken,
           (SELECT head FROM relay_heads WHERE mailbox = $1 AND device = $3) AS head
         FROM (SELECT 1) AS one
         LEFT JOIN relay_members r ON r.mailbox = $1 AND r.device_key = $2
         LEFT JOIN relay_budgets g ON g.mailbox = $1 AND g.device_key = $2`,
        [box.id, up.key, device, up.seq],
      );
      const row = rows[0]!;
      if (row.role === null && up.key !== box.anchorKey) {
        const waiting =
          'This device is not an approved member of the network yet: the relay takes more once an admin approves it';
        if (up.seq > this.limits.maxApplicantBlobs || up.blob.byteLength > this.limits.maxApplicantBlobBytes)
          return refuse('not-member', waiting);
        const { rows: applicants } = await tx.query<{ bytes: number | string }>(
          `SELECT coalesce(sum(octet_length(b.body)), 0) AS bytes FROM relay_blobs b
           WHERE b.mailbox = $1 AND b.device_key <> $2 AND NOT EXISTS (
             SELECT 1 FROM relay_members m WHERE m.mailbox = b.mailbox AND m.device_key = b.device_key)`,
          [box.id, box.anchorKey],
        );
        if (Number(applicants[0]?.bytes ?? 0) + up.blob.byteLength > this.limits.maxApplicantBytes)
          return refuse('not-member', waiting);
      }
      if (row.role !== null && row.cut !== null && up.seq > row.cut)
        return refuse('revoked', 'This device was revoked: nothing after its cut-off is taken');
      const budget = this.refill(row, now);
      if (budget.uploads < 1 || budget.bytes < up.blob.byteLength)
        return refuse('rate', 'Too many uploads from this device: try again in a minute');
      const spent = [box.id, up.key, budget.uploads - 1, budget.bytes - up.blob.byteLength, now];
      const spendOnly = async (refusal: Refusal | { ok: true; duplicate: true }) => {
        // A refused or repeated upload costs its device as much as a new one.
        await tx.query(
          `INSERT INTO relay_budgets (mailbox, device_key, uploads, bytes, at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (mailbox, device_key) DO UPDATE SET uploads = $3, bytes = $4, at = $5`,
          spent,
        );
        return refusal;
      };
      if (row.taken !== null)
        return spendOnly(
          row.taken === hash
            ? { ok: true as const, duplicate: true }
            : refuse('taken', `Sequence number ${up.seq} of this device holds another blob`),
        );
      const last = Number(row.head ?? 0);
      if (up.seq !== last + 1)
        return spendOnly(
          refuse('gap', `The next sequence number of this device is ${last + 1}, not ${up.seq}`),
        );
      if (used + up.blob.byteLength > this.limits.quotaBytes)
        return spendOnly(refuse('quota', `The network's mailbox is full (${this.limits.quotaBytes} bytes)`));
      // The blob, the mailbox's bytes, the device's head and budget, and the notice to every relay process, in one
      // statement (NOTIFY is delivered at COMMIT, and not at all if the transaction rolls back).
      const notice: NewBlobNotice = { mailbox: box.id, device, seq: up.seq, origin };
      await tx.query(
        `WITH blob AS (
           INSERT INTO relay_blobs (mailbox, device, seq, device_key, hash, sig, body, received_at)
           VALUES ($1, $6, $7, $2, $8, $9, $10, $5)
         ), box AS (
           UPDATE relay_mailboxes SET bytes = bytes + $11 WHERE id = $1
         ), head AS (
           INSERT INTO relay_heads (mailbox, device, head) VALUES ($1, $6, $7)
           ON CONFLICT (mailbox, device) DO UPDATE SET head = $7
         ), budget AS (
           INSERT INTO relay_budgets (mailbox, device_key, uploads, bytes, at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (mailbox, device_key) DO UPDATE SET uploads = $3, bytes = $4, at = $5
         )
         SELECT pg_notify($12, $13)`,
        [
          ...spent,
          device,
          up.seq,
          hash,
          up.sig,
          up.blob,
          up.blob.byteLength,
          NEW_BLOB_CHANNEL,
          JSON.stringify(notice),
        ],
      );
      return { ok: true as const, duplicate: false };
    });
  }

  /**
   * Stores one part of a device's checkpoint. Checked, in order: the part's number is below the parts'; its
   * size; its signature (the device's own key over mailbox, key, checkpoint id, part, parts and the part's
   * hash); then, locked: the device is a member not revoked (the anchor is one unless a statement says
   * otherwise; a device asking to join leaves no checkpoint); its upload budget, which a part spends as an
   * upload does; every part of one checkpoint names the same number of parts; a part already held is
   * acknowledged again for the same bytes and refused for others; the mailbox's quota (counting what
   * starting a new checkpoint frees). Per device the relay keeps its newest complete checkpoint and at most
   * one being uploaded: a new checkpoint drops the device's incomplete one, and once complete, every other.
   */
  async putCheckpointPart(
    box: Mailbox,
    put: { key: string; ck: string; part: number; parts: number; blob: Uint8Array; sig: string },
    now: number,
  ): Promise<{ ok: true; duplicate: boolean; complete: boolean } | Refusal> {
    if (
      !Number.isInteger(put.parts) ||
      put.parts < 1 ||
      put.parts > MAX_CHECKPOINT_PARTS ||
      !Number.isInteger(put.part) ||
      put.part < 0 ||
      put.part >= put.parts
    )
      return refuse('malformed', `Part ${put.part} of ${put.parts} is not a part of a checkpoint`);
    if (put.blob.byteLength > this.limits.maxBlobBytes)
      return refuse('too-large', `A checkpoint part may hold at most ${this.limits.maxBlobBytes} bytes`);
    const hash = blobHash(put.blob);
    if (
      !verifyEd25519(
        put.key,
        checkpointPartMessage(box.id, put.key, put.ck, put.part, put.parts, hash),
        put.sig,
      )
    )
      return refuse('bad-signature', 'The checkpoint part is not signed by the key it names');
    const device = deviceIdOf(put.key);
    return this.db.transaction(async (tx) => {
      // The lock first, alone: in READ COMMITTED each later statement sees what was committed before it
      // was granted (a statement that waited on the lock would read with its older snapshot).
      const used = await this.lock(tx, box.id);
      // Then everything the rules read, in one round trip: the key's statement and budget, this part if
      // held, how many parts of this checkpoint are held and with which number of parts, and the bytes of
      // the device's incomplete checkpoints (what starting a new one frees).
      const { rows } = await tx.query<{
        role: 'admin' | 'member' | null;
        cut: number | null;
        b_uploads: number | null;
        b_bytes: number | null;
        b_at: number | string | null;
        taken: string | null;
        held: number | string;
        disagree: number | string;
        stale: number | string;
      }>(
        `SELECT r.role, r.cut, g.uploads AS b_uploads, g.bytes AS b_bytes, g.at AS b_at,
           (SELECT hash FROM relay_checkpoints
            WHERE mailbox = $1 AND device = $3 AND ck = $4 AND part = $5) AS taken,
           (SELECT count(*) FROM relay_checkpoints WHERE mailbox = $1 AND device = $3 AND ck = $4) AS held,
           (SELECT count(*) FROM relay_checkpoints
            WHERE mailbox = $1 AND device = $3 AND ck = $4 AND parts <> $6) AS disagree,
           (SELECT coalesce(sum(octet_length(body)), 0) FROM relay_checkpoints
            WHERE mailbox = $1 AND device = $3 AND ck IN (
              SELECT ck FROM relay_checkpoints WHERE mailbox = $1 AND device = $3
              GROUP BY ck HAVING count(*) < min(parts))) AS stale
         FROM (SELECT 1) AS one
         LEFT JOIN relay_members r ON r.mailbox = $1 AND r.device_key = $2
         LEFT JOIN relay_budgets g ON g.mailbox = $1 AND g.device_key = $2`,
        [box.id, put.key, device, put.ck, put.part, put.parts],
      );
      const row = rows[0]!;
      // Only a member's checkpoint is worth starting from: a device asking to join has nothing to give yet.
      if (row.role === null && put.key !== box.anchorKey)
        return refuse(
          'not-member',
          'This device is not an approved member of the network yet: only members leave checkpoints',
        );
      if (row.role !== null && row.cut !== null)
        return refuse('revoked', 'This device was revoked: the relay takes no checkpoint from it');
      const budget = this.refill(row, now);
      if (budget.uploads < 1 || budget.bytes < put.blob.byteLength)
        return refuse('rate', 'Too many uploads from this device: try again in a minute');
      const spent = [box.id, put.key, budget.uploads - 1, budget.bytes - put.blob.byteLength, now];
      const spendOnly = async (
        answer: Refusal | { ok: true; duplicate: true; complete: boolean },
      ): Promise<Refusal | { ok: true; duplicate: true; complete: boolean }> => {
        // A refused or repeated part costs its device as much as a new one (as an upload does).
        await tx.query(
          `INSERT INTO relay_budgets (mailbox, device_key, uploads, bytes, at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (mailbox, device_key) DO UPDATE SET uploads = $3, bytes = $4, at = $5`,
          spent,
        );
        return answer;
      };
      const held = Number(row.held);
      // Before the part itself: the same bytes signed for another number of parts is not the part held.
      if (Number(row.disagree) > 0)
        return spendOnly(refuse('malformed', 'The parts of a checkpoint must agree on their number'));
      if (row.taken !== null)
        return spendOnly(
          row.taken === hash
            ? { ok: true as const, duplicate: true, complete: held === put.parts }
            : refuse('taken', `Part ${put.part} of this checkpoint holds other bytes`),
        );
      // A checkpoint this device has no part of yet: its incomplete one (at most one) is given up, so its
      // bytes count as free here.
      const freed = held === 0 ? Number(row.stale) : 0;
      if (used - freed + put.blob.byteLength > this.limits.quotaBytes)
        return spendOnly(refuse('quota', `The network's mailbox is full (${this.limits.quotaBytes} bytes)`));
      const complete = held + 1 === put.parts;
      // The part, the device's other checkpoints it makes obsolete, the mailbox's bytes and the device's
      // budget, in one statement. Dropped: when this part completes its checkpoint, every other checkpoint
      // of the device; otherwise its incomplete ones (there are some only when this checkpoint is new:
      // starting one dropped the one before).
      await tx.query(
        `WITH dropped AS (
           DELETE FROM relay_checkpoints
           WHERE mailbox = $1 AND device = $6 AND ck <> $7 AND ($14::boolean OR ck IN (
             SELECT ck FROM relay_checkpoints WHERE mailbox = $1 AND device = $6
             GROUP BY ck HAVING count(*) < min(parts)))
           RETURNING octet_length(body) AS n
         ), part AS (
           INSERT INTO relay_checkpoints
             (mailbox, device, ck, part, parts, device_key, hash, sig, body, received_at)
           VALUES ($1, $6, $7, $8, $9, $2, $10, $11, $12, $5)
         ), box AS (
           UPDATE relay_mailboxes SET bytes = bytes + $13 - (SELECT coalesce(sum(n), 0) FROM dropped)
           WHERE id = $1
         ), budget AS (
           INSERT INTO relay_budgets (mailbox, device_key, uploads, bytes, at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (mailbox, device_key) DO UPDATE SET uploads = $3, bytes = $4, at = $5
         )
         SELECT 1`,
        [
          ...spent,
          device,
          put.ck,
          put.part,
          put.parts,
          hash,
          put.sig,
          put.blob,
          put.blob.byteLength,
          complete,
        ],
      );
      return { ok: true as const, duplicate: false, complete };
    });
  }

  /** A device's upload budget now: refilled at the limits' rate since it was last spent, up to a minute's worth. */
  private refill(
    row: { b_uploads: number | null; b_bytes: number | null; b_at: number | string | null },
    now: number,
  ): { uploads: number; bytes: number } {
    const perMinute = this.limits.uploadsPerMinute;
    const bytesPerMinute = this.limits.uploadBytesPerMinute;
    if (row.b_at === null) return { uploads: perMinute, bytes: bytesPerMinute };
    const minutes = Math.max(0, now - Number(row.b_at)) / 60_000;
    return {
      uploads: Math.min(perMinute, Number(row.b_uploads) + minutes * perMinute),
      bytes: Math.min(bytesPerMinute, Number(row.b_bytes) + minutes * bytesPerMinute),
    };
  }

  /** Forgets budgets untouched for a minute (they are full again): the table stays as small as the active devices. */
  async pruneBudgets(now: number): Promise<void> {
    await this.db.query('DELETE FROM relay_budgets WHERE at < $1', [now - 60_000]);
  }

  /** Blobs past the cursor (per device, the last sequence number the client has), one page at a time. */
  async fetch(
    mailbox: string,
    cursor: Record<string, number>,
  ): Promise<{ blobs: RelayBlob[]; more: boolean }> {
    const heads = await this.heads(mailbox);
    const behind = Object.keys(heads)
      .filter((device) => heads[device]! > (cursor[device] ?? 0))
      .sort();
    const blobs: RelayBlob[] = [];
    let bytes = 0;
    for (const device of behind) {
      const after = cursor[device] ?? 0;
      const { rows } = await this.db.query<{
        device_key: string;
        seq: number;
        sig: string;
        body: Uint8Array;
      }>(
        `SELECT device_key, seq, sig, body FROM relay_blobs
         WHERE mailbox = $1 AND device = $2 AND seq > $3 ORDER BY seq LIMIT 64`,
        [mailbox, device, after],
      );
      for (const row of rows) {
        if (blobs.length > 0 && bytes + row.body.byteLength > this.limits.pageBytes)
          return { blobs, more: true };
        blobs.push({
          device,
          key: row.device_key,
          seq: Number(row.seq),
          sig: row.sig,
          blob: Buffer.from(row.body).toString('base64url'),
        });
        bytes += row.body.byteLength;
      }
      if (Number(rows.at(-1)?.seq ?? 0) < heads[device]!) return { blobs, more: true };
    }
    return { blobs, more: false };
  }

  /**
   * The mailbox's complete checkpoints (every part held) of devices shown (CHECKPOINT_SHOWN), newest first
   * by when their last part came: at most 16 (a device keeps one complete checkpoint, and a joining device
   * wants the newest).
   */
  async listCheckpoints(mailbox: string): Promise<RelayCheckpoint[]> {
    const { rows } = await this.db.query<{
      device: string;
      key: string;
      ck: string;
      parts: number;
      bytes: number | string;
      at: number | string;
    }>(
      `SELECT c.device, c.device_key AS key, c.ck, min(c.parts) AS parts,
         sum(octet_length(c.body)) AS bytes, max(c.received_at) AS at
       FROM relay_checkpoints c
       JOIN relay_mailboxes b ON b.id = c.mailbox
       LEFT JOIN relay_members m ON m.mailbox = c.mailbox AND m.device_key = c.device_key
       WHERE c.mailbox = $1 AND ${CHECKPOINT_SHOWN}
       GROUP BY c.device, c.device_key, c.ck
       HAVING count(*) = min(c.parts)
       ORDER BY max(c.received_at) DESC, c.device, c.ck
       LIMIT 16`,
      [mailbox],
    );
    return rows.map((r) => ({
      device: r.device,
      key: r.key,
      ck: r.ck,
      parts: Number(r.parts),
      bytes: Number(r.bytes),
      at: Number(r.at),
    }));
  }

  /** One part of a complete checkpoint of a device shown (as listCheckpoints lists them); null otherwise. */
  async getCheckpointPart(
    mailbox: string,
    device: string,
    ck: string,
    part: number,
  ): Promise<{ key: string; parts: number; sig: string; body: Uint8Array } | null> {
    const { rows } = await this.db.query<{ key: string; parts: number; sig: string; body: Uint8Array }>(
      `SELECT c.device_key AS key, c.parts, c.sig, c.body
       FROM relay_checkpoints c
       JOIN relay_mailboxes b ON b.id = c.mailbox
       LEFT JOIN relay_members m ON m.mailbox = c.mailbox AND m.device_key = c.device_key
       WHERE c.mailbox = $1 AND c.device = $2 AND c.ck = $3 AND c.part = $4 AND ${CHECKPOINT_SHOWN}
         AND (SELECT count(*) FROM relay_checkpoints
              WHERE mailbox = $1 AND device = $2 AND ck = $3) = c.parts`,
      [mailbox, device, ck, part],
    );
    const row = rows[0];
    return row ? { key: row.key, parts: Number(row.parts), sig: row.sig, body: row.body } : null;
  }
}
