import { z } from 'zod';
import type { KieRates } from '../kie/types.js';

/** The failure shares the panel shows and sets, in percent, and the KIE sim's field for each. */
export const PERCENT_FIELDS = {
  refusal: 'refusalRate',
  noCredits: 'noCreditsRate',
  rateLimit: 'rateLimitRate',
  serverError: 'serverErrorRate',
  lostCallback: 'lostCallbackRate',
  duplicateCallback: 'duplicateCallbackRate',
} as const satisfies Record<string, keyof KieRates>;
export type PercentField = keyof typeof PERCENT_FIELDS;
export const PERCENT_NAMES = Object.keys(PERCENT_FIELDS) as PercentField[];

const percent = z.number().min(0).max(100);
/** Seconds, up to an hour: longer tasks only make the sandbox look hung. */
const seconds = z.number().min(0).max(3600);

/**
 * POST /_control/kie. `scope` is "all", `{ account }` or `{ key }` (a key by its dispatcher name,
 * e.g. `main/primary`, or by the key itself). For an account or a key, a percentage of null
 * removes the override (the value is inherited again); for "all", null means 0. Latency is global.
 */
export const kieInput = z
  .object({
    scope: z.union([z.literal('all'), z.strictObject({ account: z.string().min(1) }), z.strictObject({ key: z.string().min(1) })]),
    latencySeconds: seconds.optional(),
    /** null: a fixed latency; otherwise each task takes a uniformly random time in [latency, max]. */
    latencyMaxSeconds: seconds.nullable().optional(),
    percent: z.strictObject(Object.fromEntries(PERCENT_NAMES.map((n) => [n, percent.nullable().optional()])) as Record<PercentField, z.ZodOptional<z.ZodNullable<typeof percent>>>).optional(),
  })
  .strict()
  .refine((v) => v.scope === 'all' || (v.latencySeconds === undefined && v.latencyMaxSeconds === undefined), {
    message: 'latency is set for all accounts only',
  });
export type KieInput = z.infer<typeof kieInput>;

export const modelInput = z.strictObject({ withdrawn: z.boolean() });

/** POST /_control/telegram: shares of sends answered 429 / 403 blocked, and one user blocking the bot. */
export const telegramInput = z.strictObject({
  throttlePercent: percent.optional(),
  blockedPercent: percent.optional(),
  block: z.strictObject({ userId: z.number().int().positive(), blocked: z.boolean() }).optional(),
});
export type TelegramInput = z.infer<typeof telegramInput>;

/** A readable one-line message for a 400. */
export function describe(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}
