import { defineConfig } from 'vitest/config';

// The e2e suite starts the whole product; its files run one after another because they
// share the JetStream topology on the test NATS server.
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['./src/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
