import { expect, test } from '@playwright/test';
import { testPage } from './testPages';
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
  const pages = await testPage('worker-rtc');
  try {
    const { page, errors } = await pages.open();
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
    // Chromium may report its own closing of b's channel as an error first ("User-Initiated Abort, reason=Close
    // called"), as it does on a page: b closing is what counts here.
    const closing = /User-Initiated Abort, reason=Close called/;
    await expect
      .poll(async () => (await said()).b.filter((line) => !closing.test(line)))
      .toEqual(['connected', 'received: hello from a', 'closed']);
    expect(errors).toEqual([]);
  } finally {
    await pages.close();
  }
});
