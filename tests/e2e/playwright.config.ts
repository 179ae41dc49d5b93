import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests drive the built renderer in Debian's Chromium (Playwright cannot download browsers
 * here). `npm run test:e2e` builds first; the preview server serves dist/ on 127.0.0.1 only.
 */
export const PORT = Number(process.env.LARDER_E2E_PORT ?? 4180);
/** Another build to serve (e.g. `npx vite build --mode web --outDir /tmp/x`), so parallel runs keep apart. */
const DIST = process.env.LARDER_E2E_DIST;

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  // Bounds, not waits (every wait is on state): generous enough for a loaded 2-core machine.
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  outputDir: '../../test-results',
  webServer: {
    command: `npx vite preview --port ${PORT} --strictPort --host 127.0.0.1${DIST ? ` --outDir ${DIST}` : ''}`,
    cwd: '../..',
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
  use: { baseURL: `http://127.0.0.1:${PORT}/` },
});
