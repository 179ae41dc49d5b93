import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncServerAllowList } from '../../electron/sync-servers';

describe('the sync servers the main process allows in its CSP', () => {
  const dirs: string[] = [];
  const fileIn = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'larder-servers-'));
    dirs.push(dir);
    return path.join(dir, 'sync-servers.json');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('starts with none, then serves what the renderer reports; a page without one of them reloads once', async () => {
    const file = fileIn();
    const list = new SyncServerAllowList(file);
    expect(list.forResponse(true)).toEqual([]);
    // The page was served allowing nothing: a new server needs a new page.
    expect(await list.set(['ws://192.168.1.20:4444/'])).toBe(true);
    expect(list.forResponse(false)).toEqual(['ws://192.168.1.20:4444']);
    expect(list.forResponse(true)).toEqual(['ws://192.168.1.20:4444']);
    // The reloaded page allows it: no second reload; dropping a server needs none either.
    expect(await list.set(['ws://192.168.1.20:4444'])).toBe(false);
    expect(await list.set([])).toBe(false);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('keeps the list for the next launch, and ignores what is not a ws:/wss: server', async () => {
    const file = fileIn();
    await new SyncServerAllowList(file).set(['wss://sync.example.org/x', 'http://evil.example']);
    const next = new SyncServerAllowList(file);
    expect(next.forResponse(true)).toEqual(['wss://sync.example.org']);
    writeFileSync(file, JSON.stringify(['ws://ok.example:1', 42, 'https://no.example', { a: 1 }]));
    expect(new SyncServerAllowList(file).forResponse(true)).toEqual(['ws://ok.example:1']);
    writeFileSync(file, 'not json');
    expect(new SyncServerAllowList(file).forResponse(true)).toEqual([]);
  });
});
