/**
 * The relay's store behind one small interface, so the same SQL runs on the embedded PGlite (PostgreSQL
 * compiled to WASM, in this process, one data directory) and later on a PostgreSQL server through `pg`
 * (whose Pool and PoolClient have the same `query(sql, params)`). Only portable PostgreSQL is used:
 * text, integer, bigint and bytea columns, INSERT ... ON CONFLICT, SELECT ... FOR UPDATE.
 */
import { PGlite } from '@electric-sql/pglite';

export interface Db {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Pick<Db, 'query'>) => Promise<T>): Promise<T>;
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
];

export async function migrate(db: Pick<Db, 'query'>): Promise<void> {
  for (const statement of SCHEMA) await db.query(statement);
}

/**
 * The embedded store: PGlite in `dataDir` (created on first use). Every commit waits for PGlite's files
 * to be written (relaxedDurability off), so a relay process killed after acknowledging keeps the blob.
 */
export async function openPglite(dataDir: string): Promise<Db> {
  const pg = await PGlite.create({ dataDir, relaxedDurability: false });
  await migrate(pg);
  return {
    query: async <T>(sql: string, params: unknown[] = []) => ({
      rows: (await pg.query<T>(sql, params)).rows,
    }),
    transaction: (fn) =>
      pg.transaction((tx) =>
        fn({ query: async (sql, params = []) => ({ rows: (await tx.query(sql, params)).rows as never[] }) }),
      ),
    close: () => pg.close(),
  };
}
