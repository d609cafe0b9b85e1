import { defineConfig } from 'vitest/config';

// The e2e suite starts the whole product; its files run one after another because they
// share the JetStream topology on the test NATS server. docs/ holds the check of
// docs/design.md against the code: it needs no server and runs first, in seconds.
// chaos/*.test.ts are the chaos report's pure checks; the chaos run itself is
// `pnpm test:chaos`, never part of this suite.
export default defineConfig({
  test: {
    include: ['docs/**/*.test.ts', 'e2e/**/*.test.ts', 'chaos/**/*.test.ts'],
    globalSetup: ['./src/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
