import { z } from 'zod';
import { commonEnv, databaseEnv, duration, flag, httpPort, parseEnv } from '@neurocards/platform';
import { parseSubmitRate } from './domain/keys';

export interface ApiKey {
  /** Goes to logs, events and KV. */
  name: string;
  /** Goes to KIE's Authorization header and nowhere else. */
  secret: string;
}

/** Key names become KV key tokens and metric labels: keep them to a safe alphabet. */
const KEY_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** `KIE_API_KEYS`: comma-separated, each `key` or `name=key`; unnamed keys become key1, key2, … */
export const apiKeys = z.string().transform((text, ctx) => {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const keys: ApiKey[] = items.map((item, i) => {
    const eq = item.indexOf('=');
    return eq > 0
      ? { name: item.slice(0, eq).trim(), secret: item.slice(eq + 1).trim() }
      : { name: `key${i + 1}`, secret: item };
  });
  // Issues name the position, never the value: a bad entry may be a real key.
  keys.forEach((k, i) => {
    if (!KEY_NAME.test(k.name))
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: key name must match ${KEY_NAME}` });
    if (!k.secret) ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: empty key` });
  });
  if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one key is required' });
  if (new Set(keys.map((k) => k.name)).size !== keys.length)
    ctx.addIssue({ code: 'custom', message: 'key names must be unique' });
  return keys;
});

/** kie-dispatcher's environment (design §3). */
export const schema = z.object({
  // NATS_URL, NATS_REPLICAS, LOG_LEVEL
  ...commonEnv,
  // DATABASE_URL: tasks and the upload cache live in the `kie` schema.
  ...databaseEnv,
  /** KIE API root. */
  KIE_BASE_URL: z.url().default('https://api.kie.ai'),
  /** KIE file upload root (the product photo goes there, never as a Telegram URL). */
  KIE_UPLOAD_BASE_URL: z.url().default('https://kieai.redpandaai.co'),
  /** Secret. Comma-separated keys, each optionally `name=key`. */
  KIE_API_KEYS: apiKeys,
  /** Market model id. */
  KIE_MODEL: z.string().min(1).default('sora-2-image-to-video'),
  /** Secret. When set, callbacks must carry a valid X-Webhook-Signature. */
  KIE_WEBHOOK_HMAC_KEY: z.string().min(1).optional(),
  /** Per-key submission limit; KIE allows 20 new tasks per 10 s per account (excess is 429, not queued). */
  KIE_SUBMIT_RATE: z
    .string()
    .default('20/10s')
    .transform((s, ctx) => {
      try {
        return parseSubmitRate(s);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Per-key running tasks; KIE typically allows 100+. */
  KIE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(100),
  /** After a billing error, resubmit once on another healthy key instead of failing at once. */
  KIE_BILLING_FAILOVER: flag(false),
  /** Per-attempt deadline of a KIE task. */
  GENERATION_DEADLINE: duration('30m'),
  /** Public https root; KIE callbacks go to `<root>/kie/callback/<token>` unless KIE_CALLBACK_BASE_URL is set. */
  PUBLIC_BASE_URL: z.url().optional(),
  KIE_CALLBACK_BASE_URL: z.url().optional(),
});

export type Config = Omit<z.infer<typeof schema>, 'KIE_CALLBACK_BASE_URL'> & {
  httpPort: number;
  /** Root of the callBackUrl given to KIE, without a trailing slash. */
  callbackBaseUrl: string;
};

/** Parses the environment once, at start: fails with a readable list of bad variables (never values). */
export function loadKieConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { KIE_CALLBACK_BASE_URL, ...c } = parseEnv(schema, env);
  // HTTP_PORT, else 8083 (design §3).
  const port = httpPort('kie-dispatcher', env);
  const callbackBaseUrl = (KIE_CALLBACK_BASE_URL ?? c.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`).replace(
    /\/+$/,
    '',
  );
  return { ...c, httpPort: port, callbackBaseUrl };
}
