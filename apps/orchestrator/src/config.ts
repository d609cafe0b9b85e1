import { z } from 'zod';
import { commonEnv, databaseEnv, duration, httpPort, parseEnv } from '@neurocards/platform';

export const schema = z.object({
  ...commonEnv,
  ...databaseEnv,
  /** Without it the prompt step uses the templates' built-in prompts (docs/design.md §3). */
  OPENAI_API_KEY: z.string().optional(),
  /** OpenAI API root; the sandbox points it at its simulator. */
  OPENAI_BASE_URL: z.url().default('https://api.openai.com/v1'),
  /** Model for the prompt step: it must accept image input. */
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** Per-request timeout for GPT; the consumer's ack wait is kept alive meanwhile. */
  OPENAI_TIMEOUT: duration('45s'),
  /**
   * Per-attempt generation deadline, enforced by kie-dispatcher. The orchestrator fails a
   * job that has no outcome after 3 attempts' worth of it plus 10 minutes.
   */
  GENERATION_DEADLINE: duration('30m'),
  /** How often the deadline sweeper looks for overdue jobs. */
  DEADLINE_SWEEP_INTERVAL: duration('30s'),
  // The video's model, orientation and length come with each order (`spec`), chosen in the
  // bot from the dispatcher's catalogue; there is no service-wide video shape any more.
});

export type Config = z.infer<typeof schema> & { HTTP_PORT: number };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return { ...parseEnv(schema, env), HTTP_PORT: httpPort('orchestrator', env) };
}
