/**
 * Standalone signaling server, e.g. for a community server or a spare computer at the hub:
 *
 *   npm run signal                               # 127.0.0.1:4444, this computer only
 *   npm run signal -- --host 0.0.0.0 --port 4444 # the whole LAN
 *
 * Prints the ws:// URLs to put into a Larder invite. Stops cleanly on Ctrl+C (SIGINT) or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { signalingUrls } from './addresses';
import { SIGNALING_DEFAULTS, startSignalingServer } from './server';

const USAGE = `Usage: npm run signal -- [--host 127.0.0.1] [--port 4444] [--quiet]

  --host   interface to listen on (default ${SIGNALING_DEFAULTS.host}; 0.0.0.0 = every IPv4 interface)
  --port   TCP port (default ${SIGNALING_DEFAULTS.port}; 0 = any free port)
  --quiet  print only the URLs, no connection events
`;

async function main(): Promise<void> {
  let values: { host?: string; port?: string; quiet?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
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

  const host = values.host ?? SIGNALING_DEFAULTS.host;
  const port = values.port === undefined ? SIGNALING_DEFAULTS.port : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || !Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port must be a number from 0 to 65535\n\n${USAGE}`);
    process.exit(2);
  }

  const timestamp = () => new Date().toISOString();
  const server = await startSignalingServer({
    host,
    port,
    ...(values.quiet ? {} : { log: (line: string) => process.stdout.write(`${timestamp()} ${line}\n`) }),
  }).catch((error: NodeJS.ErrnoException) => {
    const reason = error.code === 'EADDRINUSE' ? `port ${port} is already in use` : error.message;
    process.stderr.write(`Could not start the signaling server on ${host}: ${reason}\n`);
    process.exit(1);
  });

  process.stdout.write(`Larder signaling server listening on:\n`);
  for (const url of signalingUrls(host, server.port)) process.stdout.write(`  ${url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: closing\n`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
