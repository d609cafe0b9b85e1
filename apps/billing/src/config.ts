import { z } from 'zod';
import { commonEnv, databaseEnv, httpPort, parseEnv } from '@neurocards/platform';

/** Billing's environment (docs/design.md §3). Nothing here is secret except what DATABASE_URL may hold. */
export const schema = z.object({
  // NATS_URL, NATS_REPLICAS, LOG_LEVEL
  ...commonEnv,
  // DATABASE_URL: billing keeps its tables in the `billing` schema of this database.
  ...databaseEnv,
  /** Postgres connections; every consumer transaction holds one while it runs. */
  BILLING_DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
});

export type Config = z.infer<typeof schema> & { HTTP_PORT: number };

/** Parses the environment once, at start: fails with a readable list of bad variables. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // HTTP_PORT, else 8081 (docs/design.md §3).
  return { ...parseEnv(schema, env), HTTP_PORT: httpPort('billing', env) };
}
