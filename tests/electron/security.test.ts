import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  CONTENT_SECURITY_POLICY,
  contentSecurityPolicy,
  DEV_CONTENT_SECURITY_POLICY,
  devContentSecurityPolicy,
  devServerOrigin,
  isAppUrl,
  isSafeExternalUrl,
  PACKAGED_APP_ORIGIN,
  permissionAllowed,
  resolveAppFile,
  safeExternalUrl,
} from '../../electron/security';
import type { AppOrigin } from '../../electron/security';

const DEV_ORIGIN: AppOrigin = { protocol: 'http:', host: 'localhost:5173' };

describe('isAppUrl (packaged app://larder)', () => {
  it.each([
    APP_ENTRY_URL,
    'app://larder/',
    'app://larder',
    'app://larder/index.html#/stock',
    'app://larder/index.html?hub=north',
    'app://larder/assets/index-BRpy-bnY.js',
    'app://LARDER/index.html',
    'APP://larder/index.html',
  ])('accepts %s', (url) => {
    expect(isAppUrl(url, PACKAGED_APP_ORIGIN)).toBe(true);
  });

  it.each([
    // Other schemes and the old file:// way of loading.
    'file:///opt/Larder/resources/app.asar/dist/index.html',
    'file:///etc/passwd',
    'https://larder/index.html',
    'http://larder/index.html',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'blob:app://larder/5b1c',
    'about:blank',
    'ws://larder/',
    // Look-alike hosts.
    'app://larder.evil.example/index.html',
    'app://larder-app/index.html',
    'app://evil/larder/index.html',
    'app://larder%2eevil/index.html',
    'app://lardeR.attacker/',
    'app://larder:8080/index.html',
    'app://xn--lrder-gra/index.html',
    // Userinfo tricks.
    'app://larder@evil/index.html',
    'app://user:pass@larder/index.html',
    'app://larder:@larder/index.html',
    // Missing authority.
    'app:larder/index.html',
    'app:///larder/index.html',
    'app:/index.html',
    // Traversal, raw and encoded, with either slash.
    'app://larder/../etc/passwd',
    'app://larder/assets/../../secret',
    'app://larder/%2e%2e/etc/passwd',
    'app://larder/%2E%2E/etc/passwd',
    'app://larder/.%2e/etc/passwd',
    'app://larder/..%2fetc%2fpasswd',
    'app://larder/..%5c..%5cwindows',
    'app://larder/assets\\..\\..\\secret',
    'app://larder/./index.html',
    'app://larder/%zz',
    // Characters the URL parser would silently strip.
    'app://lar\nder/index.html',
    'app://larder/index.html\t',
    ' app://larder/index.html',
    'app://larder/in\u0000dex.html',
    // Not a URL at all.
    '',
    'larder',
    '//larder/index.html',
    '/index.html',
  ])('refuses %j', (url) => {
    expect(isAppUrl(url, PACKAGED_APP_ORIGIN)).toBe(false);
  });
});

describe('isAppUrl (dev server)', () => {
  it.each(['http://localhost:5173/', 'http://localhost:5173/src/main.tsx', 'http://LOCALHOST:5173/'])(
    'accepts %s',
    (url) => {
      expect(isAppUrl(url, DEV_ORIGIN)).toBe(true);
    },
  );

  it.each([
    'http://localhost:5174/',
    'http://localhost/',
    'https://localhost:5173/',
    'http://127.0.0.1:5173/',
    'http://localhost:5173@evil.example/',
    'http://evil.example/?http://localhost:5173/',
    APP_ENTRY_URL,
  ])('refuses %s', (url) => {
    expect(isAppUrl(url, DEV_ORIGIN)).toBe(false);
  });
});

describe('devServerOrigin', () => {
  it.each([
    ['http://localhost:5173/', { protocol: 'http:', host: 'localhost:5173' }],
    ['http://127.0.0.1:5173', { protocol: 'http:', host: '127.0.0.1:5173' }],
    ['http://[::1]:5173/', { protocol: 'http:', host: '[::1]:5173' }],
  ])('trusts loopback %s', (url, origin) => {
    expect(devServerOrigin(url)).toEqual(origin);
  });

  it.each([
    'http://192.168.1.20:5173/',
    'http://localhost.evil.example:5173/',
    'https://example.org/',
    'http://user@localhost:5173/',
    'file:///tmp/index.html',
    'app://larder/',
    'not a url',
  ])('refuses %s', (url) => {
    expect(devServerOrigin(url)).toBeNull();
  });
});

describe('isSafeExternalUrl', () => {
  it.each([
    'https://example.org/',
    'https://larder.example/docs/sync#signaling',
    'https://github.com/larder/larder/issues?q=sync',
    'https://192.168.1.20/',
  ])('allows %s', (url) => {
    expect(isSafeExternalUrl(url)).toBe(true);
  });

  it.each([
    'http://example.org/',
    'file:///etc/passwd',
    'file://server/share/run.exe',
    'smb://server/share',
    'ms-msdt:/id PCWDiagnostic',
    'javascript:alert(1)',
    'data:text/html,hi',
    'app://larder/index.html',
    'mailto:hub@example.org',
    'https://user:secret@example.org/',
    'https://user@example.org/',
    'https:///nohost',
    'https:\\\\evil.example/',
    'https:/evil.example/',
    'https:evil.example',
    'https://exa mple.org/',
    'https://example.org/\nSet-Cookie: x',
    ' https://example.org/',
    `https://example.org/${'a'.repeat(2100)}`,
    '',
    'example.org',
  ])('refuses %j', (url) => {
    expect(isSafeExternalUrl(url)).toBe(false);
  });
});

describe('safeExternalUrl', () => {
  it.each([
    ['https://example.org', 'https://example.org/'],
    ['HTTPS://Example.ORG/Docs?q=1', 'https://example.org/Docs?q=1'],
    ['https://example.org/a/../b', 'https://example.org/b'],
    ['https://exämple.org/', 'https://xn--exmple-cua.org/'],
  ])('hands the OS the normalised form of %s', (url, href) => {
    expect(safeExternalUrl(url)).toBe(href);
  });

  it('returns null for what isSafeExternalUrl refuses', () => {
    expect(safeExternalUrl('file:///etc/passwd')).toBeNull();
  });
});

describe('resolveAppFile', () => {
  const dist = '/opt/Larder/resources/app.asar/dist';

  it.each([
    ['app://larder/', 'index.html'],
    ['app://larder', 'index.html'],
    ['app://larder/index.html', 'index.html'],
    ['app://larder/index.html?x=../../etc#y/../..', 'index.html'],
    ['app://larder/assets/index-BRpy-bnY.js', 'assets/index-BRpy-bnY.js'],
    ['app://larder/assets/logo%20big.svg', 'assets/logo big.svg'],
    ['app://larder/assets/%252e%252e/x.js', 'assets/%2e%2e/x.js'],
  ])('maps %s into dist/', (url, relative) => {
    expect(resolveAppFile(url, dist)).toBe(path.join(dist, relative));
  });

  it.each([
    'app://larder/../package.json',
    'app://larder/%2e%2e/package.json',
    'app://larder/assets/%2e%2e/%2e%2e/dist-electron/main.js',
    'app://larder/..%2fpackage.json',
    'app://larder/assets%2f..%2f..%2fpackage.json',
    'app://larder/..%5cpackage.json',
    'app://larder/assets%5cindex.js',
    'app://larder/%2fetc%2fpasswd',
    'app://larder//etc/passwd',
    'app://larder/assets/',
    'app://larder/assets//index.js',
    'app://larder/C:%2fWindows%2fwin.ini',
    'app://larder/index.html%00.js',
    'app://larder/%E0%A4%A',
    'app://evil/index.html',
    'app://larder@evil/index.html',
    'file:///opt/Larder/resources/app.asar/dist/index.html',
    'http://localhost:5173/index.html',
  ])('refuses %s', (url) => {
    expect(resolveAppFile(url, dist)).toBeNull();
  });

  it('applies Windows path rules when serving on Windows', () => {
    const winDist = 'C:\\Program Files\\Larder\\resources\\app.asar\\dist';
    expect(resolveAppFile('app://larder/assets/a.js', winDist, path.win32)).toBe(`${winDist}\\assets\\a.js`);
    expect(resolveAppFile('app://larder/..%5c..%5cwin.ini', winDist, path.win32)).toBeNull();
    expect(resolveAppFile('app://larder/D:%5cx', winDist, path.win32)).toBeNull();
    expect(resolveAppFile('app://larder/%5c%5cserver%5cshare', winDist, path.win32)).toBeNull();
  });
});

describe('CONTENT_SECURITY_POLICY', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );

  it.each([
    ['default-src', ["'self'"]],
    ['script-src', ["'self'", "'wasm-unsafe-eval'"]],
    ['style-src', ["'self'", "'unsafe-inline'"]],
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['font-src', ["'self'"]],
    ['connect-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['frame-src', ["'none'"]],
  ])('sets %s to %j', (name, values) => {
    expect(directives.get(name)).toEqual(values);
  });

  it('never allows inline or eval scripts (WebAssembly only), nor http(s) connections out', () => {
    expect(CONTENT_SECURITY_POLICY.replaceAll("'wasm-unsafe-eval'", '')).not.toMatch(/unsafe-eval|\*/);
    expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
    expect(directives.get('connect-src')?.some((source) => /^https?:/.test(source))).toBe(false);
  });

  it('relaxes only script-src for the dev server', () => {
    expect(DEV_CONTENT_SECURITY_POLICY.replace(" 'unsafe-inline'; default-src", '; default-src')).toBe(
      CONTENT_SECURITY_POLICY,
    );
    const servers = ['ws://192.168.1.20:4444'];
    expect(devContentSecurityPolicy(servers).replace(" 'unsafe-inline'; default-src", '; default-src')).toBe(
      contentSecurityPolicy(servers),
    );
  });
});

describe('contentSecurityPolicy with configured sync servers', () => {
  const connectSrc = (servers: string[]) =>
    contentSecurityPolicy(servers)
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .find(([name]) => name === 'connect-src')
      ?.slice(1);

  it('allows exactly the configured servers, by origin, each once: never every ws:/wss: host', () => {
    expect(
      connectSrc([
        'ws://192.168.1.20:4444',
        'wss://sync.example.org/larder?room=1',
        'ws://192.168.1.20:4444/other',
        'ws://[::1]:4444',
      ]),
    ).toEqual(["'self'", 'ws://192.168.1.20:4444', 'ws://[::1]:4444', 'wss://sync.example.org']);
    expect(connectSrc([])).toEqual(["'self'"]);
  });

  it.each([
    'http://192.168.1.20:4444',
    'https://example.org',
    'ws:',
    'ws://user:pass@example.org',
    "ws://a.example'; script-src *",
    'ws://a b',
    'javascript:alert(1)',
    '',
  ])('leaves out %j', (url) => {
    expect(connectSrc([url])).toEqual(["'self'"]);
    expect(contentSecurityPolicy([url]).replace("'wasm-unsafe-eval'", '')).not.toMatch(
      /\*|unsafe-eval|ws: |wss: /,
    );
  });
});

describe('permissionAllowed', () => {
  const fromApp = { requestingUrl: 'app://larder/index.html', isMainFrame: true };

  it.each([
    'local-network-access',
    'local-network',
    'loopback-network',
    'persistent-storage',
    'clipboard-sanitized-write',
    'notifications',
  ])('grants %s to the app window', (permission) => {
    expect(permissionAllowed(permission, fromApp, PACKAGED_APP_ORIGIN)).toBe(true);
  });

  it('accepts a bare origin, as the permission check handler passes', () => {
    const context = { requestingUrl: 'app://larder', isMainFrame: true };
    expect(permissionAllowed('local-network-access', context, PACKAGED_APP_ORIGIN)).toBe(true);
  });

  it('grants the camera alone to the app window, never the microphone, never an unstated medium', () => {
    const asking = (mediaTypes: string[]) => ({ ...fromApp, mediaTypes });
    expect(permissionAllowed('media', asking(['video']), PACKAGED_APP_ORIGIN)).toBe(true);
    expect(permissionAllowed('media', asking(['audio']), PACKAGED_APP_ORIGIN)).toBe(false);
    expect(permissionAllowed('media', asking(['video', 'audio']), PACKAGED_APP_ORIGIN)).toBe(false);
    expect(permissionAllowed('media', asking(['unknown']), PACKAGED_APP_ORIGIN)).toBe(false);
    expect(permissionAllowed('media', asking([]), PACKAGED_APP_ORIGIN)).toBe(false);
    const elsewhere = { requestingUrl: 'https://evil.example/', isMainFrame: true, mediaTypes: ['video'] };
    expect(permissionAllowed('media', elsewhere, PACKAGED_APP_ORIGIN)).toBe(false);
    expect(
      permissionAllowed('media', { ...asking(['video']), isMainFrame: false }, PACKAGED_APP_ORIGIN),
    ).toBe(false);
  });

  it.each([
    'media',
    'display-capture',
    'geolocation',
    'clipboard-read',
    'openExternal',
    'fullscreen',
    'pointerLock',
    'hid',
    'serial',
    'usb',
    'midiSysex',
    'fileSystem',
    'window-management',
    'unknown',
    '',
  ])('denies %j even to the app window', (permission) => {
    expect(permissionAllowed(permission, fromApp, PACKAGED_APP_ORIGIN)).toBe(false);
  });

  it.each([
    ['another origin', { requestingUrl: 'https://evil.example/', isMainFrame: true }],
    ['a look-alike', { requestingUrl: 'app://larder@evil/', isMainFrame: true }],
    ['a file page', { requestingUrl: 'file:///tmp/x.html', isMainFrame: true }],
    ['a subframe of the app', { requestingUrl: 'app://larder/index.html', isMainFrame: false }],
    ['no document', { requestingUrl: undefined, isMainFrame: false }],
    ['no URL from the main frame', { requestingUrl: undefined, isMainFrame: true }],
  ])('denies local network access to %s', (_label, context) => {
    expect(permissionAllowed('local-network-access', context, PACKAGED_APP_ORIGIN)).toBe(false);
  });

  it('follows the dev origin in dev runs, and only it', () => {
    const dev = { requestingUrl: 'http://localhost:5173/', isMainFrame: true };
    expect(permissionAllowed('local-network-access', dev, DEV_ORIGIN)).toBe(true);
    expect(permissionAllowed('local-network-access', fromApp, DEV_ORIGIN)).toBe(false);
    expect(permissionAllowed('local-network-access', dev, PACKAGED_APP_ORIGIN)).toBe(false);
  });
});
