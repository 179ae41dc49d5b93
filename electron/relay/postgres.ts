/**
 * The relay's store on a PostgreSQL server, through `pg` (node-postgres): the same schema and SQL as the
 * embedded PGlite (./db.ts), so several relay processes can run side by side on one database. What they
 * share lives in it: blobs, members, quotas, sequence numbers (a row lock per mailbox and the primary key)
 * and upload budgets; a stored blob is announced to every process by NOTIFY, sent when its transaction
 * commits (never for one rolled back).
 *
 * A Pool runs the queries; one more connection, kept apart, LISTENs. When that connection breaks it is
 * opened again (after 0.5 s, then up to 10 s between tries): pushes sent meanwhile are missed, which
 * costs only latency, since clients also ask for what is new on their own schedule.
 */
import pg from 'pg';
import { migrate, type Db } from './db';

export interface PostgresOptions {
  /** At most this many connections for queries (default 10), plus one that listens. */
  maxConnections?: number;
  /** Problems with the server, worded without the connection string. */
  log?: (line: string) => void;
}

/** Where a connection string's password would be shown, it is not. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'a connection string that is not a URL';
  }
}

const quoteIdent = (name: string) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Not a plain channel name: ${name}`);
  return name;
};

export async function openPostgres(connectionString: string, options: PostgresOptions = {}): Promise<Db> {
  if (!/^postgres(ql)?:\/\//.test(connectionString))
    throw new Error(`A PostgreSQL address starts with postgres:// (got ${redactUrl(connectionString)})`);
  const log = options.log ?? (() => undefined);
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10 });
  // An idle connection the server drops is taken out of the pool; without a listener it would throw.
  pool.on('error', (error) => log(`PostgreSQL: an idle connection failed (${error.message})`));
  // Fail now, with the server's reason, rather than at the first client.
  await pool.query('SELECT 1').catch(async (error: Error) => {
    await pool.end().catch(() => undefined);
    throw new Error(`Could not reach PostgreSQL at ${redactUrl(connectionString)}: ${error.message}`);
  });

  const channels = new Map<string, Set<(payload: string) => void>>();
  let listener: pg.Client | null = null;
  let closed = false;
  let retryMs = 500;
  let retryTimer: NodeJS.Timeout | null = null;

  const connectListener = async (): Promise<void> => {
    const client = new pg.Client({ connectionString });
    client.on('notification', (n) => {
      for (const fn of channels.get(n.channel) ?? []) fn(n.payload ?? '');
    });
    let failed = false;
    client.on('error', (error) => {
      // A broken connection can report more than one error (the server's reason, then the socket's end):
      // the first one opens another, once.
      if (failed) return;
      failed = true;
      log(`PostgreSQL: the listening connection failed (${error.message}); opening it again`);
      if (listener === client) listener = null;
      void client.end().catch(() => undefined);
      scheduleReconnect();
    });
    await client.connect();
    for (const channel of channels.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    if (closed) {
      await client.end();
      return;
    }
    listener = client;
    retryMs = 500;
  };
  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connectListener().catch((error: Error) => {
        log(`PostgreSQL: could not listen (${error.message}); trying again in ${retryMs} ms`);
        retryMs = Math.min(10_000, retryMs * 2);
        scheduleReconnect();
      });
    }, retryMs);
    retryTimer.unref();
  };
  await connectListener();

  const db: Db = {
    query: async <T>(sql: string, params: unknown[] = []) => ({
      rows: (await pool.query(sql, params)).rows as T[],
    }),
    transaction: async (fn) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async <T>(sql: string, params: unknown[] = []) => ({
            rows: (await client.query(sql, params)).rows as T[],
          }),
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw error;
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: closed rather than reused.
        client.release(broken);
      }
    },
    listen: async (channel, onPayload) => {
      let set = channels.get(channel);
      if (!set) {
        channels.set(channel, (set = new Set()));
        await listener?.query(`LISTEN ${quoteIdent(channel)}`);
      }
      set.add(onPayload);
      return async () => {
        set.delete(onPayload);
        if (set.size === 0 && channels.get(channel) === set) {
          channels.delete(channel);
          await listener?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined);
        }
      };
    },
    close: async () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      await listener?.end().catch(() => undefined);
      listener = null;
      await pool.end();
    },
  };
  await migrate(db);
  return db;
}
