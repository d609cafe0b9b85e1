import { z } from 'zod';
import { commonEnv, databaseEnv, duration, httpPort, idList, parseEnv, rate } from '@neurocards/platform';

export const schema = z.object({
  ...commonEnv,
  ...databaseEnv,
  /** Telegram bot token. A secret: never logged, never put in a URL handed to anyone but Telegram. */
  BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'expected a Telegram bot token (<id>:<secret>)'),
  /** Bot API root; the sandbox points it at its simulator. */
  TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
  /** Admins who get operational alerts (blocked KIE keys). */
  ADMIN_TG_IDS: idList(),
  /** Shown where the user must reach a person (top-up, billing failures), e.g. `@neurocards_support`. */
  SUPPORT_CONTACT: z.string().trim().default(''),
  /**
   * Telegram: "no more than 30 messages per second" overall, for the whole bot: every
   * notifier replica and bot-gateway's replies share it (KV `telegram_budget`), so it must
   * be the same in both services. Paced evenly, with bursts of TELEGRAM_REPLY_BURST on top:
   * 27 + 3 keeps any one-second window at Telegram's 30.
   */
  TELEGRAM_GLOBAL_RATE: rate('27/1s'),
  /** Telegram: "avoid sending more than one message per second" in a chat (shared, like the global one). */
  TELEGRAM_CHAT_RATE: rate('1/1s'),
  /**
   * Messages bot-gateway's replies may send at once beyond the pacing; notifications never
   * use this burst, so a seller who presses a button is answered at once even while
   * notifications fill the rest (design §6). The same in both services.
   */
  TELEGRAM_REPLY_BURST: z.coerce.number().int().min(1).max(30).default(3),
  /**
   * The longest a send waits in-process for a rate-limit slot (or a 429's retry_after).
   * Longer waits give the message back to JetStream (nak with that delay) instead of
   * holding it.
   */
  TELEGRAM_MAX_WAIT: duration('10s'),
  /** Per request to the Bot API; an upload of 50 MB needs time. */
  TELEGRAM_TIMEOUT: duration('90s'),
  /**
   * How long the order summary waits for billing's balance before it goes without it, and
   * the status message for the dispatcher's queue estimate (then it says nothing of the queue).
   */
  BALANCE_TIMEOUT: duration('2s'),
});

export type Config = z.infer<typeof schema> & { HTTP_PORT: number };

/** Reads and validates the environment; the error names bad variables, never their values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return { ...parseEnv(schema, env), HTTP_PORT: httpPort('notifier', env) };
}
