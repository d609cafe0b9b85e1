import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, duration, flag, httpPort, idList, loadConfig, parseDuration } from './config';
import { createLogger, scrubSecrets } from './logger';

describe('config', () => {
  const schema = z.object({
    BOT_TOKEN: z.string().min(10),
    DEADLINE: duration('30m'),
    FAILOVER: flag(false),
    ADMINS: idList(),
  });

  it('applies defaults and parses values', () => {
    const c = loadConfig(schema, { BOT_TOKEN: '123:abcdefghij', ADMINS: '1, 2', FAILOVER: 'true', DEADLINE: '' });
    expect(c).toEqual({ BOT_TOKEN: '123:abcdefghij', DEADLINE: 30 * 60_000, FAILOVER: true, ADMINS: [1, 2] });
  });

  it('fails with the variable names and never the secret value', () => {
    try {
      loadConfig(schema, { BOT_TOKEN: 'sec-ret', ADMINS: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/BOT_TOKEN/);
      expect((err as Error).message).toMatch(/ADMINS/);
      expect((err as Error).message).not.toMatch(/sec-ret/);
    }
  });

  it('parses durations', () => {
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(() => parseDuration('10 minutes')).toThrow();
  });

  it('picks the per-service port before HTTP_PORT before the default', () => {
    expect(httpPort('kie-dispatcher', {})).toBe(8083);
    expect(httpPort('kie-dispatcher', { HTTP_PORT: '9000' })).toBe(9000);
    expect(httpPort('kie-dispatcher', { HTTP_PORT: '9000', KIE_DISPATCHER_HTTP_PORT: '9100' })).toBe(9100);
  });

  it('scrubs bot tokens and bearer keys from text', () => {
    expect(scrubSecrets('GET https://api.telegram.org/bot123456:AAE-x_y/getMe')).toBe('GET https://api.telegram.org/bot<redacted>/getMe');
    expect(scrubSecrets('Authorization: Bearer sk-abc.def')).toBe('Authorization: Bearer <redacted>');
  });
});

describe('logger', () => {
  it('scrubs a bot token nested anywhere in a logged error', () => {
    const lines: string[] = [];
    const log = createLogger('t', 'info', { write: (s: string) => void lines.push(s) });
    const cause = Object.assign(new Error('request to https://api.telegram.org/bot123:SECRET_x/getMe failed'), {
      url: 'https://api.telegram.org/bot123:SECRET_x/getMe',
    });
    const err = Object.assign(new Error('Network request failed', { cause }), {
      request: { url: 'https://api.telegram.org/bot123:SECRET_x/sendMessage' },
    });
    log.error({ err }, 'failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('bot<redacted>');
    expect(lines[0]).not.toContain('SECRET_x');
  });
});
