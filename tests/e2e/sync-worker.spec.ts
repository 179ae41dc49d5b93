import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serve } from '../../bench/server';
import { startSignalingServer } from '../../electron/signaling/server';
import { CHROMIUM, CHROMIUM_ARGS, newProfileDir, removeProfileDir } from './browser';
import type { SyncWorkerTest } from './sync-worker/main';

declare global {
  interface Window {
    larderSyncWorkerTest: SyncWorkerTest;
  }
}

/**
 * Two devices whose stores and sync run in Workers (docs/worker.md, step 3): each Worker holds the store and
 * runs Larder's sync over y-webrtc, the page lending it WebRTC (renderer/sync/rtcStandIn.ts, rtcLender.ts);
 * they meet through the project's signaling server on loopback. What one saves shows on the other's page,
 * read by its own live query from what its Worker took in. The app itself still holds its store and sync on
 * the page.
 */
test('two devices with their store and sync in Workers sync over WebRTC their pages lend them', async () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = mkdtempSync(join(tmpdir(), 'larder-sync-worker-'));
  // The app's own build settings (its guarded sync messages for y-webrtc above all), on this test page.
  await build({
    configFile: join(here, '..', '..', 'vite.config.ts'),
    mode: 'production',
    root: join(here, 'sync-worker'),
    base: '/',
    logLevel: 'error',
    build: { outDir: out, emptyOutDir: true, target: 'es2022' },
  });
  const server = await serve([{ prefix: '/', dir: out }]);
  const signal = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const profiles: string[] = [];
  const contexts: BrowserContext[] = [];
  const device = async (name: string): Promise<Page> => {
    const profile = newProfileDir(name);
    profiles.push(profile);
    // With no STUN, WebRTC offers host candidates only to pages holding a media permission.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      permissions: ['microphone'],
    });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => console.error(`[${name} page error] ${e.message}`));
    await page.goto(`${server.url}/index.html`);
    await expect(page.locator('#status')).toHaveText('ready');
    await page.evaluate(() => window.larderSyncWorkerTest.open());
    return page;
  };
  try {
    const a = await device('sync-worker-a');
    const set = await a.evaluate(async (url) => {
      const { host } = window.larderSyncWorkerTest;
      const self = await host.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
      await host.setSignaling([url]);
      const rice = await host.saveItem({
        name: 'Rice',
        category: 'Food',
        unit: 'bag',
        packSize: '',
        barcodes: '',
      });
      await host.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '12' }] });
      return { hub: self.hubId!, rice: rice.id, invite: await host.preApprovedInvite('hub', [url]) };
    }, signal.url);
    await a.evaluate(() => window.larderSyncWorkerTest.startSync());

    const b = await device('sync-worker-b');
    await b.evaluate(async (invite) => {
      await window.larderSyncWorkerTest.host.joinNetwork({ invite, deviceName: 'Church laptop' });
      window.larderSyncWorkerTest.startSync();
    }, set.invite);
    // Connected through the lent WebRTC, and A's donation in B's figures, read on B's page.
    await expect
      .poll(
        async () => {
          const failures = await b.evaluate(() => window.larderSyncWorkerTest.failures);
          if (failures.length > 0) return failures;
          return b.evaluate(() => window.larderSyncWorkerTest.connected);
        },
        { timeout: 60_000 },
      )
      .toBe(1);
    await b.evaluate(({ hub, rice }) => window.larderSyncWorkerTest.shows(hub, rice, 12), set);

    // B starts its hub and records; A's page shows it.
    const west = await b.evaluate(async (rice) => {
      const { host } = window.larderSyncWorkerTest;
      const self = await host.chooseHub({ newHubName: 'Westside Church' });
      await host.recordDonation({ source: 'individual', lines: [{ item: rice, quantity: '5' }] });
      return self.hubId!;
    }, set.rice);
    await a.evaluate(({ hub, rice }) => window.larderSyncWorkerTest.shows(hub, rice, 5), {
      hub: west,
      rice: set.rice,
    });
    for (const page of [a, b])
      expect(await page.evaluate(() => window.larderSyncWorkerTest.failures)).toEqual([]);
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await signal.close();
    await server.close();
    for (const p of profiles) removeProfileDir(p);
  }
});
