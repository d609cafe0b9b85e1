import { describe, expect, it } from 'vitest';
import { loadKieConfig } from './config';

describe('loadKieConfig', () => {
  it('applies design §3 defaults', () => {
    const c = loadKieConfig({ KIE_API_KEYS: 'sk-aaa,sk-bbb' });
    expect(c.KIE_API_KEYS).toEqual([
      { name: 'key1', secret: 'sk-aaa' },
      { name: 'key2', secret: 'sk-bbb' },
    ]);
    expect(c.KIE_BASE_URL).toBe('https://api.kie.ai');
    expect(c.KIE_UPLOAD_BASE_URL).toBe('https://kieai.redpandaai.co');
    expect(c.KIE_MODEL).toBe('sora-2-image-to-video');
    expect(c.KIE_SUBMIT_RATE).toEqual({ limit: 20, windowMs: 10_000 });
    expect(c.KIE_MAX_IN_FLIGHT).toBe(100);
    expect(c.KIE_BILLING_FAILOVER).toBe(false);
    expect(c.GENERATION_DEADLINE).toBe(30 * 60_000);
    expect(c.httpPort).toBe(8083);
    expect(c.callbackBaseUrl).toBe('http://127.0.0.1:8083');
    expect(c.KIE_WEBHOOK_HMAC_KEY).toBeUndefined();
  });

  it('reads named keys and the callback root', () => {
    const c = loadKieConfig({
      KIE_API_KEYS: 'main=sk-1, spare=sk-2',
      PUBLIC_BASE_URL: 'https://bot.example/',
      HTTP_PORT: '9000',
      KIE_SUBMIT_RATE: '5/1s',
      KIE_BILLING_FAILOVER: 'true',
      GENERATION_DEADLINE: '10m',
    });
    expect(c.KIE_API_KEYS.map((k) => k.name)).toEqual(['main', 'spare']);
    expect(c.callbackBaseUrl).toBe('https://bot.example');
    expect(c.httpPort).toBe(9000);
    expect(c.KIE_SUBMIT_RATE).toEqual({ limit: 5, windowMs: 1000 });
    expect(c.KIE_BILLING_FAILOVER).toBe(true);
    expect(c.GENERATION_DEADLINE).toBe(600_000);
    expect(
      loadKieConfig({
        KIE_API_KEYS: 'k',
        PUBLIC_BASE_URL: 'https://a.example',
        KIE_CALLBACK_BASE_URL: 'https://cb.example',
      }).callbackBaseUrl,
    ).toBe('https://cb.example');
  });

  it('fails without keys, and never quotes a key in the message', () => {
    expect(() => loadKieConfig({})).toThrow(/KIE_API_KEYS/);
    let message = '';
    try {
      loadKieConfig({ KIE_API_KEYS: 'bad name=sk-secret-value,a=' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/key name/);
    expect(message).toMatch(/empty key/);
    expect(message).not.toContain('sk-secret-value');
  });

  it('rejects a malformed rate', () => {
    expect(() => loadKieConfig({ KIE_API_KEYS: 'k', KIE_SUBMIT_RATE: 'fast' })).toThrow(/KIE_SUBMIT_RATE/);
  });
});
