// @ts-check
/* global process */
/**
 * Mutation testing of the domain core (`npm run test:mutation`): StrykerJS changes shared/ one small step
 * at a time and counts the changes no test notices. Only the domain tests run (tests/mutation/vitest.config.ts),
 * with per-test coverage so each mutant runs only the tests that reach it. tests/mutation/score.ts then
 * scores every module and fails below 80%. Several runs can share the machine: MUTATION_DIR names where one
 * run keeps its reports, incremental file and sandbox (default reports/mutation).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const dir = process.env.MUTATION_DIR ?? 'reports/mutation';

export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'tests/mutation/vitest.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: ['shared/**/*.ts'],
  // The sandbox is a copy of the project: not other runs' sandboxes and reports, nor build output.
  ignorePatterns: [
    'dist',
    'dist-electron',
    'release',
    'reports',
    'test-results',
    'playwright-report',
    'bench',
    '.e2e-profiles',
  ],
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 10_000,
  timeoutFactor: 2,
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `${dir}/incremental.json`,
  tempDirName: `${dir}/.tmp`,
  reporters: ['html', 'json', 'progress'],
  htmlReporter: { fileName: `${dir}/index.html` },
  jsonReporter: { fileName: `${dir}/mutation.json` },
  thresholds: { high: 90, low: 85, break: null },
};
