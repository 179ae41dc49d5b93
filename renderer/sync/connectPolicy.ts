import type { LarderWindow } from '../../electron/bridge-types';
import { connectSrcDirective, syncServerSources } from '../../shared/sync/connectPolicy';

/**
 * Keeps the page's Content-Security-Policy `connect-src` to the app and the sync servers configured on
 * this device (shared/sync/connectPolicy.ts), called each time sync starts with its list.
 *
 * - Desktop app: the main process sets the CSP header of every response from the list reported here
 *   (electron/sync-servers.ts), so the page allows exactly these servers from the start.
 * - Web build: a static page cannot know the servers (its build-time meta tag allows `ws:`/`wss:`),
 *   so the first list (when sync starts, right after the app opens) adds a second, narrower policy as a
 *   meta tag. Policies only ever narrow: the page then reaches these servers and no other WebSocket host;
 *   with no server configured, none at all (adding one reloads the page, on the same screen).
 *
 * A loaded page's policy cannot be widened: when a server is added that it does not allow, 'reload'
 * (the caller reloads; the new page allows the new list).
 */
let narrowedTo: ReadonlySet<string> | null = null;

export async function allowSyncServers(urls: readonly string[]): Promise<'ok' | 'reload'> {
  if (typeof window === 'undefined' || typeof document === 'undefined') return 'ok';
  const bridge = (window as LarderWindow).larder;
  if (bridge) {
    const { reload } = await bridge.allowSyncServers({ urls: [...urls] });
    return reload ? 'reload' : 'ok';
  }
  const sources = syncServerSources(urls);
  if (narrowedTo) return sources.every((s) => narrowedTo!.has(s)) ? 'ok' : 'reload';
  const meta = document.createElement('meta');
  meta.httpEquiv = 'Content-Security-Policy';
  meta.content = connectSrcDirective(urls);
  document.head.appendChild(meta);
  narrowedTo = new Set(sources);
  return 'ok';
}
