/**
 * Nothing the relay acknowledged is lost when its process is killed (SIGKILL: no clean close), whether
 * the kill comes between an upload and its acknowledgement or right after it. `npm run relay` itself
 * (electron/relay/cli.ts through tsx) runs as a child process on its own data directory.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { blobHash, type ServerMessage } from '../../shared/sync/relay';
import { deviceIdOf } from '../../shared/trust/crypto';
import { RawClient, testNetwork } from './relay-client';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), 'larder-relay-crash-'));
let child: ChildProcessWithoutNullStreams | null = null;

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function startChild(): Promise<string> {
  // node itself with tsx's loader (not the tsx binary, which runs the program in a child of its own): the
  // SIGKILL must reach the process that holds the store.
  const args = ['--import', 'tsx', 'electron/relay/cli.ts', '--port', '0', '--data', dataDir, '--quiet'];
  const proc = spawn(process.execPath, args, { cwd: repoRoot });
  child = proc;
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const deadline = Date.now() + 300_000;
  for (;;) {
    const url = /^ {2}(ws:\/\/\S+)$/m.exec(out)?.[1];
    if (url) return url;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the relay did not start:\n${out}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function kill(): Promise<void> {
  const proc = child!;
  if (proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
}

it('keeps every blob it acknowledged across kill -9, between upload and acknowledgement or after it', async () => {
  const net = await testNetwork();
  const blobs = new Map<number, Uint8Array>();
  const acknowledged = new Set<number>();
  let seq = 1;
  for (let round = 0; round < 3; round++) {
    const url = await startChild();
    const c = await RawClient.open(url);
    const welcome = await c.hello(net);
    const mailbox = welcome!.mailbox!;
    // What the relay holds is exactly what it acknowledged, and perhaps the one blob it was killed over.
    const head = welcome!.heads[deviceIdOf(net.anchor.publicKey)] ?? 0;
    expect(head).toBeGreaterThanOrEqual(acknowledged.size);
    expect(head).toBeLessThanOrEqual(seq);
    // The blob it was killed over is sent again, byte for byte: acknowledged now (as new or as a duplicate).
    const answers: (ServerMessage | null)[] = [];
    for (; seq <= 3 * (round + 1); seq++) {
      if (!blobs.has(seq)) blobs.set(seq, new Uint8Array(randomBytes(2048)));
      const answer = await c.upload(mailbox, net.anchor, seq, blobs.get(seq)!);
      answers.push(answer);
      expect(answer).toMatchObject({ type: 'ack', seq });
      acknowledged.add(seq);
    }
    // Then one more upload, and the kill: before its acknowledgement can arrive (even rounds), or the
    // moment it arrives (odd rounds).
    blobs.set(seq, new Uint8Array(randomBytes(2048)));
    const last = c.upload(mailbox, net.anchor, seq, blobs.get(seq)!);
    if (round % 2 === 1) {
      expect(await last).toMatchObject({ type: 'ack', seq });
      acknowledged.add(seq);
      seq += 1;
    }
    await kill();
    c.close();
    await last.catch(() => null);
  }

  // After the last kill: every acknowledged blob is there, with its bytes.
  const url = await startChild();
  const c = await RawClient.open(url);
  const welcome = await c.hello(net);
  const held = new Map<number, string>();
  const cursor: Record<string, number> = {};
  for (;;) {
    const page = await c.request({ type: 'fetch', cursor });
    if (page?.type !== 'blobs') throw new Error(JSON.stringify(page));
    for (const b of page.blobs) {
      held.set(b.seq, blobHash(new Uint8Array(Buffer.from(b.blob, 'base64url'))));
      cursor[b.device] = b.seq;
    }
    if (!page.more) break;
  }
  expect(welcome!.mailbox).toBeTruthy();
  for (const s of acknowledged) expect(held.get(s), `blob ${s}`).toBe(blobHash(blobs.get(s)!));
  c.close();
  await kill();
}, 1_500_000);
