import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser suite (`pnpm test:browser`): the real sandbox started once by ./sandbox.ts, its
// chat page driven by Debian's Chromium through playwright-core. The files share that sandbox,
// so they run one after another. The JSON report is this directory's own, counted by
// scripts/test-summary.mjs beside test/.vitest-report.json of the e2e suite.
const here = path.dirname(fileURLToPath(import.meta.url));
export default defineConfig({
  test: {
    root: here,
    include: ['**/*.test.ts'],
    globalSetup: ['./sandbox.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: path.join(here, '.vitest-report.json') },
  },
});
