import { defineConfig } from 'vitest/config';

// Tests use a fresh Postgres database and real NATS; creating them can take a few seconds
// when the whole workspace tests in parallel.
export default defineConfig({
  test: { hookTimeout: 30_000, testTimeout: 20_000 },
});
