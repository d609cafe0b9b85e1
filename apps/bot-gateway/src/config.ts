import { z } from 'zod';
import { DEFAULT_CREDIT_PACKS, parseCreditPacks } from '@neurocards/contracts';
import { commonEnv, duration, httpPort, idList, parseEnv, rate } from '@neurocards/platform';

/** Telegram's rule for `secret_token`: 1–256 characters of A–Z, a–z, 0–9, `_` and `-`. */
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

export const schema = z
  .object({
    ...commonEnv,
    /** Telegram bot token. Never logged, never put in a URL handed to anyone. */
    BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'expected a Telegram bot token (<id>:<secret>)'),
    /** Bot API root; the sandbox points it at its simulator. */
    TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
    /** `polling` (default; no public address needed) or `webhook`. */
    BOT_MODE: z.enum(['polling', 'webhook']).default('polling'),
    /** Public https root; the webhook is `${PUBLIC_BASE_URL}/telegram/webhook`. */
    PUBLIC_BASE_URL: z.url().optional(),
    /** Checked against `X-Telegram-Bot-Api-Secret-Token` on every webhook request. */
    TELEGRAM_WEBHOOK_SECRET: z
      .string()
      .regex(SECRET_TOKEN, 'expected 1-256 characters A-Z a-z 0-9 _ -')
      .optional(),
    /** Telegram ids allowed to use /grant, /balance, /stats. */
    ADMIN_TG_IDS: idList(),
    /** Credits a new user gets once on /start; 0 turns the bonus off. */
    WELCOME_CREDITS: z.coerce.number().int().min(0).max(1_000_000).default(0),
    /**
     * The confirmation warns when the expected wait for the first video (the dispatcher's
     * `kie.queue.estimate`) is longer than this, so the seller can decide.
     */
    QUEUE_WARN_AFTER: duration('20m'),
    /**
     * Credit packs sold for Telegram Stars, `credits:stars,…` (README "Credit packs"). Checked
     * at start: whole positive numbers, and a larger pack must be cheaper per credit.
     * Pre-checkout refuses an invoice whose pack is no longer in this list.
     */
    CREDIT_PACKS: z
      .string()
      .default(DEFAULT_CREDIT_PACKS)
      .transform((raw, ctx) => {
        try {
          return parseCreditPacks(raw);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    /** Shown to users who need a human (top-ups, failures). */
    SUPPORT_CONTACT: z.string().optional(),
    /**
     * Telegram's limits for the whole bot and per chat, shared with the notifier through KV
     * `telegram_budget`: set them the same in both services (see the notifier's config).
     */
    TELEGRAM_GLOBAL_RATE: rate('27/1s'),
    TELEGRAM_CHAT_RATE: rate('1/1s'),
    /** Replies may go this many at once beyond the pacing (notifications never use it). */
    TELEGRAM_REPLY_BURST: z.coerce.number().int().min(1).max(30).default(3),
  })
  .superRefine((c, ctx) => {
    if (c.BOT_MODE !== 'webhook') return;
    if (!c.PUBLIC_BASE_URL)
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'required when BOT_MODE=webhook' });
    if (!c.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_WEBHOOK_SECRET'],
        message: 'required when BOT_MODE=webhook',
      });
    }
  });

export type Config = z.infer<typeof schema> & { HTTP_PORT: number };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return { ...parseEnv(schema, env), HTTP_PORT: httpPort('bot-gateway', env) };
}
