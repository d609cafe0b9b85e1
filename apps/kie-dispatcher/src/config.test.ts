import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies docs/design.md §3 defaults', () => {
    const c = loadConfig({ KIE_API_KEYS: 'sk-aaa,sk-bbb' });
    // A key without an account is its own account.
    expect(c.KIE_API_KEYS).toEqual([
      { name: 'key1', secret: 'sk-aaa', account: 'key1' },
      { name: 'key2', secret: 'sk-bbb', account: 'key2' },
    ]);
    expect(c.KIE_BASE_URL).toBe('https://api.kie.ai');
    expect(c.KIE_UPLOAD_BASE_URL).toBe('https://kieai.redpandaai.co');
    // Sora 2 is withdrawn (docs/design.md §4): the default offer is Veo 3.1 Fast, then Kling 3.0.
    expect(c.models).toEqual(['veo3_fast', 'kling-3.0/video']);
    expect(c.prices).toEqual({ veo3_fast: 1, 'kling-3.0/video': 1 });
    expect(c.KIE_CREDIT_ALERT).toBeUndefined();
    expect(c.KIE_CREDIT_CHECK_INTERVAL).toBe(5 * 60_000);
    expect(c.KIE_KEY_CAP_COOLDOWN).toBe(3600_000);
    expect(c.KIE_SUBMIT_RATE).toEqual({ limit: 20, windowMs: 10_000 });
    expect(c.KIE_MAX_IN_FLIGHT).toBe(100);
    expect(c.KIE_BILLING_FAILOVER).toBe(false);
    expect(c.GENERATION_DEADLINE).toBe(30 * 60_000);
    expect(c.HTTP_PORT).toBe(8083);
    expect(c.callbackBaseUrl).toBe('http://127.0.0.1:8083');
    expect(c.KIE_WEBHOOK_HMAC_KEY).toBeUndefined();
  });

  it('reads named keys and the callback root', () => {
    const c = loadConfig({
      KIE_API_KEYS: 'main=sk-1, spare=sk-2',
      PUBLIC_BASE_URL: 'https://bot.example/',
      HTTP_PORT: '9000',
      KIE_SUBMIT_RATE: '5/1s',
      KIE_BILLING_FAILOVER: 'true',
      GENERATION_DEADLINE: '10m',
    });
    expect(c.KIE_API_KEYS.map((k) => k.name)).toEqual(['main', 'spare']);
    expect(c.callbackBaseUrl).toBe('https://bot.example');
    expect(c.HTTP_PORT).toBe(9000);
    expect(c.KIE_SUBMIT_RATE).toEqual({ limit: 5, windowMs: 1000 });
    expect(c.KIE_BILLING_FAILOVER).toBe(true);
    expect(c.GENERATION_DEADLINE).toBe(600_000);
    expect(
      loadConfig({
        KIE_API_KEYS: 'k',
        PUBLIC_BASE_URL: 'https://a.example',
        KIE_CALLBACK_BASE_URL: 'https://cb.example',
      }).callbackBaseUrl,
    ).toBe('https://cb.example');
  });

  it('fails without keys, and never quotes a key in the message', () => {
    expect(() => loadConfig({})).toThrow(/KIE_API_KEYS/);
    let message = '';
    try {
      loadConfig({ KIE_API_KEYS: 'bad name=sk-secret-value,a=' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/key name/);
    expect(message).toMatch(/empty key/);
    expect(message).not.toContain('sk-secret-value');
  });

  it('reads accounts: account/name=key, name=key and bare keys', () => {
    const c = loadConfig({ KIE_API_KEYS: 'acctA/one=sk-1, acctA/two=sk-2, solo=sk-3, sk-4' });
    expect(c.KIE_API_KEYS).toEqual([
      { name: 'one', secret: 'sk-1', account: 'acctA' },
      { name: 'two', secret: 'sk-2', account: 'acctA' },
      { name: 'solo', secret: 'sk-3', account: 'solo' },
      { name: 'key4', secret: 'sk-4', account: 'key4' },
    ]);
    expect(() => loadConfig({ KIE_API_KEYS: 'bad acct/one=sk-1' })).toThrow(/account name/);
  });

  it('reads KIE_MODELS in order, KIE_MODEL as a one-model alias, prices and credit settings', () => {
    const c = loadConfig({
      KIE_API_KEYS: 'k',
      KIE_MODELS: 'kling-3.0/video, veo3_fast, bytedance/seedance-2',
      KIE_MODEL_PRICES: 'kling-3.0/video:3,veo3_fast:2',
      KIE_CREDIT_ALERT: '500',
      KIE_CREDIT_CHECK_INTERVAL: '1m',
      KIE_KEY_CAP_COOLDOWN: '30m',
    });
    expect(c.models).toEqual(['kling-3.0/video', 'veo3_fast', 'bytedance/seedance-2']);
    expect(c.prices).toEqual({ 'kling-3.0/video': 3, veo3_fast: 2, 'bytedance/seedance-2': 1 });
    expect(c.KIE_CREDIT_ALERT).toBe(500);
    expect(c.KIE_CREDIT_CHECK_INTERVAL).toBe(60_000);
    expect(c.KIE_KEY_CAP_COOLDOWN).toBe(30 * 60_000);
    expect(loadConfig({ KIE_API_KEYS: 'k', KIE_MODEL: 'veo3' }).models).toEqual(['veo3']);
    // KIE_MODELS wins over the alias.
    expect(loadConfig({ KIE_API_KEYS: 'k', KIE_MODEL: 'veo3', KIE_MODELS: 'veo3_lite' }).models).toEqual([
      'veo3_lite',
    ]);
  });

  it('fails at start on an unknown model, naming it and the known ones', () => {
    expect(() => loadConfig({ KIE_API_KEYS: 'k', KIE_MODELS: 'veo3_fast,kling-9/video' })).toThrow(
      /unknown model "kling-9\/video".*known: .*veo3_fast/,
    );
    expect(() => loadConfig({ KIE_API_KEYS: 'k', KIE_MODEL_PRICES: 'veo3_fast:0' })).toThrow(
      /KIE_MODEL_PRICES/,
    );
    expect(() => loadConfig({ KIE_API_KEYS: 'k', KIE_MODEL_PRICES: 'nope:2' })).toThrow(
      /unknown model "nope"/,
    );
  });

  it('rejects a malformed rate', () => {
    expect(() => loadConfig({ KIE_API_KEYS: 'k', KIE_SUBMIT_RATE: 'fast' })).toThrow(/KIE_SUBMIT_RATE/);
  });

  // The platform's rate grammar (`parseRate`), as the key pool's limit and window.
  const submitRate = (text: string) =>
    loadConfig({ KIE_API_KEYS: 'k', KIE_SUBMIT_RATE: text }).KIE_SUBMIT_RATE;
  it.each([
    ['20/10s', { limit: 20, windowMs: 10_000 }],
    ['5/500ms', { limit: 5, windowMs: 500 }],
    ['100/1m', { limit: 100, windowMs: 60_000 }],
    // A period without a number is one unit (platform grammar, shared by every service).
    ['20/s', { limit: 20, windowMs: 1000 }],
  ])('reads KIE_SUBMIT_RATE %s', (text, expected) => expect(submitRate(text)).toEqual(expected));

  it.each(['20', '0/10s', 'x/10s'])('rejects KIE_SUBMIT_RATE %s', (text) =>
    expect(() => submitRate(text)).toThrow(/KIE_SUBMIT_RATE/),
  );
});
