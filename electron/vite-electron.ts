/**
 * vite-plugin-electron setup for vite.config.ts. Only the Electron build uses it: the plain web
 * build, vitest and Playwright must not, because in `vite serve` the plugin spawns Electron
 * (no binary on CI machines; ELECTRON_STARTUP_PREVENT=1 stops the spawn if needed).
 *
 *   // vite.config.ts
 *   import { fileURLToPath } from 'node:url';
 *   import { electronPlugins, wantsElectron } from './electron/vite-electron';
 *   export default defineConfig(({ mode }) => ({
 *     root: 'renderer',
 *     build: { outDir: '../dist', emptyOutDir: true },
 *     plugins: [react(), ...(wantsElectron(mode) ? [electronPlugins(fileURLToPath(new URL('.', import.meta.url)))] : [])],
 *   }));
 *
 * and run `vite build --mode electron` (or LARDER_ELECTRON=1 vite build) for the desktop app.
 * tests/electron/build.test.ts builds with this function and checks the output Electron loads.
 * In `vite serve` the plugin starts Electron with `--no-sandbox` (Linux dev machines rarely have
 * the SUID sandbox helper); packaged builds keep the OS sandbox.
 */
import path from 'node:path';
import type { Plugin } from 'vite';
import electron from 'vite-plugin-electron/simple';

/** True for `--mode electron` or LARDER_ELECTRON=1, never under vitest. */
export function wantsElectron(mode: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.VITEST) return false;
  return mode === 'electron' || env.LARDER_ELECTRON === '1';
}

/**
 * With `root: 'renderer'` the plugin resolves relative entries and outDir against renderer/,
 * so every path here is absolute, built from the repository root the caller passes in.
 * `outDir` is only overridden by the build test.
 */
export function electronPlugins(
  repoRoot: string,
  outDir: string = path.join(repoRoot, 'dist-electron'),
): Promise<Plugin[]> {
  return electron({
    main: {
      vite: {
        build: {
          outDir,
          emptyOutDir: false,
          // Explicit rather than `entry`, whose format follows the nearest package.json "type":
          // main.js must be ESM because the app's package.json says "type": "module".
          lib: {
            entry: path.join(repoRoot, 'electron', 'main.ts'),
            formats: ['es'],
            fileName: () => 'main.js',
          },
        },
      },
    },
    preload: {
      input: path.join(repoRoot, 'electron', 'preload.ts'),
      vite: {
        build: {
          outDir,
          emptyOutDir: false,
          rolldownOptions: {
            external: ['electron'],
            // Sandboxed preloads must be CommonJS. With "type": "module" the plugin would name
            // CommonJS code preload.mjs, which Electron would then load as ESM and fail.
            output: { format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: '[name].cjs' },
          },
        },
      },
    },
  });
}
