import { describe, expect, it } from 'vitest';
import { loadBillingConfig } from './config';

describe('loadBillingConfig', () => {
  it('falls back to the design defaults', () => {
    expect(loadBillingConfig({})).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/neurocards',
      LOG_LEVEL: 'info',
      BILLING_DB_POOL_SIZE: 10,
      httpPort: 8081,
    });
  });

  it('prefers BILLING_HTTP_PORT over HTTP_PORT', () => {
    expect(loadBillingConfig({ HTTP_PORT: '9000' }).httpPort).toBe(9000);
    expect(loadBillingConfig({ HTTP_PORT: '9000', BILLING_HTTP_PORT: '9001' }).httpPort).toBe(9001);
  });

  it('fails with the variable name, never its value', () => {
    expect(() => loadBillingConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadBillingConfig({ BILLING_DB_POOL_SIZE: '0' })).toThrow(/BILLING_DB_POOL_SIZE/);
  });
});
