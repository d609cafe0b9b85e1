import { z } from 'zod';
import { commonEnv, databaseEnv, duration, flag, httpPort, parseEnv, rate } from '@neurocards/platform';
import type { SubmitRate } from './domain/keys';
import { CATALOGUE, DEFAULT_MODELS } from './domain/models';

export interface ApiKey {
  /** Goes to logs, events and KV. */
  name: string;
  /** Goes to KIE's Authorization header and nowhere else. */
  secret: string;
  /**
   * The KIE account the key belongs to: credits, the 20-per-10-s budget and the running-task
   * cap are the account's, shared by its keys. A key without one is its own account
   * (absent means the key's name).
   */
  account?: string;
}

/** Key names become KV key tokens and metric labels: keep them to a safe alphabet. */
const KEY_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `KIE_API_KEYS`: comma-separated, each `key`, `name=key` or `account/name=key`; unnamed keys
 * become key1, key2, …; a key without an account is its own account (named like the key).
 */
export const apiKeys = z.string().transform((text, ctx) => {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const keys: ApiKey[] = items.map((item, i) => {
    const eq = item.indexOf('=');
    if (eq <= 0) return { name: `key${i + 1}`, secret: item, account: `key${i + 1}` };
    const label = item.slice(0, eq).trim();
    const secret = item.slice(eq + 1).trim();
    const slash = label.indexOf('/');
    if (slash < 0) return { name: label, secret, account: label };
    return { name: label.slice(slash + 1).trim(), secret, account: label.slice(0, slash).trim() };
  });
  // Issues name the position, never the value: a bad entry may be a real key.
  keys.forEach((k, i) => {
    if (!KEY_NAME.test(k.name))
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: key name must match ${KEY_NAME}` });
    if (!KEY_NAME.test(k.account ?? k.name))
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: account name must match ${KEY_NAME}` });
    if (!k.secret) ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: empty key` });
  });
  if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one key is required' });
  if (new Set(keys.map((k) => k.name)).size !== keys.length)
    ctx.addIssue({ code: 'custom', message: 'key names must be unique' });
  return keys;
});

/** kie-dispatcher's environment (docs/design.md §3). */
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
  /**
   * The models offered to sellers, in order, comma-separated; the first is the default.
   * Unset: Veo 3.1 Fast, then Kling 3.0 (README "KIE models"). Unknown ids fail at start.
   */
  KIE_MODELS: z.string().optional(),
  /** One-model alias of KIE_MODELS, from before the catalogue (used when KIE_MODELS is unset). */
  KIE_MODEL: z.string().min(1).optional(),
  /** Our credits per video, per model: `id:credits,…`; models not listed cost 1. */
  KIE_MODEL_PRICES: z.string().optional(),
  /** Alert admins once when an account's KIE credit balance falls below this; unset: no alert. */
  KIE_CREDIT_ALERT: z.coerce.number().nonnegative().optional(),
  /** How often each account's KIE credit balance is read (and right after every 402). */
  KIE_CREDIT_CHECK_INTERVAL: duration('5m'),
  /**
   * Admins are alerted (once per episode, and on recovery) when videos wait and nothing was
   * sent to KIE for this long: every key of every account blocked, cooling or full.
   */
  QUEUE_STALL_ALERT: duration('5m'),
  /** A key that hit its own usage cap (433) rests this long while the account's other keys go on. */
  KIE_KEY_CAP_COOLDOWN: duration('1h'),
  /** Secret. When set, callbacks must carry a valid X-Webhook-Signature. */
  KIE_WEBHOOK_HMAC_KEY: z.string().min(1).optional(),
  /** Per-account submission limit (all its keys and replicas); KIE allows 20 new tasks per 10 s per account (excess is 429, not queued). */
  KIE_SUBMIT_RATE: rate('20/10s').transform((r): SubmitRate => ({ limit: r.count, windowMs: r.periodMs })),
  /** Per-account running tasks (all its keys); KIE typically allows about 100. */
  KIE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(100),
  /** After a billing error, resubmit once on another healthy key instead of failing at once. */
  KIE_BILLING_FAILOVER: flag(false),
  /** Per-attempt deadline of a KIE task. */
  GENERATION_DEADLINE: duration('30m'),
  /** Public https root; KIE callbacks go to `<root>/kie/callback/<token>` unless KIE_CALLBACK_BASE_URL is set. */
  PUBLIC_BASE_URL: z.url().optional(),
  KIE_CALLBACK_BASE_URL: z.url().optional(),
});

type Parsed = z.infer<typeof schema>;

export type Config = Omit<
  Parsed,
  'KIE_CALLBACK_BASE_URL' | 'KIE_MODELS' | 'KIE_MODEL' | 'KIE_MODEL_PRICES'
> & {
  HTTP_PORT: number;
  /** Root of the callBackUrl given to KIE, without a trailing slash. */
  callbackBaseUrl: string;
  /** KIE_MODELS resolved: catalogue ids, in order; the first is the default. */
  models: string[];
  /** Credits per video by model id (every offered model has one). */
  prices: Record<string, number>;
};

/** KIE_MODELS (else KIE_MODEL, else the default list), every id checked against the catalogue. */
export function parseModels(list: string | undefined, single: string | undefined): string[] {
  const text = list ?? single ?? DEFAULT_MODELS.join(',');
  const ids = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (ids.length === 0) throw new Error('KIE_MODELS: at least one model is required');
  const unknown = ids.filter((id) => !CATALOGUE.has(id));
  if (unknown.length > 0)
    throw new Error(
      `KIE_MODELS: unknown model ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${[...CATALOGUE.keys()].join(', ')}`,
    );
  return ids;
}

/** `KIE_MODEL_PRICES`: `id:credits,…`; a model not listed costs 1 credit. */
export function parsePrices(text: string | undefined, models: readonly string[]): Record<string, number> {
  const prices: Record<string, number> = Object.fromEntries(models.map((m) => [m, 1]));
  for (const item of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    // Model ids contain `/` and `.`, never `:`; the last `:` splits.
    const at = item.lastIndexOf(':');
    const id = item.slice(0, at).trim();
    const credits = Number(item.slice(at + 1));
    if (at <= 0 || !Number.isInteger(credits) || credits < 1 || credits > 1000)
      throw new Error(`KIE_MODEL_PRICES: expected id:credits (1–1000), got "${item}"`);
    if (!CATALOGUE.has(id)) throw new Error(`KIE_MODEL_PRICES: unknown model "${id}"`);
    prices[id] = credits;
  }
  return prices;
}

/** Parses the environment once, at start: fails with a readable list of bad variables (never values). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { KIE_CALLBACK_BASE_URL, KIE_MODELS, KIE_MODEL, KIE_MODEL_PRICES, ...c } = parseEnv(schema, env);
  const models = parseModels(KIE_MODELS, KIE_MODEL);
  const prices = parsePrices(KIE_MODEL_PRICES, models);
  // HTTP_PORT, else 8083 (docs/design.md §3).
  const port = httpPort('kie-dispatcher', env);
  const callbackBaseUrl = (KIE_CALLBACK_BASE_URL ?? c.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`).replace(
    /\/+$/,
    '',
  );
  return { ...c, HTTP_PORT: port, callbackBaseUrl, models, prices };
}
