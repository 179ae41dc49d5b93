import { expect, test, type Page } from '@playwright/test';
import { startSignalingServer } from '../../electron/signaling/server';
import { testPage } from './testPages';
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
  const pages = await testPage('sync-worker', { appConfig: true });
  const signal = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  /** Each device's page errors (pages.open collects them). */
  const errors: string[][] = [];
  const device = async (name: string): Promise<Page> => {
    const opened = await pages.open(name);
    errors.push(opened.errors);
    await opened.page.evaluate(() => window.larderSyncWorkerTest.open());
    return opened.page;
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
    expect(errors.flat()).toEqual([]);
  } finally {
    await pages.close();
    await signal.close();
  }
});
