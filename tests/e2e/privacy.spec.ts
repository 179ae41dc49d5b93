import { expect, test } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { setUpHub } from './steps';

declare global {
  interface Window {
    refusedByPolicy: string[];
  }
}

/**
 * The app talks only to hosts the user configured: in the web build, once the app has opened, the page's
 * Content-Security-Policy lets it open WebSockets to the configured sync servers and nowhere else; with
 * none configured, to no host at all.
 */
test('with no sync server configured, the page cannot open a WebSocket to any host', async ({ baseURL }) => {
  const profile = newProfileDir('privacy');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await page.evaluate(() => {
      window.refusedByPolicy = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.refusedByPolicy.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    await setUpHub(page, 'Corner Store', 'Till');
    // The policy allows what the app itself does, compiling its WebAssembly SHA-256 (loaded as the
    // network's trust layer starts) among it: nothing was refused while the hub was set up.
    expect(await page.evaluate(() => window.refusedByPolicy)).toEqual([]);
    const policies = page.locator('meta[http-equiv="Content-Security-Policy"]');
    await expect(policies).toHaveCount(2);
    await expect(policies.nth(1)).toHaveAttribute('content', "connect-src 'self'");
    // A port nothing listens on: without the policy the socket would try, and fail only as unreachable.
    const outcome = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          document.addEventListener('securitypolicyviolation', (e) =>
            resolve(`blocked: ${e.violatedDirective}`),
          );
          try {
            const socket = new WebSocket('ws://127.0.0.1:9/');
            socket.onopen = () => resolve('opened');
          } catch (e) {
            resolve(`blocked: ${(e as Error).name}`);
          }
        }),
    );
    expect(outcome).toBe('blocked: connect-src');
    const compiled = await page.evaluate(async () => {
      const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
      try {
        await WebAssembly.compile(empty);
        return 'compiled';
      } catch (e) {
        return `refused: ${(e as Error).name}`;
      }
    });
    expect(compiled).toBe('compiled');
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});
