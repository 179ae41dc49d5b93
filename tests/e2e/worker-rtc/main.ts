import { lendRtc } from '../../../renderer/sync/rtcLender';

/*
 * The page's side of tests/e2e/worker-rtc.spec.ts: two Workers, each lent WebRTC through a port of its own;
 * the page passes their signals to each other (as a signaling server would) and records what they say.
 */
export interface RtcTest {
  /** What each side said, in order: connected, data received, closed, errors. */
  said: { a: string[]; b: string[] };
  start(): void;
  send(side: 'a' | 'b', text: string): void;
  end(side: 'a' | 'b'): void;
  /** How many signals went between them (offers, answers and candidates). */
  signals: number;
}

declare global {
  interface Window {
    larderRtcTest: RtcTest;
  }
}

const workers = {
  a: new Worker(new URL('./peer.worker.ts', import.meta.url), { type: 'module' }),
  b: new Worker(new URL('./peer.worker.ts', import.meta.url), { type: 'module' }),
};
const test: RtcTest = {
  said: { a: [], b: [] },
  signals: 0,
  start() {
    for (const side of ['a', 'b'] as const) {
      const other = workers[side === 'a' ? 'b' : 'a'];
      const { port1, port2 } = new MessageChannel();
      lendRtc(port1);
      workers[side].onmessage = (e: MessageEvent) => {
        const m = e.data as {
          signal?: unknown;
          connected?: true;
          data?: string;
          closed?: true;
          error?: string;
        };
        if (m.signal) {
          test.signals++;
          other.postMessage({ signal: m.signal });
        }
        if (m.connected) test.said[side].push('connected');
        if (m.data) test.said[side].push(`received: ${m.data}`);
        if (m.closed) test.said[side].push('closed');
        if (m.error) test.said[side].push(`error: ${m.error}`);
      };
      workers[side].postMessage({ start: { initiator: side === 'a', rtc: port2 } }, [port2]);
    }
  },
  send(side, text) {
    workers[side].postMessage({ send: text });
  },
  end(side) {
    workers[side].postMessage({ end: true });
  },
};
window.larderRtcTest = test;
document.getElementById('status')!.textContent = 'ready';
