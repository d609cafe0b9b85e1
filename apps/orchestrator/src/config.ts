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
   * GPT calls one seller may have at once at the prompt step (of the consumer's 8): a seller
   * with many videos cannot hold the step while others wait (fair share, docs/design.md §5).
   */
  PROMPT_PER_SELLER: z.coerce.number().int().min(1).max(8).default(2),
  /**
   * Per-attempt generation deadline, enforced by kie-dispatcher. The orchestrator fails a
   * job that has no outcome 3 attempts' worth of it plus 10 minutes after KIE accepted it
   * (or after its creation while its prompt is written); a job queued for a key never expires.
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
