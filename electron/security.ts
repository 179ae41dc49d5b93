/**
 * Pure security policy for the Electron shell: which URLs are "the app", which may leave for the
 * system browser, which files the app:// protocol may serve, the CSP and the permission policy.
 * No Electron import, so every rule here is covered by table tests under plain Node.
 *
 * Why app://larder/ and not file://: the packaged renderer is served from a privileged custom
 * scheme (standard + secure) registered in app-protocol.ts.
 * - A standard scheme gives the renderer a real, stable origin (`app://larder`). IndexedDB, which
 *   holds the hub's whole ledger, is keyed by origin; file:// origins are opaque and shared by
 *   every local file, and Chromium treats them as a special case we do not want to depend on.
 * - `secure` makes it a secure context, which WebCrypto (y-webrtc's room password) requires.
 * - Asset URLs from Vite (`base` '/' or './') resolve against app://larder/ unchanged.
 * - It lets us turn off the `grantFileProtocolExtraPrivileges` fuse (electron-builder.yml), so
 *   no file:// page gets powers beyond a normal browser.
 * - Every served byte goes through resolveAppFile below, so the app can read dist/ and nothing
 *   else, and the response carries our CSP header.
 */
import path from 'node:path';
import { connectSrcDirective } from '../shared/sync/connectPolicy';

export const APP_SCHEME = 'app';
export const APP_HOST = 'larder';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** An origin the main process trusts as its own renderer. `host` includes the port, if any. */
export interface AppOrigin {
  readonly protocol: string;
  readonly host: string;
}

export const PACKAGED_APP_ORIGIN: AppOrigin = { protocol: `${APP_SCHEME}:`, host: APP_HOST };

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The Vite dev server's origin, trusted only in unpackaged runs (main.ts checks app.isPackaged).
 * Refuses anything but plain http on loopback, so a stray VITE_DEV_SERVER_URL cannot make a LAN
 * or internet page "the app".
 */
export function devServerOrigin(devServerUrl: string): AppOrigin | null {
  const url = parseStrict(devServerUrl);
  if (!url || url.protocol !== 'http:' || url.username !== '' || url.password !== '') return null;
  if (!LOOPBACK_HOSTNAMES.has(url.hostname)) return null;
  return { protocol: url.protocol, host: url.host };
}

/**
 * True only for a URL of the app's own renderer: same scheme, same host and port, no userinfo,
 * and no dot-segments anywhere in the raw path (also percent-encoded), even though the URL
 * parser would normalise them away: a URL that needs them is not one the app ever builds.
 */
export function isAppUrl(url: string, appOrigin: AppOrigin): boolean {
  if (hasTraversal(rawPath(url))) return false;
  const parsed = parseStrict(url);
  if (!parsed) return false;
  return (
    parsed.protocol === appOrigin.protocol &&
    parsed.host.toLowerCase() === appOrigin.host &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/**
 * URLs handed to shell.openExternal. The OS opens them with whatever handler is registered, so
 * anything but https (file:, smb:, custom app schemes, ms-msdt: and friends) is refused outright.
 * The raw string must already look canonical (`https://host...`), so the OS and the WHATWG
 * parser cannot disagree about it; returns the normalised href to pass on, or null.
 */
export function safeExternalUrl(url: string): string | null {
  if (url.length > 2048 || !/^https:\/\/[^/\\]/i.test(url)) return null;
  const parsed = parseStrict(url);
  if (!parsed || parsed.protocol !== 'https:' || parsed.hostname === '') return null;
  if (parsed.username !== '' || parsed.password !== '') return null;
  return parsed.href;
}

export function isSafeExternalUrl(url: string): boolean {
  return safeExternalUrl(url) !== null;
}

/**
 * Maps an app:// request to a file inside distDir, or null. `/` serves index.html; directories,
 * dot-segments (raw or encoded), encoded separators, backslashes, drive letters and NUL are
 * refused, and the result is checked to lie strictly inside distDir. `pathApi` is injectable so
 * tests can exercise Windows path rules on Linux.
 */
export function resolveAppFile(
  requestUrl: string,
  distDir: string,
  pathApi: path.PlatformPath = path,
): string | null {
  if (!isAppUrl(requestUrl, PACKAGED_APP_ORIGIN)) return null;
  const parsed = parseStrict(requestUrl);
  if (!parsed) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (decoded !== '' && !decoded.startsWith('/')) return null;
  const relative = decoded === '' || decoded === '/' ? 'index.html' : decoded.slice(1);
  if (/[\\:\0]/.test(relative) || relative.endsWith('/')) return null;
  const segments = relative.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return null;

  const root = pathApi.resolve(distDir);
  const file = pathApi.resolve(root, ...segments);
  const inside = pathApi.relative(root, file);
  const escapes = inside === '..' || inside.startsWith(`..${pathApi.sep}`) || pathApi.isAbsolute(inside);
  if (inside === '' || escapes) return null;
  return file;
}

/**
 * connect-src allows 'self' and exactly the sync servers this device is configured with (usually a
 * LAN address like ws://192.168.1.20:4444), never every `ws:`/`wss:` host. The servers are typed in
 * at runtime, so the main process builds the policy per response from the list the renderer last
 * reported (sync-servers.ts); when a new server is added, the page reloads once to get a policy that
 * allows it. No http(s) to anywhere but 'self', so a script that did get in cannot fetch() data out,
 * nor open a WebSocket to a host of its own, and script-src 'self' keeps such scripts out to begin
 * with. WebRTC data channels are not governed by CSP at all (y-webrtc passes no STUN servers).
 * 'unsafe-inline' for styles only: React style props and libraries that inject <style>; CSS
 * cannot run code. Zod 4 probes `new Function` and falls back when CSP forbids it, which logs one
 * CSP warning; the renderer can call `z.config({ jitless: true })` to silence it.
 */
/**
 * Scripts from the app only. 'wasm-unsafe-eval' lets it compile the WebAssembly SHA-256 it ships
 * (hash-wasm, which verifies signed histories about five times faster than JavaScript:
 * shared/trust/crypto.ts); it allows no JavaScript eval, and WebAssembly reaches nothing JavaScript could
 * not.
 */
const SCRIPT_SRC = "script-src 'self' 'wasm-unsafe-eval'";

const BASE_DIRECTIVES = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "worker-src 'self'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

/** The policy for the app's responses, allowing connections to these sync servers only. */
export function contentSecurityPolicy(syncServers: readonly string[] = []): string {
  return [SCRIPT_SRC, ...BASE_DIRECTIVES, connectSrcDirective(syncServers)].join('; ');
}

/** The policy with no sync server configured: connections to the app itself only. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/**
 * Dev server only: @vitejs/plugin-react injects an inline module script (the React Refresh
 * preamble) into index.html, and HMR talks over ws to the dev origin ('self' covers that).
 * Never sent for app:// responses.
 */
export function devContentSecurityPolicy(syncServers: readonly string[] = []): string {
  return [`${SCRIPT_SRC} 'unsafe-inline'`, ...BASE_DIRECTIVES, connectSrcDirective(syncServers)].join('; ');
}

export const DEV_CONTENT_SECURITY_POLICY = devContentSecurityPolicy();

/**
 * Permissions the renderer may have, each with its reason. Everything else is denied: Electron's
 * default is to grant every request silently, with no browser UI telling the user.
 * - Local Network Access: Chromium (Electron >= 43) asks before a page reaches a private or
 *   loopback address, WebSockets included. Without these the sync signaling server on the LAN
 *   is unreachable.
 * - persistent-storage: navigator.storage.persist() keeps Chromium from evicting IndexedDB, which
 *   is the hub's only copy of its stock until it syncs.
 * - clipboard-sanitized-write: write-only text copy (e.g. a room code); reading stays denied.
 * - notifications: the opt-in desktop alert when an item at this hub drops below its minimum. The
 *   renderer asks only after the person switches alerts on.
 * - media, video only: the camera reads an invite's QR code when joining a network (frames are decoded
 *   in the page and never leave it). A request that includes the microphone, or does not say what it
 *   wants, is denied.
 */
const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set([
  'local-network-access',
  'local-network',
  'loopback-network',
  'persistent-storage',
  'clipboard-sanitized-write',
  'notifications',
]);

export interface PermissionContext {
  /** URL (or origin) of the asking frame; absent when no document asked (e.g. a service worker). */
  readonly requestingUrl: string | undefined;
  readonly isMainFrame: boolean;
  /** For 'media': what is asked for (a request's `mediaTypes`, or a check's single `mediaType`). */
  readonly mediaTypes?: readonly string[];
}

/**
 * Used by both setPermissionRequestHandler and setPermissionCheckHandler. The app has no
 * subframes and no workers that need permissions, so only its own main frame can be granted one.
 */
export function permissionAllowed(
  permission: string,
  context: PermissionContext,
  appOrigin: AppOrigin,
): boolean {
  if (permission === 'media') {
    const types = context.mediaTypes ?? [];
    if (types.length === 0 || types.some((t) => t !== 'video')) return false;
  } else if (!GRANTED_PERMISSIONS.has(permission)) return false;
  if (!context.isMainFrame || context.requestingUrl === undefined) return false;
  return isAppUrl(context.requestingUrl, appOrigin);
}

/** WHATWG parsing, after refusing what the parser would silently strip (spaces, tabs, newlines, C0). */
function parseStrict(url: string): URL | null {
  // eslint-disable-next-line no-control-regex
  if (typeof url !== 'string' || url.length > 8192 || /[\u0000-\u0020\u007f]/.test(url)) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The raw path part of a URL string, before any parser normalisation. */
function rawPath(url: string): string {
  const withoutScheme = url.replace(/^[a-z][a-z0-9+.-]*:(\/\/[^/\\?#]*)?/i, '');
  return withoutScheme.split(/[?#]/, 1)[0] ?? '';
}

/** `..` or `.` as a path segment, raw or percent-encoded (once), with either slash. */
function hasTraversal(rawUrlPath: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawUrlPath);
  } catch {
    return true;
  }
  return decoded.split(/[/\\]/).some((segment) => segment === '..' || segment === '.');
}
