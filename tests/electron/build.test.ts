/**
 * Builds electron/ with electronPlugins() into a temporary folder and checks what Electron will
 * load: a sandboxed preload must be real CommonJS (a .cjs file holding `import` statements
 * fails at startup, which nothing else here would notice without the Electron binary), and it
 * must expose exactly the bridge and nothing else.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronPlugins } from '../../electron/vite-electron';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let workDir = '';
let preload = '';
let main = '';

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'larder-electron-build-'));
  const outDir = path.join(workDir, 'dist-electron');
  await writeFile(path.join(workDir, 'index.html'), '<!doctype html><title>build test</title>');
  await build({
    configFile: false,
    root: workDir,
    logLevel: 'silent',
    build: { outDir: path.join(workDir, 'dist') },
    plugins: [electronPlugins(repoRoot, outDir)],
  });
  preload = await readFile(path.join(outDir, 'preload.cjs'), 'utf8');
  main = await readFile(path.join(outDir, 'main.js'), 'utf8');
}, 60_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('electron build', () => {
  it('emits the preload as CommonJS that only requires electron', () => {
    expect(preload).not.toMatch(/^\s*(import|export)\b/m);
    const required = [...preload.matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((match) => match[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
  });

  it('exposes window.larder with named functions only, never ipcRenderer', async () => {
    const exposed: Array<[string, Record<string, unknown>]> = [];
    const invoked: unknown[][] = [];
    const fakeElectron = {
      contextBridge: {
        exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.push([key, api]),
      },
      ipcRenderer: { invoke: async (...args: unknown[]) => invoked.push(args) },
    };
    const module = { exports: {} };
    vm.runInNewContext(preload, { require: () => fakeElectron, module, exports: module.exports });

    expect(exposed).toHaveLength(1);
    const [key, api] = exposed[0] ?? ['', {}];
    expect(key).toBe('larder');
    expect(Object.keys(api).sort()).toEqual([
      'allowSyncServers',
      'hostSync',
      'openFile',
      'platform',
      'saveFile',
      'secrets',
    ]);
    const hostSync = api.hostSync as Record<string, (request?: unknown) => Promise<unknown>>;
    expect(Object.keys(hostSync).sort()).toEqual(['discover', 'start', 'status', 'stop']);
    expect(Object.values(hostSync)).not.toContain(fakeElectron.ipcRenderer);
    expect(api.platform).toBe('electron');
    expect(Object.values(api)).not.toContain(fakeElectron.ipcRenderer);

    const data = new Uint8Array([1]);
    await (api.saveFile as (request: unknown) => Promise<unknown>)({ suggestedName: 'a.json', data });
    await (api.openFile as () => Promise<unknown>)();
    await hostSync.start?.({ port: 4444 });
    await hostSync.stop?.();
    await hostSync.status?.();
    await hostSync.discover?.();
    await (api.allowSyncServers as (request: unknown) => Promise<unknown>)({ urls: ['ws://127.0.0.1:4444'] });
    const secrets = api.secrets as Record<string, (request: unknown) => Promise<unknown>>;
    expect(Object.keys(secrets).sort()).toEqual(['open', 'seal']);
    await secrets.seal?.({ text: 'k' });
    await secrets.open?.({ sealed: 'c2VhbGVk' });
    expect(invoked).toEqual([
      ['larder:save-file', { suggestedName: 'a.json', data }],
      ['larder:open-file', {}],
      ['larder:sync-host-start', { port: 4444 }],
      ['larder:sync-host-stop'],
      ['larder:sync-host-status'],
      ['larder:sync-discover', {}],
      ['larder:sync-servers', { urls: ['ws://127.0.0.1:4444'] }],
      ['larder:secret-seal', { text: 'k' }],
      ['larder:secret-open', { sealed: 'c2VhbGVk' }],
    ]);
  });

  it('emits main as an ES module with electron left external', () => {
    expect(main).toMatch(/^import .* from "electron";$/m);
    expect(main).not.toMatch(/require\(\s*["']electron["']\s*\)/);
  });
});
