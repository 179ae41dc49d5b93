import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './browser';

/**
 * What this Chromium lets a Worker do with WebRTC, for step 3 of the doc in a Worker (docs/worker.md): whether
 * `RTCPeerConnection` exists in a Worker, and whether a data channel can be handed to one (transferred), as
 * the page makes it and as the page receives it, then carry messages both ways from there. Two connections
 * on one page, over loopback (no STUN, no server). Prints what it found; asserts nothing.
 *
 *   npx tsx bench/worker-rtc.ts
 */
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  // tsx names the functions written inside `evaluate` with a helper the page does not have.
  await page.addInitScript('globalThis.__name = (f) => f');
  await page.goto('about:blank');
  const found = await page.evaluate(async () => {
    const said: string[] = [];
    const worker = new Worker(
      URL.createObjectURL(
        new Blob(
          [
            `postMessage('RTCPeerConnection in a Worker: ' + typeof RTCPeerConnection);
             onmessage = (e) => {
               const { channel, side } = e.data;
               channel.onopen = () => { postMessage(side + ': open in the Worker'); channel.send('from the ' + side + ' Worker'); };
               channel.onmessage = (m) => postMessage(side + ' Worker received: ' + m.data);
             };`,
          ],
          { type: 'text/javascript' },
        ),
      ),
    );
    worker.onmessage = (e: MessageEvent<string>) => said.push(e.data);
    const a = new RTCPeerConnection({ iceServers: [] });
    const b = new RTCPeerConnection({ iceServers: [] });
    a.onicecandidate = (e) => void (e.candidate && b.addIceCandidate(e.candidate));
    b.onicecandidate = (e) => void (e.candidate && a.addIceCandidate(e.candidate));
    const hand = (channel: RTCDataChannel, side: string) => {
      try {
        worker.postMessage({ channel, side }, [channel as unknown as Transferable]);
        said.push(`${side}: handed to the Worker`);
      } catch (error) {
        said.push(`${side}: could not be handed over (${(error as Error).message})`);
      }
    };
    // Made on the page: handed over in the task that made it (Chromium refuses it later).
    hand(a.createDataChannel('sync'), 'made');
    b.ondatachannel = (e) => hand(e.channel, 'received');
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
    const deadline = performance.now() + 10_000;
    while (said.filter((s) => s.includes('received:')).length < 2 && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    // Too late: a channel that has been open a while.
    const late = a.createDataChannel('late');
    await new Promise((r) => setTimeout(r, 0));
    hand(late, 'made, handed a task later');
    return said;
  });
  console.log(`${browser.version()}:\n  ${found.join('\n  ')}`);
} finally {
  await browser.close();
}
