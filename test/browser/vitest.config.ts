import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The browser suite (`pnpm test:browser`): the real sandbox started once by ./sandbox.ts, its
// chat page driven by Debian's Chromium through playwright-core. The files share that sandbox,
// so they run one after another, in the order of their names. The JSON report is this directory's own, counted by
// scripts/test-summary.mjs beside test/.vitest-report.json of the e2e suite.
/** In the order of their names: the order, the refusal, the Stars, then the phone (which shows the delivered videos). */
class ByName extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId));
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
export default defineConfig({
  test: {
    root: here,
    include: ['**/*.test.ts'],
    globalSetup: ['./sandbox.ts'],
    fileParallelism: false,
    sequence: { sequencer: ByName },
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: path.join(here, '.vitest-report.json') },
  },
});
