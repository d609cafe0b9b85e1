import { z } from 'zod';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/**
 * Parses the environment with a service's zod schema. Fails with one readable message
 * listing every bad variable; the message names variables, never their values, so a
 * secret cannot leak through a start-up error.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // Treat empty strings as unset, so `FOO=` in a manifest falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `30m`, `10s`, `1500ms`, `2h` into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** A duration variable such as `GENERATION_DEADLINE=30m`, as milliseconds. */
export const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      try {
        return parseDuration(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 10m, 2h; got "${s}"` });
        return z.NEVER;
      }
    });

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

/** Variables every service reads (design §3). */
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
};

/** Postgres for services that own a schema. */
export const databaseEnv = {
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/neurocards'),
};

export const DEFAULT_PORTS = {
  'bot-gateway': 8080,
  billing: 8081,
  orchestrator: 8082,
  'kie-dispatcher': 8083,
  notifier: 8084,
} as const;

export type ServiceId = keyof typeof DEFAULT_PORTS;

/**
 * The HTTP port of a service: `<SERVICE>_HTTP_PORT` (when one launcher starts all five),
 * else `HTTP_PORT`, else the service's default from design §3.
 */
export function httpPort(service: ServiceId, env: NodeJS.ProcessEnv = process.env): number {
  const specific = env[`${service.toUpperCase().replace(/-/g, '_')}_HTTP_PORT`];
  const raw = specific || env.HTTP_PORT;
  if (!raw) return DEFAULT_PORTS[service];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`invalid HTTP port for ${service}`);
  return n;
}
