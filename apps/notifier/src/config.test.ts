import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

const TOKEN = '123456:AAsecret_token-value';

describe('loadConfig', () => {
  it('has sane defaults', () => {
    const c = loadConfig({ BOT_TOKEN: TOKEN });
    expect(c.TELEGRAM_API_ROOT).toBe('https://api.telegram.org');
    expect(c.ADMIN_TG_IDS).toEqual([]);
    expect(c.SUPPORT_CONTACT).toBe('');
    expect(c.TELEGRAM_GLOBAL_RATE).toEqual({ count: 27, periodMs: 1000 });
    expect(c.TELEGRAM_REPLY_BURST).toBe(3);
    expect(c.TELEGRAM_CHAT_RATE).toEqual({ count: 1, periodMs: 1000 });
    expect(c.TELEGRAM_MAX_WAIT).toBe(10_000);
    expect(c.HTTP_PORT).toBe(8084);
  });

  it('reads admins, support, rates and the service port override', () => {
    const c = loadConfig({
      BOT_TOKEN: TOKEN,
      ADMIN_TG_IDS: '1, 22',
      SUPPORT_CONTACT: '@help',
      TELEGRAM_CHAT_RATE: '20/60s',
      HTTP_PORT: '9999',
    });
    expect(c.ADMIN_TG_IDS).toEqual([1, 22]);
    expect(c.SUPPORT_CONTACT).toBe('@help');
    expect(c.TELEGRAM_CHAT_RATE.count).toBe(20);
    expect(c.HTTP_PORT).toBe(9999);
  });

  it('fails readably without a token, and never echoes a bad one', () => {
    expect(() => loadConfig({})).toThrow(/BOT_TOKEN/);
    let message = '';
    try {
      loadConfig({ BOT_TOKEN: 'not a token AAsecret', TELEGRAM_GLOBAL_RATE: 'fast' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/BOT_TOKEN/);
    expect(message).toMatch(/TELEGRAM_GLOBAL_RATE/);
    expect(message).not.toContain('AAsecret');
  });
});
