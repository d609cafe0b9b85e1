import { z } from 'zod';
import { DEFAULT_PORTS, type ServiceName } from '@neurocards/contracts';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/**
 * Parses the environment with a service's zod schema. Fails with one readable message
 * listing every bad variable; the message names variables, never their values, so a
 * secret cannot leak through a start-up error.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // Treat empty strings as unset, so `FOO=` in a manifest falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The one table of time units for durations and rates. */
const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const UNIT = '(ms|s|m|h|d)';

/** Parses `30m`, `10s`, `1500ms`, `2h` into milliseconds. */
export function parseDuration(text: string): number {
  const m = new RegExp(`^(\\d+(?:\\.\\d+)?)${UNIT}$`).exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Math.round(Number(m[1]) * UNITS[m[2] as keyof typeof UNITS]);
}

/** `count` events per `periodMs`, from a rate variable such as `20/10s`. */
export interface Rate {
  count: number;
  periodMs: number;
}

/** Parses `20/10s`, `25/1s`, `1/s` (a period of one unit), `100/1m`, `20/10000ms`. */
export function parseRate(text: string): Rate {
  const m = new RegExp(`^(\\d+)\\s*/\\s*(\\d+(?:\\.\\d+)?)?${UNIT}$`).exec(text.trim());
  if (!m) throw new Error(`not a rate: ${text}`);
  const count = Number(m[1]);
  const periodMs = Math.round(Number(m[2] ?? 1) * UNITS[m[3] as keyof typeof UNITS]);
  if (count < 1 || periodMs < 1) throw new Error(`not a positive rate: ${text}`);
  return { count, periodMs };
}

/** A zod string variable with a default, parsed by `parse`; the issue says what was expected. */
const parsed = <T>(fallback: string, parse: (s: string) => T, expected: string) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx): T => {
      try {
        return parse(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected ${expected}; got "${s}"` });
        return z.NEVER;
      }
    });

/** A duration variable such as `GENERATION_DEADLINE=30m`, as milliseconds. */
export const duration = (fallback: string) => parsed(fallback, parseDuration, 'a duration like 30s, 10m, 2h');

/** A rate variable such as `KIE_SUBMIT_RATE=20/10s`, as `{ count, periodMs }`. */
export const rate = (fallback: string) => parsed(fallback, parseRate, 'a rate like 20/10s or 25/1s');

/** `true/false/1/0/yes/no` as a boolean. */
export const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Comma-separated list. */
export const list = () =>
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );

/** Comma-separated Telegram ids. */
export const idList = () =>
  list().pipe(z.array(z.string().regex(/^\d+$/, 'expected numeric Telegram ids').transform(Number)));

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** Variables every service reads (docs/design.md §3). */
export const commonEnv = {
  /** NATS server(s), comma-separated. */
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /** JetStream replicas for streams and buckets: 1 locally, 3 in production. */
  NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /**
   * This service's NATS user and password. The generated server configuration
   * (`pnpm nats-config`) gives each service a user limited to its own subjects; unset, the
   * connection is anonymous (a server without authorization).
   */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  LOG_LEVEL: logLevel,
  /**
   * `apply` (default): the service creates or updates its streams, consumers and buckets at
   * start. `check` (production): the provisioning Job did that; the service only checks they
   * exist and stays unready, naming what is missing (packages/platform/src/provision.ts).
   */
  NATS_PROVISION: z.enum(['apply', 'check']).default('apply'),
};

/** Postgres for services that own a schema. */
export const databaseEnv = {
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/neurocards'),
  /**
   * Connections each process keeps to PostgreSQL. Replicas multiply it: replicas × pool of
   * every service must stay under the server's max_connections (RUNBOOK.md, scaling).
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
};


/**
 * The HTTP port of a service: `HTTP_PORT`, else the service's default. The launcher that
 * starts all five gives each child its own `HTTP_PORT`.
 */
export function httpPort(service: ServiceName, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.HTTP_PORT;
  if (!raw) return DEFAULT_PORTS[service];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`invalid HTTP_PORT for ${service}`);
  return n;
}
