/**
 * The Content-Security-Policy `connect-src` for Larder: the app itself and the sync servers the user
 * configured, nothing else. Not every ws:/wss: host: a script that got in could otherwise open a
 * WebSocket to anywhere and carry the ledger out. Used by the desktop app's main process (a header
 * per response, electron/security.ts) and by the web build (a meta tag, renderer/sync/connectPolicy.ts).
 */

/**
 * A sync server's address as a CSP source: `ws://host[:port]` or `wss://host[:port]` (a source without
 * a path allows every path on that origin). Null for anything else: other schemes, user info, a
 * malformed URL, or characters a CSP source cannot hold.
 */
export function syncServerSource(url: string): string | null {
  if (typeof url !== 'string' || url.length > 200) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') return null;
  if (parsed.username || parsed.password || !parsed.hostname) return null;
  const source = `${parsed.protocol}//${parsed.host}`;
  // Host names, IPv4 and bracketed IPv6 only: nothing that could end a directive or add a source.
  return /^wss?:\/\/[A-Za-z0-9.\-[\]:]+$/.test(source) ? source : null;
}

/** The sources of the servers that are valid, each once, in a stable order. */
export function syncServerSources(urls: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const url of urls) {
    const source = syncServerSource(url);
    if (source) sources.add(source);
  }
  return [...sources].sort();
}

/** `connect-src 'self'` plus the configured sync servers. */
export function connectSrcDirective(urls: readonly string[]): string {
  return ["connect-src 'self'", ...syncServerSources(urls)].join(' ');
}
