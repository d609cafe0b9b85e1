import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('falls back to the design defaults', () => {
    expect(loadConfig({})).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/neurocards',
      LOG_LEVEL: 'info',
      BILLING_DB_POOL_SIZE: 10,
      HTTP_PORT: 8081,
    });
  });

  it('reads its port from HTTP_PORT only', () => {
    expect(loadConfig({ HTTP_PORT: '9000' }).HTTP_PORT).toBe(9000);
    expect(loadConfig({ BILLING_HTTP_PORT: '9001' }).HTTP_PORT).toBe(8081);
  });

  it('fails with the variable name, never its value', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ BILLING_DB_POOL_SIZE: '0' })).toThrow(/BILLING_DB_POOL_SIZE/);
  });
});
