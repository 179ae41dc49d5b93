import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags proven on this machine (see ../shared/guide/TOOLCHAIN.md); the last three make loopback WebRTC work. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  '--use-fake-ui-for-media-stream',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export function newProfileDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `larder-e2e-${name}-`));
}

export function removeProfileDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

/**
 * A hub's browser: its own persistent profile, so its IndexedDB survives a restart. `extraArgs` and
 * `permissions` are for a device with a (fake) camera.
 */
export async function openHub(
  profileDir: string,
  baseURL: string,
  // With no STUN, WebRTC offers host candidates only to pages holding a media permission.
  {
    extraArgs = [],
    permissions = ['microphone'],
    path = '/',
  }: { extraArgs?: string[]; permissions?: string[]; path?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    baseURL,
    viewport: { width: 1280, height: 800 },
    permissions,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(path);
  // The app reloading itself (a reload for its code or its sync servers) loses a form being filled in:
  // said in the log, so a test that then misses what it typed shows why.
  page.on('load', () => console.warn(`[page reloaded] ${profileDir}: ${page.url()}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.text().startsWith('Larder')) console.warn(`[page ${m.type()}] ${m.text()}`);
  });
  return { context, page };
}

/**
 * Chromium started as a plain process (not by Playwright), so a test can kill it with SIGKILL the way a
 * power cut or a crash would, then start it again on the same profile.
 */
export async function spawnKillableChromium(
  profileDir: string,
): Promise<{ process: ChildProcess; wsEndpoint: string; kill: () => Promise<void> }> {
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      `--user-data-dir=${profileDir}`,
      '--remote-debugging-port=0',
      ...CHROMIUM_ARGS,
      'about:blank',
    ],
    // Its own process group, so a kill takes the renderer and helper processes down with it.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const wsEndpoint = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${buffer}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`Chromium exited with ${code}: ${buffer}`)));
  });
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  };
  return { process: child, wsEndpoint, kill };
}
