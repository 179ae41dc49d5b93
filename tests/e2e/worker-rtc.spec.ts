import { chromium, expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serve } from '../../bench/server';
import { CHROMIUM, CHROMIUM_ARGS, newProfileDir, removeProfileDir } from './browser';
import type { RtcTest } from './worker-rtc/main';

declare global {
  interface Window {
    larderRtcTest: RtcTest;
  }
}

/**
 * WebRTC lent to Workers by their page (docs/worker.md, step 3): simple-peer, the transport y-webrtc runs,
 * in two Workers of one page, each given the page's connections through renderer/sync/rtcStandIn.ts and
 * rtcLender.ts, connect over real WebRTC on loopback (no STUN, no server: the page passes their signals),
 * carry messages both ways on a data channel the page handed to each, and see the other close.
 */
test('two Workers connect over WebRTC their page lends them, and talk', async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = mkdtempSync(join(tmpdir(), 'larder-worker-rtc-'));
  await build({
    configFile: false,
    root: join(here, 'worker-rtc'),
    base: '/',
    logLevel: 'error',
    build: { outDir: out, emptyOutDir: true, target: 'es2022' },
  });
  const server = await serve([{ prefix: '/', dir: out }]);
  const profile = newProfileDir('worker-rtc');
  // With no STUN, WebRTC offers host candidates only to pages holding a media permission.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    permissions: ['microphone'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/index.html`);
    await expect(page.locator('#status')).toHaveText('ready');
    await page.evaluate(() => window.larderRtcTest.start());
    const said = () => page.evaluate(() => window.larderRtcTest.said);
    await expect.poll(said, { timeout: 30_000 }).toEqual({ a: ['connected'], b: ['connected'] });
    expect(await page.evaluate(() => window.larderRtcTest.signals)).toBeGreaterThanOrEqual(2);

    await page.evaluate(() => {
      window.larderRtcTest.send('a', 'hello from a');
      window.larderRtcTest.send('b', 'hello from b');
    });
    await expect
      .poll(said)
      .toEqual({ a: ['connected', 'received: hello from b'], b: ['connected', 'received: hello from a'] });

    await page.evaluate(() => window.larderRtcTest.end('a'));
    await expect.poll(said).toMatchObject({ b: ['connected', 'received: hello from a', 'closed'] });
    expect(errors).toEqual([]);
  } finally {
    await context.close();
    await server.close();
    removeProfileDir(profile);
  }
});
