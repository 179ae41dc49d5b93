import { createServer, createServerModuleRunner } from 'vite';

/**
 * Runs a bench script through Vite's own module runner, for scripts that reach renderer code Vite
 * transforms at build time (the i18n catalogs' `import.meta.glob`), which tsx alone cannot run:
 * `tsx bench/viteRun.ts bench/import.ts [args]`.
 */
const script = process.argv[2];
if (!script) throw new Error('usage: tsx bench/viteRun.ts <script> [args]');
process.argv.splice(2, 1);
const server = await createServer({
  configFile: false,
  logLevel: 'error',
  server: { middlewareMode: true, hmr: false, ws: false, watch: null },
  appType: 'custom',
});
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
// The script goes on after its module is run (its main is not awaited at the top level) and imports
// modules as it goes: the runner is closed once nothing is left to run.
process.once('beforeExit', () => void runner.close().then(() => server.close()));
await runner.import(`/${script}`);
