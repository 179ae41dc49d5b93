import { expect, test, type BrowserContext } from '@playwright/test';
import { startSignalingServer, type SignalingServer } from '../../electron/signaling/server';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addSyncServer, expectConnected, goTo, inviteCode, joinAsNewHub, setUpHub } from './steps';

/**
 * A device that stops talking is seen to leave, by its heartbeats (renderer/sync/heartbeat.ts), and leaves
 * the list of connected devices with it. C's page is paused in the debugger the moment it says it is
 * connected: its browser still answers ICE and its connection stays open, so only missing beats can tell
 * (before them, A said "Online" for as long as the page stayed paused: at first because C's first beat
 * came a second after connecting, so a page paused sooner had never beaten). Then a device that closes
 * its window says goodbye, and is seen to leave at once.
 */
test('a peer whose page stops leaves within seconds and comes back when it runs; a closed window leaves at once', async ({
  baseURL,
}) => {
  test.setTimeout(300_000);
  const profiles = ['a', 'b', 'c'].map((n) => newProfileDir(`leaves-${n}`));
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
    await goTo(a.page, 'Sync');
    const connectedList = a.page.getByRole('list', { name: 'Connected devices' });
    await expect(connectedList.getByRole('listitem').filter({ hasText: 'B tablet' })).toBeVisible();

    // C keeps its store on the page: paused in the debugger, its page stops, and its sync with it. (With the
    // store in the device's Worker, a paused page's Worker goes on syncing and beating: not a stopped device.)
    const c = await openHub(profiles[2]!, baseURL!, { path: '/?store=page' });
    contexts.push(c.context);
    await joinAsNewHub(c.page, await inviteCode(a.page), 'Hub C', 'C phone');
    await expectConnected(c.page, 2);
    const cdp = await c.context.newCDPSession(c.page);
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');

    await expectConnected(a.page, 1);
    await expect(connectedList.getByRole('listitem').filter({ hasText: 'C phone' })).toHaveCount(0);
    await expect(connectedList.getByRole('listitem').filter({ hasText: 'B tablet' })).toBeVisible();

    await cdp.send('Debugger.resume');
    await expectConnected(a.page, 2);
    await expect(connectedList.getByRole('listitem').filter({ hasText: 'C phone' })).toBeVisible();

    await b.page.close({ runBeforeUnload: true });
    await expectConnected(a.page, 1);
    await expect(connectedList.getByRole('listitem').filter({ hasText: 'B tablet' })).toHaveCount(0);
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await signal?.close();
    for (const dir of profiles) removeProfileDir(dir);
  }
});
