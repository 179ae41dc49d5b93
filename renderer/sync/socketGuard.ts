import { syncServerSource, syncServerSources } from '../../shared/sync/connectPolicy';

/**
 * Keeps a Worker's WebSockets to the sync servers and relays its page allowed (docs/worker.md). A Worker takes
 * its policy from its script's response, not from the page's meta tags, and the web build narrows its page's
 * policy once it knows the servers (connectPolicy.ts): the same narrowing is kept in code here. `scope`'s
 * WebSocket is replaced by one that refuses, before it opens, a socket to any host not allowed. None is
 * allowed until `allow` is first called.
 */
export function guardSockets(scope: { WebSocket: typeof WebSocket }): {
  /** The servers' addresses now allowed (each replaces the last: a server removed is refused after). */
  allow(urls: readonly string[]): void;
} {
  let allowed: ReadonlySet<string> = new Set();
  const BrowserWebSocket = scope.WebSocket;
  scope.WebSocket = class extends BrowserWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      const source = syncServerSource(String(url));
      if (!source || !allowed.has(source))
        throw new DOMException(
          `Larder opens no connection to ${String(url)}: not a sync server or relay this device uses`,
          'SecurityError',
        );
      super(url, protocols);
    }
  };
  return {
    allow(urls) {
      allowed = new Set(syncServerSources(urls));
    },
  };
}
