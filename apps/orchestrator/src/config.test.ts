import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('has the defaults of docs/design.md §3', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      OPENAI_BASE_URL: 'https://api.openai.com/v1',
      OPENAI_MODEL: 'gpt-4o-mini',
      GENERATION_DEADLINE: 30 * 60_000,
      DEADLINE_SWEEP_INTERVAL: 30_000,
      HTTP_PORT: 8082,
    });
    expect(c.OPENAI_API_KEY).toBeUndefined();
  });

  it('reads overrides, treating an empty key as unset', () => {
    const c = loadConfig({ GENERATION_DEADLINE: '10m', OPENAI_API_KEY: '', HTTP_PORT: '9000' });
    expect(c.GENERATION_DEADLINE).toBe(600_000);
    expect(c.OPENAI_API_KEY).toBeUndefined();
    expect(c.HTTP_PORT).toBe(9000);
  });

  it('names a bad variable without echoing a secret', () => {
    expect(() => loadConfig({ OPENAI_TIMEOUT: 'soon', OPENAI_API_KEY: 'sk-secret' })).toThrow(/OPENAI_TIMEOUT/);
    let message = '';
    try {
      loadConfig({ OPENAI_BASE_URL: 'sk-secret-not-a-url' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/OPENAI_BASE_URL/);
    expect(message).not.toMatch(/sk-secret/);
  });
});
