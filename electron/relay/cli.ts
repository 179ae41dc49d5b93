/**
 * The relay on one always-on computer, with its store in a directory (PGlite: nothing else to install):
 *
 *   npm run relay                                     # 127.0.0.1:4455, data in ./larder-relay-data
 *   npm run relay -- --host 0.0.0.0 --data /srv/larder-relay
 *
 * or as one of several processes in front of one PostgreSQL server (docs/scaling.md):
 *
 *   npm run relay -- --host 0.0.0.0 --database postgres://relay@db.local/larder_relay
 *   LARDER_RELAY_DATABASE=postgres://... npm run relay -- --host 0.0.0.0
 *
 * Prints the ws:// addresses to add under Sync › Relay. Stops cleanly on Ctrl+C (SIGINT) or SIGTERM.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signalingUrls } from '../signaling/addresses';
import { redactUrl } from './postgres';
import { RELAY_DEFAULTS, startRelay } from './server';

const USAGE = `Usage: npm run relay -- [--host 127.0.0.1] [--port ${RELAY_DEFAULTS.port}] [--data DIR | --database URL] [--quiet]

  --host   interface to listen on (default ${RELAY_DEFAULTS.host}; 0.0.0.0 = every IPv4 interface)
  --port   TCP port (default ${RELAY_DEFAULTS.port}; 0 = any free port)
  --data      directory of the relay's embedded store, PGlite (default ./larder-relay-data)
  --database  a PostgreSQL server instead, postgres://user[:password]@host[:port]/db (or the
              LARDER_RELAY_DATABASE environment variable); several relays may share one
  --quiet  print only the addresses, no events
`;

async function main(): Promise<void> {
  let values: {
    host?: string;
    port?: string;
    data?: string;
    database?: string;
    quiet?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        data: { type: 'string' },
        database: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const host: string = values.host ?? RELAY_DEFAULTS.host;
  const port = values.port === undefined ? RELAY_DEFAULTS.port : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || !Number.isInteger(port) || port > 65_535) {
    process.stderr.write(`--port must be a number from 0 to 65535\n\n${USAGE}`);
    process.exit(2);
  }
  const database = values.database ?? (process.env.LARDER_RELAY_DATABASE || undefined);
  if (database !== undefined && values.data !== undefined) {
    process.stderr.write(`--data (PGlite) or --database (PostgreSQL), not both\n\n${USAGE}`);
    process.exit(2);
  }
  if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) {
    process.stderr.write(`--database must be a postgres:// address, got ${redactUrl(database)}\n\n${USAGE}`);
    process.exit(2);
  }
  const dataDir = path.resolve(values.data ?? 'larder-relay-data');
  const storeName = database ? `PostgreSQL ${redactUrl(database)}` : dataDir;
  const timestamp = () => new Date().toISOString();
  const relay = await startRelay({
    host,
    port,
    ...(database ? { database } : { dataDir }),
    ...(values.quiet ? {} : { log: (line: string) => process.stdout.write(`${timestamp()} ${line}\n`) }),
  }).catch((error: NodeJS.ErrnoException) => {
    const reason = error.code === 'EADDRINUSE' ? `port ${port} is already in use` : error.message;
    process.stderr.write(`Could not start the relay on ${host}: ${reason}\n`);
    process.exit(1);
  });
  process.stdout.write(`Larder relay (store: ${storeName}) listening on:\n`);
  for (const url of signalingUrls(host, relay.port)) process.stdout.write(`  ${url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: closing\n`);
    setTimeout(() => process.exit(1), 10_000).unref();
    void relay.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
