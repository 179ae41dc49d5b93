/** `npm run signal`: the standalone signaling server (electron/signaling/cli.ts), run through tsx. */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { lanIPv4Addresses } from '../../electron/signaling/addresses';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const running: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function runCli(...args: string[]) {
  const child = spawn(tsx, ['electron/signaling/cli.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env },
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = () => ({ stdout, stderr });
  /** Resolves with the listed URLs once the "listening on" block is printed. */
  const urls = async (count: number): Promise<string[]> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = [...stdout.matchAll(/^ {2}(ws:\/\/\S+)$/gm)].map((match) => match[1] ?? '');
      if (found.length >= count) return found;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`CLI printed no URLs.\nstdout: ${stdout}\nstderr: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { child, exited, output, urls };
}

async function ping(url: string): Promise<unknown> {
  const socket = new WebSocket(url);
  try {
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const messages: unknown[] = [];
    const pong = new Promise<unknown>((resolve) =>
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type?: unknown };
        // The server's challenge comes first (docs/signaling.md); the answer to the ping after it.
        if (message.type === 'pong') resolve(message);
        else messages.push(message);
      }),
    );
    socket.send(JSON.stringify({ type: 'ping' }));
    return await pong;
  } finally {
    socket.terminate();
  }
}

describe('npm run signal', () => {
  it('listens on 127.0.0.1 by default, prints its URL and exits cleanly on SIGTERM', async () => {
    const cli = runCli('--port', '0');
    const [url] = await cli.urls(1);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(await ping(url ?? '')).toEqual({ type: 'pong' });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.output().stdout).toContain('SIGTERM: closing');
  }, 30_000);

  it('with --host 0.0.0.0 lists every LAN IPv4 address and loopback; SIGINT closes it', async () => {
    const lan = lanIPv4Addresses();
    const cli = runCli('--host', '0.0.0.0', '--port', '0', '--quiet');
    const urls = await cli.urls(lan.length + 1);
    const port = urls.at(-1)?.split(':').at(-1);
    expect(urls).toEqual([...lan.map((address) => `ws://${address}:${port}`), `ws://127.0.0.1:${port}`]);
    expect(await ping(`ws://127.0.0.1:${port}`)).toEqual({ type: 'pong' });
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
  }, 30_000);

  it('refuses bad arguments with usage and exit code 2', async () => {
    const badPort = runCli('--port', 'eleven');
    expect(await badPort.exited).toBe(2);
    expect(badPort.output().stderr).toContain('--port must be a number');
    const unknown = runCli('--verbose');
    expect(await unknown.exited).toBe(2);
    expect(unknown.output().stderr).toContain('Usage: npm run signal');
  }, 30_000);
});
