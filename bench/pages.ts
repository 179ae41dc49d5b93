import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildEnvironmentOptions, type PluginOption } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds one of the bench pages (`bench/<page>`, with the app's own modules) into `outDir`, served under
 * `base`: every bench script that drives Chromium builds its page this way. `build` adds to the build
 * options (source maps, no minifying for readable profiles), `plugins` to the plugins.
 */
export async function buildBenchPage(
  page: string,
  base: string,
  outDir: string,
  extra: { build?: BuildEnvironmentOptions; plugins?: PluginOption[] } = {},
): Promise<void> {
  await build({
    configFile: false,
    root: join(root, 'bench', page),
    base,
    logLevel: 'warn',
    ...(extra.plugins ? { plugins: extra.plugins } : {}),
    build: { outDir, emptyOutDir: true, target: 'es2022', ...extra.build },
  });
}
