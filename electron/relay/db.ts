/**
 * The relay's store behind one small interface, so the same SQL runs on the embedded PGlite (PostgreSQL
 * compiled to WASM, in this process, one data directory) and on a PostgreSQL server through `pg`
 * (./postgres.ts, for several relay processes on one server). Only portable PostgreSQL is used: text,
 * integer, bigint, double precision and bytea columns, INSERT ... ON CONFLICT, SELECT ... FOR UPDATE,
 * advisory locks, and LISTEN/NOTIFY for what one relay process must tell the others.
 */
import { PGlite } from '@electric-sql/pglite';

export interface Db {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Pick<Db, 'query'>) => Promise<T>): Promise<T>;
  /**
   * Calls `onPayload` for every NOTIFY on `channel` committed by any process of this store, this one
   * included, until the returned function is called.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The schema, one statement each (pg's extended protocol takes one statement per query). */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS relay_mailboxes (
    id text PRIMARY KEY,
    read_key text NOT NULL,
    anchor_id text NOT NULL,
    anchor_key text NOT NULL,
    bytes bigint NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    UNIQUE (read_key, anchor_id)
  )`,
  `CREATE TABLE IF NOT EXISTS relay_members (
    mailbox text NOT NULL REFERENCES relay_mailboxes (id),
    device_key text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'member')),
    cut integer,
    at bigint NOT NULL,
    payload text NOT NULL,
    signed_by text NOT NULL,
    sig text NOT NULL,
    PRIMARY KEY (mailbox, device_key)
  )`,
  `CREATE TABLE IF NOT EXISTS relay_blobs (
    mailbox text NOT NULL REFERENCES relay_mailboxes (id),
    device text NOT NULL,
    seq integer NOT NULL,
    device_key text NOT NULL,
    hash text NOT NULL,
    sig text NOT NULL,
    body bytea NOT NULL,
    received_at bigint NOT NULL,
    PRIMARY KEY (mailbox, device, seq)
  )`,
  // Each device's upload budget (a token bucket), here rather than in a process's memory so that a device
  // connected to several relay processes has one budget. A row older than a minute is a full bucket.
  `CREATE TABLE IF NOT EXISTS relay_budgets (
    mailbox text NOT NULL REFERENCES relay_mailboxes (id),
    device_key text NOT NULL,
    uploads double precision NOT NULL,
    bytes double precision NOT NULL,
    at bigint NOT NULL,
    PRIMARY KEY (mailbox, device_key)
  )`,
  // Checkpoints devices leave for those that join (shared/sync/relay.ts, MAX_CHECKPOINT_PARTS): one row
  // per sealed part, `parts` the same in every row of a checkpoint; complete when it has `parts` rows.
  // Per device at most one complete checkpoint and one being uploaded (RelayStore.putCheckpointPart).
  `CREATE TABLE IF NOT EXISTS relay_checkpoints (
    mailbox text NOT NULL REFERENCES relay_mailboxes (id),
    device text NOT NULL,
    ck text NOT NULL,
    part integer NOT NULL,
    parts integer NOT NULL,
    device_key text NOT NULL,
    hash text NOT NULL,
    sig text NOT NULL,
    body bytea NOT NULL,
    received_at bigint NOT NULL,
    PRIMARY KEY (mailbox, device, ck, part)
  )`,
];

/**
 * Each device's last sequence number in a mailbox, kept with every upload: what every connection is
 * told at its hello, read in one row per device rather than from all of a mailbox's blobs (PostgreSQL
 * has no skip scan: max(seq) GROUP BY device reads every blob of the mailbox, every round of every
 * device). Filled from the blobs when the table is first created.
 */
const HEADS = `CREATE TABLE relay_heads (
    mailbox text NOT NULL REFERENCES relay_mailboxes (id),
    device text NOT NULL,
    head integer NOT NULL,
    PRIMARY KEY (mailbox, device)
  )`;

/** The channel on which a relay process tells the others (and itself) that a blob was stored. */
export const NEW_BLOB_CHANNEL = 'larder_relay_new';

/** Creates what is missing; relay processes starting together on one server take turns (an advisory lock). */
export async function migrate(db: Pick<Db, 'transaction'>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(1818325604)' /* 'lard' */);
    for (const statement of SCHEMA) await tx.query(statement);
    const { rows } = await tx.query<{ exists: boolean }>(
      "SELECT to_regclass('relay_heads') IS NOT NULL AS exists",
    );
    if (!rows[0]?.exists) {
      await tx.query(HEADS);
      await tx.query(
        `INSERT INTO relay_heads (mailbox, device, head)
         SELECT mailbox, device, max(seq) FROM relay_blobs GROUP BY mailbox, device`,
      );
    }
  });
}

/**
 * The embedded store: PGlite in `dataDir` (created on first use). Every commit waits for PGlite's files
 * to be written (relaxedDurability off), so a relay process killed after acknowledging keeps the blob.
 */
export async function openPglite(dataDir: string): Promise<Db> {
  const pg = await PGlite.create({ dataDir, relaxedDurability: false });
  const db: Db = {
    query: async <T>(sql: string, params: unknown[] = []) => ({
      rows: (await pg.query<T>(sql, params)).rows,
    }),
    transaction: (fn) =>
      pg.transaction((tx) =>
        fn({ query: async (sql, params = []) => ({ rows: (await tx.query(sql, params)).rows as never[] }) }),
      ),
    listen: async (channel, onPayload) => {
      const unlisten = await pg.listen(channel, onPayload);
      return () => unlisten();
    },
    close: () => pg.close(),
  };
  await migrate(db);
  return db;
}
