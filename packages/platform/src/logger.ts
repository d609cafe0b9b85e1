import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets. pino replaces them before a line is written, so a
 * token that slips into a logged object still never reaches the log.
 */
const REDACT = [
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'headers["x-telegram-bot-api-secret-token"]',
  'config.BOT_TOKEN',
  'config.KIE_API_KEYS',
  'config.OPENAI_API_KEY',
];

/**
 * Replaces a Telegram bot token wherever it appears in a string (`/bot<token>/` in
 * URLs), for error messages of HTTP clients that quote the URL they called.
 */
export function scrubSecrets(text: string): string {
  return text.replace(/\/bot\d+:[A-Za-z0-9_-]+/g, '/bot<redacted>').replace(/Bearer\s+[A-Za-z0-9._-]+/g, 'Bearer <redacted>');
}

export function createLogger(service: string, level = 'info', destination?: DestinationStream): Logger {
  const options = {
    name: service,
    level,
    base: { service },
    redact: { paths: REDACT, censor: '<redacted>' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: {
      // Clients nest the failing URL (with the bot token) in causes and properties: scrub the
      // whole serialized error, not just its message.
      err: (err: unknown) => {
        const s = stdSerializers.err(err as Error);
        try {
          return JSON.parse(scrubSecrets(JSON.stringify(s))) as typeof s;
        } catch {
          return { type: 'Error', message: scrubSecrets(String((s as { message?: unknown })?.message ?? 'error')) };
        }
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
