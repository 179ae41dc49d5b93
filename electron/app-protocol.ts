/**
 * The app://larder/ scheme that serves the built renderer from dist/ (why a custom scheme and
 * not file://: see security.ts). Every response carries the CSP as a real header, which also
 * covers directives a <meta> tag cannot set (frame-ancestors).
 */
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { APP_SCHEME, CONTENT_SECURITY_POLICY, contentSecurityPolicy, resolveAppFile } from './security';
import type { SyncServerAllowList } from './sync-servers';

/** Must run before app 'ready', and only once per process (Electron keeps the last call). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      // standard: a real origin, so IndexedDB and relative URLs work; secure: WebCrypto.
      // No bypassCSP, no corsEnabled, no service workers: the app needs none of them.
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
  ]);
}

/** Call after app 'ready'. */
export function serveAppProtocol(distDir: string, syncServers: SyncServerAllowList): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return errorResponse(405);
    const file = resolveAppFile(request.url, distDir);
    if (!file) return errorResponse(404);
    let upstream: Response;
    try {
      // net.fetch on file: reads inside app.asar and sets Content-Type from the extension.
      upstream = await net.fetch(pathToFileURL(file).toString());
    } catch {
      return errorResponse(404);
    }
    if (!upstream.ok) return errorResponse(404);
    const headers = new Headers(upstream.headers);
    // connect-src: the sync servers the renderer reported, no other WebSocket host (security.ts).
    const isDocument = (headers.get('Content-Type') ?? '').startsWith('text/html');
    headers.set('Content-Security-Policy', contentSecurityPolicy(syncServers.forResponse(isDocument)));
    headers.set('X-Content-Type-Options', 'nosniff');
    headers.set('Cross-Origin-Opener-Policy', 'same-origin');
    return new Response(upstream.body, { status: 200, headers });
  });
}

function errorResponse(status: 404 | 405): Response {
  return new Response(null, {
    status,
    headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY },
  });
}
