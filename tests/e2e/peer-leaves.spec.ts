import { expect, test, type BrowserContext } from '@playwright/test';
import { startSignalingServer, type SignalingServer } from '../../electron/signaling/server';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { addSyncServer, expectConnected, inviteCode, joinAsNewHub, setUpHub } from './steps';

/**
 * A device that stops talking is seen to leave, by its heartbeats (renderer/sync/heartbeat.ts). Its page
 * is paused in the debugger: its browser still answers ICE and its connection stays open, so only the
 * missing beats can tell (before them, A said "Online" for as long as the page stayed paused). Then a
 * device that closes its window says goodbye, and is seen to leave at once.
 */
test('a peer whose page stops is Offline within seconds, Online again when it runs; a closed window leaves at once', async ({
  baseURL,
}) => {
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

    const cdp = await b.context.newCDPSession(b.page);
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');
    await expect(status).toContainText('Offline');
    await cdp.send('Debugger.resume');
    await expectConnected(a.page, 1);

    await b.page.close({ runBeforeUnload: true });
    await expect(status).toContainText('Offline');
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await signal?.close();
    for (const dir of profiles) removeProfileDir(dir);
  }
});
