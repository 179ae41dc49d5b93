/**
 * A throw-away PostgreSQL cluster for the relay's tests and benchmark: initdb in a temporary directory,
 * the server on loopback only, trust authentication for one role, gone again at `stop()`. Uses Debian's
 * `postgresql` package (/usr/lib/postgresql/<version>/bin, the newest there), or the directory in
 * LARDER_PG_BIN. initdb and postgres refuse to run as root: as root they run as the `postgres` user the
 * package creates (spawned with its uid and gid: signals reach postgres itself).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

export interface PostgresCluster {
  url: string;
  port: number;
  /** The server's process, for tests that stop it. */
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The directory holding initdb and postgres, or null when PostgreSQL is not installed. */
export function postgresBinaries(): string | null {
  const candidates: string[] = [];
  // When given, LARDER_PG_BIN is the only place looked at (and a wrong one is as good as none).
  if (process.env.LARDER_PG_BIN) candidates.push(process.env.LARDER_PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (!process.env.LARDER_PG_BIN && existsSync(debian))
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a)))
      candidates.push(path.join(debian, version, 'bin'));
  return (
    candidates.find(
      (dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres')),
    ) ?? null
  );
}

/** Whether the tests must fail, rather than be left out, when PostgreSQL is missing (CI says so). */
export const postgresRequired = () => Boolean(process.env.CI) || process.env.LARDER_REQUIRE_POSTGRES === '1';

export const POSTGRES_MISSING =
  "PostgreSQL's binaries were not found (Debian: apt-get install postgresql; or set LARDER_PG_BIN to the directory holding initdb and postgres)";

/** As root, the postgres user's ids (initdb and postgres refuse root); otherwise nothing to change. */
function serverUser(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error('Running as root: PostgreSQL needs another user, and the postgres user does not exist');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Starts a fresh cluster on 127.0.0.1:`port` (its Unix socket in its own directory). `settings` are
 * postgres -c options (name=value). Rejects with the server's own output when it does not start.
 */
export async function startPostgres(
  port: number,
  settings: Record<string, string | number> = {},
): Promise<PostgresCluster> {
  const bin = postgresBinaries();
  if (!bin) throw new Error(POSTGRES_MISSING);
  const user = serverUser();
  const dir = mkdtempSync(path.join(tmpdir(), 'larder-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const init = spawnSync(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'larder', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'],
    { encoding: 'utf8', cwd: dir, ...user },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed:\n${init.stdout}\n${init.stderr}`);
  }
  const options = { listen_addresses: '127.0.0.1', port, unix_socket_directories: dir, ...settings };
  const proc = spawn(
    path.join(bin, 'postgres'),
    ['-D', data, ...Object.entries(options).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...user },
  );
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      // SIGINT is PostgreSQL's "fast" shutdown (SIGTERM's "smart" one would wait for every client).
      proc.kill('SIGINT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!/ready to accept connections/.test(out)) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`PostgreSQL did not start on port ${port}:\n${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `postgres://larder@127.0.0.1:${port}/postgres`, port, process: proc, stop };
}

/** The bytes a directory holds on disk (for the benchmark's bytes per entry). */
export function bytesUnder(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    total += s.isDirectory() ? bytesUnder(p) : s.size;
  }
  return total;
}
