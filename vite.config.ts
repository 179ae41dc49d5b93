/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type PluginOption } from 'vite';
import react from '@vitejs/plugin-react';
import { electronPlugins, wantsElectron } from './electron/vite-electron.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The renderer's Content-Security-Policy, as a meta tag in the built page (the dev server needs inline
 * scripts for hot reload, so it is left out there). Nothing remote: scripts, styles and fonts come from
 * the app itself. The page cannot know at build time which sync servers a user will configure, so
 * `connect-src` here allows ws:/wss:; once sync starts with a server, renderer/sync/connectPolicy.ts adds
 * a narrower policy allowing only the configured servers (the desktop app sends that policy as a header
 * from the main process instead: electron/security.ts). 'wasm-unsafe-eval' lets the page compile the
 * WebAssembly SHA-256 it ships (hash-wasm, for verifying signed histories: shared/trust/crypto.ts); it
 * allows no JavaScript eval and no script from anywhere but the app.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const cspPlugin: PluginOption = {
  name: 'larder-csp',
  apply: 'build',
  transformIndexHtml: (html) =>
    html.replace(
      '<meta charset="UTF-8" />',
      `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />`,
    ),
};

/**
 * y-webrtc's import of y-protocols/sync is replaced, for y-webrtc only, by renderer/sync/guardedSync.ts:
 * peers' updates pass Larder's ingest checks first, and travel compressed. y-webrtc is kept out of
 * dependency pre-bundling so this also holds under `npm run web`. (y-webrtc itself is patched at install:
 * patches/y-webrtc+10.3.0.patch.)
 */
const guardPeerUpdates: PluginOption = {
  name: 'larder-guard-peer-updates',
  enforce: 'pre',
  resolveId(source, importer) {
    if (!importer || !/[\\/]y-webrtc[\\/]/.test(importer)) return null;
    if (source === 'y-protocols/sync') return here('renderer/sync/guardedSync.ts');
    return null;
  },
};

/**
 * `npm run web:lan` (mode `lan`) serves the built renderer to the hub's own network. Its pages need a secure context
 * (WebCrypto signs and seals every entry, Web Locks keep one tab per device, the camera reads invites), which
 * a browser grants to https:// and to localhost only: with LARDER_TLS_CERT and LARDER_TLS_KEY (PEM files, e.g.
 * from mkcert) the preview serves https; without them the page works on this machine only, and it says so.
 */
function lanTls(): { cert: Buffer; key: Buffer } | undefined {
  const cert = process.env.LARDER_TLS_CERT;
  const key = process.env.LARDER_TLS_KEY;
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new Error('Set both LARDER_TLS_CERT and LARDER_TLS_KEY (PEM files), or neither.');
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

function lanHttps(): { cert: Buffer; key: Buffer } | undefined {
  const tls = lanTls();
  if (!tls)
    console.warn(
      'Serving plain http: other devices get the page but not a secure context, so Larder cannot start there ' +
        '(set LARDER_TLS_CERT and LARDER_TLS_KEY to serve https; README, "Chromebooks, phones and the front desk").',
    );
  return tls;
}

/**
 * One config for the renderer (browser and Electron), the Electron build and vitest. `npm run web` serves
 * the renderer alone on 127.0.0.1; `npm run build` (mode `electron`) also builds electron/; vitest never
 * loads the Electron plugin.
 */
/** The unit tests that load @roamhq/wrtc (WebRTC in Node): run on their own (see `test.projects`). */
const NATIVE_WEBRTC_TESTS = 'tests/electron/signaling-ywebrtc.test.ts';

export default defineConfig(({ mode, command }) => {
  // In serve mode the plugin would spawn Electron, whose binary cannot be installed here.
  const withElectron = command === 'build' && wantsElectron(mode);
  return {
    root: here('renderer'),
    base: './',
    plugins: [guardPeerUpdates, react(), cspPlugin, ...(withElectron ? [electronPlugins(here('.'))] : [])],
    build: {
      outDir: here('dist'),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: true,
      // The page's own modules are preloaded from its HTML; a module loaded later (a screen, the store's
      // parts) brings its imports itself, and only its styles are added by Vite's helper (a screen would
      // show without them). With its imports preloaded by the helper too, those of the store's parts and
      // sync, asked for as the first view is painted, were one task of 56-101 ms at a 1M start (a link
      // element added to the page for each of about 30 files).
      // A coordinator's first view, the Network screen, is the exception: a chunk of its own whose imports
      // (two small chunks it shares with other screens) were asked for only once it had arrived and been
      // parsed, 85 ms later at a 1M start, with the page busy meanwhile; they are preloaded beside it.
      modulePreload: {
        resolveDependencies: (file, deps, { hostType }) =>
          hostType === 'html' || /(^|\/)NetworkScreen-[^/]*\.js$/.test(file)
            ? deps
            : deps.filter((dep) => dep.endsWith('.css')),
      },
      rolldownOptions: {
        output: {
          // The first view's modules (every one the page imports statically: React, Dexie, i18next, the first
          // screens and the small modules later chunks share with them) in one file, not some twenty: in a
          // browser just started they arrived from 77 to 340 ms after the page asked for them, six at a
          // time, each small one as slow as a large one. In one, a cold first stock view at 100k painted at
          // 564 ms median against 692 (bench/first-view-ab.ts, six starts of each), the modules run at 265
          // ms against 379. Later chunks (the store's parts, sync, screens) are split as before.
          codeSplitting: { groups: [{ name: 'first', tags: ['$initial'] }] },
        },
      },
    },
    // Workers are bundled by a pipeline of their own: y-webrtc in the device's Worker (deviceWorker.ts) must
    // take Larder's sync guards there too, or it would take peers' updates unchecked. As ES modules, a
    // Worker loads its later code (the store's parts, sync) as chunks, as the page does.
    worker: { format: 'es', plugins: () => [guardPeerUpdates] },
    server: { host: '127.0.0.1', strictPort: true },
    optimizeDeps: { exclude: ['y-webrtc'], include: ['y-webrtc > simple-peer/simplepeer.min.js'] },
    // The policy as a header too: a Worker takes its policy from its script's response, not from the page's
    // meta tag (the device's Worker: renderer/app/deviceWorker.ts). The desktop app's protocol sends it too.
    preview: {
      host: '127.0.0.1',
      strictPort: true,
      https: mode === 'lan' ? lanHttps() : undefined,
      headers: { 'Content-Security-Policy': CSP },
    },
    test: {
      root: here('.'),
      environment: 'node',
      testTimeout: 30_000,
      // Two files at a time: vitest's default on a 2-core machine is one (cores - 1), and the suite took
      // 6.3 min of CI's 20 that way, 4.2 min with two. The file of real WebRTC in Node (@roamhq/wrtc, a
      // native module) runs alone after them: its process exited once while another file ran beside it.
      projects: [
        {
          extends: true,
          test: {
            name: 'unit',
            include: ['tests/**/*.test.{ts,tsx}'],
            exclude: ['tests/e2e/**', 'node_modules/**', NATIVE_WEBRTC_TESTS],
            maxWorkers: 2,
          },
        },
        {
          extends: true,
          test: { name: 'native-webrtc', include: [NATIVE_WEBRTC_TESTS], maxWorkers: 1 },
        },
      ],
    },
  };
});
