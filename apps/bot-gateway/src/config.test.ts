import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

const TOKEN = '123456:ABC-def_ghi';

describe('config', () => {
  it('applies defaults', () => {
    const c = loadConfig({ BOT_TOKEN: TOKEN });
    expect(c).toMatchObject({
      BOT_MODE: 'polling',
      TELEGRAM_API_ROOT: 'https://api.telegram.org',
      WELCOME_CREDITS: 0,
      ADMIN_TG_IDS: [],
      HTTP_PORT: 8080,
    });
  });

  it('reads admins, credits and the service port', () => {
    const c = loadConfig({
      BOT_TOKEN: TOKEN,
      ADMIN_TG_IDS: '1, 22',
      WELCOME_CREDITS: '3',
      HTTP_PORT: '9999',
    });
    expect(c.ADMIN_TG_IDS).toEqual([1, 22]);
    expect(c.WELCOME_CREDITS).toBe(3);
    expect(c.HTTP_PORT).toBe(9999);
  });

  it('reads the credit packs, and refuses packs that make no sense at start', () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN }).CREDIT_PACKS).toEqual([
      { credits: 10, stars: 150 },
      { credits: 30, stars: 400 },
      { credits: 100, stars: 1200 },
    ]);
    expect(loadConfig({ BOT_TOKEN: TOKEN, CREDIT_PACKS: '5:100, 50:750' }).CREDIT_PACKS).toEqual([
      { credits: 5, stars: 100 },
      { credits: 50, stars: 750 },
    ]);
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, CREDIT_PACKS: '10:150,30:500' })).toThrow(
      /CREDIT_PACKS[\s\S]*not cheaper per credit/,
    );
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, CREDIT_PACKS: '10:abc' })).toThrow(/CREDIT_PACKS/);
  });

  it('requires the token and never quotes it', () => {
    expect(() => loadConfig({})).toThrow(/BOT_TOKEN/);
    let message = '';
    try {
      loadConfig({ BOT_TOKEN: 'not-a-token-secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/BOT_TOKEN/);
    expect(message).not.toContain('not-a-token-secret');
  });

  it('requires the public URL and the secret in webhook mode', () => {
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, BOT_MODE: 'webhook' })).toThrow(
      /PUBLIC_BASE_URL[\s\S]*TELEGRAM_WEBHOOK_SECRET/,
    );
    const c = loadConfig({
      BOT_TOKEN: TOKEN,
      BOT_MODE: 'webhook',
      PUBLIC_BASE_URL: 'https://bot.example',
      TELEGRAM_WEBHOOK_SECRET: 's3cr3t_-',
    });
    expect(c.BOT_MODE).toBe('webhook');
  });

  it('refuses a secret Telegram would not accept', () => {
    expect(() =>
      loadConfig({
        BOT_TOKEN: TOKEN,
        BOT_MODE: 'webhook',
        PUBLIC_BASE_URL: 'https://bot.example',
        TELEGRAM_WEBHOOK_SECRET: 'has spaces!',
      }),
    ).toThrow(/TELEGRAM_WEBHOOK_SECRET/);
  });
});
