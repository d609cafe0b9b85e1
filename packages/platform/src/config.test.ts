import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, duration, flag, httpPort, idList, parseDuration, parseEnv, parseRate, rate } from './config';
import { createLogger, scrubSecrets } from './logger';

describe('config', () => {
  const schema = z.object({
    BOT_TOKEN: z.string().min(10),
    DEADLINE: duration('30m'),
    FAILOVER: flag(false),
    ADMINS: idList(),
  });

  it('applies defaults and parses values', () => {
    const c = parseEnv(schema, { BOT_TOKEN: '123:abcdefghij', ADMINS: '1, 2', FAILOVER: 'true', DEADLINE: '' });
    expect(c).toEqual({ BOT_TOKEN: '123:abcdefghij', DEADLINE: 30 * 60_000, FAILOVER: true, ADMINS: [1, 2] });
  });

  it('fails with the variable names and never the secret value', () => {
    try {
      parseEnv(schema, { BOT_TOKEN: 'sec-ret', ADMINS: 'x' });
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

  it('parses rates', () => {
    expect(parseRate('20/10s')).toEqual({ count: 20, periodMs: 10_000 });
    expect(parseRate('20/10000ms')).toEqual({ count: 20, periodMs: 10_000 });
    expect(parseRate('25/1s')).toEqual({ count: 25, periodMs: 1000 });
    expect(parseRate('1/s')).toEqual({ count: 1, periodMs: 1000 });
    expect(parseRate(' 100 / 1m ')).toEqual({ count: 100, periodMs: 60_000 });
    for (const bad of ['25', '0/1s', '5/0s', 'fast', '5/1x', '-1/1s', '20/10']) expect(() => parseRate(bad), bad).toThrow();
  });

  it('reads rate and duration variables with defaults and readable errors', () => {
    const s = z.object({ RATE: rate('20/10s'), WAIT: duration('10s') });
    expect(parseEnv(s, {})).toEqual({ RATE: { count: 20, periodMs: 10_000 }, WAIT: 10_000 });
    expect(parseEnv(s, { RATE: '5/1m', WAIT: '1500ms' })).toEqual({ RATE: { count: 5, periodMs: 60_000 }, WAIT: 1500 });
    expect(() => parseEnv(s, { RATE: 'lots', WAIT: 'soon' })).toThrow(/RATE: expected a rate[\s\S]*WAIT: expected a duration/);
  });

  it('takes HTTP_PORT, else the service default; per-service variables are gone', () => {
    expect(httpPort('kie-dispatcher', {})).toBe(8083);
    expect(httpPort('kie-dispatcher', { HTTP_PORT: '9000' })).toBe(9000);
    expect(httpPort('kie-dispatcher', { KIE_DISPATCHER_HTTP_PORT: '9100' })).toBe(8083);
    expect(() => httpPort('billing', { HTTP_PORT: 'eighty' })).toThrow(ConfigError);
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
