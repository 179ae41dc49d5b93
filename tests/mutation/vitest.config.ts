import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Property tests run fewer cases per mutant (each mutant reruns every test that reaches it); the seeds stay
// fixed, so a mutant's verdict is reproducible. Override with FC_RUNS.
process.env.FC_RUNS ??= '40';

/**
 * The tests mutation testing runs: the domain's own (tests/shared), nothing that needs IndexedDB or a browser.
 * Files are not isolated from each other, which halves the time per mutant (the modules are instrumented
 * once, with every mutant switchable at run time).
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    // MUTATION_TESTS (comma-separated globs) narrows the run while working on one module.
    include: process.env.MUTATION_TESTS?.split(',') ?? ['tests/shared/**/*.test.ts'],
    // It reads shared/'s source files for English sentences: in Stryker's sandbox those are instrumented,
    // full of its own strings, and no mutant changes what it checks.
    exclude: ['tests/shared/no-english.test.ts', '**/node_modules/**'],
    environment: 'node',
    isolate: false,
    // MUTATION_TEST_TIMEOUT lengthens it on a loaded machine (the 64 MB tests take seconds even idle).
    testTimeout: Number(process.env.MUTATION_TEST_TIMEOUT ?? 30_000),
  },
});
