import { chromium, expect, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serve } from '../../bench/server';
import { CHROMIUM, CHROMIUM_ARGS, newProfileDir, removeProfileDir } from './browser';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * A test page of its own (tests/e2e/<name>/: index.html and its modules), built and served on loopback, for
 * what the app does not do yet but its code must (the store and sync in a Worker: docs/worker.md). With
 * `appConfig`, built with the app's own vite.config.ts (its guarded sync messages for y-webrtc above all).
 * Each `open` is a browser of its own (a profile, so its own IndexedDB), holding a media permission: with no
 * STUN, WebRTC offers host candidates only to such pages. `close` ends them all and the server.
 */
export async function testPage(name: string, { appConfig = false } = {}) {
  const out = mkdtempSync(join(tmpdir(), `larder-${name}-`));
  await build({
    configFile: appConfig ? join(here, '..', '..', 'vite.config.ts') : false,
    ...(appConfig ? { mode: 'production' } : {}),
    root: join(here, name),
    base: '/',
    logLevel: 'error',
    build: { outDir: out, emptyOutDir: true, target: 'es2022' },
  });
  const server = await serve([{ prefix: '/', dir: out }]);
  const opened: { context: BrowserContext; profile: string }[] = [];
  return {
    url: server.url,
    /** A browser on the page, once its module says "ready"; its page's errors are collected in `errors`. */
    async open(label = name): Promise<{ page: Page; errors: string[] }> {
      const profile = newProfileDir(label);
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        permissions: ['microphone'],
      });
      opened.push({ context, profile });
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`${label}: ${e.message}`));
      await page.goto(`${server.url}/index.html`);
      await expect(page.locator('#status')).toHaveText('ready');
      return { page, errors };
    },
    async close(): Promise<void> {
      for (const { context } of opened) await context.close().catch(() => undefined);
      await server.close();
      for (const { profile } of opened) removeProfileDir(profile);
      rmSync(out, { recursive: true, force: true });
    },
  };
}
